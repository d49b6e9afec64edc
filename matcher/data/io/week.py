"""The files of a matching week: mentors' availability, the meetings held, both sides' choices.

* ``availability.csv`` (optional): ``mentor_id, date, from, to`` — one row per window in which a
  mentor can take meetings. A mentor with no row is available whenever the week has slots; a
  mentor with rows only inside them.
* ``meetings.csv``: the meetings of the week, as ``matcher meetings`` writes them (at least
  ``startup_id`` and ``mentor_id``).
* ``choices.csv``: after the week, ``by, startup_id, mentor_id, rank, choice`` — ``by`` says who
  chose (``startup`` or ``mentor``); ``rank`` orders the other side (1 = first choice) and
  ``choice`` is ``yes``, ``maybe`` or ``no``; a row gives one or both. Every row must be about a
  meeting that took place.

Every problem names the file, the row (header = row 1) and the field, and all are reported together.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import pandas as pd

from matcher.data.io.files import Source, read_table
from matcher.data.io.rows import Rows
from matcher.data.values import clock_time, iso_date
from matcher.errors import InputError

__all__ = ["AVAILABILITY_FIELDS", "MEETING_FIELDS", "CHOICE_FIELDS", "CHOICE_VALUES", "CHOOSERS",
           "read_availability", "read_meetings", "read_choices"]

AVAILABILITY_FIELDS = {"mentor_id", "date", "from", "to"}
MEETING_FIELDS = {"startup_id", "mentor_id"}
CHOICE_FIELDS = {"by", "startup_id", "mentor_id"}
CHOICE_VALUES = ("yes", "maybe", "no")
CHOOSERS = ("startup", "mentor")


def _known(rows: Rows, row: int, field: str, value: str, known: set[str] | None, table: str) -> None:
    if value and known is not None and value not in known:
        near = difflib.get_close_matches(value, sorted(known), n=1)
        rows.add(row, field, f"names unknown id '{value}'",
                 f"did you mean '{near[0]}'?" if near else f"use ids from {table}")


def _raise(rows: Rows) -> None:
    if rows.problems:
        raise InputError(rows.problems)


def read_availability(source: Source, mentor_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Mentors' availability windows, checked row by row.

    Parameters
    ----------
    source : path or DataFrame
        ``availability.csv`` or a table with columns ``mentor_id``, ``date``, ``from``, ``to``.
    mentor_ids : iterable of str, optional
        The cohort's mentors; a row naming another is refused.

    Returns
    -------
    DataFrame
        Columns ``mentor_id``, ``date`` (datetime.date), ``start``, ``end`` (datetime.time).

    Raises
    ------
    InputError
        Naming file, row and field of every bad cell, e.g. a window that ends before it starts.

    Examples
    --------
    >>> frame = pd.DataFrame({"mentor_id": ["m-a"], "date": ["2026-03-09"], "from": ["9:00"],
    ...                       "to": ["12:00"]})
    >>> read_availability(frame, ["m-a"]).iloc[0].tolist()
    ['m-a', datetime.date(2026, 3, 9), datetime.time(9, 0), datetime.time(12, 0)]
    """
    frame, label = read_table(source, name="availability")
    rows = Rows(frame, label, AVAILABILITY_FIELDS)
    _raise(rows)
    known = None if mentor_ids is None else set(mentor_ids)
    out = []
    for row, record in rows.records():
        mentor = rows.ident(row, record, "mentor_id")
        _known(rows, row, "mentor_id", mentor, known, "mentors.csv")
        values = {}
        for field, parse, hint in (("date", iso_date, "write the date as YYYY-MM-DD"),
                                   ("from", clock_time, "write the time as HH:MM, e.g. 09:30"),
                                   ("to", clock_time, "write the time as HH:MM, e.g. 17:00")):
            text = rows.text(row, record, field)
            if text:
                try:
                    values[field] = parse(text)
                except ValueError as exc:
                    rows.add(row, field, str(exc), hint)
        if "from" in values and "to" in values and values["to"] <= values["from"]:
            rows.add(row, "to", f"the window ends at {values['to']:%H:%M}, not after it starts "
                     f"({values['from']:%H:%M})", "give the end of the window after its start")
        out.append((mentor, values.get("date"), values.get("from"), values.get("to")))
    _raise(rows)
    return pd.DataFrame(out, columns=["mentor_id", "date", "start", "end"])


def read_meetings(source: Source, startup_ids: Iterable[str] | None = None,
                  mentor_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The meetings held (``meetings.csv`` from ``matcher meetings``), each pair once.

    Examples
    --------
    >>> read_meetings(pd.DataFrame({"startup_id": ["s-a"], "mentor_id": ["m-b"], "day": ["x"]}))
      startup_id mentor_id day
    0        s-a       m-b   x
    """
    frame, label = read_table(source, name="meetings")
    rows = Rows(frame, label, MEETING_FIELDS)
    _raise(rows)
    known_s = None if startup_ids is None else set(startup_ids)
    known_m = None if mentor_ids is None else set(mentor_ids)
    seen: dict[tuple[str, str], int] = {}
    for row, record in rows.records():
        s, m = rows.ident(row, record, "startup_id"), rows.ident(row, record, "mentor_id")
        _known(rows, row, "startup_id", s, known_s, "startups.csv")
        _known(rows, row, "mentor_id", m, known_m, "mentors.csv")
        if (s, m) in seen:
            rows.add(row, "mentor_id", f"meeting ({s}, {m}) is listed again (first in row {seen[(s, m)]})",
                     "list each meeting once")
        seen.setdefault((s, m), row)
    _raise(rows)
    return frame.reset_index(drop=True)


def read_choices(source: Source, met: Iterable[tuple[str, str]], startup_ids: Iterable[str] | None = None,
                 mentor_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Both sides' choices after the week, checked against the meetings that took place.

    Parameters
    ----------
    source : path or DataFrame
        ``choices.csv``: columns ``by``, ``startup_id``, ``mentor_id`` and ``rank`` and/or ``choice``.
    met : iterable of (startup_id, mentor_id)
        The meetings held; a row about any other pair is refused, naming the row.
    startup_ids, mentor_ids : iterable of str, optional
        The cohort's ids.

    Returns
    -------
    DataFrame
        Columns ``by``, ``startup_id``, ``mentor_id``, ``rank`` (nullable Int64), ``choice`` ('' when
        not given) and ``row``.

    Raises
    ------
    InputError
        Every bad row with file, row and field: an unknown ``by`` or choice, a rank that is not a
        whole number from 1, the same rank given twice, a rank beside a "no", a row about a meeting
        that never happened, a row given twice.

    Examples
    --------
    >>> rows = pd.DataFrame({"by": ["startup", "mentor"], "startup_id": ["s-a", "s-a"],
    ...                      "mentor_id": ["m-b", "m-c"], "rank": ["1", ""], "choice": ["", "yes"]})
    >>> try:
    ...     read_choices(rows, [("s-a", "m-b")])
    ... except InputError as err:
    ...     print(err.problems[0].row, err.problems[0].field, err.problems[0].message)
    3 choice s-a and m-c never met: this choice is about a meeting that never happened
    """
    frame, label = read_table(source, name="choices")
    rows = Rows(frame, label, CHOICE_FIELDS)
    if rows.ok and not {"rank", "choice"} & set(frame.columns):
        rows.add(1, "rank", "neither 'rank' nor 'choice' is a column",
                 "add a rank column, a choice column, or both")
    _raise(rows)
    met = set(met)
    known_s = None if startup_ids is None else set(startup_ids)
    known_m = None if mentor_ids is None else set(mentor_ids)
    seen: dict[tuple[str, str, str], int] = {}
    ranks: dict[tuple[str, str, int], int] = {}
    out = []
    for row, record in rows.records():
        by = record.get("by", "").lower()
        if by not in CHOOSERS:
            near = difflib.get_close_matches(by, CHOOSERS, n=1)
            rows.add(row, "by", f"is '{by}'" if by else "is empty",
                     (f"did you mean '{near[0]}'? " if near else "") + "write startup or mentor")
        s, m = rows.ident(row, record, "startup_id"), rows.ident(row, record, "mentor_id")
        _known(rows, row, "startup_id", s, known_s, "startups.csv")
        _known(rows, row, "mentor_id", m, known_m, "mentors.csv")
        rank_text, choice = record.get("rank", ""), record.get("choice", "").lower()
        rank = None
        if rank_text:
            rank = rows.whole(row, "rank", rank_text, "rank the first choice 1, the next 2, and so on", low=1)
            chooser = s if by == "startup" else m
            if rank is not None and (by, chooser, rank) in ranks:
                rows.add(row, "rank", f"{chooser} gives rank {rank} twice (first in row "
                         f"{ranks[(by, chooser, rank)]})", "give each choice its own rank")
            if rank is not None:
                ranks.setdefault((by, chooser, rank), row)
        if choice and choice not in CHOICE_VALUES:
            near = difflib.get_close_matches(choice, CHOICE_VALUES, n=1)
            rows.add(row, "choice", f"unknown choice '{choice}'",
                     (f"did you mean '{near[0]}'? " if near else "") + "use yes, maybe or no")
        if rank is not None and choice == "no":
            rows.add(row, "rank", f"ranks {m if by == 'startup' else s} {rank} and says no to it",
                     "leave the rank blank for a no, or change the choice")
        if not rank_text and not choice:
            rows.add(row, "choice", "has neither a rank nor a choice", "fill in one, or delete the row")
        if s and m and (s, m) not in met:
            field = "rank" if rank_text else "choice"
            rows.add(row, field, f"{s} and {m} never met: this {field} is about a meeting that never "
                     "happened", "choose only among the meetings held; see meetings.csv")
        if (by, s, m) in seen:
            rows.add(row, "mentor_id" if by == "startup" else "startup_id",
                     f"the {by}'s choice about ({s}, {m}) is given again (first in row {seen[(by, s, m)]})",
                     "give each choice one row")
        seen.setdefault((by, s, m), row)
        out.append((by, s, m, rank, choice if choice in CHOICE_VALUES else "", row))
    _raise(rows)
    table = pd.DataFrame(out, columns=["by", "startup_id", "mentor_id", "rank", "choice", "row"])
    table["rank"] = table["rank"].astype("Int64")
    return table
