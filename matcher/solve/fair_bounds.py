"""Upper bounds on the worst-served startup's total, for the fair backend.

Each argument is valid for the full problem whatever pairs the search keeps, and each is recorded
in ``info["bounds"]`` under its source (the reported bound is the smallest):

* ``"lagrangian"``: the LP relaxation on candidate pairs chosen by *price-adjusted* score (score
  less the mentor's estimated price, so that not every startup lists the same stars), its
  multipliers priced on every pair (:func:`matcher.solve.bound.lagrangian_bound`);
* ``"solo"``: what each startup could reach alone (:func:`solo_bound`);
* ``"max_total/n"``: the worst total is at most the mean, and the mean at most the max-total
  optimum over ``n`` (:func:`mean_bound`);
* ``"price"``: a count of whole places of the popular mentors (:func:`price_bound`);
* ``"configuration_lp"``: the configuration LP (:mod:`matcher.solve.fair_config`), run by the
  fair backend once it has a good assignment.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from matcher.solve.bound import (
    Duals,
    lagrangian_bound,
    lp_relaxation,
    reduced_profits,
    threshold_bound,
)
from matcher.solve.problem import Problem

__all__ = ["FairBound", "fair_bound", "solo_bound", "price_bound", "mean_bound",
           "priced_candidates"]


#: LP solves on growing candidate sets (each adds the pairs its multipliers price positive).
PRICING_ROUNDS = 2

#: The LP's pricing round is skipped when its bound is this many times the cheap bounds or more.
FAR = 1.2


@dataclass
class FairBound:
    """A bound on the objective, the LP's multipliers and the support of its solution (a bool
    array of shape (n_startups, n_mentors)); multipliers and support are None without an LP.
    ``prices`` are the mentor prices of the best price bound (None without one)."""

    value: float
    duals: Duals | None
    support: np.ndarray | None
    prices: np.ndarray | None = None


def fair_bound(
    problem: Problem, candidates: np.ndarray, *, lp_seconds: float, price_seconds: float,
    info: dict, relaxed: np.ndarray | None = None, prices: np.ndarray | None = None
) -> FairBound:
    """The best of the bounds above but the configuration LP (the last three for the fair
    objective only).

    The LP runs on the pairs of ``candidates`` for at most ``lp_seconds``; ``relaxed`` is the
    max-total flow optimum over *all* pairs (None when it was not computed on all of them), and
    ``prices`` estimated mentor prices (for :func:`mean_bound` without ``relaxed``).
    ``info`` receives ``lp_value`` and ``bounds``, each bound by its source.
    """
    bounds = info.setdefault("bounds", {})
    bound, duals, support = math.inf, None, None
    cheap = math.inf
    if problem.objective == "fair":
        # No startup does better than on its own: its best k_max allowed mentors (quotas relaxed).
        bounds["solo"] = solo_bound(problem)
        # The worst total is at most the mean, the mean at most the largest total over n.
        bounds["max_total/n"] = mean_bound(problem, relaxed, prices)
        cheap = min(bounds["solo"], bounds["max_total/n"])
    until = time.perf_counter() + lp_seconds
    for _ in range(PRICING_ROUNDS):
        lp = lp_relaxation(problem, *np.nonzero(candidates),
                           time_limit=until - time.perf_counter())
        if lp is None:
            break
        value, duals, x = lp
        here = lagrangian_bound(problem, duals)
        if here < bound:
            bound = bounds["lagrangian"] = here
            support = np.zeros(problem.shape, dtype=bool)
            c_rows, c_cols = np.nonzero(candidates)
            # a vertex (after crossover): its support is small and holds the fractional choices
            support[c_rows, c_cols] = x > 1e-6
            info["lp_value"] = value
        # pricing: the pairs the Lagrangian takes outside the candidates join them
        wanted = _row_best(problem, reduced_profits(problem, duals)[0]) & ~candidates
        if not wanted.any() or time.perf_counter() > until or here > FAR * cheap:
            # (far above the cheap bounds, a few more pairs seldom bring it below them: when a
            # few stars are everyone's choice it stays there, and the round costs an LP)
            break
        candidates = candidates | wanted
    if problem.objective == "fair":
        bound = min(bound, cheap)
        # Whole mentors, not fractions: price the popular mentors' places (see threshold_bound).
        lp_prices = duals.mu if duals is not None else np.zeros(problem.shape[1])
        value, best = _price_search(problem, lp_prices, bound, budget=price_seconds)
        bounds["price"] = value
        bound = min(bound, value)
        return FairBound(bound, duals, support, best)
    return FairBound(bound, duals, support)


def mean_bound(problem: Problem, relaxed: np.ndarray | None,
               prices: np.ndarray | None = None) -> float:
    """The largest total over the number of startups, from ``relaxed``, the flow optimum of the
    relaxation over *all* allowed pairs: no assignment's worst total is above it.

    The relaxation drops rules only, so its optimum bounds every assignment's total; the flow
    rounds scores to ``2**-30`` of the largest, so the bound adds that much per place. Load
    penalties change what the flow maximises: then it is solved again without them. Without
    ``relaxed`` (too large to route over every pair), the largest total is bounded by weak
    duality at mentor ``prices`` instead (:func:`~matcher.solve.bound.lagrangian_bound`); inf
    when neither is given.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.8], [0.7, 0.1]]), k=1, capacity=1, objective="fair")
    >>> round(mean_bound(p, np.array([[True, False], [False, True]])), 6)   # (0.9 + 0.1) / 2
    0.5
    """
    from dataclasses import replace

    from matcher.solve.cpsat_model import flow_hint

    n_s = problem.shape[0]
    if n_s == 0 or (relaxed is None and prices is None):
        return math.inf
    if relaxed is None:
        total_only = replace(problem, objective="total", fairness=0.0, balance=0.0,
                             min_load_penalty=None)
        duals = replace(Duals.zeros(problem), mu=np.maximum(prices, 0.0))
        return lagrangian_bound(total_only, duals) / n_s
    if problem.balance or problem.min_load_penalty is not None or problem.min_load is not None:
        relaxed = flow_hint(replace(problem, balance=0.0, min_load_penalty=None, min_load=None))
        if relaxed is None:
            return math.inf
    total = float(np.where(relaxed, problem.scores, 0.0).sum())
    peak = float(np.abs(np.where(problem.allowed, problem.scores, 0.0)).max(initial=0.0))
    slack = float(problem.k_max.sum()) * peak * 2.0**-28
    return (total + slack) / n_s


def priced_candidates(problem: Problem, per_startup: int, prices: np.ndarray | None
                      ) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): each startup's ``per_startup`` best allowed
    mentors by ``score - price`` (raw score when ``prices`` is None), pins included.

    When a few stars are everyone's first choice, raw top lists all hold the same stars and the
    LP on them is weak; lists by score less price hold the pairs an optimum uses.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.5, 0.4]]), k=1, capacity=1)
    >>> priced_candidates(p, 1, np.array([0.6, 0.0, 0.0])).astype(int).tolist()
    [[0, 1, 0]]
    """
    n_m = problem.shape[1]
    value = problem.scores - (0.0 if prices is None else prices[None, :])
    value = np.where(problem.allowed, value, -np.inf)
    width = int(min(n_m, per_startup))
    keep = problem.pinned.copy()
    if width:
        idx = np.argpartition(-value, width - 1, axis=1)[:, :width]
        rows = np.repeat(np.arange(problem.shape[0]), width)
        keep[rows, idx.ravel()] = True
    return keep & (problem.allowed | problem.pinned)


def _row_best(problem: Problem, profit: np.ndarray) -> np.ndarray:
    """Bool array: each startup's ``k_max`` allowed pairs of highest positive ``profit``."""
    width = int(min(problem.shape[1], problem.k_max.max(initial=0)))
    out = np.zeros(problem.shape, dtype=bool)
    if width == 0:
        return out
    profit = np.where(problem.allowed, profit, -np.inf)
    idx = np.argpartition(-profit, width - 1, axis=1)[:, :width]
    rows = np.repeat(np.arange(problem.shape[0]), width)
    out[rows, idx.ravel()] = np.take_along_axis(profit, idx, 1).ravel() > 0
    return out


def solo_bound(problem: Problem) -> float:
    """The smallest total any startup could reach alone: its best ``k_max`` allowed mentors
    (positive scores only beyond ``k_min``; quotas and capacities relaxed), pins included.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> round(solo_bound(make_problem(np.array([[0.9, 0.5], [0.3, 0.2]]), k=2, capacity=2)), 6)
    0.5
    """
    n_s = problem.shape[0]
    pins = problem.pinned
    free = np.where(problem.allowed & ~pins, problem.scores, -np.inf)
    n_pins = pins.sum(axis=1)
    must = np.maximum(problem.k_min - n_pins, 0)
    may = np.maximum(problem.k_max - n_pins, 0)
    width = int(min(problem.shape[1], may.max(initial=0)))
    totals = np.where(pins, problem.scores, 0.0).sum(axis=1)
    if width:
        top = -np.sort(np.partition(-free, width - 1, axis=1)[:, :width], axis=1)
        place = np.arange(width)[None, :]
        take = np.where(
            place < must[:, None], top, np.where(place < may[:, None], np.maximum(top, 0), 0)
        )
        totals = totals + take.sum(axis=1)
    worst = float(totals.min()) if n_s else 0.0
    return worst + 1e-9 * max(1.0, abs(worst))


def price_bound(
    problem: Problem, lp_prices: np.ndarray, high: float, *, budget: float = 1.0
) -> float:
    """The best :func:`~matcher.solve.bound.threshold_bound` over a few price vectors.

    Tries the LP's capacity multipliers and indicators of the ``P`` most wanted mentors (by mean
    score) for ``P`` on a geometric grid; stops when ``budget`` seconds are spent.
    """
    return _price_search(problem, lp_prices, high, budget=budget)[0]


def _price_search(problem: Problem, lp_prices: np.ndarray, high: float, *, budget: float
                  ) -> tuple[float, np.ndarray | None]:
    """:func:`price_bound` and the prices that gave it (None when none refuted ``high``)."""
    start = time.perf_counter()
    n_m = problem.shape[1]
    low = float(np.where(problem.allowed, problem.scores, np.inf).min(initial=0.0))
    low = min(low * float(problem.k_max.min(initial=0)), high) if np.isfinite(low) else high
    wanted = np.argsort(-problem.scores.mean(axis=0), kind="stable")
    best = high
    # the most useful sizes first (about an eighth of the mentors on the instances we measured)
    sizes = sorted(
        {max(1, int(v)) for v in np.geomspace(1, n_m, num=14)},
        key=lambda v: abs(np.log(8 * v / n_m)),
    )
    vectors = []
    for size in sizes:
        prices = np.zeros(n_m)
        prices[wanted[:size]] = 1.0
        vectors.append(prices)
    vectors.append(lp_prices)
    chosen = None
    for prices in vectors:
        if time.perf_counter() - start > budget:
            break
        here = threshold_bound(problem, prices, low, best, steps=40)
        if here < best:
            best, chosen = here, prices
    return best, chosen
