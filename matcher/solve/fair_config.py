"""The configuration LP of max-min fairness: a bound on the worst total by column generation.

For a target ``tau``, each startup must take one *set* of mentors whose scores sum to ``tau`` or
more. The configuration LP asks whether fractions of such sets fit the mentors' capacities::

    min  sum_j over_j
    s.t. sum_{S in C_i(tau)} lam_{i,S} = 1                 for every startup i   (duals alpha_i)
         sum_{i, S ni j} lam_{i,S} - over_j <= capacity_j  for every mentor j    (duals pi_j)
         lam, over >= 0

with ``C_i(tau)`` the sets of at most ``k_max[i]`` allowed mentors reaching ``tau``. Unlike the
LP over pairs, a set must reach ``tau`` *whole*: giving a startup a fifth of each star no longer
counts. Column generation adds, per startup, the cheapest set under the prices ``pi``.

**The proof does not trust the LP.** For any prices ``pi >= 0``, every assignment in which all
startups reach ``tau`` pays ``sum_i need_i(tau, pi) <= sum_j pi_j capacity_j``, where
``need_i`` is the cheapest set of startup ``i`` reaching ``tau`` (a Farkas certificate).
:func:`refutes` computes each ``need_i`` directly from the scores
(:func:`~matcher.solve.fair_pricing.cheapest_sets`: exactly for up to three mentors a startup, a
lower bound for more). If the sum exceeds the supply, no assignment reaches ``tau``. Bisection
on ``tau`` gives the bound; the prices of each refutation also refute lower targets, down to a
point found by bisection on the certificate alone. Sets keep the quotas over fixed mentor groups
(for up to three mentors a startup: a set may be completed later, so it may lack as many of a
group's minimum as it has places left); pins, ``k_min`` and quotas that differ by startup are
relaxed (which keeps the bound valid). Scores must be non-negative.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from matcher.solve.fair_pricing import TOL, RankedScores, cheapest_sets
from matcher.solve.problem import Problem

__all__ = ["ConfigBisection", "ConfigBound", "config_bound", "refutes"]


@dataclass
class ConfigBound:
    """The bound (the lowest refuted target) and the prices that refute it (None until one is),
    the highest target whose LP was feasible, and the fractional solution there: ``owner``,
    ``members`` (-1 pads) and ``weight`` of its columns."""

    value: float
    feasible_tau: float | None = None
    owner: np.ndarray | None = None
    members: np.ndarray | None = None
    weight: np.ndarray | None = None
    lp_solves: int = 0
    prices: np.ndarray | None = None
    info: dict = field(default_factory=dict)


def config_bound(problem: Problem, low: float, high: float, *, seconds: float,
                 steps: int = 12, start_prices: np.ndarray | None = None,
                 first: float | None = None) -> ConfigBound:
    """The lowest target in ``[low, high]`` that the configuration LP refutes (``high`` if none).

    ``low`` should be reached by a known assignment; ``high`` is an upper bound already proven.
    ``start_prices`` (those of the price bound, say) price the first columns instead of zeros,
    which skips the first rounds, where every startup asks for the same stars. ``first`` is the
    first target when it lies in ``(low, high)``: a guess just below the LP's threshold (the LP
    over pairs, say) gives a feasible target, and a solution to round, at once.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> scores = np.array([[1.0, 0.1, 0.1], [1.0, 0.1, 0.1]])   # both want mentor 0
    >>> p = make_problem(scores, k=1, capacity=1, objective="fair")
    >>> round(config_bound(p, 0.1, 1.0, seconds=5, steps=40).value, 3)   # the LP over pairs: 0.55
    0.1
    """
    bisection = ConfigBisection(problem, low, high, start_prices=start_prices, first=first)
    return bisection.run(time.perf_counter() + seconds, steps=steps)


class ConfigBisection:
    """The configuration LP's bisection on the target, resumable: :meth:`run` stops on the clock
    or after a number of targets, and a later run (in another thread, say) goes on from the same
    columns and prices; a target left undecided is taken up again.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> scores = np.array([[1.0, 0.1, 0.1], [1.0, 0.1, 0.1]])
    >>> p = make_problem(scores, k=1, capacity=1, objective="fair")
    >>> bisection = ConfigBisection(p, 0.1, 1.0, first=0.1 + 1e-9)
    >>> found = bisection.run(time.perf_counter() + 5, steps=1)   # that target is feasible
    >>> found.feasible_tau is not None, round(bisection.run(time.perf_counter() + 5).value, 3)
    (True, 0.1)
    """

    def __init__(self, problem: Problem, low: float, high: float, *,
                 start_prices: np.ndarray | None = None, first: float | None = None):
        self.problem = problem
        self.found = ConfigBound(high)
        self.lo, self.hi, self.first = low, high, first
        self.stop = threading.Event()  # set by another thread: stop after the LP under way
        self.usable = not ((problem.scores < 0).any() or not high > low
                           or problem.k_max.max(initial=0) == 0)
        if not self.usable:
            return
        self.scores = RankedScores.of(np.where(problem.allowed, problem.scores, -np.inf))
        self.pool = _Pool(problem.shape[0], int(problem.k_max.max()))
        self.pool.prices = np.zeros(problem.shape[1]) if start_prices is None else np.clip(
            start_prices / max(float(np.max(start_prices, initial=0.0)), 1e-12), 0.0, 1.0)
        self.master = _Master(problem)

    def run(self, until: float, *, steps: int = 12) -> ConfigBound:
        """Bisect until ``until`` (a ``time.perf_counter`` time) for at most ``steps`` targets,
        or until :attr:`stop` is set."""
        found = self.found
        for _ in range(steps if self.usable else 0):
            if time.perf_counter() > until or self.stop.is_set():
                break
            # halfway: a feasible target (first, when the start is far from the bound) gives the
            # fractional solution the search rounds; a refuted one lowers the bound
            tau = 0.5 * (self.lo + self.hi)
            if self.first is not None and self.lo < self.first < self.hi:
                tau = self.first
            self.first = None
            verdict = _generate(self.problem, self.scores, self.pool, self.master, tau, until,
                                found, self.stop)
            if verdict is not None:
                # the certificate's prices may refute lower targets too: the lowest, by bisection
                self.hi = found.value = _lowest_refuted(self.problem, self.scores, verdict,
                                                        self.lo, tau, until)
                found.prices = verdict
            elif time.perf_counter() > until or self.stop.is_set():
                self.first = tau  # undecided: the next run takes it up again, columns and all
                break
            else:
                self.lo = tau
        return found


def _lowest_refuted(problem: Problem, scores: RankedScores, prices: np.ndarray, low: float,
                    high: float, until: float, steps: int = 8) -> float:
    """The lowest target in ``(low, high]`` that ``prices`` refute, to within ``steps`` halvings
    (``high``, which they refute, when none is found): a certificate's need only grows with the
    target, so the targets it refutes are an interval."""
    for _ in range(steps):
        if time.perf_counter() > until:
            break
        mid = 0.5 * (low + high)
        if refutes(problem, scores, prices, mid):
            high = mid
        else:
            low = mid
    return high


def refutes(problem: Problem, scores: np.ndarray | RankedScores, prices: np.ndarray,
            tau: float) -> bool:
    """True when, at ``prices``, the sets every startup needs to reach ``tau`` cost more than all
    mentor places: then no assignment gives every startup ``tau - TOL`` or more."""
    prices = np.where(prices > 1e-12, prices, 0.0)
    need = _needs(problem, scores, prices, tau)[0]
    supply = float(prices @ problem.capacity)
    return bool(need.sum() > supply * (1 + 1e-9) + 1e-12)


class _Pool:
    """Columns kept across targets: owner startup, mentors (-1 pads), and their score sums."""

    def __init__(self, n_s: int, k: int):
        self.owner = np.zeros(0, dtype=np.int64)
        self.members = np.zeros((0, k), dtype=np.int64)
        self.value = np.zeros(0)
        self.n_s = n_s
        self.prices = None

    def add(self, owner, members, value):
        self.owner = np.concatenate([self.owner, owner])
        self.members = np.concatenate([self.members, members])
        self.value = np.concatenate([self.value, value])


def _generate(problem: Problem, scores: RankedScores, pool: _Pool, master: _Master, tau: float,
              until: float, found: ConfigBound,
              stop: threading.Event | None = None) -> np.ndarray | None:
    """Column generation at ``tau``: the prices of a verified certificate refuting it, or None.

    Prices for new columns are smoothed (Wentges): halfway between the LP's and the best
    certificate's so far, which damps the LP's swings; the LP's own are used when those find
    nothing new."""
    n_s = problem.shape[0]
    supply = problem.capacity.astype(float)
    lp_prices = pool.prices  # the last target's prices: a warm start
    center, best_gap = None, -np.inf
    solved_here = False  # converged means: an LP at this target, then nothing new to add
    for _ in range(60):
        keep = pool.value >= tau - TOL
        alpha = _alphas(pool, keep, lp_prices, n_s)
        new = None
        for prices in ([0.5 * (center + lp_prices)] if center is not None else []) + [lp_prices]:
            need, sets, _ = _needs(problem, scores, prices, tau)
            if np.isinf(need).any():
                return np.zeros_like(prices)  # some startup cannot reach tau even alone
            gap = need.sum() - float(prices @ supply)
            if gap > float(prices @ supply) * 1e-9 + 1e-12:
                return prices  # the certificate: verified from the scores, whatever the LP said
            if gap > best_gap:
                center, best_gap = prices, gap
            new = _set_prices(lp_prices, sets) < alpha - 1e-9
            if new.any() or time.perf_counter() > until or (stop is not None and stop.is_set()):
                break  # (a pass takes a second at 5,000 x 1,500: none starts past the end)
        if not new.any() and solved_here:
            return None  # converged, not refuted (pricing beyond three priced mentors is loose)
        rows = np.nonzero(new)[0]
        if len(rows):
            pool.add(rows, sets[rows], _set_values(scores.scores, rows, sets[rows]))
            master.add(rows, sets[rows])
        if time.perf_counter() > until or (stop is not None and stop.is_set()):
            return None
        keep = pool.value >= tau - TOL
        master.restrict(keep)
        solved = master.solve(until - time.perf_counter())
        found.lp_solves += 1
        solved_here = True
        if solved is None:
            return None
        objective, lp_prices, weight = solved
        if objective > 1e-9:
            pool.prices = lp_prices  # the next target starts from prices that mean something
        if objective <= 1e-9:
            found.feasible_tau = max(found.feasible_tau or -np.inf, tau)
            found.owner, found.members = pool.owner[keep], pool.members[keep]
            found.weight = weight[keep]
            return None
    return None


def _alphas(pool: _Pool, keep: np.ndarray, prices: np.ndarray, n_s: int) -> np.ndarray:
    """Each startup's cheapest pooled column at ``prices`` (inf when it has none)."""
    cost = _set_prices(prices, pool.members[keep])
    alpha = np.full(n_s, np.inf)
    np.minimum.at(alpha, pool.owner[keep], cost)
    return alpha


def _set_prices(prices: np.ndarray, members: np.ndarray) -> np.ndarray:
    return np.where(members >= 0, prices[np.maximum(members, 0)], 0.0).sum(axis=1)


def _set_values(scores: np.ndarray, rows: np.ndarray, members: np.ndarray) -> np.ndarray:
    picked = scores[rows[:, None], np.maximum(members, 0)]
    return np.where(members >= 0, picked, 0.0).sum(axis=1)


class _Master:
    """The restricted master LP in one HiGHS instance, warm-started as columns arrive: rows are
    the startups' convexity rows, then the mentors' capacity rows; the first ``n_mentors``
    columns are the overflows. Columns of sets below the target get an upper bound of 0."""

    def __init__(self, problem: Problem):
        import highspy

        from matcher.solve.bound import _quiet_highs

        n_s, n_m = problem.shape
        self.n_s, self.n_m = n_s, n_m
        self.inf = highspy.kHighsInf
        self.h = h = _quiet_highs(highspy)
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        # measured at 1,000 x 300: faster than warm-started primal or dual simplex here
        h.setOptionValue("solver", "ipm")
        # each startup takes its sets with weights summing to one
        h.addRows(n_s, np.ones(n_s), np.ones(n_s), 0, np.zeros(0, np.int32),
                  np.zeros(0, np.int32), np.zeros(0))
        # each mentor's load, less its overflow, stays within its capacity
        h.addRows(n_m, np.full(n_m, -self.inf), problem.capacity.astype(float), 0,
                  np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        h.addCols(n_m, np.ones(n_m), np.zeros(n_m), np.full(n_m, self.inf), n_m,
                  np.arange(n_m, dtype=np.int32), (n_s + np.arange(n_m)).astype(np.int32),
                  -np.ones(n_m))
        self.n_cols = 0

    def add(self, owner: np.ndarray, members: np.ndarray) -> None:
        """Columns: one set each, its startup's row and its mentors' rows."""
        n = len(owner)
        valid = members >= 0
        counts = 1 + valid.sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        index = np.concatenate([owner[:, None], self.n_s + members], axis=1)
        mask = np.concatenate([np.ones((n, 1), bool), valid], axis=1)
        self.h.addCols(n, np.zeros(n), np.zeros(n), np.full(n, self.inf), int(mask.sum()),
                       starts, index[mask].astype(np.int32), np.ones(int(mask.sum())))
        self.n_cols += n

    def restrict(self, keep: np.ndarray) -> None:
        """Only the columns of ``keep`` (a bool array over the pool) may be used."""
        idx = (self.n_m + np.arange(len(keep))).astype(np.int32)
        upper = np.where(keep, self.inf, 0.0)
        self.h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), upper)

    def solve(self, seconds: float):
        """The LP value, the mentor prices and the pool's column weights, or None."""
        import highspy

        # HiGHS counts its time limit over every run of this instance, not per run
        self.h.setOptionValue("time_limit", self.h.getRunTime() + float(max(seconds, 0.05)))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = self.h.getSolution()
        prices = np.clip(-np.asarray(sol.row_dual)[self.n_s:], 0.0, 1.0)
        prices[prices < 1e-9] = 0.0  # fewer priced mentors; the certificate is checked at these
        value = self.h.getInfo().objective_function_value
        return float(value), prices, np.asarray(sol.col_value)[self.n_m:]


def _needs(problem: Problem, scores: np.ndarray | RankedScores, prices: np.ndarray,
           tau: float):
    """Per startup: a lower bound on its cheapest set reaching ``tau``, a set as cheap as found
    and its cost (:func:`~matcher.solve.fair_pricing.cheapest_sets`), with the quotas over fixed
    mentor groups (those that differ by startup are relaxed)."""
    groups = [(q.members, q.min, q.max) for q in problem.quotas if not q.per_startup]
    return cheapest_sets(scores, prices, problem.k_max, tau, groups)
