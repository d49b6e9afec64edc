"""Review decisions: the programme's keep / drop / pin for each pair of a match, as a CSV file.

``matcher review RESULT_DIR`` writes ``decisions.csv`` (one row per pair, every decision ``keep``);
the programme edits it and ``matcher rematch RESULT_DIR --decisions decisions.csv`` applies it.
:func:`read_decisions` checks every row against the result it is about and reports every problem
together, each naming the file, the row and the field.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from matcher.data.io.files import read_table
from matcher.data.io.rows import Rows
from matcher.errors import InputError

__all__ = ["DECISIONS", "DECISION_FIELDS", "read_decisions"]

#: What a reviewer may decide about a pair: keep it if possible, never make it, or make it whatever.
DECISIONS = ("keep", "drop", "pin")
#: Columns a decisions file must have (``note``, names and scores are optional and not read).
DECISION_FIELDS = {"startup_id", "mentor_id", "decision"}


def read_decisions(path: str | os.PathLike, startup_ids: Iterable[str], mentor_ids: Iterable[str]
                   ) -> pd.DataFrame:
    """The decisions of a file, checked against the ids of the cohort they are about.

    Parameters
    ----------
    path : path
        A CSV (or JSON, YAML, Excel) table with ``startup_id``, ``mentor_id``, ``decision``
        (``keep``, ``drop`` or ``pin``, any case) and an optional free ``note``.
    startup_ids, mentor_ids : iterables of str
        The ids of the matched cohort.

    Returns
    -------
    DataFrame
        ``startup_id``, ``mentor_id``, ``decision`` (lower case), ``note`` and ``row`` (the row of
        the file, header = 1).

    Raises
    ------
    InputError
        Every bad row: a missing column, an empty or unknown id, an unknown decision, a pair listed
        twice.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     text = "startup_id,mentor_id,decision\\ns-a,m-x,Drop\\ns-a,m-y,kep\\n"
    ...     _ = Path(folder, "d.csv").write_text(text)
    ...     read_decisions(Path(folder, "d.csv"), ["s-a"], ["m-x", "m-y"])
    Traceback (most recent call last):
    ...
    matcher.errors.InputError: 1 problem in the input:
      - d.csv, row 3, field 'decision': is 'kep', not one of keep, drop, pin (did you mean 'keep'?)
    """
    frame, label = read_table(Path(path), name="decisions")
    rows = Rows(frame, label, DECISION_FIELDS)
    if not rows.ok:
        raise InputError(rows.problems)
    known = {"startup_id": set(startup_ids), "mentor_id": set(mentor_ids)}
    records, seen = [], {}
    for row, record in rows.records():
        ids = []
        for field in ("startup_id", "mentor_id"):
            value = rows.ident(row, record, field)
            if value and value not in known[field]:
                near = difflib.get_close_matches(value, sorted(known[field]), n=1)
                rows.add(row, field, f"'{value}' is not in the matched cohort",
                         f"did you mean '{near[0]}'?" if near else "use the ids of assignments.csv")
            ids.append(value)
        decision = record.get("decision", "").lower()
        if decision not in DECISIONS:
            near = difflib.get_close_matches(decision, DECISIONS, n=1)
            rows.add(row, "decision", f"is '{record.get('decision', '')}', not one of {', '.join(DECISIONS)}",
                     f"did you mean '{near[0]}'?" if near else "write keep, drop or pin")
        pair = tuple(ids)
        if all(pair) and pair in seen:
            rows.add(row, "mentor_id", f"the pair {pair[0]}, {pair[1]} is listed again "
                     f"(first on row {seen[pair]})", "keep one row per pair")
        seen.setdefault(pair, row)
        note = record.get("note", "")
        records.append({"startup_id": ids[0], "mentor_id": ids[1], "decision": decision,
                        "note": "" if note == "nan" else note, "row": row})
    if rows.problems:
        raise InputError(rows.problems)
    return pd.DataFrame.from_records(records, columns=["startup_id", "mentor_id", "decision", "note", "row"])
