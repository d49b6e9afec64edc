"""Startups proposed by the mentors that too few candidate lists name.

Ranked by ``score - price``, most startups' lists hold the mentors the market will fill. A
mentor whose sampled price came out too high is named by few lists, ends the first flow with
places left and a price of zero, and then every startup near it violates the certificate: a
second flow round. Letting each such mentor propose its best startups, as the lists of a problem
without prices do for every mentor, costs one gather of a few columns instead.
"""

from __future__ import annotations

import numpy as np

from matcher.scoring.sources import BLOCK_ENTRIES, as_score_source
from matcher.solve.candidates import Candidates

__all__ = ["with_column_tops"]


def with_column_tops(source, candidates: Candidates, width: np.ndarray, *,
                     excluded: tuple[np.ndarray, np.ndarray], active_rows: np.ndarray,
                     active_cols: np.ndarray, prices: np.ndarray | None = None,
                     block_entries: int = BLOCK_ENTRIES) -> Candidates:
    """The candidates plus, for each mentor named by fewer than ``width[j]`` of them, its
    ``width[j]`` best startups.

    Parameters
    ----------
    source : score source
        Read through ``approx_columns(cols)``.
    candidates : Candidates
    width : int array of shape (n_mentors,)
        Lists each mentor should be in; those in fewer propose this many startups.
    excluded : (rows, cols), sorted by row
        Forbidden and pinned pairs: never proposed.
    active_rows, active_cols : bool arrays
        Startups that still take mentors and mentors that still have places.
    prices : float array of shape (n_mentors,), optional
        The prices the lists were ranked on: only mentors with a positive price propose (one
        priced at zero cannot be priced too high, and a list that leaves it out is right to).
    block_entries : int
        Scores read at a time.

    Returns
    -------
    Candidates
        With the proposed pairs merged in (their exact scores); the row bounds still hold.

    Examples
    --------
    >>> from matcher.solve.candidates import top_candidates
    >>> scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    >>> cand = top_candidates(scores, 1)  # mentor 1 is in no list
    >>> none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    >>> more = with_column_tops(scores, cand, np.array([1, 1]), excluded=none,
    ...                         active_rows=np.ones(3, bool), active_cols=np.ones(2, bool))
    >>> more.rows.tolist(), more.cols.tolist()
    ([0, 1, 2, 2], [0, 0, 0, 1])
    """
    source = as_score_source(source)
    n_s, n_m = source.shape
    width = np.minimum(np.asarray(width, np.int64), n_s)
    named = np.bincount(candidates.cols, minlength=n_m)
    wanted = np.asarray(active_cols, bool) & (named < width) & (width > 0)
    if prices is not None:
        wanted &= np.asarray(prices) > 0
    cols = np.flatnonzero(wanted)
    if not len(cols):
        return candidates
    inactive = ~np.asarray(active_rows, bool)
    # excluded pairs of the chosen columns, to be masked in each chunk
    pick = np.isin(excluded[1], cols)
    ex_rows, ex_cols = excluded[0][pick], excluded[1][pick]
    step = max(1, block_entries // max(1, n_s))
    found_rows, found_cols = [], []
    for lo in range(0, len(cols), step):
        chunk = cols[lo:lo + step]
        # one row per mentor, negated: the smallest are its best startups
        values = np.negative(source.approx_columns(chunk), dtype=np.float32)
        values[:, inactive] = np.inf
        at = np.isin(ex_cols, chunk)
        values[np.searchsorted(chunk, ex_cols[at]), ex_rows[at]] = np.inf
        top = int(width[chunk].max())
        best = np.argpartition(values, top - 1, axis=1)[:, :top] if top < n_s else \
            np.broadcast_to(np.arange(n_s)[None, :], values.shape)
        vals = np.take_along_axis(values, best, axis=1)
        order = np.argsort(vals, axis=1, kind="stable")
        best = np.take_along_axis(best, order, axis=1)
        vals = np.take_along_axis(vals, order, axis=1)
        keep = (np.arange(best.shape[1])[None, :] < width[chunk][:, None]) & np.isfinite(vals)
        c, r = np.nonzero(keep)
        found_rows.append(best[c, r])
        found_cols.append(chunk[c])
    rows, cols = np.concatenate(found_rows), np.concatenate(found_cols)
    return candidates.merge(rows, cols, source.exact(rows, cols))
