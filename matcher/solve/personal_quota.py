"""A min-cost flow for one quota whose group differs by startup (a per-startup mask).

The ``flow`` backend routes quotas through one node per (startup, mentor group), so it needs the
groups to be the same for every startup. One quota over a per-startup group is still a network
flow — each startup gets its own group node:

* startup ``i`` supplies ``k_max[i] - min[i]`` units; its group node supplies ``min[i]`` itself
  (a lower bound on an arc becomes a supply, as in :func:`matcher.solve.flow.flow_on_edges`);
* startup → its group node, capacity ``max[i] - min[i]``;
* group node → mentor for the pairs in the startup's group, startup → mentor for the others,
  capacity 1, cost = −score;
* startup → sink ("unused place"), capacity ``k_max - k_min``; mentor → sink, its capacity.

The matrix stays totally unimodular, so the flow optimum is the optimum: the bound equals the
objective. The week's meeting lists (a diversity share per startup) are this problem; CP-SAT,
which ``auto`` chooses for a per-startup quota, took about a minute on 100 × 300.

>>> import numpy as np
>>> from matcher.solve import assign
>>> group = np.array([[False, True, True], [True, False, False]])
>>> a = assign(np.array([[0.9, 0.5, 0.1], [0.8, 0.7, 0.6]]), k=2, capacity=2,
...            quotas=[{"name": "diverse", "mentors": group, "min": 1}], solver=PersonalQuotaFlow())
>>> a.pairs[["startup_id", "mentor_id"]].values.tolist(), a.status
([[0, 0], [0, 1], [1, 0], [1, 1]], 'optimal')
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, SolverError
from matcher.solve.objective import make_assignment
from matcher.solve.problem import Problem
from matcher.solve.scaling import integer_scores

__all__ = ["PersonalQuotaFlow"]


class PersonalQuotaFlow:
    """Min-cost flow for k, capacities, forbidden pairs and one per-startup quota (a Solver).

    Pass it as ``solver=PersonalQuotaFlow()`` to :func:`matcher.assign` (see the module).
    """

    name = "flow-personal-quota"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``; None when it can."""
        if problem.objective != "total":
            return f"objective {problem.objective!r} is not a sum over pairs"
        other = [name for name in problem.side_rules() if name != "quotas"]
        if other:
            return f"it handles one quota, not the rule {other[0]!r}"
        if len(problem.quotas) != 1:
            return "it handles exactly one quota"
        if problem.pinned.any():
            return "it does not handle pinned pairs"
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        start = time.perf_counter()
        quota = problem.quotas[0]
        n_s, n_m = problem.shape
        members = np.broadcast_to(quota.members, (n_s, n_m))
        k_min, k_max = problem.k_min, problem.k_max
        lo, hi = np.minimum(quota.min, k_max), np.minimum(quota.max, k_max)
        if (lo > hi).any():
            raise InfeasibleError([])
        rows, cols = np.nonzero(problem.allowed)
        inside = members[rows, cols]
        # node numbers: startups, their group nodes, mentors, the sink
        group_node, mentor_node, sink = n_s + np.arange(n_s), 2 * n_s + np.arange(n_m), 2 * n_s + n_m
        costs = -integer_scores(problem.scores[rows, cols], n_nodes=sink + 1).ints
        flow = min_cost_flow.SimpleMinCostFlow()
        # startup (or its group node, for the pairs in its group) -> mentor: each pair once, at -score
        tails = np.where(inside, group_node[rows], rows)
        pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32), mentor_node[cols].astype(np.int32), np.ones(len(rows), np.int64), costs)
        # startup -> its group node: beyond the quota's minimum, up to its maximum
        flow.add_arcs_with_capacity_and_unit_cost(
            np.arange(n_s, dtype=np.int32), group_node.astype(np.int32), (hi - lo).astype(np.int64),
            np.zeros(n_s, np.int64))
        # startup -> sink: places left unused, so that at least k_min reach mentors
        flow.add_arcs_with_capacity_and_unit_cost(
            np.arange(n_s, dtype=np.int32), np.full(n_s, sink, np.int32), (k_max - k_min).astype(np.int64),
            np.zeros(n_s, np.int64))
        # mentor -> sink: at most its capacity
        flow.add_arcs_with_capacity_and_unit_cost(
            mentor_node.astype(np.int32), np.full(n_m, sink, np.int32), problem.capacity.astype(np.int64),
            np.zeros(n_m, np.int64))
        # startups supply their places less the quota's minimum, which their group nodes supply
        supplies = np.concatenate([k_max - lo, lo, np.zeros(n_m, np.int64), [-int(k_max.sum())]])
        flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies.astype(np.int64))
        status = flow.solve()
        if status == flow.INFEASIBLE:
            raise InfeasibleError([])
        if status != flow.OPTIMAL:
            raise SolverError(f"min-cost flow ended with status {status!r}")
        used = flow.flows(pair_arcs) > 0
        scores = problem.scores[rows[used], cols[used]]
        objective = float(scores.sum())
        return make_assignment(problem, rows[used], cols[used], solver=self.name, status="optimal",
                               bound=objective, objective=objective, scores=scores,
                               timings={"solve": time.perf_counter() - start})
