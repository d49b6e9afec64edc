"""Upper bounds for every objective: the LP relaxation (HiGHS), a Lagrangian bound from its duals.

The LP is solved on a candidate subset of pairs (fast); its duals are then priced against *every*
allowed pair, which gives a bound valid for the full problem whatever subset the LP used:

* relax, with the LP's multipliers, the mentor capacities ``mu``, hard minimum loads ``eta``,
  quota limits ``nu_hi``/``nu_lo`` and the fairness rows ``t <= total_i`` (``lam``, summing to the
  fairness weight);
* what remains splits by startup: pick between ``k_min`` and ``k_max`` mentors (pins forced) to
  maximise the reduced profits ``r_ij = (c + lam_i) s_ij - mu_j + eta_j - sum_q nu_qi [j in q]``,
  a top-k per row, done for all rows at once with ``np.partition``.

By weak duality the result bounds the best assignment for any non-negative multipliers; with the
LP's optimal multipliers it equals the LP value when no pair outside the subset has a positive
reduced profit. Load penalties (balance, soft minimum load) are never positive, so dropping them
keeps the bound valid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher.solve.objective import objective_weights
from matcher.solve.problem import Problem

__all__ = [
    "Duals",
    "lp_relaxation",
    "lagrangian_bound",
    "reduced_profits",
    "threshold_bound",
]


@dataclass(frozen=True)
class Duals:
    """LP multipliers, all non-negative: capacities, minimum loads, quota max/min, fairness rows."""

    mu: np.ndarray
    eta: np.ndarray
    nu_hi: np.ndarray
    nu_lo: np.ndarray
    lam: np.ndarray

    @classmethod
    def zeros(cls, problem: Problem) -> Duals:
        n_s, n_m = problem.shape
        q = len(problem.quotas)
        return cls(
            np.zeros(n_m), np.zeros(n_m), np.zeros((n_s, q)), np.zeros((n_s, q)), np.zeros(n_s)
        )


def lp_relaxation(
    problem: Problem, rows: np.ndarray, cols: np.ndarray, *, time_limit: float = 30.0
) -> tuple[float, Duals, np.ndarray] | None:
    """Solve the LP relaxation on the candidate pairs ``(rows, cols)`` with HiGHS (interior point).

    Returns the LP value, its multipliers and the pair values (shape (n_pairs,)), or None when
    HiGHS finds no optimum in time (or the LP on the subset is infeasible). Dual simplex stalls on
    the fairness rows; the interior-point method does not.
    """
    n = len(rows)
    c_tot, alpha = objective_weights(problem)
    fair = alpha > 0
    s = problem.scores[rows, cols]
    a_ub, b_ub, kinds = _constraint_rows(problem, rows, cols, s, fair)
    extra = 1 if fair else 0
    cost = np.concatenate([-c_tot * s, [-alpha]]) if fair else -s
    lower = np.concatenate([problem.pinned[rows, cols].astype(float), [-np.inf] * extra])
    upper = np.concatenate([np.ones(n), [np.inf] * extra])
    solved = _highs_ipm(cost, a_ub, b_ub, lower, upper, time_limit)
    if solved is None:
        return None
    fun, primal, y = solved
    return -float(fun), _duals_by_rule(problem, y, kinds, fair), primal[:n]


def _constraint_rows(problem: Problem, rows: np.ndarray, cols: np.ndarray, s: np.ndarray,
                     fair: bool) -> tuple[sp.csr_matrix, np.ndarray, list[tuple[str, int]]]:
    """``a_ub @ x <= b_ub`` over the pair variables (and ``t`` when ``fair``), rule by rule.

    ``kinds`` lists (multiplier name, number of rows) in order, to read the duals back.
    """
    n_s, n_m = problem.shape
    n = len(rows)
    e = np.arange(n)
    ones = np.ones(n)
    blocks, rhs, kinds = [], [], []

    def add(matrix, bound, kind):
        blocks.append(sp.csr_matrix(matrix))
        rhs.append(np.asarray(bound, dtype=float))
        kinds.append((kind, len(rhs[-1])))

    by_startup = sp.csr_matrix((ones, (rows, e)), shape=(n_s, n))
    by_mentor = sp.csr_matrix((ones, (cols, e)), shape=(n_m, n))
    pad = (lambda m: sp.hstack([m, sp.csr_matrix((m.shape[0], 1))])) if fair else (lambda m: m)
    # each startup takes at most k_max and at least k_min mentors
    add(pad(by_startup), problem.k_max, "k_hi")
    add(pad(-by_startup), -problem.k_min, "k_lo")
    # each mentor takes at most its capacity
    add(pad(by_mentor), problem.capacity, "mu")
    if problem.min_load is not None and problem.min_load_penalty is None:
        # each mentor takes at least its (hard) minimum load
        add(pad(-by_mentor), -problem.min_load, "eta")
    for quota in problem.quotas:
        member = quota.mask(n_s)[rows, cols].astype(float)
        in_quota = sp.csr_matrix((member, (rows, e)), shape=(n_s, n))
        # each startup takes at most max and at least min mentors of the group
        add(pad(in_quota), quota.max, "nu_hi")
        add(pad(-in_quota), -quota.min, "nu_lo")
    if fair:
        # t is at most each startup's total
        totals = sp.csr_matrix((-s, (rows, e)), shape=(n_s, n))
        add(sp.hstack([totals, sp.csr_matrix(np.ones((n_s, 1)))]), np.zeros(n_s), "lam")
    return sp.vstack(blocks).tocsr(), np.concatenate(rhs), kinds


def _duals_by_rule(problem: Problem, y: np.ndarray, kinds: list[tuple[str, int]],
                   fair: bool) -> Duals:
    """The row multipliers ``y`` split back into the rules they belong to."""
    n_s, n_m = problem.shape
    parts: dict[str, list[np.ndarray]] = {}
    at = 0
    for kind, size in kinds:
        parts.setdefault(kind, []).append(y[at : at + size])
        at += size
    q = len(problem.quotas)
    return Duals(
        mu=parts["mu"][0],
        eta=parts["eta"][0] if "eta" in parts else np.zeros(n_m),
        nu_hi=np.stack(parts["nu_hi"], axis=1) if q else np.zeros((n_s, 0)),
        nu_lo=np.stack(parts["nu_lo"], axis=1) if q else np.zeros((n_s, 0)),
        lam=parts["lam"][0] if fair else np.zeros(n_s),
    )


def _quiet_highs(highspy):
    """A ``highspy.Highs()``; its constructor prints a banner on the C-level stdout: hide it."""
    import os
    import sys

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreters): accept the banner
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _highs_ipm(cost, a_ub, b_ub, lower, upper, time_limit):
    """min cost @ x, a_ub @ x <= b_ub, lower <= x <= upper by HiGHS' interior-point method.

    Returns (value, x, y) with y >= 0 the multipliers of the rows, or None. Uses highspy when
    installed (one thread, quiet), scipy's ``linprog`` otherwise. Crossover stays on: a vertex has
    a small support, which is where the fair search starts.
    """
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a declared dependency
        from scipy.optimize import linprog  # ~0.14 s to import, and highspy is there

        res = linprog(
            cost,
            A_ub=a_ub,
            b_ub=b_ub,
            bounds=np.stack([lower, upper], axis=1),
            method="highs-ipm",
            options={"time_limit": float(max(time_limit, 0.1))},
        )
        if res.status != 0:
            return None
        return res.fun, res.x, np.maximum(-res.ineqlin.marginals, 0.0)
    inf = highspy.kHighsInf
    csc = sp.csc_matrix(a_ub)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = csc.shape[1], csc.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.where(np.isfinite(lower), lower, -inf)
    lp.col_upper_ = np.where(np.isfinite(upper), upper, inf)
    lp.row_lower_ = np.full(csc.shape[0], -inf)
    lp.row_upper_ = np.asarray(b_ub, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    h = _quiet_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "on")
    h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    sol = h.getSolution()
    # row duals of a minimisation are <= 0 on binding "<=" rows
    y = np.maximum(-np.asarray(sol.row_dual), 0.0)
    return h.getInfo().objective_function_value, np.asarray(sol.col_value), y


def reduced_profits(problem: Problem, duals: Duals) -> tuple[np.ndarray, float]:
    """Reduced profits, array of shape (n_startups, n_mentors), and the Lagrangian's constant."""
    c_tot, alpha = objective_weights(problem)
    lam = _normalised(duals.lam, alpha)
    r = (c_tot + lam)[:, None] * problem.scores - duals.mu[None, :] + duals.eta[None, :]
    const = float(duals.mu @ problem.capacity)
    if problem.min_load is not None and problem.min_load_penalty is None:
        const -= float(duals.eta @ problem.min_load)
    n_s = problem.shape[0]
    for g, quota in enumerate(problem.quotas):
        r = r - (duals.nu_hi[:, g] - duals.nu_lo[:, g])[:, None] * quota.mask(n_s)
        const += float(duals.nu_hi[:, g] @ quota.max) - float(duals.nu_lo[:, g] @ quota.min)
    return r, const


def lagrangian_bound(problem: Problem, duals: Duals) -> float:
    """An upper bound on the objective of every feasible assignment of ``problem``.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.2], [0.8, 0.1]]), k=1, capacity=1)
    >>> round(lagrangian_bound(p, Duals.zeros(p)), 6)   # each startup its best mentor
    1.7
    >>> value, duals, x = lp_relaxation(p, *np.nonzero(np.ones((2, 2))))
    >>> round(value, 6), round(lagrangian_bound(p, duals), 6)
    (1.0, 1.0)
    """
    r, const = reduced_profits(problem, duals)
    n_s, n_m = problem.shape
    pins = problem.pinned
    free = np.where(problem.allowed & ~pins, r, -np.inf)
    n_pins = pins.sum(axis=1)
    must = np.maximum(problem.k_min - n_pins, 0)
    may = np.maximum(problem.k_max - n_pins, 0)
    top_k = int(min(n_m, may.max(initial=0)))
    total = const + float(r[pins].sum())
    if top_k:
        # the best top_k free profits of each row, best first
        top = -np.partition(-free, top_k - 1, axis=1)[:, :top_k]
        top = -np.sort(-top, axis=1)
        place = np.arange(top_k)[None, :]
        if np.isneginf(top[place < must[:, None]]).any():
            return float("-inf")  # some startup cannot reach k_min: nothing is feasible
        take = np.where(
            place < must[:, None], top, np.where(place < may[:, None], np.maximum(top, 0), 0)
        )
        total += float(take.sum())
    return total + 1e-9 * max(1.0, abs(total))


def _normalised(lam: np.ndarray, alpha: float) -> np.ndarray:
    """Fairness multipliers scaled to sum to ``alpha`` (else the Lagrangian is unbounded in t)."""
    if alpha == 0:
        return np.zeros_like(lam)
    lam = np.maximum(lam, 0)
    total = lam.sum()
    return lam * (alpha / total) if total > 0 else np.full(len(lam), alpha / len(lam))


def threshold_bound(
    problem: Problem, prices: np.ndarray, low: float, high: float, steps: int = 30
) -> float:
    """An upper bound on the worst startup's total, by pricing mentor places (a Farkas argument).

    For a target ``tau``, every startup needs a set of at most ``k_max`` allowed mentors whose
    scores sum to ``tau`` or more. With non-negative ``prices`` on mentor places, such a set costs
    each startup at least ``need_i(tau)``; if ``sum_i need_i(tau)`` exceeds the value of all places,
    ``sum_j prices_j * capacity_j``, no assignment reaches ``tau``. This catches what the LP misses
    when a few popular mentors are wanted by everyone: the LP gives each startup a fifth of one,
    an assignment must give whole mentors. Bisection on ``tau`` in ``[low, high]``.

    ``need_i`` is computed exactly for sets with at most one priced mentor and bounded below by
    the cheapest prices for sets with more; quotas, pins and ``k_min`` are relaxed (which keeps the
    bound valid). Needs non-negative scores; returns ``high`` otherwise.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> scores = np.array([[1.0, 0.1, 0.1], [1.0, 0.1, 0.1]])   # both want mentor 0
    >>> p = make_problem(scores, k=1, capacity=1)
    >>> round(threshold_bound(p, np.array([1.0, 0.0, 0.0]), 0.1, 1.0), 3)   # LP says 0.55
    0.1
    """
    k = int(problem.k_max.max(initial=0))
    if k == 0 or (problem.scores < 0).any() or not np.isfinite([low, high]).all() or high <= low:
        return high
    return _lowest_refuted(_PlacePricing.of(problem, prices, k).refutes, low, high, steps)


@dataclass(frozen=True, eq=False)
class _PlacePricing:
    """What each startup can reach with a few priced mentors, and what all places are worth.

    ``free_sums[i, q]``: best sum of at most ``q`` free (unpriced) scores of startup ``i``, for
    q = 0..k (-inf when it has none); ``priced_sums[i, q]`` the same over priced mentors;
    ``cheapest[q]``: the sum of the q lowest prices.
    """

    k: int
    supply: float
    free_sums: np.ndarray
    priced_scores: np.ndarray
    priced_prices: np.ndarray
    priced_sums: np.ndarray
    cheapest: np.ndarray

    @classmethod
    def of(cls, problem: Problem, prices: np.ndarray, k: int) -> _PlacePricing:
        prices = np.maximum(prices, 0.0)
        priced = prices > 1e-12 * max(1.0, float(prices.max(initial=0.0)))
        scores = np.where(problem.allowed, problem.scores, -np.inf)
        free_sums = _top_sums(np.where(priced[None, :], -np.inf, scores),
                              min(k, int((~priced).sum())))
        if free_sums.shape[1] < k + 1:
            pad = np.full((problem.shape[0], k + 1 - free_sums.shape[1]), -np.inf)
            free_sums = np.concatenate([free_sums, pad], axis=1)
        p_idx = np.nonzero(priced)[0]
        p_scores = scores[:, p_idx]
        # a set may hold fewer than k mentors (k_min < k_max, or a pinned place): best of up to q
        return cls(
            k,
            supply=float(prices @ problem.capacity),
            free_sums=np.maximum.accumulate(free_sums, axis=1),
            priced_scores=p_scores,
            priced_prices=prices[p_idx],
            priced_sums=np.maximum.accumulate(_top_sums(p_scores, min(k, len(p_idx))), axis=1),
            cheapest=np.concatenate([[0.0], np.cumsum(np.sort(prices[p_idx]))]),
        )

    def refutes(self, tau: float) -> bool:
        """True when the places every startup needs to reach ``tau`` cost more than all of them."""
        k, n_p = self.k, len(self.priced_prices)
        need = np.full(self.free_sums.shape[0], np.inf)
        need[self.free_sums[:, k] >= tau] = 0.0  # k free mentors reach tau
        if n_p and k >= 1:
            # one priced mentor j and k - 1 free ones: the cheapest such j
            ok = self.priced_scores + self.free_sums[:, k - 1][:, None] >= tau
            one = np.where(ok, self.priced_prices[None, :], np.inf).min(axis=1)
            need = np.minimum(need, one)
        for q in range(2, min(k, n_p) + 1):
            # q priced mentors cost at least the q cheapest prices, if any q of them can reach tau
            ok = self.priced_sums[:, q] + self.free_sums[:, k - q] >= tau
            need = np.minimum(need, np.where(ok, self.cheapest[q], np.inf))
        return bool(need.sum() > self.supply * (1 + 1e-9) + 1e-12)


def _top_sums(scores: np.ndarray, n: int) -> np.ndarray:
    """Sum of each row's ``q`` best scores for q = 0..n: array of shape (n_rows, n + 1).

    >>> _top_sums(np.array([[0.1, 0.5, 0.3]]), 2).tolist()
    [[0.0, 0.5, 0.8]]
    """
    n_rows = scores.shape[0]
    top = (
        -np.sort(np.partition(-scores, n - 1, axis=1)[:, :n], axis=1)
        if n
        else np.zeros((n_rows, 0))
    )
    return np.concatenate([np.zeros((n_rows, 1)), np.cumsum(top, axis=1)], axis=1)


def _lowest_refuted(refuted, low: float, high: float, steps: int) -> float:
    """By bisection, a target close above the highest one not refuted, within ``[low, high]``.

    ``high`` when even ``high`` is not refuted; ``low`` when ``low`` already is.
    """
    if not refuted(high):
        return high
    lo, hi = low, high  # invariant: hi refuted
    if refuted(lo):
        return lo
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if refuted(mid):
            hi = mid
        else:
            lo = mid
    return hi
