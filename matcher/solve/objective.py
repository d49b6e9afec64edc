"""What a problem's objective is, its value for a set of pairs, and the Assignment that reports it.

Every backend ends in :func:`make_assignment`, so every result reads its scores, ids, objective
name and pair order the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from matcher.data.models import Assignment
from matcher.solve.problem import Problem
from matcher.solve.soft import soft_cost
from matcher.solve.team_value import team_total

__all__ = ["SUM_OBJECTIVES", "objective_weights", "objective_name", "objective_has_no_penalty",
           "load_penalty", "evaluate", "make_assignment"]

#: Objectives whose value for one assignment is its total score (less load penalties); under
#: ``randomised`` the result's objective is the expected total over the lottery instead.
SUM_OBJECTIVES = ("total", "randomised", "envy-free")


def objective_weights(problem: Problem) -> tuple[float, float]:
    """``(c, alpha)``: the objective is ``c * total + alpha * worst startup total``.

    ``total`` gives (1, 0); ``fair`` gives (0, 1); ``blend`` with weight ``a`` gives
    ``((1 - a) / n_startups, a)``, i.e. ``(1 - a) * mean + a * worst``.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> objective_weights(make_problem(np.ones((4, 2)), k=1, capacity=2, objective="blend"))
    (0.125, 0.5)
    """
    if problem.objective in SUM_OBJECTIVES:
        return 1.0, 0.0
    if problem.objective == "fair":
        return 0.0, 1.0
    return (1.0 - problem.fairness) / problem.shape[0], problem.fairness


def objective_has_no_penalty(problem: Problem) -> bool:
    """True when the objective is the plain total (no balance or soft minimum-load term)."""
    return problem.balance == 0 and (problem.min_load is None or problem.min_load_penalty is None)


def objective_name(problem: Problem) -> str:
    """What ``Assignment.objective`` measures, in words."""
    if problem.objective == "fair":
        return "worst startup total"
    if problem.objective == "blend":
        return f"{1 - problem.fairness:g} mean + {problem.fairness:g} worst startup total"
    if problem.objective == "envy-free":
        return "total, every startup envy-free up to one mentor"
    if problem.objective == "team":
        return "team value: scores, needs covered, distinct kinds" + (
            " - rule prices" if problem.has_soft_rules else "")
    if problem.objective == "randomised":
        return f"expected total, no pair above probability {problem.max_probability:g}"
    if problem.has_soft_rules:
        return "total - rule prices" if objective_has_no_penalty(problem) else \
            "total - load penalties - rule prices"
    return "total" if objective_has_no_penalty(problem) else "total - load penalties"


def load_penalty(problem: Problem, cols: np.ndarray) -> float:
    """The load terms of the objective for the mentor loads of ``cols``: balance and soft minimum.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((2, 2)), k=1, capacity=2, balance=0.5)
    >>> load_penalty(p, np.array([0, 0]))  # mentor 0 takes 2: 0.5 * (1 + 2)
    1.5
    """
    load = np.bincount(cols, minlength=problem.shape[1])
    out = problem.balance * float((load * (load + 1) / 2).sum())
    if problem.min_load is not None and problem.min_load_penalty is not None:
        out += problem.min_load_penalty * float(np.maximum(problem.min_load - load, 0).sum())
    return out


def evaluate(problem: Problem, rows: np.ndarray, cols: np.ndarray) -> float:
    """The objective of ``problem`` for the pairs ``(rows, cols)``, in score units.

    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.2], [0.4, 0.1]]), k=1, capacity=1, objective="fair")
    >>> evaluate(p, np.array([0, 1]), np.array([1, 0]))
    0.2
    """
    scores = problem.scores[rows, cols]
    if problem.objective == "team":
        return team_total(problem, rows, cols) - _soft(problem, rows, cols)
    if problem.objective in SUM_OBJECTIVES:
        return float(scores.sum()) - load_penalty(problem, cols) - _soft(problem, rows, cols)
    totals = np.bincount(rows, weights=scores, minlength=problem.shape[0])
    c_tot, alpha = objective_weights(problem)
    return c_tot * float(scores.sum()) + alpha * (float(totals.min()) if len(totals) else 0.0)


def _soft(problem: Problem, rows: np.ndarray, cols: np.ndarray) -> float:
    if not problem.has_soft_rules:
        return 0.0
    chosen = np.zeros(problem.shape, dtype=bool)
    chosen[rows, cols] = True
    return soft_cost(problem, chosen)


def make_assignment(problem: Problem, rows: np.ndarray, cols: np.ndarray, *, solver: str,
                    status: str, bound: float, objective: float | None = None,
                    scores: np.ndarray | None = None, timings: Mapping[str, float] | None = None,
                    info: Mapping[str, Any] | None = None, certified: bool | None = None
                    ) -> Assignment:
    """The :class:`~matcher.data.models.Assignment` of the pairs ``(rows, cols)`` of ``problem``.

    Pairs are sorted by row then column; ``scores`` (read from the problem when not given) and
    ``objective`` (:func:`evaluate` when not given) follow them.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.2], [0.4, 0.1]]), k=1, capacity=1)
    >>> a = make_assignment(p, np.array([1, 0]), np.array([0, 1]), solver="flow", status="feasible",
    ...                     bound=1.1)
    >>> a.rows.tolist(), round(a.objective, 2), a.objective_name
    ([0, 1], 0.6, 'total')
    """
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    order = np.lexsort((cols, rows))
    scores = problem.scores[rows, cols] if scores is None else np.asarray(scores, dtype=np.float64)
    rows, cols, scores = rows[order], cols[order], scores[order]
    if objective is None:
        objective = evaluate(problem, rows, cols)
    if problem.has_soft_rules:
        info = {**(info or {}), "soft_cost": _soft(problem, rows, cols)}
    return Assignment(
        rows=rows, cols=cols, startup_ids=problem.startup_ids, mentor_ids=problem.mentor_ids,
        scores=scores, objective=float(objective), bound=float(bound), status=status, solver=solver,
        timings=dict(timings or {}), objective_name=objective_name(problem), info=dict(info or {}),
        certified=certified)
