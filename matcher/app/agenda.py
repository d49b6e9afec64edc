"""What the week's people use: agendas (CSV, a printable HTML page, iCalendar files), blank
choices forms, and the final match's tables.

Every file is written atomically (a temporary file, then a rename), so an interrupted run never
leaves half an agenda. :func:`write_plan` writes, into one folder::

    meetings.csv                       every meeting in time order, with why it was chosen
    agenda.html                        one printable page per startup and per mentor
    startups/<id>.csv, startups/<id>.ics   each startup's agenda
    mentors/<id>.csv, mentors/<id>.ics     each mentor's agenda
    choices_startups.csv, choices_mentors.csv   blank forms: fill in rank and/or choice
    timetable.json                     rounds, lower bound, method and spread

The two forms, filled in and put together, are the ``choices.csv`` that ``matcher final`` reads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.data.io import atomic_write, write_frame

__all__ = ["write_plan", "write_final", "ics_calendar", "render_agenda", "choices_form", "PLAN_FILES"]

PLAN_FILES = ("meetings.csv", "agenda.html", "choices_startups.csv", "choices_mentors.csv", "timetable.json")

_AGENDA_COLUMNS = ["date", "start", "end", "round", "room", "startup_id", "startup_name", "mentor_id",
                   "mentor_name", "mentor_kind", "reason"]


def _hhmm(value: Any) -> str:
    return pd.Timestamp(value).strftime("%H:%M")


def _frame(meetings: pd.DataFrame) -> pd.DataFrame:
    """The meetings with times written as HH:MM, for CSV files people read."""
    out = meetings.copy()
    out["start"] = [_hhmm(v) for v in out["start"]]
    out["end"] = [_hhmm(v) for v in out["end"]]
    out["date"] = [str(pd.Timestamp(v).date()) for v in out["date"]]
    return out


def ics_calendar(meetings: pd.DataFrame, *, name: str, role: str) -> bytes:
    """One person's meetings as an iCalendar file (RFC 5545), times in local (floating) time.

    Examples
    --------
    >>> m = pd.DataFrame({"startup_id": ["s-a"], "startup_name": ["A"], "mentor_id": ["m-b"],
    ...                   "mentor_name": ["B"], "room": ["Room 1"], "reason": ["best fit"],
    ...                   "start": [pd.Timestamp("2026-03-02 09:00")],
    ...                   "end": [pd.Timestamp("2026-03-02 09:20")]})
    >>> text = ics_calendar(m, name="A", role="startup").decode()
    >>> "BEGIN:VEVENT" in text and "DTSTART:20260302T090000" in text
    True
    """
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//matcher//matching week//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Meetings of {name}")
    for row in meetings.itertuples(index=False):
        start, end = pd.Timestamp(row.start).to_pydatetime(), pd.Timestamp(row.end).to_pydatetime()
        other = row.mentor_name if role == "startup" else row.startup_name
        event = icalendar.Event()
        event.add("uid", f"{row.startup_id}.{row.mentor_id}.{start:%Y%m%dT%H%M}@matcher")
        # stamped with the meeting's own day, so the same plan writes the same file
        event.add("dtstamp", dt.datetime.combine(start.date(), dt.time(0, 0), tzinfo=dt.timezone.utc))
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", f"Meeting: {row.startup_name} and {row.mentor_name}")
        if row.room:
            event.add("location", row.room)
        event.add("description", f"With {other}. {row.reason}")
        cal.add_component(event)
    return cal.to_ical()


def choices_form(meetings: pd.DataFrame, side: str) -> pd.DataFrame:
    """A blank choices form for one side: one row per meeting, ``rank`` and ``choice`` empty.

    Examples
    --------
    >>> m = pd.DataFrame({"startup_id": ["s-a"], "startup_name": ["A"], "mentor_id": ["m-b"],
    ...                   "mentor_name": ["B"], "start": [pd.Timestamp("2026-03-02 09:00")]})
    >>> choices_form(m, "mentor").columns.tolist()
    ['by', 'mentor_id', 'mentor_name', 'startup_id', 'startup_name', 'met_on', 'rank', 'choice']
    """
    me, other = ("startup", "mentor") if side == "startup" else ("mentor", "startup")
    form = pd.DataFrame({
        "by": side, f"{me}_id": meetings[f"{me}_id"], f"{me}_name": meetings[f"{me}_name"],
        f"{other}_id": meetings[f"{other}_id"], f"{other}_name": meetings[f"{other}_name"],
        "met_on": [f"{pd.Timestamp(s):%Y-%m-%d %H:%M}" for s in meetings["start"]],
        "rank": "", "choice": ""})
    return form.sort_values([f"{me}_id", "met_on"], kind="stable").reset_index(drop=True)


def render_agenda(plan: Any, *, title: str | None = None) -> str:
    """The printable HTML page: one section (and printed page) per startup, then per mentor.

    >>> from matcher.week import plan_meetings
    >>> html = render_agenda(plan_meetings("data/spring-2026", per_startup=3, days=1, availability=False))
    >>> html.count('<section class="agenda"') > 11
    True
    """
    from matcher.app.report import _environment

    meetings = plan.meetings
    people = []
    for role, key, other in (("startup", "startup_id", "mentor_name"),
                             ("mentor", "mentor_id", "startup_name")):
        names = {p.id: p.name for p in (plan.cohort.startups if role == "startup" else plan.cohort.mentors)}
        for who, mine in meetings.groupby(key, sort=True):
            days = [{"date": f"{pd.Timestamp(date):%A %d %B %Y}",
                     "meetings": [{"time": f"{_hhmm(r.start)}–{_hhmm(r.end)}", "round": r.round,
                                   "other": getattr(r, other), "room": r.room, "reason": r.reason}
                                  for r in group.itertuples(index=False)]}
                    for date, group in mine.groupby("date", sort=True)]
            people.append({"id": who, "name": names.get(who, who), "role": role, "days": days})
    return _environment().get_template("agenda.html.j2").render(
        title=title or f"Meeting agendas: {plan.cohort.name}", summary=plan.summary(), people=people)


def write_plan(plan: Any, directory: str | os.PathLike) -> list[str]:
    """Write the plan's files (see the module) into ``directory``; returns the paths written.

    >>> import tempfile
    >>> from matcher.week import plan_meetings
    >>> plan = plan_meetings("data/spring-2026", per_startup=3, days=1, availability=False)
    >>> written = write_plan(plan, tempfile.mkdtemp())
    >>> sorted(Path(p).name for p in written if "/" not in Path(p).name)[:3]
    ['agenda.html', 'choices_mentors.csv', 'choices_startups.csv']
    """
    out = Path(directory)
    meetings = plan.meetings
    readable = _frame(meetings)
    written = [write_frame(readable[_AGENDA_COLUMNS + ["score", "rank"]], out / "meetings.csv")]
    for role, key in (("startup", "startup_id"), ("mentor", "mentor_id")):
        folder = out / f"{role}s"
        names = {p.id: p.name for p in (plan.cohort.startups if role == "startup" else plan.cohort.mentors)}
        for who, mine in meetings.groupby(key, sort=True):
            written.append(write_frame(readable.loc[mine.index, _AGENDA_COLUMNS], folder / f"{who}.csv"))
            with atomic_write(folder / f"{who}.ics", "wb") as stream:
                stream.write(ics_calendar(mine, name=names.get(who, who), role=role))
            written.append(str(folder / f"{who}.ics"))
        written.append(write_frame(choices_form(meetings, role), out / f"choices_{role}s.csv"))
    with atomic_write(out / "agenda.html", encoding="utf-8") as stream:
        stream.write(render_agenda(plan))
    written.append(str(out / "agenda.html"))
    t = plan.timetable
    facts = {"meetings": len(meetings), "rounds": t.rounds, "lower_bound": t.lower_bound, "status": t.status,
             "method": t.method, "days": [str(d) for d in plan.calendar.days],
             "most_meetings_a_startup_has_on_one_day": int(t.max_per_day.max(initial=0)),
             "meeting_list": {"solver": plan.assignment.solver, "status": plan.assignment.status,
                              "objective": plan.assignment.objective, "bound": plan.assignment.bound}}
    with atomic_write(out / "timetable.json", encoding="utf-8") as stream:
        json.dump(facts, stream, indent=2)
    written.append(str(out / "timetable.json"))
    return written


def write_final(final: Any, directory: str | os.PathLike) -> list[str]:
    """Write ``final_pairs.csv``, ``final_startups.csv``, ``final_mentors.csv``,
    ``blocking_pairs.csv`` and ``final.json`` (the proof) into ``directory``.

    >>> import tempfile
    >>> from matcher.week import final_match
    >>> final = final_match("data/spring-2026", "data/spring-2026/choices.csv")
    >>> [Path(p).name for p in write_final(final, tempfile.mkdtemp())][-1]
    'final.json'
    """
    out = Path(directory)
    written = [write_frame(final.pairs, out / "final_pairs.csv"),
               write_frame(final.startups.reset_index(), out / "final_startups.csv"),
               write_frame(final.mentors.reset_index(), out / "final_mentors.csv"),
               write_frame(final.blocking_pairs, out / "blocking_pairs.csv")]
    a = final.assignment
    facts = {"solver": a.solver, "status": a.status, "objective": a.objective, "bound": a.bound, "gap": a.gap,
             "blocking_pairs": len(final.blocking_pairs), "k": final.k, "diagnoses": list(final.diagnoses)}
    with atomic_write(out / "final.json", encoding="utf-8") as stream:
        json.dump(facts, stream, indent=2)
    written.append(str(out / "final.json"))
    return written
