"""The ``cpsat`` backend: OR-Tools CP-SAT, the base for rules a flow cannot express.

The model, read top to bottom: one boolean per allowed pair; each startup gets between ``k_min``
and ``k_max`` mentors; each mentor takes at most its capacity; pinned pairs are fixed to 1;
maximise the integer-scaled total score. It is warm-started with a complete hint from the flow
optimum when the flow can express the problem, has a time limit, and fixed seeds.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from matcher.errors import InfeasibleError, SolverError
from matcher.models import Assignment
from matcher.solve.diagnose import diagnose
from matcher.solve.problem import Problem
from matcher.solve.scaling import integer_scores

__all__ = ["CpSatSolver"]

DEFAULT_TIME_LIMIT = 60.0


class CpSatSolver:
    """CP-SAT with explicit workers, seed and time limit.

    Parameters
    ----------
    num_workers : int, default 2
        Search workers. The search is interleaved, so the answer is the same for a given seed.
    hint : bool, default True
        Start from the flow optimum (a complete hint) where the flow backend can solve the problem.
    """

    name = "cpsat"

    def __init__(self, *, num_workers: int = 2, hint: bool = True):
        self.num_workers = num_workers
        self.hint = hint

    def unsupported(self, problem: Problem) -> str | None:
        return None

    def solve(self, problem: Problem, *, time_limit: float | None = None, seed: int = 0) -> Assignment:
        from ortools.sat.python import cp_model  # imports pandas and protobuf: keep it lazy

        start = time.perf_counter()
        n_s, n_m = problem.shape
        candidates = problem.allowed | problem.pinned
        rows, cols = np.nonzero(candidates)
        weights = integer_scores(problem.scores[rows, cols], n_terms=len(rows))

        model = cp_model.CpModel()
        # One boolean per pair that may be made.
        x = model.new_bool_var_series("x", pd.RangeIndex(len(rows)))
        xs = x.to_numpy()
        by_startup = np.split(xs, np.searchsorted(rows, np.arange(1, n_s)))
        col_order = np.argsort(cols, kind="stable")
        by_mentor = np.split(xs[col_order], np.searchsorted(cols[col_order], np.arange(1, n_m)))
        # Each startup gets between k_min and k_max distinct mentors.
        for i, terms in enumerate(by_startup):
            model.add_linear_constraint(
                cp_model.LinearExpr.sum(list(terms)), int(problem.k_min[i]), int(problem.k_max[i]))
        # Each mentor takes at most its capacity.
        for j, terms in enumerate(by_mentor):
            if len(terms):
                model.add(cp_model.LinearExpr.sum(list(terms)) <= int(problem.capacity[j]))
        # Pinned pairs are always made.
        for var in xs[problem.pinned[rows, cols]]:
            model.add(var == 1)
        # Maximise the total score.
        model.maximize(cp_model.LinearExpr.weighted_sum(list(xs), weights.ints.tolist()))

        hinted = self._add_hint(model, problem, rows, cols, xs)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.num_workers
        solver.parameters.interleave_search = self.num_workers > 1
        solver.parameters.random_seed = seed
        solver.parameters.max_time_in_seconds = float(time_limit or DEFAULT_TIME_LIMIT)
        built = time.perf_counter()
        status = solver.solve(model)
        solved = time.perf_counter()

        if status == cp_model.INFEASIBLE:
            raise InfeasibleError(diagnose(problem) or "CP-SAT proved that the rules cannot all hold")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise SolverError(
                f"CP-SAT found no assignment within {solver.parameters.max_time_in_seconds:g} s "
                f"(status {solver.status_name(status)}); raise time_limit")
        chosen = solver.boolean_values(x).to_numpy(dtype=bool)
        scores = problem.scores[rows[chosen], cols[chosen]]
        objective = float(scores.sum())
        if status == cp_model.OPTIMAL:
            bound, label = objective, "optimal"
        else:
            # Rounding to the integer scale moves each of at most sum(k_max) terms by half a unit.
            slack = 0.5 * float(problem.k_max.sum()) / weights.scale
            bound, label = weights.to_float(solver.best_objective_bound) + slack, "time_limit"
        return Assignment(
            rows=rows[chosen], cols=cols[chosen], startup_ids=problem.startup_ids,
            mentor_ids=problem.mentor_ids, scores=scores, objective=objective, bound=bound,
            status=label, solver=self.name,
            timings={"build": built - start, "solve": solved - built},
            info={"hinted": hinted, "wall_time": solver.wall_time})

    def _add_hint(self, model, problem: Problem, rows, cols, xs) -> bool:
        if not self.hint:
            return False
        from matcher.solve.flow import solve_flow

        try:
            h_rows, h_cols = solve_flow(problem)
        except InfeasibleError:
            return False
        chosen = np.zeros(problem.shape, dtype=bool)
        chosen[h_rows, h_cols] = True
        # The pair variables were created first, so variable index == pair position.
        hint = model.proto.solution_hint
        hint.vars.extend(range(len(xs)))
        hint.values.extend(chosen[rows, cols].astype(np.int64).tolist())
        return True
