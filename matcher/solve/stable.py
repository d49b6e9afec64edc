"""The ``stable`` backends: many-to-many deferred acceptance (Gale–Shapley).

Each startup wants up to ``k_max`` distinct mentors and each mentor takes up to its capacity. In
startup-proposing deferred acceptance every startup with a free place proposes to its best mentor
not yet asked; a mentor holds its best proposals up to capacity and rejects the rest; this repeats
until no startup with a free place has anyone left to ask. Mentor-proposing is the same with the
roles exchanged. The result has no blocking pair: no startup and mentor who both prefer each other to
one of their partners (or have a free place). Among stable assignments, the proposing side gets its
best one.

Without stated preferences both sides rank by score (ties broken by position, so the result is
deterministic). Stated preferences are passed as utility matrices (higher is preferred): see
:func:`matcher.data.preferences.preference_utilities`.

Stability usually costs total score, so the :class:`~matcher.data.models.Assignment` carries as
``bound`` the flow optimum of the same problem: its ``gap`` is what stability costs.
"""

from __future__ import annotations

import heapq
import time
from collections import deque

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import Diagnosis, InfeasibleError, InputError, InputProblem
from matcher.solve.objective import make_assignment
from matcher.solve.problem import Problem

__all__ = ["StableSolver", "deferred_acceptance", "preference_order"]

PROPOSING = ("startups", "mentors")

#: The fields of a Problem deferred acceptance understands.
def preference_order(utility: np.ndarray, acceptable: np.ndarray) -> list[np.ndarray]:
    """Each row's acceptable columns, best first; ties go to the lower column position.

    Examples
    --------
    >>> u = np.array([[0.2, 0.9, 0.2], [0.5, 0.5, 0.1]])
    >>> [o.tolist() for o in preference_order(u, np.array([[True, True, True], [True, False, True]]))]
    [[1, 0, 2], [0, 2]]
    """
    n, m = utility.shape
    # lexsort: last key first; sort by -utility, then by column position
    cols = np.broadcast_to(np.arange(m), (n, m))
    order = np.lexsort((cols, -utility), axis=-1)
    keep = np.take_along_axis(acceptable, order, axis=1)
    return [order[i][keep[i]] for i in range(n)]


def _rank_matrix(utility: np.ndarray) -> np.ndarray:
    """rank[r, p]: position of proposer p in receiver r's order (0 = best); ties by position."""
    n, m = utility.shape
    order = np.lexsort((np.broadcast_to(np.arange(m), (n, m)), -utility), axis=-1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(m)[None, :].repeat(n, axis=0), axis=1)
    return rank


def deferred_acceptance(proposer_utility: np.ndarray, receiver_utility: np.ndarray,
                        acceptable: np.ndarray, proposer_slots: np.ndarray,
                        receiver_slots: np.ndarray) -> tuple[np.ndarray, int]:
    """Many-to-many deferred acceptance; returns the boolean match matrix and the proposal count.

    Parameters
    ----------
    proposer_utility : array of shape (n_proposers, n_receivers)
        How much each proposer likes each receiver (higher is better).
    receiver_utility : array of shape (n_receivers, n_proposers)
        How much each receiver likes each proposer.
    acceptable : bool array of shape (n_proposers, n_receivers)
        Pairs that may be made (both sides find each other acceptable).
    proposer_slots, receiver_slots : int arrays
        Places each proposer fills at most, places each receiver holds at most.

    Returns
    -------
    matched : bool array of shape (n_proposers, n_receivers)
    proposals : int
        Proposals made; at most the number of acceptable pairs, as nobody proposes twice.

    Examples
    --------
    >>> u = np.array([[0.9, 0.8], [0.7, 0.1]])
    >>> matched, _ = deferred_acceptance(u, u.T, np.ones((2, 2), bool), np.array([1, 1]), np.array([1, 1]))
    >>> matched.astype(int).tolist()
    [[1, 0], [0, 1]]
    """
    n_p, n_r = acceptable.shape
    orders = preference_order(proposer_utility, acceptable)
    rank = _rank_matrix(receiver_utility)
    nxt = np.zeros(n_p, dtype=np.int64)             # next position in each proposer's list
    free = np.asarray(proposer_slots, dtype=np.int64).copy()
    cap = np.asarray(receiver_slots, dtype=np.int64)
    held: list[list[tuple[int, int]]] = [[] for _ in range(n_r)]  # max-heap of (-rank, proposer)
    queue = deque(p for p in range(n_p) if free[p] > 0 and len(orders[p]))
    proposals = 0
    while queue:
        p = queue.popleft()
        # propose until the free places are all held or the list runs out
        while free[p] > 0 and nxt[p] < len(orders[p]):
            r = int(orders[p][nxt[p]])
            nxt[p] += 1
            proposals += 1
            if cap[r] <= 0:
                continue
            heap = held[r]
            entry = (-int(rank[r, p]), p)
            if len(heap) < cap[r]:
                heapq.heappush(heap, entry)
                free[p] -= 1
            elif entry > heap[0]:  # p ranks better than the worst one held: swap them
                _, loser = heapq.heapreplace(heap, entry)
                free[p] -= 1
                free[loser] += 1
                queue.append(loser)
    matched = np.zeros((n_p, n_r), dtype=bool)
    for r, heap in enumerate(held):
        for _, p in heap:
            matched[p, r] = True
    return matched, proposals


class StableSolver:
    """Deferred acceptance as a :class:`~matcher.solve.registry.Solver` backend.

    Parameters
    ----------
    proposing : {"startups", "mentors"}
        The side that proposes, and gets its best stable assignment.
    startup_utility, mentor_utility : arrays of shape (n_startups, n_mentors), optional
        Stated preferences (higher is preferred); the scores when not given.
    name : str, optional
        Registry name; ``"stable"`` for startup-proposing, ``"stable-mentors"`` otherwise.

    Notes
    -----
    Pinned pairs are made first and use a place on both sides; they take no part in the proposals,
    so stability holds among the pairs that are free to change. Every stable assignment gives each
    startup the same number of mentors (the "rural hospitals" theorem), so when a startup ends below
    its minimum k no stable assignment meets the rules and :class:`~matcher.errors.InfeasibleError`
    names the startups short of mentors.

    Examples
    --------
    >>> import matcher
    >>> scores = np.array([[0.9, 0.8], [0.85, 0.1]])
    >>> a = matcher.assign(scores, k=1, capacity=1, solver="stable")
    >>> a.pairs[["startup_id", "mentor_id"]].values.tolist(), a.status
    ([[0, 0], [1, 1]], 'feasible')
    >>> round(a.objective, 2), round(a.bound, 2)
    (1.0, 1.65)
    """

    def __init__(self, *, proposing: str = "startups", startup_utility: np.ndarray | None = None,
                 mentor_utility: np.ndarray | None = None, name: str | None = None):
        if proposing not in PROPOSING:
            raise InputError([InputProblem("argument 'proposing'", None, None,
                                           f"is {proposing!r}", "use 'startups' or 'mentors'")])
        self.proposing = proposing
        self.startup_utility = startup_utility
        self.mentor_utility = mentor_utility
        self.name = name or ("stable" if proposing == "startups" else "stable-mentors")

    def unsupported(self, problem: Problem) -> str | None:
        """Why deferred acceptance cannot express ``problem``; None when it can.

        It handles k (a range), capacities, forbidden and pinned pairs. Rules over groups of pairs
        (quotas, fairness) are not preferences and have no stable counterpart here: any other
        field of the problem that is not at its default is refused by name, so a rule added to
        :class:`~matcher.solve.problem.Problem` later is never silently ignored.
        """
        for name in problem.side_rules():
            return f"deferred acceptance cannot express the rule {name!r}"
        for name, utility in (("startup_utility", self.startup_utility),
                              ("mentor_utility", self.mentor_utility)):
            if utility is not None and np.shape(utility) != problem.shape:
                return f"{name} has shape {np.shape(utility)}, the scores {problem.shape}"
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        """Deferred acceptance on ``problem``; the bound is the best total (from the flow backend)."""
        start = time.perf_counter()
        su, mu = problem.rankings if problem.rankings is not None else (problem.scores, problem.scores)
        su = su if self.startup_utility is None else np.asarray(self.startup_utility, float)
        mu = mu if self.mentor_utility is None else np.asarray(self.mentor_utility, float)
        pins = problem.pinned
        k_left = problem.k_max - pins.sum(axis=1)
        cap_left = problem.capacity - pins.sum(axis=0)
        if (k_left < 0).any() or (cap_left < 0).any():
            raise InfeasibleError([])  # pins exceed k or a capacity
        acceptable = problem.allowed & ~pins
        if self.proposing == "startups":
            matched, proposals = deferred_acceptance(su, mu.T, acceptable, k_left, cap_left)
        else:
            matched_t, proposals = deferred_acceptance(mu.T, su, acceptable.T, cap_left, k_left)
            matched = matched_t.T
        matched |= pins
        short = np.nonzero(matched.sum(axis=1) < problem.k_min)[0]
        if len(short):
            ids = [str(problem.startup_ids[i]) for i in short]
            raise InfeasibleError([Diagnosis(
                "stability",
                f"No stable assignment gives {len(ids)} startup(s) their minimum number of mentors: "
                f"{', '.join(ids[:6])}{' …' if len(ids) > 6 else ''}. The mentors they may have all "
                "prefer the startups they hold.",
                shortfall=float((problem.k_min[short] - matched[short].sum(axis=1)).sum()),
                startups=tuple(problem.startup_ids[short]),
                suggestions=("lower k", "raise mentor capacities",
                             "use solver='flow', which does not require stability"))])
        solved = time.perf_counter()
        rows, cols = np.nonzero(matched)
        scores = problem.scores[rows, cols]
        objective = float(scores.sum())
        bound = _flow_bound(problem, objective)
        status = "optimal" if objective >= bound - 1e-9 * max(1.0, abs(bound)) else "feasible"
        return make_assignment(
            problem, rows, cols, solver=self.name, status=status, bound=max(bound, objective),
            objective=objective, scores=scores,
            timings={"solve": solved - start, "bound": time.perf_counter() - solved},
            info={"proposing": self.proposing, "proposals": proposals,
                  "preferences": "stated" if problem.rankings is not None
                  or self.startup_utility is not None or self.mentor_utility is not None
                  else "scores"})


def _flow_bound(problem: Problem, objective: float) -> float:
    """The best total any assignment can reach (the flow optimum): an upper bound for stability."""
    from matcher.solve.flow import solve_flow

    try:
        rows, cols = solve_flow(problem)
    except InfeasibleError:  # cannot happen when a stable assignment meets the rules; be safe
        return objective
    return float(problem.scores[rows, cols].sum())
