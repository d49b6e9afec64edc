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
from dataclasses import dataclass

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
    left = _left_after_pins(problem, groups)
    if left is None:
        raise InfeasibleError([])  # pins exceed k, a capacity or a quota
    rows, cols = np.nonzero(
        problem.allowed & ~pins & (left.capacity > 0)[None, :] & (left.k_max > 0)[:, None]
    )
    values = problem.scores if weights is None else weights
    used = flow_on_edges(
        rows,
        cols,
        values[rows, cols],
        k_min=left.k_min,
        k_max=left.k_max,
        capacity=left.capacity,
        group=groups,
        group_min=left.group_min,
        group_max=left.group_max,
        load_min=left.load_min,
        load_penalty=problem.min_load_penalty,
        balance=problem.balance,
        load_base=left.load_base,
    )
    if used is None:
        raise InfeasibleError([])
    return _with_pins(rows[used], cols[used], pins)


@dataclass(frozen=True)
class _Left:
    """What the rules leave to route once the pinned pairs are made (arrays as in flow_on_edges)."""

    k_min: np.ndarray
    k_max: np.ndarray
    capacity: np.ndarray
    group_min: np.ndarray
    group_max: np.ndarray
    load_min: np.ndarray | None
    load_base: np.ndarray


def _left_after_pins(problem: Problem, groups: np.ndarray) -> _Left | None:
    """Each rule less what the pins use up of it; None when pins exceed k, a capacity or a quota."""
    pins = problem.pinned
    pins_per_startup, pins_per_mentor = pins.sum(axis=1), pins.sum(axis=0)
    k_max = problem.k_max - pins_per_startup
    capacity = problem.capacity - pins_per_mentor
    q_min, q_max = problem.quota_bounds()
    if len(problem.quotas):
        # A pinned mentor of a group counts toward that group's quota.
        pins_in = np.stack(
            [pins[:, groups == g].sum(axis=1) for g in range(len(problem.quotas))], axis=1
        )
        q_min, q_max = np.maximum(q_min - pins_in, 0), q_max - pins_in
    if (k_max < 0).any() or (capacity < 0).any() or (q_max < 0).any():
        return None
    load_min = None
    if problem.min_load is not None:
        load_min = np.maximum(problem.min_load - pins_per_mentor, 0)
    return _Left(problem.k_min - pins_per_startup, k_max, capacity, q_min, q_max, load_min,
                 load_base=pins_per_mentor)


def _with_pins(rows: np.ndarray, cols: np.ndarray,
               pins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The routed pairs and the pinned ones together, sorted by row then column."""
    pin_rows, pin_cols = np.nonzero(pins)
    all_rows = np.concatenate([rows, pin_rows])
    all_cols = np.concatenate([cols, pin_cols])
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
    pair_capacity: int = 1,
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
    pair_capacity : int
        Units each pair may carry. Above 1, the answer is the flow on each pair (an int array),
        not a mask: the LP of the randomised objective is this network in units of ``1 / whole``
        (:mod:`matcher.solve.randomised`).

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
    n_m = len(capacity)
    k_min = np.maximum(k_min, 0)
    label, g_min, g_max = _group_limits(k_max, n_m, group, group_min, group_max)
    # Each startup supplies its places; the minimum of each group is supplied by the group node.
    s_supply = k_max - g_min.sum(axis=1)
    if (s_supply < 0).any() or (g_max < g_min).any():
        return None
    hard, soft = _hard_and_soft(load_min, load_penalty, n_m)
    base = np.zeros(n_m, dtype=np.int64) if load_base is None else load_base
    nodes = _Nodes(len(k_max), g_min.shape[1], n_m)
    costs, penalty, step = _integer_costs(weights, load_penalty, balance, capacity, base, nodes)

    flow = min_cost_flow.SimpleMinCostFlow()
    # startup -> mentor (through the startup's node of the mentor's group): each pair at most once,
    # at the cost of minus its score
    pair_arcs = _add_arcs(flow, nodes.startup_group(rows, label[cols]), nodes.mentor(cols),
                          pair_capacity, costs)
    # startup -> (startup, group): beyond the group's minimum, at most its maximum
    s_idx, g_idx = np.nonzero(g_max > g_min)
    _add_arcs(flow, s_idx, nodes.startup_group(s_idx, g_idx), (g_max - g_min)[s_idx, g_idx], 0)
    # startup -> sink: places left unused, so that between k_min and k_max go to mentors
    spare = np.nonzero(k_max > k_min)[0]
    _add_arcs(flow, spare, nodes.sink, np.minimum(k_max - k_min, s_supply)[spare], 0)
    mentors = np.nonzero(capacity > 0)[0]
    if not (balance > 0 or soft.any()):
        # mentor -> sink: at most the mentor's capacity (a hard minimum load is absorbed at the
        # mentor)
        _add_arcs(flow, nodes.mentor(mentors), nodes.sink, capacity[mentors] - hard[mentors], 0)
    else:
        # mentor -> sink, one arc per place u beyond the hard minimum: costs rise with the load
        # (balance) and the first places up to a soft minimum earn the penalty back
        owner, u = _places_beyond(mentors, first=hard[mentors], last=capacity[mentors])
        unit_cost = step * (u + base[owner]) - penalty * (u <= soft[owner])
        _add_arcs(flow, nodes.mentor(owner), nodes.sink, 1, unit_cost)
    _set_supplies(flow, nodes, s_supply, g_min, hard, k_max)

    status = flow.solve()
    if status == flow.INFEASIBLE:
        return None
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status!r}")
    return flow.flows(pair_arcs) if pair_capacity != 1 else flow.flows(pair_arcs) > 0


@dataclass(frozen=True)
class _Nodes:
    """Node numbers of the network: startups, (startup, group) pairs, mentors, then the sink.

    ``n_groups`` counts every group of a startup, the one of the mentors in no group included.
    """

    n_startups: int
    n_groups: int
    n_mentors: int

    def startup_group(self, startup, group):
        return self.n_startups + startup * self.n_groups + group

    @property
    def startup_groups(self) -> np.ndarray:
        """Every (startup, group) node, startup by startup."""
        return np.arange(self.n_startups, self.mentor(0))

    def mentor(self, mentor):
        return self.n_startups * (1 + self.n_groups) + mentor

    @property
    def sink(self) -> int:
        return self.mentor(self.n_mentors)

    @property
    def count(self) -> int:
        return self.sink + 1


def _add_arcs(flow, tails, heads, capacities, unit_costs) -> np.ndarray:
    """One family of arcs in one vectorised call; a scalar is repeated along the tails."""
    n = len(tails)

    def column(value):
        if np.ndim(value) == 0:
            return np.full(n, value, dtype=np.int64)
        return np.asarray(value, dtype=np.int64)

    return flow.add_arcs_with_capacity_and_unit_cost(
        tails, column(heads), column(capacities), column(unit_costs)
    )


def _group_limits(k_max, n_mentors, group, group_min, group_max):
    """(group label of each mentor, per-startup minimum and maximum of each group).

    The mentors of no group form one more group, with no minimum and ``k_max`` as maximum; a
    group's maximum never exceeds ``k_max``.
    """
    n_s = len(k_max)
    if group is None:
        group = np.full(n_mentors, -1, dtype=np.int64)
        group_min = group_max = np.zeros((n_s, 0), dtype=np.int64)
    n_g = group_min.shape[1] + 1  # the last group holds the mentors of no group
    label = np.where(group < 0, n_g - 1, group)
    g_min = np.concatenate([group_min, np.zeros((n_s, 1), dtype=np.int64)], axis=1)
    g_max = np.concatenate([np.minimum(group_max, k_max[:, None]), k_max[:, None]], axis=1)
    return label, g_min, g_max


def _hard_and_soft(load_min, load_penalty, n_mentors) -> tuple[np.ndarray, np.ndarray]:
    """The minimum loads that must hold and those that earn a penalty when missed (else zeros)."""
    none = np.zeros(n_mentors, dtype=np.int64)
    if load_min is None:
        return none, none
    return (load_min, none) if load_penalty is None else (none, load_min)


def _integer_costs(weights, load_penalty, balance, capacity, base, nodes):
    """(pair costs, load penalty, balance step per place), all on the one integer scale.

    The penalty and the costliest balance step are scaled with the scores, so the scale leaves
    room for the largest cost the network can carry.
    """
    extra = np.array(
        [load_penalty or 0.0, balance * (int(capacity.max(initial=0) + base.max(initial=0)) + 1)]
    )
    scaled = integer_scores(np.concatenate([weights, extra]), n_nodes=nodes.count)
    costs, penalty = -scaled.ints[: len(weights)], int(scaled.ints[-2])
    return costs, penalty, int(np.rint(balance * scaled.scale))


def _places_beyond(mentors, first, last) -> tuple[np.ndarray, np.ndarray]:
    """(mentor, place number) of every place ``first + 1 .. last`` of each mentor, in order.

    Examples
    --------
    >>> owner, u = _places_beyond(np.array([3, 5]), first=np.array([0, 1]), last=np.array([2, 3]))
    >>> owner.tolist(), u.tolist()
    ([3, 3, 5, 5], [1, 2, 2, 3])
    """
    counts = last - first
    owner = np.repeat(mentors, counts)
    u = (
        np.arange(counts.sum())
        - np.repeat(np.cumsum(counts) - counts, counts)
        + np.repeat(first, counts)
        + 1
    )
    return owner, u


def _set_supplies(flow, nodes, s_supply, g_min, hard, k_max) -> None:
    """Startups supply their free places, (startup, group) nodes their group's minimum; mentors
    absorb their hard minimum load and the sink everything else."""
    n_s = nodes.n_startups
    flow.set_nodes_supplies(np.arange(n_s), s_supply)
    flow.set_nodes_supplies(nodes.startup_groups, g_min.ravel())
    flow.set_nodes_supplies(nodes.mentor(np.arange(nodes.n_mentors)), -hard)
    flow.set_nodes_supplies(np.array([nodes.sink]), np.array([-int(k_max.sum() - hard.sum())]))


class FlowSolver:
    """Min-cost flow: exact and fast for k per startup, capacities, forbidden and pinned pairs,
    quotas over disjoint mentor groups, mentor minimum loads and load balancing."""

    name = "flow"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        if problem.objective != "total":
            return f"objective {problem.objective!r} is not a sum over pairs"
        soft = [q.name for q in problem.quotas if q.soft]
        if soft:
            return f"quota {soft[0]!r} is soft (priced); the flow keeps quotas hard"
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
