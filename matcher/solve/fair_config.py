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
:func:`refutes` computes a lower bound on each ``need_i`` directly from the scores: exactly for
sets holding at most two priced mentors, by a sorted table of pairs for three (a priced mentor
and the cheapest pair reaching the rest) and by the cheapest prices for more. If the
sum exceeds the supply, no assignment reaches ``tau``. Bisection on ``tau`` gives the bound.
Quotas, pins and ``k_min`` are relaxed (which keeps the bound valid); scores must be
non-negative.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from matcher.solve.problem import Problem

__all__ = ["ConfigBound", "config_bound", "refutes"]

#: A set counts as reaching ``tau`` when its sum is at least ``tau - TOL`` (float sums differ).
TOL = 1e-9

#: Where in ``[low, high]`` bisection tries its target until one is refuted (then halfway).
UPPER = 0.85

#: Pairs of priced mentors are enumerated up to this many priced mentors (else a cheaper bound).
MAX_PAIRED = 160


@dataclass
class ConfigBound:
    """The bound (the lowest refuted target), the highest target whose LP was feasible, and the
    fractional solution there: ``owner``, ``members`` (-1 pads) and ``weight`` of its columns."""

    value: float
    feasible_tau: float | None = None
    owner: np.ndarray | None = None
    members: np.ndarray | None = None
    weight: np.ndarray | None = None
    lp_solves: int = 0
    info: dict = field(default_factory=dict)


def config_bound(problem: Problem, low: float, high: float, *, seconds: float,
                 steps: int = 12) -> ConfigBound:
    """The lowest target in ``[low, high]`` that the configuration LP refutes (``high`` if none).

    ``low`` should be reached by a known assignment; ``high`` is an upper bound already proven.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> scores = np.array([[1.0, 0.1, 0.1], [1.0, 0.1, 0.1]])   # both want mentor 0
    >>> p = make_problem(scores, k=1, capacity=1, objective="fair")
    >>> round(config_bound(p, 0.1, 1.0, seconds=5, steps=40).value, 3)   # the LP over pairs: 0.55
    0.1
    """
    found = ConfigBound(high)
    if (problem.scores < 0).any() or not high > low or problem.k_max.max(initial=0) == 0:
        return found
    until = time.perf_counter() + seconds
    scores = np.where(problem.allowed, problem.scores, -np.inf)
    pool = _Pool(problem.shape[0], int(problem.k_max.max()))
    pool.prices = np.zeros(problem.shape[1])
    master = _Master(problem)
    lo, hi = low, high
    for _ in range(steps):
        if time.perf_counter() > until:
            break
        # above the middle: a refuted target stops at its certificate, a feasible one must converge
        tau = lo + (UPPER if hi == high else 0.5) * (hi - lo)
        verdict = _generate(problem, scores, pool, master, tau, until, found)
        if verdict:
            hi = found.value = tau
        else:
            lo = tau
    return found


def refutes(problem: Problem, scores: np.ndarray, prices: np.ndarray, tau: float) -> bool:
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


def _generate(problem: Problem, scores: np.ndarray, pool: _Pool, master: _Master, tau: float,
              until: float, found: ConfigBound) -> bool:
    """Column generation at ``tau``: True when refuted by a verified certificate.

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
                return True  # some startup cannot reach tau even alone
            gap = need.sum() - float(prices @ supply)
            if gap > float(prices @ supply) * 1e-9 + 1e-12:
                return True  # the certificate: verified from the scores, whatever the LP said
            if gap > best_gap:
                center, best_gap = prices, gap
            new = _set_prices(lp_prices, sets) < alpha - 1e-9
            if new.any():
                break
        if not new.any() and solved_here:
            return False  # converged, not refuted (pricing beyond three priced mentors is loose)
        rows = np.nonzero(new)[0]
        if len(rows):
            pool.add(rows, sets[rows], _set_values(scores, rows, sets[rows]))
            master.add(rows, sets[rows])
        if time.perf_counter() > until:
            return False
        keep = pool.value >= tau - TOL
        master.restrict(keep)
        solved = master.solve(until - time.perf_counter())
        found.lp_solves += 1
        solved_here = True
        if solved is None:
            return False
        objective, lp_prices, weight = solved
        if objective > 1e-9:
            pool.prices = lp_prices  # the next target starts from prices that mean something
        if objective <= 1e-9:
            found.feasible_tau = max(found.feasible_tau or -np.inf, tau)
            found.owner, found.members = pool.owner[keep], pool.members[keep]
            found.weight = weight[keep]
            return False
    return False


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

        self.h.setOptionValue("time_limit", float(max(seconds, 0.05)))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = self.h.getSolution()
        prices = np.clip(-np.asarray(sol.row_dual)[self.n_s:], 0.0, 1.0)
        prices[prices < 1e-9] = 0.0  # fewer priced mentors; the certificate is checked at these
        value = self.h.getInfo().objective_function_value
        return float(value), prices, np.asarray(sol.col_value)[self.n_m:]


def _needs(problem: Problem, scores: np.ndarray, prices: np.ndarray, tau: float):
    """Per startup: a lower bound on the cost of its cheapest set reaching ``tau``, and a set
    (shape (n_startups, K), -1 pads) reaching it, as cheap as found (the top scores otherwise),
    and that set's cost."""
    n_s, n_m = scores.shape
    kk = problem.k_max.astype(np.int64)
    big_k = int(kk.max())
    target = tau - TOL
    priced = prices > 0
    p_idx = np.nonzero(priced)[0]
    p_price = prices[p_idx]
    free_vals = np.where(priced[None, :], -np.inf, scores)
    free_top = _top(free_vals, big_k)  # indices, best first, shape (n_s, K)
    free_sums = _prefix(free_vals, free_top)  # best of at most q free, q = 0..K
    rows = np.arange(n_s)

    def free_k(q):  # best sum of at most k_i - q free mentors (-inf when q > k_i)
        at = kk - q
        return np.where(at >= 0, free_sums[rows, np.maximum(at, 0)], -np.inf)

    def free_set(q):  # the k_i - q best free mentors
        place = np.arange(big_k)[None, :]
        ok = (place < (kk - q)[:, None]) & np.isfinite(np.take_along_axis(free_vals, free_top, 1))
        return np.where(ok, free_top, -1)

    need = np.where(free_k(0) >= target, 0.0, np.inf)
    sets = free_set(0)
    # the top k_i scores overall: a set reaching tau whenever any does (a fallback column)
    top_all = _top(scores, big_k)
    fallback = np.where((np.arange(big_k)[None, :] < kk[:, None])
                        & np.isfinite(np.take_along_axis(scores, top_all, 1)), top_all, -1)
    reach = _set_values(scores, rows, fallback) >= target
    need[~reach] = np.inf
    best_cost = np.where(need == 0, 0.0, np.where(reach, _set_prices(prices, fallback), np.inf))
    best_set = np.where((need == 0)[:, None], sets, fallback)
    if len(p_idx) == 0:
        return need, best_set, best_cost
    p_scores = scores[:, p_idx]
    lower = np.full(n_s, np.inf)
    # one priced mentor and k_i - 1 free ones: the cheapest that reaches tau
    ok = p_scores + free_k(1)[:, None] >= target
    one_cost = np.where(ok, p_price[None, :], np.inf)
    j1 = one_cost.argmin(axis=1)
    c1 = one_cost[rows, j1]
    lower = np.minimum(lower, c1)
    better = c1 < best_cost
    set1 = free_set(1)
    set1 = np.concatenate([p_idx[j1][:, None], set1[:, : big_k - 1]], axis=1)
    best_set = np.where(better[:, None], set1, best_set)
    best_cost = np.where(better, c1, best_cost)
    if big_k >= 2:
        c2, a, b = _pair_costs(p_scores, p_price, target - free_k(2))
        lower = np.minimum(lower, c2)
        better = c2 < best_cost
        set2 = np.concatenate([p_idx[a][:, None], p_idx[b][:, None], free_set(2)[:, : big_k - 2]],
                              axis=1)
        best_set = np.where(better[:, None], set2, best_set)
        best_cost = np.where(better, c2, best_cost)
    cheapest = np.concatenate([[0.0], np.cumsum(np.sort(p_price))])
    p_sums = _prefix(p_scores, _top(p_scores, min(big_k, len(p_idx))))
    for q in range(3, min(big_k, len(p_idx)) + 1):
        can = p_sums[:, q] + free_k(q) >= target
        bound_q = np.full(n_s, cheapest[q])
        if q == 3 and len(p_idx) <= MAX_PAIRED:
            # each priced a, then the cheapest pair reaching the rest (which may hold a: a lower
            # bound, and a set to add when it does not)
            # only rows where three may be cheaper than what is known (the sort is costly)
            rows3 = np.nonzero(can & (np.minimum(lower, need) > cheapest[3]))[0]
            low3 = np.full(n_s, np.inf)
            trio = np.zeros((n_s, 3), dtype=np.int64)
            low3[rows3], trio[rows3] = _triple_costs(p_scores[rows3], p_price,
                                                     (target - free_k(3))[rows3])
            bound_q = np.maximum(bound_q, np.where(np.isin(rows, rows3), low3, cheapest[3]))
            real = (trio[:, 0] != trio[:, 1]) & (trio[:, 0] != trio[:, 2]) & np.isfinite(low3)
            better = real & (low3 < best_cost)
            set3 = np.concatenate([p_idx[trio], free_set(3)[:, : big_k - 3]], axis=1)
            best_set = np.where(better[:, None], set3, best_set)
            best_cost = np.where(better, low3, best_cost)
        lower = np.minimum(lower, np.where(can, bound_q, np.inf))
    need = np.minimum(need, lower)
    need = np.where(reach, need, np.inf)
    return need, best_set, best_cost


def _pair_costs(p_scores: np.ndarray, p_price: np.ndarray, threshold: np.ndarray):
    """Per row, the cheapest pair of priced mentors whose scores sum to ``threshold`` or more:
    its cost (inf if none) and the two positions. Beyond ``MAX_PAIRED`` mentors, a lower bound
    (the two cheapest prices, when the two best scores reach) with the two best scores as the
    pair."""
    n_s, n_p = p_scores.shape
    if n_p < 2:
        return np.full(n_s, np.inf), np.zeros(n_s, int), np.zeros(n_s, int)
    if n_p > MAX_PAIRED:
        top = _top(p_scores, 2)
        best = np.take_along_axis(p_scores, top, 1).sum(axis=1)
        cost = np.where(best >= threshold, np.sort(p_price)[:2].sum(), np.inf)
        return cost, top[:, 0], top[:, 1]
    a, b = np.triu_indices(n_p, 1)
    cost = p_price[a] + p_price[b]
    order = np.argsort(cost, kind="stable")
    a, b, cost = a[order], b[order], cost[order]
    out = np.full(n_s, np.inf)
    pick = np.zeros(n_s, dtype=np.int64)
    chunk = max(1, 4_000_000 // len(a))
    for lo in range(0, n_s, chunk):
        s = p_scores[lo : lo + chunk]
        ok = s[:, a] + s[:, b] >= threshold[lo : lo + chunk, None]
        first = ok.argmax(axis=1)
        hit = ok[np.arange(len(s)), first]
        out[lo : lo + chunk] = np.where(hit, cost[first], np.inf)
        pick[lo : lo + chunk] = first
    return out, a[pick], b[pick]


def _triple_costs(p_scores: np.ndarray, p_price: np.ndarray, threshold: np.ndarray):
    """Per row, a lower bound on the cheapest three priced mentors whose scores sum to
    ``threshold`` or more: ``min_a price_a + cheapest pair (any two) reaching threshold - s_a``;
    and the (a, b, c) attaining it (a real set when the pair avoids a). Needs scores >= 0.

    For each row the pairs are sorted by score sum, their prices minimised along it, and each
    ``a`` looks up its threshold by one ``searchsorted`` over all rows at once (rows offset by
    ``span`` so that one sorted array holds them all)."""
    n_s, n_p = p_scores.shape
    a_of, b_of = np.triu_indices(n_p, 1)
    pair_cost = p_price[a_of] + p_price[b_of]
    top = float(np.nanmax(np.where(np.isfinite(p_scores), p_scores, 0.0), initial=0.0))
    low = -(2 * top + 1)  # pairs with a forbidden mentor sit here, below every threshold
    span = 3 * (2 * top + 1) + 1
    out = np.full(n_s, np.inf)
    trio = np.zeros((n_s, 3), dtype=np.int64)
    chunk = max(1, 2_000_000 // max(len(a_of), 1))
    for lo in range(0, n_s, chunk):
        s = p_scores[lo : lo + chunk]
        r = len(s)
        sums = s[:, a_of] + s[:, b_of]
        sums = np.where(np.isfinite(sums), sums, low)
        order = np.argsort(-sums, axis=1, kind="stable")
        ranked = np.take_along_axis(sums, order, 1)
        cost = pair_cost[order]
        best = np.minimum.accumulate(cost, axis=1)
        where = np.maximum.accumulate(np.where(cost == best, np.arange(len(a_of)), 0), axis=1)
        keys = (np.arange(r)[:, None] * span - ranked).ravel()  # ascending overall
        for a in range(n_p):
            theta = np.clip(threshold[lo : lo + chunk] - s[:, a], low / 2, 2 * top + 0.5)
            theta = np.where(np.isfinite(s[:, a]), theta, 2 * top + 0.5)
            count = np.searchsorted(keys, np.arange(r) * span - theta, side="right")
            count = count - np.arange(r) * len(a_of)
            hit = count > 0
            at = np.maximum(count - 1, 0)
            here = np.where(hit, p_price[a] + best[np.arange(r), at], np.inf)
            better = here < out[lo : lo + chunk]
            out[lo : lo + chunk] = np.where(better, here, out[lo : lo + chunk])
            pair = order[np.arange(r), where[np.arange(r), at]]
            new = np.stack([np.full(r, a), a_of[pair], b_of[pair]], axis=1)
            trio[lo : lo + chunk] = np.where(better[:, None], new, trio[lo : lo + chunk])
    return out, trio


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of each row's ``n`` largest values, largest first: shape (n_rows, n)."""
    if n == 0:
        return np.zeros((values.shape[0], 0), dtype=np.int64)
    n = min(n, values.shape[1])
    idx = np.argpartition(-values, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(values, idx, 1), axis=1, kind="stable")
    return np.take_along_axis(idx, order, 1)


def _prefix(values: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Best sum of at most q of ``top``'s values per row, q = 0..n: shape (n_rows, n + 1)."""
    picked = np.take_along_axis(values, top, 1)
    sums = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(picked, axis=1)], axis=1)
    sums = np.where(np.isnan(sums), -np.inf, sums)
    return np.maximum.accumulate(sums, axis=1)
