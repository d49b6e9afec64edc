"""Programme rules as solver arguments: quotas by mentor kind, domain coverage, history, loads.

Pure functions from a cohort's startups, mentors, history and already validated
:class:`~matcher.data.rules.Rules` to the arrays and keywords of :func:`matcher.assign` (see
``docs/rules.md``). Nothing here checks a rule: :class:`~matcher.data.rules.Rules` did that once,
when it was built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from matcher.data.taxonomy import DEFAULT_TAXONOMY, Taxonomy

__all__ = [
    "quota_specs",
    "coverage_mask",
    "history_mask",
    "yearly_remaining",
    "solver_arguments",
]


def quota_specs(mentors: Sequence[Any], quotas: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """Quotas for :func:`matcher.assign`: each group as a bool mask over ``mentors``.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> pool = [M(id="a", kind="professor"), M(id="b", kind="investor"), M(id="c", kind="engineer")]
    >>> spec = quota_specs(pool, {"academic": {"kinds": ["professor", "scientist"], "min": 1},
    ...                           "investor": {"kinds": ["investor"], "max": 1}})
    >>> [(q["name"], q["mentors"].tolist(), q.get("min"), q.get("max")) for q in spec]
    [('academic', [True, False, False], 1, None), ('investor', [False, True, False], None, 1)]
    """
    kinds = np.array([m.kind for m in mentors], dtype=object)
    ids = np.array([m.id for m in mentors], dtype=object)
    out = []
    for name, spec in quotas.items():
        members = np.isin(kinds, list(spec.get("kinds", ()))) | np.isin(
            ids, list(spec.get("mentors", ()))
        )
        out.append(
            {
                "name": name,
                "mentors": members.astype(bool),
                **{key: spec[key] for key in ("min", "max") if key in spec},
            }
        )
    return out


def coverage_mask(
    startups: Sequence[Any], mentors: Sequence[Any], taxonomy: Taxonomy = DEFAULT_TAXONOMY
) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): mentor domains that cover a startup's primary.

    A mentor covers ``vision/medical-imaging`` with ``vision/medical-imaging`` or ``vision``.

    Examples
    --------
    >>> from types import SimpleNamespace as X
    >>> s = [X(domains=("vision/ar",)), X(domains=("fintech/fraud", "vision"))]
    >>> m = [X(domains=("vision",)), X(domains=("fintech/credit",))]
    >>> coverage_mask(s, m).tolist()
    [[True, False], [False, False]]
    """
    primaries = [s.domains[0] if s.domains else "" for s in startups]
    nodes = sorted({p for p in primaries if p})
    # which (startup primary node, mentor) pairs cover: one row per distinct primary domain
    row_of = {p: r for r, p in enumerate(nodes)}
    by_node = np.zeros((len(nodes), len(mentors)), dtype=bool)
    for j, mentor in enumerate(mentors):
        for node in nodes:
            by_node[row_of[node], j] = any(taxonomy.covers(d, node) for d in mentor.domains)
    out = np.zeros((len(startups), len(mentors)), dtype=bool)
    has = np.array([bool(p) for p in primaries])
    if has.any():
        out[has] = by_node[[row_of[p] for p in primaries if p]]
    return out


def history_mask(
    startup_ids: Sequence[str], mentor_ids: Sequence[str], history: Iterable[tuple[str, str, str]]
) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): pairs made in any earlier cohort.

    Examples
    --------
    >>> past = [("spring-2026", "s2", "a"), ("x", "s9", "a")]
    >>> history_mask(["s1", "s2"], ["a", "b"], past).tolist()
    [[False, False], [True, False]]
    """
    row_of = {s: i for i, s in enumerate(startup_ids)}
    col_of = {m: j for j, m in enumerate(mentor_ids)}
    out = np.zeros((len(row_of), len(col_of)), dtype=bool)
    for _cohort, s, m in history:
        if s in row_of and m in col_of:
            out[row_of[s], col_of[m]] = True
    return out


def _year(cohort: str) -> str | None:
    found = re.findall(r"(?:19|20)\d\d", str(cohort))
    return found[-1] if found else None


def yearly_remaining(
    mentor_ids: Sequence[str],
    history: Iterable[tuple[str, str, str]],
    cohort: str,
    yearly_capacity: int,
) -> np.ndarray:
    """Places each mentor has left this year: ``yearly_capacity`` less its pairs in earlier cohorts
    of the same calendar year (the year is the last 4-digit year in the cohort's name).

    Examples
    --------
    >>> hist = [("spring-2026", "s1", "a"), ("spring-2026", "s2", "a"), ("autumn-2025", "s3", "b")]
    >>> yearly_remaining(["a", "b"], hist, "autumn-2026", 3).tolist()
    [1, 3]
    """
    year = _year(cohort)
    col_of = {m: j for j, m in enumerate(mentor_ids)}
    used = np.zeros(len(col_of), dtype=np.int64)
    for past, _s, m in history:
        if m in col_of and year is not None and _year(past) == year and past != cohort:
            used[col_of[m]] += 1
    return np.maximum(yearly_capacity - used, 0)


def solver_arguments(
    cohort: Any, rules: Any = None, *, taxonomy: Taxonomy = DEFAULT_TAXONOMY
) -> dict:
    """Keyword arguments of :func:`matcher.assign` for a cohort's rules (all but ``scores``).

    ``cohort`` is a :class:`~matcher.data.models.Cohort` (its ``rules`` are used unless ``rules`` is
    given). Returns ``k``, ``capacity`` (per mentor, lowered by ``yearly_capacity``), ``forbidden``
    and ``pinned`` (the rules' pairs; conflicts and languages are the scorer's), ``quotas``,
    ``covers``, ``min_load``, ``min_load_soft``, ``balance``, ``past``, ``history``,
    ``continuity_bonus``, ``objective``, ``fairness``, ``solver``, ``time_limit`` and ``seed``.

    Examples
    --------
    >>> from matcher.data.models import Cohort, Mentor, Rules, Startup
    >>> s = [Startup("s1", "S1", ("vision/ar",), "")]
    >>> m = [Mentor("a", "A", "professor", ("vision",), "", 2),
    ...      Mentor("b", "B", "investor", ("fintech",), "", 1)]
    >>> rules = Rules(k=1, quotas={"academic": {"kinds": ["professor"], "min": 1}}, coverage=True)
    >>> args = solver_arguments(Cohort(tuple(s), tuple(m), rules))
    >>> args["capacity"].tolist(), args["covers"].tolist(), args["quotas"][0]["mentors"].tolist()
    ([2, 1], [[True, False]], [True, False])
    """
    rules = rules if rules is not None else cohort.rules
    startups, mentors = cohort.startups, cohort.mentors
    startup_ids = [s.id for s in startups]
    mentor_ids = [m.id for m in mentors]
    history = tuple(getattr(cohort, "history", ()) or ())
    capacity = np.array([m.capacity for m in mentors], dtype=np.int64)
    if rules.yearly_capacity is not None:
        remaining = yearly_remaining(
            mentor_ids, history, getattr(cohort, "name", ""), rules.yearly_capacity
        )
        capacity = np.minimum(capacity, remaining)
    args: dict[str, Any] = {
        "k": rules.k,
        "capacity": capacity,
        "forbidden": list(rules.forbidden) or None,
        "pinned": list(rules.pinned) or None,
        "quotas": quota_specs(mentors, rules.quotas) or None,
        "covers": coverage_mask(startups, mentors, taxonomy) if rules.coverage else None,
        "min_load": rules.min_load if rules.min_load else None,
        "min_load_soft": not rules.min_load_hard,
        "balance": rules.balance_load,
        "past": history_mask(startup_ids, mentor_ids, history) if history else None,
        "history": rules.history_rule,
        "continuity_bonus": rules.continuity_bonus,
        "objective": rules.objective,
        "fairness": rules.fairness if rules.objective == "blend" else None,
        "solver": rules.solver,
        "time_limit": rules.time_limit,
        "seed": rules.seed,
    }
    return args
