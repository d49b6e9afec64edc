"""Loading and writing: the only layer that touches files.

:func:`load_cohort` reads a cohort folder (``startups.csv``, ``mentors.csv``, optional
``programme.yaml`` and history file), single CSV / JSON / YAML / Excel files, or pandas DataFrames,
and validates everything at the edge: every problem in the input is reported together, each naming
the file, the row (as a spreadsheet numbers it, header = row 1), the field, and how to fix it.

Writers put each file in place atomically (a temporary file in the same folder, then a rename), so
an interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from matcher.data.models import MENTOR_KINDS, Cohort, Mentor, Preferences, Rules, Startup
from matcher.data.taxonomy import DEFAULT_TAXONOMY, SUPPORT_AREAS, Taxonomy
from matcher.errors import InputError, InputProblem

__all__ = [
    "load_cohort",
    "read_table",
    "read_scores",
    "read_programme",
    "atomic_write",
    "write_frame",
    "write_result_csv",
    "write_result_tables",
    "write_result_json",
    "safe_cell",
    "parse_preferences",
    "read_result",
    "read_ratings",
]

STARTUP_FIELDS = {"id", "name", "domains", "description"}
MENTOR_FIELDS = {"id", "name", "kind", "domains", "expertise", "capacity"}
HISTORY_FIELDS = {"cohort", "startup_id", "mentor_id"}
#: programme.yaml keys that describe the programme rather than matching rules.
PROGRAMME_KEYS = {"programme", "cohort", "start_date", "history", "mentor_kinds", "eligibility",
                  "preferences", "description"}
TABLE_SUFFIXES = (".csv", ".json", ".yaml", ".yml", ".xlsx")

Source = str | os.PathLike | pd.DataFrame


# ---------------------------------------------------------------- reading tables

def read_table(source: Source, *, name: str = "table", key: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a table as strings from CSV, JSON, YAML or Excel, or take a DataFrame as it is.

    Returns the table and a label for error messages (the file name). ``key`` selects a list
    inside a JSON / YAML document holding several tables (``{"startups": [...], ...}``).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index() if source.index.name == "id" else source
        return frame.astype(object).where(frame.notna(), ""), f"{name} (DataFrame)"
    path = Path(source)
    label = path.name
    if not path.exists():
        raise InputError([InputProblem(str(path), None, None, "file not found",
                                       "check the path; a cohort folder holds startups.csv and mentors.csv")])
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str).fillna("")
        elif suffix in (".json", ".yaml", ".yml"):
            frame = _records_frame(_read_document(path), path, key or name)
        else:
            raise InputError([InputProblem(label, None, None, f"unsupported file type '{suffix}'",
                                           f"use one of {', '.join(TABLE_SUFFIXES)}")])
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError([InputProblem(label, line, None,
                                       f"is not UTF-8 text (byte {exc.start} cannot be decoded)",
                                       "save the file as UTF-8 (in Excel: 'CSV UTF-8')")]) from None
    except pd.errors.ParserError as exc:
        raise InputError([InputProblem(label, None, None, f"is not a well-formed CSV table: {exc}",
                                       "a field holding a comma must be in double quotes")]) from None
    except (ValueError, OSError) as exc:
        raise InputError([InputProblem(label, None, None, f"cannot be read: {exc}")]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, label


def _read_document(path: Path) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(exc, "lineno", None) or (mark.line + 1 if mark else None)
        kind = path.suffix[1:].upper()
        raise InputError([InputProblem(path.name, line, None, f"is not valid {kind}: {exc}",
                                       "fix the syntax at that line")]) from None


def _records_frame(document: Any, path: Path, key: str) -> pd.DataFrame:
    if isinstance(document, Mapping) and key in document:
        document = document[key]
    if not isinstance(document, list) or not all(isinstance(r, Mapping) for r in document):
        raise InputError([InputProblem(path.name, None, key, "is not a list of records",
                                       f"write a list of objects, or a mapping with a '{key}' list")])
    rows = [{k: _as_text(v) for k, v in record.items()} for record in document]
    return pd.DataFrame(rows).fillna("")


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------- validating rows

class _Rows:
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
        self.problems.append(InputProblem(self.label, row, field, message, hint))

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        for n, record in enumerate(self.frame.to_dict(orient="records")):
            yield n + 2, {k: str(v).strip() for k, v in record.items()}

    def text(self, row: int, record: dict[str, str], field: str) -> str:
        value = record.get(field, "")
        if not value:
            self.add(row, field, "is empty", f"fill in the {field}")
        return value

    def split(self, value: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in value.split(";") if part.strip())

    def domains(self, row: int, value: str, taxonomy: Taxonomy) -> tuple[str, ...]:
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
        areas = tuple(a.lower() for a in self.split(value))
        for area in areas:
            if area not in SUPPORT_AREAS:
                near = difflib.get_close_matches(area, SUPPORT_AREAS, n=1)
                hint = f"did you mean '{near[0]}'? " if near else ""
                self.add(row, field, f"unknown support area '{area}'",
                         hint + f"use {', '.join(SUPPORT_AREAS)}")
        return areas

    def languages(self, value: str) -> tuple[str, ...]:
        return tuple(lang.capitalize() for lang in self.split(value))


def _duplicates(rows: _Rows, ids: list[tuple[int, str]]) -> None:
    seen: dict[str, int] = {}
    for row, id_ in ids:
        if id_ and id_ in seen:
            rows.add(row, "id", f"duplicate id '{id_}' (first used in row {seen[id_]})",
                     "give every row its own id")
        seen.setdefault(id_, row)


def parse_startups(frame: pd.DataFrame, label: str, taxonomy: Taxonomy = DEFAULT_TAXONOMY
                   ) -> tuple[tuple[Startup, ...], list[InputProblem]]:
    """Startups from a table of strings, and every problem found in it."""
    rows = _Rows(frame, label, STARTUP_FIELDS)
    if not rows.ok:
        return (), rows.problems
    known = {"id", "name", "domains", "description", "needs", "languages"}
    startups, ids = [], []
    for row, r in rows.records():
        ids.append((row, r["id"]))
        startups.append(Startup(
            id=rows.text(row, r, "id"),
            name=rows.text(row, r, "name"),
            domains=rows.domains(row, r["domains"], taxonomy),
            description=rows.text(row, r, "description"),
            needs=rows.areas(row, "needs", r.get("needs", "")),
            languages=rows.languages(r.get("languages", "")),
            attributes={k: v for k, v in r.items() if k not in known},
        ))
    _duplicates(rows, ids)
    return tuple(startups), rows.problems


def parse_mentors(frame: pd.DataFrame, label: str, startup_ids: set[str] | None,
                  taxonomy: Taxonomy = DEFAULT_TAXONOMY, kinds: tuple[str, ...] = MENTOR_KINDS
                  ) -> tuple[tuple[Mentor, ...], list[InputProblem]]:
    """Mentors from a table of strings, and every problem found in it."""
    rows = _Rows(frame, label, MENTOR_FIELDS)
    if not rows.ok:
        return (), rows.problems
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
        for other in conflicts if startup_ids is not None else ():
            if other not in startup_ids:
                near = difflib.get_close_matches(other, sorted(startup_ids), n=1)
                rows.add(row, "conflicts", f"names unknown startup id '{other}'",
                         f"did you mean '{near[0]}'?" if near else "use ids from startups.csv")
        mentors.append(Mentor(
            id=rows.text(row, r, "id"),
            name=rows.text(row, r, "name"),
            kind=kind,
            domains=rows.domains(row, r["domains"], taxonomy),
            expertise=rows.text(row, r, "expertise"),
            capacity=_capacity(rows, row, r["capacity"]),
            offers=rows.areas(row, "offers", r.get("offers", "")),
            languages=rows.languages(r.get("languages", "")),
            conflicts=conflicts,
            organisation=r.get("organisation", ""),
            attributes={k: v for k, v in r.items() if k not in known},
        ))
    _duplicates(rows, ids)
    return tuple(mentors), rows.problems


def _capacity(rows: _Rows, row: int, value: str) -> int:
    hint = "write a whole number of startups, 0 or more, e.g. 2"
    try:
        number = float(value)
    except ValueError:
        rows.add(row, "capacity", f"'{value}' is not a number" if value else "is empty", hint)
        return 0
    if not number.is_integer():
        rows.add(row, "capacity", f"'{value}' is not a whole number", hint)
        return 0
    if number < 0:
        rows.add(row, "capacity", f"'{value}' is negative", hint)
        return 0
    return int(number)


def parse_history(frame: pd.DataFrame, label: str
                  ) -> tuple[tuple[tuple[str, str, str], ...], list[InputProblem]]:
    """Past pairings (cohort, startup_id, mentor_id) from a table of strings."""
    rows = _Rows(frame, label, HISTORY_FIELDS)
    if not rows.ok:
        return (), rows.problems
    out = []
    for row, r in rows.records():
        values = tuple(rows.text(row, r, f) for f in ("cohort", "startup_id", "mentor_id"))
        out.append(values)
    return tuple(out), rows.problems


PREFERENCE_FIELDS = {"startup_id", "mentor_id"}
BID_VALUES = ("yes", "maybe", "no")


def parse_preferences(frame: pd.DataFrame, label: str, startup_ids: list[str], mentor_ids: list[str]
                      ) -> tuple[Preferences | None, list[InputProblem]]:
    """Stated preferences from a table of strings, and every problem found in it.

    Each row names a pair (``startup_id``, ``mentor_id``) and the startup's rank of the mentor
    (``startup_rank``: 1 = first choice, unique per startup) and / or the mentor's bid on the startup
    (``mentor_bid``: ``yes``, ``maybe`` or ``no``). A pair appears at most once.
    """
    rows = _Rows(frame, label, PREFERENCE_FIELDS)
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
        s, m = rows.text(row, r, "startup_id"), rows.text(row, r, "mentor_id")
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
            try:
                number = float(rank_text)
            except ValueError:
                number = float("nan")
            if not (number >= 1 and number.is_integer()):
                rows.add(row, "startup_rank", f"'{rank_text}' is not a whole number of 1 or more",
                         "rank the startup's first choice 1, the next 2, and so on")
            else:
                rank = int(number)
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


# ---------------------------------------------------------------- programme.yaml

def read_programme(source: str | os.PathLike | Mapping | None, label: str = "programme.yaml"
                   ) -> tuple[dict[str, Any], dict[str, Any], list[InputProblem]]:
    """Split a programme document into (rule fields for :class:`Rules`, programme metadata, problems)."""
    if source is None:
        return {}, {}, []
    if isinstance(source, Mapping):
        document: Any = dict(source)
    else:
        path = Path(source)
        label = path.name
        document = _read_document(path) or {}
    if not isinstance(document, Mapping):
        return {}, {}, [InputProblem(label, None, None, "is not a mapping of keys to values",
                                     "write 'key: value' lines, e.g. 'k: 3'")]
    rule_names = {f.name for f in dataclasses.fields(Rules)}
    rules, meta, problems = {}, {}, []
    for key, value in document.items():
        if key in rule_names:
            rules[key] = tuple(value) if key == "k" and isinstance(value, list) else value
        elif key in PROGRAMME_KEYS:
            meta[key] = value
        else:
            near = difflib.get_close_matches(str(key), sorted(rule_names | PROGRAMME_KEYS), n=1)
            problems.append(InputProblem(label, None, str(key), "unknown key",
                                         f"did you mean '{near[0]}'?" if near else
                                         f"known keys: {', '.join(sorted(rule_names | PROGRAMME_KEYS))}"))
    return rules, meta, problems


def make_rules(values: Mapping[str, Any], label: str) -> tuple[Rules, list[InputProblem]]:
    """Build :class:`Rules`, turning a refused value into a problem that names the key."""
    try:
        return Rules(**values), []
    except (TypeError, ValueError) as exc:
        return Rules(), [InputProblem(label, None, None, str(exc), "see data/README.md for the keys")]


# ---------------------------------------------------------------- cohorts

def load_cohort(
    source: Source | None = None,
    *,
    startups: Source | None = None,
    mentors: Source | None = None,
    programme: str | os.PathLike | Mapping | None = None,
    history: Source | None = None,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
    preferences: Source | None = None,
    **rule_overrides: Any,
) -> Cohort:
    """Load and validate a cohort.

    Parameters
    ----------
    source : path, optional
        A cohort folder holding ``startups`` and ``mentors`` tables (``.csv``, ``.json``, ``.yaml``
        or ``.xlsx``) and optionally ``programme.yaml`` and the history file it names; or one JSON /
        YAML document with ``startups``, ``mentors`` and optionally ``programme`` and ``history``.
    startups, mentors : path or DataFrame, optional
        The two tables given separately (instead of ``source``).
    programme : path or mapping, optional
        Programme settings and rules (see ``data/README.md``).
    history : path or DataFrame, optional
        Past pairings: columns ``cohort``, ``startup_id``, ``mentor_id``.
    preferences : path or DataFrame, optional
        Stated preferences: columns ``startup_id``, ``mentor_id``, ``startup_rank``,
        ``mentor_bid`` (see ``data/README.md``). Defaults to the file named by the programme's
        ``preferences`` key.
    **rule_overrides
        Fields of :class:`~matcher.data.models.Rules` that replace the programme's.

    Raises
    ------
    InputError
        Listing every problem found, each naming the file, row and field, and how to fix it.

    Examples
    --------
    >>> import pandas as pd
    >>> startups = pd.DataFrame({"id": ["s1"], "name": ["Scan"], "domains": ["vision/medical-imaging"],
    ...                          "description": ["Chest X-ray triage"]})
    >>> mentors = pd.DataFrame({"id": ["m1"], "name": ["Ho"], "kind": ["professor"],
    ...                         "domains": ["vision"], "expertise": ["imaging AI"], "capacity": [2]})
    >>> cohort = load_cohort(startups=startups, mentors=mentors, k=1)
    >>> cohort.mentors[0].capacity, cohort.rules.k
    (2, 1)
    """
    folder: Path | None = None
    name = "cohort"
    if source is not None:
        path = Path(source) if not isinstance(source, pd.DataFrame) else None
        if path is not None and path.is_dir():
            folder, name = path, path.name
            startups = startups if startups is not None else _find_table(path, "startups")
            mentors = mentors if mentors is not None else _find_table(path, "mentors")
            if programme is None and (path / "programme.yaml").exists():
                programme = path / "programme.yaml"
        elif path is not None and path.suffix.lower() in (".json", ".yaml", ".yml") and path.exists():
            document = _read_document(path)
            if not isinstance(document, Mapping):
                raise InputError([InputProblem(path.name, None, None, "is not a mapping",
                                               "write keys startups, mentors and programme")])
            folder, name = path.parent, path.stem
            startups = startups if startups is not None else path
            mentors = mentors if mentors is not None else path
            programme = programme if programme is not None else document.get("programme", {})
            if history is None and "history" in document and isinstance(document["history"], list):
                history = pd.DataFrame(document["history"])
        else:
            raise InputError([InputProblem(str(source), None, None,
                                           "is neither a cohort folder nor a JSON/YAML cohort file",
                                           "pass a folder holding startups.csv and mentors.csv")])
    if startups is None or mentors is None:
        raise InputError([InputProblem("input", None, "startups" if startups is None else "mentors",
                                       "is missing", "pass a cohort folder, or both startups and mentors")])

    problems: list[InputProblem] = []
    rule_values, meta, found = read_programme(programme)
    problems += found
    s_frame, s_label = read_table(startups, name="startups", key="startups")
    parsed_startups, found = parse_startups(s_frame, s_label, taxonomy)
    problems += found
    kinds = MENTOR_KINDS + tuple(str(k).lower() for k in meta.get("mentor_kinds", []) or [])
    m_frame, m_label = read_table(mentors, name="mentors", key="mentors")
    # conflicts are checked against the startups only when those could be read
    known = {s.id for s in parsed_startups} if parsed_startups or not len(s_frame) else None
    parsed_mentors, found = parse_mentors(m_frame, m_label, known, taxonomy, kinds)
    problems += found

    if history is None and meta.get("history"):
        base = folder if folder is not None else Path(".")
        history = base / str(meta["history"])
    past: tuple = ()
    if history is not None:
        h_frame, h_label = read_table(history, name="history")
        past, found = parse_history(h_frame, h_label)
        problems += found

    stated, preferences_path = None, None
    if preferences is None and meta.get("preferences"):
        preferences = (folder if folder is not None else Path(".")) / str(meta["preferences"])
    if preferences is not None:
        if not isinstance(preferences, pd.DataFrame):
            preferences_path = str(preferences)
        p_frame, p_label = read_table(preferences, name="preferences")
        stated, found = parse_preferences(p_frame, p_label, [s.id for s in parsed_startups],
                                          [m.id for m in parsed_mentors])
        problems += found

    rules, found = make_rules({**rule_values, **rule_overrides}, "programme.yaml")
    problems += found
    if problems:
        raise InputError(problems)
    # where each startup came from, so later checks (eligibility screening) can name file and row
    rows = {s.id: n + 2 for n, s in enumerate(parsed_startups)}
    return Cohort(startups=parsed_startups, mentors=parsed_mentors, rules=rules,
                  name=str(meta.get("cohort", name)), history=past,
                  meta={**meta, "folder": str(folder) if folder else None,
                        "startups_source": s_label, "startup_rows": rows,
                        "source_path": str(source) if isinstance(source, str | os.PathLike) else None,
                        "preferences_path": preferences_path},
                  preferences=stated)


def _find_table(folder: Path, stem: str) -> Path:
    for suffix in TABLE_SUFFIXES:
        if (folder / f"{stem}{suffix}").exists():
            return folder / f"{stem}{suffix}"
    raise InputError([InputProblem(str(folder), None, None, f"has no {stem} table",
                                   f"add {stem}.csv (or .json, .yaml, .xlsx) to the folder")])


# ---------------------------------------------------------------- score matrices

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


# ---------------------------------------------------------------- writing

@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds."""
    with _replacing(path, suffix=".tmp") as tmp, open(tmp, mode, **kwargs) as stream:
        yield stream


def atomic_save(path: str | os.PathLike, save: Callable[[str], Any]) -> str:
    """Call ``save(tmp_path)`` then rename onto ``path``: for writers that want a file name."""
    # the temporary file keeps the suffix: writers such as Excel's choose the format by it
    with _replacing(path, suffix=Path(path).suffix) as tmp:
        save(tmp)
    return str(Path(path))


@contextlib.contextmanager
def _replacing(path: str | os.PathLike, *, suffix: str) -> Iterator[str]:
    """A temporary file name beside ``path``, renamed onto it when the block succeeds, else removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    try:
        yield tmp
        _share_mode(tmp, target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _share_mode(tmp: str, target: Path) -> None:
    """Give the temporary file the mode a plain ``open`` would (mkstemp makes it owner-only)."""
    os.chmod(tmp, 0o666 & ~_umask())


def _umask() -> int:
    # read, not set-and-restore: os.umask would briefly change it for every thread
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (cells starting =, +, -, @, tab, CR)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out


def write_frame(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> str:
    """Write a DataFrame as CSV, JSON or Excel by the path's suffix, atomically and formula-safe."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        safe = _safe_frame(frame)
        with atomic_write(path, newline="", encoding="utf-8") as stream:
            safe.to_csv(stream, index=index)
    elif suffix == ".json":
        with atomic_write(path, encoding="utf-8") as stream:
            frame.to_json(stream, orient="records", indent=2, force_ascii=False)
    elif suffix == ".xlsx":
        safe = _safe_frame(frame)
        atomic_save(path, lambda tmp: safe.to_excel(tmp, index=index))
    else:
        raise ValueError(f"cannot write '{suffix}' files; use .csv, .json or .xlsx")
    return str(path)


def write_result_csv(result: Any, directory: str | os.PathLike) -> list[str]:
    """Write a MatchResult's tables as CSV files in ``directory``; returns their paths."""
    folder = Path(directory)
    return write_result_tables(result, folder) + _screening_csv(result, folder)


def write_result_tables(result: Any, directory: str | os.PathLike) -> list[str]:
    """``assignments.csv``, ``startups.csv`` and ``mentors.csv`` of a MatchResult; returns their paths."""
    folder = Path(directory)
    return [
        write_frame(result.assignments, folder / "assignments.csv"),
        write_frame(result.startups.reset_index(), folder / "startups.csv"),
        write_frame(result.mentors.reset_index(), folder / "mentors.csv"),
    ]


def _screening_csv(result: Any, folder: Path) -> list[str]:
    """``screening.csv`` (per startup: verdict, reason, each criterion) when the cohort was screened."""
    screening = getattr(result, "screening", None)
    if screening is None:
        return []
    return [write_frame(screening.verdicts.reset_index(), folder / "screening.csv")]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_result_json(result: Any, path: str | os.PathLike) -> str:
    """Write a MatchResult as one JSON document, atomically."""
    with atomic_write(path, encoding="utf-8") as stream:
        json.dump(result.to_dict(), stream, indent=2, default=_json_default, ensure_ascii=False)
    return str(path)


def read_result(directory: str | os.PathLike) -> tuple[dict[str, Any], pd.DataFrame]:
    """The ``result.json`` document and ``assignments.csv`` table of a result folder.

    The folder is what ``matcher match PATH --out DIR`` writes.
    """
    folder = Path(directory)
    path = folder / "result.json"
    if not path.exists():
        raise InputError([InputProblem(str(path), None, None, "file not found",
                                       "pass the folder written by 'matcher match PATH --out DIR'")])
    document = _read_document(path)
    source = document.get("source") if isinstance(document, Mapping) else None
    if not isinstance(source, Mapping) or not source.get("cohort_path"):
        raise InputError([InputProblem(path.name, None, "source", "does not say which cohort was matched",
                                       "match the cohort again with this version of matcher")])
    frame, label = read_table(folder / "assignments.csv", name="assignments")
    missing = {"startup_id", "mentor_id", "score"} - set(frame.columns)
    if missing:
        raise InputError([InputProblem(label, 1, sorted(missing)[0], "required column is missing",
                                       "use the assignments.csv written by 'matcher match'")])
    return dict(document), frame


def read_ratings(source: Source, cohort: Cohort | None = None) -> pd.DataFrame:
    """Ratings of how well pairs worked: columns ``startup_id``, ``mentor_id``, ``rating`` (1–5).

    Other columns (e.g. ``context``) are kept. With ``cohort``, the ids must be the cohort's.
    Every problem is reported with the file, row and field.
    """
    frame, label = read_table(source, name="ratings")
    rows = _Rows(frame, label, {"startup_id", "mentor_id", "rating"})
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
            number = float(r["rating"])
        except ValueError:
            number = float("nan")
        if not (1 <= number <= 5 and number.is_integer()):
            rows.add(row, "rating", f"'{r['rating']}' is not a rating from 1 to 5",
                     "rate each pair 1 (poorly) to 5 (very well)")
        values.append(number)
    if rows.problems:
        raise InputError(rows.problems)
    return frame.assign(rating=np.array(values, dtype=float))
