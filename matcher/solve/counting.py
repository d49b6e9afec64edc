"""Rules that fail by counting alone, checked before any solver runs.

Each check is one small function returning its :class:`~matcher.errors.Diagnosis` list (empty
when the rule passes): pins against k and capacity, each startup's allowed mentors after conflicts
and history, total demand against total capacity, then the quota checks of
:mod:`matcher.solve.quota_counting`. Per-startup and per-mentor checks name at most ten of each.
:func:`counting_checks` runs them all; :mod:`matcher.solve.diagnose` goes further when they pass.
"""

from __future__ import annotations

import numpy as np

from matcher.errors import Diagnosis
from matcher.solve.problem import Problem, pair_positions_of
from matcher.solve.quota_counting import quota_checks
from matcher.solve.reasons import MOST_NAMED, k_text, listed, why_not

__all__ = ["counting_checks", "quota_checks"]


def counting_checks(problem: Problem) -> list[Diagnosis]:
    """Rules that fail by counting alone; an empty list when none does.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((4, 2)), k=2, capacity=3)
    >>> print(counting_checks(p)[0].message)
    The 4 startups need 8 mentor places (k=2 each); the 2 mentors offer 6 in all: 2 short.
    """
    if not problem.is_dense:
        return _sparse_counting_checks(problem)
    return [
        *_pinned_and_forbidden(problem),
        *_pins_over_k(problem),
        *_pins_over_capacity(problem),
        *_startups_short_of_mentors(problem),
        *_total_capacity(problem),
        *quota_checks(problem),
    ]


# -- pins, mentors per startup, totals ----------------------------------------------------------


def _pinned_and_forbidden(problem: Problem) -> list[Diagnosis]:
    """Pairs both pinned and forbidden."""
    if not problem.pinned.any():  # a pass over the pins instead of a temporary of every pair
        return []
    both = problem.pinned & problem.forbidden
    if not both.any():
        return []
    rows, cols = np.nonzero(both)
    ids = zip(problem.startup_ids[rows], problem.mentor_ids[cols], strict=True)
    pairs = [f"({s}, {m})" for s, m in ids]
    return [
        Diagnosis(
            "pinned vs forbidden",
            f"{len(pairs)} pair(s) are both pinned and forbidden: {listed(pairs)}.",
            shortfall=len(pairs),
            suggestions=("remove the pin or the conflict for each such pair",),
        )
    ]


def _pins_over_k(problem: Problem) -> list[Diagnosis]:
    """Startups with more pinned mentors than they take."""
    if not problem.pinned.any():  # a pass over the pins, not a count of every row
        return []
    pins_per_startup = problem.pinned.sum(axis=1)
    out = []
    for i in np.nonzero(pins_per_startup > problem.k_max)[0][:MOST_NAMED]:
        n, hi = int(pins_per_startup[i]), int(problem.k_max[i])
        out.append(
            Diagnosis(
                "pinned vs k",
                f"Startup {problem.startup_label(i)} has {n} pinned mentors but takes at most "
                f"{hi}.",
                shortfall=n - hi,
                startups=(problem.startup_ids[i],),
                suggestions=(f"unpin {n - hi} of its mentors", f"raise its k to {n}"),
            )
        )
    return out


def _pins_over_capacity(problem: Problem) -> list[Diagnosis]:
    """Mentors pinned to more startups than their capacity."""
    if not problem.pinned.any():
        return []
    pins_per_mentor = problem.pinned.sum(axis=0)
    out = []
    for j in np.nonzero(pins_per_mentor > problem.capacity)[0][:MOST_NAMED]:
        n, cap = int(pins_per_mentor[j]), int(problem.capacity[j])
        out.append(
            Diagnosis(
                "pinned vs capacity",
                f"Mentor {problem.mentor_label(j)} is pinned to {n} startups but has capacity "
                f"{cap}.",
                shortfall=n - cap,
                mentors=(problem.mentor_ids[j],),
                suggestions=(
                    f"unpin {n - cap} of those pairs",
                    f"raise the mentor's capacity to {n}",
                ),
            )
        )
    return out


def _startups_short_of_mentors(problem: Problem) -> list[Diagnosis]:
    """Startups with fewer allowed (or pinned) mentors than their minimum k, and why."""
    if problem.forbidden.any() or problem.pinned.any():
        available = (problem.allowed | problem.pinned).sum(axis=1)
    else:  # every startup may have every mentor with a place: no temporary of every pair
        available = np.full(problem.shape[0], int((problem.capacity > 0).sum()))
    short = np.nonzero(available < problem.k_min)[0]
    out = []
    for i in short[:MOST_NAMED]:
        need, have = int(problem.k_min[i]), int(available[i])
        reasons = why_not(problem, i, np.ones(problem.shape[1], dtype=bool))
        out.append(
            Diagnosis(
                "mentors per startup",
                f"Startup {problem.startup_label(i)} needs {k_text(problem, i)} mentors but only "
                f"{have} "
                f"may be paired with it ({'; '.join(reasons)}).",
                shortfall=need - have,
                startups=(problem.startup_ids[i],),
                suggestions=(
                    f"allow {need - have} more mentor(s) for it",
                    f"lower its k to {have}",
                ),
            )
        )
    if len(short) > MOST_NAMED:
        out.append(
            Diagnosis(
                "mentors per startup",
                f"{len(short) - MOST_NAMED} more startups are short of mentors.",
                shortfall=float(len(short) - MOST_NAMED),
            )
        )
    return out


def _total_capacity(problem: Problem) -> list[Diagnosis]:
    """All startups' minimum k against all mentors' capacity."""
    demand, supply = int(problem.k_min.sum()), int(problem.capacity.sum())
    if demand <= supply:
        return []
    n_s, n_m = problem.shape
    k_text = (
        f"k={int(problem.k_min[0])} each"
        if (problem.k_min == problem.k_min[0]).all()
        else "their minimum k"
    )
    return [
        Diagnosis(
            "total capacity",
            f"The {n_s} startups need {demand} mentor places ({k_text}); the {n_m} mentors "
            "offer "
            f"{supply} in all: {demand - supply} short.",
            shortfall=demand - supply,
            suggestions=(
                f"raise mentor capacity by {demand - supply} in all",
                "add mentors",
                "lower k",
            ),
        )
    ]


def _sparse_counting_checks(problem: Problem) -> list[Diagnosis]:
    """The counting checks for scores given as vectors: pairs stay arrays of positions."""
    k_min, k_max, capacity = problem.k_min, problem.k_max, problem.capacity
    startup_ids, mentor_ids = problem.startup_ids, problem.mentor_ids
    forbidden, pinned = pair_positions_of(problem.forbidden), pair_positions_of(problem.pinned)
    n_s, n_m = len(k_min), len(capacity)
    out: list[Diagnosis] = []
    f_keys = forbidden[0] * n_m + forbidden[1]
    p_keys = pinned[0] * n_m + pinned[1]
    both = np.intersect1d(f_keys, p_keys)
    if len(both):
        out.append(Diagnosis("pinned vs forbidden", f"{len(both)} pair(s) are both pinned and forbidden.",
                             shortfall=len(both), suggestions=("remove the pin or the conflict",)))
    pins_s = np.bincount(pinned[0], minlength=n_s)
    pins_m = np.bincount(pinned[1], minlength=n_m)
    for i in np.nonzero(pins_s > k_max)[0][:MOST_NAMED]:
        out.append(Diagnosis("pinned vs k", f"Startup {startup_ids[i]} has {pins_s[i]} pinned mentors "
                             f"but takes at most {k_max[i]}.", shortfall=int(pins_s[i] - k_max[i]),
                             startups=(startup_ids[i],)))
    for j in np.nonzero(pins_m > capacity)[0][:MOST_NAMED]:
        out.append(Diagnosis("pinned vs capacity", f"Mentor {mentor_ids[j]} is pinned to {pins_m[j]} "
                             f"startups but has capacity {capacity[j]}.",
                             shortfall=int(pins_m[j] - capacity[j]), mentors=(mentor_ids[j],)))
    open_cols = capacity > 0
    f_open = open_cols[forbidden[1]]
    available = int(open_cols.sum()) - np.bincount(forbidden[0][f_open], minlength=n_s)
    available = np.maximum(available, pins_s)
    for i in np.nonzero(available < k_min)[0][:MOST_NAMED]:
        out.append(Diagnosis("mentors per startup", f"Startup {startup_ids[i]} needs {k_min[i]} "
                             f"mentors but only {available[i]} may be paired with it.",
                             shortfall=int(k_min[i] - available[i]), startups=(startup_ids[i],)))
    demand, supply = int(k_min.sum()), int(capacity.sum())
    if demand > supply:
        out.append(Diagnosis("total capacity", f"The {n_s} startups need {demand} mentor places; the "
                             f"{n_m} mentors offer {supply} in all: {demand - supply} short.",
                             shortfall=demand - supply,
                             suggestions=(f"raise mentor capacity by {demand - supply} in all",
                                          "add mentors", "lower k")))
    return out
