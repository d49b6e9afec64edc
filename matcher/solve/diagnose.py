"""Why rules cannot all hold, in words and numbers.

:func:`diagnose` goes from cheap to costly. The counting checks come first
(``matcher.solve.counting``: pins against k and capacity, each startup's allowed mentors after
conflicts and history, each quota group's demand against its mentors' capacity, each startup's
quota and coverage, mentors' minimum loads, total demand against total capacity); when those pass
but the flow still cannot be routed, a minimum cut names the group of startups whose demand their
allowed mentors cannot meet (Hall's condition, :func:`hall_violation`), with the shortfall. When
even that finds nothing, CP-SAT with one assumption literal per rule finds a small set of rules
that cannot hold together (:func:`conflicting_rules`).

``counting_checks`` and ``quota_checks`` are imported here too, so ``matcher.solve.diagnose``
stays the one place to import every diagnosis from.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from matcher.errors import Diagnosis
from matcher.solve.counting import counting_checks, quota_checks
from matcher.solve.problem import Problem
from matcher.solve.reasons import listed

__all__ = ["counting_checks", "quota_checks", "hall_violation", "conflicting_rules", "diagnose"]


def hall_violation(problem: Problem) -> Diagnosis | None:
    """The group of startups whose minimum demand their allowed mentors cannot meet, if any.

    Solves a maximum flow source → startup (k_min minus pins) → mentor (allowed pairs) → sink
    (capacity minus pins); the startups still reachable from the source in the residual graph form
    the group, and the unrouted demand is the shortfall.
    """
    # only an infeasible problem gets here: every solve would pay ~0.1 s for csgraph at import
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

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
        f"mentors {listed(problem.mentor_ids[mentors])} are full"
        if len(mentors)
        else "they have no allowed mentor left"
    )
    return Diagnosis(
        "mentors per group of startups",
        f"Startups {listed(ids)} need {need} mentor places among them, but the mentors they may be "
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
