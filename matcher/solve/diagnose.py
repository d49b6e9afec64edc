"""Why rules cannot all hold, in words and numbers.

Cheap counting checks run before any solver (pins against k and capacity, each startup's allowed
mentors after conflicts and history, each quota group's demand against its mentors' capacity, each
startup's quota and coverage, mentors' minimum loads, total demand against total capacity); when
those pass but the flow still cannot be routed, a minimum cut names the group of startups whose
demand their allowed mentors cannot meet (Hall's condition), with the shortfall. When even that
finds nothing, CP-SAT with one assumption literal per rule finds a small set of rules that cannot
hold together (:func:`conflicting_rules`).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from matcher.errors import Diagnosis
from matcher.solve.problem import Problem, pair_positions_of

__all__ = ["counting_checks", "quota_checks", "hall_violation", "conflicting_rules", "diagnose"]


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
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((4, 2)), k=2, capacity=3)
    >>> print(counting_checks(p)[0].message)
    The 4 startups need 8 mentor places (k=2 each); the 2 mentors offer 6 in all: 2 short.
    """
    if not problem.is_dense:
        return _sparse_counting_checks(problem)
    out: list[Diagnosis] = []
    pinned, forbidden = problem.pinned, problem.forbidden
    both = pinned & forbidden
    if both.any():
        rows, cols = np.nonzero(both)
        ids = zip(problem.startup_ids[rows], problem.mentor_ids[cols], strict=True)
        pairs = [f"({s}, {m})" for s, m in ids]
        out.append(
            Diagnosis(
                "pinned vs forbidden",
                f"{len(pairs)} pair(s) are both pinned and forbidden: {_names(pairs)}.",
                shortfall=len(pairs),
                suggestions=("remove the pin or the conflict for each such pair",),
            )
        )

    pins_per_startup = pinned.sum(axis=1)
    over = np.nonzero(pins_per_startup > problem.k_max)[0]
    for i in over[:10]:
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

    pins_per_mentor = pinned.sum(axis=0)
    over = np.nonzero(pins_per_mentor > problem.capacity)[0]
    for j in over[:10]:
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

    available = (problem.allowed | pinned).sum(axis=1)
    short = np.nonzero(available < problem.k_min)[0]
    for i in short[:10]:
        need, have = int(problem.k_min[i]), int(available[i])
        reasons = _why_not(problem, i, np.ones(problem.shape[1], dtype=bool))
        out.append(
            Diagnosis(
                "mentors per startup",
                f"Startup {problem.startup_label(i)} needs {_k_text(problem, i)} mentors but only "
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
    if len(short) > 10:
        out.append(
            Diagnosis(
                "mentors per startup",
                f"{len(short) - 10} more startups are short of mentors.",
                shortfall=float(len(short) - 10),
            )
        )

    demand, supply = int(problem.k_min.sum()), int(problem.capacity.sum())
    if demand > supply:
        n_s, n_m = problem.shape
        k_text = (
            f"k={int(problem.k_min[0])} each"
            if (problem.k_min == problem.k_min[0]).all()
            else "their minimum k"
        )
        out.append(
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
        )
    out += quota_checks(problem)
    return out


def _why_not(problem: Problem, i: int, among: np.ndarray) -> list[str]:
    """Why mentors of ``among`` may not be paired with startup ``i``: counts by reason."""
    repeats = (
        problem.repeats[i]
        if problem.repeats is not None
        else np.zeros(problem.shape[1], dtype=bool)
    )
    reasons = []
    n_repeat = int((repeats & among).sum())
    n_forbidden = int((problem.forbidden[i] & ~repeats & among).sum())
    full = int(((problem.capacity == 0) & among & ~problem.forbidden[i]).sum())
    reasons.append(f"{n_forbidden} forbidden (conflicts, language or rules)")
    if n_repeat:
        reasons.append(f"{n_repeat} already paired with it in an earlier cohort")
    if full:
        reasons.append(f"{full} with no capacity")
    return reasons


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
    for i in np.nonzero(pins_s > k_max)[0][:10]:
        out.append(Diagnosis("pinned vs k", f"Startup {startup_ids[i]} has {pins_s[i]} pinned mentors "
                             f"but takes at most {k_max[i]}.", shortfall=int(pins_s[i] - k_max[i]),
                             startups=(startup_ids[i],)))
    for j in np.nonzero(pins_m > capacity)[0][:10]:
        out.append(Diagnosis("pinned vs capacity", f"Mentor {mentor_ids[j]} is pinned to {pins_m[j]} "
                             f"startups but has capacity {capacity[j]}.",
                             shortfall=int(pins_m[j] - capacity[j]), mentors=(mentor_ids[j],)))
    open_cols = capacity > 0
    f_open = open_cols[forbidden[1]]
    available = int(open_cols.sum()) - np.bincount(forbidden[0][f_open], minlength=n_s)
    available = np.maximum(available, pins_s)
    for i in np.nonzero(available < k_min)[0][:10]:
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
    n_s, n_m = problem.shape
    allowed = problem.allowed | problem.pinned
    out = _capped_supply(problem)
    for quota in problem.quotas:
        name = quota.name
        rule = "coverage" if name == "coverage" else f"{name} quota"
        members = quota.mask(n_s)
        if not quota.per_startup:
            # The group's mentors must offer the places the startups' minimums need.
            need, offer = int(quota.min.sum()), int(problem.capacity[quota.members].sum())
            if need > offer:
                short = need - offer
                relax = (
                    f"relax the {name} quota for {short} startups"
                    if quota.min.max() <= 1
                    else f"lower the {name} minimum by {short} places in all"
                )
                out.append(
                    Diagnosis(
                        rule,
                        f"The {int((quota.min > 0).sum())} startups need {need} {name} mentor "
                        "places; "
                        f"the {int(quota.members.sum())} {name} mentors offer {offer}: {short} "
                        "short.",
                        shortfall=short,
                        mentors=tuple(problem.mentor_ids[quota.members]),
                        suggestions=(f"raise {name} capacity by {short}", relax),
                    )
                )
        # A startup's minimum of the group must fit in its k.
        for i in np.nonzero(quota.min > np.minimum(quota.max, problem.k_max))[0][:10]:
            most = int(min(quota.max[i], problem.k_max[i]))
            out.append(
                Diagnosis(
                    rule,
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
        # Each startup needs enough allowed mentors of the group.
        have = (allowed & members).sum(axis=1)
        for i in np.nonzero(have < quota.min)[0][:10]:
            need = int(quota.min[i])
            group_size = int(members[i].sum())
            if name == "coverage":
                text = (
                    f"Startup {problem.startup_label(i)} needs a mentor who covers its primary "
                    "domain; "
                    + (
                        "no mentor covers it"
                        if group_size == 0
                        else f"the {group_size} who do may not be paired with it "
                        f"({'; '.join(_why_not(problem, i, members[i]))})"
                    )
                    + "."
                )
                fixes = (
                    "add a mentor in its domain",
                    "allow one of the mentors who cover it",
                    "turn coverage off",
                )
            else:
                text = (
                    f"Startup {problem.startup_label(i)} needs at least {need} {name} mentor(s) "
                    "but only "
                    f"{int(have[i])} of the {group_size} {name} mentors may be paired with it "
                    f"({'; '.join(_why_not(problem, i, members[i]))})."
                )
                fixes = (
                    f"allow {need - int(have[i])} more {name} mentor(s) for it",
                    f"relax the {name} quota for it",
                )
            out.append(
                Diagnosis(
                    rule,
                    text,
                    shortfall=need - int(have[i]),
                    startups=(problem.startup_ids[i],),
                    suggestions=fixes,
                )
            )
    groups = problem.flow_groups
    if problem.quotas and groups is not None:
        # Disjoint groups: the minimums must fit in k_max, the maximums must reach k_min.
        q_min, q_max = problem.quota_bounds()
        outside = (allowed & (groups < 0)[None, :]).sum(axis=1)
        per_group = np.stack(
            [(allowed & (groups == g)[None, :]).sum(axis=1) for g in range(len(problem.quotas))],
            axis=1,
        )
        reach = np.minimum(q_max, per_group).sum(axis=1) + outside
        names = " + ".join(q.name for q in problem.quotas)
        for i in np.nonzero(q_min.sum(axis=1) > problem.k_max)[0][:10]:
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
        for i in np.nonzero(reach < problem.k_min)[0][:10]:
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
    if problem.min_load is not None and problem.min_load_penalty is None:
        # Hard minimum loads: the startups must take enough places, from mentors they may have.
        need, take = int(problem.min_load.sum()), int(problem.k_max.sum())
        if need > take:
            out.append(
                Diagnosis(
                    "minimum load",
                    f"The mentors' minimum loads add up to {need} places but the {n_s} "
                    f"startups take at most {take} in all: {need - take} short.",
                    shortfall=need - take,
                    suggestions=(
                        f"lower the minimum load by {need - take} places in all",
                        "raise k",
                        "make the minimum load soft",
                    ),
                )
            )
        may = allowed.sum(axis=0)
        for j in np.nonzero(may < problem.min_load)[0][:10]:
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
    mentor_text = (
        f"mentors {_names(problem.mentor_ids[mentors])} are full"
        if len(mentors)
        else "they have no allowed mentor left"
    )
    return Diagnosis(
        "mentors per group of startups",
        f"Startups {_names(ids)} need {need} mentor places among them, but the mentors they may be "
        f"paired with can give them only {need - missing} ({mentor_text}): {missing} short.",
        shortfall=missing,
        startups=tuple(ids),
        mentors=tuple(problem.mentor_ids[mentors]),
        suggestions=(
            f"raise the capacity of those mentors by {missing}",
            "allow more mentors for these startups (review conflicts and language rules)",
            f"lower k for {missing} of these startups",
        ),
    )


def _describe(problem: Problem, rule: str) -> str:
    """One rule in words with its numbers, for the list of conflicting rules."""
    n_s, n_m = problem.shape
    allowed = problem.allowed | problem.pinned
    if rule == "k":
        return (
            f"k: the {n_s} startups need at least {int(problem.k_min.sum())} mentor places "
            f"(at most {int(problem.k_max.sum())})"
        )
    if rule == "capacity":
        return f"capacity: the {n_m} mentors offer {int(problem.capacity.sum())} places"
    if rule == "pinned":
        return f"pinned pairs: {int(problem.pinned.sum())} pairs must be made"
    if rule == "forbidden":
        n = int(problem.forbidden.sum())
        return f"forbidden pairs: {n} pairs may not be made (conflicts, language, rules)"
    if rule == "history":
        return f"history: {int(problem.repeats.sum())} pairs of earlier cohorts may not be repeated"
    if rule == "min load":
        return f"minimum load: mentors must take {int(problem.min_load.sum())} places in all"
    for quota in problem.quotas:
        if quota.name == rule:
            members = quota.mask(n_s)
            need, most = int(quota.min.sum()), int(quota.max.sum())
            offer = int(np.minimum((allowed & members).sum(axis=0), problem.capacity).sum())
            what = "coverage" if rule == "coverage" else f"{rule} quota"
            return (
                f"{what}: startups need at least {need} places from its mentors (at most {most}); "
                f"those mentors offer up to {offer}"
            )
    return rule


def conflicting_rules(
    problem: Problem, *, time_limit: float = 10.0, seed: int = 0
) -> Diagnosis | None:
    """A small set of rules that cannot hold together, found with CP-SAT assumption literals.

    Each rule family (k, capacity, pins, conflicts, history, each quota, coverage, minimum load) is
    enforced by one literal; CP-SAT returns a subset of literals that is infeasible on its own, and
    dropping rules one at a time while the rest stays infeasible makes it minimal (time allowing).
    None when CP-SAT finds the rules feasible or runs out of time.
    """
    from ortools.sat.python import cp_model

    from matcher.solve.cpsat_model import build_model, run_cpsat

    start = time.perf_counter()
    candidates = (problem.capacity > 0)[None, :] | problem.pinned
    candidates = np.broadcast_to(candidates, problem.shape).copy()
    if problem.k_max.max(initial=0) == 0:
        candidates[:] = False

    def infeasible(names: list[str]) -> tuple[bool, list[str]]:
        parts = build_model(problem, candidates, enforce=True)
        chosen = [parts.literals[n] for n in names if n in parts.literals]
        left = time_limit - (time.perf_counter() - start)
        if left <= 0.05:
            return False, names
        solver, status = run_cpsat(
            parts, time_limit=left, seed=seed, num_workers=1, assumptions=chosen
        )
        if status != cp_model.INFEASIBLE:
            return False, names
        core = {int(v) for v in solver.sufficient_assumptions_for_infeasibility()}
        return True, [n for n in names if parts.literals[n].index in core]

    everything = list(build_model(problem, candidates, enforce=True).literals)
    found, core = infeasible(everything)
    if not found:
        return None
    for name in list(core):
        if len(core) == 1:
            break
        still, smaller = infeasible([n for n in core if n != name])
        if still:
            core = smaller
    words = [_describe(problem, name) for name in core]
    return Diagnosis(
        "conflicting rules",
        "These rules cannot all hold together: " + "; ".join(words) + ".",
        shortfall=float(len(core)),
        suggestions=tuple(f"relax {name}" for name in core),
    )


def diagnose(problem: Problem, *, time_limit: float = 10.0) -> list[Diagnosis]:
    """Every reason found why ``problem`` has no feasible assignment (empty when none is found).

    Counting checks first, then Hall's condition by a minimum cut, then (for rules beyond k,
    capacity, pins and conflicts) a set of conflicting rules from CP-SAT within ``time_limit``.
    """
    found = counting_checks(problem)
    if found or not problem.is_dense:
        return found  # beyond counting, vector problems are diagnosed by the pruned search itself
    hall = hall_violation(problem)
    if hall:
        return [hall]
    extra = problem.quotas or (problem.min_load is not None and problem.min_load_penalty is None)
    if extra:
        core = conflicting_rules(problem, time_limit=time_limit)
        if core:
            return [core]
    return []
