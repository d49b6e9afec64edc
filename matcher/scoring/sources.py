"""Score sources: where the scores of a block of startups come from.

:class:`DenseScores` wraps a matrix; :class:`~matcher.solve.VectorScores` computes
``scale * (startup_vector · mentor_vector) + offset`` block by block in float32, with an error
bound, and exactly in float64 for chosen pairs. The candidate search and the certificate only
ask a source for ``blocks(start, stop)``, ``exact(rows, cols)`` and ``exact_rows(rows)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["VectorScores", "DenseScores", "as_score_source", "BLOCK_ENTRIES"]

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
        """(n_startups, n_mentors)."""
        return (len(self._a), len(self._b))

    def dense(self) -> np.ndarray:
        """The full float64 score matrix (for small problems and tests only)."""
        return self.scale * (self._a @ self._b.T) + self.offset

    # -- the score-source interface -------------------------------------------------------
    def blocks(self, start: int, stop: int,
               out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Approximate scores of rows ``start:stop`` (float32) and a per-row error bound.

        float32 doubles the speed of the product; the bound (a Higham-style ``n u |a||b|``
        estimate, doubled) lets the certificate recheck every pair near its threshold exactly.
        ``out``, a float32 array of at least that many rows, saves a fresh allocation per block.
        """
        a32 = self._a32[start:stop]
        values = np.matmul(a32, self._b32.T, out=None if out is None else out[: stop - start])
        if self.scale != 1.0:
            values *= np.float32(self.scale)
        if self.offset != 0.0:
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

    def approx_rows(self, rows: np.ndarray) -> np.ndarray:
        """float32 scores of whole rows (for estimates only)."""
        return np.float32(self.scale) * (self._a32[rows] @ self._b32.T) + np.float32(self.offset)

    def approx_columns(self, cols: np.ndarray) -> np.ndarray:
        """float32 scores of whole columns, one row per column: shape (len(cols), n_startups)
        (for estimates only)."""
        return np.float32(self.scale) * (self._b32[cols] @ self._a32.T) + np.float32(self.offset)

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
        """(n_startups, n_mentors)."""
        return self.values.shape

    def blocks(self, start: int, stop: int,
               out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``start:stop`` of the matrix, exact (an error bound of 0 for each row)."""
        return self.values[start:stop], np.zeros(stop - start)

    def exact(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The scores of the pairs ``(rows[t], cols[t])``."""
        return self.values[rows, cols]

    def exact_rows(self, rows: np.ndarray) -> np.ndarray:
        """The scores of whole rows, shape (len(rows), n_mentors)."""
        return self.values[rows]

    def approx_columns(self, cols: np.ndarray) -> np.ndarray:
        """The scores of whole columns, one row per column: shape (len(cols), n_startups)."""
        return np.ascontiguousarray(self.values[:, cols].T)


def as_score_source(scores: Any) -> VectorScores | DenseScores:
    """A score source for ``scores``: a source (``blocks``, ``exact``) as given, else a matrix."""
    if hasattr(scores, "blocks") and hasattr(scores, "exact"):
        return scores
    return DenseScores(np.asarray(scores, dtype=np.float64))
