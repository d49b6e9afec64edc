"""Result folders: the tables and JSON document of a match, written and read back.

A result folder is what ``matcher match PATH --out DIR`` writes: ``assignments.csv``,
``startups.csv``, ``mentors.csv``, ``screening.csv`` when the cohort was screened, ``result.json``
and ``cohort/``, a copy of the cohort's files as they were filed. ``result.json`` records the
copy's content hash (``source.cohort_sha256``), so a result folder explains, reports and rematches
on its own after the data folder has moved or changed, and a copy edited since is refused by name
(``copy_cohort``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.io.files import check_regular, read_document, read_table
from matcher.data.io.writers import atomic_save, atomic_write, write_frame
from matcher.errors import InputError, InputProblem

__all__ = ["write_result_csv", "write_result_tables", "write_result_json", "read_result", "copy_cohort",
           "cohort_copy", "COHORT_COPY"]

#: The folder inside a result folder that holds the copy of the cohort as filed.
COHORT_COPY = "cohort"


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
    """Write a MatchResult as one JSON document, atomically, with a copy of its cohort beside it.

    The cohort's files go to ``cohort/`` in the same folder (:func:`copy_cohort`) and the document
    records where and their content hash, so the folder is self-contained.
    """
    document = result.to_dict()
    source = document.get("source") or {}
    copied = copy_cohort(source.get("cohort_path"), source.get("preferences_path"), Path(path).parent)
    if copied is not None:
        document["source"] = {**source, **copied}
    with atomic_write(path, encoding="utf-8") as stream:
        json.dump(document, stream, indent=2, default=_json_default, ensure_ascii=False)
    return str(path)


def _content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for item in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    return digest.hexdigest()


def copy_cohort(cohort_path: str | os.PathLike | None, preferences_path: str | os.PathLike | None,
                folder: str | os.PathLike) -> dict[str, str] | None:
    """Copy a cohort's files as filed into ``folder/cohort/``; returns what ``result.json`` records.

    A cohort folder's files (not its sub-folders) are copied, a single-file cohort as that file,
    and a preferences file from elsewhere beside them. Each file is written atomically. Returns
    ``cohort_copy`` (the copy, relative to ``folder``), ``cohort_file`` (the cohort's name inside
    it, for a single-file cohort), ``preferences_copy`` and ``cohort_sha256``; None when the cohort
    came from no file (DataFrames).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     copied = copy_cohort("data/spring-2026", None, folder)
    ...     copied["cohort_copy"], len(copied["cohort_sha256"]), cohort_copy(folder, copied)[0].name
    ('cohort', 64, 'cohort')
    """
    if not cohort_path:
        return None
    source, target = Path(cohort_path), Path(folder) / COHORT_COPY
    files = ([p for p in sorted(source.iterdir()) if p.is_file() and not p.name.startswith(".")]
             if source.is_dir() else [source])
    if preferences_path and Path(preferences_path).resolve().parent != source.resolve():
        files.append(Path(preferences_path))
    if source.resolve() != target.resolve():
        for item in files:
            check_regular(item)
            atomic_save(target / item.name, lambda tmp, item=item: shutil.copyfile(item, tmp))
    out = {"cohort_copy": COHORT_COPY, "cohort_sha256": _content_hash(target)}
    if not source.is_dir():
        out["cohort_file"] = source.name
    if preferences_path:
        out["preferences_copy"] = Path(preferences_path).name
    return out


def cohort_copy(directory: str | os.PathLike, source: Mapping[str, Any]) -> tuple[Path, Path | None] | None:
    """The cohort copy of a result folder and its preferences file, checked against the hash.

    Returns None for a folder written before copies were kept (its ``cohort_path`` is used).

    Raises
    ------
    InputError
        The copy is missing or its files changed since the match.
    """
    if not source.get("cohort_copy"):
        return None
    folder = Path(directory) / str(source["cohort_copy"])
    label = f"{Path(directory).name}/{source['cohort_copy']}"
    if not folder.is_dir():
        raise InputError([InputProblem(label, None, None, "the copy of the cohort is missing",
                                       "copy the whole result folder, or match the cohort again")])
    if _content_hash(folder) != source.get("cohort_sha256"):
        raise InputError([InputProblem(label, None, None, "the files changed since the match "
                                       "(their content hash differs from result.json's cohort_sha256)",
                                       "restore the files as they were, or match the cohort again")])
    cohort = folder / str(source["cohort_file"]) if source.get("cohort_file") else folder
    preferences = folder / str(source["preferences_copy"]) if source.get("preferences_copy") else None
    return cohort, preferences


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
