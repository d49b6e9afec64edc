"""Mentor prices for the first candidates: the duals of a small market on a sample of startups.

When a few star mentors are everyone's first choice, each startup's raw top mentors are the same
stars, and the first flow on them is far from the optimum. Ranking mentors by ``score - price``
instead, with prices from a sample market, gives candidate lists that already hold most optimal
pairs; the certificate (:mod:`matcher.solve.certificate`) makes the answer exact either way.
"""

from __future__ import annotations

import numpy as np

from matcher.errors import SolverError
from matcher.solve.candidates import (
    DenseScores,
    as_score_source,
    default_width,
    nonzero_2d,
    top_candidates,
)
from matcher.solve.certificate import _residual_arcs, cap_pairs, residual_potentials
from matcher.solve.cycles import _ranges
from matcher.solve.flow import flow_on_edges
from matcher.solve.scaling import integer_scores

__all__ = ["estimate_prices", "sample_size", "PRICE_MIN_ROWS"]

#: Problems with more startups than this get price estimates from a sample.
PRICE_MIN_ROWS = 1024


def sample_size(n_startups: int) -> int:
    """Startups in the sample market: a seventh, at least 1,024 (a quarter below 4,096), at most
    8,192.

    The sample's cost grows with its size, and its prices' noise shrinks with it, but slowly:
    which startups the sample holds moves the first flow's violating pairs between tens and
    about a thousand at 10,000 startups whatever the size. Those pairs join the next flow alone
    (:mod:`matcher.solve.pruned`), so the cheaper sample wins: at 10,000 x 3,000 a seventh took
    12-20 % less time than 2,048 startups over five seeds of each distribution.

    Examples
    --------
    >>> sample_size(4000), sample_size(10_000), sample_size(100_000)
    (1000, 1428, 8192)
    """
    return min(8192, max(min(1024, n_startups // 4), n_startups // 7))


def estimate_prices(source, k_min: np.ndarray, k_max: np.ndarray, capacity: np.ndarray, *,
                    n_sample: int | None = None) -> np.ndarray | None:
    """Mentor prices (LP duals) of a sample of startups with capacities scaled down to it.

    A small market on evenly spread startups clears at prices close to those of the whole one;
    rows then propose mentors by ``score - price``. Only a heuristic: the certificate is what
    makes the answer exact. Returns None when the sample cannot be routed.

    The sample's duals are not unique: each mentor's price may lie anywhere in a range, wide
    when its few places in the sample leave a gap between the startups that get them and those
    that do not. The prices returned are the lowest of each range (no startup of the sample
    outbidding it) less the ranges' typical width (:func:`_optimistic`). A mentor priced too
    high is missing from the lists of the startups that take it at the optimum, and each such
    pair costs a repair or a flow round; one priced a little low only takes a list place from
    a mentor the startup would not take. Against the highest prices of each range, the first
    flow's violating pairs went from 19-142 to 0-37 at 4,000 x 1,500 on clustered scores
    (seeds 0-4), and from 24,654 to 12,118 at 100,000 x 10,000 on correlated ones.

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
    n = min(n_s, n_sample or sample_size(n_s))
    sample = np.linspace(0, n_s - 1, n).astype(np.int64)
    rows_of = getattr(source, "approx_rows", source.exact_rows)
    values = np.asarray(rows_of(sample), dtype=np.float64)  # rows picked by index: a copy
    # capacities scaled to the sample, rounded so that their total is kept
    share = np.cumsum(capacity * (n / n_s))
    cap = np.diff(np.floor(np.r_[0.0, share])).astype(np.int64)
    # places may stay empty in the sample: a handful of its startups cannot always fill k_min
    # in a market cut to scale (no prices at all then), and the duals barely change
    lo, hi = np.zeros(n, np.int64), k_max[sample]
    width = default_width(hi, n_m)
    cand = top_candidates(DenseScores(values), width, column_width=2 * cap, active_rows=hi > 0,
                          active_cols=cap > 0)
    ints = integer_scores(np.array([np.abs(values).max(initial=0.0)]), n_nodes=n + n_m + 1)
    # the sample's scores in the flow's integer units, in place (the sample holds n x n_m)
    scaled = np.rint(np.multiply(values, ints.scale, out=values), out=values)
    for round_ in range(_SAMPLE_ROUNDS):
        costs = -scaled[cand.rows, cand.cols].astype(np.int64)
        used = flow_on_edges(cand.rows, cand.cols, -costs / ints.scale, k_min=lo, k_max=hi,
                             capacity=cap)
        if used is None:
            return None
        d_s, d_m, d_t = residual_potentials(cand.rows, cand.cols, costs, used, k_min=lo,
                                            k_max=hi, capacity=cap)
        if round_ == _SAMPLE_ROUNDS - 1:
            break  # no solve left for the pairs a scan would find
        # the sample's own pruned pairs that would improve it: its duals are the full market's
        # estimate only once it is optimal over all its pairs (a pruned sample underprices
        # ordinary mentors, whose competition it does not see)
        rows, cols, profit = _sample_violations(scaled, cand, d_s, d_m, hi > 0, cap > 0, width)
        # a last handful moves a handful of prices: not worth another solve
        if len(rows) <= n // _FEW_PER:
            break
        rows, cols = cap_pairs(rows, cols, profit, width, 2 * cap + 2)
        cand = cand.merge(rows, cols, scaled[rows, cols] / ints.scale)
    high = d_t - d_m
    surplus, low = _lowest_prices(cand.rows, cand.cols, costs, used, lo, hi, cap)
    # the candidates are not all the sample's pairs: a mentor few lists name could otherwise
    # keep a price that a startup outside them would outbid (only a range can move)
    loose = np.flatnonzero(low < high)
    floor = _outbid_prices(scaled, surplus, cand.rows[used], cand.cols[used], hi > 0, cols=loose)
    low[loose] = np.minimum(np.maximum(low[loose], floor), high[loose])
    prices = _optimistic(low / ints.scale, high / ints.scale)
    # mentors with no place in the sample: no evidence, so the typical price
    prices[cap == 0] = np.median(prices[cap > 0]) if (cap > 0).any() else 0.0
    return prices


#: Flow solves allowed on the sample market (the last ones move few prices).
_SAMPLE_ROUNDS = 4

#: The sample counts as solved when it has fewer violating pairs than one per this many startups
#: (a last round moves a few prices: at 4,000 and 10,000 startups, not one first-round violation).
_FEW_PER = 8


def _lowest_prices(rows, cols, costs, used, k_min, k_max,
                   capacity) -> tuple[np.ndarray, np.ndarray]:
    """(surplus of each startup, price of each mentor) at the flow's lowest prices, in integer
    units.

    A mentor's price is ``d[sink] - d[mentor]`` and a startup's surplus ``d[startup] -
    d[sink]`` for feasible potentials ``d``; with ``d[sink] = 0`` every potential may rise to
    its shortest distance from the sink in the residual graph, and no higher, so those distances
    give every mentor its least price and every startup its greatest surplus at once. A mentor
    the sink does not reach gets price 0; a startup it does not reach, :data:`UNREACHED`.
    """
    n_s, n_m = len(k_max), len(capacity)
    tails, heads, arc_cost = _residual_arcs(rows, cols, costs, used, k_min=k_min, k_max=k_max,
                                            capacity=capacity)
    dist = _distances_from(n_s + n_m, tails, heads, arc_cost, n_s + n_m + 1)
    from_sink = dist[n_s:-1]
    return dist[:n_s], np.where(from_sink < UNREACHED, np.maximum(-from_sink, 0), 0)


#: Distance of a node the source does not reach (far from overflow).
UNREACHED = 2**62


def _distances_from(source: int, tails: np.ndarray, heads: np.ndarray, costs: np.ndarray,
                    n_nodes: int) -> np.ndarray:
    """Shortest distances from ``source`` (:data:`UNREACHED` where it does not lead), by a
    Bellman–Ford that relaxes only the arcs out of the nodes the last sweep lowered.

    Examples
    --------
    >>> _distances_from(0, np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([4, -3, 2]),
    ...                 4).tolist()
    [0, 4, 1, 4611686018427387904]
    """
    by_tail = np.argsort(tails, kind="stable")
    first_arc = np.searchsorted(tails[by_tail], np.arange(n_nodes + 1))
    d = np.full(n_nodes, UNREACHED, dtype=np.int64)
    d[source] = 0
    lowered = np.array([source])
    mark = np.zeros(n_nodes, dtype=bool)
    for _ in range(n_nodes + 1):
        arcs = by_tail[_ranges(first_arc[lowered], first_arc[lowered + 1])]
        via, head = d[tails[arcs]] + costs[arcs], heads[arcs]
        better = via < d[head]
        if not better.any():
            return d
        np.minimum.at(d, head[better], via[better])
        mark[head[better]] = True
        lowered = np.flatnonzero(mark)
        mark[lowered] = False
    raise SolverError("the residual graph has a negative cycle: the flow was not optimal")


def _outbid_prices(scaled: np.ndarray, surplus: np.ndarray, held_rows: np.ndarray,
                   held_cols: np.ndarray, active_rows: np.ndarray,
                   cols: np.ndarray | None = None) -> np.ndarray:
    """Per mentor of ``cols`` (default: all), the most a startup not holding it would pay for
    it: ``max_i (w_ij - s_i)`` over the whole sample (0 when nobody would), in integer units.

    The lowest prices of :func:`_lowest_prices` only answer to the candidate pairs; at 100,000
    x 10,000 on correlated scores some full stars outside most sample lists came out at 0
    instead of about 0.53, and every startup then listed them.

    Examples
    --------
    Startup 0 holds mentor 0; startup 1, with a surplus of 2, would pay 7 - 2 for mentor 0 and
    3 - 2 for mentor 1:

    >>> _outbid_prices(np.array([[9.0, 1.0], [7.0, 3.0]]), np.array([1, 2]), np.array([0]),
    ...                np.array([0]), np.array([True, True])).tolist()
    [5, 1]
    """
    n, n_m = scaled.shape
    cols = np.arange(n_m) if cols is None else np.asarray(cols)
    position = np.full(n_m, -1)
    position[cols] = np.arange(len(cols))
    mine = position[held_cols] >= 0
    order = np.argsort(held_rows[mine], kind="stable")
    held_rows, held_at = held_rows[mine][order], position[held_cols[mine]][order]
    s = np.where(active_rows & (surplus < UNREACHED), surplus, np.inf).astype(np.float64)
    best = np.full(len(cols), -np.inf)
    step = max(1, 2**22 // max(1, len(cols)))
    for start in range(0, n if len(cols) else 0, step):
        stop = min(start + step, n)
        bids = np.take(scaled[start:stop], cols, axis=1)  # half the time of fancy indexing
        bids -= s[start:stop, None]
        lo, hi = np.searchsorted(held_rows, [start, stop])
        bids[held_rows[lo:hi] - start, held_at[lo:hi]] = -np.inf
        np.maximum(best, bids.max(axis=0, initial=-np.inf), out=best)
    return np.maximum(np.where(np.isfinite(best), best, 0.0), 0.0).astype(np.int64)


def _optimistic(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each mentor's lowest price less the width of most price ranges (their 90th percentile),
    and never below 0.

    The widths measure how coarse the sample is: on clustered scores at 4,000 x 1,500 their
    90th percentile, 0.0046, was close to the typical error of the sampled prices against the
    optimum's (0.0028), and six times what it is on correlated scores.

    Examples
    --------
    >>> _optimistic(np.array([0.5, 0.2, 0.004, 0.0]), np.array([0.51, 0.21, 0.014, 0.0])).round(3)
    array([0.49, 0.19, 0.  , 0.  ])
    """
    priced = high > 0
    margin = float(np.quantile(high[priced] - low[priced], 0.9)) if priced.any() else 0.0
    return np.maximum(low - margin, 0.0)


def _sample_violations(scaled, cand, d_s, d_m, active_rows, active_cols, width):
    """(rows, cols, reduced profit) of the sample's non-candidate pairs with positive profit,
    the ``width`` most profitable of each row (tens of millions may violate at first)."""
    n, n_m = scaled.shape
    found = []
    step = max(1, 2**22 // max(1, n_m))
    u, v = d_s.astype(np.float64), d_m.astype(np.float64)
    buf = np.empty((min(step, n), n_m))
    for start in range(0, n, step):
        stop = min(start + step, n)
        profit = np.subtract(scaled[start:stop], u[start:stop, None], out=buf[:stop - start])
        profit += v[None, :]
        lo, hi = np.searchsorted(cand.rows, [start, stop])
        profit[cand.rows[lo:hi] - start, cand.cols[lo:hi]] = 0.0
        profit[~active_rows[start:stop]] = 0.0
        profit[:, ~active_cols] = 0.0
        positive = profit > 0
        many = np.flatnonzero(positive.sum(axis=1) > width)
        positive[many] = False
        r, c = nonzero_2d(positive)
        found.append((r + start, c, profit[r, c]))
        if len(many):
            # rows with more than width violations: their width best, by partition
            best = np.argpartition(profit[many], n_m - width, axis=1)[:, n_m - width:]
            top = np.take_along_axis(profit[many], best, axis=1)
            r, o = np.nonzero(top > 0)
            found.append((many[r] + start, best[r, o], top[r, o]))
    return tuple(np.concatenate(part) for part in zip(*found, strict=True))
