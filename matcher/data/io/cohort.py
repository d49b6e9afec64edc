"""Loading a cohort: find its files, read every table, check everything, report every problem.

:func:`~matcher.data.io.load_cohort` reads a cohort folder (``startups.csv``, ``mentors.csv``, optional
``programme.yaml`` and the history and preferences files it names), one JSON / YAML document
holding the tables, or pandas DataFrames. Each step collects its problems instead of stopping at
the first, so one :class:`~matcher.errors.InputError` lists every problem of every file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.data.io.evidence import attach_evidence, parse_evidence
from matcher.data.io.files import TABLE_SUFFIXES, Source, find_table, read_document, read_table
from matcher.data.io.profiles import (
    MENTOR_FIELDS,
    STARTUP_FIELDS,
    parse_history,
    parse_mentors,
    parse_preferences,
    parse_startups,
)
from matcher.data.io.programme import make_rules, programme_label, read_programme
from matcher.data.models import Cohort, Mentor, Preferences, Startup
from matcher.data.rules import Rules
from matcher.data.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from matcher.data.vocabulary import LANGUAGES, MENTOR_KINDS
from matcher.errors import InputError, InputProblem

__all__ = ["load_cohort", "collect_cohort"]

#: A part a cohort folder lacks (its problem is recorded; nothing is read for it).
_MISSING = Path("\0missing")


@dataclass
class _Sources:
    """Where each part of a cohort comes from, once a folder or document has been looked into."""

    startups: Source | None
    mentors: Source | None
    programme: str | os.PathLike | Mapping | None
    history: Source | None
    preferences: Source | None
    evidence: Source | None = None
    folder: Path | None = None
    name: str = "cohort"
    programme_label: str = "programme.yaml"


def load_cohort(
    source: Source | None = None,
    *,
    startups: Source | None = None,
    mentors: Source | None = None,
    programme: str | os.PathLike | Mapping | None = None,
    history: Source | None = None,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
    preferences: Source | None = None,
    evidence: Source | None = None,
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
    evidence : path or DataFrame, optional
        Evidence items (papers, companies, projects, ...): columns ``mentor_id`` or
        ``startup_id``, ``title``, ``text`` and optionally ``year``, ``kind``, ``url``. Defaults to
        the folder's ``evidence.csv`` when there is one.
    **rule_overrides
        Fields of :class:`~matcher.data.rules.Rules` that replace the programme's (refused values
        name ``load_cohort`` and the key).

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
    if source is not None and not isinstance(source, (str, os.PathLike, pd.DataFrame)):
        # e.g. the (startups, mentors) pair synthetic_programme returns: say what to pass instead
        raise TypeError(f"load_cohort: a cohort is a folder or file path, not a {type(source).__name__}; "
                        "pass tables as load_cohort(startups=..., mentors=...)")
    cohort, problems = collect_cohort(source, startups=startups, mentors=mentors, programme=programme,
                                      history=history, taxonomy=taxonomy, preferences=preferences,
                                      evidence=evidence, **rule_overrides)
    if problems or cohort is None:
        raise InputError(problems)
    return cohort


def collect_cohort(
    source: Source | None = None,
    *,
    startups: Source | None = None,
    mentors: Source | None = None,
    programme: str | os.PathLike | Mapping | None = None,
    history: Source | None = None,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
    preferences: Source | None = None,
    evidence: Source | None = None,
    **rule_overrides: Any,
) -> tuple[Cohort | None, list[InputProblem]]:
    """The cohort :func:`load_cohort` loads and every problem of every file, without raising.

    The cohort is built from what could be read even when there are problems (``None`` when a
    table could not be read at all), so checks that need it (eligibility evidence, languages)
    can add their problems to the same list; see ``matcher.data.checks.check_cohort``.
    """
    problems: list[InputProblem] = []
    where = _locate(source, _Sources(startups, mentors, programme, history, preferences, evidence),
                    problems)
    try:
        rule_values, meta, found = read_programme(where.programme, where.programme_label)
    except InputError as exc:
        # unreadable: its settings are unknown, so checks that need them (screening) are skipped
        rule_values, meta, found = {}, {"programme_unreadable": True}, exc.problems
    problems += found
    parsed_startups, s_label, parsed_mentors, complete = _profiles(where, meta, taxonomy, problems)
    past = _history(where, meta, parsed_mentors if complete else None, problems)
    stated, preferences_path = _preferences(where, meta, parsed_startups, parsed_mentors, problems)
    rules = _rules(rule_values, where.programme_label, rule_overrides, problems)
    if not complete:
        return None, problems
    parsed_startups, parsed_mentors = _evidence(where, parsed_startups, parsed_mentors, problems)
    # where each startup came from, so later checks (eligibility screening) can name file and row
    rows = {s.id: n + 2 for n, s in enumerate(parsed_startups)}
    cohort = Cohort(startups=parsed_startups, mentors=parsed_mentors, rules=rules,
                  name=str(meta.get("cohort", where.name)), history=past,
                  meta={**meta, "folder": str(where.folder) if where.folder else None,
                        "startups_source": s_label, "startup_rows": rows,
                        "programme_label": where.programme_label,
                        "source_path": str(source) if isinstance(source, str | os.PathLike) else None,
                        "preferences_path": preferences_path},
                  preferences=stated)
    return cohort, problems


def _locate(source: Source | None, given: _Sources, problems: list[InputProblem]) -> _Sources:
    """Fill in the parts a cohort folder or a single cohort document holds, unless given.

    A table missing from a folder is recorded in ``problems`` (the part is left ``None``).
    """
    if source is not None:
        path = Path(source) if not isinstance(source, pd.DataFrame) else None
        if path is not None and path.is_dir():
            given.folder, given.name = path, path.name
            for part in ("startups", "mentors"):
                if getattr(given, part) is None:
                    try:
                        setattr(given, part, find_table(path, part))
                    except InputError as exc:
                        problems += exc.problems
                        setattr(given, part, _MISSING)
            if given.evidence is None:
                given.evidence = next((path / f"evidence{suffix}" for suffix in TABLE_SUFFIXES
                                       if (path / f"evidence{suffix}").exists()), None)
            if given.programme is None and (path / "programme.yaml").exists():
                given.programme = path / "programme.yaml"
        elif path is not None and path.suffix.lower() in (".json", ".yaml", ".yml") and path.exists():
            _from_document(path, given)
        else:
            raise InputError([InputProblem(str(source), None, None,
                                           "is neither a cohort folder nor a JSON/YAML cohort file",
                                           "pass a folder holding startups.csv and mentors.csv")])
    if given.startups is None or given.mentors is None:
        raise InputError([InputProblem("input", None, "startups" if given.startups is None else "mentors",
                                       "is missing", "pass a cohort folder, or both startups and mentors")])
    if given.programme_label == "programme.yaml":
        given.programme_label = programme_label(given.programme)
    return given


def _from_document(path: Path, given: _Sources) -> None:
    """One JSON / YAML document holding ``startups``, ``mentors``, ``programme`` and ``history``."""
    document = read_document(path)
    if not isinstance(document, Mapping):
        raise InputError([InputProblem(path.name, None, None, "is not a mapping",
                                       "write keys startups, mentors and programme")])
    given.folder, given.name = path.parent, path.stem
    given.startups = given.startups if given.startups is not None else path
    given.mentors = given.mentors if given.mentors is not None else path
    if given.programme is None:
        # the rules are read from a mapping inside the document: name the document in messages
        given.programme, given.programme_label = document.get("programme", {}), path.name
    if given.history is None and isinstance(document.get("history"), list):
        given.history = pd.DataFrame(document["history"])


def _table(source: Source | None, name: str, problems: list[InputProblem]
           ) -> tuple[pd.DataFrame | None, str]:
    """A table, or ``None`` with its problems recorded (so the other files are still checked)."""
    if source is None or source is _MISSING:
        return None, name
    try:
        return read_table(source, name=name, key=name)
    except InputError as exc:
        problems += exc.problems
        return None, name


def _profiles(where: _Sources, meta: Mapping[str, Any], taxonomy: Taxonomy, problems: list[InputProblem]
              ) -> tuple[tuple[Startup, ...], str, tuple[Mentor, ...], bool]:
    """The startups (and their table's label), the mentors, checked against each other, and
    whether both tables could be read with their required columns."""
    kinds = MENTOR_KINDS + _names(meta.get("mentor_kinds"), str.lower)
    spoken = LANGUAGES + _names(meta.get("languages"), str.capitalize)
    s_frame, s_label = _table(where.startups, "startups", problems)
    startups: tuple[Startup, ...] = ()
    found: list[InputProblem] = []
    s_ok = s_frame is not None and set(s_frame.columns) >= STARTUP_FIELDS
    if s_frame is not None:
        startups, found = parse_startups(s_frame, s_label, taxonomy, spoken)
        problems += found
        if s_ok and not len(s_frame):
            problems.append(InputProblem(s_label, None, None, "holds no startups",
                                         "add one row per startup under the header"))
    m_frame, m_label = _table(where.mentors, "mentors", problems)
    mentors: tuple[Mentor, ...] = ()
    m_ok = m_frame is not None and set(m_frame.columns) >= MENTOR_FIELDS
    if m_frame is not None:
        # conflicts are checked against the startups only when those could be read
        known = {s.id for s in startups} if s_ok else None
        mentors, found = parse_mentors(m_frame, m_label, known, taxonomy, kinds, spoken)
        problems += found
        if m_ok and not len(m_frame):
            problems.append(InputProblem(m_label, None, None, "holds no mentors",
                                         "add one row per mentor under the header"))
    return startups, s_label, mentors, s_ok and m_ok


def _names(value: Any, normal: Callable[[str], str]) -> tuple[str, ...]:
    """Extra names a programme lists (mentor kinds, languages); read_programme checked their shape."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(normal(str(v).strip()) for v in value if isinstance(v, str) and v.strip())


def _named_file(where: _Sources, meta: Mapping[str, Any], key: str) -> Path | None:
    """The file programme.yaml names under ``key``, relative to the cohort's folder."""
    if not meta.get(key):
        return None
    return (where.folder if where.folder is not None else Path(".")) / str(meta[key])


def _history(where: _Sources, meta: Mapping[str, Any], mentors: tuple[Mentor, ...] | None,
             problems: list[InputProblem]) -> tuple[tuple[str, str, str], ...]:
    history = where.history if where.history is not None else _named_file(where, meta, "history")
    if history is None:
        return ()
    frame, label = _table(history, "history", problems)
    if frame is None:
        return ()
    past, found = parse_history(frame, label, None if mentors is None else {m.id for m in mentors})
    problems += found
    return past


def _preferences(where: _Sources, meta: Mapping[str, Any], startups: tuple[Startup, ...],
                 mentors: tuple[Mentor, ...], problems: list[InputProblem]
                 ) -> tuple[Preferences | None, str | None]:
    """The stated preferences, and the path they were read from (``None`` for a DataFrame)."""
    preferences = where.preferences
    if preferences is None:
        preferences = _named_file(where, meta, "preferences")
    if preferences is None:
        return None, None
    frame, label = _table(preferences, "preferences", problems)
    if frame is None:
        return None, None
    stated, found = parse_preferences(frame, label, [s.id for s in startups], [m.id for m in mentors])
    problems += found
    return stated, None if isinstance(preferences, pd.DataFrame) else str(preferences)


def _evidence(where: _Sources, startups: tuple[Startup, ...], mentors: tuple[Mentor, ...],
              problems: list[InputProblem]) -> tuple[tuple[Startup, ...], tuple[Mentor, ...]]:
    """The profiles with their evidence items attached (as they were when there is no evidence)."""
    frame, label = _table(where.evidence, "evidence", problems)
    if frame is None:
        return startups, mentors
    items, found = parse_evidence(frame, label, {s.id for s in startups}, {m.id for m in mentors})
    problems += found
    return attach_evidence(startups, items), attach_evidence(mentors, items)


def _rules(values: Mapping[str, Any], label: str, overrides: Mapping[str, Any],
           problems: list[InputProblem]) -> Rules:
    """The programme's rules, then the caller's overrides; each problem names where it came from."""
    rules, found = make_rules(values, label)
    problems += found
    if overrides:
        rules, found = make_rules(overrides, "load_cohort", base=rules)
        problems += found
    return rules
