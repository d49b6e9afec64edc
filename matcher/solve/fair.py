"""Max-min fairness that scales: LP duals, Lagrangian flows and CP-SAT on a candidate set.

The ``fair`` objective is lexicographic: first maximise the worst-served startup's total, then the
total given that. Cold CP-SAT on the whole problem stalls at 1,000 x 300 (it neither finds a good
worst total nor proves one), so :func:`solve_fair` works in five stages, each under the time limit:

1. **Candidates.** Each startup keeps its best ``L`` mentors (and enough of each quota group), plus
   every pinned pair and the pairs of the max-total flow optimum.
2. **Bound.** The LP relaxation on each startup's best mentors by score less estimated price
   (HiGHS) gives multipliers; priced against *every* pair they give a Lagrangian bound on the
   worst total that is valid for the full problem (:func:`matcher.solve.bound.lagrangian_bound`).
   The max-total optimum over ``n`` bounds it too. When a few mentors are wanted by everyone the
   LP is weak (it hands out fractions of them), and a counting argument over whole mentors
   (:func:`~matcher.solve.fair_bounds.price_bound`) is much tighter; after the start below, the
   configuration LP (:mod:`matcher.solve.fair_config`) tightens it further by bisection.
   Every bound is recorded in ``info["bounds"]`` by its source.
3. **Start.** The LP's fairness multipliers ``lam_i`` say how much each startup's total is worth;
   the flow optimum with scores ``lam_i * s_ij`` is a fair assignment that obeys every flow rule.
   A few multiplicative-weight rounds (raise the weight of startups left behind) improve it, and
   a local search (:func:`~matcher.solve.fair_search.raise_worst`) raises the worst startup by
   moves and swaps (:mod:`matcher.solve.fair_search`). Then the configuration LP, by bisection
   from a first target at the value of the LP over candidate pairs: at a target it cannot
   refute, most startups take one set whole; they keep it, and CP-SAT places the few others
   over the mentors of their sets (:func:`~matcher.solve.fair_search.round_configuration`).
   Where a few stars are everyone's choice this is by far the best start. With a second core,
   the bisection goes on beside the search below and only tightens the bound
   (:mod:`matcher.solve.fair_config_stage`). From ``SAMPLE_FROM`` startups the LP runs on a
   sample of them instead, and its prices give each startup, a few hundred at a time, its
   cheapest set reaching a target among the mentors with places left
   (:mod:`matcher.solve.fair_sample`).
4. **CP-SAT**, hinted with the best start, maximises the worst total with the bound as the upper
   end of its domain (so it can stop when it meets it): first on the LP's support (small, often
   solved outright), then on all candidates.
5. **Total.** With every startup held at that worst total, CP-SAT maximises the total.

``Assignment.objective`` is the worst startup's total, ``bound`` bounds it and ``gap`` is measured
on it; ``info["total"]`` holds the total.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, SolverError
from matcher.solve.budget import BUILD_SECONDS, LOAD_SECONDS
from matcher.solve.cpsat_model import build_model, chosen_pairs, flow_hint, run_cpsat, set_hint
from matcher.solve.fair_bounds import fair_bound, price_bound, priced_candidates, solo_bound
from matcher.solve.fair_config import ConfigBisection
from matcher.solve.fair_config_stage import SAMPLE_FROM, configuration_stage, join_configuration
from matcher.solve.fair_sample import SampleBisection
from matcher.solve.fair_search import (
    fair_candidates,
    lagrangian_flows,
    mentor_tops,
    raise_worst,
    worst_total,
)
from matcher.solve.feasible import satisfies
from matcher.solve.objective import make_assignment
from matcher.solve.problem import Problem
from matcher.solve.repair import repair
from matcher.solve.scaling import integer_scores

__all__ = [
    "FairSolver",
    "solve_fair",
    "fair_candidates",
    "worst_total",
    "satisfies",
    "price_bound",
    "solo_bound",
    "raise_worst",
]

#: Problems with at most this many allowed pairs are solved on all of them.
SMALL = 20_000

#: Beyond this many allowed pairs, the first flow runs on candidate pairs only.
LARGE = 1_000_000

#: The most of the limit the LP over candidate pairs may take where the configuration LP runs
#: on a sample (``SAMPLE_FROM`` startups and more).
LP_SHARE = 0.2


@dataclass
class FairRun:
    """One fair solve: its clock, the pairs it searches, the best start and the bound so far."""

    problem: Problem
    time_limit: float
    seed: int
    workers: int
    start: float = field(default_factory=time.perf_counter)
    candidates: np.ndarray | None = None
    relaxed: np.ndarray | None = None  # the max-total flow optimum (of the relaxation)
    relaxed_all: bool = False  # ``relaxed`` was routed over every allowed pair
    best: np.ndarray | None = None  # the best start that keeps every rule
    starts: dict = field(default_factory=dict)
    bound: float = math.inf
    prices: np.ndarray | None = None  # the price bound's mentor prices
    slack: float = 0.0  # how far integer scaling may move a startup's total
    timings: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    # the configuration LP's bisection, going on beside the search, and its thread
    bisection: ConfigBisection | SampleBisection | None = None
    background: threading.Thread | None = None

    @property
    def deadline(self) -> float:
        return self.start + self.time_limit

    @property
    def allowed(self) -> np.ndarray:
        return self.problem.allowed | self.problem.pinned

    @property
    def sampled(self) -> bool:
        """True when the configuration LP runs on a sample of the startups (the fair objective,
        from ``SAMPLE_FROM`` startups on)."""
        return self.problem.objective == "fair" and self.problem.shape[0] >= SAMPLE_FROM

    def lap(self, stage: str) -> None:
        """Record the seconds since the previous stage ended."""
        self.timings[stage] = time.perf_counter() - self.start - sum(self.timings.values())

    def meets_bound(self, chosen: np.ndarray | None) -> bool:
        """The worst total of ``chosen`` reaches the bound: it is optimal."""
        bound = self.bound
        return chosen is not None and (
            worst_total(self.problem, chosen) >= bound - 1e-7 * max(1.0, abs(bound))
        )


def solve_fair(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    num_workers: int = 2,
    hint: bool = True,
    per_startup: int | None = None,
) -> Assignment:
    """Maximise the worst-served startup's total, then the total; see the module docstring.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> scores = np.array([[0.9, 0.8], [0.7, 0.1]])
    >>> p = make_problem(scores, k=1, capacity=1, objective="fair")
    >>> a = solve_fair(p, time_limit=5)
    >>> a.pairs[["startup_id", "mentor_id"]].values.tolist(), a.status, round(a.objective, 2)
    ([[0, 1], [1, 0]], 'optimal', 0.7)
    """
    run = FairRun(problem, time_limit, seed, num_workers)
    _choose_candidates(run, hint, per_startup)
    run.lap("start")
    duals, support = _bound(run)
    run.lap("bound")
    if hint and duals is not None:
        _lagrangian_starts(run, duals.lam)
    _local_search(run)
    run.lap("heuristic")
    config_support = configuration_stage(run)  # laps "configuration" once its LP is done
    run.lap("rounding" if "configuration" in run.timings else "configuration")
    if config_support is not None:
        # the sets the configuration LP mixes at a target above the start: search among them
        support = config_support if support is None else support | config_support
    run.info["start_worst"] = {name: worst_total(problem, c) for name, c in run.starts.items()}
    met = run.meets_bound(run.best)
    start_mask = run.best if run.best is not None else run.relaxed
    if not met and support is not None and start_mask is not None and (
        run.candidates.sum() < run.allowed.sum()
    ):
        start_mask = _worst_on_support(run, support | start_mask, start_mask)
        run.lap("support")
    chosen, proven = _maximise_worst(run, start_mask, met)
    chosen, second = _then_total(run, chosen)
    run.lap("total")
    join_configuration(run, proven)
    return _answer(run, chosen, proven, second)


def _choose_candidates(run: FairRun, hint: bool, per_startup: int | None) -> None:
    """Stage 1: everything when small; else each startup's best mentors and the flow optimum."""
    problem, allowed = run.problem, run.allowed
    if allowed.sum() <= SMALL:
        run.candidates = allowed.copy()
    else:
        width = per_startup or max(8 * int(problem.k_max.max(initial=1)), 24)
        run.candidates = fair_candidates(problem, width)
    if hint and allowed.sum() > LARGE:
        # the max-total flow on every pair takes longer than the whole budget at this size: route
        # it over the candidates and, so that every mentor's places stay reachable, each mentor's
        # best startups (twice its capacity)
        wide = run.candidates | mentor_tops(problem, 2 * problem.capacity)
        run.relaxed = flow_hint(replace(problem, forbidden=problem.forbidden | ~wide))
    if hint and run.relaxed is None:
        run.relaxed = flow_hint(problem)
        run.relaxed_all = run.relaxed is not None
    if run.relaxed is not None and satisfies(problem, run.relaxed):
        run.best = run.starts["max total"] = run.relaxed
    elif run.relaxed is not None:
        # it breaks a rule the flow cannot express: pick those startups' mentors again
        repaired = repair(problem, run.relaxed, seconds=0.1 * run.time_limit)
        if repaired is not None:
            run.best = run.starts["repaired max total"] = repaired
            run.candidates |= repaired
    if run.relaxed is not None:
        run.candidates |= run.relaxed


def _bound(run: FairRun):
    """Stage 2: the LP on each startup's best mentors by score less estimated price, its
    multipliers priced on every pair (valid for all pairs whatever the candidates); its support
    is where the search below starts."""
    problem = run.problem
    lp_pairs, prices = run.candidates, None
    if run.candidates.sum() < run.allowed.sum():
        from matcher.solve.prices import estimate_prices

        prices = estimate_prices(problem.scores, problem.k_min, problem.k_max, problem.capacity)
        width = max(8 * int(problem.k_max.max(initial=1)), 24)
        # the quota members and pins of the candidates keep the LP on them feasible
        lp_pairs = priced_candidates(problem, width, prices) | fair_candidates(problem, 0)
        if run.relaxed is not None:
            lp_pairs |= run.relaxed
    left = run.deadline - time.perf_counter()
    lp_seconds = 0.5 * left
    if run.sampled:
        # the sample's configuration LP needs the time more: at 5,000 x 1,500 (correlated) this
        # LP ran 30-35 s unfinished and left it 6 s
        lp_seconds = min(lp_seconds, LP_SHARE * run.time_limit)
    found = fair_bound(problem, lp_pairs, lp_seconds=lp_seconds,
                       price_seconds=0.1 * run.time_limit, info=run.info,
                       relaxed=run.relaxed if run.relaxed_all else None, prices=prices)
    run.bound = found.value
    run.prices = found.prices
    return found.duals, found.support


def _lagrangian_starts(run: FairRun, lam: np.ndarray) -> None:
    """Stage 3a: flows with startup weights from the LP, then multiplicative-weight rounds."""
    until = run.start + 0.35 * run.time_limit
    for rounds, chosen in enumerate(lagrangian_flows(run.problem, run.candidates, lam,
                                                     until=until)):
        if run.best is None or worst_total(run.problem, chosen) > worst_total(run.problem,
                                                                              run.best):
            run.best = run.starts["lagrangian flow"] = chosen
        run.info["flow_rounds"] = rounds + 1


def _local_search(run: FairRun) -> None:
    """Stage 3b: swaps that raise the worst startup one at a time: cheap, and strong where a few
    mentors are wanted by everyone."""
    if run.best is None:
        return
    # where the configuration LP runs on a sample, its priced start is far better (5,000 x
    # 1,500: 1.571 where this search reached 1.4965 from 1.4927): its time goes there
    share = 0.05 if run.sampled else 0.15
    improved = raise_worst(run.problem, run.best, seconds=share * run.time_limit)
    if worst_total(run.problem, improved) > worst_total(run.problem, run.best):
        run.best = run.starts["local search"] = improved
    run.candidates |= run.best


def _worst_on_support(run: FairRun, small: np.ndarray, start_mask: np.ndarray) -> np.ndarray:
    """Stage 4a: CP-SAT on the LP's support (small, often solved to optimality in seconds)."""
    from ortools.sat.python import cp_model

    parts = build_model(run.problem, small, objective="worst", t_max=run.bound)
    set_hint(parts, start_mask)
    solver, status = run_cpsat(parts, time_limit=0.6 * _search_seconds(run, parts),
                               seed=run.seed, num_workers=run.workers)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = chosen_pairs(parts, solver)
        if worst_total(run.problem, found) >= worst_total(run.problem, start_mask):
            run.best = run.starts["LP support"] = found
            return found
    return start_mask


def _maximise_worst(run: FairRun, start_mask: np.ndarray | None, met: bool):
    """Stage 4b: CP-SAT maximises the worst total on all candidates, up to the bound, from the
    best start. Returns the chosen mask and whether its worst total is proven optimal."""
    from ortools.sat.python import cp_model

    problem, best = run.problem, run.best
    # integer scaling moves a startup's total by at most half a unit per mentor
    scale = integer_scores(problem.scores[run.candidates]).scale
    run.slack = 0.5 * float(problem.k_max.max(initial=0)) / scale
    parts = None
    # building costs up to 40 microseconds a pair: skip it when it would run past the limit
    if run.deadline - time.perf_counter() >= 0.5 + BUILD_SECONDS * run.candidates.sum() or (
        best is None
    ):
        parts = build_model(problem, run.candidates, objective="worst", t_max=run.bound)
        if start_mask is not None:
            set_hint(parts, start_mask)
    left = run.deadline - time.perf_counter()
    if parts is None or (left < 0.5 and best is not None):
        solver, status = None, cp_model.UNKNOWN  # no time left: report the best start
    elif met or run.meets_bound(best):
        # the start already meets the bound: its worst total is optimal; go on to the total
        solver, status = None, cp_model.OPTIMAL
    else:
        solver, status = run_cpsat(parts, time_limit=0.7 * _search_seconds(run, parts),
                                   seed=run.seed, num_workers=run.workers)
    run.lap("worst")
    if status == cp_model.INFEASIBLE and best is not None:
        status = cp_model.UNKNOWN  # the best start keeps every rule: report it
    if status == cp_model.INFEASIBLE and run.candidates.sum() < run.allowed.sum():
        # the candidates may miss every feasible assignment: retry on all pairs, if they build
        run.candidates = run.allowed
        if run.deadline - time.perf_counter() < 0.5 + BUILD_SECONDS * run.candidates.sum():
            raise SolverError(f"no assignment found within {run.time_limit:g} s; "
                              "raise time_limit")
        parts = build_model(problem, run.candidates, objective="worst", t_max=run.bound)
        solver, status = run_cpsat(parts, time_limit=0.75 * _search_seconds(run, parts),
                                   seed=run.seed, num_workers=run.workers)
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError([])
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if best is None:
            raise SolverError(f"no assignment found within {run.time_limit:g} s; "
                              "raise time_limit")
        return best, False
    if solver is None:
        return best, status == cp_model.OPTIMAL
    chosen = chosen_pairs(parts, solver)
    if best is not None and worst_total(problem, best) > worst_total(problem, chosen):
        chosen = best
    proven = status == cp_model.OPTIMAL
    slack = run.slack
    if proven and run.candidates.sum() == run.allowed.sum():
        run.bound = min(run.bound, worst_total(problem, chosen) + 2 * slack)
    elif math.isfinite(solver.best_objective_bound) and run.candidates.sum() == run.allowed.sum():
        run.bound = min(run.bound, solver.best_objective_bound / parts.weights.scale + slack)
    return chosen, proven


def _search_seconds(run: FairRun, parts) -> float:
    """What is left of the limit for a CP-SAT search, less the model's loading and presolve."""
    return run.deadline - time.perf_counter() - LOAD_SECONDS * len(parts.rows)


def _then_total(run: FairRun, chosen: np.ndarray) -> tuple[np.ndarray, str]:
    """Stage 5: the total, with every startup held at the worst total found."""
    from ortools.sat.python import cp_model

    problem = run.problem
    pool = run.candidates | chosen
    left = run.deadline - time.perf_counter()
    if left <= 0.5 + 2 * BUILD_SECONDS * pool.sum():
        return chosen, "skipped"
    # the same integer scores build_model will use (the scale depends only on the peak)
    ints = np.rint(problem.scores * integer_scores(problem.scores[pool]).scale).astype(np.int64)
    held = int(np.where(chosen, ints, 0).sum(axis=1).min())
    parts = build_model(problem, pool, objective="total", min_totals=held)
    set_hint(parts, chosen)
    solver, status = run_cpsat(parts, time_limit=_search_seconds(run, parts),
                               seed=run.seed, num_workers=run.workers)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return chosen, "skipped"
    again = chosen_pairs(parts, solver)
    if worst_total(problem, again) >= worst_total(problem, chosen) - 2 * run.slack:
        chosen = again
    return chosen, solver.status_name(status).lower()


def _answer(run: FairRun, chosen: np.ndarray, proven: bool, second: str) -> Assignment:
    """The assignment, its worst total as the objective, the bound, and the status."""
    problem = run.problem
    rows, cols = np.nonzero(chosen)
    scores = problem.scores[rows, cols]
    objective = worst_total(problem, chosen)
    bound = max(run.bound, objective)
    slack = run.slack
    # bisection and integer scaling leave the bound a hair above: certify to 1e-7 relative
    optimal = bound - objective <= 4 * slack + 1e-7 * max(1.0, abs(objective))
    status = (
        "optimal" if optimal and second == "optimal" else ("feasible" if optimal else "time_limit")
    )
    if optimal:
        bound = objective
    run.info.update(
        total=float(scores.sum()),
        total_status=second,
        candidates=int(run.candidates.sum()),
        worst_proven=proven,
    )
    return make_assignment(problem, rows, cols, solver="fair", status=status, bound=bound,
                           objective=objective, scores=scores, timings=run.timings,
                           info=run.info)


class FairSolver:
    """The ``fair`` backend: the worst-served startup's total first, then the total.

    A search built on CP-SAT (see the module docstring); chosen by ``solver="auto"`` for
    ``objective="fair"``, and by ``solver="cpsat"`` too.
    """

    name = "fair"

    def __init__(self, *, hint: bool = True):
        self.hint = hint

    def unsupported(self, problem: Problem) -> str | None:
        if problem.objective != "fair":
            return f"it maximises the worst startup's total, not the {problem.objective!r} objective"
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        return solve_fair(problem, time_limit=time_limit, seed=seed, num_workers=workers,
                          hint=self.hint)
