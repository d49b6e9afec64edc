"""What-if copies of a cohort: another capacity, other rules, a mentor or startup fewer.

These functions are the ``with_*`` and ``without_*`` methods of :class:`~matcher.data.models.Cohort`
(``cohort.with_capacity(...)`` is ``with_capacity(cohort, ...)``). Each returns a new frozen cohort
and leaves the original as it is, so scenarios built from one cohort never leak into each other;
every argument is checked, and an unknown id is refused by name with the nearest known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from matcher.data.rules import Rules
from matcher.data.values import whole_number
from matcher.errors import InputError, InputProblem

if TYPE_CHECKING:
    import numpy as np

    from matcher.data.models import Cohort, Mentor

__all__ = ["with_capacity", "with_capacities", "with_rules", "without_mentors", "without_startups"]


def with_capacity(cohort: Cohort, mentor_id: str, capacity: int) -> Cohort:
    """A copy in which one mentor takes ``capacity`` startups at once.

    Parameters
    ----------
    mentor_id : str
        Id of a mentor of this cohort.
    capacity : int
        Startups the mentor takes at once; 0 keeps the mentor out of the matching.

    Returns
    -------
    Cohort
        The same cohort but for that mentor's capacity.

    Raises
    ------
    InputError
        When the id is not a mentor of the cohort (with the nearest id) or the capacity is not a
        whole number of 0 or more.

    See Also
    --------
    with_capacities : change many capacities at once.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> busier = cohort.with_capacity("m-li-jing", 3)
    >>> [m.capacity for m in busier.mentors if m.id == "m-li-jing"]
    [3]
    >>> [m.capacity for m in cohort.mentors if m.id == "m-li-jing"]  # the original is unchanged
    [2]
    """
    _check_ids([mentor_id], cohort.mentor_ids, "with_capacity", "mentor_id", "mentor")
    return cohort.with_capacities({mentor_id: capacity})


def with_capacities(cohort: Cohort, capacity: Mapping[str, int] | Callable[[Mentor], int]) -> Cohort:
    """A copy with the capacities of several mentors replaced.

    Parameters
    ----------
    capacity : mapping of mentor id to int, or callable
        New capacities by mentor id (mentors not named keep theirs), or a function of a
        :class:`~matcher.data.models.Mentor` returning its new capacity, applied to every mentor.

    Returns
    -------
    Cohort
        The same cohort but for those capacities.

    Raises
    ------
    InputError
        Naming every unknown mentor id and every capacity that is not a whole number of 0 or
        more.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> one_each = cohort.with_capacities(lambda mentor: 1)
    >>> {m.capacity for m in one_each.mentors}
    {1}
    >>> academics = cohort.with_capacities(
    ...     lambda m: m.capacity if m.kind in ("professor", "scientist") else 0)
    >>> sum(m.capacity > 0 for m in academics.mentors)
    14
    """
    if callable(capacity):
        wanted = {m.id: capacity(m) for m in cohort.mentors}
    else:
        wanted = dict(capacity)
        _check_ids(wanted, cohort.mentor_ids, "with_capacities", "capacity", "mentor")
    problems, clean = [], {}
    for mentor_id, value in wanted.items():
        try:
            clean[mentor_id] = whole_number(value)
        except ValueError as err:
            problems.append(InputProblem("Cohort.with_capacities", None, "capacity",
                                         f"mentor '{mentor_id}': {err}",
                                         "use a whole number of startups, 0 or more"))
    if problems:
        raise InputError(problems)
    mentors = tuple(replace(m, capacity=clean[m.id]) if m.id in clean else m for m in cohort.mentors)
    return replace(cohort, mentors=mentors)


def with_rules(cohort: Cohort, **changes: Any) -> Cohort:
    """A copy with some of the programme's rules replaced.

    Parameters
    ----------
    **changes
        Fields of :class:`~matcher.Rules`, e.g. ``k=2``, ``objective="fair"`` or
        ``quotas={}``; checked as :class:`~matcher.Rules` checks them.

    Returns
    -------
    Cohort
        The same startups and mentors under the changed rules.

    Raises
    ------
    InputError
        Naming every refused value, and every unknown rule with the nearest known one.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> cohort.with_rules(k=2, quotas={}).rules.k
    2
    >>> cohort.rules.k
    3
    """
    if not changes:
        return cohort
    return replace(cohort, rules=Rules.from_mapping(changes, source="Cohort.with_rules", base=cohort.rules))


def without_mentors(cohort: Cohort, *mentor_ids: str) -> Cohort:
    """A copy without some mentors (a mentor who withdrew, say).

    Pinned and forbidden pairs naming them are dropped from the rules; stated preferences
    naming them no longer count (they name nobody in the cohort).

    Parameters
    ----------
    *mentor_ids : str
        Ids of mentors of this cohort.

    Returns
    -------
    Cohort

    Raises
    ------
    InputError
        Naming every id that is not a mentor of the cohort.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> len(cohort.mentors), len(cohort.without_mentors("m-li-jing", "m-sun-mei").mentors)
    (36, 34)
    """
    _check_ids(mentor_ids, cohort.mentor_ids, "without_mentors", "mentor_ids", "mentor")
    gone = set(mentor_ids)
    rules = cohort.rules.replace(pinned=tuple(p for p in cohort.rules.pinned if p[1] not in gone),
                                 forbidden=tuple(p for p in cohort.rules.forbidden if p[1] not in gone))
    return replace(cohort, mentors=tuple(m for m in cohort.mentors if m.id not in gone), rules=rules)


def without_startups(cohort: Cohort, *startup_ids: str) -> Cohort:
    """A copy without some startups (one that left the programme, say).

    Pinned and forbidden pairs naming them are dropped from the rules.

    Parameters
    ----------
    *startup_ids : str
        Ids of startups of this cohort.

    Returns
    -------
    Cohort

    Raises
    ------
    InputError
        Naming every id that is not a startup of the cohort.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> smaller = cohort.without_startups("s-kindbot")
    >>> len(cohort.startups) - len(smaller.startups)
    1
    """
    _check_ids(startup_ids, cohort.startup_ids, "without_startups", "startup_ids", "startup")
    gone = set(startup_ids)
    rules = cohort.rules.replace(pinned=tuple(p for p in cohort.rules.pinned if p[0] not in gone),
                                 forbidden=tuple(p for p in cohort.rules.forbidden if p[0] not in gone))
    return replace(cohort, startups=tuple(s for s in cohort.startups if s.id not in gone), rules=rules)


def _check_ids(ids: Iterable[str], known: np.ndarray, method: str, field_name: str, kind: str) -> None:
    """Refuse ids that are not in the cohort, naming each with the nearest known id."""
    known_ids = [str(x) for x in known]
    present = set(known_ids)
    problems = []
    for value in ids:
        if value not in present:
            near = difflib.get_close_matches(str(value), known_ids, n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"the cohort's {kind} ids are in its files"
            problems.append(InputProblem(f"Cohort.{method}", None, field_name,
                                         f"{value!r} is not a {kind} of the cohort", hint))
    if problems:
        raise InputError(problems)
