"""Tables beside a cohort: score matrices, ratings of past pairs, mentor capacities.

Each reader takes a file (or a DataFrame), checks every cell and reports every problem with the
file, row and field, numbers parsed by :mod:`matcher.data.values`.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from matcher.data.io.files import Source, read_table
from matcher.data.io.rows import Rows
from matcher.data.models import Cohort
from matcher.data.values import MAX_SCORE, score_number, whole_number
from matcher.errors import InputError, InputProblem

__all__ = ["read_scores", "read_ratings", "read_capacity"]

CAPACITY_HINT = "write a whole number of startups, 0 or more, e.g. 2"


#: At most this many problems of a score file are listed (a file of typos lists them all otherwise).
MAX_LISTED = 50


def read_scores(source: Source) -> pd.DataFrame:
    """A score matrix: first column startup ids, header row mentor ids, numbers elsewhere.

    A blank cell is a missing score (NaN): :func:`matcher.assign` refuses it unless told
    ``missing="forbid"``, the convention of :meth:`~matcher.scoring.affinity.Scores.to_frame` for
    forbidden pairs. Ids are slugs, each given once; a score is a finite number of size at most
    :data:`~matcher.data.values.MAX_SCORE`.

    Raises
    ------
    InputError
        Naming the file, row and column of every blank, malformed or repeated id and every cell
        that is not such a number (the first ``MAX_LISTED``).

    Examples
    --------
    >>> frame = pd.DataFrame({"startup": ["s1", "s2"], "m1": ["0.5", ""], "m2": ["1", "2"]})
    >>> read_scores(frame).to_dict()
    {'m1': {'s1': 0.5, 's2': nan}, 'm2': {'s1': 1.0, 's2': 2.0}}
    >>> try:
    ...     read_scores(frame.assign(m2=["1e308", "x"]))
    ... except InputError as err:
    ...     [(p.row, p.field, p.message) for p in err.problems]
    [(2, 'm2', "'1e308' is outside -1e+06 to 1e+06"), (3, 'm2', "'x' is not a number")]
    """
    frame, label = read_table(source, name="scores")
    if frame.shape[1] < 2:
        raise InputError([InputProblem(label, 1, None, "needs a startup id column and one column per mentor",
                                       "first column: startup ids; header: mentor ids")])
    if not len(frame):
        raise InputError([InputProblem(label, None, None, "holds no startups",
                                       "add one row of scores per startup under the header")])
    first = frame.columns[0]
    id_field = first or "startup id"
    rows = Rows(frame.rename(columns={first: id_field}), label, set())
    for mentor in frame.columns[1:]:
        rows.check_id(1, str(mentor), str(mentor))
    startup_ids = []
    for row, record in rows.records():
        startup = rows.text(row, record, id_field)
        if startup:
            rows.check_id(row, id_field, startup)
        startup_ids.append((row, startup))
    seen: dict[str, int] = {}
    for row, startup in startup_ids:
        if startup and startup in seen:
            rows.add(row, id_field, f"startup '{startup}' is listed again (first in row {seen[startup]})",
                     "give every startup one row")
        seen.setdefault(startup, row)
    cells = frame.iloc[:, 1:].astype(str).apply(lambda c: c.str.strip())
    numbers = cells.apply(pd.to_numeric, errors="coerce").astype(float)
    # a blank cell is a missing score (a forbidden pair, as Scores.to_frame writes them)
    blank = cells.isin(["", "nan", "NaN"])
    values = numbers.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (~blank.to_numpy()) & (~np.isfinite(values) | (np.abs(values) > MAX_SCORE))
    numbered = [row for row, _ in startup_ids]
    for r, c in np.argwhere(bad):
        text = cells.iat[r, c]
        try:
            score_number(text)
            message = f"'{text}' is not a score"
        except ValueError as exc:
            message = str(exc)
        rows.add(numbered[r], str(cells.columns[c]), message,
                 f"write a number from {-MAX_SCORE:g} to {MAX_SCORE:g} for every pair, or leave it blank")
    if rows.problems:
        listed = rows.problems[:MAX_LISTED]
        if len(rows.problems) > MAX_LISTED:
            listed.append(InputProblem(label, None, None, f"and {len(rows.problems) - MAX_LISTED} more "
                                       "problems", "fix these and check again"))
        raise InputError(listed)
    numbers = numbers.where(~blank)
    numbers.index = pd.Index([s for _, s in startup_ids], name=first or None)
    return numbers


def read_ratings(source: Source, cohort: Cohort | None = None) -> pd.DataFrame:
    """Ratings of how well pairs worked: columns ``startup_id``, ``mentor_id``, ``rating`` (1–5).

    Other columns (e.g. ``context``) are kept. With ``cohort``, the ids must be the cohort's.
    Every problem is reported with the file, row and field.
    """
    frame, label = read_table(source, name="ratings")
    rows = Rows(frame, label, {"startup_id", "mentor_id", "rating"})
    if not rows.ok:
        raise InputError(rows.problems)
    known = None if cohort is None else ({s.id for s in cohort.startups}, {m.id for m in cohort.mentors})
    values = []
    for row, r in rows.records():
        for field, pool in (("startup_id", known and known[0]), ("mentor_id", known and known[1])):
            value = rows.ident(row, r, field)
            if value and pool is not None and value not in pool:
                near = difflib.get_close_matches(value, sorted(pool), n=1)
                rows.add(row, field, f"names unknown id '{value}'",
                         f"did you mean '{near[0]}'?" if near else "use ids of the cohort")
        try:
            number = float(whole_number(r["rating"], low=1, high=5))
        except ValueError:
            rows.add(row, "rating", f"'{r['rating']}' is not a rating from 1 to 5",
                     "rate each pair 1 (poorly) to 5 (very well)")
            number = float("nan")
        values.append(number)
    if rows.problems:
        raise InputError(rows.problems)
    return frame.assign(rating=np.array(values, dtype=float))


def read_capacity(source: Source) -> pd.Series:
    """Startups each mentor can take at once, from a table with columns ``mentor_id`` and ``capacity``.

    Returns
    -------
    Series of int
        Indexed by mentor id, in the file's order.

    Raises
    ------
    InputError
        Naming the file, row and field of every blank or repeated id and every capacity that is
        not a whole number of 0 or more.

    Examples
    --------
    >>> import pandas as pd
    >>> read_capacity(pd.DataFrame({"mentor_id": ["m1", "m2"], "capacity": ["2", "0"]})).to_dict()
    {'m1': 2, 'm2': 0}
    >>> try:
    ...     read_capacity(pd.DataFrame({"mentor_id": ["m1", "m1"], "capacity": ["2", "-1"]}))
    ... except InputError as err:
    ...     [(p.row, p.field, p.message) for p in err.problems]
    [(3, 'capacity', "'-1' is negative"), (3, 'mentor_id', "duplicate id 'm1' (first used in row 2)")]
    """
    frame, label = read_table(source, name="capacity")
    rows = Rows(frame, label, {"mentor_id", "capacity"})
    if not rows.ok:
        raise InputError(rows.problems)
    ids, capacities, seen = [], [], {}
    for row, r in rows.records():
        mentor = rows.ident(row, r, "mentor_id")
        capacity = rows.whole(row, "capacity", r["capacity"], CAPACITY_HINT)
        if mentor and mentor in seen:
            rows.add(row, "mentor_id", f"duplicate id '{mentor}' (first used in row {seen[mentor]})",
                     "give every mentor one row")
        seen.setdefault(mentor, row)
        ids.append(mentor)
        capacities.append(capacity)
    if rows.problems:
        raise InputError(rows.problems)
    return pd.Series(capacities, index=pd.Index(ids, name="mentor_id"), name="capacity", dtype=np.int64)
