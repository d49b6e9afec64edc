"""Upper bounds on the worst-served startup's total, for the fair backend.

Three arguments, each valid for the full problem whatever pairs the search keeps: the LP
relaxation on the candidate pairs, its multipliers priced on every pair (a Lagrangian bound,
:func:`matcher.solve.bound.lagrangian_bound`); what each startup could reach alone
(:func:`solo_bound`); and a count of whole places of the popular mentors (:func:`price_bound`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from matcher.solve.bound import Duals, lagrangian_bound, lp_relaxation, threshold_bound
from matcher.solve.problem import Problem

__all__ = ["FairBound", "fair_bound", "solo_bound", "price_bound"]


@dataclass
class FairBound:
    """A bound on the objective, the LP's multipliers and the support of its solution (a bool
    array of shape (n_startups, n_mentors)); multipliers and support are None without an LP."""

    value: float
    duals: Duals | None
    support: np.ndarray | None


def fair_bound(
    problem: Problem, candidates: np.ndarray, *, lp_seconds: float, price_seconds: float,
    info: dict
) -> FairBound:
    """The best of the three bounds (the last two for the fair objective only).

    The LP runs on the pairs of ``candidates`` for at most ``lp_seconds``; ``info`` receives
    ``lp_value``, ``lagrangian_bound`` and ``price_bound``.
    """
    bound, duals, support = math.inf, None, None
    lp = lp_relaxation(problem, *np.nonzero(candidates), time_limit=lp_seconds)
    if lp is not None:
        value, duals, x = lp
        bound = lagrangian_bound(problem, duals)
        support = np.zeros(problem.shape, dtype=bool)
        c_rows, c_cols = np.nonzero(candidates)
        # a vertex (after crossover): its support is small and holds the fractional choices
        support[c_rows, c_cols] = x > 1e-6
        info["lp_value"] = value
    info["lagrangian_bound"] = bound
    if problem.objective == "fair":
        # No startup does better than on its own: its best k_max allowed mentors (quotas relaxed).
        bound = min(bound, solo_bound(problem))
        # Whole mentors, not fractions: price the popular mentors' places (see threshold_bound).
        prices = duals.mu if duals is not None else np.zeros(problem.shape[1])
        here = price_bound(problem, prices, bound, budget=price_seconds)
        info["price_bound"] = here
        bound = min(bound, here)
    return FairBound(bound, duals, support)


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
    for prices in vectors:
        if time.perf_counter() - start > budget:
            break
        best = min(best, threshold_bound(problem, prices, low, best, steps=40))
    return best
