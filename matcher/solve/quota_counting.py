"""Quota, coverage and minimum-load rules that fail by counting alone.

Each quota group's demand against its mentors' capacity and the places the quota maxima leave
usable, each startup's quota and coverage against its allowed mentors, disjoint quotas against k,
and mentors' hard minimum loads. :func:`quota_checks` runs them all; it is part of
:func:`matcher.solve.counting.counting_checks`.
"""

from __future__ import annotations

import numpy as np

from matcher.errors import Diagnosis
from matcher.solve.problem import Problem, Quota
from matcher.solve.reasons import MOST_NAMED, why_not

__all__ = ["quota_checks"]


def quota_checks(problem: Problem) -> list[Diagnosis]:
    """Quota, coverage and minimum-load rules that fail by counting alone.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((20, 10)), k=1, capacity=[3, 3, 2, 2, 2, 2, 9, 9, 9, 9],
    ...                  quotas=[{"name": "academic", "mentors": [0, 1, 2, 3, 4, 5], "min": 1}])
    >>> found = quota_checks(p)[0]
    >>> print(found.message)
    The 20 startups need 20 academic mentor places; the 6 academic mentors offer 14: 6 short.
    >>> found.suggestions
    ('raise academic capacity by 6', 'relax the academic quota for 6 startups')
    """
    # an n_startups x n_mentors temporary, only for the rules that read it
    needed = bool(problem.quotas) or _has_hard_min_load(problem)
    allowed = problem.allowed | problem.pinned if needed else None
    out = _capped_supply(problem)
    for quota in problem.quotas:
        out += _quota_group_capacity(problem, quota)
        out += _quota_minimum_over_k(problem, quota)
        out += _quota_allowed_mentors(problem, quota, allowed)
    out += _quota_minimums_over_k(problem)
    out += _quota_maximums_under_k(problem, allowed)
    out += _minimum_load_total(problem)
    out += _minimum_load_per_mentor(problem, allowed)
    return out


# -- quotas, coverage and minimum loads ---------------------------------------------------------


def _capped_supply(problem: Problem) -> list[Diagnosis]:
    """Total demand against the places the quota maxima leave usable (disjoint groups only).

    A group whose startups take at most ``max`` each offers at most ``sum(max)`` places, whatever
    its mentors' capacity: with at most one investor per startup, nine startups use at most nine
    investor places.

    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((3, 4)), k=3, capacity=[2, 2, 3, 3],
    ...                  quotas=[{"name": "investor", "mentors": [2, 3], "max": 1}])
    >>> print(_capped_supply(p)[0].message)  # doctest: +NORMALIZE_WHITESPACE
    The 3 startups need 9 mentor places; with at most 1 investor mentor each,
    the mentors offer 7 usable places: 2 short.
    """
    groups = problem.flow_groups
    if groups is None or not problem.quotas:
        return []
    usable = int(problem.capacity[groups < 0].sum())
    capped = []
    for g, quota in enumerate(problem.quotas):
        supply = int(problem.capacity[groups == g].sum())
        usable += min(supply, int(quota.max.sum()))
        if quota.max.sum() < supply:
            capped.append(quota)
    need = int(problem.k_min.sum())
    if not capped or need <= usable:
        return []
    short = need - usable
    names = " and ".join(q.name for q in capped)
    most = "; ".join(f"at most {int(q.max.max())} {q.name} mentor{'s' if q.max.max() != 1 else ''} each"
                     for q in capped)
    return [Diagnosis(
        f"{names} quota vs capacity",
        f"The {problem.shape[0]} startups need {need} mentor places; with {most}, the mentors offer "
        f"{usable} usable places: {short} short.",
        shortfall=short,
        suggestions=(f"raise the capacity of the other mentors by {short}",
                     f"raise the {names} maximum", f"lower k by {-(-short // problem.shape[0])}"))]


def _rule_name(quota: Quota) -> str:
    return "coverage" if quota.name == "coverage" else f"{quota.name} quota"


def _quota_group_capacity(problem: Problem, quota: Quota) -> list[Diagnosis]:
    """The group's mentors must offer the places the startups' minimums need."""
    if quota.per_startup:
        return []
    name = quota.name
    need, offer = int(quota.min.sum()), int(problem.capacity[quota.members].sum())
    if need <= offer:
        return []
    short = need - offer
    relax = (
        f"relax the {name} quota for {short} startups"
        if quota.min.max() <= 1
        else f"lower the {name} minimum by {short} places in all"
    )
    return [
        Diagnosis(
            _rule_name(quota),
            f"The {int((quota.min > 0).sum())} startups need {need} {name} mentor "
            "places; "
            f"the {int(quota.members.sum())} {name} mentors offer {offer}: {short} "
            "short.",
            shortfall=short,
            mentors=tuple(problem.mentor_ids[quota.members]),
            suggestions=(f"raise {name} capacity by {short}", relax),
        )
    ]


def _quota_minimum_over_k(problem: Problem, quota: Quota) -> list[Diagnosis]:
    """A startup's minimum of the group must fit in its k (and the group's maximum)."""
    out = []
    name = quota.name
    for i in np.nonzero(quota.min > np.minimum(quota.max, problem.k_max))[0][:MOST_NAMED]:
        most = int(min(quota.max[i], problem.k_max[i]))
        out.append(
            Diagnosis(
                _rule_name(quota),
                f"Startup {problem.startup_label(i)} needs at least {int(quota.min[i])} {name} "
                f"mentor(s) but takes at most {most} (k={int(problem.k_max[i])}).",
                shortfall=int(quota.min[i]) - most,
                startups=(problem.startup_ids[i],),
                suggestions=(
                    f"raise its k to {int(quota.min[i])}",
                    f"relax the {name} quota for it",
                ),
            )
        )
    return out


def _quota_allowed_mentors(problem: Problem, quota: Quota,
                           allowed: np.ndarray) -> list[Diagnosis]:
    """Each startup needs enough allowed mentors of the group."""
    members = quota.mask(problem.shape[0])
    have = (allowed & members).sum(axis=1)
    out = []
    for i in np.nonzero(have < quota.min)[0][:MOST_NAMED]:
        need = int(quota.min[i])
        text, fixes = _short_of_group_text(problem, quota, i, int(have[i]), members[i])
        out.append(
            Diagnosis(
                _rule_name(quota),
                text,
                shortfall=need - int(have[i]),
                startups=(problem.startup_ids[i],),
                suggestions=fixes,
            )
        )
    return out


def _short_of_group_text(problem: Problem, quota: Quota, i: int, have: int,
                         members: np.ndarray) -> tuple[str, tuple[str, ...]]:
    """Message and fixes for startup ``i`` having ``have`` allowed mentors of the group."""
    name, need, group_size = quota.name, int(quota.min[i]), int(members.sum())
    if name == "coverage":
        text = (
            f"Startup {problem.startup_label(i)} needs a mentor who covers its primary "
            "domain; "
            + (
                "no mentor covers it"
                if group_size == 0
                else f"the {group_size} who do may not be paired with it "
                f"({'; '.join(why_not(problem, i, members))})"
            )
            + "."
        )
        fixes = (
            "add a mentor in its domain",
            "allow one of the mentors who cover it",
            "turn coverage off",
        )
        return text, fixes
    text = (
        f"Startup {problem.startup_label(i)} needs at least {need} {name} mentor(s) "
        "but only "
        f"{have} of the {group_size} {name} mentors may be paired with it "
        f"({'; '.join(why_not(problem, i, members))})."
    )
    fixes = (
        f"allow {need - have} more {name} mentor(s) for it",
        f"relax the {name} quota for it",
    )
    return text, fixes


def _quota_minimums_over_k(problem: Problem) -> list[Diagnosis]:
    """Disjoint groups: a startup's quota minimums together must fit in its k."""
    if not problem.quotas or problem.flow_groups is None:
        return []
    q_min, _ = problem.quota_bounds()
    names = " + ".join(q.name for q in problem.quotas)
    out = []
    for i in np.nonzero(q_min.sum(axis=1) > problem.k_max)[0][:MOST_NAMED]:
        over = int(q_min[i].sum() - problem.k_max[i])
        out.append(
            Diagnosis(
                "quotas vs k",
                f"Startup {problem.startup_label(i)} needs at least {int(q_min[i].sum())} "
                f"mentors by its quotas ({names}) but takes at most {int(problem.k_max[i])}.",
                shortfall=over,
                startups=(problem.startup_ids[i],),
                suggestions=(
                    f"raise its k to {int(q_min[i].sum())}",
                    f"lower its quota minimums by {over}",
                ),
            )
        )
    return out


def _quota_maximums_under_k(problem: Problem, allowed: np.ndarray) -> list[Diagnosis]:
    """Disjoint groups: the quota maximums and allowed mentors must leave room for k_min."""
    groups = problem.flow_groups
    if not problem.quotas or groups is None:
        return []
    _, q_max = problem.quota_bounds()
    outside = (allowed & (groups < 0)[None, :]).sum(axis=1)
    per_group = np.stack(
        [(allowed & (groups == g)[None, :]).sum(axis=1) for g in range(len(problem.quotas))],
        axis=1,
    )
    reach = np.minimum(q_max, per_group).sum(axis=1) + outside
    out = []
    for i in np.nonzero(reach < problem.k_min)[0][:MOST_NAMED]:
        gap = int(problem.k_min[i] - reach[i])
        out.append(
            Diagnosis(
                "quotas vs k",
                f"Startup {problem.startup_label(i)} needs {int(problem.k_min[i])} mentors "
                "but its quota maximums and allowed mentors leave room for only "
                f"{int(reach[i])}.",
                shortfall=gap,
                startups=(problem.startup_ids[i],),
                suggestions=(
                    f"raise a quota maximum by {gap}",
                    f"lower its k to {int(reach[i])}",
                ),
            )
        )
    return out


def _has_hard_min_load(problem: Problem) -> bool:
    return problem.min_load is not None and problem.min_load_penalty is None


def _minimum_load_total(problem: Problem) -> list[Diagnosis]:
    """Hard minimum loads: the startups must take enough places in all."""
    if not _has_hard_min_load(problem):
        return []
    need, take = int(problem.min_load.sum()), int(problem.k_max.sum())
    if need <= take:
        return []
    return [
        Diagnosis(
            "minimum load",
            f"The mentors' minimum loads add up to {need} places but the {problem.shape[0]} "
            f"startups take at most {take} in all: {need - take} short.",
            shortfall=need - take,
            suggestions=(
                f"lower the minimum load by {need - take} places in all",
                "raise k",
                "make the minimum load soft",
            ),
        )
    ]


def _minimum_load_per_mentor(problem: Problem, allowed: np.ndarray) -> list[Diagnosis]:
    """Hard minimum loads: each mentor needs enough startups it may be paired with."""
    if not _has_hard_min_load(problem):
        return []
    may = allowed.sum(axis=0)
    out = []
    for j in np.nonzero(may < problem.min_load)[0][:MOST_NAMED]:
        gap = int(problem.min_load[j] - may[j])
        out.append(
            Diagnosis(
                "minimum load",
                f"Mentor {problem.mentor_label(j)} must take {int(problem.min_load[j])} "
                f"startups but may be paired with only {int(may[j])}.",
                shortfall=gap,
                mentors=(problem.mentor_ids[j],),
                suggestions=(
                    f"lower its minimum load to {int(may[j])}",
                    "make the minimum load soft",
                ),
            )
        )
    return out
