"""Evidence items: the papers, companies, projects, investments and talks behind a profile.

``evidence.csv`` (optional, beside ``mentors.csv``) holds one item per row: ``mentor_id`` or
``startup_id`` (exactly one of them), ``title``, ``text``, and optionally ``year``, ``kind``
(one of :data:`~matcher.data.vocabulary.EVIDENCE_KINDS`) and ``url``. The scorer reads each item
on its own (see :mod:`matcher.scoring.items`), so one strong item is not drowned by many others.
"""

from __future__ import annotations

import dataclasses
import difflib

import pandas as pd

from matcher.data.io.rows import Rows
from matcher.data.models import Evidence, Mentor, Startup
from matcher.data.vocabulary import EVIDENCE_KINDS
from matcher.errors import InputProblem

__all__ = ["parse_evidence", "attach_evidence", "EVIDENCE_FIELDS", "EVIDENCE_YEARS"]

EVIDENCE_FIELDS = {"title", "text"}
#: The years an item may carry.
EVIDENCE_YEARS = (1950, 2100)


def parse_evidence(frame: pd.DataFrame, label: str, startup_ids: set[str], mentor_ids: set[str]
                   ) -> tuple[dict[str, tuple[Evidence, ...]], list[InputProblem]]:
    """Items by the id of the profile they belong to, and every problem found.

    Examples
    --------
    >>> frame = pd.DataFrame({"mentor_id": ["m1", "m1"], "title": ["Triage", "Routing"],
    ...                       "text": ["X-ray triage", ""], "year": ["2021", "19xx"]})
    >>> items, problems = parse_evidence(frame, "evidence.csv", set(), {"m1"})
    >>> items["m1"][0].year, problems[0].row, problems[0].field, problems[0].message
    (2021, 3, 'year', "'19xx' is not a year from 1950 to 2100")
    """
    rows = Rows(frame, label, EVIDENCE_FIELDS)
    owners = [c for c in ("mentor_id", "startup_id") if c in frame.columns]
    if not owners:
        rows.add(1, "mentor_id", "required column is missing",
                 "add a 'mentor_id' (or 'startup_id') column naming whose item each row is")
    if not rows.ok or not owners:
        return {}, rows.problems
    items: dict[str, list[Evidence]] = {}
    for row, r in rows.records():
        owner = _owner(rows, row, r, owners, startup_ids, mentor_ids)
        title, text = r.get("title", ""), r.get("text", "")
        if not title and not text:
            rows.add(row, "text", "the item has neither a title nor a text",
                     "describe the item in a few words, or delete the row")
        kind = r.get("kind", "").lower() or "other"
        if kind not in EVIDENCE_KINDS:
            near = difflib.get_close_matches(kind, EVIDENCE_KINDS, n=1)
            rows.add(row, "kind", f"unknown kind '{kind}'", (f"did you mean '{near[0]}'? " if near else "")
                     + f"use one of {', '.join(EVIDENCE_KINDS)}")
        year = _year(rows, row, r.get("year", ""))
        if owner:
            items.setdefault(owner, []).append(Evidence(title, text, year, kind, r.get("url", "")))
    return {k: tuple(v) for k, v in items.items()}, rows.problems


def _owner(rows: Rows, row: int, r: dict[str, str], owners: list[str], startup_ids: set[str],
           mentor_ids: set[str]) -> str | None:
    """The id of the profile the row belongs to, or None with the problem recorded."""
    given = [(c, r[c]) for c in owners if r.get(c)]
    if len(given) != 1:
        rows.add(row, owners[0], "names no profile" if not given else "names both a mentor and a startup",
                 "fill in exactly one of mentor_id and startup_id")
        return None
    column, value = given[0]
    pool = mentor_ids if column == "mentor_id" else startup_ids
    if value not in pool:
        near = difflib.get_close_matches(value, sorted(pool), n=1)
        file = "mentors.csv" if column == "mentor_id" else "startups.csv"
        rows.add(row, column, f"names unknown id '{value}'",
                 f"did you mean '{near[0]}'?" if near else f"use ids from {file}")
        return None
    return value


def _year(rows: Rows, row: int, value: str) -> int | None:
    if not value:
        return None
    low, high = EVIDENCE_YEARS
    digits = value[:-2] if value.endswith(".0") else value  # spreadsheets write 2021 as 2021.0
    if not digits.isdigit() or not low <= int(digits) <= high:
        rows.add(row, "year", f"'{value}' is not a year from {low} to {high}",
                 "write the year as four digits, e.g. 2021, or leave it empty")
        return None
    return int(digits)


def attach_evidence(profiles: tuple[Startup, ...] | tuple[Mentor, ...],
                    items: dict[str, tuple[Evidence, ...]]) -> tuple:
    """The profiles with their items (profiles without items are returned as they are).

    Examples
    --------
    >>> m = Mentor("m1", "Ho", "professor", ("vision",), "imaging", 2)
    >>> attach_evidence((m,), {"m1": (Evidence("Triage"),)})[0].evidence[0].title
    'Triage'
    """
    return tuple(dataclasses.replace(p, evidence=p.evidence + items[p.id]) if p.id in items else p
                 for p in profiles)
