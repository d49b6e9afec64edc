"""The week's calendar: days, slots of a fixed length, breaks, and who is available when.

>>> cal = make_calendar(["2026-03-02"], day_start="09:00", day_end="10:30", slot_minutes=20,
...                     gap_minutes=5, breaks=["09:50-10:05"])
>>> [f"{a:%H:%M}-{b:%H:%M}" for a, b in cal.slots()[["start", "end"]].itertuples(index=False)]
['09:00-09:20', '09:25-09:45', '10:05-10:25']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.values import clock_time, iso_date, whole_number
from matcher.errors import InputError, InputProblem

__all__ = ["Calendar", "make_calendar", "availability_matrix"]


@dataclass(frozen=True)
class Calendar:
    """Days of meetings and the shape of each day.

    Attributes
    ----------
    days : tuple of datetime.date
    day_start, day_end : datetime.time
        When the first slot may start and the last must end.
    slot_minutes, gap_minutes : int
        Length of a meeting and the pause between two (for changing rooms).
    breaks : tuple of (datetime.time, datetime.time)
        Times no meeting may overlap, such as lunch.

    Examples
    --------
    >>> len(Calendar((dt.date(2026, 3, 2),)).slots())  # 9:00-17:00, 20 + 5 minutes, lunch 12:30-13:30
    16
    """

    days: tuple[dt.date, ...]
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    slot_minutes: int = 20
    gap_minutes: int = 5
    breaks: tuple[tuple[dt.time, dt.time], ...] = ((dt.time(12, 30), dt.time(13, 30)),)

    def slots(self) -> pd.DataFrame:
        """One row per slot in time order: ``slot``, ``day`` (position), ``date``, ``start``, ``end``.

        >>> Calendar((dt.date(2026, 3, 2),), breaks=()).slots().iloc[0]["end"]
        Timestamp('2026-03-02 09:20:00')
        """
        rows = []
        length, gap = dt.timedelta(minutes=self.slot_minutes), dt.timedelta(minutes=self.gap_minutes)
        for d, day in enumerate(self.days):
            at, close = dt.datetime.combine(day, self.day_start), dt.datetime.combine(day, self.day_end)
            pauses = [(dt.datetime.combine(day, a), dt.datetime.combine(day, b)) for a, b in self.breaks]
            while at + length <= close:
                clash = [b for a, b in pauses if at < b and a < at + length]
                if clash:  # a break: start again when it ends
                    at = max(clash)
                    continue
                rows.append((len(rows), d, day, at, at + length))
                at += length + gap
        return pd.DataFrame(rows, columns=["slot", "day", "date", "start", "end"])


def make_calendar(days: Any, *, start_date: dt.date | None = None, day_start: Any = "09:00",
                  day_end: Any = "17:00", slot_minutes: int = 20, gap_minutes: int = 5,
                  breaks: Iterable[str] | None = ("12:30-13:30",)) -> Calendar:
    """A :class:`Calendar`, every value checked and refused by name.

    Parameters
    ----------
    days : int, str or sequence of dates
        A number of weekdays from ``start_date`` (the programme's start), or the dates themselves
        (``YYYY-MM-DD``; in a text, separated by commas).
    start_date : date, optional
        The first day when ``days`` is a number (default: the next Monday).
    day_start, day_end : str or time
        ``HH:MM``.
    slot_minutes, gap_minutes : int
    breaks : iterable of str
        ``HH:MM-HH:MM`` each.

    Examples
    --------
    >>> make_calendar(3, start_date=dt.date(2026, 3, 6)).days
    (datetime.date(2026, 3, 6), datetime.date(2026, 3, 9), datetime.date(2026, 3, 10))
    """
    problems: list[InputProblem] = []

    def check(name: str, parse, value, hint: str):
        try:
            return parse(value)
        except (ValueError, TypeError) as exc:
            problems.append(InputProblem(f"argument '{name}'", None, None, str(exc), hint))
            return None

    dates = _days(days, start_date, check)
    first = check("day_start", clock_time, day_start, "write HH:MM, e.g. 09:00")
    last = check("day_end", clock_time, day_end, "write HH:MM, e.g. 17:00")
    slot = check("slot_minutes", lambda v: whole_number(v, low=1, high=24 * 60), slot_minutes, "e.g. 20")
    gap = check("gap_minutes", lambda v: whole_number(v, high=24 * 60), gap_minutes, "e.g. 5")
    pauses = []
    for text in breaks or ():
        start, _, end = str(text).partition("-")
        a = check("breaks", clock_time, start, "write each break as HH:MM-HH:MM, e.g. 12:30-13:30")
        b = check("breaks", clock_time, end, "write each break as HH:MM-HH:MM, e.g. 12:30-13:30")
        if a is not None and b is not None:
            pauses.append((a, b))
    if first is not None and last is not None and last <= first:
        problems.append(InputProblem("argument 'day_end'", None, None, "is not after day_start",
                                     "end the day after it starts"))
    if problems:
        raise InputError(problems)
    return Calendar(tuple(dates), first, last, slot, gap, tuple(pauses))


def _days(days: Any, start_date: dt.date | None, check) -> list[dt.date]:
    if isinstance(days, str) and "," not in days and "-" not in days:
        days = check("days", whole_number, days, "give a number of days or dates YYYY-MM-DD")
    if isinstance(days, int | np.integer) and not isinstance(days, bool):
        if days < 1:
            check("days", lambda v: whole_number(v, low=1), days, "give 1 day or more")
            return []
        day = start_date or _next_monday()
        out = []
        while len(out) < days:
            if day.weekday() < 5:
                out.append(day)
            day += dt.timedelta(days=1)
        return out
    if days is None:
        return []
    items: Sequence = days.split(",") if isinstance(days, str) else list(days)
    parsed = [check("days", iso_date, str(d).strip() if isinstance(d, str) else d, "write YYYY-MM-DD")
              for d in items]
    out = sorted({d for d in parsed if d is not None})
    if not out:
        check("days", lambda v: whole_number(v, low=1), 0, "give at least one day")
    return out


def _next_monday() -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7)


def availability_matrix(windows: pd.DataFrame | None, slots: pd.DataFrame,
                        mentor_ids: Sequence[str]) -> np.ndarray | None:
    """Bool array of shape (n_mentors, n_slots): the slots each mentor can attend.

    A slot counts when it lies wholly inside one of the mentor's windows on its date. A mentor
    with no window at all is available for every slot; None when no mentor has windows.

    Examples
    --------
    >>> cal = make_calendar(["2026-03-02"], day_start="09:00", day_end="10:00", breaks=[])
    >>> w = pd.DataFrame({"mentor_id": ["a"], "date": [dt.date(2026, 3, 2)],
    ...                   "start": [dt.time(9, 20)], "end": [dt.time(10, 0)]})
    >>> availability_matrix(w, cal.slots(), ["a", "b"]).astype(int).tolist()
    [[0, 1], [1, 1]]
    """
    if windows is None or not len(windows):
        return None
    position = {m: j for j, m in enumerate(mentor_ids)}
    out = np.ones((len(mentor_ids), len(slots)), dtype=bool)
    listed = np.zeros(len(mentor_ids), dtype=bool)
    inside = np.zeros_like(out)
    starts, ends = slots["start"].to_numpy(), slots["end"].to_numpy()
    for mentor, date, a, b in windows[["mentor_id", "date", "start", "end"]].itertuples(index=False):
        if mentor not in position:
            continue
        j = position[mentor]
        listed[j] = True
        lo, hi = np.datetime64(dt.datetime.combine(date, a)), np.datetime64(dt.datetime.combine(date, b))
        inside[j] |= (starts >= lo) & (ends <= hi)
    out[listed] = inside[listed]
    return out
