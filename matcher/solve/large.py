"""``assign`` for scores given as profile vectors: validation without the dense matrix.

:func:`matcher.assign` sends a :class:`~matcher.solve.candidates.VectorScores` here. The rules are
checked the way :func:`~matcher.solve.problem.make_problem` checks them, but pairs stay as arrays
of positions, so 100,000 × 10,000 startups and mentors never need an n_startups × n_mentors array.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from matcher.data.models import Assignment
from matcher.errors import Diagnosis, InfeasibleError, InputError, InputProblem
from matcher.solve.candidates import VectorScores
from matcher.solve.problem import _arg, _capacity, _k_bounds
from matcher.solve.pruned import solve_pruned, to_assignment

__all__ = ["assign_vectors", "pair_positions"]

Pairs = tuple[np.ndarray, np.ndarray]


def assign_vectors(scores: VectorScores, *, k: Any = 3, capacity: Any = 1, forbidden: Any = None,
                   pinned: Any = None, width: int | None = None) -> Assignment:
    """Optimal assignment for vector scores, by candidates and a certificate.

    Parameters are those of :func:`matcher.assign`; ``width`` sets the first candidates per
    startup.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> vs = VectorScores(rng.random((50, 8)), rng.random((30, 8)))
    >>> a = assign_vectors(vs, k=2, capacity=4)
    >>> a.status, a.certified, len(a.rows)
    ('optimal', True, 100)
    """
    start = time.perf_counter()
    problems: list[InputProblem] = []
    n_s, n_m = scores.shape
    k_min, k_max = _k_bounds(k, n_s, problems)
    cap = _capacity(capacity, scores.mentor_ids, problems)
    forbid = pair_positions("forbidden", forbidden, scores.startup_ids, scores.mentor_ids, problems)
    pins = pair_positions("pinned", pinned, scores.startup_ids, scores.mentor_ids, problems)
    if problems:
        raise InputError(problems)
    found = sparse_counting_checks(k_min, k_max, cap, forbid, pins, scores.startup_ids,
                                   scores.mentor_ids)
    if found:
        raise InfeasibleError(found)
    checked = time.perf_counter()
    result = solve_pruned(scores, k_min=k_min, k_max=k_max, capacity=cap, forbidden=forbid,
                          pinned=pins, width=width)
    timings = {"checks": checked - start, **result.timings,
               "solve": time.perf_counter() - checked}
    assignment = to_assignment(result, scores.startup_ids, scores.mentor_ids, "pruned", timings)
    # the stages nest inside "solve": the wall time is kept apart for summaries
    return dataclasses.replace(assignment, info={**assignment.info,
                                                 "wall_time": time.perf_counter() - start})


def pair_positions(name: str, pairs: Any, startup_ids: np.ndarray, mentor_ids: np.ndarray,
                   problems: list[InputProblem]) -> Pairs:
    """(rows, cols) sorted positions of ``pairs``: id pairs, a bool mask or a sparse matrix.

    Examples
    --------
    >>> pair_positions("pinned", [("b", "x")], np.array(["a", "b"]), np.array(["x"]), [])
    (array([1]), array([0]))
    """
    empty = np.zeros(0, dtype=np.int64)
    shape = (len(startup_ids), len(mentor_ids))
    if pairs is None:
        return empty, empty
    if sp.issparse(pairs) or (isinstance(pairs, np.ndarray) and pairs.dtype == bool):
        if pairs.shape != shape:
            problems.append(_arg(name, f"mask has shape {pairs.shape}, scores have {shape}",
                                 "give a boolean mask of the scores' shape, or (startup, mentor) pairs"))
            return empty, empty
        rows, cols = sp.coo_matrix(pairs).nonzero() if sp.issparse(pairs) else np.nonzero(pairs)
    else:
        table = pd.DataFrame(list(pairs.itertuples(index=False, name=None))
                             if isinstance(pairs, pd.DataFrame) else list(pairs))
        if table.empty:
            return empty, empty
        if table.shape[1] != 2:
            problems.append(_arg(name, "entries are not (startup_id, mentor_id) pairs"))
            return empty, empty
        rows = pd.Index(startup_ids).get_indexer(table[0])
        cols = pd.Index(mentor_ids).get_indexer(table[1])
        unknown = (rows < 0) | (cols < 0)
        if unknown.any():
            t = int(np.argmax(unknown))
            problems.append(_arg(name, f"{int(unknown.sum())} pair(s) name unknown ids, first "
                                 f"({table[0][t]!r}, {table[1][t]!r})",
                                 "use ids that appear in startup_ids and mentor_ids"))
            return empty, empty
    keys = np.unique(np.asarray(rows, np.int64) * shape[1] + np.asarray(cols, np.int64))
    return keys // shape[1], keys % shape[1]


def sparse_counting_checks(k_min: np.ndarray, k_max: np.ndarray, capacity: np.ndarray,
                           forbidden: Pairs, pinned: Pairs, startup_ids: np.ndarray,
                           mentor_ids: np.ndarray) -> list[Diagnosis]:
    """The counting checks of :func:`~matcher.solve.diagnose.counting_checks` on pair arrays."""
    n_s, n_m = len(k_min), len(capacity)
    out: list[Diagnosis] = []
    f_keys = forbidden[0] * n_m + forbidden[1]
    p_keys = pinned[0] * n_m + pinned[1]
    both = np.intersect1d(f_keys, p_keys)
    if len(both):
        out.append(Diagnosis("pinned vs forbidden", f"{len(both)} pair(s) are both pinned and forbidden.",
                             shortfall=len(both), suggestions=("remove the pin or the conflict",)))
    pins_s = np.bincount(pinned[0], minlength=n_s)
    pins_m = np.bincount(pinned[1], minlength=n_m)
    for i in np.nonzero(pins_s > k_max)[0][:10]:
        out.append(Diagnosis("pinned vs k", f"Startup {startup_ids[i]} has {pins_s[i]} pinned mentors "
                             f"but takes at most {k_max[i]}.", shortfall=int(pins_s[i] - k_max[i]),
                             startups=(startup_ids[i],)))
    for j in np.nonzero(pins_m > capacity)[0][:10]:
        out.append(Diagnosis("pinned vs capacity", f"Mentor {mentor_ids[j]} is pinned to {pins_m[j]} "
                             f"startups but has capacity {capacity[j]}.",
                             shortfall=int(pins_m[j] - capacity[j]), mentors=(mentor_ids[j],)))
    open_cols = capacity > 0
    f_open = open_cols[forbidden[1]]
    available = int(open_cols.sum()) - np.bincount(forbidden[0][f_open], minlength=n_s)
    available = np.maximum(available, pins_s)
    for i in np.nonzero(available < k_min)[0][:10]:
        out.append(Diagnosis("mentors per startup", f"Startup {startup_ids[i]} needs {k_min[i]} "
                             f"mentors but only {available[i]} may be paired with it.",
                             shortfall=int(k_min[i] - available[i]), startups=(startup_ids[i],)))
    demand, supply = int(k_min.sum()), int(capacity.sum())
    if demand > supply:
        out.append(Diagnosis("total capacity", f"The {n_s} startups need {demand} mentor places; the "
                             f"{n_m} mentors offer {supply} in all: {demand - supply} short.",
                             shortfall=demand - supply,
                             suggestions=(f"raise mentor capacity by {demand - supply} in all",
                                          "add mentors", "lower k")))
    return out
