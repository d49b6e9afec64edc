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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "VectorScores",
    "DenseScores",
    "Candidates",
    "as_score_source",
    "top_candidates",
    "top_l_dense",
    "pair_mask",
    "BLOCK_ENTRIES",
]

#: Entries of one block of scores (rows × mentors) computed at a time: 32 MB in float32.
BLOCK_ENTRIES = 8_000_000


@dataclass(frozen=True, eq=False)
class VectorScores:
    """Scores given as profile vectors: ``score[i, j] = scale * (s_i · m_j) + offset``.

    Pass it to :func:`matcher.assign` in place of a score matrix to match more startups than a
    dense matrix would hold in memory; pairs are scored block by block and never all at once.

    Parameters
    ----------
    startup_vectors : array of shape (n_startups, n_features)
    mentor_vectors : array of shape (n_mentors, n_features)
    startup_ids, mentor_ids : array-like, optional
        Ids of the rows and columns; positions when omitted.
    metric : {"dot", "cosine"}
        ``cosine`` normalises every vector to unit length first.
    scale, offset : float
        Affine map applied to the similarity (e.g. the weight of a component and a constant).

    Examples
    --------
    >>> import numpy as np
    >>> v = VectorScores(np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[1.0, 1.0]]), scale=0.5)
    >>> v.shape, v.dense().tolist()
    ((2, 1), [[0.5], [1.0]])
    """

    startup_vectors: np.ndarray
    mentor_vectors: np.ndarray
    startup_ids: Any = None
    mentor_ids: Any = None
    metric: str = "dot"
    scale: float = 1.0
    offset: float = 0.0
    _a: np.ndarray = field(init=False, repr=False)
    _b: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        a = np.asarray(self.startup_vectors, dtype=np.float64)
        b = np.asarray(self.mentor_vectors, dtype=np.float64)
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
            raise ValueError(
                f"startup_vectors {a.shape} and mentor_vectors {b.shape} must be 2-D with the same "
                "number of columns")
        if self.metric not in ("dot", "cosine"):
            raise ValueError(f"metric must be 'dot' or 'cosine', got {self.metric!r}")
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise ValueError("startup_vectors and mentor_vectors must be finite")
        if self.metric == "cosine":
            a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-300)
            b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-300)
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_b", b)
        for name, n in (("startup_ids", len(a)), ("mentor_ids", len(b))):
            ids = getattr(self, name)
            ids = np.arange(n) if ids is None else np.asarray(ids, dtype=object)
            if ids.shape != (n,):
                raise ValueError(f"{name} has {len(ids)} entries, expected {n}")
            object.__setattr__(self, name, ids)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self._a), len(self._b))

    def dense(self) -> np.ndarray:
        """The full float64 score matrix (for small problems and tests only)."""
        return self.scale * (self._a @ self._b.T) + self.offset

    # -- the score-source interface -------------------------------------------------------
    def blocks(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate scores of rows ``start:stop`` (float32) and a per-row error bound.

        float32 doubles the speed of the product; the bound (a Higham-style ``n u |a||b|``
        estimate, doubled) lets the certificate recheck every pair near its threshold exactly.
        """
        a32 = self._a32[start:stop]
        values = a32 @ self._b32.T
        values *= np.float32(self.scale)
        values += np.float32(self.offset)
        n_feat = self._a.shape[1]
        err = (2.0 * (n_feat + 2) * 2.0**-24) * abs(self.scale) * self._norm_a[start:stop] \
            * self._norm_b_max + 2.0**-22 * (abs(self.offset) + abs(self.scale) * self._norm_a[start:stop]
                                               * self._norm_b_max)
        return values, err

    def exact(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """float64 scores of the pairs (rows[t], cols[t])."""
        out = np.empty(len(rows))
        step = max(1, BLOCK_ENTRIES // (4 * max(1, self._a.shape[1])))
        for lo in range(0, len(rows), step):
            r, c = rows[lo:lo + step], cols[lo:lo + step]
            out[lo:lo + step] = np.einsum("ij,ij->i", self._a[r], self._b[c])
        return self.scale * out + self.offset

    def exact_rows(self, rows: np.ndarray) -> np.ndarray:
        """float64 scores of whole rows, shape (len(rows), n_mentors)."""
        return self.scale * (self._a[rows] @ self._b.T) + self.offset

    def __getattr__(self, name: str) -> Any:
        # float32 copies and norms are made on first use, so small problems never pay for them
        if name in ("_a32", "_b32", "_norm_a", "_norm_b_max"):
            object.__setattr__(self, "_a32", self._a.astype(np.float32))
            object.__setattr__(self, "_b32", self._b.astype(np.float32))
            object.__setattr__(self, "_norm_a", np.linalg.norm(self._a, axis=1))
            norm_b = np.linalg.norm(self._b, axis=1)
            object.__setattr__(self, "_norm_b_max", float(norm_b.max()) if len(norm_b) else 0.0)
            return object.__getattribute__(self, name)
        raise AttributeError(name)


@dataclass(frozen=True, eq=False)
class DenseScores:
    """A score matrix seen as a score source (exact: its error bound is zero).

    Examples
    --------
    >>> s = DenseScores(np.array([[0.5, 0.25]]))
    >>> s.exact(np.array([0]), np.array([1])).tolist()
    [0.25]
    """

    values: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def blocks(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        return self.values[start:stop], np.zeros(stop - start)

    def exact(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.values[rows, cols]

    def exact_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.values[rows]


def as_score_source(scores: Any) -> VectorScores | DenseScores:
    """A score source for ``scores``: a source (``blocks``, ``exact``) as given, else a matrix."""
    if hasattr(scores, "blocks") and hasattr(scores, "exact"):
        return scores
    return DenseScores(np.asarray(scores, dtype=np.float64))


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
    """

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    n_startups: int
    n_mentors: int
    peak: float = 0.0

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
                          self.n_mentors, self.peak)

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
                   block_entries: int = BLOCK_ENTRIES) -> Candidates:
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
        Also keep each mentor's best ``column_width`` startups. Without them, when every
        startup ranks the same few star mentors first, the other mentors get no candidate
        at all and the pruned problem is infeasible.
    block_entries : int
        Scores computed at a time; memory is O(block_entries + n_startups × width).

    Returns
    -------
    Candidates
        Sorted edges with exact float64 weights and the peak ``|score|`` over allowed pairs.

    Examples
    --------
    >>> c = top_candidates(np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3]]), 2)
    >>> c.rows.tolist(), c.cols.tolist(), c.weights.tolist(), c.peak
    ([0, 0, 1, 1], [1, 2, 0, 2], [0.9, 0.5, 0.7, 0.3], 0.9)
    """
    source = as_score_source(source)
    n_s, n_m = source.shape
    widths = np.broadcast_to(np.asarray(width, dtype=np.int64), (n_s,))
    if active_rows is None:
        active_rows = np.ones(n_s, dtype=bool)
    if active_cols is None:
        active_cols = np.ones(n_m, dtype=bool)
    ex_rows, ex_cols = excluded if excluded is not None else (np.zeros(0, np.int64),) * 2
    dead_cols = ~np.asarray(active_cols, dtype=bool)
    out_rows, out_cols, peak = [], [], 0.0
    col_widths = None if column_width is None else np.minimum(
        np.broadcast_to(np.asarray(column_width, dtype=np.int64), (n_m,)), n_s)
    t = 0 if col_widths is None else int(col_widths.max(initial=0))
    col_vals = np.full((n_m, 0), np.inf, dtype=np.float32)
    col_rows = np.zeros((n_m, 0), dtype=np.int64)
    any_dead = bool(dead_cols.any())
    for start, stop in _row_blocks(n_s, n_m, block_entries):
        values, _ = source.blocks(start, stop)
        # negated once: argpartition picks the smallest, and +inf marks pairs never to propose;
        # float32 halves the memory traffic, and a candidate chosen on rounded values is still
        # checked exactly by the certificate
        neg = np.negative(values, dtype=np.float32)
        lo, hi = np.searchsorted(ex_rows, [start, stop])
        neg[ex_rows[lo:hi] - start, ex_cols[lo:hi]] = np.inf
        if any_dead:
            neg[:, dead_cols] = np.inf
        inactive = ~active_rows[start:stop]
        if inactive.any():
            neg[inactive] = np.inf
        top_value = -float(neg.min(initial=np.inf))
        low_value = -float(neg.max(initial=-np.inf, where=neg < np.inf))
        peak = max(peak, abs(top_value) if np.isfinite(top_value) else 0.0,
                   abs(low_value) if np.isfinite(low_value) else 0.0)
        if t:
            col_vals, col_rows = _merge_column_tops(col_vals, col_rows, neg, start, t)
        w = int(min(widths[start:stop].max(initial=0), n_m))
        if w == 0:
            continue
        # argpartition keeps the w best of each row in O(n_mentors); their order does not matter
        top = np.argpartition(neg, w - 1, axis=1)[:, :w] if w < n_m else \
            np.broadcast_to(np.arange(n_m), (stop - start, n_m))
        local = np.broadcast_to(np.arange(stop - start)[:, None], top.shape)
        keep = np.arange(w)[None, :] < widths[start:stop, None]
        if (widths[start:stop] < w).any():
            # rows that keep fewer: rank inside the kept w and cut
            order = np.argsort(np.take_along_axis(neg, top, axis=1), axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
        keep &= np.take_along_axis(neg, top, axis=1) < np.inf
        out_rows.append(local[keep] + start)
        out_cols.append(top[keep])
    if t and col_vals.shape[1]:
        # each mentor keeps its own column_width best: rank its t kept startups and cut
        order = np.argsort(col_vals, axis=1, kind="stable")
        col_vals = np.take_along_axis(col_vals, order, axis=1)
        col_rows = np.take_along_axis(col_rows, order, axis=1)
        keep = (np.arange(col_vals.shape[1])[None, :] < col_widths[:, None]) & (col_vals < np.inf)
        out_rows.append(col_rows[keep])
        out_cols.append(np.broadcast_to(np.arange(n_m)[:, None], keep.shape)[keep])
    rows = np.concatenate(out_rows).astype(np.int64) if out_rows else np.zeros(0, np.int64)
    cols = np.concatenate(out_cols).astype(np.int64) if out_cols else np.zeros(0, np.int64)
    keys = _sorted_unique(rows * n_m + cols)
    rows, cols = keys // n_m, keys % n_m
    weights = source.exact(rows, cols)
    # the block values of VectorScores are float32: take the exact value of the largest one
    peak = max(peak, float(np.abs(weights).max(initial=0.0)))
    return Candidates(rows, cols, weights, n_s, n_m, peak)


def _merge_column_tops(col_vals: np.ndarray, col_rows: np.ndarray, neg: np.ndarray, start: int,
                      t: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``t`` best rows of each column among the kept ones and a new block (negated scores).

    Works on the transpose, one mentor per row, because argpartition along the rows of a
    C-ordered block is several times slower than along its columns.
    """
    block = np.ascontiguousarray(neg.T)
    if block.shape[1] > t:
        idx = np.argpartition(block, t - 1, axis=1)[:, :t]
        block = np.take_along_axis(block, idx, axis=1)
    else:
        idx = np.broadcast_to(np.arange(block.shape[1])[None, :], block.shape)
    vals = np.concatenate([col_vals, block], axis=1)
    rows = np.concatenate([col_rows, idx + start], axis=1)
    if vals.shape[1] <= t:
        return vals, rows
    top = np.argpartition(vals, t - 1, axis=1)[:, :t]
    return np.take_along_axis(vals, top, axis=1), np.take_along_axis(rows, top, axis=1)


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
