"""The ``cpsat`` backend: OR-Tools CP-SAT, the base for rules a flow cannot express.

It builds the model of :mod:`matcher.solve.cpsat_model` over every allowed pair, hints every
variable from the flow optimum of the problem (or of its flow relaxation), and solves with the
time limit, seed and workers it is given. Every answer's bound is the better of CP-SAT's own and the
Lagrangian bound of the LP relaxation (:mod:`matcher.solve.bound`). The fair objective has its own
backend (:mod:`matcher.solve.fair`).
"""

from __future__ import annotations

import time

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, SolverError
from matcher.solve.bound import lagrangian_bound, lp_relaxation
from matcher.solve.cpsat_model import build_model, flow_hint, run_cpsat, set_hint
from matcher.solve.objective import evaluate, make_assignment
from matcher.solve.problem import Problem

__all__ = ["CpSatSolver"]


class CpSatSolver:
    """CP-SAT on every allowed pair, warm-started from the flow optimum.

    Parameters
    ----------
    hint : bool, default True
        Start from the flow optimum of the problem (or of its flow relaxation).
    """

    name = "cpsat"

    def __init__(self, *, hint: bool = True):
        self.hint = hint

    def unsupported(self, problem: Problem) -> str | None:
        if problem.objective == "fair":
            return "the fair objective runs on the fair backend"
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        from ortools.sat.python import cp_model

        start = time.perf_counter()
        candidates = problem.allowed | problem.pinned
        parts = build_model(problem, candidates,
                            objective="blend" if problem.objective == "blend" else "total")
        chosen = flow_hint(problem) if self.hint else None
        if chosen is not None:
            set_hint(parts, chosen)
        built = time.perf_counter()
        solver, status = run_cpsat(parts, time_limit=time_limit - (built - start), seed=seed,
                                   num_workers=workers)
        solved = time.perf_counter()
        if status == cp_model.INFEASIBLE:
            raise InfeasibleError([])
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise SolverError(f"CP-SAT found no assignment within {time_limit:g} s "
                              f"(status {solver.status_name(status)}); raise time_limit")
        picked = solver.boolean_values(parts.x).to_numpy(dtype=bool)
        rows, cols = parts.rows[picked], parts.cols[picked]
        objective = evaluate(problem, rows, cols)
        info = {"hinted": chosen is not None, "cpsat_wall_time": solver.wall_time}
        if status == cp_model.OPTIMAL:
            bound, label = objective, "optimal"
        else:
            bound, label = self._bound(problem, parts, solver, time_limit, info), "time_limit"
            bound = max(bound, objective)
        return make_assignment(problem, rows, cols, solver=self.name, status=label, bound=bound,
                               objective=objective, info=info,
                               timings={"build": built - start, "solve": solved - built})

    @staticmethod
    def _bound(problem: Problem, parts, solver, time_limit: float, info: dict) -> float:
        """CP-SAT's bound, tightened by the LP relaxation's Lagrangian bound when it is better."""
        # Rounding to the integer scale moves each of at most sum(k_max) terms by half a unit.
        slack = 0.5 * float(problem.k_max.sum()) / parts.weights.scale
        bound = solver.best_objective_bound / parts.objective_scale + slack
        # The LP bound ignores load penalties (never positive), so it bounds this objective too.
        lp = lp_relaxation(problem, parts.rows, parts.cols, time_limit=max(time_limit * 0.2, 1.0))
        if lp is not None:
            info["lp_bound"] = lagrangian_bound(problem, lp[1])
            bound = min(bound, info["lp_bound"])
        return float(bound) if np.isfinite(bound) else float("inf")
