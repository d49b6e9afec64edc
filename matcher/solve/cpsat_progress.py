"""CP-SAT's news as it solves: each better solution and each better bound, for a progress line.

Installed by :func:`matcher.solve.cpsat_model.run_cpsat` only when someone listens
(:func:`matcher.data.progress.listening`): without a listener the solver runs exactly as before.
"""

from __future__ import annotations

import contextlib
from typing import Any

from matcher.data.progress import SolveTicker

__all__ = ["watch", "finish", "progress_text"]

_MAXIMISES = {"total": "total score", "worst": "worst-served startup's total",
              "blend": "blend of mean and worst totals"}


def progress_text(parts: Any) -> str:
    """What the model's progress line calls it: CP-SAT and what it maximises.

    >>> from types import SimpleNamespace
    >>> progress_text(SimpleNamespace(objective="worst")), progress_text(SimpleNamespace())
    ("CP-SAT, worst-served startup's total", 'CP-SAT')
    >>> progress_text(SimpleNamespace(objective="total", min_totals=3))
    "CP-SAT, total score keeping the worst-served startup's total"
    """
    objective = getattr(parts, "objective", "")
    text = _MAXIMISES.get(objective, "")
    if objective == "total" and getattr(parts, "min_totals", None) is not None:
        text += " keeping the worst-served startup's total"
    return f"CP-SAT, {text}" if text else "CP-SAT"


def watch(solver: Any, ticker: SolveTicker) -> Any:
    """Make ``solver`` tell ``ticker`` of its progress; returns the solution callback to solve with.

    Examples
    --------
    >>> from ortools.sat.python import cp_model
    >>> from matcher.data.progress import listening
    >>> model = cp_model.CpModel()
    >>> x = model.new_int_var(0, 10, "x")
    >>> model.maximize(x)
    >>> seen = []
    >>> with listening(seen.append):
    ...     ticker = SolveTicker("CP-SAT")
    >>> solver = cp_model.CpSolver()
    >>> solver.parameters.num_workers = 1
    >>> solver.solve(model, watch(solver, ticker)) == cp_model.OPTIMAL
    True
    >>> seen[-1].best, seen[-1].gap
    (10.0, 0.0)
    """
    from ortools.sat.python import cp_model

    class _Callback(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            with contextlib.suppress(Exception):  # a model without an objective has no value to show
                ticker.solution(self.objective_value, self.best_objective_bound)

    solver.best_bound_callback = ticker.bound
    return _Callback()


def finish(solver: Any, status: int, ticker: SolveTicker) -> None:
    """Tell ``ticker`` how the run ended: the final objective and bound, or the bound alone when
    no solution was found (a value is read only after the status says there is one)."""
    from ortools.sat.python import cp_model

    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        ticker.solution(solver.objective_value, solver.best_objective_bound, final=True)
    else:
        ticker.bound(solver.best_objective_bound, final=True)
