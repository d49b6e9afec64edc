"""The backends by name, and the one place a backend is chosen for a problem.

Every backend implements :class:`Solver` and returns the same
:class:`~matcher.data.models.Assignment`, so backends can be swapped and cross-checked. The names
are those of :data:`matcher.data.vocabulary.SOLVER_NAMES`; :func:`register_solver` adds one.
:func:`choose_backend` is the only code that maps a requested name to a backend, and it says why,
in words, for ``Assignment.info["solver_choice"]``.

Only the flow backend is imported with the registry; every other one is a :class:`Deferred`
backend whose module loads when it is first asked anything, so that a flow solve (most cohorts)
does not pay for the CP-SAT, fair and pruned modules.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from matcher.data.models import Assignment
from matcher.data.vocabulary import DEFAULT_TIME_LIMIT, DEFAULT_WORKERS, SOLVER_NAMES
from matcher.errors import InputError, InputProblem
from matcher.solve.candidates import AUTO_MIN_PAIRS
from matcher.solve.flow import FlowSolver
from matcher.solve.problem import Problem

__all__ = ["Solver", "SOLVERS", "OBJECTIVE_BACKENDS", "register_solver", "choose_backend",
           "DEFAULT_TIME_LIMIT", "DEFAULT_WORKERS", "Deferred"]


@runtime_checkable
class Solver(Protocol):
    """What every backend provides.

    ``accepts_vectors`` (optional, default False) says the backend can work on a problem whose
    scores are given as vectors (:attr:`~matcher.solve.problem.Problem.is_dense` False) without the
    matrix; other backends are given the matrix (:meth:`~matcher.solve.problem.Problem.densified`).

    Examples
    --------
    >>> sorted(name for name, backend in SOLVERS.items() if isinstance(backend, Solver))[:3]
    ['cpsat', 'envy-free', 'fair']
    """

    name: str

    def unsupported(self, problem: Problem) -> str | None:
        """Why the backend cannot express ``problem``; None when it can."""

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        """An assignment for ``problem`` within ``time_limit`` seconds.

        Raises InfeasibleError when the rules cannot hold: with diagnoses when the backend knows
        why, or with none, and :func:`matcher.solve.solve_problem` diagnoses the problem once.
        """


class Deferred:
    """A backend imported on first use: ``module.cls(**kwargs)``, built when first asked anything.

    It is a :class:`Solver` (``name``, ``unsupported``, ``solve``); any other attribute is the
    backend's own.

    Examples
    --------
    >>> backend = Deferred("stable", "matcher.solve.stable", "StableSolver", proposing="mentors")
    >>> backend.name, isinstance(backend, Solver), backend.proposing
    ('stable', True, 'mentors')
    """

    def __init__(self, name: str, module: str, cls: str, **kwargs: Any):
        self.name = name
        self._recipe = (module, cls, kwargs)
        self._backend: Solver | None = None

    def backend(self) -> Solver:
        """The backend itself, its module imported on the first call."""
        if self._backend is None:
            module, cls, kwargs = self._recipe
            self._backend = getattr(importlib.import_module(module), cls)(**kwargs)
        return self._backend

    def unsupported(self, problem: Problem) -> str | None:
        """Why the backend cannot express ``problem``; None when it can."""
        return self.backend().unsupported(problem)

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        """The backend's assignment for ``problem``."""
        return self.backend().solve(problem, time_limit=time_limit, seed=seed, workers=workers)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):  # not yet set while copying or unpickling: never recurse
            raise AttributeError(attribute)
        return getattr(self.backend(), attribute)

    def __repr__(self) -> str:
        module, cls, kwargs = self._recipe
        return f"Deferred({self.name!r}, {module}.{cls}, {kwargs})"


#: Registered backends by name.
SOLVERS: dict[str, Solver] = {
    "flow": FlowSolver(),
    "cpsat": Deferred("cpsat", "matcher.solve.cpsat", "CpSatSolver"),
    "fair": Deferred("fair", "matcher.solve.fair", "FairSolver"),
    "pruned": Deferred("pruned", "matcher.solve.pruned", "PrunedFlowSolver"),
    # deferred acceptance is never chosen by "auto": it gives a stable, not the best, assignment
    "stable": Deferred("stable", "matcher.solve.stable", "StableSolver", proposing="startups"),
    "stable-mentors": Deferred("stable-mentors", "matcher.solve.stable", "StableSolver", proposing="mentors"),
    "randomised": Deferred("randomised", "matcher.solve.randomised", "RandomisedSolver"),
    "envy-free": Deferred("envy-free", "matcher.solve.envy", "EnvyFreeSolver"),
    "team": Deferred("team", "matcher.solve.team", "TeamSolver"),
    "team-greedy": Deferred("team-greedy", "matcher.solve.team", "TeamGreedySolver"),
}

#: Objectives only one backend solves: "auto" picks it, and every other backend is refused.
OBJECTIVE_BACKENDS = {"randomised": ("randomised",), "envy-free": ("envy-free",),
                      "team": ("team", "team-greedy")}

#: Backends that price soft rules in their objective.
SOFT_BACKENDS = ("cpsat", "team")

#: Backends whose CP-SAT model holds tandems, circles and mentors kept apart.
LINK_BACKENDS = ("cpsat", "envy-free", "team")

#: Above this many pairs "auto" takes the team objective's fast path.
TEAM_EXACT_PAIRS = 100_000

#: What "auto" tries, fastest first.
_AUTO_ORDER = ("flow", "fair", "cpsat")


def register_solver(solver: Solver) -> None:
    """Add (or replace) a backend under ``solver.name``; ``Rules(solver=name)`` then accepts it.

    Parameters
    ----------
    solver : Solver
        An object with ``name``, ``unsupported(problem)`` and ``solve(problem, *, time_limit, seed,
        workers)``.

    Raises
    ------
    TypeError
        When ``solver`` does not implement the :class:`~matcher.solve.registry.Solver` interface.

    Examples
    --------
    >>> import numpy as np
    >>> import matcher
    >>> class FlowAgain:
    ...     name = "flow-again"  # a backend that delegates to the flow backend
    ...     def unsupported(self, problem):
    ...         return SOLVERS["flow"].unsupported(problem)
    ...     def solve(self, problem, *, time_limit, seed, workers):
    ...         return SOLVERS["flow"].solve(problem, time_limit=time_limit, seed=seed, workers=workers)
    >>> register_solver(FlowAgain())
    >>> matcher.assign(np.eye(2), k=1, capacity=1, solver="flow-again").objective
    2.0
    >>> _ = SOLVERS.pop("flow-again"); SOLVER_NAMES.remove("flow-again")  # as it was before
    """
    if not isinstance(solver, Solver):
        raise TypeError(f"{solver!r} does not implement the Solver interface")
    SOLVERS[solver.name] = solver
    if solver.name not in SOLVER_NAMES:
        SOLVER_NAMES.append(solver.name)


def choose_backend(requested: str | Solver, problem: Problem) -> tuple[Solver, str]:
    """The backend for ``problem`` and why it was chosen.

    ``"auto"`` takes the first backend of flow, fair and cpsat that can express the rules, and the
    pruned flow (candidates and a certificate) for a large problem with only k, capacities,
    forbidden and pinned pairs, or for scores given as vectors. ``"cpsat"`` with the fair
    objective runs the fair backend, the max-min search built on CP-SAT. An unknown name is
    refused, never replaced.

    Examples
    --------
    >>> import numpy as np
    >>> from matcher.solve.arguments import make_problem
    >>> choose_backend("auto", make_problem(np.ones((2, 2)), k=1))[1]
    'auto: flow fits'
    >>> choose_backend("simplex", make_problem(np.ones((2, 2)), k=1))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    matcher.errors.InputError: 1 problem in the input:
      - argument 'solver': unknown solver 'simplex' (choose one of auto, flow, cpsat, fair, ...)
    """
    if not isinstance(requested, str):
        return _checked(requested, problem, "given as an object")
    if requested == "auto":
        return _auto(problem)
    if requested == "cpsat" and problem.objective == "fair":
        return _checked(SOLVERS["fair"], problem,
                        "requested cpsat: the fair objective runs as the fair backend's CP-SAT search")
    if requested not in SOLVERS:
        raise InputError([InputProblem(
            "argument 'solver'", None, None, f"unknown solver {requested!r}",
            f"choose one of {', '.join(['auto', *SOLVERS])}")])
    return _checked(SOLVERS[requested], problem, "requested")


def _auto(problem: Problem) -> tuple[Solver, str]:
    if problem.objective in OBJECTIVE_BACKENDS:
        owners = OBJECTIVE_BACKENDS[problem.objective]
        owner = owners[0]
        if problem.objective == "team" and problem.shape[0] * problem.shape[1] > TEAM_EXACT_PAIRS \
                and _why_not(SOLVERS["team-greedy"], problem) is None:
            owner = "team-greedy"
        return _checked(SOLVERS[owner], problem, f"auto: the {problem.objective} objective runs on {owner}")
    pruned = SOLVERS["pruned"]
    n_pairs = problem.shape[0] * problem.shape[1]
    if (not problem.is_dense or n_pairs >= AUTO_MIN_PAIRS) and pruned.unsupported(problem) is None:
        size = "scores given as vectors" if not problem.is_dense else f"{n_pairs:,} pairs"
        return pruned, f"auto: large ({size}) with only k, capacity, forbidden and pinned rules"
    passed = []
    for name in _AUTO_ORDER:
        reason = _why_not(SOLVERS[name], problem)
        if reason is None:
            before = "; ".join(passed) + "; " if passed else ""
            return SOLVERS[name], f"auto: {before}{name} fits"
        passed.append(f"not {name} ({reason})")
    raise InputError([InputProblem("argument 'solver'", None, None,
                                   "no registered backend can express these rules: " + "; ".join(passed))])


def _checked(backend: Solver, problem: Problem, why: str) -> tuple[Solver, str]:
    reason = _why_not(backend, problem)
    if reason:
        raise InputError([InputProblem("argument 'solver'", None, None,
                                       f"solver {backend.name!r} cannot express these rules: {reason}",
                                       "use solver='auto'")])
    return backend, why


def _why_not(backend: Solver, problem: Problem) -> str | None:
    owners = OBJECTIVE_BACKENDS.get(problem.objective)
    if owners is not None and backend.name not in owners:
        return f"the {problem.objective} objective runs on the {' or '.join(owners)} backend"
    if problem.has_soft_rules and (backend.name not in SOFT_BACKENDS
                                   or problem.objective not in ("total", "team")):
        return (f"soft rules are priced by {', '.join(SOFT_BACKENDS)} under the total or team "
                "objective")
    if problem.links is not None and backend.name not in LINK_BACKENDS:
        return ("tandems, circles and mentors kept apart need a CP-SAT model "
                f"({', '.join(LINK_BACKENDS)})")
    return backend.unsupported(problem)
