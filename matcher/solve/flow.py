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

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, SolverError
from matcher.solve.objective import load_penalty, make_assignment
from matcher.solve.problem import Problem
from matcher.solve.scaling import integer_scores

__all__ = ["FlowSolver", "solve_flow", "flow_on_edges"]


def solve_flow(
    problem: Problem, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal pairs of ``problem`` as (rows, cols) arrays, sorted; raises InfeasibleError.

    ``weights`` (shape (n_startups, n_mentors)) replaces the scores as the objective, e.g. scores
    scaled per startup by the fair solver; the rules stay those of ``problem``. Quotas must be
    disjoint mentor groups (:attr:`Problem.flow_groups`).

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.1], [0.8, 0.7]]), k=1, capacity=1)
    >>> rows, cols = solve_flow(p)
    >>> cols.tolist()
    [0, 1]
    """
    groups = problem.flow_groups
    if groups is None:
        raise SolverError("the flow backend needs quotas over disjoint mentor groups")
    pins = problem.pinned
    k_max = problem.k_max - pins.sum(axis=1)
    capacity = problem.capacity - pins.sum(axis=0)
    q_min, q_max = problem.quota_bounds()
    if len(problem.quotas):
        # A pinned mentor of a group counts toward that group's quota.
        pins_in = np.stack(
            [pins[:, groups == g].sum(axis=1) for g in range(len(problem.quotas))], axis=1
        )
        q_min, q_max = np.maximum(q_min - pins_in, 0), q_max - pins_in
    if (k_max < 0).any() or (capacity < 0).any() or (q_max < 0).any():
        raise InfeasibleError([])  # pins exceed k, a capacity or a quota
    load_min = None
    if problem.min_load is not None:
        load_min = np.maximum(problem.min_load - pins.sum(axis=0), 0)
    rows, cols = np.nonzero(
        problem.allowed & ~pins & (capacity > 0)[None, :] & (k_max > 0)[:, None]
    )
    values = problem.scores if weights is None else weights
    used = flow_on_edges(
        rows,
        cols,
        values[rows, cols],
        k_min=problem.k_min - pins.sum(axis=1),
        k_max=k_max,
        capacity=capacity,
        group=groups,
        group_min=q_min,
        group_max=q_max,
        load_min=load_min,
        load_penalty=problem.min_load_penalty,
        balance=problem.balance,
        load_base=pins.sum(axis=0),
    )
    if used is None:
        raise InfeasibleError([])
    pin_rows, pin_cols = np.nonzero(pins)
    all_rows = np.concatenate([rows[used], pin_rows])
    all_cols = np.concatenate([cols[used], pin_cols])
    order = np.lexsort((all_cols, all_rows))
    return all_rows[order], all_cols[order]


def flow_on_edges(
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    *,
    k_min: np.ndarray,
    k_max: np.ndarray,
    capacity: np.ndarray,
    group: np.ndarray | None = None,
    group_min: np.ndarray | None = None,
    group_max: np.ndarray | None = None,
    load_min: np.ndarray | None = None,
    load_penalty: float | None = None,
    balance: float = 0.0,
    load_base: np.ndarray | None = None,
) -> np.ndarray | None:
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
    group : int array of shape (n_mentors,), optional
        Disjoint mentor groups (-1: in no group).
    group_min, group_max : int arrays of shape (n_startups, n_groups), optional
        Mentors of each group each startup must / may take.
    load_min : int array of shape (n_mentors,), optional
        Pairs each mentor should take at least: hard when ``load_penalty`` is None, else each
        missing pair costs ``load_penalty``.
    balance : float
        Each mentor's u-th pair (counting ``load_base`` pairs made already) costs ``balance * u``.

    Returns
    -------
    bool array of shape (n_edges,) or None
        True for the pairs of an optimal assignment; None when the rules cannot be met.

    Notes
    -----
    Group quotas route each startup's places through one node per (startup, group); a quota's
    minimum and a hard minimum load are lower bounds on arcs, which min-cost flow lacks, so they
    become supplies: the startup-group node supplies ``group_min`` units itself, and the mentor
    node absorbs ``load_min``. Load penalties are convex in the load, so they are unit arcs of
    increasing cost.

    Examples
    --------
    >>> used = flow_on_edges(np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([0.9, 0.5, 0.4]),
    ...                      k_min=np.array([1, 1]), k_max=np.array([1, 1]),
    ...                      capacity=np.array([1, 1]))
    >>> used.tolist()
    [True, False, True]
    """
    n_s, n_m = len(k_max), len(capacity)
    k_min = np.maximum(k_min, 0)
    if group is None:
        group = np.full(n_m, -1, dtype=np.int64)
        group_min = group_max = np.zeros((n_s, 0), dtype=np.int64)
    n_g = group_min.shape[1] + 1  # the last group holds the mentors of no group
    label = np.where(group < 0, n_g - 1, group)
    g_min = np.concatenate([group_min, np.zeros((n_s, 1), dtype=np.int64)], axis=1)
    g_max = np.concatenate([np.minimum(group_max, k_max[:, None]), k_max[:, None]], axis=1)
    # Each startup supplies its places; the minimum of each group is supplied by the group node.
    s_supply = k_max - g_min.sum(axis=1)
    if (s_supply < 0).any() or (g_max < g_min).any():
        return None
    hard = (
        load_min
        if (load_min is not None and load_penalty is None)
        else np.zeros(n_m, dtype=np.int64)
    )
    soft = (
        load_min
        if (load_min is not None and load_penalty is not None)
        else np.zeros(n_m, dtype=np.int64)
    )
    base = np.zeros(n_m, dtype=np.int64) if load_base is None else load_base
    unit = balance > 0 or soft.any()

    g0 = n_s  # (startup, group) nodes
    m0 = g0 + n_s * n_g  # mentor nodes
    sink = m0 + n_m
    n_nodes = sink + 1
    extra = np.array(
        [load_penalty or 0.0, balance * (int(capacity.max(initial=0) + base.max(initial=0)) + 1)]
    )
    scaled = integer_scores(np.concatenate([weights, extra]), n_nodes=n_nodes)
    costs, penalty_int = -scaled.ints[: len(weights)], int(scaled.ints[-2])
    step = int(np.rint(balance * scaled.scale))
    spare = np.nonzero(k_max > k_min)[0]
    mentors = np.nonzero(capacity > 0)[0]
    zeros = np.zeros

    flow = min_cost_flow.SimpleMinCostFlow()
    # startup -> mentor (through the startup's node of the mentor's group): each pair at most once,
    # at the cost of minus its score
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        g0 + rows * n_g + label[cols], m0 + cols, np.ones(len(rows), dtype=np.int64), costs
    )
    # startup -> (startup, group): beyond the group's minimum, at most its maximum
    s_idx, g_idx = np.nonzero(g_max > g_min)
    flow.add_arcs_with_capacity_and_unit_cost(
        s_idx,
        g0 + s_idx * n_g + g_idx,
        (g_max - g_min)[s_idx, g_idx],
        zeros(len(s_idx), dtype=np.int64),
    )
    # startup -> sink: places left unused, so that between k_min and k_max go to mentors
    spare_cap = np.minimum(k_max - k_min, s_supply)[spare]
    flow.add_arcs_with_capacity_and_unit_cost(
        spare, np.full(len(spare), sink), spare_cap, zeros(len(spare), dtype=np.int64)
    )
    if not unit:
        # mentor -> sink: at most the mentor's capacity (a hard minimum load is absorbed at the
        # mentor)
        flow.add_arcs_with_capacity_and_unit_cost(
            m0 + mentors,
            np.full(len(mentors), sink),
            capacity[mentors] - hard[mentors],
            zeros(len(mentors), dtype=np.int64),
        )
    else:
        # mentor -> sink, one arc per place u beyond the hard minimum: costs rise with the load
        # (balance) and the first places up to a soft minimum earn the penalty back
        first = hard[mentors]
        counts = capacity[mentors] - first
        owner = np.repeat(mentors, counts)
        u = (
            np.arange(counts.sum())
            - np.repeat(np.cumsum(counts) - counts, counts)
            + np.repeat(first, counts)
            + 1
        )
        unit_cost = step * (u + base[owner]) - penalty_int * (u <= soft[owner])
        flow.add_arcs_with_capacity_and_unit_cost(
            m0 + owner, np.full(len(owner), sink), np.ones(len(owner), dtype=np.int64), unit_cost
        )
    flow.set_nodes_supplies(np.arange(n_s), s_supply)
    flow.set_nodes_supplies(g0 + np.arange(n_s * n_g), g_min.ravel())
    flow.set_nodes_supplies(m0 + np.arange(n_m), -hard)
    flow.set_nodes_supplies(np.array([sink]), np.array([-int(k_max.sum() - hard.sum())]))

    status = flow.solve()
    if status == flow.INFEASIBLE:
        return None
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status!r}")
    return flow.flows(pair_arcs) > 0


class FlowSolver:
    """Min-cost flow: exact and fast for k per startup, capacities, forbidden and pinned pairs,
    quotas over disjoint mentor groups, mentor minimum loads and load balancing."""

    name = "flow"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        if problem.objective != "total":
            return f"objective {problem.objective!r} is not a sum over pairs"
        if problem.flow_groups is None:
            named = [q.name for q in problem.quotas if q.per_startup]
            if named:
                return f"quota {named[0]!r} differs between startups"
            return "two quotas share a mentor"
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        start = time.perf_counter()
        rows, cols = solve_flow(problem)
        scores = problem.scores[rows, cols]
        objective = float(scores.sum()) - load_penalty(problem, cols)
        return make_assignment(problem, rows, cols, solver=self.name, status="optimal",
                               bound=objective, objective=objective, scores=scores,
                               timings={"solve": time.perf_counter() - start})
