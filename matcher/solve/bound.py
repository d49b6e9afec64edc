"""Upper bounds for every objective: the LP relaxation (HiGHS) and a Lagrangian bound from its duals.

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
from scipy.optimize import linprog

from matcher.solve.problem import Problem

__all__ = ["Duals", "lp_relaxation", "lagrangian_bound", "reduced_profits", "objective_weights"]


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
        return cls(np.zeros(n_m), np.zeros(n_m), np.zeros((n_s, q)), np.zeros((n_s, q)), np.zeros(n_s))


def objective_weights(problem: Problem) -> tuple[float, float]:
    """``(c, alpha)``: the objective is ``c * total + alpha * worst startup total``.

    ``total`` gives (1, 0); ``fair`` gives (0, 1); ``blend`` with weight ``a`` gives
    ``((1 - a) / n_startups, a)``, i.e. ``(1 - a) * mean + a * worst``.

    Examples
    --------
    >>> from matcher.solve.problem import make_problem
    >>> objective_weights(make_problem(np.ones((4, 2)), k=1, capacity=2, objective="blend"))
    (0.125, 0.5)
    """
    if problem.objective == "total":
        return 1.0, 0.0
    if problem.objective == "fair":
        return 0.0, 1.0
    return (1.0 - problem.fairness) / problem.shape[0], problem.fairness


def lp_relaxation(problem: Problem, rows: np.ndarray, cols: np.ndarray, *,
                  time_limit: float = 30.0) -> tuple[float, Duals] | None:
    """Solve the LP relaxation on the candidate pairs ``(rows, cols)`` with HiGHS.

    Returns the LP value and its multipliers, or None when HiGHS finds no optimum in time (or the
    LP on the subset is infeasible).
    """
    n_s, n_m = problem.shape
    n = len(rows)
    c_tot, alpha = objective_weights(problem)
    fair = alpha > 0
    s = problem.scores[rows, cols]
    e = np.arange(n)
    ones = np.ones(n)
    blocks, rhs, kinds = [], [], []

    def add(matrix, bound, kind):
        blocks.append(sp.csr_matrix(matrix))
        rhs.append(np.asarray(bound, dtype=float))
        kinds.append((kind, len(rhs[-1])))

    by_startup = sp.csr_matrix((ones, (rows, e)), shape=(n_s, n))
    by_mentor = sp.csr_matrix((ones, (cols, e)), shape=(n_m, n))
    extra = 1 if fair else 0
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
    a_ub = sp.vstack(blocks).tocsr()
    b_ub = np.concatenate(rhs)
    cost = np.concatenate([-c_tot * s, [-alpha]]) if fair else -s
    lower = np.concatenate([problem.pinned[rows, cols].astype(float), [-np.inf] * extra])
    upper = np.concatenate([ones, [np.inf] * extra])
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=np.stack([lower, upper], axis=1), method="highs",
                  options={"time_limit": float(max(time_limit, 0.1)), "presolve": True})
    if res.status != 0:
        return None
    y = np.maximum(-res.ineqlin.marginals, 0.0)
    parts: dict[str, list[np.ndarray]] = {}
    at = 0
    for kind, size in kinds:
        parts.setdefault(kind, []).append(y[at:at + size])
        at += size
    q = len(problem.quotas)
    duals = Duals(
        mu=parts["mu"][0],
        eta=parts["eta"][0] if "eta" in parts else np.zeros(n_m),
        nu_hi=np.stack(parts["nu_hi"], axis=1) if q else np.zeros((n_s, 0)),
        nu_lo=np.stack(parts["nu_lo"], axis=1) if q else np.zeros((n_s, 0)),
        lam=parts["lam"][0] if fair else np.zeros(n_s))
    return -float(res.fun), duals


def reduced_profits(problem: Problem, duals: Duals) -> tuple[np.ndarray, float]:
    """Array of shape (n_startups, n_mentors) of reduced profits, and the constant of the Lagrangian."""
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
    >>> from matcher.solve.problem import make_problem
    >>> p = make_problem(np.array([[0.9, 0.2], [0.8, 0.1]]), k=1, capacity=1)
    >>> round(lagrangian_bound(p, Duals.zeros(p)), 6)   # each startup its best mentor
    1.7
    >>> value, duals = lp_relaxation(p, *np.nonzero(np.ones((2, 2))))
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
        take = np.where(place < must[:, None], top, np.where(place < may[:, None], np.maximum(top, 0), 0))
        total += float(take.sum())
    return total + 1e-9 * max(1.0, abs(total))


def _normalised(lam: np.ndarray, alpha: float) -> np.ndarray:
    """Fairness multipliers scaled to sum to ``alpha`` (the Lagrangian is unbounded in t otherwise)."""
    if alpha == 0:
        return np.zeros_like(lam)
    lam = np.maximum(lam, 0)
    total = lam.sum()
    return lam * (alpha / total) if total > 0 else np.full(len(lam), alpha / len(lam))
