"""Mentor prices for the first candidates: the duals of a small market on a sample of startups.

When a few star mentors are everyone's first choice, each startup's raw top mentors are the same
stars, and the first flow on them is far from the optimum. Ranking mentors by ``score - price``
instead, with prices from a sample market, gives candidate lists that already hold most optimal
pairs; the certificate (:mod:`matcher.solve.certificate`) makes the answer exact either way.
"""

from __future__ import annotations

import numpy as np

from matcher.solve.candidates import DenseScores, as_score_source, top_candidates
from matcher.solve.certificate import residual_potentials
from matcher.solve.flow import flow_on_edges
from matcher.solve.scaling import integer_scores

__all__ = ["estimate_prices", "PRICE_MIN_ROWS"]

#: Problems with more startups than this get price estimates from a sample.
PRICE_MIN_ROWS = 4096


def estimate_prices(source, k_min: np.ndarray, k_max: np.ndarray, capacity: np.ndarray, *,
                    n_sample: int | None = None) -> np.ndarray | None:
    """Mentor prices (LP duals) of a sample of startups with capacities scaled down to it.

    A small market on evenly spread startups clears at prices close to those of the whole one;
    rows then propose mentors by ``score - price``. Only a heuristic: the certificate is what
    makes the answer exact. Returns None when the sample cannot be routed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> scores = rng.random((300, 20)) * 0.1 + np.r_[1.0, np.zeros(19)]  # mentor 0 is a star
    >>> p = estimate_prices(scores, np.full(300, 1), np.full(300, 1), np.full(20, 20),
    ...                     n_sample=100)
    >>> bool(p[0] > 0.5), bool(np.median(p[1:]) < 0.1)
    (True, True)
    """
    source = as_score_source(source)
    n_s, n_m = source.shape
    n = min(n_s, n_sample or min(8192, max(2048, n_s // 8)))
    sample = np.linspace(0, n_s - 1, n).astype(np.int64)
    rows_of = getattr(source, "approx_rows", source.exact_rows)
    values = np.asarray(rows_of(sample), dtype=np.float64)
    # capacities scaled to the sample, rounded so that their total is kept
    share = np.cumsum(capacity * (n / n_s))
    cap = np.diff(np.floor(np.r_[0.0, share])).astype(np.int64)
    lo, hi = k_min[sample], k_max[sample]
    cand = top_candidates(DenseScores(values), int(min(n_m, 4 * hi.max(initial=0) + 8)),
                          column_width=2 * cap, active_rows=hi > 0, active_cols=cap > 0)
    ints = integer_scores(cand.weights, n_nodes=n + n_m + 1)
    used = flow_on_edges(cand.rows, cand.cols, ints.ints / ints.scale, k_min=lo, k_max=hi,
                         capacity=cap)
    if used is None:
        return None
    _, d_m, d_t = residual_potentials(cand.rows, cand.cols, -ints.ints, used, k_min=lo, k_max=hi,
                                      capacity=cap)
    prices = (d_t - d_m) / ints.scale
    # mentors with no place in the sample: no evidence, so the typical price
    prices[cap == 0] = np.median(prices[cap > 0]) if (cap > 0).any() else 0.0
    return prices
