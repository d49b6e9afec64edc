"""The solver-facing form of an assignment problem, and its validation at the edge.

Every backend takes a :class:`Problem`: the score matrix with ids beside it, and the rules as
arrays indexed by position. :func:`make_problem` turns what a user passes to
:func:`matcher.assign` (arrays, DataFrames, Series, id pairs) into one, or raises an
:class:`~matcher.errors.InputError` that names the argument and how to fix it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.errors import InputError, InputProblem

__all__ = ["Problem", "Quota", "make_problem", "make_quotas", "OBJECTIVES", "HISTORY_MODES"]

#: Objectives :func:`matcher.assign` accepts.
OBJECTIVES = ("total", "fair", "blend")

#: What to do with pairs made in earlier cohorts.
HISTORY_MODES = ("ignore", "forbid", "prefer")


@dataclass(frozen=True, eq=False)
class Quota:
    """How many mentors of one group each startup takes.

    Attributes
    ----------
    name : str
        The rule's name, used in diagnoses (``"academic"``, ``"coverage"``).
    members : bool array of shape (n_mentors,) or (n_startups, n_mentors)
        The group's mentors; a 2-D mask gives each startup its own group (domain coverage).
    min, max : int arrays of shape (n_startups,)
        Each startup takes between ``min[i]`` and ``max[i]`` mentors of the group.
    """

    name: str
    members: np.ndarray
    min: np.ndarray
    max: np.ndarray

    @property
    def per_startup(self) -> bool:
        """True when the group differs between startups (a 2-D mask)."""
        return self.members.ndim == 2

    def mask(self, n_startups: int) -> np.ndarray:
        """The group as a bool array of shape (n_startups, n_mentors) (a broadcast view)."""
        if self.per_startup:
            return self.members
        return np.broadcast_to(self.members, (n_startups, len(self.members)))


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
    quotas : tuple of Quota
        Mentors per startup from each group (kinds of mentor, domain coverage).
    min_load : int array of shape (n_mentors,) or None
        Startups each mentor should take at least (use every volunteer).
    min_load_penalty : float or None
        None makes ``min_load`` hard; a number makes it soft, costing that much score per missing
        place.
    balance : float
        Weight of the load-balancing penalty ``balance * sum_j load_j (load_j + 1) / 2`` (0: off).
    objective : {"total", "fair", "blend"}
        What to maximise: the total score; the worst-served startup's total, then the total; or
        ``(1 - fairness) * mean startup total + fairness * worst startup total``.
    fairness : float
        The blend weight (1.0 for ``fair``, 0.0 for ``total``).
    repeats : bool array of shape (n_startups, n_mentors) or None
        Pairs made in earlier cohorts that the history rule forbids (already in ``forbidden``);
        kept apart so that a diagnosis can say why a pair is not allowed.
    """

    scores: np.ndarray
    startup_ids: np.ndarray
    mentor_ids: np.ndarray
    k_min: np.ndarray
    k_max: np.ndarray
    capacity: np.ndarray
    forbidden: np.ndarray
    pinned: np.ndarray
    quotas: tuple[Quota, ...] = ()
    min_load: np.ndarray | None = None
    min_load_penalty: float | None = None
    balance: float = 0.0
    objective: str = "total"
    fairness: float = 0.0
    repeats: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.scores.shape

    def side_rules(self) -> tuple[str, ...]:
        """Names of the rules set beyond k, capacity, forbidden and pinned pairs.

        Backends that express only those (deferred acceptance, the pruned flow) refuse the others by
        name, so a rule added to :class:`Problem` later is never silently ignored.

        >>> make_problem(np.ones((2, 2)), k=1).side_rules()
        ()
        >>> make_problem(np.ones((2, 2)), k=1, objective="fair").side_rules()
        ('objective', 'fairness')
        """
        return tuple(f.name for f in dataclasses.fields(self)
                     if f.name not in BASE_FIELDS and not _at_default(f, getattr(self, f.name)))

    @property
    def allowed(self) -> np.ndarray:
        """Pairs that may be made: not forbidden, and the mentor has some capacity."""
        return ~self.forbidden & (self.capacity > 0)[None, :]

    @property
    def flow_groups(self) -> np.ndarray | None:
        """Group label of each mentor (-1: none) when the quotas are disjoint mentor groups.

        None when some quota is per-startup or two groups share a mentor (not a network flow).
        """
        labels = np.full(self.shape[1], -1, dtype=np.int64)
        for g, quota in enumerate(self.quotas):
            if quota.per_startup or (labels[quota.members] >= 0).any():
                return None
            labels[quota.members] = g
        return labels

    def quota_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Arrays of shape (n_startups, n_quotas): each quota's min and max per startup."""
        n_s = self.shape[0]
        if not self.quotas:
            return np.zeros((n_s, 0), dtype=np.int64), np.zeros((n_s, 0), dtype=np.int64)
        lo = np.stack([q.min for q in self.quotas], axis=1)
        hi = np.stack([q.max for q in self.quotas], axis=1)
        return lo, hi

    def startup_label(self, i: int) -> str:
        return str(self.startup_ids[i])

    def mentor_label(self, j: int) -> str:
        return str(self.mentor_ids[j])


#: The fields every backend understands: the score matrix, ids, k, capacities, forbidden and pinned.
BASE_FIELDS = {"scores", "startup_ids", "mentor_ids", "k_min", "k_max", "capacity", "forbidden", "pinned"}


def _at_default(f: dataclasses.Field, value: Any) -> bool:
    """True when a Problem field holds no rule: its default, or an empty / all-False value."""
    for default in (f.default, f.default_factory):
        if default is dataclasses.MISSING:
            continue
        try:
            if bool(value == (default() if callable(default) else default)):
                return True
        except (TypeError, ValueError):
            pass
    if value is None:
        return True
    if isinstance(value, np.ndarray):
        return value.size == 0 or not value.any()
    try:
        return len(value) == 0
    except TypeError:
        return False


def make_problem(
    scores: Any,
    *,
    k: int | tuple[int, int] | Iterable[int] = 3,
    capacity: int | Iterable[int] | pd.Series = 1,
    forbidden: Any = None,
    pinned: Any = None,
    quotas: Any = None,
    covers: Any = None,
    min_load: Any = None,
    min_load_soft: bool = True,
    balance: float = 0.0,
    objective: str = "total",
    fairness: float | None = None,
    past: Any = None,
    history: str = "ignore",
    continuity_bonus: float = 0.1,
) -> Problem:
    """Validate the arguments of :func:`matcher.assign` and build a :class:`Problem`.

    ``scores`` may be an array, a DataFrame (index = startup ids, columns = mentor ids) or a
    :class:`matcher.scoring.affinity.Scores` (whose forbidden pairs are added to ``forbidden``). The rule
    arguments are described in :func:`matcher.assign`.

    Examples
    --------
    >>> p = make_problem(np.ones((2, 3)), k=2, capacity=2,
    ...                  quotas=[{"name": "academic", "mentors": [0, 1], "min": 1}])
    >>> p.quotas[0].min.tolist(), p.quotas[0].max.tolist(), p.flow_groups.tolist()
    ([1, 1], [2, 2], [0, 0, -1])
    """
    problems: list[InputProblem] = []
    extra_forbidden = None
    if (
        hasattr(scores, "values")
        and hasattr(scores, "startup_ids")
        and hasattr(scores, "mentor_ids")
    ):
        values = np.asarray(scores.values, dtype=np.float64)
        startup_ids = np.asarray(scores.startup_ids, dtype=object)
        mentor_ids = np.asarray(scores.mentor_ids, dtype=object)
        extra_forbidden = getattr(scores, "forbidden", None)
    elif isinstance(scores, pd.DataFrame):
        try:
            values = scores.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                [
                    _arg(
                        "scores",
                        f"has a column that is not numeric ({exc})",
                        "give numbers only; ids go in the index and column names",
                    )
                ]
            ) from None
        startup_ids = np.asarray(scores.index, dtype=object)
        mentor_ids = np.asarray(scores.columns, dtype=object)
    else:
        try:
            values = np.asarray(scores, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                [
                    _arg(
                        "scores",
                        f"cannot be read as numbers ({exc})",
                        "pass a 2-D array or DataFrame of floats",
                    )
                ]
            ) from None
        if values.ndim == 2:
            startup_ids = np.arange(values.shape[0])
            mentor_ids = np.arange(values.shape[1])
    if values.ndim != 2:
        raise InputError(
            [
                _arg(
                    "scores",
                    f"has {values.ndim} dimension(s)",
                    "pass a matrix of shape (n_startups, n_mentors)",
                )
            ]
        )
    n_startups, n_mentors = values.shape
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        problems.append(
            _arg(
                "scores",
                f"has {int(bad.sum())} missing or infinite value(s), first at startup "
                f"{startup_ids[i]!r}, mentor {mentor_ids[j]!r}",
                "fill every pair with a number; forbid a pair with `forbidden` instead of NaN",
            )
        )
    for name, ids in (
        ("scores index (startup ids)", startup_ids),
        ("scores columns (mentor ids)", mentor_ids),
    ):
        dup = pd.Index(ids)[pd.Index(ids).duplicated()]
        if len(dup):
            problems.append(_arg(name, f"repeats id(s) {list(dup[:5])}", "make every id unique"))

    k_min, k_max = _k_bounds(k, n_startups, problems)
    cap = _capacity(capacity, mentor_ids, problems)
    forbid = _pair_mask("forbidden", forbidden, startup_ids, mentor_ids, problems)
    pin = _pair_mask("pinned", pinned, startup_ids, mentor_ids, problems)
    if extra_forbidden is not None:
        forbid = forbid | np.asarray(extra_forbidden, dtype=bool)
    quota_list = make_quotas(quotas, startup_ids, mentor_ids, k_max, problems)
    if covers is not None:
        mask = _pair_mask("covers", covers, startup_ids, mentor_ids, problems)
        quota_list.append(Quota("coverage", mask, np.minimum(1, k_max), k_max.copy()))
    loads, penalty = None, None
    if min_load is not None:
        loads = np.minimum(_capacity(min_load, mentor_ids, problems, name="min_load"), cap)
        if min_load_soft:
            peak = float(np.abs(values).max()) if values.size and np.isfinite(values).all() else 1.0
            penalty = max(2.0 * peak, 1.0)
    balance = _number("balance", balance, problems)
    if objective not in OBJECTIVES:
        problems.append(
            _arg("objective", f"is {objective!r}", f"choose one of {', '.join(OBJECTIVES)}")
        )
    weight = {"total": 0.0, "fair": 1.0}.get(objective, 0.5 if fairness is None else fairness)
    weight = _number("fairness", weight, problems)
    if not 0.0 <= weight <= 1.0:
        problems.append(_arg("fairness", f"is {weight}", "give a blend weight between 0 and 1"))
    repeats = None
    if history not in HISTORY_MODES:
        problems.append(
            _arg("history", f"is {history!r}", f"choose one of {', '.join(HISTORY_MODES)}")
        )
    elif past is not None and history != "ignore":
        before = _pair_mask("past", past, startup_ids, mentor_ids, problems)
        if history == "forbid":
            # A pair made in an earlier cohort may not be made again.
            repeats = before
            forbid = forbid | before
        elif before.shape == values.shape:
            # Continuity: a pair made before is worth a little more.
            values = values + _number("continuity_bonus", continuity_bonus, problems) * before
    if problems:
        raise InputError(problems)
    return Problem(
        values,
        startup_ids,
        mentor_ids,
        k_min,
        k_max,
        cap,
        forbid,
        pin,
        quotas=tuple(quota_list),
        min_load=loads,
        min_load_penalty=penalty,
        balance=balance,
        objective=objective,
        fairness=weight,
        repeats=repeats,
    )


def make_quotas(
    quotas: Any,
    startup_ids: np.ndarray,
    mentor_ids: np.ndarray,
    k_max: np.ndarray,
    problems: list[InputProblem] | None = None,
) -> list[Quota]:
    """Quotas from their plain form: a list of mappings, or a mapping of name to mapping.

    Each mapping has ``mentors`` (mentor ids, or a bool mask of shape (n_mentors,) or
    (n_startups, n_mentors)), and optional ``min`` (default 0), ``max`` (default k) and ``name``;
    ``min`` and ``max`` are whole numbers or one per startup.

    Examples
    --------
    >>> ids = np.array(["a", "b", "c"], dtype=object)
    >>> [q.name for q in make_quotas({"investor": {"mentors": ["c"], "max": 1}},
    ...                              np.arange(2), ids, np.array([3, 3]))]
    ['investor']
    """
    own = problems if problems is not None else []
    out: list[Quota] = []
    if quotas is None:
        return out
    if isinstance(quotas, dict):
        items = [{"name": name, **dict(spec)} for name, spec in quotas.items()]
    else:
        items = [dict(spec) for spec in quotas]
    col_of = {v: j for j, v in enumerate(mentor_ids)}
    n_s, n_m = len(startup_ids), len(mentor_ids)
    for pos, spec in enumerate(items):
        name = str(spec.get("name", f"quota {pos + 1}"))
        label = f"quotas[{name}]"
        unknown = set(spec) - {"name", "mentors", "min", "max"}
        if unknown:
            own.append(
                _arg(label, f"has unknown key(s) {sorted(unknown)}", "use mentors, min and max")
            )
            continue
        members = spec.get("mentors")
        arr = np.asarray(members) if members is not None else np.zeros(0)
        if arr.dtype == bool and arr.shape in ((n_m,), (n_s, n_m)):
            mask = arr.copy()
        elif members is not None and arr.ndim == 1:
            missing = [m for m in arr.tolist() if m not in col_of]
            if missing:
                own.append(
                    _arg(
                        label,
                        f"names unknown mentor(s) {missing[:5]}",
                        "use ids that appear in the scores' columns",
                    )
                )
                continue
            mask = np.zeros(n_m, dtype=bool)
            mask[[col_of[m] for m in arr.tolist()]] = True
        else:
            own.append(
                _arg(
                    label,
                    "has no usable 'mentors'",
                    f"give mentor ids or a bool mask of shape ({n_m},) or ({n_s}, {n_m})",
                )
            )
            continue
        bounds = []
        for key, default in (("min", np.zeros(n_s, dtype=np.int64)), ("max", k_max)):
            value = spec.get(key)
            if value is None:
                bounds.append(np.array(default, dtype=np.int64))
                continue
            try:
                arr = np.asarray(value)
                if arr.ndim == 0:
                    bounds.append(np.full(n_s, _whole(arr.item()), dtype=np.int64))
                elif arr.shape == (n_s,):
                    bounds.append(np.array([_whole(v) for v in arr], dtype=np.int64))
                else:
                    raise ValueError(f"has shape {arr.shape}, expected one value or {n_s}")
            except (TypeError, ValueError) as exc:
                own.append(_arg(f"{label}.{key}", str(exc), "give a whole number of mentors"))
                bounds.append(np.array(default, dtype=np.int64))
        lo, hi = bounds
        # a minimum above k is the rules' conflict (diagnosed later), not a malformed argument
        if (lo < 0).any() or ("max" in spec and (lo > hi).any()):
            own.append(
                _arg(
                    label,
                    f"needs 0 <= min <= max, got min {lo.max()} and max {hi.min()}",
                    "give for example min 1, or max 1",
                )
            )
            continue
        out.append(Quota(name, mask, lo, np.minimum(hi, k_max)))
    if problems is None and own:
        raise InputError(own)
    return out


def _number(name: str, value: Any, problems: list[InputProblem]) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        problems.append(_arg(name, f"{value!r} is not a number"))
        return 0.0
    if not np.isfinite(out) or out < 0:
        problems.append(_arg(name, f"is {value!r}", "give a finite number, 0 or more"))
        return 0.0
    return out


def _arg(name: str, message: str, hint: str = "") -> InputProblem:
    return InputProblem(
        source=f"argument '{name}'", row=None, field=None, message=message, hint=hint
    )


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
        problems.append(
            _arg("k", str(exc), "give a whole number, a (min, max) pair, or one per startup")
        )
        return zeros, zeros
    if (lo < 0).any() or (lo > hi).any():
        problems.append(
            _arg(
                "k",
                f"needs 0 <= min <= max, got min {lo.min()} and max {hi.min()}",
                "give a whole number such as 3, or a range such as (2, 3)",
            )
        )
        return zeros, zeros
    return lo, hi


def _capacity(
    capacity: Any, mentor_ids: np.ndarray, problems: list[InputProblem], name: str = "capacity"
) -> np.ndarray:
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
        problems.append(_arg(name, str(exc), "give a whole number of startups per mentor"))
        return np.zeros(m, dtype=np.int64)
    if (cap < 0).any():
        j = int(np.argmax(cap < 0))
        problems.append(
            _arg(
                name,
                f"is negative for mentor {mentor_ids[j]!r}",
                "use 0 for a mentor who takes no startup",
            )
        )
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


def _pair_mask(
    name: str,
    pairs: Any,
    startup_ids: np.ndarray,
    mentor_ids: np.ndarray,
    problems: list[InputProblem],
) -> np.ndarray:
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
            problems.append(
                _arg(
                    name,
                    f"mask has shape {pairs.shape}, scores have {shape}",
                    "give a boolean mask of the scores' shape, or (startup, mentor) pairs",
                )
            )
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
            problems.append(
                _arg(
                    name,
                    f"pair ({s!r}, {m!r}) names unknown {unknown}",
                    "use ids that appear in the scores' index and columns",
                )
            )
            continue
        mask[i, j] = True
    return mask
