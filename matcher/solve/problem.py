"""The solver-facing form of an assignment problem, and its validation at the edge.

Every backend takes a :class:`Problem`: the score matrix with ids beside it, and the rules as
arrays indexed by position. :func:`make_problem` turns what a user passes to
:func:`matcher.assign` (arrays, DataFrames, Series, id pairs) into one, or raises an
:class:`~matcher.errors.InputError` that names the argument and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.errors import InputError, InputProblem

__all__ = ["Problem", "make_problem"]


@dataclass(frozen=True, eq=False)
class Problem:
    """An assignment problem as arrays.

    Attributes
    ----------
    scores : float array of shape (n_startups, n_mentors)
        Affinity of each pair; higher is better.
    startup_ids, mentor_ids : object arrays
        Ids of the rows and columns.
    k_min, k_max : int arrays of shape (n_startups,)
        Each startup gets between ``k_min[i]`` and ``k_max[i]`` distinct mentors.
    capacity : int array of shape (n_mentors,)
        Each mentor takes at most ``capacity[j]`` startups.
    forbidden, pinned : bool arrays of shape (n_startups, n_mentors)
        Pairs that must never / must always be made.
    """

    scores: np.ndarray
    startup_ids: np.ndarray
    mentor_ids: np.ndarray
    k_min: np.ndarray
    k_max: np.ndarray
    capacity: np.ndarray
    forbidden: np.ndarray
    pinned: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.scores.shape

    @property
    def allowed(self) -> np.ndarray:
        """Pairs that may be made: not forbidden, and the mentor has some capacity."""
        return ~self.forbidden & (self.capacity > 0)[None, :]

    def startup_label(self, i: int) -> str:
        return str(self.startup_ids[i])

    def mentor_label(self, j: int) -> str:
        return str(self.mentor_ids[j])


def make_problem(
    scores: Any,
    *,
    k: int | tuple[int, int] | Iterable[int] = 3,
    capacity: int | Iterable[int] | pd.Series = 1,
    forbidden: Any = None,
    pinned: Any = None,
) -> Problem:
    """Validate the arguments of :func:`matcher.assign` and build a :class:`Problem`.

    ``scores`` may be an array, a DataFrame (index = startup ids, columns = mentor ids) or a
    :class:`matcher.scoring.Scores` (whose forbidden pairs are added to ``forbidden``).
    """
    problems: list[InputProblem] = []
    extra_forbidden = None
    if hasattr(scores, "values") and hasattr(scores, "startup_ids") and hasattr(scores, "mentor_ids"):
        values = np.asarray(scores.values, dtype=np.float64)
        startup_ids = np.asarray(scores.startup_ids, dtype=object)
        mentor_ids = np.asarray(scores.mentor_ids, dtype=object)
        extra_forbidden = getattr(scores, "forbidden", None)
    elif isinstance(scores, pd.DataFrame):
        try:
            values = scores.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError([_arg("scores", f"has a column that is not numeric ({exc})",
                                   "give numbers only; ids go in the index and column names")]) from None
        startup_ids = np.asarray(scores.index, dtype=object)
        mentor_ids = np.asarray(scores.columns, dtype=object)
    else:
        try:
            values = np.asarray(scores, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError([_arg("scores", f"cannot be read as numbers ({exc})",
                                   "pass a 2-D array or DataFrame of floats")]) from None
        if values.ndim == 2:
            startup_ids = np.arange(values.shape[0])
            mentor_ids = np.arange(values.shape[1])
    if values.ndim != 2:
        raise InputError([_arg("scores", f"has {values.ndim} dimension(s)",
                               "pass a matrix of shape (n_startups, n_mentors)")])
    n_startups, n_mentors = values.shape
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        problems.append(_arg(
            "scores", f"has {int(bad.sum())} missing or infinite value(s), first at startup "
            f"{startup_ids[i]!r}, mentor {mentor_ids[j]!r}",
            "fill every pair with a number; forbid a pair with `forbidden` instead of NaN"))
    for name, ids in (("scores index (startup ids)", startup_ids),
                      ("scores columns (mentor ids)", mentor_ids)):
        dup = pd.Index(ids)[pd.Index(ids).duplicated()]
        if len(dup):
            problems.append(_arg(name, f"repeats id(s) {list(dup[:5])}", "make every id unique"))

    k_min, k_max = _k_bounds(k, n_startups, problems)
    cap = _capacity(capacity, mentor_ids, problems)
    forbid = _pair_mask("forbidden", forbidden, startup_ids, mentor_ids, problems)
    pin = _pair_mask("pinned", pinned, startup_ids, mentor_ids, problems)
    if extra_forbidden is not None:
        forbid = forbid | np.asarray(extra_forbidden, dtype=bool)
    if problems:
        raise InputError(problems)
    return Problem(values, startup_ids, mentor_ids, k_min, k_max, cap, forbid, pin)


def _arg(name: str, message: str, hint: str = "") -> InputProblem:
    return InputProblem(source=f"argument '{name}'", row=None, field=None, message=message, hint=hint)


def _k_bounds(k: Any, n: int, problems: list[InputProblem]) -> tuple[np.ndarray, np.ndarray]:
    zeros = np.zeros(n, dtype=np.int64)
    try:
        if isinstance(k, tuple) and len(k) == 2:
            lo, hi = (np.full(n, _whole(v), dtype=np.int64) for v in k)
        else:
            arr = np.asarray(k)
            if arr.ndim == 0:
                lo = hi = np.full(n, _whole(arr.item()), dtype=np.int64)
            elif arr.shape == (n,):
                lo = hi = np.array([_whole(v) for v in arr], dtype=np.int64)
            else:
                raise ValueError(f"has shape {arr.shape}, expected one value or {n}")
    except (TypeError, ValueError) as exc:
        problems.append(_arg("k", str(exc), "give a whole number, a (min, max) pair, or one per startup"))
        return zeros, zeros
    if (lo < 0).any() or (lo > hi).any():
        problems.append(_arg("k", f"needs 0 <= min <= max, got min {lo.min()} and max {hi.min()}",
                             "give a whole number such as 3, or a range such as (2, 3)"))
        return zeros, zeros
    return lo, hi


def _capacity(capacity: Any, mentor_ids: np.ndarray, problems: list[InputProblem]) -> np.ndarray:
    m = len(mentor_ids)
    try:
        if isinstance(capacity, pd.Series):
            missing = pd.Index(mentor_ids).difference(capacity.index)
            if len(missing):
                raise ValueError(f"has no value for mentor(s) {list(missing[:5])}")
            capacity = capacity.reindex(pd.Index(mentor_ids)).to_numpy()
        arr = np.asarray(capacity)
        if arr.ndim == 0:
            cap = np.full(m, _whole(arr.item()), dtype=np.int64)
        elif arr.shape == (m,):
            cap = np.array([_whole(v) for v in arr], dtype=np.int64)
        else:
            raise ValueError(f"has shape {arr.shape}, expected one value or {m} (one per mentor)")
    except (TypeError, ValueError) as exc:
        problems.append(_arg("capacity", str(exc), "give a whole number of startups per mentor"))
        return np.zeros(m, dtype=np.int64)
    if (cap < 0).any():
        j = int(np.argmax(cap < 0))
        problems.append(_arg("capacity", f"is negative for mentor {mentor_ids[j]!r}",
                             "use 0 for a mentor who takes no startup"))
    return cap


def _whole(value: Any) -> int:
    """A whole number from an int-like value; refuses 2.5 and 'three'."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a whole number") from None
    if not as_float.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(as_float)


def _pair_mask(name: str, pairs: Any, startup_ids: np.ndarray, mentor_ids: np.ndarray,
               problems: list[InputProblem]) -> np.ndarray:
    shape = (len(startup_ids), len(mentor_ids))
    mask = np.zeros(shape, dtype=bool)
    if pairs is None:
        return mask
    if isinstance(pairs, pd.DataFrame):
        if pairs.shape == shape and all(pd.api.types.is_bool_dtype(d) for d in pairs.dtypes):
            return pairs.to_numpy(dtype=bool)
        pairs = pairs.itertuples(index=False, name=None)
    elif isinstance(pairs, np.ndarray) and pairs.dtype == bool:
        if pairs.shape != shape:
            problems.append(_arg(name, f"mask has shape {pairs.shape}, scores have {shape}",
                                 "give a boolean mask of the scores' shape, or (startup, mentor) pairs"))
            return mask
        return pairs.copy()
    row_of = {v: i for i, v in enumerate(startup_ids)}
    col_of = {v: j for j, v in enumerate(mentor_ids)}
    for pair in pairs:
        try:
            s, m = pair
        except (TypeError, ValueError):
            problems.append(_arg(name, f"entry {pair!r} is not a (startup_id, mentor_id) pair"))
            continue
        i, j = row_of.get(s), col_of.get(m)
        if i is None or j is None:
            unknown = f"startup {s!r}" if i is None else f"mentor {m!r}"
            problems.append(_arg(name, f"pair ({s!r}, {m!r}) names unknown {unknown}",
                                 "use ids that appear in the scores' index and columns"))
            continue
        mask[i, j] = True
    return mask
