"""Validating a table row by row: every problem collected with its file, row and field.

Rows are numbered as a spreadsheet shows them (the header is row 1, the first record row 2).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

import pandas as pd

from matcher.data.taxonomy import SUPPORT_AREAS, Taxonomy
from matcher.data.values import MAX_COUNT, identifier, whole_number
from matcher.errors import InputProblem

__all__ = ["Rows", "duplicates", "ID_HINT"]

#: One e-mail address: no spaces, quotes or angle brackets, one '@', a dot in the domain.
_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")

ID_HINT = "ids are slugs such as s-facetrust: lower-case letters, digits, '.', '_' and '-'"


class Rows:
    """Collects problems while reading one table, row by row."""

    def __init__(self, frame: pd.DataFrame, label: str, required: set[str]):
        self.frame, self.label, self.problems = frame, label, []
        missing = sorted(required - set(frame.columns))
        for column in missing:
            close = difflib.get_close_matches(column, list(frame.columns), n=1)
            hint = f"rename column '{close[0]}' to '{column}'" if close else f"add a '{column}' column"
            self.problems.append(InputProblem(label, 1, column, "required column is missing", hint))
        self.ok = not missing

    def add(self, row: int, field: str | None, message: str, hint: str = "") -> None:
        """Record a problem at ``row`` and ``field`` of this table."""
        self.problems.append(InputProblem(self.label, row, field, message, hint))

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row's number in the file (header = 1) and its cells as stripped text."""
        numbers = self.frame.attrs.get("rows") or range(2, len(self.frame) + 2)
        for row, record in zip(numbers, self.frame.to_dict(orient="records")):
            yield row, {k: str(v).strip() for k, v in record.items()}

    def text(self, row: int, record: dict[str, str], field: str) -> str:
        """The text in ``field``: required (an empty cell is recorded as a problem)."""
        value = record.get(field, "")
        if not value:
            self.add(row, field, "is empty", f"fill in the {field}")
        return value

    def ident(self, row: int, record: dict[str, str], field: str) -> str:
        """The id in ``field``: required, and a slug (see :func:`~matcher.data.values.identifier`)."""
        value = self.text(row, record, field)
        if value:
            self.check_id(row, field, value)
        return value

    def check_id(self, row: int, field: str, value: str) -> bool:
        """Whether ``value`` is a valid id; if not, the problem is recorded."""
        try:
            identifier(value)
        except ValueError as exc:
            self.add(row, field, str(exc), ID_HINT)
            return False
        return True

    def count(self, row: int, field: str, items: tuple[str, ...], bounds: tuple[int, int], what: str) -> None:
        """Record a problem when ``items`` has more than ``bounds[1]`` entries."""
        if len(items) > bounds[1]:
            self.add(row, field, f"lists {len(items)} {what}, more than {bounds[1]}",
                     f"keep the {bounds[1]} that matter most (see data/README.md)")

    def email(self, row: int, record: dict[str, str]) -> None:
        """Check the optional ``email`` cell: empty, or one address such as name@example.org."""
        value = record.get("email", "")
        if value and not _EMAIL.fullmatch(value):
            self.add(row, "email", f"'{value[:80]}' is not an e-mail address",
                     "write one address such as name@example.org, or leave the cell empty")

    def whole(self, row: int, field: str, value: str, hint: str, *, low: int = 0,
              high: int = MAX_COUNT) -> int | None:
        """A whole number in ``[low, high]`` from a cell, or ``None`` with the problem recorded."""
        if not value:
            self.add(row, field, "is empty", hint)
            return None
        try:
            return whole_number(value, low=low, high=high)
        except ValueError as exc:
            self.add(row, field, str(exc), hint)
            return None

    def split(self, value: str) -> tuple[str, ...]:
        """The ``;``-separated items of a cell, stripped, empty ones left out."""
        return tuple(part.strip() for part in value.split(";") if part.strip())

    def domains(self, row: int, value: str, taxonomy: Taxonomy) -> tuple[str, ...]:
        """The domains of a cell, each checked against the taxonomy (unknown ones recorded)."""
        nodes = tuple(n.lower() for n in self.split(value))
        if not nodes:
            self.add(row, "domains", "is empty", "list at least one domain, e.g. 'vision/medical-imaging'")
        for node in nodes:
            if node not in taxonomy:
                near = taxonomy.suggest(node)
                hint = f"did you mean '{near}'? " if near else ""
                hint += f"domains start with one of: {', '.join(taxonomy.roots)}"
                self.add(row, "domains", f"unknown domain '{node}'", hint)
        return nodes

    def areas(self, row: int, field: str, value: str) -> tuple[str, ...]:
        """The support areas of a cell, each checked against the known areas (unknown ones recorded)."""
        areas = tuple(a.lower() for a in self.split(value))
        for area in areas:
            if area not in SUPPORT_AREAS:
                near = difflib.get_close_matches(area, SUPPORT_AREAS, n=1)
                hint = f"did you mean '{near[0]}'? " if near else ""
                self.add(row, field, f"unknown support area '{area}'",
                         hint + f"use {', '.join(SUPPORT_AREAS)}")
        return areas

    def languages(self, row: int, value: str, known: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The languages of a cell, each one of ``known`` (when given), at least one."""
        languages = tuple(lang.capitalize() for lang in self.split(value))
        if known is None:
            return languages
        if not languages:
            self.add(row, "languages", "is empty", f"list the mentoring languages, e.g. {known[0]}")
        for language in languages:
            if language not in known:
                near = difflib.get_close_matches(language, known, n=1)
                self.add(row, "languages", f"unknown language '{language}'",
                         (f"did you mean '{near[0]}'? " if near else "") + f"use {', '.join(known)}, or "
                         "list more under languages in programme.yaml")
        return languages


def duplicates(rows: Rows, ids: list[tuple[int, str]]) -> None:
    """Record every id that appears twice, naming both rows."""
    seen: dict[str, int] = {}
    for row, id_ in ids:
        if id_ and id_ in seen:
            rows.add(row, "id", f"duplicate id '{id_}' (first used in row {seen[id_]})",
                     "give every row its own id")
        seen.setdefault(id_, row)
