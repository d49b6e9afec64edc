"""Result folders: the tables and JSON document of a match, written and read back.

A result folder is what ``matcher match PATH --out DIR`` writes: ``assignments.csv``,
``startups.csv``, ``mentors.csv``, ``screening.csv`` when the cohort was screened, and
``result.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.io.files import read_document, read_table
from matcher.data.io.writers import atomic_write, write_frame
from matcher.errors import InputError, InputProblem

__all__ = ["write_result_csv", "write_result_tables", "write_result_json", "read_result"]


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
    document = read_document(path)
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
