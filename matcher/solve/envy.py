"""The ``envy-free`` objective: the best total among assignments envy-free up to one mentor (EF1).

Startup ``a`` values a team by the sum of its own scores for the team's mentors (a pair it may not
have is worth nothing to it). An assignment is EF1 when, for every two startups ``a`` and ``b``,
``a`` values its own team at least as much as ``b``'s team without the mentor of ``b``'s team that
``a`` values most. The CP-SAT model (:func:`build_ef1_model`) adds, for every ordered pair
``(a, b)``, one selector per mentor that may be the removed one::

    z[a, b, m] <= x[b, m]                    the removed mentor is in b's team
    sum_m z[a, b, m] <= 1                     one mentor at most
    sum_m z[a, b, m] >= x[b, m']  for all m'  one is removed when b's team is not empty
    value_a(team a) >= value_a(team b) - sum_m w[a, m] z[a, b, m]

and maximises the total score. When CP-SAT proves the model infeasible, no assignment under the
rules is EF1, and the diagnosis says so; the model holds ``n_startups² × n_mentors`` selectors,
so it is for cohorts, not batches (:data:`MAX_SELECTORS`).
"""

from __future__ import annotations

import time

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import Diagnosis, InfeasibleError, SolverError
from matcher.solve.cpsat_model import build_model, chosen_pairs, run_cpsat
from matcher.solve.objective import make_assignment
from matcher.solve.problem import Problem
from matcher.solve.scaling import integer_scores

__all__ = ["EnvyFreeSolver", "build_ef1_model", "MAX_SELECTORS"]

#: Largest ``n_startups * (n_startups - 1) * n_mentors`` the EF1 model is built for.
MAX_SELECTORS = 400_000


def build_ef1_model(problem: Problem):
    """The CP-SAT model of ``problem`` with every startup EF1 towards every other (see above)."""
    from ortools.sat.python import cp_model

    candidates = problem.allowed | problem.pinned
    parts = build_model(problem, candidates, objective="total")
    model, n_s = parts.model, problem.shape[0]
    worth = integer_scores(np.where(problem.forbidden, 0.0, problem.scores),
                           n_terms=int(problem.k_max.sum()) + 1).ints
    index = np.full(problem.shape, -1, dtype=np.int64)
    index[parts.rows, parts.cols] = np.arange(len(parts.rows))
    xs = parts.x.to_numpy()
    wsum = cp_model.LinearExpr.weighted_sum
    teams = [np.nonzero(index[b] >= 0)[0] for b in range(n_s)]
    for a in range(n_s):
        own = wsum([xs[index[a, m]] for m in teams[a]], [int(worth[a, m]) for m in teams[a]])
        for b in range(n_s):
            if a == b or not len(teams[b]):
                continue
            team_vars = [xs[index[b, m]] for m in teams[b]]
            z = [model.new_bool_var(f"z_{a}_{b}_{m}") for m in teams[b]]
            # one mentor at most is removed
            model.add_at_most_one(z)
            for zm, xm in zip(z, team_vars, strict=True):
                # the removed mentor is one of b's
                model.add_implication(zm, xm)
                # when b has a mentor, one of b's mentors is removed
                model.add(sum(z) >= xm)
            weights = [int(worth[a, m]) for m in teams[b]]
            # a values its own team at least as much as b's without the removed mentor
            model.add(own >= wsum(team_vars, weights) - wsum(z, weights))
    return parts


def _rules_hold(problem: Problem, seconds: float, seed: int) -> bool:
    """True unless CP-SAT proves the rules, without envy-freeness, cannot all hold.

    >>> from matcher.solve.arguments import make_problem
    >>> _rules_hold(make_problem(np.ones((1, 2)), k=1, objective="envy-free"), 1.0, 0)
    True
    """
    from ortools.sat.python import cp_model

    parts = build_model(problem, problem.allowed | problem.pinned, objective=None)
    _, status = run_cpsat(parts, time_limit=max(seconds, 1.0), seed=seed, num_workers=1)
    return status != cp_model.INFEASIBLE


class EnvyFreeSolver:
    """The best total over assignments that are envy-free up to one mentor (CP-SAT)."""

    name = "envy-free"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        if problem.objective != "envy-free":
            return (f"it keeps every startup envy-free up to one mentor, not the "
                    f"{problem.objective!r} objective")
        n_s, n_m = problem.shape
        if n_s * (n_s - 1) * n_m > MAX_SELECTORS:
            return (f"{n_s} startups x {n_m} mentors is too large for the exact envy-free model "
                    f"(at most {MAX_SELECTORS:,} startup pairs x mentors); audit envy with "
                    "matcher.audit.envy_table instead")
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        from ortools.sat.python import cp_model

        start = time.perf_counter()
        parts = build_ef1_model(problem)
        built = time.perf_counter()
        # One worker: an unhinted model searched by interleaved workers aborted the process
        # (OR-Tools issue #5025) when it was found infeasible while loading; see run_cpsat.
        solver, status = run_cpsat(parts, time_limit=time_limit - (built - start), seed=seed,
                                   num_workers=1)
        if status == cp_model.INFEASIBLE:
            if not _rules_hold(problem, time_limit - (time.perf_counter() - start), seed):
                raise InfeasibleError([])  # the rules themselves: diagnosed above the backends
            raise InfeasibleError([Diagnosis(
                "envy-free", "no assignment under these rules is envy-free up to one mentor "
                "(proven by CP-SAT): some startup always values another's team, less its best "
                "mentor, above its own", suggestions=("use objective 'fair' or 'total' and audit "
                                                      "envy with matcher.audit.envy_table",))])
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise SolverError(f"CP-SAT found no envy-free assignment within {time_limit:g} s "
                              f"(status {solver.status_name(status)}), nor proved there is none; "
                              "raise time_limit")
        rows, cols = np.nonzero(chosen_pairs(parts, solver))
        objective = float(problem.scores[rows, cols].sum())
        # CP-SAT's bound is on the doubled integer objective; widen it by the rounding
        slack = 0.5 * float(problem.k_max.sum()) / parts.weights.scale
        bound = max(objective, solver.best_objective_bound / parts.objective_scale + slack)
        return make_assignment(problem, rows, cols, solver=self.name,
                               status="optimal" if status == cp_model.OPTIMAL else "time_limit",
                               bound=objective if status == cp_model.OPTIMAL else bound,
                               objective=objective,
                               timings={"build": built - start, "solve": time.perf_counter() - built})
