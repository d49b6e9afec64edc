"""Reading tables and documents safely: CSV, JSON, YAML and Excel, with errors that name the line.

Every table is read as text (no guessed types: an id ``007`` stays ``007``); parsing numbers,
dates and yes/no is the readers' job, through :mod:`matcher.data.values`. A file that is missing,
not UTF-8, or malformed becomes an :class:`~matcher.errors.InputError` naming the file and, where
it can, the line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from matcher.errors import InputError, InputProblem

__all__ = ["Source", "TABLE_SUFFIXES", "read_table", "read_document", "find_table"]

TABLE_SUFFIXES = (".csv", ".json", ".yaml", ".yml", ".xlsx")

Source = str | os.PathLike | pd.DataFrame


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
            frame = _records_frame(read_document(path), path, key or name)
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


def read_document(path: Path) -> Any:
    """A JSON or YAML document (safe YAML: no Python objects), or an error naming the line."""
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


def find_table(folder: Path, stem: str) -> Path:
    for suffix in TABLE_SUFFIXES:
        if (folder / f"{stem}{suffix}").exists():
            return folder / f"{stem}{suffix}"
    raise InputError([InputProblem(str(folder), None, None, f"has no {stem} table",
                                   f"add {stem}.csv (or .json, .yaml, .xlsx) to the folder")])
