"""The ``cpsat`` backend: OR-Tools CP-SAT, the base for rules a flow cannot express.

It keeps its time limit whatever the size (a CP-SAT limit bounds the search, not the building of
the model nor its presolve), in four steps:

1. **Start.** The flow optimum of the problem (or of its flow relaxation, which drops the rules a
   flow cannot express), repaired where it breaks a quota (:func:`~matcher.solve.repair.repair`),
   hints every variable; when it keeps every rule it is also the answer of last resort. The
   relaxation's value bounds the objective (:func:`relaxation_bound`).
2. **Pairs.** The model holds every allowed pair when it can be built in half the time left;
   otherwise each startup's best mentors, enough of each quota group, and the start's pairs
   (:func:`~matcher.solve.fair_search.fair_candidates`).
3. **CP-SAT** searches with what is left of the limit, less its loading and a share kept for the
   bound.
4. **Bound.** The best of CP-SAT's own (on the full model only), the relaxation's, and the
   Lagrangian bound of the LP relaxation (:mod:`matcher.solve.bound`).

The fair objective has its own backend (:mod:`matcher.solve.fair`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, SolverError
from matcher.solve.bound import lagrangian_bound, lp_relaxation
from matcher.solve.budget import Deadline
from matcher.solve.cpsat_model import (
    build_model,
    chosen_pairs,
    flow_hint,
    flow_relaxation,
    run_cpsat,
    set_hint,
)
from matcher.solve.fair_bounds import solo_bound
from matcher.solve.fair_search import fair_candidates
from matcher.solve.feasible import satisfies
from matcher.solve.objective import evaluate, make_assignment, objective_weights
from matcher.solve.problem import Problem
from matcher.solve.repair import repair

__all__ = ["CpSatSolver", "relaxation_bound"]

#: Share of the search time kept for the LP bound when CP-SAT does not prove its answer.
BOUND_SHARE = 0.15


class CpSatSolver:
    """CP-SAT warm-started from the flow optimum, on every allowed pair when time allows.

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

        clock = Deadline(time_limit)
        timings: dict[str, float] = {}
        # 1. Start: the flow optimum of the problem or of its relaxation.
        relaxed = flow_hint(problem) if self.hint else None
        if self.hint and relaxed is None:
            # The relaxation only drops rules, so the problem has no assignment either. Searching
            # it unhinted would take two interleaved workers, which aborted the process on such
            # an infeasible model (OR-Tools issue #5025; found by tests/test_never_abort.py).
            raise InfeasibleError([])
        bound = relaxation_bound(problem, relaxed)
        start = relaxed if relaxed is not None and satisfies(problem, relaxed) else None
        if relaxed is not None and start is None:
            # it breaks a rule the flow cannot express: pick those startups' mentors again
            start = repair(problem, relaxed, seconds=0.2 * time_limit)
            if start is not None:
                relaxed = start
        info = {"hinted": relaxed is not None, "start_keeps_rules": start is not None,
                "relaxation_bound": bound}
        timings["start"] = clock.spent()
        # 2. Pairs: all allowed pairs, or candidates when the full model would not build in time.
        allowed = problem.allowed | problem.pinned
        candidates = allowed
        if not clock.builds(int(allowed.sum()), share=0.5):
            width = max(8 * int(problem.k_max.max(initial=1)), 24)
            candidates = fair_candidates(problem, width) | (
                relaxed if relaxed is not None else False)
        complete = bool(candidates.sum() == allowed.sum())
        info["candidates"] = int(candidates.sum())
        if start is not None and not clock.builds(int(candidates.sum())):
            return self._answer(problem, start, "time_limit", bound, info, timings)
        parts = build_model(problem, candidates,
                            objective="blend" if problem.objective == "blend" else "total")
        if relaxed is not None:
            set_hint(parts, relaxed)
        timings["build"] = clock.spent() - sum(timings.values())
        # 3. CP-SAT, with what is left less its loading and a share for the bound.
        n_pairs = len(parts.rows)
        seconds = clock.for_search(n_pairs)
        solver, status = run_cpsat(parts, time_limit=seconds * (1 - BOUND_SHARE), seed=seed,
                                   num_workers=workers)
        info["cpsat_wall_time"] = solver.wall_time
        timings["solve"] = clock.spent() - sum(timings.values())
        found, chosen = settle(parts, solver, status, start, complete=complete,
                               value=lambda c: _value(problem, c), time_limit=time_limit)
        objective = _value(problem, chosen)
        if status == cp_model.OPTIMAL and complete:
            return self._answer(problem, chosen, "optimal", objective, info, timings)
        # 4. Bound: CP-SAT's own (on the full model), the relaxation's, the LP's.
        if found and complete:
            bound = min(bound, self._own_bound(problem, parts, solver))
        lp_seconds = clock.left() - 0.1
        if lp_seconds > 0.2:
            # the soft quotas dropped: their prices only lower the objective, so the bound holds
            hard = problem.hard_only()
            lp = lp_relaxation(hard, parts.rows, parts.cols, time_limit=lp_seconds)
            if lp is not None:
                info["lp_bound"] = lagrangian_bound(hard, lp[1])
                bound = min(bound, info["lp_bound"])
        timings["bound"] = clock.spent() - sum(timings.values())
        proven = bound - objective <= 1e-7 * max(1.0, abs(objective))
        return self._answer(problem, chosen, "optimal" if proven else "time_limit",
                            max(bound, objective), info, timings)

    def _answer(self, problem: Problem, chosen: np.ndarray, status: str, bound: float,
                info: dict, timings: dict) -> Assignment:
        rows, cols = np.nonzero(chosen)
        return make_assignment(problem, rows, cols, solver=self.name, status=status,
                               bound=max(bound, evaluate(problem, rows, cols)), info=info,
                               timings=timings)

    @staticmethod
    def _own_bound(problem: Problem, parts, solver) -> float:
        """CP-SAT's bound in score units, widened by what integer rounding may hide."""
        # Rounding to the integer scale moves each of at most sum(k_max) terms by half a unit, and
        # each soft quota's price by half a unit per mentor short.
        slack = 0.5 * float(problem.k_max.sum() * (1 + len(problem.quotas))) / parts.weights.scale
        bound = solver.best_objective_bound / parts.objective_scale + slack
        return float(bound) if np.isfinite(bound) else math.inf


def settle(parts, solver, status: int, start: np.ndarray | None, *, complete: bool,
           value: Callable[[np.ndarray], float], time_limit: float, what: str = "assignment"
           ) -> tuple[bool, np.ndarray]:
    """CP-SAT's answer, or the start when it is worth more or CP-SAT found none.

    Returns whether CP-SAT found a solution and the chosen mask. Without a start, a model on every
    pair (``complete``) proven infeasible raises :class:`~matcher.errors.InfeasibleError`, and no
    solution in time raises :class:`~matcher.errors.SolverError`.
    """
    from ortools.sat.python import cp_model

    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if status == cp_model.INFEASIBLE and complete and start is None:
        raise InfeasibleError([])
    if not found and start is None:
        raise SolverError(f"CP-SAT found no {what} within {time_limit:g} s "
                          f"(status {solver.status_name(status)}); raise time_limit")
    chosen = chosen_pairs(parts, solver) if found else start
    if start is not None and value(start) > value(chosen):
        chosen = start
    return found, chosen


def _value(problem: Problem, chosen: np.ndarray) -> float:
    rows, cols = np.nonzero(chosen)
    return evaluate(problem, rows, cols)


def relaxation_bound(problem: Problem, relaxed: np.ndarray | None) -> float:
    """An upper bound on the objective from ``relaxed``, the flow optimum of the relaxation.

    The relaxation keeps the objective's load penalties and drops rules, so for ``total`` its
    optimum bounds the problem's. For ``blend``, ``(1 - a) * mean + a * worst``: every
    assignment's mean total is at most ``T / n`` (``T`` the largest total, the relaxation's optimum
    without load penalties, which the blend does not count) and its worst total is at most its
    mean and at most what the worst-off startup could reach alone
    (:func:`~matcher.solve.fair_bounds.solo_bound`), so the blend is at most
    ``(1 - a) T / n + a min(T / n, solo)``. ``inf`` when nothing is known.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.8], [0.7, 0.1]]), k=1, capacity=1, objective="blend")
    >>> relaxed = np.array([[True, False], [False, True]])  # the max total, 1.0
    >>> round(relaxation_bound(p, relaxed), 6)   # 0.5 * 1.0 / 2 + 0.5 * min(0.5, 0.7)
    0.5
    """
    if relaxed is None or problem.objective not in ("total", "blend"):
        return math.inf
    rows, cols = np.nonzero(relaxed)
    if problem.objective == "total":
        # the relaxation drops the soft quotas; their prices only lower what an assignment is worth
        value = evaluate(problem.hard_only(), rows, cols)
    else:
        plain = flow_relaxation(replace(problem, balance=0.0, min_load_penalty=None,
                                        min_load=None))
        if plain.balance != problem.balance or problem.min_load is not None:
            relaxed = flow_hint(plain)
            if relaxed is None:
                return math.inf
            rows, cols = np.nonzero(relaxed)
        c_tot, alpha = objective_weights(problem)
        most = float(problem.scores[rows, cols].sum())
        value = c_tot * most + alpha * min(most / problem.shape[0], solo_bound(problem))
    # the flow is optimal for scores rounded to 2**-30 of the largest: widen by that rounding
    peak = float(np.abs(problem.scores).max(initial=0.0))
    return value + (int(problem.k_max.sum()) + 1) * peak * 2.0**-29 + 1e-9 * max(1.0, abs(value))
