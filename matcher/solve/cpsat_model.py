"""The CP-SAT model of a :class:`~matcher.solve.problem.Problem`, read top to bottom.

One boolean per candidate pair; each startup gets between ``k_min`` and ``k_max`` mentors and
between ``min`` and ``max`` of each quota group (kinds of mentor, domain coverage); each mentor takes
at most its capacity and at least its minimum load; pinned pairs are fixed to 1; the objective is
the integer-scaled total, the worst startup's total, or a blend, less load penalties. The model is
hinted from the flow optimum of the problem (or of its flow relaxation) and solved by
:func:`run_cpsat`, the one place CP-SAT's parameters are set. The ``cpsat`` and ``fair`` backends
and the diagnosis by assumptions all build their models here.

:func:`build_model` reads as the list of rule families; each family is one small function below
it, adding the constraints of one rule in words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from matcher.data.progress import SolveTicker
from matcher.errors import InfeasibleError
from matcher.solve.cpsat_links import add_links
from matcher.solve.cpsat_progress import finish, progress_text, watch
from matcher.solve.feasible import satisfies
from matcher.solve.flow import solve_flow
from matcher.solve.problem import Problem
from matcher.solve.scaling import integer_scores

__all__ = ["CpModelParts", "build_model", "flow_relaxation", "flow_hint", "set_hint", "run_cpsat",
           "chosen_pairs", "BLEND_PARTS"]

#: Blend weights are rounded to this many parts so that the objective has integer coefficients.
BLEND_PARTS = 1000


@dataclass
class CpModelParts:
    """A CP-SAT model and the handles needed to hint, solve and read it."""

    model: object
    x: object  # pandas Series of pair booleans
    rows: np.ndarray
    cols: np.ndarray
    weights: object  # IntegerScores of the pairs
    t: object = None  # worst startup total (integer-scaled), when the objective uses it
    loads: list = field(default_factory=list)
    aux: list = field(default_factory=list)  # (var, function of the chosen mask) for the hint
    soft_terms: list = field(default_factory=list)  # (shortfall var, price) of soft quotas
    literals: dict = field(default_factory=dict)  # rule name -> enforcement literal
    objective_scale: float = 1.0  # objective_value / objective_scale is in score units
    objective: str = ""  # what the model maximises (total, worst, blend): named on the progress line
    problem: Problem | None = None
    min_totals: int | None = None  # every startup's scaled total is at least this
    hint_feasible: bool = False  # the hint keeps every rule of the model: it cannot be infeasible
    # handles used while the model is built: the pair booleans by startup and by mentor
    by_startup: list = field(default_factory=list, repr=False)
    by_mentor: list = field(default_factory=list, repr=False)
    cuts: np.ndarray | None = field(default=None, repr=False)
    enforce: bool = False

    def guard(self, name: str, constraint) -> None:
        """With ``enforce``, make ``constraint`` hold only under the literal of rule ``name``."""
        if self.enforce:
            if name not in self.literals:
                self.literals[name] = self.model.new_bool_var(f"rule: {name}")
            constraint.only_enforce_if(self.literals[name])


def flow_relaxation(problem: Problem) -> Problem:
    """``problem`` without the rules a flow cannot express (per-startup or overlapping quotas).

    Its flow optimum is the hint for CP-SAT: it may break the dropped rules, and CP-SAT repairs it.
    """
    kept, used = [], np.zeros(problem.shape[1], dtype=bool)
    for quota in problem.quotas:
        if not quota.soft and not quota.per_startup and not (used & quota.members).any():
            kept.append(quota)
            used |= quota.members
    relaxed = replace(problem, quotas=tuple(kept), objective="total", fairness=0.0)
    if problem.min_load is not None and problem.min_load_penalty is None:
        relaxed = replace(relaxed, min_load=None)
    return relaxed


def flow_hint(problem: Problem, weights: np.ndarray | None = None) -> np.ndarray | None:
    """Bool array of shape (n_startups, n_mentors): the flow optimum of the relaxation, or None."""
    try:
        rows, cols = solve_flow(flow_relaxation(problem), weights=weights)
    except InfeasibleError:
        return None
    chosen = np.zeros(problem.shape, dtype=bool)
    chosen[rows, cols] = True
    return chosen


def build_model(
    problem: Problem,
    candidates: np.ndarray,
    *,
    objective: str | None = None,
    t_bounds: tuple[int, int] | None = None,
    t_max: float | None = None,
    min_totals: int | None = None,
    enforce: bool = False,
) -> CpModelParts:
    """The CP-SAT model of ``problem`` over the pairs of the bool mask ``candidates``.

    ``objective`` is ``"total"``, ``"worst"`` (maximise the worst startup's scaled total),
    ``"blend"``, or None (feasibility only). ``t_bounds`` limits the worst total (integer units);
    ``t_max`` caps it in score units (a known bound, so that CP-SAT can stop when it meets it);
    ``min_totals`` requires every startup's scaled total to reach it. With ``enforce``, each rule
    family (and each pair forbidden by conflicts or history) is guarded by an enforcement literal
    in ``literals``, for the diagnosis by assumptions.
    """
    parts = _pair_variables(problem, candidates, enforce)
    _k_per_startup(parts)
    _capacity(parts)
    _pins(parts)
    if enforce:
        _forbidden(parts)
    _quotas(parts)
    add_links(parts)
    short_terms = _min_loads(parts)
    balance_terms = _balance(parts)
    totals = _startup_totals(parts)
    if objective in ("worst", "blend") or t_bounds is not None:
        _worst_total(parts, totals, t_bounds, t_max)
    if min_totals is not None:
        _held_totals(parts, totals, min_totals)
    _objective(parts, objective, short_terms, balance_terms)
    return parts


def _pair_variables(problem: Problem, candidates: np.ndarray, enforce: bool) -> CpModelParts:
    """The data (pairs and their integer scores) and one boolean per pair that may be made."""
    from ortools.sat.python import cp_model  # imports pandas and protobuf: keep it lazy

    n_s, n_m = problem.shape
    rows, cols = np.nonzero(candidates)
    k_total = int(problem.k_max.sum())
    weights = integer_scores(problem.scores[rows, cols], n_terms=max(k_total, 1) * BLEND_PARTS * 2)
    model = cp_model.CpModel()
    x = model.new_bool_var_series("x", pd.RangeIndex(len(rows)))
    xs = x.to_numpy()
    cuts = np.searchsorted(rows, np.arange(1, n_s))
    col_order = np.argsort(cols, kind="stable")
    by_mentor = np.split(xs[col_order], np.searchsorted(cols[col_order], np.arange(1, n_m)))
    return CpModelParts(model, x, rows, cols, weights, problem=problem,
                        by_startup=np.split(xs, cuts), by_mentor=by_mentor, cuts=cuts,
                        enforce=enforce)


def _sum(terms):
    from ortools.sat.python import cp_model

    return cp_model.LinearExpr.sum(list(terms))


def _k_per_startup(parts: CpModelParts) -> None:
    # Each startup gets between k_min and k_max distinct mentors.
    k_min, k_max = parts.problem.k_min, parts.problem.k_max
    for i, terms in enumerate(parts.by_startup):
        parts.guard("k", parts.model.add_linear_constraint(_sum(terms), int(k_min[i]),
                                                           int(k_max[i])))


def _capacity(parts: CpModelParts) -> None:
    # Each mentor takes at most its capacity.
    for j, terms in enumerate(parts.by_mentor):
        if len(terms):
            parts.guard("capacity", parts.model.add(_sum(terms) <= int(parts.problem.capacity[j])))


def _pins(parts: CpModelParts) -> None:
    # Pinned pairs are always made.
    for var in parts.x.to_numpy()[parts.problem.pinned[parts.rows, parts.cols]]:
        parts.guard("pinned", parts.model.add(var == 1))


def _forbidden(parts: CpModelParts) -> None:
    # Pairs forbidden by history, and by conflicts or other rules, are never made (a rule each,
    # so that the diagnosis can name it).
    problem, rows, cols = parts.problem, parts.rows, parts.cols
    repeats = problem.repeats if problem.repeats is not None else np.zeros(problem.shape, bool)
    xs = parts.x.to_numpy()
    for name, mask in (
        ("history", repeats[rows, cols]),
        ("forbidden", (problem.forbidden & ~repeats)[rows, cols]),
    ):
        for var in xs[mask]:
            parts.guard(name, parts.model.add(var == 0))


def _quotas(parts: CpModelParts) -> None:
    # Each startup takes between min and max mentors of each quota group; a soft quota may be
    # missed by `short` mentors, each costing its price in the objective.
    n_s = parts.problem.shape[0]
    for quota in parts.problem.quotas:
        member = quota.mask(n_s)[parts.rows, parts.cols]
        for i, (terms, inside) in enumerate(
            zip(parts.by_startup, np.split(member, parts.cuts), strict=False)
        ):
            lo, hi = int(quota.min[i]), int(quota.max[i])
            if not (lo > 0 or hi < inside.sum()):
                continue
            if quota.soft:
                short = parts.model.new_int_var(0, max(lo, int(inside.sum())), f"short_{quota.name}_{i}")
                parts.model.add(_sum(terms[inside]) + short >= lo)
                parts.model.add(_sum(terms[inside]) - short <= hi)
                parts.soft_terms.append((short, float(quota.price)))
                parts.aux.append((short, lambda c, q=quota, i=i: int(q.shortfall(c)[i])))
                continue
            parts.guard(quota.name,
                        parts.model.add_linear_constraint(_sum(terms[inside]), lo, hi))


def _min_loads(parts: CpModelParts) -> list:
    # Each mentor takes at least its minimum load (hard), or pays for each missing place (soft).
    problem, model = parts.problem, parts.model
    short_terms = []
    if problem.min_load is None:
        return short_terms
    for j, terms in enumerate(parts.by_mentor):
        need = int(problem.min_load[j])
        if need <= 0:
            continue
        if problem.min_load_penalty is None:
            parts.guard("min load", model.add(_sum(terms) >= need))
        else:
            short = model.new_int_var(0, need, f"short_{j}")
            model.add(_sum(terms) + short >= need)
            short_terms.append(short)
            parts.aux.append((short, lambda c, j=j, need=need: max(need - int(c[:, j].sum()), 0)))
    return short_terms


def _balance(parts: CpModelParts) -> list:
    # Balance: each mentor's u-th startup costs balance * u, i.e. balance * load (load + 1) / 2.
    problem, model = parts.problem, parts.model
    balance_terms = []
    if problem.balance <= 0:
        return balance_terms
    for j, terms in enumerate(parts.by_mentor):
        cap = int(problem.capacity[j])
        if not len(terms) or cap == 0:
            continue
        load = model.new_int_var(0, cap, f"load_{j}")
        square = model.new_int_var(0, cap * cap, f"square_{j}")
        model.add(load == _sum(terms))
        model.add_multiplication_equality(square, [load, load])
        balance_terms += [load, square]
        parts.aux.append((load, lambda c, j=j: int(c[:, j].sum())))
        parts.aux.append((square, lambda c, j=j: int(c[:, j].sum()) ** 2))
    return balance_terms


def _startup_totals(parts: CpModelParts) -> list:
    """Each startup's total score, integer-scaled, as a linear expression."""
    from ortools.sat.python import cp_model

    w_startup = np.split(parts.weights.ints, parts.cuts)
    return [cp_model.LinearExpr.weighted_sum(list(t), w.tolist())
            for t, w in zip(parts.by_startup, w_startup, strict=True)]


def _worst_total(parts: CpModelParts, totals: list, t_bounds, t_max) -> None:
    # t, the worst startup's total, is at most every startup's total.
    problem, weights = parts.problem, parts.weights
    k_peak = int(problem.k_max.max(initial=0))
    peak = int(np.abs(weights.ints).max(initial=0)) * k_peak + 1
    lo, hi = t_bounds if t_bounds is not None else (-peak, peak)
    if t_max is not None and np.isfinite(t_max):
        # rounding moves a startup's total by at most half a unit per mentor
        hi = min(hi, int(np.floor(t_max * weights.scale + 0.5 * k_peak)) + 1)
        lo = min(lo, hi)
    parts.t = parts.model.new_int_var(int(lo), int(hi), "worst_total")
    for total in totals:
        parts.model.add(parts.t <= total)
    row_w = np.zeros(problem.shape)
    row_w[parts.rows, parts.cols] = weights.ints
    parts.aux.append((parts.t, lambda c, w=row_w: int(np.rint((w * c).sum(axis=1)).min())))


def _held_totals(parts: CpModelParts, totals: list, min_totals: int) -> None:
    # Every startup keeps at least the worst total found before (lexicographic fairness).
    parts.min_totals = int(min_totals)
    for total in totals:
        parts.model.add(total >= int(min_totals))


def _objective(parts: CpModelParts, objective: str | None, short_terms: list,
               balance_terms: list) -> None:
    """The objective, integer-scaled; ``objective_scale`` turns its value back into scores."""
    from ortools.sat.python import cp_model

    parts.objective = objective or ""
    problem, model, scale = parts.problem, parts.model, parts.weights.scale
    wsum = cp_model.LinearExpr.weighted_sum
    total_expr = wsum(list(parts.x.to_numpy()), parts.weights.ints.tolist())
    doubled_penalty = 0
    if short_terms:
        doubled_penalty += wsum(
            short_terms, [2 * int(np.rint(problem.min_load_penalty * scale))] * len(short_terms)
        )
    if balance_terms:
        doubled_penalty += wsum(
            balance_terms, [int(np.rint(problem.balance * scale))] * len(balance_terms)
        )
    if parts.soft_terms:
        doubled_penalty += wsum([v for v, _ in parts.soft_terms],
                                [2 * int(np.rint(p * scale)) for _, p in parts.soft_terms])
    if objective == "total":
        # Maximise the total score less load penalties, doubled so that the balance term
        # step * load * (load + 1) / 2 = step * (load + square) / 2 has integer coefficients.
        model.maximize(2 * total_expr - doubled_penalty)
        parts.objective_scale = 2 * scale
    elif objective == "worst":
        # Maximise the worst-served startup's total.
        model.maximize(parts.t)
        parts.objective_scale = scale
    elif objective == "blend":
        # Maximise (1 - a) * mean total + a * worst total, in integer parts of BLEND_PARTS.
        a = int(round(problem.fairness * BLEND_PARTS))
        n_s = problem.shape[0]
        model.maximize((BLEND_PARTS - a) * total_expr + a * n_s * parts.t)
        parts.objective_scale = scale * BLEND_PARTS * n_s


def set_hint(parts: CpModelParts, chosen: np.ndarray) -> None:
    """Hint every variable of the model from the bool mask ``chosen`` of shape (n_s, n_m).

    Records in ``parts.hint_feasible`` whether the hint keeps every rule of the model, so that
    :func:`run_cpsat` knows the model cannot be infeasible.
    """
    model = parts.model
    model.clear_hints()
    values = chosen[parts.rows, parts.cols].astype(np.int64)
    # The pair variables were created first, so variable index == pair position.
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values.tolist())
    for var, value in parts.aux:
        model.add_hint(var, value(chosen))
    parts.hint_feasible = _keeps_every_rule(parts, chosen)


def _keeps_every_rule(parts: CpModelParts, chosen: np.ndarray) -> bool:
    """True when the mask ``chosen`` is a solution of the model of ``parts``."""
    problem = parts.problem
    if problem is None or parts.enforce or int(chosen[parts.rows, parts.cols].sum()) != int(
        chosen.sum()
    ):
        return False  # a pair outside the model cannot be hinted
    if not satisfies(problem, chosen):
        return False
    picked = chosen[parts.rows, parts.cols]
    totals = np.zeros(problem.shape[0], dtype=np.int64)
    np.add.at(totals, parts.rows[picked], parts.weights.ints[picked])
    worst = int(totals.min()) if len(totals) else 0
    if parts.min_totals is not None and worst < parts.min_totals:
        return False
    if parts.t is not None:
        domain = parts.model.proto.variables[parts.t.index].domain
        return bool(domain[0] <= worst <= domain[len(domain) - 1])
    return True


def chosen_pairs(parts: CpModelParts, solver) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): the pairs of the solver's solution."""
    chosen = np.zeros(parts.problem.shape, dtype=bool)
    chosen[parts.rows, parts.cols] = solver.boolean_values(parts.x).to_numpy(dtype=bool)
    return chosen


def run_cpsat(
    parts: CpModelParts,
    *,
    time_limit: float,
    seed: int,
    num_workers: int,
    assumptions: list | None = None,
    gap_limit: float = 0.0,
):
    """Solve with explicit workers, seed and time limit; returns (solver, status).

    The one place CP-SAT's parameters are set. Every model is solved by one worker, a hinted one
    interleaved (see the comment below), so ``num_workers`` is an upper bound kept for the day
    OR-Tools fixes issue #5025. A model whose hint
    keeps every rule (``parts.hint_feasible``) is never reported infeasible (see below).
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    if assumptions:
        parts.model.add_assumptions(assumptions)
    solver, status = _solve(parts, time_limit, seed, num_workers, assumptions, gap_limit)
    if status == cp_model.INFEASIBLE and getattr(parts, "hint_feasible", False):
        # CP-SAT 9.15's presolve can prove a feasible model infeasible (OR-Tools issue #5274; the
        # inclusion detection of its presolve, seen on the fair-abort cohort's last fair stage).
        # A model whose hint keeps every rule is feasible: solve it again, once, without that
        # presolve step, in the time left; if that also says infeasible, report no answer
        # (UNKNOWN) rather than a proof we know to be wrong: the caller still holds the hint.
        left = time_limit - (time.perf_counter() - started)
        solver, status = _solve(parts, left, seed, num_workers, assumptions, gap_limit,
                                inclusion_work_limit=0)
        if status == cp_model.INFEASIBLE:
            status = cp_model.UNKNOWN
    return solver, status


def _solve(parts, time_limit, seed, num_workers, assumptions, gap_limit,
           inclusion_work_limit=None):
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    # CP-SAT 9.15 aborts the whole process (a failed native CHECK, "heuristics.fixed_search !=
    # nullptr"; OR-Tools issue #5025) when three things meet: the model carries a solution hint,
    # the search is interleaved over two or more workers, and a full-problem subsolver finds the
    # model infeasible while loading it after presolve (e.g. max_lp's probing, or a presolve that
    # wrongly proves a feasible model infeasible, issue #5274). The subsolver then runs its hint
    # search on a model whose search heuristics were never built: with two or more interleaved
    # workers the infeasibility is only shared at the end of the batch. We cannot know before
    # solving whether that will happen, and more workers without interleaving are not
    # deterministic, so a hinted model gets one worker; its search stays interleaved (the same
    # portfolio, LNS included, in deterministic turns on one thread), which loses little against
    # two workers on the fair benchmark and never aborted in our tests. Unhinted models aborted
    # the same way (the never-abort property test: no hint, two interleaved workers, a model
    # found infeasible while loaded; through the cpsat, fair and envy-free backends, on main
    # too), so they also get one worker, not interleaved: the configuration that solves.
    # Assumptions are never combined with interleaving (issue #4875).
    hinted = len(parts.model.proto.solution_hint.vars) > 0
    workers = 1
    solver.parameters.num_workers = workers
    solver.parameters.interleave_search = (workers > 1 or hinted) and not assumptions
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = float(max(time_limit, 0.05))
    solver.parameters.relative_gap_limit = gap_limit
    if inclusion_work_limit is not None:
        solver.parameters.presolve_inclusion_work_limit = inclusion_work_limit
    # a progress line when someone listens (the command line on a terminal); otherwise no callback
    ticker = SolveTicker(progress_text(parts), scale=getattr(parts, "objective_scale", 1.0))
    callback = watch(solver, ticker) if ticker.active else None
    status = solver.solve(parts.model, callback)
    if callback is not None:
        finish(solver, status, ticker)
    return solver, status
