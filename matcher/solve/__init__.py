"""Assignment of mentors to startups: one entry point, interchangeable backends.

:func:`assign` validates its arguments once, builds a :class:`~matcher.solve.problem.Problem`,
checks by counting that the rules can hold, and hands the problem to a backend. Every backend
implements :class:`Solver` and returns the same :class:`~matcher.models.Assignment`, so they can be
swapped and cross-checked.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from matcher.errors import InfeasibleError, InputError, InputProblem
from matcher.models import Assignment
from matcher.solve.candidates import VectorScores
from matcher.solve.cpsat import CpSatSolver
from matcher.solve.diagnose import counting_checks, diagnose, hall_violation
from matcher.solve.flow import FlowSolver
from matcher.solve.large import assign_vectors
from matcher.solve.problem import Problem, make_problem
from matcher.solve.pruned import PrunedFlowSolver, prefers_pruned

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


def register_solver(solver: Solver) -> None:
    """Add (or replace) a backend under ``solver.name``."""
    if not isinstance(solver, Solver):
        raise TypeError(f"{solver!r} does not implement the Solver interface")
    SOLVERS[solver.name] = solver


def _pick(name: str | Solver, problem: Problem) -> Solver:
    if not isinstance(name, str):
        return name
    if name == "auto":
        for backend in SOLVERS.values():
            if backend.unsupported(problem) is None:
                return backend
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
    return backend


def solve_problem(problem: Problem, *, solver: str | Solver = "auto", time_limit: float | None = None,
                  seed: int = 0) -> Assignment:
    """Solve an already validated :class:`Problem` (see :func:`assign`)."""
    backend = _pick(solver, problem)
    if solver == "auto" and backend.name == "flow" and prefers_pruned(problem):
        # large and plain: the flow on candidate pairs, certified over all pairs, is exact too
        backend = SOLVERS["pruned"]
    start = time.perf_counter()
    found = counting_checks(problem)
    if found:
        raise InfeasibleError(found)
    checked = time.perf_counter()
    result = backend.solve(problem, time_limit=time_limit, seed=seed)
    timings = {"checks": checked - start, **result.timings}
    return _with_timings(result, timings)


def _with_timings(result: Assignment, timings: dict[str, float]) -> Assignment:
    from dataclasses import replace

    return replace(result, timings=timings)


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
    solver : {"auto", "flow", "cpsat", "pruned"} or a Solver
        Backend; ``auto`` picks the fastest one that can express the rules. For large problems
        with only k, capacity, forbidden and pinned rules it picks ``pruned``: min-cost flow on
        each startup's best mentors, with a certificate that no other pair would do better
        (``Assignment.certified``).
    time_limit : float, optional
        Seconds the backend may take (the flow backend finishes without one).
    seed : int
        Seed for randomised backends.

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
    >>> result = matcher.assign(scores, k=2, capacity=1)
    Traceback (most recent call last):
    ...
    matcher.errors.InfeasibleError: The rules cannot all hold:
      - [total capacity] The 2 startups need 4 mentor places (k=2 each); the 3 mentors offer 3 in all: 1 short. To fix: raise mentor capacity by 1 in all; or add mentors; or lower k.
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
        if solver in ("auto", "pruned"):
            return assign_vectors(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned)
        scores = pd.DataFrame(scores.dense(), index=scores.startup_ids, columns=scores.mentor_ids)
    problem = make_problem(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned)
    return solve_problem(problem, solver=solver, time_limit=time_limit, seed=seed)
