"""The team objective's and the linking rules' arguments of :func:`matcher.assign`, checked once.

:func:`make_team` turns ``needs``, ``offers`` and ``mentor_groups`` into a
:class:`~matcher.solve.problem.Team`; :func:`make_links` turns ``tandems``, ``apart`` and
``circles`` (ids or positions) into :class:`~matcher.solve.problem.Links`. Both are called by
:func:`~matcher.solve.arguments.make_problem` only, and report every refused value at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.values import real_number
from matcher.data.vocabulary import DEFAULT_TEAM_WEIGHTS
from matcher.errors import InputProblem
from matcher.solve.objective_arguments import arg_problem
from matcher.solve.problem import Links, Team

__all__ = ["make_team", "make_links", "team_of"]


def _ids_of(ids: np.ndarray, wanted: list) -> np.ndarray:
    index = pd.Index(ids)
    found = index.get_indexer(wanted)
    if (found < 0).any() and all(isinstance(w, int | np.integer) for w in wanted):
        return np.asarray(wanted, dtype=np.int64)  # positions
    return found


def _table(name: str, value: Any, ids: np.ndarray, problems: list[InputProblem]
           ) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """A (rows, areas) table from a DataFrame indexed by id, or an array in the ids' order."""
    if isinstance(value, pd.DataFrame):
        missing = pd.Index(ids).difference(value.index)
        if len(missing):
            problems.append(arg_problem(name, f"has no row for {list(missing[:5])}",
                                        "give one row per id, indexed by id"))
            return None
        return value.reindex(pd.Index(ids)).to_numpy(), tuple(str(c) for c in value.columns)
    arr = np.asarray(value)
    if arr.ndim != 2 or arr.shape[0] != len(ids):
        problems.append(arg_problem(name, f"has shape {arr.shape}, not ({len(ids)}, n_areas)",
                                    "give a DataFrame indexed by id with one column per area"))
        return None
    return arr, tuple(f"area {a}" for a in range(arr.shape[1]))


def team_of(objective: str, needs: Any, offers: Any, mentor_groups: Any, coverage: Any,
            diversity: Any, startup_ids: np.ndarray, mentor_ids: np.ndarray,
            problems: list[InputProblem]) -> Team | None:
    """The :class:`Team` under ``objective="team"`` (which needs ``needs`` and ``offers``), else None.

    >>> found = []
    >>> team_of("total", None, None, None, None, None, np.arange(1), np.arange(1), found), found
    (None, [])
    """
    if objective != "team" and needs is None and offers is None:
        return None
    if objective != "team" or needs is None or offers is None:
        problems.append(arg_problem("objective", "the team objective takes needs and offers together",
                                    "pass objective='team' with needs and offers"))
        return None
    return make_team(needs, offers, mentor_groups, coverage, diversity, startup_ids, mentor_ids,
                     problems)


def make_team(needs: Any, offers: Any, mentor_groups: Any, coverage: Any, diversity: Any,
              startup_ids: np.ndarray, mentor_ids: np.ndarray, problems: list[InputProblem]
              ) -> Team | None:
    """The :class:`Team` of the team objective, or None after recording what was refused.

    Examples
    --------
    >>> needs = pd.DataFrame({"technology": [1.0, 0.0], "fundraising": [0.0, 1.0]}, index=["s1", "s2"])
    >>> offers = pd.DataFrame({"technology": [True, False], "fundraising": [False, True]},
    ...                       index=["a", "b"])
    >>> team = make_team(needs, offers, {"kind": ["engineer", "investor"]}, None, None,
    ...                  np.array(["s1", "s2"]), np.array(["a", "b"]), [])
    >>> team.areas, team.labels.tolist(), team.coverage
    (('technology', 'fundraising'), [[0, 1]], 0.5)
    """
    found = len(problems)
    need_table = _table("needs", needs, startup_ids, problems)
    offer_table = _table("offers", offers, mentor_ids, problems)
    if need_table is None or offer_table is None:
        return None
    (need_values, areas), (offer_values, _) = need_table, offer_table
    if isinstance(offers, pd.DataFrame) and isinstance(needs, pd.DataFrame):
        offer_values = offers.reindex(index=pd.Index(mentor_ids), columns=list(areas),
                                      fill_value=False).to_numpy()
    elif offer_values.shape[1] != need_values.shape[1]:
        problems.append(arg_problem("offers", f"has {offer_values.shape[1]} areas, needs has "
                                    f"{need_values.shape[1]}", "give the same areas to both"))
        return None
    try:
        need_values = np.asarray(need_values, dtype=np.float64)
        if not np.isfinite(need_values).all() or (need_values < 0).any():
            raise ValueError("has a weight that is negative or not a finite number")
    except (TypeError, ValueError) as exc:
        problems.append(arg_problem("needs", str(exc), "give weights of 0 or more"))
    labels, families = _labels(mentor_groups, mentor_ids, problems)
    weights = {}
    for name, value in (("coverage", coverage), ("diversity", diversity)):
        try:
            weights[name] = real_number(DEFAULT_TEAM_WEIGHTS[name] if value is None else value)
        except ValueError as exc:
            problems.append(arg_problem(f"{name}_weight", str(exc), "give a weight of 0 or more"))
    if len(problems) > found:
        return None
    return Team(need_values, np.asarray(offer_values, dtype=bool), areas, labels, families,
                weights["coverage"], weights["diversity"])


def _labels(groups: Any, mentor_ids: np.ndarray, problems: list[InputProblem]
            ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each family's labels as codes (-1: none), from a mapping family -> one label per mentor."""
    n_m = len(mentor_ids)
    if groups is None:
        return np.zeros((0, n_m), dtype=np.int64), ()
    if not isinstance(groups, Mapping):
        problems.append(arg_problem("mentor_groups", f"{type(groups).__name__} is not a mapping",
                                    "give e.g. {'kind': one label per mentor}"))
        return np.zeros((0, n_m), dtype=np.int64), ()
    rows, names = [], []
    for family, values in groups.items():
        if isinstance(values, pd.Series):
            values = values.reindex(pd.Index(mentor_ids))
        values = list(values)
        if len(values) != n_m:
            problems.append(arg_problem(f"mentor_groups[{family}]", f"has {len(values)} labels, "
                                        f"not {n_m}", "give one label per mentor ('' for none)"))
            continue
        codes, _ = pd.factorize(pd.Series(values).replace("", None), use_na_sentinel=True)
        rows.append(codes.astype(np.int64))
        names.append(str(family))
    labels = np.stack(rows) if rows else np.zeros((0, n_m), dtype=np.int64)
    return labels, tuple(names)


def make_links(tandems: Any, apart: Any, circles: Any, startup_ids: np.ndarray,
               mentor_ids: np.ndarray, problems: list[InputProblem]) -> Links | None:
    """The :class:`Links` from mentor pairs and startup groups (ids or positions); None if none.

    >>> links = make_links([("a", "b")], None, [("s1", "s2")], np.array(["s1", "s2"]),
    ...                    np.array(["a", "b", "c"]), [])
    >>> links.tandems.tolist(), links.apart.shape, [c.tolist() for c in links.circles]
    ([[0, 1]], (0, 2), [[0, 1]])
    """
    if tandems is None and apart is None and circles is None:
        return None
    pairs = {}
    for name, value in (("tandems", tandems), ("apart", apart)):
        out = np.zeros((0, 2), dtype=np.int64)
        entries = [tuple(v) for v in (value or ())]
        if any(len(e) != 2 for e in entries):
            problems.append(arg_problem(name, "has an entry that is not a pair of mentors",
                                        "give pairs such as [('m-a', 'm-b')]"))
        elif entries:
            flat = _ids_of(mentor_ids, [m for e in entries for m in e])
            if (flat < 0).any() or (flat >= len(mentor_ids)).any():
                problems.append(arg_problem(name, "names an unknown mentor",
                                            "use ids that appear in the scores' columns"))
            else:
                out = flat.reshape(-1, 2)
        pairs[name] = out
    groups = []
    for circle in circles or ():
        members = _ids_of(startup_ids, list(circle))
        if (members < 0).any() or (members >= len(startup_ids)).any():
            problems.append(arg_problem("circles", f"{list(circle)!r} names an unknown startup",
                                        "use ids that appear in the scores' index"))
            continue
        groups.append(members)
    return Links(pairs["tandems"], pairs["apart"], tuple(groups))
