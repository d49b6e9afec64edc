"""Loading and writing: the only layer that touches files.

:func:`load_cohort` reads a cohort folder (``startups.csv``, ``mentors.csv``, optional
``programme.yaml`` and history file), single CSV / JSON / YAML / Excel files, or pandas DataFrames,
and validates everything at the edge: every problem in the input is reported together, each naming
the file, the row (as a spreadsheet numbers it, header = row 1), the field, and how to fix it.

Writers put each file in place atomically (a temporary file in the same folder, then a rename), so
an interrupted run never leaves a half-written output.

The modules, one idea each: :mod:`~matcher.data.io.files` (reading tables and documents safely),
:mod:`~matcher.data.io.rows` (checking a table row by row), :mod:`~matcher.data.io.profiles`
(startups, mentors, history, preferences), :mod:`~matcher.data.io.evidence` (evidence items),
:mod:`~matcher.data.io.programme` (programme.yaml),
:mod:`~matcher.data.io.cohort` (:func:`load_cohort`), :mod:`~matcher.data.io.tables` (scores,
ratings, capacities), :mod:`~matcher.data.io.writers` (atomic, formula-safe writing) and
:mod:`~matcher.data.io.results` (result folders), :mod:`~matcher.data.io.week` (availability,
meetings and choices of a matching week). Every public name is importable from here.
"""

from __future__ import annotations

from matcher.data.io.cohort import load_cohort
from matcher.data.io.evidence import EVIDENCE_FIELDS, attach_evidence, parse_evidence
from matcher.data.io.files import TABLE_SUFFIXES, Source, find_table, read_document, read_table
from matcher.data.io.profiles import (
    BID_VALUES,
    HISTORY_FIELDS,
    MENTOR_FIELDS,
    PREFERENCE_FIELDS,
    STARTUP_FIELDS,
    parse_history,
    parse_mentors,
    parse_preferences,
    parse_startups,
)
from matcher.data.io.programme import PROGRAMME_KEYS, make_rules, programme_label, read_programme
from matcher.data.io.results import (
    COHORT_COPY,
    cohort_copy,
    copy_cohort,
    read_result,
    write_result_csv,
    write_result_json,
    write_result_tables,
)
from matcher.data.io.tables import read_capacity, read_ratings, read_scores
from matcher.data.io.week import read_availability, read_choices, read_meetings
from matcher.data.io.writers import atomic_save, atomic_write, safe_cell, write_frame, write_workbook

__all__ = [
    "load_cohort",
    "read_table",
    "read_scores",
    "read_capacity",
    "read_programme",
    "make_rules",
    "atomic_write",
    "atomic_save",
    "write_frame",
    "write_workbook",
    "write_result_csv",
    "write_result_tables",
    "write_result_json",
    "safe_cell",
    "parse_startups",
    "parse_mentors",
    "parse_history",
    "parse_preferences",
    "parse_evidence",
    "attach_evidence",
    "EVIDENCE_FIELDS",
    "read_result",
    "copy_cohort",
    "cohort_copy",
    "COHORT_COPY",
    "read_ratings",
    "read_availability",
    "read_meetings",
    "read_choices",
    "read_document",
    "find_table",
    "programme_label",
    "Source",
    "TABLE_SUFFIXES",
    "PROGRAMME_KEYS",
    "STARTUP_FIELDS",
    "MENTOR_FIELDS",
    "HISTORY_FIELDS",
    "PREFERENCE_FIELDS",
    "BID_VALUES",
]
