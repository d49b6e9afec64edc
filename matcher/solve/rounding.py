"""Dependent rounding: an integral assignment whose pair probabilities are exactly the fractions.

Given a fractional assignment ``x`` on the edges of a bipartite graph (startups × mentors),
:func:`dependent_rounding` samples a set of edges such that

* each edge is chosen with probability exactly ``x[e]``;
* every startup and every mentor ends with ``floor(d)`` or ``ceil(d)`` chosen edges, ``d`` its
  fractional degree, so an ``x`` that keeps k per startup and capacities gives samples that keep
  them too.

It is the rounding of Gandhi, Khuller, Parthasarathy and Srinivasan (J. ACM 2006): while some
edge is fractional, take a cycle or a maximal path of fractional edges, split it into the two
alternating matchings ``M1`` and ``M2``, and move every edge by the same amount, up on ``M1`` and
down on ``M2`` (or the reverse), far enough that one edge becomes 0 or 1. The direction is drawn so
that each edge's expected value stays put; a cycle leaves every degree unchanged, and a maximal path
changes only its two ends, each of which has a single fractional edge and so a fractional degree.

Fractions are held as whole numbers of ``1 / whole`` (the LP of
:mod:`matcher.solve.randomised` is solved in those units), so the arithmetic is exact and a
rounded edge is exactly 0 or 1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dependent_rounding"]


def dependent_rounding(rows: np.ndarray, cols: np.ndarray, units: np.ndarray, whole: int, *,
                       seed: int | np.random.Generator = 0) -> np.ndarray:
    """Sample edges with probability ``units / whole`` each, keeping every degree within one.

    Parameters
    ----------
    rows, cols : int arrays of shape (n_edges,)
        The edges (startup position, mentor position); each at most once.
    units : int array of shape (n_edges,)
        Each edge's fraction in units of ``1 / whole``, from 0 to ``whole``.
    whole : int
        The number of units that make 1.
    seed : int or numpy Generator
        Same edges, units and seed: same sample.

    Returns
    -------
    bool array of shape (n_edges,)
        The chosen edges.

    Examples
    --------
    >>> rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    >>> chosen = dependent_rounding(rows, cols, np.array([1, 1, 1, 1]), 2, seed=3)
    >>> np.bincount(rows[chosen]).tolist(), np.bincount(cols[chosen]).tolist()
    ([1, 1], [1, 1])
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rows = np.asarray(rows, dtype=np.int64)
    units = np.asarray(units, dtype=np.int64)
    if units.size and (units.min() < 0 or units.max() > whole):
        raise ValueError(f"units must lie between 0 and whole={whole}")
    n_s = int(rows.max(initial=-1)) + 1
    y = units.tolist()
    ends = list(zip(rows.tolist(), (np.asarray(cols, dtype=np.int64) + n_s).tolist(), strict=True))
    n_nodes = n_s + int(np.max(cols, initial=-1)) + 1
    graph = _FractionalGraph(n_nodes, ends, y, whole)
    walk = _Walk(graph)
    while graph.active:
        cycle_or_path = walk.next_round()
        _shift(cycle_or_path, y, whole, rng)
        graph.drop_integral(cycle_or_path)
    return np.array(y, dtype=np.int64) == whole


class _FractionalGraph:
    """The fractional edges at each node; leaves are nodes with exactly one."""

    def __init__(self, n_nodes: int, ends: list, y: list, whole: int):
        self.ends, self.y, self.whole = ends, y, whole
        self.adj: list[dict[int, None]] = [{} for _ in range(n_nodes)]  # ordered: deterministic
        for e, (u, v) in enumerate(ends):
            if 0 < y[e] < whole:
                self.adj[u][e] = None
                self.adj[v][e] = None
        self.active = {v: None for v in range(n_nodes) if self.adj[v]}
        self.leaves = {v: None for v in self.active if len(self.adj[v]) == 1}

    def other(self, e: int, v: int) -> int:
        u, w = self.ends[e]
        return w if u == v else u

    def drop_integral(self, edges: list[int]) -> None:
        for e in edges:
            if 0 < self.y[e] < self.whole:
                continue
            for v in self.ends[e]:
                adj = self.adj[v]
                adj.pop(e, None)
                if not adj:
                    self.active.pop(v, None)
                    self.leaves.pop(v, None)
                elif len(adj) == 1:
                    self.leaves[v] = None


class _Walk:
    """Walks along fractional edges, from a leaf when there is one, to a cycle or a dead end."""

    def __init__(self, graph: _FractionalGraph):
        self.graph = graph
        self.nodes: list[int] = []
        self.edges: list[int] = []
        self.at: dict[int, int] = {}

    def _restart(self, start: int) -> None:
        self.nodes, self.edges, self.at = [start], [], {start: 0}

    def next_round(self) -> list[int]:
        """The edges of the next cycle, or of a maximal path between two leaves."""
        g = self.graph
        if not self.nodes or not g.adj[self.nodes[0]]:
            self._restart(next(iter(g.leaves or g.active)))
        while True:
            v = self.nodes[-1]
            came = self.edges[-1] if self.edges else -1
            e = next((f for f in g.adj[v] if f != came), None)
            if e is None:  # a dead end: v is a leaf, or the walk's start lost its edges
                if not self.edges:
                    self._restart(next(iter(g.leaves or g.active)))
                elif len(g.adj[self.nodes[0]]) == 1:
                    path = self.edges
                    self.nodes = []
                    return path
                else:
                    self._restart(v)  # the walk did not start at a leaf: start again from this one
                continue
            w = g.other(e, v)
            self.edges.append(e)
            if w in self.at:
                # a cycle from w back to w; the walk resumes at w once it is rounded
                cut = self.at[w]
                cycle = self.edges[cut:]
                for u in self.nodes[cut + 1:]:
                    del self.at[u]
                del self.nodes[cut + 1:]
                del self.edges[cut:]
                return cycle
            self.at[w] = len(self.nodes)
            self.nodes.append(w)


def _shift(edges: list[int], y: list[int], whole: int, rng: np.random.Generator) -> None:
    """Move the alternate edges of a cycle or path up and down until one is 0 or ``whole``."""
    up, down = edges[0::2], edges[1::2]
    alpha = min(min(whole - y[e] for e in up), min((y[e] for e in down), default=whole))
    beta = min(min(y[e] for e in up), min((whole - y[e] for e in down), default=whole))
    # E[change of an up edge] = p * alpha - (1 - p) * beta = 0 with p = beta / (alpha + beta)
    step = alpha if rng.random() * (alpha + beta) < beta else -beta
    for e in up:
        y[e] += step
    for e in down:
        y[e] -= step
