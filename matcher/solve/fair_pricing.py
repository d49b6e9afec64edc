"""Pricing for the configuration LP: each startup's cheapest set of mentors reaching a target.

Given mentor prices ``p >= 0`` and a target ``tau``, startup ``i`` needs a set ``S`` of at most
``k_i`` allowed mentors with ``sum_{j in S} s_ij >= tau``; :func:`cheapest_sets` returns, per
startup, a lower bound on the cheapest such set's price (the proof of
:mod:`matcher.solve.fair_config` rests on it) and a set as cheap as it found.

**Exact for up to three mentors a startup**, by a dominance filter and enumeration: a mentor
``j`` is never needed when ``k_i`` others are at most as dear and score at least as high for
``i`` (swap ``j`` for one of them that the set lacks: no dearer, no lower). Scanning mentors by
rising price with each startup's ``k_i`` best scores so far keeps, per startup, only the few
mentors that beat them (about 25 of 300 on the programmes measured), and every set of at most
three of those is priced at once. For more mentors a startup, :func:`_bounded_needs` gives a lower
bound (exact for sets holding at most two priced mentors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = ["cheapest_sets", "RankedScores"]

#: A set counts as reaching ``tau`` when its sum is at least ``tau - TOL`` (float sums differ).
TOL = 1e-9

#: Sets priced at once (rows x sets) per chunk, to bound memory.
CHUNK = 3_000_000

#: Mentors a row tries first, the cheapest, for a bound on its cheapest set's cost.
CHEAP = 9

#: Pairs of priced mentors are enumerated up to this many priced mentors (else a cheaper bound).
MAX_PAIRED = 160


#: Each startup's best mentors kept by :class:`RankedScores` (its free mentors are found there).
RANKED = 96


@dataclass(frozen=True, eq=False)
class RankedScores:
    """Scores prepared once for many pricing passes: each row's ``RANKED`` best mentors, best
    first (``top``), and the scores by mentor (``by_mentor``, contiguous columns).

    Examples
    --------
    >>> r = RankedScores.of(np.array([[0.1, 0.9, 0.5]]))
    >>> r.top.tolist()
    [[1, 2, 0]]
    """

    scores: np.ndarray
    top: np.ndarray
    by_mentor: np.ndarray

    @classmethod
    def of(cls, scores: np.ndarray) -> RankedScores:
        """Rank ``scores`` (``-inf`` on pairs not allowed)."""
        return cls(scores, _top(scores, min(RANKED, scores.shape[1])),
                   np.ascontiguousarray(scores.T))


def cheapest_sets(scores: np.ndarray | RankedScores, prices: np.ndarray, k: np.ndarray,
                  tau: float, groups: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]] = ()):
    """Each startup's cheapest set of at most ``k[i]`` mentors whose scores reach ``tau``.

    Parameters
    ----------
    scores : array of shape (n_startups, n_mentors), or RankedScores
        Non-negative scores, ``-inf`` on pairs that are not allowed (ranked once when they
        are priced many times).
    prices : array of shape (n_mentors,)
        Non-negative mentor prices.
    k : int array of shape (n_startups,)
        The most mentors each startup may take.
    tau : float
        The target; a set reaches it when its sum is at least ``tau - TOL``.
    groups : sequence of (members, min, max)
        Quotas over fixed mentor groups (bool array of shape (n_mentors,), int arrays of shape
        (n_startups,)); kept for ``k.max() <= 3``: a set may hold at most ``max`` members of a
        group, and lack at most as many of its ``min`` as it has places left (so that it can
        still be completed). Ignored for larger ``k`` (a relaxation: still a lower bound).

    Returns
    -------
    need : array of shape (n_startups,)
        A lower bound on each startup's cheapest set (exact when ``k.max() <= 3``); ``inf`` when
        no set reaches ``tau``.
    sets : int array of shape (n_startups, k.max())
        A set reaching ``tau`` as cheap as found (-1 pads), the best scores where none does.
    cost : array of shape (n_startups,)
        The price of ``sets`` (inf where no set reaches).

    Examples
    --------
    >>> scores = np.array([[0.9, 0.6, 0.5]])
    >>> need, sets, cost = cheapest_sets(scores, np.array([1.0, 0.3, 0.2]), np.array([2]), 1.0)
    >>> float(need[0]), sorted(sets[0].tolist())     # 0.6 + 0.5 reaches 1.0 for 0.5
    (0.5, [1, 2])
    """
    k = np.asarray(k, dtype=np.int64)
    prices = np.where(prices > 0, prices, 0.0)
    if int(k.max(initial=0)) <= 3:
        ranked = scores if isinstance(scores, RankedScores) else RankedScores.of(scores)
        return _exact_needs(ranked, prices, k, tau, list(groups))
    scores = scores.scores if isinstance(scores, RankedScores) else scores
    return _bounded_needs(scores, prices, k, tau)


def _exact_needs(ranked: RankedScores, prices: np.ndarray, k: np.ndarray, tau: float,
                 groups: list):
    """:func:`cheapest_sets` for ``k <= 3``: dominance filter, then every set of the rest, in
    three passes: among each row's free mentors (a free set costs nothing), among its
    :data:`CHEAP` cheapest (whose best set bounds the cost), and among those cheaper than that.

    With quota groups, mentors are filtered within each class of mentors that belong to the
    same groups (a swap inside a class keeps every count), and each set is checked."""
    scores = ranked.scores
    n_s, n_m = scores.shape
    big_k = int(k.max(initial=0))
    target = tau - TOL
    rows = np.arange(n_s)
    need = np.full(n_s, np.inf)
    sets = np.full((n_s, max(big_k, 1)), -1, dtype=np.int64)
    if big_k == 0 or n_m == 0:
        need[target <= 0] = 0.0
        return need, sets[:, :big_k], need.copy()
    member = np.zeros(n_m, dtype=np.int64)  # the groups of each mentor, one bit a group
    for bit, (mask, _, _) in enumerate(groups):
        member |= np.asarray(mask, dtype=np.int64) << bit
    cols = _by_class(ranked, prices, big_k, member, groups)
    # first among each row's free mentors alone: a free set that reaches tau costs nothing,
    # which no set does better, and at a master LP's prices that settles nearly every row
    free = _packed(np.where((cols >= 0) & (prices[np.maximum(cols, 0)] <= 0), cols, -1))
    need, sets = _cheapest_among(scores, rows, free, prices, member, k, target, groups, big_k)
    rest = np.nonzero(~(need <= 0))[0]
    if len(rest):
        # then among the cheapest few: a set there bounds the cost, and no mentor dearer than
        # that bound can be in a cheaper set (with LP prices rows keep 40-60 mentors, and every
        # set of three of 60 is 34,220 sets)
        wide = cols[rest]
        dear = np.where(wide >= 0, prices[np.maximum(wide, 0)], np.inf)
        cheap = _packed(np.take_along_axis(wide, np.argsort(dear, axis=1, kind="stable"),
                                           1)[:, :CHEAP])
        bound, bound_sets = _cheapest_among(scores, rest, cheap, prices, member, k, target,
                                            groups, big_k)
        kept = _packed(np.where(dear < bound[:, None], wide, -1))
        found, found_sets = _cheapest_among(scores, rest, kept, prices, member, k, target,
                                            groups, big_k)
        better = found < bound
        need[rest] = np.where(better, found, bound)
        sets[rest] = np.where(better[:, None], found_sets, bound_sets)
    need[target <= 0] = 0.0
    place = np.arange(big_k)[None, :]
    # where nothing reaches tau: the best scores (any column, never a certificate)
    missing = ~(np.isfinite(need) & (sets[:, 0] >= 0))
    if missing.any():
        fallback = _top_finite(scores[missing], big_k)
        sets[missing] = np.where(place < k[missing, None], fallback, -1)
    return need, sets, need.copy()


def _cheapest_among(scores: np.ndarray, rows: np.ndarray, cols: np.ndarray, prices: np.ndarray,
                    member: np.ndarray, k: np.ndarray, target: float, groups: list, big_k: int):
    """For each of ``rows``, the cheapest set of at most ``k`` of its columns ``cols`` (packed,
    -1 pads) whose scores reach ``target`` and that keeps the groups: its cost (inf when none)
    and its mentors (-1 pads), by trying every set."""
    n = len(rows)
    width = (cols >= 0).sum(axis=1)
    bits = np.where(cols >= 0, member[np.maximum(cols, 0)], 0)
    sc = np.where(cols >= 0, scores[rows[:, None], np.maximum(cols, 0)], -np.inf)
    pr = np.where(cols >= 0, prices[np.maximum(cols, 0)], 0.0)
    kk = k[rows]
    bounds = [(low[rows], high[rows]) for _, low, high in groups]
    need = np.full(n, np.inf)
    sets = np.full((n, max(big_k, 1)), -1, dtype=np.int64)
    # rows of one width together, so that a few wide rows do not widen every row's sets
    for w in np.unique(width):
        group = np.nonzero(width == w)[0]
        for size in range(min(big_k, int(w)), 0, -1):  # largest first: ties keep fuller sets
            combos = np.array(list(combinations(range(int(w)), size)), dtype=np.int64)
            step = max(1, CHUNK // len(combos))
            for lo in range(0, len(group), step):
                part = group[lo : lo + step]
                total = sc[part][:, combos].sum(axis=2)
                cost = pr[part][:, combos].sum(axis=2)
                ok = (total >= target) & (kk[part, None] >= size)
                for bit, (low, high) in enumerate(bounds):
                    inside = ((bits[part][:, combos] >> bit) & 1).sum(axis=2)
                    ok &= (inside <= high[part, None]) & (
                        low[part, None] - inside <= kk[part, None] - size)
                cost = np.where(ok, cost, np.inf)
                pick = cost.argmin(axis=1)
                here = cost[np.arange(len(part)), pick]
                better = here < need[part]
                at = part[better]
                need[at] = here[better]
                sets[at] = -1
                sets[at, :size] = np.take_along_axis(cols[at], combos[pick[better]], 1)
    return need, sets[:, :big_k]


def _packed(cols: np.ndarray) -> np.ndarray:
    """The columns of each row moved to the front (order kept), -1 pads at the end."""
    cols = np.take_along_axis(cols, np.argsort(cols < 0, axis=1, kind="stable"), 1)
    return cols[:, : max(int((cols >= 0).sum(axis=1).max(initial=0)), 1)]


def _by_class(ranked: RankedScores, prices: np.ndarray, big_k: int, member: np.ndarray,
              groups: list) -> np.ndarray:
    """:func:`_undominated` within each class of ``member`` (mentors of the same groups), the
    columns of all classes packed together: (n_startups, width), -1 pads.

    A set takes at most as many mentors of a class as the smallest maximum of its groups (one
    investor, say), so only that many undominated ones are kept: a swap inside a class keeps
    every count."""
    classes = np.unique(member)
    if len(classes) == 1:
        return _undominated(ranked, prices, big_k, None)[0]
    parts = []
    for c in classes:
        caps = [int(np.max(high)) for bit, (_, _, high) in enumerate(groups) if (c >> bit) & 1]
        parts.append(_undominated(ranked, prices, max(1, min([big_k, *caps])), member == c)[0])
    return _packed(np.concatenate(parts, axis=1))


def _undominated(ranked: RankedScores, prices: np.ndarray, big_k: int,
                 among: np.ndarray | None):
    """Per startup, the mentors that fewer than ``big_k`` others dominate (at most as dear,
    scoring at least as high): their columns (n_startups, width), -1 pads, and each row's count.

    The free mentors (price 0) come first, their ``big_k`` best only; then the priced ones by
    rising price, each kept when it beats the row's ``big_k``-th best score so far. Only the
    mentors of ``among`` (a bool mask; None for all) take part."""
    scores = ranked.scores
    n_s = scores.shape[0]
    priced = np.nonzero((prices > 0) & (True if among is None else among))[0]
    priced = priced[np.argsort(prices[priced], kind="stable")]
    free = _free_top(ranked, prices, big_k, among)
    free_sc = np.where(free >= 0, np.take_along_axis(scores, np.maximum(free, 0), 1), -np.inf)
    best = free_sc  # the row's big_k best scores so far, best first
    keep = np.zeros((n_s, len(priced)), dtype=bool)
    # mentors of one price level together: among equals, only a row's big_k best can be
    # undominated (LP prices clipped at their cap, or a price bound's 0/1 prices, make levels
    # of hundreds of mentors, and taken one by one each kept the mentors before it)
    levels = np.flatnonzero(np.diff(prices[priced], prepend=-1.0, append=np.inf) != 0)
    for first, end in zip(levels[:-1], levels[1:]):
        if end - first == 1:  # one mentor: only the rows it enters are sorted again
            v = ranked.by_mentor[priced[first]]
            kept = keep[:, first] = v > best[:, -1]
            at = np.nonzero(kept)[0]
            if len(at):
                merged = np.concatenate([best[at], v[at, None]], axis=1)
                best[at] = -np.sort(-merged, axis=1)[:, :big_k]
            continue
        v = ranked.by_mentor[priced[first:end]].T
        merged = np.concatenate([best, v], axis=1)
        top = -np.sort(-merged, axis=1)[:, :big_k]
        # kept: beats the row's big_k-th best before this level, and is among its big_k best
        # with this level (ties may keep one too many, which only costs a little search)
        keep[:, first:end] = (v > best[:, -1:]) & (v >= top[:, -1:])
        best = top
    counts = keep.sum(axis=1)
    n_free = (free >= 0).sum(axis=1)
    width = n_free + counts
    out = np.full((n_s, max(int(width.max(initial=0)), big_k)), -1, dtype=np.int64)
    out[:, :big_k] = free  # the free columns are packed first (pads only at the end)
    r, c = np.nonzero(keep)
    slot = n_free[r] + (np.cumsum(keep, axis=1)[r, c] - 1)
    out[r, slot] = priced[c]
    return out, width


def _free_top(ranked: RankedScores, prices: np.ndarray, big_k: int,
              among: np.ndarray | None = None) -> np.ndarray:
    """Each row's ``big_k`` best free (unpriced) mentors of ``among`` (all when None), best
    first, -1 pads: from the ranked lists, and from the whole row where those hold too few."""
    scores, top = ranked.scores, ranked.top
    free = prices <= 0
    if among is not None:
        free = free & among
    free_in_top = free[top] & np.isfinite(np.take_along_axis(scores, top, 1))
    # the first big_k free places of each ranked list (stable: best first)
    order = np.argsort(~free_in_top, axis=1, kind="stable")[:, :big_k]
    out = np.where(np.take_along_axis(free_in_top, order, 1), np.take_along_axis(top, order, 1),
                   -1)
    out = np.pad(out, ((0, 0), (0, big_k - out.shape[1])), constant_values=-1)
    short = (out < 0).any(axis=1) & (top.shape[1] < scores.shape[1])
    if short.any():
        free_vals = np.where(free[None, :], scores[short], -np.inf)
        out[short] = _top_finite(free_vals, big_k)
    return out


def _bounded_needs(scores: np.ndarray, prices: np.ndarray, kk: np.ndarray, tau: float):
    """:func:`cheapest_sets` for more than three mentors a startup: a lower bound, exact for
    sets holding at most two priced mentors (the cheapest prices for more)."""
    n_s = scores.shape[0]
    big_k = int(kk.max())
    target = tau - TOL
    priced = prices > 0
    p_idx = np.nonzero(priced)[0]
    p_price = prices[p_idx]
    free_vals = np.where(priced[None, :], -np.inf, scores)
    free_top = _top(free_vals, big_k)
    free_sums = _prefix(free_vals, free_top)
    rows = np.arange(n_s)

    def free_k(q):  # best sum of at most k_i - q free mentors (-inf when q > k_i)
        at = kk - q
        return np.where(at >= 0, free_sums[rows, np.maximum(at, 0)], -np.inf)

    def free_set(q):  # the k_i - q best free mentors
        place = np.arange(big_k)[None, :]
        ok = (place < (kk - q)[:, None]) & np.isfinite(np.take_along_axis(free_vals, free_top, 1))
        return np.where(ok, free_top, -1)

    need = np.where(free_k(0) >= target, 0.0, np.inf)
    top_all = _top(scores, big_k)
    fallback = np.where((np.arange(big_k)[None, :] < kk[:, None])
                        & np.isfinite(np.take_along_axis(scores, top_all, 1)), top_all, -1)
    picked = scores[rows[:, None], np.maximum(fallback, 0)]
    reach = np.where(fallback >= 0, picked, 0.0).sum(axis=1) >= target
    need[~reach] = np.inf
    fallback_cost = np.where(fallback >= 0, prices[np.maximum(fallback, 0)], 0.0).sum(axis=1)
    best_cost = np.where(need == 0, 0.0, np.where(reach, fallback_cost, np.inf))
    best_set = np.where((need == 0)[:, None], free_set(0), fallback)
    if len(p_idx) == 0:
        return need, best_set, best_cost
    p_scores = scores[:, p_idx]
    lower = np.full(n_s, np.inf)
    # one priced mentor and k_i - 1 free ones: the cheapest that reaches tau
    one_cost = np.where(p_scores + free_k(1)[:, None] >= target, p_price[None, :], np.inf)
    j1 = one_cost.argmin(axis=1)
    c1 = one_cost[rows, j1]
    lower = np.minimum(lower, c1)
    better = c1 < best_cost
    set1 = np.concatenate([p_idx[j1][:, None], free_set(1)[:, : big_k - 1]], axis=1)
    best_set = np.where(better[:, None], set1, best_set)
    best_cost = np.where(better, c1, best_cost)
    c2, a, b = _pair_costs(p_scores, p_price, target - free_k(2))
    lower = np.minimum(lower, c2)
    better = c2 < best_cost
    set2 = np.concatenate([p_idx[a][:, None], p_idx[b][:, None], free_set(2)[:, : big_k - 2]],
                          axis=1)
    best_set = np.where(better[:, None], set2, best_set)
    best_cost = np.where(better, c2, best_cost)
    # three or more priced mentors: at least the q cheapest prices
    cheapest = np.concatenate([[0.0], np.cumsum(np.sort(p_price))])
    p_sums = _prefix(p_scores, _top(p_scores, min(big_k, len(p_idx))))
    for q in range(3, min(big_k, len(p_idx)) + 1):
        can = p_sums[:, q] + free_k(q) >= target
        lower = np.minimum(lower, np.where(can, cheapest[q], np.inf))
    need = np.where(reach, np.minimum(need, lower), np.inf)
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


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of each row's ``n`` largest values, largest first: shape (n_rows, n)."""
    if n == 0:
        return np.zeros((values.shape[0], 0), dtype=np.int64)
    n = min(n, values.shape[1])
    idx = np.argpartition(-values, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(values, idx, 1), axis=1, kind="stable")
    return np.take_along_axis(idx, order, 1)


def _top_finite(values: np.ndarray, n: int) -> np.ndarray:
    """:func:`_top` padded to ``n`` columns, with -1 where a row has fewer finite values."""
    top = _top(values, n)
    finite = np.isfinite(np.take_along_axis(values, top, 1))
    out = np.full((values.shape[0], n), -1, dtype=np.int64)
    out[:, : top.shape[1]] = np.where(finite, top, -1)
    return out


def _prefix(values: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Best sum of at most q of ``top``'s values per row, q = 0..n: shape (n_rows, n + 1)."""
    picked = np.take_along_axis(values, top, 1)
    sums = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(picked, axis=1)], axis=1)
    sums = np.where(np.isnan(sums), -np.inf, sums)
    return np.maximum.accumulate(sums, axis=1)
