"""Assignment of mentors to startups: one entry point, interchangeable backends.

:func:`assign` validates its arguments once, builds a :class:`~matcher.solve.problem.Problem`,
checks by counting that the rules can hold, and hands the problem to a backend. Every backend
implements :class:`Solver` and returns the same :class:`~matcher.data.models.Assignment`, so they can be
swapped and cross-checked.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, InputError, InputProblem
from matcher.solve.candidates import VectorScores
from matcher.solve.cpsat import CpSatSolver
from matcher.solve.diagnose import counting_checks, diagnose, hall_violation
from matcher.solve.flow import FlowSolver
from matcher.solve.large import assign_vectors
from matcher.solve.problem import Problem, make_problem
from matcher.solve.pruned import PrunedFlowSolver, prefers_pruned
from matcher.solve.stable import StableSolver

__all__ = [
    "assign",
    "Solver",
    "SOLVERS",
    "register_solver",
    "solve_problem",
    "Problem",
    "make_problem",
    "diagnose",
    "counting_checks",
    "hall_violation",
    "VectorScores",
]


@runtime_checkable
class Solver(Protocol):
    """What every backend provides."""

    name: str

    def unsupported(self, problem: Problem) -> str | None:
        """Why the backend cannot express ``problem``; None when it can."""

    def solve(self, problem: Problem, *, time_limit: float | None = None, seed: int = 0) -> Assignment:
        """An assignment for ``problem``; raises InfeasibleError when the rules cannot hold."""


#: Registered backends, in the order ``solver="auto"`` tries them (fastest first).
SOLVERS: dict[str, Solver] = {"flow": FlowSolver(), "cpsat": CpSatSolver(), "pruned": PrunedFlowSolver()}
# Deferred acceptance comes after the optimisers, so "auto" never picks it: it is chosen by name,
# "stable" (startups propose) or "stable-mentors" (mentors propose).
SOLVERS["stable"] = StableSolver(proposing="startups")
SOLVERS["stable-mentors"] = StableSolver(proposing="mentors")


def register_solver(solver: Solver) -> None:
    """Add (or replace) a backend under ``solver.name``."""
    if not isinstance(solver, Solver):
        raise TypeError(f"{solver!r} does not implement the Solver interface")
    SOLVERS[solver.name] = solver


def _pick_why(name: str | Solver, problem: Problem) -> tuple[Solver, str]:
    """The backend for ``problem`` and, for ``auto``, why it was chosen."""
    if not isinstance(name, str):
        return name, "given"
    if name == "auto":
        passed = []
        for backend in SOLVERS.values():
            reason = backend.unsupported(problem)
            if reason is None:
                before = "; ".join(passed) + "; " if passed else ""
                why = f"auto: {before}{backend.name} fits"
                return backend, why
            passed.append(f"not {backend.name} ({reason})")
        raise InputError([InputProblem("argument 'solver'", None, None,
                                       "no registered backend can express these rules")])
    if name not in SOLVERS:
        raise InputError([InputProblem(
            "argument 'solver'", None, None, f"unknown solver {name!r}",
            f"choose one of {', '.join(['auto', *SOLVERS])}")])
    backend = SOLVERS[name]
    reason = backend.unsupported(problem)
    if reason:
        raise InputError([InputProblem("argument 'solver'", None, None,
                                       f"solver {name!r} cannot express these rules: {reason}",
                                       "use solver='auto'")])
    return backend, "requested"


def solve_problem(problem: Problem, *, solver: str | Solver = "auto", time_limit: float | None = None,
                  seed: int = 0) -> Assignment:
    """Solve an already validated :class:`Problem` (see :func:`assign`)."""
    backend, why = _pick_why(solver, problem)
    if solver == "auto" and backend.name == "flow" and prefers_pruned(problem):
        # large and plain: the flow on candidate pairs, certified over all pairs, is exact too
        backend, why = SOLVERS["pruned"], "auto: large with only k, capacity, forbidden and pinned rules"
    start = time.perf_counter()
    found = counting_checks(problem)
    if found:
        raise InfeasibleError(found)
    checked = time.perf_counter()
    result = backend.solve(problem, time_limit=time_limit, seed=seed)
    timings = {"checks": checked - start, **result.timings}
    # stages may nest (the pruned flow's "solve" holds its rounds), so the wall time is kept apart
    return _with_timings(result, timings,
                         {"solver_choice": why, "wall_time": time.perf_counter() - start})


def _with_timings(result: Assignment, timings: dict[str, float],
                  info: dict | None = None) -> Assignment:
    return replace(result, timings=timings, info={**result.info, **(info or {})})


def assign(
    scores: Any,
    *,
    k: Any = 3,
    capacity: Any = 1,
    forbidden: Any = None,
    pinned: Any = None,
    solver: str | Solver = "auto",
    time_limit: float | None = None,
    seed: int = 0,
    quotas: Any = None,
    covers: Any = None,
    min_load: Any = None,
    min_load_soft: bool = True,
    balance: float = 0.0,
    past: Any = None,
    history: str = "ignore",
    continuity_bonus: float = 0.1,
    objective: str = "total",
    fairness: float | None = None,
) -> Assignment:
    """Assign mentors to startups, maximising the total score, and prove the answer.

    Parameters
    ----------
    scores : array or DataFrame of shape (n_startups, n_mentors), Scores, or VectorScores
        Affinity of each pair, higher is better. A DataFrame's index holds startup ids and its
        columns mentor ids; a plain array's ids are row and column positions. A
        :class:`VectorScores` (startup and mentor profile vectors) is scored block by block and
        never held as a matrix: the way to match 10⁵ startups.
    k : int, (int, int) or array of shape (n_startups,)
        Distinct mentors per startup: exactly ``k`` or between ``k[0]`` and ``k[1]``.
    capacity : int, array of shape (n_mentors,) or Series indexed by mentor id
        Most startups each mentor takes.
    forbidden, pinned : iterable of (startup_id, mentor_id), or bool array of the scores' shape
        Pairs that must never / must always be made.
    solver : {"auto", "flow", "cpsat", "pruned", "stable", "stable-mentors"} or a Solver
        Backend; ``auto`` picks the fastest one that can express the rules. For large problems
        with only k, capacity, forbidden and pinned rules it picks ``pruned``: min-cost flow on
        each startup's best mentors, with a certificate that no other pair would do better
        (``Assignment.certified``). ``stable`` and ``stable-mentors`` return a stable assignment
        (deferred acceptance, startups or mentors proposing; see :mod:`matcher.solve.stable`)
        rather than the best total.
    time_limit : float, optional
        Seconds the backend may take (the flow backend finishes without one).
    seed : int
        Seed for randomised backends.
    quotas : list of mappings, or mapping of name to mapping, optional
        Mentors per startup from each group: ``{"name": "academic", "mentors": ids or bool mask,
        "min": 1, "max": 2}``; ``mentors`` may be a mask of shape (n_mentors,) or, for a group
        that differs by startup, (n_startups, n_mentors). Disjoint groups stay on ``flow``.
    covers : bool array of shape (n_startups, n_mentors), optional
        Domain coverage: each startup gets at least one mentor ``covers[i]`` marks (e.g. from
        :func:`matcher.data.rules.coverage_mask`).
    min_load : int or array of shape (n_mentors,), optional
        Startups each mentor should take (capped at its capacity). Soft by default
        (``min_load_soft``): each missing place costs twice the largest score, so every volunteer
        is used when possible and the assignment still exists when not; hard otherwise.
    balance : float
        Weight of a convex load penalty ``balance * sum_j load_j (load_j + 1) / 2`` that spreads
        startups evenly over mentors (0: off).
    past : iterable of (startup_id, mentor_id) or bool array, optional
        Pairs made in earlier cohorts; ``history`` says what to do with them: ``"forbid"`` them,
        ``"prefer"`` them (add ``continuity_bonus`` to their score) or ``"ignore"`` them. A yearly
        capacity is a lower ``capacity`` (see :func:`matcher.data.rules.solver_arguments`).
    objective : {"total", "fair", "blend"}
        ``total`` maximises the sum of scores. ``fair`` first maximises the worst-served startup's
        total, then the total given that; ``objective``, ``bound`` and ``gap`` then refer to the
        worst startup's total. ``blend`` maximises ``(1 - fairness) * mean startup total +
        fairness * worst startup total`` (``fairness`` defaults to 0.5).

    Returns
    -------
    Assignment
        ``.pairs`` (startup_id, mentor_id, score), ``.objective``, ``.bound``, ``.gap``,
        ``.status``, ``.solver`` and ``.timings``.

    Raises
    ------
    InputError
        An argument is malformed; the message names it and says how to fix it.
    InfeasibleError
        The rules cannot all hold; ``.diagnoses`` says which, by how much, and what to relax.

    Examples
    --------
    >>> import numpy as np
    >>> import matcher
    >>> scores = np.array([[0.9, 0.8, 0.1],
    ...                    [0.7, 0.2, 0.6]])
    >>> try:
    ...     matcher.assign(scores, k=2, capacity=1)
    ... except matcher.InfeasibleError as err:
    ...     print(err.diagnoses[0].message)
    The 2 startups need 4 mentor places (k=2 each); the 3 mentors offer 3 in all: 1 short.
    >>> result = matcher.assign(scores, k=(1, 2), capacity=1)
    >>> result.pairs
       startup_id  mentor_id  score
    0           0          0    0.9
    1           0          1    0.8
    2           1          2    0.6
    >>> result.status, round(result.objective, 2), result.solver
    ('optimal', 2.3, 'flow')
    """
    if isinstance(scores, VectorScores):
        plain = not (quotas or covers is not None or min_load or balance or objective != "total"
                     or (past is not None and history != "ignore"))
        if plain and solver in ("auto", "pruned"):
            return assign_vectors(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned)
        scores = pd.DataFrame(scores.dense(), index=scores.startup_ids, columns=scores.mentor_ids)
    problem = make_problem(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned,
                           quotas=quotas, covers=covers, min_load=min_load,
                           min_load_soft=min_load_soft, balance=balance, objective=objective,
                           fairness=fairness, past=past, history=history,
                           continuity_bonus=continuity_bonus)
    return solve_problem(problem, solver=solver, time_limit=time_limit, seed=seed)
