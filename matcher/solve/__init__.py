"""Assignment of mentors to startups: one entry point, one solve path, interchangeable backends.

:func:`assign` checks its arguments once and builds a :class:`~matcher.solve.problem.Problem`
(:mod:`matcher.solve.arguments`); :func:`solve_problem` is the one solve path every caller takes —
``assign``, :func:`matcher.match_cohort`, explanations and what-if re-solves. It checks by counting
that the rules can hold, chooses the backend (:func:`~matcher.solve.registry.choose_backend`),
gives it a time limit, a seed and workers, and, when the backend finds the rules cannot hold,
diagnoses why, once, above every backend (``matcher.solve.diagnose``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from matcher.data.models import Assignment
from matcher.data.rule_checks import check_solve_arguments
from matcher.errors import InfeasibleError
from matcher.scoring.sources import VectorScores
from matcher.solve.arguments import DEFAULT_HISTORY, make_problem
from matcher.solve.diagnose import counting_checks, diagnose, hall_violation
from matcher.solve.problem import Problem
from matcher.solve.registry import (
    DEFAULT_TIME_LIMIT,
    DEFAULT_WORKERS,
    SOLVERS,
    Solver,
    choose_backend,
    register_solver,
)

#: Most seconds a diagnosis of infeasible rules may search for conflicting rules.
DIAGNOSIS_SECONDS = 10.0

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
    "DEFAULT_TIME_LIMIT",
]


def solve_problem(problem: Problem, *, solver: str | Solver = "auto", time_limit: float | None = None,
                  seed: int = 0, workers: int | None = None) -> Assignment:
    """Solve a :class:`~matcher.solve.problem.Problem`: the one solve path (arguments as :func:`assign`).

    ``time_limit`` defaults to :data:`~matcher.data.vocabulary.DEFAULT_TIME_LIMIT` seconds and
    ``workers`` to 2. The result's ``info["solver_choice"]`` says which backend ran and why, and
    ``info["wall_time"]`` the seconds it all took.

    Raises
    ------
    InfeasibleError
        With a diagnosis in words: counting checks before any backend runs; when a backend finds
        the rules cannot hold without saying why, :func:`~matcher.solve.diagnose`.
    """
    start = time.perf_counter()
    time_limit, seed, workers = check_solve_arguments(time_limit, seed, workers)
    limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    backend, why = choose_backend(solver, problem)
    if not problem.is_dense and not getattr(backend, "accepts_vectors", False):
        problem = problem.densified()  # a backend that needs the matrix was asked for by name
    found = counting_checks(problem.hard_only())
    if found:
        raise InfeasibleError(found)
    checked = time.perf_counter()
    try:
        result = backend.solve(problem, time_limit=limit - (checked - start), seed=seed,
                               workers=DEFAULT_WORKERS if workers is None else workers)
    except InfeasibleError as exc:
        if any(d.rule != "rules" for d in exc.diagnoses):
            raise  # the backend said why
        left = max(limit - (time.perf_counter() - start), 1.0)
        raise InfeasibleError(diagnose(problem.hard_only(), time_limit=min(left, DIAGNOSIS_SECONDS))
                              or exc.diagnoses
                              or "the rules cannot all hold") from None
    # stages may nest (the pruned flow's "solve" holds its rounds), so the wall time is kept apart
    return replace(result, timings={"checks": checked - start, **result.timings},
                   info={**result.info, "solver_choice": why, "wall_time": time.perf_counter() - start})


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
    workers: int | None = None,
    quotas: Any = None,
    covers: Any = None,
    min_load: Any = None,
    min_load_soft: bool = True,
    balance: float = 0.0,
    past: Any = None,
    history: str = DEFAULT_HISTORY,
    continuity_bonus: float = 0.1,
    objective: str = "total",
    fairness: float | None = None,
    max_probability: float | None = None,
    needs: Any = None,
    offers: Any = None,
    mentor_groups: Any = None,
    coverage_weight: float | None = None,
    diversity_weight: float | None = None,
    tandems: Any = None,
    apart: Any = None,
    circles: Any = None,
    soft: Any = None,
    missing: str = "error",
) -> Assignment:
    """Assign mentors to startups, maximising the total score, and prove the answer.

    Parameters
    ----------
    scores : array or DataFrame of shape (n_startups, n_mentors), Scores, or VectorScores
        Affinity of each pair, higher is better. A DataFrame's index holds startup ids and its
        columns mentor ids; a plain array's ids are row and column positions. A
        :class:`~matcher.scoring.affinity.Scores` brings its forbidden pairs (conflicts of interest, no
        common language) with it. A :class:`~matcher.solve.VectorScores` (startup and mentor profile
        vectors) is scored block by block and never held as a matrix: the way to match 10⁵ startups.
    k : int, (int, int) or array of shape (n_startups,)
        Distinct mentors per startup: exactly ``k`` or between ``k[0]`` and ``k[1]``.
    capacity : int, array of shape (n_mentors,) or Series indexed by mentor id
        Most startups each mentor takes.
    forbidden, pinned : iterable of (startup_id, mentor_id), or bool array of the scores' shape
        Pairs that must never / must always be made.
    solver : {"auto", "flow", "cpsat", "fair", "pruned", "stable", "stable-mentors", "randomised", \
"envy-free", "team", "team-greedy"} or a Solver
        Backend; ``auto`` picks the fastest one that can express the rules, and
        ``info["solver_choice"]`` says why. For large problems
        with only k, capacity, forbidden and pinned rules it picks ``pruned``: min-cost flow on
        each startup's best mentors, with a certificate that no other pair would do better
        (``Assignment.certified``). ``stable`` and ``stable-mentors`` return a stable assignment
        (deferred acceptance, startups or mentors proposing; see :mod:`matcher.solve.stable`)
        rather than the best total.
    time_limit : float, optional
        Seconds the backend may take (default 60; the flow backend finishes well within it).
    seed : int
        Seed for randomised backends: the same input and seed give the same answer.
    workers : int, optional
        Search workers of CP-SAT-based backends (default 2).
    quotas : list of mappings, or mapping of name to mapping, optional
        Mentors per startup from each group: ``{"name": "academic", "mentors": ids or bool mask,
        "min": 1, "max": 2}``; ``mentors`` may be a mask of shape (n_mentors,) or, for a group
        that differs by startup, (n_startups, n_mentors). Disjoint groups stay on ``flow``.
    covers : bool array of shape (n_startups, n_mentors), optional
        Domain coverage: each startup gets at least one mentor ``covers[i]`` marks (e.g. from
        :func:`matcher.solve.translate.coverage_mask`).
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
        capacity is a lower ``capacity`` (see :func:`matcher.solve.translate.cohort_problem`).
        ``history`` defaults to ``"forbid"``, as in :class:`~matcher.Rules`.
    objective : {"total", "fair", "blend", "randomised", "envy-free", "team"}
        ``total`` maximises the sum of scores. ``fair`` first maximises the worst-served startup's
        total, then the total given that; ``objective``, ``bound`` and ``gap`` then refer to the
        worst startup's total. ``blend`` maximises ``(1 - fairness) * mean startup total +
        fairness * worst startup total`` (``fairness`` defaults to 0.5). ``randomised`` finds the
        lottery over assignments of the largest expected total in which no pair is more likely
        than ``max_probability``, and returns one draw of it (from ``seed``); ``objective`` is
        the expected total and ``info`` holds the pair probabilities (``info["fractional"]``,
        see :mod:`matcher.solve.randomised`) and the deterministic optimum. ``envy-free``
        maximises the total among assignments where no startup values another's team, less its
        best mentor, above its own (EF1), or proves there is none. ``team`` maximises the team
        value (see ``needs``).
    max_probability : float, optional
        Under ``randomised``: the cap on every pair's probability, in (0, 1] (default 0.5).
    needs, offers : DataFrame, optional
        Under ``objective="team"`` (required there): ``needs`` indexed by startup id, one column
        per support area, the weight of each need (e.g. 0.5, 0.33, 0.17 most important first);
        ``offers`` indexed by mentor id, the same columns, True where the mentor offers the
        area. A team's value is its scores, plus ``coverage_weight`` (default 0.5) times the
        weight of the needs some mentor of it offers, plus ``diversity_weight`` (default 0.1)
        per distinct label of ``mentor_groups`` (e.g. ``{"kind": one kind per mentor}``) on it.
        ``solver="team"`` is exact (CP-SAT); ``"team-greedy"`` is the fast path for large
        programmes, whose ``bound`` is the flow optimum of each mentor's value alone (see
        :mod:`matcher.solve.team`).
    tandems, apart : iterable of (mentor_id, mentor_id), optional
        Mentors who are assigned together (each startup has both or neither) / never on the same
        team. CP-SAT backends only.
    circles : iterable of iterables of startup ids, optional
        Startups that must share at least one mentor.
    soft : mapping of rule name to price, optional
        Rules the solver may break at a price per mentor short or over: a quota by its name,
        ``coverage`` for ``covers``, ``min_load``. Rules not named stay hard. The objective is
        then the total less the prices paid (``info["soft_cost"]``;
        :func:`matcher.solve.soft.soft_violations` lists each violation); ``cpsat`` and
        ``team`` price them.
    missing : {"error", "forbid"}
        What a missing score (NaN, a blank cell) means. ``"error"`` refuses it; ``"forbid"`` makes
        the pair forbidden — the convention of :meth:`~matcher.scoring.affinity.Scores.to_frame`, which
        writes forbidden pairs as missing values so that they survive a round trip through a DataFrame or CSV.

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
    problem = make_problem(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned,
                           quotas=quotas, covers=covers, min_load=min_load,
                           min_load_soft=min_load_soft, balance=balance, objective=objective,
                           fairness=fairness, max_probability=max_probability, needs=needs,
                           offers=offers, mentor_groups=mentor_groups,
                           coverage_weight=coverage_weight, diversity_weight=diversity_weight,
                           tandems=tandems, apart=apart, circles=circles, soft=soft, past=past,
                           history=history,
                           continuity_bonus=continuity_bonus, missing=missing)
    return solve_problem(problem, solver=solver, time_limit=time_limit, seed=seed, workers=workers)
