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
from matcher.data.values import whole_number
from matcher.errors import InputError, InputProblem

__all__ = ["read_scores", "read_ratings", "read_capacity"]

CAPACITY_HINT = "write a whole number of startups, 0 or more, e.g. 2"


def read_scores(source: Source) -> pd.DataFrame:
    """A score matrix: first column startup ids, header row mentor ids, numbers elsewhere.

    A blank cell is a missing score (NaN): :func:`matcher.assign` refuses it unless told
    ``missing="forbid"``, the convention of :meth:`Scores.to_frame` for forbidden pairs.
    """
    frame, label = read_table(source, name="scores")
    if frame.shape[1] < 2:
        raise InputError([InputProblem(label, 1, None, "needs a startup id column and one column per mentor",
                                       "first column: startup ids; header: mentor ids")])
    frame = frame.set_index(frame.columns[0])
    numbers = frame.apply(pd.to_numeric, errors="coerce")
    # a blank cell is a missing score (a forbidden pair, as Scores.to_frame writes them)
    blank = frame.isna() | frame.astype(str).apply(lambda c: c.str.strip()).isin(["", "nan", "NaN"])
    bad = numbers.isna() & ~blank
    problems = [
        InputProblem(label, int(r) + 2, str(frame.columns[c]),
                     f"'{frame.iat[r, c]}' is not a number", "write a number for every pair")
        for r, c in np.argwhere(bad.to_numpy())[:20]
    ]
    if problems:
        raise InputError(problems)
    return numbers.astype(float)


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
            value = rows.text(row, r, field)
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
        mentor = rows.text(row, r, "mentor_id")
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
