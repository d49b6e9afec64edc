"""Why rules cannot all hold, in words and numbers.

Cheap counting checks run before any solver (pins against k and capacity, each startup's allowed
mentors, total demand against total capacity); when those pass but the flow still cannot be routed,
a minimum cut names the group of startups whose demand their allowed mentors cannot meet (Hall's
condition), with the shortfall.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from matcher.errors import Diagnosis
from matcher.solve.problem import Problem

__all__ = ["counting_checks", "hall_violation", "diagnose"]


def _names(ids, limit: int = 6) -> str:
    ids = [str(x) for x in ids]
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _k_text(problem: Problem, i: int) -> str:
    lo, hi = int(problem.k_min[i]), int(problem.k_max[i])
    return f"{lo}" if lo == hi else f"at least {lo}"


def counting_checks(problem: Problem) -> list[Diagnosis]:
    """Rules that fail by counting alone; an empty list when none does.

    Examples
    --------
    >>> from matcher.solve.problem import make_problem
    >>> p = make_problem(np.ones((4, 2)), k=2, capacity=3)
    >>> print(counting_checks(p)[0].message)
    The 4 startups need 8 mentor places (k=2 each); the 2 mentors offer 6 in all: 2 short.
    """
    out: list[Diagnosis] = []
    pinned, forbidden = problem.pinned, problem.forbidden
    both = pinned & forbidden
    if both.any():
        rows, cols = np.nonzero(both)
        pairs = [f"({problem.startup_ids[i]}, {problem.mentor_ids[j]})" for i, j in zip(rows, cols)]
        out.append(Diagnosis(
            "pinned vs forbidden", f"{len(pairs)} pair(s) are both pinned and forbidden: {_names(pairs)}.",
            shortfall=len(pairs), suggestions=("remove the pin or the conflict for each such pair",)))

    pins_per_startup = pinned.sum(axis=1)
    over = np.nonzero(pins_per_startup > problem.k_max)[0]
    for i in over[:10]:
        n, hi = int(pins_per_startup[i]), int(problem.k_max[i])
        out.append(Diagnosis(
            "pinned vs k",
            f"Startup {problem.startup_label(i)} has {n} pinned mentors but takes at most {hi}.",
            shortfall=n - hi, startups=(problem.startup_ids[i],),
            suggestions=(f"unpin {n - hi} of its mentors", f"raise its k to {n}")))

    pins_per_mentor = pinned.sum(axis=0)
    over = np.nonzero(pins_per_mentor > problem.capacity)[0]
    for j in over[:10]:
        n, cap = int(pins_per_mentor[j]), int(problem.capacity[j])
        out.append(Diagnosis(
            "pinned vs capacity",
            f"Mentor {problem.mentor_label(j)} is pinned to {n} startups but has capacity {cap}.",
            shortfall=n - cap, mentors=(problem.mentor_ids[j],),
            suggestions=(f"unpin {n - cap} of those pairs", f"raise the mentor's capacity to {n}")))

    available = (problem.allowed | pinned).sum(axis=1)
    short = np.nonzero(available < problem.k_min)[0]
    n_forbidden = forbidden.sum(axis=1)
    full = (problem.capacity == 0).sum()
    for i in short[:10]:
        need, have = int(problem.k_min[i]), int(available[i])
        reasons = [f"{int(n_forbidden[i])} forbidden (conflicts, language or rules)"]
        if full:
            reasons.append(f"{int(full)} with no capacity")
        out.append(Diagnosis(
            "mentors per startup",
            f"Startup {problem.startup_label(i)} needs {_k_text(problem, i)} mentors but only {have} "
            f"may be paired with it ({'; '.join(reasons)}).",
            shortfall=need - have, startups=(problem.startup_ids[i],),
            suggestions=(f"allow {need - have} more mentor(s) for it", f"lower its k to {have}")))
    if len(short) > 10:
        out.append(Diagnosis("mentors per startup", f"{len(short) - 10} more startups are short of mentors.",
                             shortfall=float(len(short) - 10)))

    demand, supply = int(problem.k_min.sum()), int(problem.capacity.sum())
    if demand > supply:
        n_s, n_m = problem.shape
        k_text = (f"k={int(problem.k_min[0])} each" if (problem.k_min == problem.k_min[0]).all()
                  else "their minimum k")
        out.append(Diagnosis(
            "total capacity",
            f"The {n_s} startups need {demand} mentor places ({k_text}); the {n_m} mentors offer "
            f"{supply} in all: {demand - supply} short.",
            shortfall=demand - supply,
            suggestions=(f"raise mentor capacity by {demand - supply} in all", "add mentors",
                         "lower k")))
    return out


def hall_violation(problem: Problem) -> Diagnosis | None:
    """The group of startups whose minimum demand their allowed mentors cannot meet, if any.

    Solves a maximum flow source → startup (k_min minus pins) → mentor (allowed pairs) → sink
    (capacity minus pins); the startups still reachable from the source in the residual graph form
    the group, and the unrouted demand is the shortfall.
    """
    n_s, n_m = problem.shape
    pins = problem.pinned
    demand = np.maximum(problem.k_min - pins.sum(axis=1), 0)
    supply = np.maximum(problem.capacity - pins.sum(axis=0), 0)
    rows, cols = np.nonzero(problem.allowed & ~pins & (supply > 0)[None, :])
    source, sink = n_s + n_m, n_s + n_m + 1
    s_idx, m_idx = np.arange(n_s), np.arange(n_m)
    tails = np.concatenate([np.full(n_s, source), rows, n_s + m_idx])
    heads = np.concatenate([s_idx, n_s + cols, np.full(n_m, sink)])
    caps = np.concatenate([demand, np.ones(len(rows), dtype=np.int64), supply]).astype(np.int32)
    graph = sp.csr_matrix((caps, (tails, heads)), shape=(n_s + n_m + 2,) * 2)
    result = maximum_flow(graph, source, sink)
    missing = int(demand.sum()) - int(result.flow_value)
    if missing <= 0:
        return None
    residual = graph - result.flow
    residual.data = np.where(residual.data > 0, 1, 0)
    residual.eliminate_zeros()
    reach = breadth_first_order(residual, source, directed=True, return_predecessors=False)
    group = np.sort(reach[reach < n_s])
    mentors = np.sort(reach[(reach >= n_s) & (reach < n_s + n_m)] - n_s)
    need = int(demand[group].sum())
    ids = problem.startup_ids[group]
    mentor_text = (f"mentors {_names(problem.mentor_ids[mentors])} are full" if len(mentors)
                   else "they have no allowed mentor left")
    return Diagnosis(
        "mentors per group of startups",
        f"Startups {_names(ids)} need {need} mentor places among them, but the mentors they may be "
        f"paired with can give them only {need - missing} ({mentor_text}): {missing} short.",
        shortfall=missing, startups=tuple(ids), mentors=tuple(problem.mentor_ids[mentors]),
        suggestions=(f"raise the capacity of those mentors by {missing}",
                     "allow more mentors for these startups (review conflicts and language rules)",
                     f"lower k for {missing} of these startups"))


def diagnose(problem: Problem) -> list[Diagnosis]:
    """Every reason found why ``problem`` has no feasible assignment (empty when none is found)."""
    found = counting_checks(problem)
    if found:
        return found
    hall = hall_violation(problem)
    return [hall] if hall else []
