"""Candidate pairs: each startup's best few mentors, found without the dense score matrix.

A batch of 100,000 startups and 10,000 mentors has 10⁹ pairs: 8 GB as a float64 matrix, and a
flow network too large to solve quickly. Each startup is, however, only ever matched with mentors
near the top of its list, so the solver first works on the top ``L`` mentors of every startup and
a certificate (:mod:`matcher.solve.certificate`) proves afterwards that nothing outside that list
would have done better.

Scores come from a *score source*: :class:`DenseScores` wraps a matrix, :class:`VectorScores`
computes ``scale * (startup_vector · mentor_vector) + offset`` block by block, so memory stays
O(n_startups × L) plus one block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.scoring.sources import BLOCK_ENTRIES, DenseScores, VectorScores, as_score_source

__all__ = [
    "AUTO_MIN_PAIRS",
    "default_width",
    "VectorScores",
    "DenseScores",
    "Candidates",
    "as_score_source",
    "top_candidates",
    "top_l_dense",
    "pair_mask",
    "nonzero_2d",
    "BLOCK_ENTRIES",
]

#: Score matrices with at least this many pairs go through candidates + certificate under "auto"
#: (the ``pruned`` backend, :mod:`matcher.solve.pruned`).
AUTO_MIN_PAIRS = 1_000_000


def default_width(k_max: np.ndarray, n_mentors: int) -> int:
    """Candidates per startup to start with: ``4 k + 8``, enough for all tested distributions.

    Examples
    --------
    >>> default_width(np.array([3, 3]), 1000)
    20
    """
    k = int(k_max.max(initial=0))
    return int(min(n_mentors, 4 * k + 8))


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate pairs as edge arrays sorted by (row, col): a CSR matrix without the wrapper.

    Attributes
    ----------
    rows, cols : int64 arrays of shape (n_edges,)
    weights : float64 array of shape (n_edges,)
        Exact score of each pair.
    n_startups, n_mentors : int
    peak : float
        Largest ``|score|`` over every pair that may be made (not only the candidates), so that
        the integer scale matches the one a dense solve would use.
    row_bound, prices : float64 arrays of shape (n_startups,) and (n_mentors,), optional
        Every allowed pair ``(i, j)`` that is not a candidate scores at most
        ``row_bound[i] + prices[j]`` (rounding included): what the rows were ranked on. Pairs
        added later only make it looser, so it holds for every merge.
    """

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    n_startups: int
    n_mentors: int
    peak: float = 0.0
    row_bound: np.ndarray | None = None
    prices: np.ndarray | None = None

    @property
    def indptr(self) -> np.ndarray:
        return np.searchsorted(self.rows, np.arange(self.n_startups + 1))

    def __len__(self) -> int:
        return len(self.rows)

    def merge(self, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> Candidates:
        """These candidates plus new pairs (duplicates dropped), still sorted."""
        keys = np.concatenate([self.rows * self.n_mentors + self.cols, rows * self.n_mentors + cols])
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.r_[True, keys[1:] != keys[:-1]]
        keys = keys[first]
        w = np.concatenate([self.weights, weights])[order[first]]
        return Candidates(keys // self.n_mentors, keys % self.n_mentors, w, self.n_startups,
                          self.n_mentors, self.peak, self.row_bound, self.prices)

    def to_csr(self):
        """The candidates as a ``scipy.sparse.csr_matrix`` of scores."""
        import scipy.sparse as sp

        return sp.csr_matrix((self.weights, self.cols, self.indptr),
                             shape=(self.n_startups, self.n_mentors))


def pair_mask(rows: np.ndarray, cols: np.ndarray, start: int, stop: int, n_mentors: int,
              out: np.ndarray | None = None) -> np.ndarray:
    """Boolean block (stop - start, n_mentors), True at the pairs whose row lies in the block.

    ``rows`` must be sorted.

    Examples
    --------
    >>> pair_mask(np.array([0, 2]), np.array([1, 0]), 1, 3, 2).tolist()
    [[False, False], [True, False]]
    """
    if out is None:
        out = np.zeros((stop - start, n_mentors), dtype=bool)
    lo, hi = np.searchsorted(rows, [start, stop])
    out[rows[lo:hi] - start, cols[lo:hi]] = True
    return out


def nonzero_2d(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a C-ordered 2-D mask, several times faster on large sparse masks.

    Examples
    --------
    >>> nonzero_2d(np.array([[False, True], [True, False]]))
    (array([0, 1]), array([1, 0]))
    """
    flat = np.flatnonzero(mask)
    return np.divmod(flat, mask.shape[1]) if mask.ndim == 2 else (flat, flat)


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _row_blocks(n_rows: int, n_cols: int, block_entries: int) -> Iterator[tuple[int, int]]:
    step = max(1, block_entries // max(1, n_cols))
    for start in range(0, n_rows, step):
        yield start, min(start + step, n_rows)


def top_candidates(source: Any, width: int | np.ndarray, *, excluded: tuple[np.ndarray, np.ndarray]
                   | None = None, active_rows: np.ndarray | None = None,
                   active_cols: np.ndarray | None = None, column_width: int | np.ndarray | None = None,
                   prices: np.ndarray | None = None, block_entries: int = BLOCK_ENTRIES) -> Candidates:
    """The ``width`` highest-scoring allowed mentors of every startup, block by block.

    Parameters
    ----------
    source : VectorScores, DenseScores or array of shape (n_startups, n_mentors)
    width : int or int array of shape (n_startups,)
        Mentors kept per startup (``L``); a row keeps all its allowed mentors when it has fewer.
    excluded : (rows, cols) int arrays, sorted by row, optional
        Pairs never to propose (forbidden or already pinned).
    active_rows, active_cols : bool arrays, optional
        Startups that still take mentors and mentors that still have places; other pairs are
        never proposed.
    column_width : int or int array of shape (n_mentors,), optional
        Also propose about ``column_width`` best startups of each mentor (from thresholds
        estimated on a sample of rows, so the count is approximate). Without them, when every
        startup ranks the same few star mentors first, the other mentors get no candidate at
        all and the pruned problem is infeasible.
    prices : float array of shape (n_mentors,), optional
        Estimated mentor prices (LP duals): rows rank mentors by ``score - price``, so that a
        star mentor everyone wants but few can have does not fill every list.
    block_entries : int
        Scores computed at a time; memory is O(block_entries + n_startups × width).

    Returns
    -------
    Candidates
        Sorted edges with exact float64 weights and the peak ``|score|`` over allowed pairs.

    Notes
    -----
    Rows are selected with a group-minimum filter rather than a full ``argpartition``: the
    ``w``-th best of the minima of groups of 8 mentors is a threshold that at least ``w`` and
    usually about ``w`` scores pass, found on an eighth of the data. Candidates are chosen on
    float32 values; the certificate later checks every pair exactly, so a rounding that
    changes the choice costs time, never correctness.

    Examples
    --------
    >>> c = top_candidates(np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3]]), 2)
    >>> c.rows.tolist(), c.cols.tolist(), c.weights.tolist(), c.peak
    ([0, 0, 1, 1], [1, 2, 0, 2], [0.9, 0.5, 0.7, 0.3], 0.9)
    """
    source = as_score_source(source)
    n_s, n_m = source.shape
    widths = np.minimum(np.broadcast_to(np.asarray(width, dtype=np.int64), (n_s,)), n_m)
    active_rows = np.ones(n_s, bool) if active_rows is None else np.asarray(active_rows, bool)
    active_cols = np.ones(n_m, bool) if active_cols is None else np.asarray(active_cols, bool)
    excluded = excluded if excluded is not None else (np.zeros(0, np.int64),) * 2
    theta = None if column_width is None else _column_thresholds(source, column_width)
    shift = None if prices is None else _padded_prices(prices, n_m)
    if theta is not None and shift is not None:
        theta = theta + shift  # a per-column constant keeps each column's order
    step = max(_G, block_entries // _padded(n_m) // _G * _G)
    # one buffer for every block: padding columns and rows stay +inf ("never propose")
    buf = np.full((min(step, _padded(n_s)), _padded(n_m)), np.inf, dtype=np.float32)
    raw = np.empty((len(buf), n_m), dtype=np.float32)
    scratch: dict = {}
    by_row, by_col, peak = [], [], 0.0
    floor = np.empty(n_s, dtype=np.float64)  # least ranking value left out of each row
    err_max = 0.0
    for start in range(0, n_s, step):
        stop = min(start + step, n_s)
        values, err = source.blocks(start, stop, out=raw)
        err_max = max(err_max, float(np.max(err, initial=0.0)))
        # with prices, rows are ranked on shifted values: the peak must come from the values
        peak = max(peak, _block_peak(values, both_signs=shift is not None))
        block = _ranking_block(buf, values, shift, _rows_of(excluded, start, stop),
                               active_cols, active_rows[start:stop])
        r, c, v = _row_tops(block, widths[start:stop], scratch, floor=floor[start:stop])
        if len(v) and shift is None:
            peak = max(peak, abs(float(v.min())))
        by_row.append((r + start, c))
        if theta is not None:
            r, c, v = _column_passes(block, theta, scratch if len(block) == len(buf) else None)
            by_col.append((r + start, c, v))
    rows, cols = _found_pairs(by_row, by_col, column_width, n_s, n_m)
    weights = source.exact(rows, cols)
    # the block values of VectorScores are float32: take the exact value of the largest one
    peak = max(peak, float(np.abs(weights).max(initial=0.0)))
    prices64 = np.zeros(n_m) if shift is None else shift[:n_m].astype(np.float64)
    return Candidates(rows, cols, weights, n_s, n_m, peak,
                      _row_bound(floor, err_max, peak, prices64), prices64)


def _row_bound(floor: np.ndarray, err: float, peak: float, prices: np.ndarray) -> np.ndarray:
    """Upper bound on ``score - price`` of each row's pairs left out, from its least value left.

    The ranking values are float32 sums of the negated block values and the float32 prices:
    each of the three roundings is at most 2**-24 of the magnitudes, and the block values are
    within ``err`` of the scores; the slack below covers both generously (a looser bound only
    rechecks more pairs, exactly).
    """
    slack = err + 2.0**-20 * (peak + err + float(np.abs(prices).max(initial=0.0)))
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(floor), slack - floor, -np.inf)


def _padded(n: int) -> int:
    """``n`` rounded up to a multiple of the group size ``_G``."""
    return -(-n // _G) * _G


def _padded_prices(prices: np.ndarray, n_mentors: int) -> np.ndarray:
    """Mentor prices as float32, with zeros for the padding columns."""
    shift = np.zeros(_padded(n_mentors), dtype=np.float32)
    shift[:n_mentors] = prices
    return shift


def _block_peak(values: np.ndarray, both_signs: bool) -> float:
    """Largest ``|score|`` among the block's lowest (and, when asked, highest) values."""
    peak = abs(float(values.min(initial=0.0)))
    if both_signs:
        peak = max(peak, abs(float(values.max(initial=0.0))))
    return peak


def _rows_of(pairs: tuple[np.ndarray, np.ndarray], start: int,
             stop: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (sorted by row) whose row lies in ``start:stop``, rows counted from ``start``."""
    lo, hi = np.searchsorted(pairs[0], [start, stop])
    return pairs[0][lo:hi] - start, pairs[1][lo:hi]


def _ranking_block(buf: np.ndarray, values: np.ndarray, shift: np.ndarray | None,
                   excluded: tuple[np.ndarray, np.ndarray], active_cols: np.ndarray,
                   active_rows: np.ndarray) -> np.ndarray:
    """``buf`` filled with the block's values negated (smallest is best), shifted by the prices,
    and +inf wherever a pair is never to be proposed; a multiple of ``_G`` rows."""
    b, n_m = values.shape
    block = buf[:_padded(b)]
    # negated once: the smallest are the best, and +inf marks pairs never to propose
    np.negative(values, out=block[:b, :n_m], casting="same_kind")
    if shift is not None:
        block[:b] += shift[None, :]
    block[b:] = np.inf
    block[excluded] = np.inf
    if not active_cols.all():
        block[:, :n_m][:, ~active_cols] = np.inf
    inactive = ~active_rows
    if inactive.any():
        block[:b][inactive] = np.inf
    return block


def _found_pairs(by_row: list, by_col: list, column_width, n_s: int,
                 n_m: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair found by rows, and the best found by columns, sorted and without repeats."""
    rows = np.concatenate([r for r, _ in by_row])
    cols = np.concatenate([c for _, c in by_row])
    if by_col:
        col_rows, col_cols, col_values = (np.concatenate(part) for part in zip(*by_col, strict=True))
        r, c = _cap_columns(col_rows, col_cols, col_values,
                            np.minimum(np.broadcast_to(column_width, (n_m,)), n_s) * 2)
        rows, cols = np.concatenate([rows, r]), np.concatenate([cols, c])
    keys = _sorted_unique(rows.astype(np.int64) * n_m + cols)
    return keys // n_m, keys % n_m


#: Group size of the group-minimum filter.
_G = 8


def _row_tops(block: np.ndarray, widths: np.ndarray, scratch: dict | None = None,
              floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, values) of the ``widths[i]`` smallest finite entries of each row of ``block``.

    ``block`` has a multiple of ``_G`` columns and at least ``len(widths)`` rows. ``floor``,
    when given, receives each row's least finite entry that was not kept (+inf when none was
    left out).
    """
    b, m_pad = len(widths), block.shape[1]
    w = int(widths.max(initial=0))
    if w == 0:
        empty = np.zeros(0, np.int64)
        if floor is not None:
            floor[:] = block[:b].min(axis=1)
        return empty, empty, np.zeros(0, np.float32)
    block = block[:b]
    n_groups = m_pad // _G
    # group g holds columns g, g + n_groups, g + 2 n_groups, ...: folding the row in halves
    # three times takes the group minima with contiguous passes only
    tau = np.full(b, np.finfo(np.float32).max, dtype=np.float32)
    if w >= n_groups:
        # few mentors per width: every finite entry is a survivor
        gr, gc = np.nonzero(np.ones((b, n_groups), dtype=bool))
    else:
        gmin = _fold_min(block, axis=1, scratch=scratch)
        # the w smallest group minima are w distinct entries: at least w entries pass tau
        tau = np.partition(gmin, w - 1, axis=1)[:, w - 1]
        tau = np.where(tau < np.inf, tau, np.finfo(np.float32).max)
        gr, gc = nonzero_2d(gmin <= tau[:, None])
    members = gc[:, None] + n_groups * np.arange(_G)[None, :]
    vals = block[gr[:, None], members]  # (n_hit_groups, _G)
    hit_r, hit_o = nonzero_2d(vals <= tau[gr][:, None])
    rows = gr[hit_r]
    cols = members[hit_r, hit_o]
    v = vals[hit_r, hit_o]
    # keep each row's widths[i] best: rows arrive sorted, so one stable sort of
    # row * span + value ranks them within their row (float64 keeps float32 values apart)
    if len(v):
        low = float(v.min())
        span = float(v.max()) - low + 1.0
        order = np.argsort(rows * span + (v - low), kind="stable")
        rows, cols, v = rows[order], cols[order], v[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = rank < widths[rows]
    if floor is not None:
        # entries that did not pass lie above tau; of those that passed, the first not kept
        floor[:] = np.where(tau < np.finfo(np.float32).max, tau, np.inf)
        first_out = np.flatnonzero(rank == widths[rows])
        floor[rows[first_out]] = np.minimum(floor[rows[first_out]], v[first_out])
    return rows[keep], cols[keep], -v[keep]


def _column_thresholds(source, column_width) -> np.ndarray:
    """Per mentor, the negated score its ``column_width``-th best startup is expected to have.

    Estimated on an evenly spread sample of at most 2,048 startups (exact when all fit).
    """
    n_s, n_m = source.shape
    n_sample = min(n_s, 2048)
    sample = np.linspace(0, n_s - 1, n_sample).astype(np.int64)
    if n_sample == n_s and isinstance(source, DenseScores):
        picked = source.values  # every row: no copy of the matrix before the float32 one
    else:
        picked = getattr(source, "approx_rows", source.exact_rows)(sample)
    neg = np.negative(picked, dtype=np.float32).T  # (n_m, n_sample)
    target = np.minimum(np.broadcast_to(np.asarray(column_width, np.int64), (n_m,)), n_s)
    pos = np.clip(np.ceil(target * n_sample / n_s).astype(np.int64), 1, n_sample) - 1
    top = int(pos.max(initial=0))
    part = np.partition(neg, top, axis=1)[:, : top + 1]
    part.sort(axis=1)
    theta = part[np.arange(n_m), pos]
    theta[target == 0] = -np.inf
    return np.concatenate([theta, np.full(-(-n_m // _G) * _G - n_m, -np.inf, np.float32)])


def _column_passes(block: np.ndarray, theta: np.ndarray,
                   scratch: dict | None = None) -> tuple[np.ndarray, ...]:
    """(rows, cols, values) of the entries of ``block`` at or below their column's ``theta``."""
    b_pad, m_pad = block.shape
    n_groups = b_pad // _G
    gmin = _fold_min(block, axis=0, scratch=scratch)  # group g holds rows g, g + n_groups, ...
    gr, gc = nonzero_2d(gmin <= theta[None, :])
    members = gr[:, None] + n_groups * np.arange(_G)[None, :]
    vals = block[members, gc[:, None]]  # (n_hit_groups, _G)
    hit_r, hit_o = nonzero_2d(vals <= theta[gc][:, None])
    return members[hit_r, hit_o], gc[hit_r], vals[hit_r, hit_o]


def _fold_min(block: np.ndarray, axis: int, scratch: dict | None = None) -> np.ndarray:
    """Minimum over groups of ``_G`` entries ``n / _G`` apart along ``axis`` (a multiple of ``_G``).

    ``scratch`` keeps the halves between calls: fresh 10-MB temporaries per block cost page
    faults that are as slow as the arithmetic.
    """
    out = block
    while out.shape[axis] > block.shape[axis] // _G:
        half = out.shape[axis] // 2
        a, b = (out[:, :half], out[:, half:]) if axis == 1 else (out[:half], out[half:])
        key = (axis, a.shape)
        target = None
        if scratch is not None:
            target = scratch.get(key)
            if target is None:
                target = scratch[key] = np.empty(a.shape, dtype=block.dtype)
        out = np.minimum(a, b, out=target)
    return out


def _cap_columns(rows, cols, v, cap) -> tuple[np.ndarray, np.ndarray]:
    """At most ``cap[j]`` pairs per column, the best ones (the sample thresholds can be loose)."""
    order = np.lexsort((rows, v, cols))
    rows, cols = rows[order], cols[order]
    rank = np.arange(len(cols)) - np.searchsorted(cols, cols, side="left")
    keep = rank < cap[cols]
    return rows[keep], cols[keep]


def top_l_dense(scores: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the ``width`` best mentors per startup of a dense matrix, by argpartition.

    Examples
    --------
    >>> rows, cols = top_l_dense(np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3]]), 1)
    >>> rows.tolist(), cols.tolist()
    ([0, 1], [1, 0])
    """
    c = top_candidates(DenseScores(np.asarray(scores, dtype=np.float64)), width)
    return c.rows, c.cols
