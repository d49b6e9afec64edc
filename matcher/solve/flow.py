"""The ``flow`` backend: OR-Tools min-cost flow, built and read in whole arrays.

The network, read top to bottom:

* one node per startup, supplying ``k_max`` units (mentor places it may fill);
* one node per mentor, and a sink that takes every unit;
* startup → mentor, capacity 1 (a mentor at most once per startup), cost = −score;
* mentor → sink, capacity = the mentor's capacity;
* startup → sink ("unused place"), capacity ``k_max − k_min``, cost 0, so that at least
  ``k_min`` units go to mentors.

Pinned pairs are taken out first: they use up a place of the startup and of the mentor. The
constraint matrix is totally unimodular, so the integer flow is optimal among all assignments.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.errors import InfeasibleError, SolverError
from matcher.models import Assignment
from matcher.solve.diagnose import diagnose
from matcher.solve.problem import Problem
from matcher.solve.scaling import integer_scores

__all__ = ["FlowSolver", "solve_flow", "flow_on_edges"]


def solve_flow(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Optimal pairs of ``problem`` as (rows, cols) arrays, sorted; raises InfeasibleError.

    Examples
    --------
    >>> from matcher.solve.problem import make_problem
    >>> p = make_problem(np.array([[0.9, 0.1], [0.8, 0.7]]), k=1, capacity=1)
    >>> rows, cols = solve_flow(p)
    >>> cols.tolist()
    [0, 1]
    """
    pins = problem.pinned
    k_max = problem.k_max - pins.sum(axis=1)
    capacity = problem.capacity - pins.sum(axis=0)
    if (k_max < 0).any() or (capacity < 0).any():
        raise InfeasibleError(diagnose(problem))
    rows, cols = np.nonzero(problem.allowed & ~pins & (capacity > 0)[None, :] & (k_max > 0)[:, None])
    used = flow_on_edges(rows, cols, problem.scores[rows, cols],
                         k_min=problem.k_min - pins.sum(axis=1), k_max=k_max, capacity=capacity)
    if used is None:
        raise InfeasibleError(diagnose(problem) or "the flow network has no feasible routing")
    pin_rows, pin_cols = np.nonzero(pins)
    all_rows = np.concatenate([rows[used], pin_rows])
    all_cols = np.concatenate([cols[used], pin_cols])
    order = np.lexsort((all_cols, all_rows))
    return all_rows[order], all_cols[order]


def flow_on_edges(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, *, k_min: np.ndarray,
                  k_max: np.ndarray, capacity: np.ndarray) -> np.ndarray | None:
    """Which candidate pairs a maximum-weight assignment uses, or None when none exists.

    Parameters
    ----------
    rows, cols : int arrays of shape (n_edges,)
        Candidate pairs (startup position, mentor position); each may be used once.
    weights : float array of shape (n_edges,)
        Score of each candidate pair.
    k_min, k_max : int arrays of shape (n_startups,)
        Pairs each startup must / may take.
    capacity : int array of shape (n_mentors,)
        Pairs each mentor may take.

    Returns
    -------
    bool array of shape (n_edges,) or None
        True for the pairs of an optimal assignment; None when the rules cannot be met.
    """
    n_s, n_m = len(k_max), len(capacity)
    k_min = np.maximum(k_min, 0)
    costs = -integer_scores(weights, n_nodes=n_s + n_m + 1).ints
    sink = n_s + n_m
    spare = np.nonzero(k_max > k_min)[0]
    mentors = np.nonzero(capacity > 0)[0]

    flow = min_cost_flow.SimpleMinCostFlow()
    # startup -> mentor: each pair at most once, at the cost of minus its score
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        rows, n_s + cols, np.ones(len(rows), dtype=np.int64), costs)
    # mentor -> sink: at most the mentor's capacity
    flow.add_arcs_with_capacity_and_unit_cost(
        n_s + mentors, np.full(len(mentors), sink), capacity[mentors],
        np.zeros(len(mentors), dtype=np.int64))
    # startup -> sink: places left unused, so that between k_min and k_max go to mentors
    flow.add_arcs_with_capacity_and_unit_cost(
        spare, np.full(len(spare), sink), (k_max - k_min)[spare], np.zeros(len(spare), dtype=np.int64))
    flow.set_nodes_supplies(np.arange(n_s), k_max)
    flow.set_nodes_supplies(np.array([sink]), np.array([-int(k_max.sum())]))

    status = flow.solve()
    if status == flow.INFEASIBLE:
        return None
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status!r}")
    return flow.flows(pair_arcs) > 0


class FlowSolver:
    """Min-cost flow: exact and fast for k per startup, capacities, forbidden and pinned pairs."""

    name = "flow"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        return None

    def solve(self, problem: Problem, *, time_limit: float | None = None, seed: int = 0) -> Assignment:
        start = time.perf_counter()
        rows, cols = solve_flow(problem)
        scores = problem.scores[rows, cols]
        objective = float(scores.sum())
        return Assignment(
            rows=rows, cols=cols, startup_ids=problem.startup_ids, mentor_ids=problem.mentor_ids,
            scores=scores, objective=objective, bound=objective, status="optimal", solver=self.name,
            timings={"solve": time.perf_counter() - start})
