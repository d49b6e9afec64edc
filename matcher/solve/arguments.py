"""The edge of the matrix API: the keywords of :func:`matcher.assign` checked and made arrays.

:func:`make_problem` is the one constructor of a :class:`~matcher.solve.problem.Problem`. It
accepts what a person passes (arrays, DataFrames, Series, id pairs, :class:`~matcher.scoring.affinity.Scores`,
:class:`~matcher.solve.VectorScores`), reports every malformed argument at once as an
:class:`~matcher.errors.InputError` naming the argument and the fix, and reads every number
through :mod:`matcher.data.values`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from matcher.data.values import MAX_SCORE, real_number, whole_numbers
from matcher.data.vocabulary import DEFAULT_HISTORY, HISTORY_MODES, MISSING_SCORES
from matcher.errors import InputError, InputProblem
from matcher.scoring.sources import VectorScores
from matcher.solve.objective_arguments import arg_problem as _arg
from matcher.solve.objective_arguments import objective_arguments
from matcher.solve.problem import Problem, Quota
from matcher.solve.soft import price_rules
from matcher.solve.team_arguments import make_links, team_of

__all__ = ["make_problem", "make_quotas", "pair_positions", "DEFAULT_HISTORY"]

Pairs = tuple[np.ndarray, np.ndarray]


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
    max_probability: float | None = None,
    needs: Any = None,
    offers: Any = None,
    mentor_groups: Any = None,
    coverage_weight: Any = None,
    diversity_weight: Any = None,
    tandems: Any = None,
    apart: Any = None,
    circles: Any = None,
    soft: Any = None,
    past: Any = None,
    history: str = DEFAULT_HISTORY,
    continuity_bonus: float = 0.1,
    missing: str = "error",
) -> Problem:
    """Validate the arguments of :func:`matcher.assign` and build a :class:`~matcher.solve.problem.Problem`.

    ``scores`` may be an array, a DataFrame (index = startup ids, columns = mentor ids), a
    :class:`matcher.scoring.affinity.Scores` (whose forbidden pairs come with it) or a
    :class:`~matcher.scoring.sources.VectorScores`. Missing scores (NaN) are refused unless
    ``missing="forbid"`` says they mark forbidden pairs, as
    :meth:`~matcher.scoring.affinity.Scores.to_frame` writes them.
    The rule arguments are described in :func:`matcher.assign`.

    Examples
    --------
    >>> p = make_problem(np.ones((2, 3)), k=2, capacity=2,
    ...                  quotas=[{"name": "academic", "mentors": [0, 1], "min": 1}])
    >>> p.quotas[0].min.tolist(), p.quotas[0].max.tolist(), p.flow_groups.tolist()
    ([1, 1], [2, 2], [0, 0, -1])
    >>> make_problem(np.array([[0.5, np.nan]]), k=1, missing="forbid").forbidden.tolist()
    [[False, True]]
    """
    problems: list[InputProblem] = []
    if missing not in MISSING_SCORES:
        raise InputError([_arg("missing", f"is {missing!r}", f"choose one of {', '.join(MISSING_SCORES)}")])
    plain = not (quotas or covers is not None or min_load is not None or balance
                 or tandems is not None or apart is not None or circles is not None
                 or objective != "total" or (past is not None and history != "ignore"))
    if isinstance(scores, VectorScores):
        if plain:
            return _vector_problem(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned)
        # side rules need the matrix; the vectors are scored once, here
        scores = pd.DataFrame(scores.dense(), index=scores.startup_ids, columns=scores.mentor_ids)
    values, startup_ids, mentor_ids, forbid = _score_matrix(scores, missing, problems)
    n_startups, _ = values.shape
    k_min, k_max = _k_bounds(k, n_startups, problems)
    cap = per_mentor("capacity", capacity, mentor_ids, problems)
    if forbidden is not None:
        forbid |= _pair_mask("forbidden", forbidden, startup_ids, mentor_ids, problems)
    pin = _pair_mask("pinned", pinned, startup_ids, mentor_ids, problems)
    quota_list = make_quotas(quotas, startup_ids, mentor_ids, k_max, problems)
    if covers is not None:
        mask = _pair_mask("covers", covers, startup_ids, mentor_ids, problems)
        quota_list.append(Quota("coverage", mask, np.minimum(1, k_max), k_max.copy()))
    loads, penalty = None, None
    if min_load is not None:
        loads = np.minimum(per_mentor("min_load", min_load, mentor_ids, problems), cap)
        if min_load_soft:
            allowed = values[~forbid]
            penalty = max(2.0 * float(np.abs(allowed).max(initial=0.0)), 1.0)
    balance = _real("balance", balance, problems)
    weight, top = objective_arguments(objective, fairness, max_probability, problems)
    team = team_of(objective, needs, offers, mentor_groups, coverage_weight, diversity_weight,
                   startup_ids, mentor_ids, problems)
    links = make_links(tandems, apart, circles, startup_ids, mentor_ids, problems)
    quota_list, penalty = price_rules(soft, quota_list, penalty, min_load is not None, problems)
    values, forbid, repeats = _history(values, forbid, past, history, continuity_bonus,
                                       startup_ids, mentor_ids, problems)
    if problems:
        raise InputError(problems)
    return Problem(values, startup_ids, mentor_ids, k_min, k_max, cap, forbid, pin,
                   quotas=tuple(quota_list), min_load=loads, min_load_penalty=penalty,
                   balance=balance, objective=objective, fairness=weight, max_probability=top,
                   repeats=repeats, team=team, links=links)


def _score_matrix(scores: Any, missing: str, problems: list[InputProblem]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The score values, the ids beside them and the pairs the scores themselves forbid."""
    carried = None
    if all(hasattr(scores, name) for name in ("values", "startup_ids", "mentor_ids", "forbidden")):
        values = np.asarray(scores.values, dtype=np.float64)
        startup_ids = np.asarray(scores.startup_ids, dtype=object)
        mentor_ids = np.asarray(scores.mentor_ids, dtype=object)
        carried = np.asarray(scores.forbidden, dtype=bool)
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
        startup_ids = np.arange(values.shape[0]) if values.ndim == 2 else np.zeros(0)
        mentor_ids = np.arange(values.shape[1]) if values.ndim == 2 else np.zeros(0)
    if values.ndim != 2:
        raise InputError([_arg("scores", f"has {values.ndim} dimension(s)",
                               "pass a matrix of shape (n_startups, n_mentors)")])
    forbid = np.zeros(values.shape, dtype=bool) if carried is None else carried.copy()
    # two passes without a temporary when every score is in range (NaN fails both comparisons)
    if values.size and not (values.max() <= MAX_SCORE and values.min() >= -MAX_SCORE):
        if missing == "forbid":
            nan = np.isnan(values)
            forbid |= nan
            values = np.where(nan, 0.0, values)
        _check_finite(values, startup_ids, mentor_ids, problems)
    for name, ids in (("scores index (startup ids)", startup_ids),
                      ("scores columns (mentor ids)", mentor_ids)):
        index = pd.Index(ids)
        dup = index[index.duplicated()]
        if len(dup):
            problems.append(_arg(name, f"repeats id(s) {list(dup[:5])}", "make every id unique"))
    return values, startup_ids, mentor_ids, forbid


def _check_finite(values: np.ndarray, startup_ids: np.ndarray, mentor_ids: np.ndarray,
                  problems: list[InputProblem]) -> None:
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (np.abs(values) > MAX_SCORE)
    if not bad.any():
        return
    i, j = np.argwhere(bad)[0]
    problems.append(_arg(
        "scores", f"has {int(bad.sum())} value(s) missing, infinite or larger than {MAX_SCORE:g} in "
        f"size, first at startup {startup_ids[i]!r}, mentor {mentor_ids[j]!r}",
        "fill every pair with a number, or pass missing='forbid' if a missing score marks a "
        "forbidden pair (as Scores.to_frame writes them)"))


def _vector_problem(scores: VectorScores, *, k: Any, capacity: Any, forbidden: Any,
                    pinned: Any) -> Problem:
    """A Problem over vector scores: pairs stay sparse, the matrix is never held."""
    problems: list[InputProblem] = []
    n_s, n_m = scores.shape
    for side, vectors in (("startup", scores.startup_vectors), ("mentor", scores.mentor_vectors)):
        if not np.isfinite(np.asarray(vectors, dtype=np.float64)).all():
            problems.append(_arg("scores", f"has {side} vectors with missing or infinite values",
                                 "give finite numbers in every profile vector"))
    k_min, k_max = _k_bounds(k, n_s, problems)
    cap = per_mentor("capacity", capacity, scores.mentor_ids, problems)
    masks = []
    for name, pairs in (("forbidden", forbidden), ("pinned", pinned)):
        rows, cols = pair_positions(name, pairs, scores.startup_ids, scores.mentor_ids, problems)
        masks.append(sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n_s, n_m)))
    if problems:
        raise InputError(problems)
    return Problem(None, np.asarray(scores.startup_ids, dtype=object),
                   np.asarray(scores.mentor_ids, dtype=object), k_min, k_max, cap, *masks,
                   vectors=scores)


def _history(values: np.ndarray, forbid: np.ndarray, past: Any, history: Any, bonus: Any,
             startup_ids: np.ndarray, mentor_ids: np.ndarray, problems: list[InputProblem]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Scores, forbidden pairs and repeats after the history rule."""
    if history not in HISTORY_MODES:
        problems.append(_arg("history", f"is {history!r}", f"choose one of {', '.join(HISTORY_MODES)}"))
        return values, forbid, None
    bonus = _real("continuity_bonus", bonus, problems)
    if past is None or history == "ignore":
        return values, forbid, None
    before = _pair_mask("past", past, startup_ids, mentor_ids, problems)
    if history == "forbid":
        # A pair made in an earlier cohort may not be made again.
        return values, forbid | before, before
    # Continuity: a pair made before is worth a little more.
    return values + bonus * before, forbid, None


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
    if quotas is None:
        return []
    if isinstance(quotas, dict):
        items = [{"name": name, **dict(spec)} for name, spec in quotas.items()]
    else:
        items = [dict(spec) for spec in quotas]
    out = [quota for pos, spec in enumerate(items)
           if (quota := _quota(spec, pos, startup_ids, mentor_ids, k_max, own)) is not None]
    if problems is None and own:
        raise InputError(own)
    return out


def _quota(spec: dict, pos: int, startup_ids: np.ndarray, mentor_ids: np.ndarray,
           k_max: np.ndarray, problems: list[InputProblem]) -> Quota | None:
    name = str(spec.get("name", f"quota {pos + 1}"))
    label = f"quotas[{name}]"
    unknown = set(spec) - {"name", "mentors", "min", "max"}
    if unknown:
        problems.append(_arg(label, f"has unknown key(s) {sorted(unknown)}", "use mentors, min and max"))
        return None
    mask = _members(spec.get("mentors"), label, len(startup_ids), mentor_ids, problems)
    if mask is None:
        return None
    n_s = len(startup_ids)
    lo = _per_startup(f"{label}.min", spec.get("min"), np.zeros(n_s, dtype=np.int64), n_s, problems)
    hi = _per_startup(f"{label}.max", spec.get("max"), k_max, n_s, problems)
    # a minimum above k is the rules' conflict (diagnosed later), not a malformed argument
    if "max" in spec and (lo > hi).any():
        problems.append(_arg(label, f"needs min <= max, got min {lo.max()} and max {hi.min()}",
                             "give for example min 1, or max 1"))
        return None
    return Quota(name, mask, lo, np.minimum(hi, k_max))


def _members(members: Any, label: str, n_s: int, mentor_ids: np.ndarray,
             problems: list[InputProblem]) -> np.ndarray | None:
    n_m = len(mentor_ids)
    arr = np.asarray(members) if members is not None else np.zeros(0)
    if arr.dtype == bool and arr.shape in ((n_m,), (n_s, n_m)):
        return arr.copy()
    if members is not None and arr.ndim == 1:
        cols = positions(mentor_ids, arr.tolist())
        if (cols < 0).any():
            missing = arr[cols < 0].tolist()
            problems.append(_arg(label, f"names unknown mentor(s) {missing[:5]}",
                                 "use ids that appear in the scores' columns"))
            return None
        mask = np.zeros(n_m, dtype=bool)
        mask[cols] = True
        return mask
    problems.append(_arg(label, "has no usable 'mentors'",
                         f"give mentor ids or a bool mask of shape ({n_m},) or ({n_s}, {n_m})"))
    return None


def _per_startup(name: str, value: Any, default: np.ndarray, n: int,
                 problems: list[InputProblem]) -> np.ndarray:
    """One whole number per startup from a number or an array of them."""
    if value is None:
        return np.array(default, dtype=np.int64)
    try:
        return whole_numbers(value, n)
    except ValueError as exc:
        problems.append(_arg(name, str(exc), "give a whole number of mentors, 0 or more"))
        return np.array(default, dtype=np.int64)


def per_mentor(name: str, value: Any, mentor_ids: np.ndarray, problems: list[InputProblem]
               ) -> np.ndarray:
    """One whole number per mentor from a number, an array, or a Series indexed by mentor id.

    >>> per_mentor("capacity", pd.Series({"b": 1, "a": 2}), np.array(["a", "b"]), []).tolist()
    [2, 1]
    """
    try:
        if isinstance(value, pd.Series):
            missing = pd.Index(mentor_ids).difference(value.index)
            if len(missing):
                raise ValueError(f"has no value for mentor(s) {list(missing[:5])}")
            if value.index.duplicated().any():
                raise ValueError(f"repeats mentor(s) {list(value.index[value.index.duplicated()][:5])}")
            value = value.reindex(pd.Index(mentor_ids)).to_numpy()
        return whole_numbers(value, len(mentor_ids))
    except ValueError as exc:
        problems.append(_arg(name, str(exc), "give a whole number of startups per mentor, 0 or more"))
        return np.zeros(len(mentor_ids), dtype=np.int64)


def _k_bounds(k: Any, n: int, problems: list[InputProblem]) -> tuple[np.ndarray, np.ndarray]:
    """Each startup's (k_min, k_max): a tuple is a (min, max) range, anything else exact k."""
    zeros = np.zeros(n, dtype=np.int64)
    hint = "give a whole number such as 3, a (min, max) pair such as (2, 3), or one per startup"
    if k is None:
        problems.append(_arg("k", "is missing", hint))
        return zeros, zeros
    if isinstance(k, tuple) and len(k) == 2:
        found: list[InputProblem] = []
        lo, hi = (_per_startup("k", v, zeros, n, found) for v in k)
    else:
        found = []
        lo = hi = _per_startup("k", k, zeros, n, found)
    if found:
        problems.extend(_arg("k", p.message, hint) for p in found)
        return zeros, zeros
    if (lo > hi).any():
        problems.append(_arg("k", f"needs 0 <= min <= max, got min {lo.max()} and max {hi.min()}", hint))
        return zeros, zeros
    return lo, hi


def _real(name: str, value: Any, problems: list[InputProblem]) -> float:
    try:
        return real_number(value)
    except ValueError as exc:
        problems.append(_arg(name, str(exc), "give a finite number, 0 or more"))
        return 0.0


def _pair_mask(name: str, pairs: Any, startup_ids: np.ndarray, mentor_ids: np.ndarray,
               problems: list[InputProblem]) -> np.ndarray:
    """A bool mask of the scores' shape from id pairs, a DataFrame of pairs or a mask."""
    shape = (len(startup_ids), len(mentor_ids))
    mask = np.zeros(shape, dtype=bool)
    if pairs is None:
        return mask
    if isinstance(pairs, pd.DataFrame) and pairs.shape == shape \
            and all(pd.api.types.is_bool_dtype(d) for d in pairs.dtypes):
        return pairs.to_numpy(dtype=bool)
    rows, cols = pair_positions(name, pairs, startup_ids, mentor_ids, problems)
    mask[rows, cols] = True
    return mask


def pair_positions(name: str, pairs: Any, startup_ids: np.ndarray, mentor_ids: np.ndarray,
                   problems: list[InputProblem]) -> Pairs:
    """(rows, cols) sorted positions of ``pairs``: id pairs, a bool mask or a sparse matrix.

    An id that is not among the scores' is an error, never skipped: a typo in a forbidden pair
    would otherwise let the pair it meant be made.

    Examples
    --------
    >>> pair_positions("pinned", [("b", "x")], np.array(["a", "b"]), np.array(["x"]), [])
    (array([1]), array([0]))
    >>> found = []
    >>> _ = pair_positions("forbidden", [("s-nobody", "x")], np.array(["a"]), np.array(["x"]), found)
    >>> found[0].message
    "pair ('s-nobody', 'x') names unknown startup 's-nobody'"
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
        entries = list(pairs.itertuples(index=False, name=None)) if isinstance(pairs, pd.DataFrame) \
            else list(pairs)
        if not entries:
            return empty, empty
        bad = next((e for e in entries if isinstance(e, str) or not _is_pair(e)), None)
        if bad is not None:
            problems.append(_arg(name, f"entry {bad!r} is not a (startup_id, mentor_id) pair",
                                 "give pairs such as [('s-kindbot', 'm-li-jing')]"))
            return empty, empty
        rows = positions(startup_ids, [e[0] for e in entries])
        cols = positions(mentor_ids, [e[1] for e in entries])
        unknown = (rows < 0) | (cols < 0)
        if unknown.any():
            t = int(np.argmax(unknown))
            s, m = entries[t]
            what = f"startup {s!r}" if rows[t] < 0 else f"mentor {m!r}"
            more = f" ({int(unknown.sum())} such pairs)" if unknown.sum() > 1 else ""
            problems.append(_arg(name, f"pair ({s!r}, {m!r}) names unknown {what}{more}",
                                 "use ids that appear in the scores' index and columns"))
            return empty, empty
    keys = np.unique(np.asarray(rows, np.int64) * shape[1] + np.asarray(cols, np.int64))
    return keys // shape[1], keys % shape[1]


def _is_pair(entry: Any) -> bool:
    try:
        return len(entry) == 2
    except TypeError:
        return False


def positions(ids: np.ndarray, wanted: list) -> np.ndarray:
    """Position of each wanted id among ``ids`` (-1 when absent; the first of repeated ids).

    >>> positions(np.array(["a", "b", "a"], dtype=object), ["a", "z"]).tolist()
    [0, -1]
    """
    index = pd.Index(ids)
    if index.is_unique:
        return index.get_indexer(wanted)
    first = {v: j for j, v in reversed(list(enumerate(ids)))}
    return np.array([first.get(v, -1) for v in wanted], dtype=np.int64)
