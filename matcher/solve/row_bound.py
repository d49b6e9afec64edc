"""A certificate that reads a few pairs instead of scanning every one.

:func:`~matcher.solve.candidates.top_candidates` ranks each startup's mentors by
``score - price`` and keeps the best; every pair it leaves out therefore scores at most
``row_bound[i] + price[j]`` (:class:`~matcher.solve.candidates.Candidates`). A pruned pair
violates the certificate only when its integer score exceeds ``d[i] - d[j]``
(:mod:`matcher.solve.certificate`), so the pairs that *may* violate are those with
``price[j] * scale + d[j] > d[i] - row_bound[i] * scale``: for each startup, a prefix of the
mentors sorted once by ``price * scale + d``. When the prices were close to the flow's own
duals, that is a handful of pairs per batch, whose exact scores settle the proof; the block scan
of every pair is needed only when they are many.
"""

from __future__ import annotations

import numpy as np

from matcher.solve.candidates import Candidates, DenseScores, as_score_source

__all__ = ["bound_pairs"]


def bound_pairs(source, candidates: Candidates, d_startups: np.ndarray, d_mentors: np.ndarray, *,
                scale: float, excluded: tuple[np.ndarray, np.ndarray], active_rows: np.ndarray,
                active_cols: np.ndarray, max_pairs: int, margin: float = 0.0,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every pruned pair within ``margin`` of violating, found from the row bounds, or None.

    Parameters
    ----------
    source : score source
        Only ``exact(rows, cols)`` is used.
    candidates : Candidates
        With ``row_bound`` and ``prices`` (from :func:`~matcher.solve.candidates.top_candidates`).
    d_startups, d_mentors : int64 arrays
        Potentials from :func:`~matcher.solve.certificate.residual_potentials`.
    scale : float
        The integer scale of the scores.
    excluded : (rows, cols), sorted by row
        Forbidden and pinned pairs.
    active_rows, active_cols : bool arrays
        Startups with places left and mentors with capacity left.
    max_pairs : int
        Most pairs to rescore; beyond that the answer is None (scan the blocks instead).
    margin : float
        Also return the pairs within ``margin`` (score units) of violating.

    Returns
    -------
    (rows, cols, profit) or None
        Every allowed non-candidate pair whose reduced profit ``rint(score * scale) - (d_i - d_j)``
        (integer units, exact) exceeds ``-margin * scale``: none of them is positive exactly when
        the flow is optimal over every pair. None when the bounds leave more than ``max_pairs``
        pairs open or the candidates carry no bounds.

    Examples
    --------
    >>> from matcher.solve.candidates import top_candidates
    >>> scores = np.array([[4.0, 3.0, 2.0]])
    >>> cand = top_candidates(scores, 1)
    >>> none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    >>> args = dict(scale=1.0, excluded=none, active_rows=np.ones(1, bool),
    ...             active_cols=np.ones(3, bool), max_pairs=10)
    >>> bound_pairs(scores, cand, np.array([4]), np.zeros(3, np.int64), **args)[2].tolist()
    []
    >>> bound_pairs(scores, cand, np.array([2]), np.zeros(3, np.int64), margin=1.5, **args)
    (array([0, 0]), array([1, 2]), array([1., 0.]))
    """
    if candidates.row_bound is None or candidates.prices is None:
        return None
    source = as_score_source(source)
    g = candidates.prices * scale + d_mentors.astype(np.float64)
    g[~np.asarray(active_cols, bool)] = -np.inf
    # one integer unit below the exact threshold covers the float64 rounding of both sides
    h = d_startups.astype(np.float64) - (candidates.row_bound + margin) * scale - 1.0
    h[~np.asarray(active_rows, bool)] = np.inf
    order = np.argsort(-g, kind="stable")
    # per startup, how many mentors (best g first) have g > h
    counts = np.searchsorted(-g[order], -h, side="left")
    total = int(counts.sum())
    if total > max_pairs:
        return None
    rows = np.repeat(np.arange(len(h)), counts)
    cols = order[np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)]
    if isinstance(source, DenseScores):
        # a score costs a gather: price every open pair first, look candidates up for the few
        # near violating (used candidates have a positive profit, unused ones none)
        rows, cols, profit = _near(source, rows, cols, d_startups, d_mentors, scale, margin)
        fresh = _fresh(rows, cols, candidates, excluded)
        return rows[fresh], cols[fresh], profit[fresh]
    fresh = _fresh(rows, cols, candidates, excluded)
    return _near(source, rows[fresh], cols[fresh], d_startups, d_mentors, scale, margin)


def _near(source, rows, cols, d_startups, d_mentors, scale, margin):
    """The pairs within ``margin`` of violating, and their profits in integer units."""
    profit = np.rint(source.exact(rows, cols) * scale) - (
        d_startups[rows] - d_mentors[cols]).astype(np.float64)
    near = profit > -margin * scale
    return rows[near], cols[near], profit[near]


def _fresh(rows, cols, candidates: Candidates, excluded) -> np.ndarray:
    """True for the pairs that are neither candidates nor excluded."""
    n_m = candidates.n_mentors
    keys = rows * n_m + cols
    fresh = _not_in(keys, candidates.rows * n_m + candidates.cols)
    fresh &= _not_in(keys, excluded[0] * n_m + excluded[1])
    return fresh


def _not_in(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """True where a key is not among ``sorted_keys`` (sorted, unique)."""
    if not len(sorted_keys):
        return np.ones(len(keys), bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] != keys
