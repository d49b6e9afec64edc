"""Proof that an assignment found on candidate pairs is optimal for *all* pairs.

The flow backend solves the network of :mod:`matcher.solve.flow` on the candidate pairs only. A
flow is optimal exactly when its residual graph has no negative cycle, i.e. when there are node
potentials ``d`` with ``cost(a, b) + d[a] - d[b] >= 0`` on every residual arc. Adding a pruned
pair ``i → j`` (cost ``-w_ij``, unused) keeps the flow optimal when ``w_ij <= d[i] - d[j]``: in LP
terms, ``u_i = d[i] - d[sink]`` and ``v_j = d[sink] - d[j]`` price the startup and mentor, and the
pair's *reduced profit* ``w_ij - u_i - v_j`` is not positive. So the certificate is:

1. potentials from shortest paths on the residual graph (a vectorised Bellman–Ford; OR-Tools'
   Python min-cost flow does not expose its own);
2. a block-by-block scan of every pruned pair for positive reduced profit, without the dense
   matrix.

Pairs that fail are added to the candidates and the flow is solved again (see
:mod:`matcher.solve.pruned`). When none fails, the pruned optimum is the full optimum.
Everything is done on the integer costs the solver used, so the proof is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher.errors import SolverError
from matcher.solve.candidates import (
    BLOCK_ENTRIES,
    Candidates,
    _row_blocks,
    _sorted_unique,
    nonzero_2d,
)

__all__ = ["residual_potentials", "find_violations", "pool_violations", "pick_violations",
           "cap_pairs", "hall_group"]


def residual_potentials(rows: np.ndarray, cols: np.ndarray, costs: np.ndarray, used: np.ndarray, *,
                        k_min: np.ndarray, k_max: np.ndarray,
                        capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Feasible potentials of the residual graph of an optimal flow on candidate pairs.

    Parameters
    ----------
    rows, cols : int arrays of shape (n_edges,)
        Candidate pairs, as given to :func:`~matcher.solve.flow.flow_on_edges`.
    costs : int64 array of shape (n_edges,)
        Integer cost of each pair arc (minus the scaled score).
    used : bool array of shape (n_edges,)
        The optimal flow: which pairs are assigned.
    k_min, k_max, capacity : int arrays
        As given to the flow (after pins were taken out).

    Returns
    -------
    d_startups, d_mentors : int64 arrays of shape (n_startups,) and (n_mentors,)
    d_sink : int
        Shortest distances from a virtual root joined to every node by a zero-cost arc, so that
        ``cost(a, b) + d[a] - d[b] >= 0`` on every residual arc.

    Raises
    ------
    SolverError
        When the residual graph has a negative cycle (the flow was not optimal).

    Examples
    --------
    Two startups, one mentor of capacity 1, k in [0, 1]; startup 1 (score 5) got it. The
    mentor's price is ``d_sink - d_mentor = 3`` (what startup 0 would pay) and startup 1 keeps
    a surplus ``d_startup - d_sink = 2``:

    >>> d_s, d_m, d_t = residual_potentials(
    ...     np.array([0, 1]), np.array([0, 0]), np.array([-3, -5]), np.array([False, True]),
    ...     k_min=np.array([0, 0]), k_max=np.array([1, 1]), capacity=np.array([1]))
    >>> d_s.tolist(), d_m.tolist(), d_t
    ([0, 2], [-3], 0)
    """
    n_s, n_m = len(k_max), len(capacity)
    tails, heads, arc_cost = _residual_arcs(rows, cols, costs, used, k_min=k_min, k_max=k_max,
                                            capacity=capacity)
    d = _bellman_ford(tails, heads, arc_cost, n_s + n_m + 1)
    d = _tighten(d, tails, heads, arc_cost, n_s)
    return d[:n_s], d[n_s:n_s + n_m], int(d[n_s + n_m])


def _residual_arcs(rows, cols, costs, used, *, k_min, k_max,
                   capacity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tails, heads, costs) of the residual graph: startups, then mentors, then the sink.

    The network is that of :func:`~matcher.solve.flow.flow_on_edges` without groups or loads.
    """
    n_s, n_m = len(k_max), len(capacity)
    sink = n_s + n_m
    load = np.bincount(cols[used], minlength=n_m)
    spare_flow = k_max - np.bincount(rows[used], minlength=n_s)  # units sent straight to the sink
    spare_cap = k_max - np.maximum(k_min, 0)
    m_fwd = np.nonzero((load < capacity) & (capacity > 0))[0]
    m_back = np.nonzero(load > 0)[0]
    s_fwd = np.nonzero(spare_flow < spare_cap)[0]
    s_back = np.nonzero(spare_flow > 0)[0]
    families = [
        # startup -> mentor: pairs not used, at their cost
        (rows[~used], n_s + cols[~used], costs[~used]),
        # mentor -> startup: used pairs may be given back, earning their cost back
        (n_s + cols[used], rows[used], -costs[used]),
        # mentor -> sink while the mentor has places left; sink -> mentor while it has pairs
        (n_s + m_fwd, np.full(len(m_fwd), sink), 0),
        (np.full(len(m_back), sink), n_s + m_back, 0),
        # startup -> sink while it may leave more places unused; back while it leaves some
        (s_fwd, np.full(len(s_fwd), sink), 0),
        (np.full(len(s_back), sink), s_back, 0),
    ]
    tails = np.concatenate([t for t, _, _ in families]).astype(np.int64)
    heads = np.concatenate([h for _, h, _ in families]).astype(np.int64)
    arc_cost = np.concatenate([np.broadcast_to(np.asarray(c, np.int64), (len(t),))
                               for t, _, c in families]).astype(np.int64)
    return tails, heads, arc_cost


def _tighten(d: np.ndarray, tails: np.ndarray, heads: np.ndarray, costs: np.ndarray, n_s: int,
             sweeps: int = 3) -> np.ndarray:
    """Raise startups' and lower mentors' potentials as far as the residual arcs allow.

    Distances from a virtual root are capped at 0 by the root's arcs, which keeps startup
    potentials (their prices ``u_i``) too low and empty mentors' too high: a pruned pair then
    looks profitable when it is not, and costs a needless round. A startup's potential may rise
    to the least ``d[tail] + cost`` over its incoming arcs (arcs leaving it only get slacker);
    a mentor's may drop to the largest ``d[head] - cost`` over its outgoing arcs. Both keep
    every reduced cost non-negative, so the certificate stays valid.
    """
    n = len(d)
    is_startup_head = heads < n_s
    is_mentor_tail = (tails >= n_s) & (tails < n - 1)
    for _ in range(sweeps):
        into = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(into, heads[is_startup_head], d[tails[is_startup_head]]
                      + costs[is_startup_head])
        raise_s = into[:n_s] < np.iinfo(np.int64).max
        d[:n_s][raise_s] = np.maximum(d[:n_s][raise_s], into[:n_s][raise_s])
        out = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(out, tails[is_mentor_tail], d[heads[is_mentor_tail]] - costs[is_mentor_tail])
        lower_m = out[n_s:n - 1] > np.iinfo(np.int64).min
        seg = d[n_s:n - 1]
        seg[lower_m] = np.minimum(seg[lower_m], out[n_s:n - 1][lower_m])
    return d


def _bellman_ford(tails: np.ndarray, heads: np.ndarray, costs: np.ndarray, n_nodes: int) -> np.ndarray:
    """Distances from a virtual root with a zero arc to every node, by whole-array sweeps.

    Each sweep relaxes every arc at once (``minimum.reduceat`` over arcs grouped by head), so a
    sweep costs a few numpy passes; the number of sweeps is the most arcs on a shortest path,
    which on residual graphs of assignments is a few dozen (scipy's ``bellman_ford`` loops over
    every node each sweep and was 1000 times slower here).
    """
    order = np.argsort(heads, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    starts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]]) if len(heads) else np.zeros(0, int)
    targets = heads[starts]
    d = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        if not len(heads):
            return d
        best = np.minimum.reduceat(d[tails] + costs, starts)
        better = best < d[targets]
        if not better.any():
            return d
        d[targets[better]] = best[better]
    raise SolverError("the residual graph has a negative cycle: the flow was not optimal")


def find_violations(source, candidates: Candidates, d_startups: np.ndarray, d_mentors: np.ndarray, *,
                    scale: float, excluded: tuple[np.ndarray, np.ndarray],
                    active_rows: np.ndarray, active_cols: np.ndarray, per_row: int,
                    margin: float = 0.0, per_col: np.ndarray | None = None,
                    pool: list | None = None,
                    block_entries: int = BLOCK_ENTRIES) -> tuple[np.ndarray, np.ndarray, int]:
    """Pruned pairs with positive reduced profit, scanning the scores block by block.

    A pair ``(i, j)`` outside the candidates violates the certificate when
    ``rint(score * scale) > d_startups[i] - d_mentors[j]``. Scores of a block are first screened
    with their error bound (float32 blocks of :class:`~matcher.solve.candidates.VectorScores`),
    then every pair that might violate is rescored exactly.

    Parameters
    ----------
    source : score source
        :class:`~matcher.solve.candidates.VectorScores` or
        :class:`~matcher.solve.candidates.DenseScores`.
    candidates : Candidates
        The pairs the flow already had.
    d_startups, d_mentors : int64 arrays
        Potentials from :func:`residual_potentials`, in units of ``1 / scale``.
    scale : float
        The integer scale of the scores.
    excluded : (rows, cols), sorted by row
        Forbidden and pinned pairs: never candidates.
    active_rows, active_cols : bool arrays
        Startups with places left and mentors with capacity left.
    per_row : int
        Most violating pairs returned per startup (the most profitable first).
    margin : float
        Also return pairs within ``margin`` (in score units) of violating: when the flow is
        solved again, prices move, and these are the pairs that would violate next. They are
        not counted in ``n_violations``.
    per_col : int array of shape (n_mentors,), optional
        Most pairs returned per mentor (the most profitable first).
    pool : list, optional
        When given, ``(rows, cols, scaled_scores)`` of every pair found within ``margin`` is
        appended to it, before the per-row and per-column cuts: the next rounds look there
        first (see :func:`pool_violations`) and scan everything again only to certify.

    Returns
    -------
    rows, cols : int64 arrays
        The violating pairs to add, sorted.
    n_violations : int
        All violating pairs found (before the per-row cut).

    Examples
    --------
    >>> from matcher.solve.candidates import DenseScores, top_candidates
    >>> src = DenseScores(np.array([[4.0, 3.0, 2.0]]))
    >>> cand = top_candidates(src, 1)
    >>> none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    >>> ones = np.ones(3, dtype=bool)
    >>> find_violations(src, cand, np.array([2]), np.zeros(3, np.int64), scale=1.0, excluded=none,
    ...                 active_rows=np.ones(1, bool), active_cols=ones, per_row=5)
    (array([0]), array([1]), 1)
    """
    n_s, n_m = candidates.n_startups, candidates.n_mentors
    skip_keys = _sorted_unique(np.concatenate([candidates.rows * n_m + candidates.cols,
                                               excluded[0] * n_m + excluded[1]]))
    active_cols = np.asarray(active_cols, dtype=bool)
    screen = _Screen.of(d_startups, d_mentors, scale, candidates.peak, margin)
    scratch = _Scratch(n_m)
    found, total = [], 0
    for start, stop in _row_blocks(n_s, n_m, block_entries):
        if not active_rows[start:stop].any():
            continue
        scratch.ensure(stop - start)
        values, err = source.blocks(start, stop, out=scratch.raw)
        r, c = screen.passing(values, err, start, stop, scratch)
        # pairs already in the flow, forbidden or pinned, or without places, cannot violate
        fresh = _not_in(r.astype(np.int64) * n_m + c, skip_keys) & active_cols[c] & active_rows[r]
        r, c = r[fresh], c[fresh]
        if not len(r):
            continue
        profit = screen.profits(source, values, err, r, c, start)
        total += int((profit > 0).sum())
        bad = profit > -margin * scale
        # a startup's pairs all lie in its block: cut to its best few here, so memory stays
        # O(n_startups x per_row) even when a round flags tens of millions of pairs
        found.append(_best_per_row(r[bad], c[bad], profit[bad], 4 * per_row))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, 0
    rows = np.concatenate([r for r, _, _ in found]).astype(np.int64)
    cols = np.concatenate([c for _, c, _ in found]).astype(np.int64)
    profit = np.concatenate([p for _, _, p in found])
    return (*pick_violations(rows, cols, profit, d_startups, d_mentors, per_row=per_row,
                             per_col=per_col, pool=pool), total)


def pick_violations(rows, cols, profit, d_startups, d_mentors, *, per_row: int, per_col=None,
                    pool: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pairs to add, sorted, from the pairs found near violating and their profits
    (at most ``4 per_row`` per startup); every one found goes to ``pool`` when given."""
    if pool is not None:
        pool.append((rows, cols, profit + (d_startups[rows] - d_mentors[cols]).astype(np.float64)))
    rows, cols = cap_pairs(rows, cols, profit, per_row, per_col)
    order = np.lexsort((cols, rows))
    return rows[order], cols[order]


@dataclass(frozen=True, eq=False)
class _Screen:
    """The potentials in the forms the scan needs: integer units for the exact test, score units
    (float64, and float32 for whole blocks) for the screen, and the screen's slack per startup."""

    d_startups: np.ndarray
    d_mentors: np.ndarray
    a: np.ndarray
    b: np.ndarray
    b32: np.ndarray
    slack: np.ndarray
    scale: float
    margin: float

    @classmethod
    def of(cls, d_startups, d_mentors, scale: float, peak: float, margin: float) -> _Screen:
        # potentials in score units: a pair may violate when score + b_j > a_i (up to rounding)
        a = d_startups.astype(np.float64) / scale
        b = d_mentors.astype(np.float64) / scale
        # float32 sums: the screen's slack covers their rounding (2**-21 of the magnitudes)
        slack = 1.0 / scale + 2.0**-21 * (peak + float(np.abs(b).max(initial=0.0)) + np.abs(a))
        return cls(d_startups, d_mentors, a, b, b.astype(np.float32), slack, scale, margin)

    def passing(self, values, err, start: int, stop: int,
                scratch: _Scratch) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) of the block's pairs that may violate or come within the margin."""
        n = stop - start
        # screen generously (error bound of the block, plus one integer unit), then recheck
        # the few pairs that pass with exact scores and integer arithmetic
        lhs = np.add(values, self.b32[None, :], out=scratch.sums[:n], casting="same_kind")
        bar = (self.a[start:stop] - err - self.slack[start:stop] - self.margin).astype(np.float32)
        mask = np.greater(lhs, bar[:, None], out=scratch.maybe[:n])
        r, c = nonzero_2d(mask)
        r += start
        return r, c

    def profits(self, source, values, err, r: np.ndarray, c: np.ndarray,
                start: int) -> np.ndarray:
        """Reduced profit of each pair in integer units: from the block, exact near zero."""
        # only pairs within the error bound of zero need their exact score (millions may
        # violate in a round, a few are close)
        approx = (values[r - start, c].astype(np.float64) + self.b[c] - self.a[r]) * self.scale
        tol = (err[r - start] + self.slack[r]) * self.scale
        unsure = np.abs(approx) <= tol
        if unsure.any():
            ru, cu = r[unsure], c[unsure]
            approx[unsure] = np.rint(source.exact(ru, cu) * self.scale) - (
                self.d_startups[ru] - self.d_mentors[cu]).astype(np.float64)
        return approx


class _Scratch:
    """Block-sized arrays kept between blocks: fresh ones per block cost page faults."""

    def __init__(self, n_cols: int):
        self.n_cols, self.rows = n_cols, 0

    def ensure(self, n_rows: int) -> None:
        if n_rows > self.rows:
            shape = (n_rows, self.n_cols)
            self.sums = np.empty(shape, dtype=np.float32)
            self.raw = np.empty(shape, dtype=np.float32)
            self.maybe = np.empty(shape, dtype=bool)
            self.rows = n_rows


def _not_in(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """True where a key is not among ``sorted_keys`` (sorted, unique)."""
    if not len(sorted_keys):
        return np.ones(len(keys), bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] != keys


def _best_per_row(rows, cols, profit, n):
    """The ``n`` most profitable pairs of each row (rows in any order), order not kept."""
    if not len(rows) or np.bincount(rows - rows.min()).max(initial=0) <= n:
        return rows, cols, profit
    order = np.lexsort((cols, -profit, rows))
    rows, cols, profit = rows[order], cols[order], profit[order]
    keep = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left") < n
    return rows[keep], cols[keep], profit[keep]


def cap_pairs(rows: np.ndarray, cols: np.ndarray, profit: np.ndarray, per_row: int,
              per_col: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The most profitable pairs, at most ``per_col[j]`` per mentor and ``per_row`` per startup.

    Examples
    --------
    >>> cap_pairs(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([3.0, 2.0, 5.0]), 1)
    (array([0, 1]), array([0, 0]))
    """
    if per_col is not None:
        # when every startup wants the same empty mentor, adding them all would only move
        # the crowd to the next one
        order = np.lexsort((rows, -profit, cols))
        rows, cols, profit = rows[order], cols[order], profit[order]
        rank = np.arange(len(cols)) - np.searchsorted(cols, cols, side="left")
        keep = rank < per_col[cols]
        rows, cols, profit = rows[keep], cols[keep], profit[keep]
    order = np.lexsort((cols, -profit, rows))
    rows, cols = rows[order], cols[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = rank < per_row
    return rows[keep], cols[keep]


def pool_violations(pool: tuple[np.ndarray, np.ndarray, np.ndarray], candidates: Candidates,
                    d_startups: np.ndarray, d_mentors: np.ndarray, *, per_row: int,
                    per_col: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs of an earlier scan's pool that violate under new potentials (no full scan).

    The pool's scores are the block approximations, so this only proposes pairs; certifying
    still takes a full :func:`find_violations`.
    """
    rows, cols, scaled = pool
    n_m = candidates.n_mentors
    fresh = _not_in(rows * n_m + cols, candidates.rows * n_m + candidates.cols)
    profit = scaled - (d_startups[rows] - d_mentors[cols]).astype(np.float64)
    bad = fresh & (profit > 0)
    r, c = cap_pairs(rows[bad], cols[bad], profit[bad], per_row, per_col)
    order = np.lexsort((c, r))
    return r[order], c[order], int(bad.sum())


def hall_group(rows: np.ndarray, cols: np.ndarray, demand: np.ndarray,
               supply: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Startups whose minimum demand their candidate mentors cannot meet (Hall's condition).

    A maximum flow source → startup (``demand``) → mentor (candidate pairs) → sink (``supply``);
    when it falls short, the startups still reachable from the source in the residual graph
    form a group whose candidates are too few.

    Returns
    -------
    (startups, mentors) bool masks or None
        The group, and the mentors reachable from it (all full); None when demand is met.

    Examples
    --------
    >>> group, full = hall_group(np.array([0, 1]), np.array([0, 0]), np.array([1, 1]),
    ...                          np.array([1, 1]))
    >>> group.tolist(), full.tolist()
    ([True, True], [True, False])
    """
    # imported here: csgraph costs ~0.1 s, which a small flow solve (never pruned) should not pay
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    n_s, n_m = len(demand), len(supply)
    source, sink = n_s + n_m, n_s + n_m + 1
    tails = np.concatenate([np.full(n_s, source), rows, n_s + np.arange(n_m)])
    heads = np.concatenate([np.arange(n_s), n_s + cols, np.full(n_m, sink)])
    caps = np.concatenate([demand, np.ones(len(rows), np.int64), supply]).astype(np.int32)
    graph = sp.csr_matrix((caps, (tails, heads)), shape=(n_s + n_m + 2,) * 2)
    result = maximum_flow(graph, source, sink)
    if int(result.flow_value) >= int(demand.sum()):
        return None
    residual = graph - result.flow
    residual.data = np.where(residual.data > 0, 1, 0)
    residual.eliminate_zeros()
    reach = breadth_first_order(residual, source, directed=True, return_predecessors=False)
    group = np.zeros(n_s, dtype=bool)
    group[reach[reach < n_s]] = True
    full = np.zeros(n_m, dtype=bool)
    full[reach[(reach >= n_s) & (reach < n_s + n_m)] - n_s] = True
    return group, full
