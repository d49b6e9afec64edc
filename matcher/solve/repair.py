"""Repair: turn an assignment that breaks a few quotas into one that keeps every rule.

The flow relaxation (:func:`~matcher.solve.cpsat_model.flow_relaxation`) drops the quotas a flow
cannot express (overlapping groups, per-startup groups such as domain coverage), so its optimum may
break them for some startups. :func:`repair` takes each such startup in turn and picks its mentors
again, best first, among those with a free place, keeping every quota, while every other startup
keeps its own. Within one startup the choice is exact: mentors fall into a few *atoms* (the same
membership in every quota group), and each way of drawing ``c_a`` mentors from atom ``a`` takes
the atom's ``c_a`` best; every such count vector is tried at once as an array.
"""

from __future__ import annotations

import itertools
import time
from functools import lru_cache

import numpy as np

from matcher.solve.feasible import satisfies
from matcher.solve.problem import Problem

__all__ = ["repair"]

#: Beyond this many count vectors for one startup, the repair gives up (it would be slow).
MAX_PICKS = 200_000


def repair(problem: Problem, chosen: np.ndarray, *, seconds: float = 1.0) -> np.ndarray | None:
    """A mask that keeps every hard rule, from ``chosen`` (bool, shape (n_startups, n_mentors)),
    or None when the repair fails (no free place of the right kind, a hard minimum load broken,
    or more than ``seconds`` spent).

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> quotas = [{"name": "a", "mentors": np.array([True, True, False]), "max": 1},
    ...           {"name": "b", "mentors": np.array([False, True, True]), "min": 1}]
    >>> p = make_problem(np.array([[0.9, 0.8, 0.1]]), k=2, capacity=1, quotas=quotas)
    >>> repair(p, np.array([[True, True, False]])).astype(int).tolist()   # a holds 2: too many
    [[1, 0, 1]]
    """
    start = time.perf_counter()
    chosen = chosen.copy()
    loads = chosen.sum(axis=0)
    if (loads > problem.capacity).any() or (chosen & problem.forbidden).any():
        return None
    n_s = problem.shape[0]
    masks = [q.mask(n_s) for q in problem.quotas]
    allowed = problem.allowed
    for i in np.nonzero(~_rows_ok(problem, chosen, masks))[0]:
        if time.perf_counter() - start > seconds:
            return None
        loads -= chosen[i]
        row = _best_row(problem, allowed[i], int(i), loads, masks)
        if row is None:
            return None
        chosen[i] = row
        loads += row
    return chosen if satisfies(problem, chosen) else None


def _rows_ok(problem: Problem, chosen: np.ndarray, masks: list) -> np.ndarray:
    """Bool array of shape (n_startups,): the row keeps k and every quota."""
    count = chosen.sum(axis=1)
    ok = (count >= problem.k_min) & (count <= problem.k_max)
    for quota, mask in zip(problem.quotas, masks, strict=True):
        inside = (chosen & mask).sum(axis=1)
        ok &= (inside >= quota.min) & (inside <= quota.max)
    return ok


def _best_row(problem: Problem, allowed: np.ndarray, i: int, loads: np.ndarray,
              masks: list) -> np.ndarray | None:
    """The best mentors for startup ``i`` (``allowed``: its allowed mentors) with the other
    startups' ``loads`` fixed, or None."""
    pins = problem.pinned[i]
    open_ = allowed & (loads < problem.capacity) & ~pins
    member = np.array([m[i] for m in masks], dtype=bool).reshape(len(masks), -1)
    # pins take places of k and of their groups first
    k_lo = max(int(problem.k_min[i] - pins.sum()), 0)
    k_hi = int(problem.k_max[i] - pins.sum())
    q_in = member[:, pins].sum(axis=1)
    q_lo = np.array([q.min[i] for q in problem.quotas], dtype=np.int64) - q_in
    q_hi = np.array([q.max[i] for q in problem.quotas], dtype=np.int64) - q_in
    weights = 1 << np.arange(len(masks), dtype=np.int64)
    signature = weights @ member.astype(np.int64) if len(masks) else np.zeros(len(pins), np.int64)
    atoms, atom_of = np.unique(signature[open_], return_inverse=True)
    if k_hi < 0 or (q_hi < 0).any():
        return None
    picks = _count_vectors(len(atoms), k_lo, k_hi)
    if picks is None:
        return None
    # value of the c best open mentors of each atom, c = 0..k_hi (-inf beyond the atom's size)
    idx = np.nonzero(open_)[0]
    scores = problem.scores[i, idx]
    best = np.full((len(atoms), k_hi + 1), -np.inf)
    best[:, 0] = 0.0
    ranked = []
    for a in range(len(atoms)):
        inside = idx[atom_of == a][np.argsort(-scores[atom_of == a], kind="stable")]
        ranked.append(inside)
        top = np.cumsum(problem.scores[i, inside[:k_hi]])
        best[a, 1 : len(top) + 1] = top
    value = best[np.arange(len(atoms))[None, :], picks].sum(axis=1)
    atom_member = ((atoms[:, None] >> np.arange(len(masks))[None, :]) & 1).T  # quota x atom
    inside = picks @ atom_member.T
    value[((inside < q_lo) | (inside > q_hi)).any(axis=1)] = -np.inf
    if not len(value) or not np.isfinite(value.max()):
        return None
    pick = picks[int(np.argmax(value))]
    row = pins.copy()
    for a, count in enumerate(pick):
        row[ranked[a][:count]] = True
    return row


def _count_vectors(n_atoms: int, low: int, high: int) -> np.ndarray | None:
    """Int array of shape (n_vectors, n_atoms): every way to draw between ``low`` and ``high``
    mentors from the atoms; None when there are more than :data:`MAX_PICKS`."""
    vectors = [_compositions(n_atoms, total) for total in range(low, high + 1)]
    if any(v is None for v in vectors):
        return None
    return np.concatenate(vectors) if vectors else np.zeros((0, n_atoms), dtype=np.int64)


@lru_cache(maxsize=64)
def _compositions(n_atoms: int, total: int) -> np.ndarray | None:
    from math import comb

    if n_atoms == 0:  # no mentor open: only the empty draw
        return np.zeros((1 if total == 0 else 0, 0), dtype=np.int64)
    if comb(total + n_atoms - 1, n_atoms - 1) > MAX_PICKS:
        return None
    out = []
    # stars and bars: the positions of n_atoms - 1 bars among total + n_atoms - 1 places
    for bars in itertools.combinations(range(total + n_atoms - 1), n_atoms - 1):
        edges = (-1, *bars, total + n_atoms - 1)
        out.append([edges[a + 1] - edges[a] - 1 for a in range(n_atoms)])
    return np.array(out, dtype=np.int64).reshape(-1, n_atoms)
