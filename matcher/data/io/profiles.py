"""The cohort's tables, row by row: startups, mentors, past pairings and stated preferences.

Each parser takes a table of strings (see :func:`~matcher.data.io.read_table`) and its label,
and returns the frozen models it describes together with every problem found, so
:func:`~matcher.data.io.load_cohort` can report the problems of all files at once.
"""

from __future__ import annotations

import difflib

import pandas as pd

from matcher.data.io.rows import Rows, duplicates
from matcher.data.models import Mentor, Preferences, Startup
from matcher.data.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from matcher.data.vocabulary import (
    LANGUAGES,
    MENTOR_DOMAINS,
    MENTOR_KINDS,
    STAGES,
    STARTUP_DOMAINS,
    STARTUP_NEEDS,
)
from matcher.errors import InputProblem

__all__ = ["parse_startups", "parse_mentors", "parse_history", "parse_preferences", "STARTUP_FIELDS",
           "MENTOR_FIELDS", "HISTORY_FIELDS", "PREFERENCE_FIELDS", "BID_VALUES"]

STARTUP_FIELDS = {"id", "name", "domains", "description"}
MENTOR_FIELDS = {"id", "name", "kind", "domains", "expertise", "capacity"}
HISTORY_FIELDS = {"cohort", "startup_id", "mentor_id"}
PREFERENCE_FIELDS = {"startup_id", "mentor_id"}
BID_VALUES = ("yes", "maybe", "no")


def parse_startups(frame: pd.DataFrame, label: str, taxonomy: Taxonomy = DEFAULT_TAXONOMY,
                   languages: tuple[str, ...] = LANGUAGES) -> tuple[tuple[Startup, ...], list[InputProblem]]:
    """Startups from a table of strings, and every problem found in it.

    Ids are slugs; a ``languages`` column (when there is one) lists at least one of ``languages``
    in every row; a ``stage`` column holds one of :data:`~matcher.data.vocabulary.STAGES`.
    """
    rows = Rows(frame, label, STARTUP_FIELDS)
    if not rows.ok:
        return (), rows.problems
    known = {"id", "name", "domains", "description", "needs", "languages"}
    spoken = languages if "languages" in frame.columns else None
    startups, ids = [], []
    for row, r in rows.records():
        ids.append((row, r["id"]))
        startup = Startup(
            id=rows.ident(row, r, "id"),
            name=rows.text(row, r, "name"),
            domains=rows.domains(row, r["domains"], taxonomy),
            description=rows.text(row, r, "description"),
            needs=rows.areas(row, "needs", r.get("needs", "")),
            languages=rows.languages(row, r.get("languages", ""), spoken),
            attributes={k: v for k, v in r.items() if k not in known},
        )
        rows.count(row, "domains", startup.domains, STARTUP_DOMAINS, "domains")
        rows.email(row, r)
        rows.count(row, "needs", startup.needs, STARTUP_NEEDS, "needs")
        if "stage" in r and r["stage"].lower() not in STAGES:
            near = difflib.get_close_matches(r["stage"].lower(), STAGES, n=1)
            rows.add(row, "stage", f"unknown stage '{r['stage']}'" if r["stage"] else "is empty",
                     (f"did you mean '{near[0]}'? " if near else "") + f"use one of {', '.join(STAGES)}")
        startups.append(startup)
    duplicates(rows, ids)
    return tuple(startups), rows.problems


def parse_mentors(frame: pd.DataFrame, label: str, startup_ids: set[str] | None,
                  taxonomy: Taxonomy = DEFAULT_TAXONOMY, kinds: tuple[str, ...] = MENTOR_KINDS,
                  languages: tuple[str, ...] = LANGUAGES) -> tuple[tuple[Mentor, ...], list[InputProblem]]:
    """Mentors from a table of strings, and every problem found in it (ids are slugs)."""
    rows = Rows(frame, label, MENTOR_FIELDS)
    if not rows.ok:
        return (), rows.problems
    spoken = languages if "languages" in frame.columns else None
    known = {"id", "name", "kind", "domains", "expertise", "capacity", "offers", "languages",
             "conflicts", "organisation"}
    mentors, ids = [], []
    for row, r in rows.records():
        ids.append((row, r["id"]))
        kind = r["kind"].lower()
        if kind and kind not in kinds:
            near = difflib.get_close_matches(kind, kinds, n=1)
            rows.add(row, "kind", f"unknown mentor kind '{kind}'",
                     (f"did you mean '{near[0]}'? " if near else "")
                     + f"use one of {', '.join(kinds)}, or list it under mentor_kinds in programme.yaml")
        elif not kind:
            rows.add(row, "kind", "is empty", f"use one of {', '.join(kinds)}")
        conflicts = rows.split(r.get("conflicts", ""))
        for other in conflicts:
            if not rows.check_id(row, "conflicts", other):
                continue
            if startup_ids is not None and other not in startup_ids:
                near = difflib.get_close_matches(other, sorted(startup_ids), n=1)
                rows.add(row, "conflicts", f"names unknown startup id '{other}'",
                         f"did you mean '{near[0]}'?" if near else "use ids from startups.csv")
        mentor = Mentor(
            id=rows.ident(row, r, "id"),
            name=rows.text(row, r, "name"),
            kind=kind,
            domains=rows.domains(row, r["domains"], taxonomy),
            expertise=rows.text(row, r, "expertise"),
            capacity=rows.whole(row, "capacity", r["capacity"],
                                "write a whole number of startups, 0 or more, e.g. 2") or 0,
            offers=rows.areas(row, "offers", r.get("offers", "")),
            languages=rows.languages(row, r.get("languages", ""), spoken),
            conflicts=conflicts,
            organisation=r.get("organisation", ""),
            attributes={k: v for k, v in r.items() if k not in known},
        )
        rows.count(row, "domains", mentor.domains, MENTOR_DOMAINS, "domains")
        rows.email(row, r)
        mentors.append(mentor)
    duplicates(rows, ids)
    return tuple(mentors), rows.problems


def parse_history(frame: pd.DataFrame, label: str, mentor_ids: set[str] | None = None
                  ) -> tuple[tuple[tuple[str, str, str], ...], list[InputProblem]]:
    """Past pairings (cohort, startup_id, mentor_id) from a table of strings.

    With ``mentor_ids`` (the cohort's mentors), a mentor id that is not among them is a problem:
    a mentor of the pool is a typo away, and a misspelt pairing would silently be made again. A
    startup id may be unknown: startups of earlier cohorts are not in this one's file.
    """
    rows = Rows(frame, label, HISTORY_FIELDS)
    if not rows.ok:
        return (), rows.problems
    out = []
    for row, r in rows.records():
        values = tuple(rows.ident(row, r, f) for f in ("cohort", "startup_id", "mentor_id"))
        mentor = values[2]
        if mentor_ids is not None and mentor and mentor not in mentor_ids:
            near = difflib.get_close_matches(mentor, sorted(mentor_ids), n=1)
            rows.add(row, "mentor_id", f"names unknown mentor id '{mentor}'",
                     f"did you mean '{near[0]}'?" if near else "use ids from mentors.csv")
        out.append(values)
    return tuple(out), rows.problems


def parse_preferences(frame: pd.DataFrame, label: str, startup_ids: list[str], mentor_ids: list[str]
                      ) -> tuple[Preferences | None, list[InputProblem]]:
    """Stated preferences from a table of strings, and every problem found in it.

    Each row names a pair (``startup_id``, ``mentor_id``) and the startup's rank of the mentor
    (``startup_rank``: 1 = first choice, unique per startup) and / or the mentor's bid on the startup
    (``mentor_bid``: ``yes``, ``maybe`` or ``no``). A pair appears at most once.
    """
    rows = Rows(frame, label, PREFERENCE_FIELDS)
    if rows.ok and not {"startup_rank", "mentor_bid"} & set(frame.columns):
        rows.add(1, "startup_rank", "neither 'startup_rank' nor 'mentor_bid' is a column",
                 "add a startup_rank column, a mentor_bid column, or both")
        rows.ok = False
    if not rows.ok:
        return None, rows.problems
    known_s, known_m = set(startup_ids), set(mentor_ids)
    out: tuple[list, list, list, list] = ([], [], [], [])
    seen_pair: dict[tuple[str, str], int] = {}
    seen_rank: dict[tuple[str, int], int] = {}
    for row, r in rows.records():
        s, m = rows.ident(row, r, "startup_id"), rows.ident(row, r, "mentor_id")
        for field, value, known, table in (("startup_id", s, known_s, "startups.csv"),
                                           ("mentor_id", m, known_m, "mentors.csv")):
            if value and value not in known:
                near = difflib.get_close_matches(value, sorted(known), n=1)
                rows.add(row, field, f"names unknown id '{value}'",
                         f"did you mean '{near[0]}'?" if near else f"use ids from {table}")
        if (s, m) in seen_pair:
            rows.add(row, None, f"pair ({s}, {m}) is listed again (first in row {seen_pair[(s, m)]})",
                     "give each pair one row holding both its rank and its bid")
        seen_pair.setdefault((s, m), row)
        rank_text, bid = r.get("startup_rank", ""), r.get("mentor_bid", "").lower()
        rank = None
        if rank_text:
            rank = rows.whole(row, "startup_rank", rank_text,
                              "rank the startup's first choice 1, the next 2, and so on", low=1)
            if rank is not None:
                if (s, rank) in seen_rank:
                    rows.add(row, "startup_rank", f"{s} gives rank {rank} twice "
                             f"(first in row {seen_rank[(s, rank)]})", "give each mentor its own rank")
                seen_rank.setdefault((s, rank), row)
        if bid and bid not in BID_VALUES:
            near = difflib.get_close_matches(bid, BID_VALUES, n=1)
            rows.add(row, "mentor_bid", f"unknown bid '{bid}'",
                     (f"did you mean '{near[0]}'? " if near else "") + "use yes, maybe or no")
            bid = ""
        if rank is None and not bid and not rank_text:
            rows.add(row, None, "has neither a startup_rank nor a mentor_bid",
                     "fill in one or delete the row")
        for column, value in zip(out, (s, m, rank, bid)):
            column.append(value)
    prefs = Preferences(*(tuple(c) for c in out), source=label)
    return prefs, rows.problems
