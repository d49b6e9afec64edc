"""Reading tables and documents safely: CSV, JSON, YAML and Excel, with errors that name the line.

Every table is read as text (no guessed types: an id ``007`` stays ``007``); parsing numbers,
dates and yes/no is the readers' job, through :mod:`matcher.data.values`. A file that is missing,
not UTF-8, or malformed becomes an :class:`~matcher.errors.InputError` naming the file and, where
it can, the line.

Notes
-----
Input files come from people, and sometimes from a hostile or broken upload. Reading is safe:

* only regular files are opened: a named pipe, a device (``/dev/zero``) or a folder is refused
  before it is opened, so reading never blocks and never streams forever;
* a file larger than :func:`max_input_bytes` (200 MB, or ``MATCHER_MAX_INPUT_BYTES``) is refused,
  and so is a YAML document larger than :func:`max_yaml_bytes` (10 MB, or
  ``MATCHER_MAX_YAML_BYTES``: YAML is parsed in pure Python), and an Excel file whose unzipped
  parts add up to more than the input limit (a zip bomb);
* YAML is read by :class:`SafeYAMLLoader`: plain data only, no anchors or aliases (a 1 KB
  "billion laughs" document expands to gigabytes), at most :data:`MAX_DEPTH` levels deep, and a
  malformed date is kept as text for the reader to refuse by name;
* JSON is at most :data:`MAX_DEPTH` levels deep;
* a CSV header that names a column twice, a blank column name over filled cells, and a row with
  more or fewer fields than the header are refused, naming the row (pandas would silently rename
  the second column ``m0.1`` or fill the missing fields).
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from matcher.errors import InputError, InputProblem

__all__ = ["Source", "TABLE_SUFFIXES", "MAX_INPUT_BYTES", "MAX_YAML_BYTES", "MAX_DEPTH", "SafeYAMLLoader",
           "max_input_bytes", "max_yaml_bytes", "check_regular", "read_bytes", "read_text", "read_yaml_text",
           "load_yaml", "compose_yaml", "parse_document", "read_table",
           "read_document", "find_table"]

TABLE_SUFFIXES = (".csv", ".json", ".yaml", ".yml", ".xlsx")

Source = str | os.PathLike | pd.DataFrame

#: Largest input file read, in bytes, unless ``MATCHER_MAX_INPUT_BYTES`` says otherwise (a cohort of
#: 100,000 startups with their descriptions is about 60 MB).
MAX_INPUT_BYTES = 200 * 1024 * 1024

#: Largest YAML document read, in bytes, unless ``MATCHER_MAX_YAML_BYTES`` says otherwise.
MAX_YAML_BYTES = 10 * 1024 * 1024

#: Deepest nesting of lists and mappings accepted in a YAML or JSON document.
MAX_DEPTH = 100

_LIMIT_HINT = "split the input, or raise the limit with the environment variable {}"


def _limit(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(float(text))
    except (ValueError, OverflowError):
        return default
    return value if value > 0 else default


def max_input_bytes() -> int:
    """The size limit of an input file: ``MATCHER_MAX_INPUT_BYTES``, else :data:`MAX_INPUT_BYTES`."""
    return _limit("MATCHER_MAX_INPUT_BYTES", MAX_INPUT_BYTES)


def max_yaml_bytes() -> int:
    """The size limit of a YAML document: ``MATCHER_MAX_YAML_BYTES``, else :data:`MAX_YAML_BYTES`."""
    return _limit("MATCHER_MAX_YAML_BYTES", MAX_YAML_BYTES)


def _problem(path: Path, message: str, hint: str = "", row: int | None = None,
             field: str | None = None) -> InputError:
    return InputError([InputProblem(path.name or str(path), row, field, message, hint)])


def _too_big(path: Path, size: int, limit: int, variable: str) -> InputError:
    return _problem(path, f"is {size:,} bytes, more than the limit of {limit:,}",
                    _LIMIT_HINT.format(variable))


def check_regular(path: str | os.PathLike, *, limit: int | None = None,
                  variable: str = "MATCHER_MAX_INPUT_BYTES") -> int:
    """The size of ``path`` after checking it is a regular file within ``limit`` bytes; never opens it.

    Raises
    ------
    InputError
        Naming the file: not found, not a regular file (a pipe, a device, a folder), or too large.
    """
    path = Path(path)
    limit = max_input_bytes() if limit is None else limit
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError([InputProblem(str(path), None, None, "file not found",
                                       "check the path; a cohort folder holds startups.csv and "
                                       "mentors.csv")]) from None
    except OSError as exc:
        raise _problem(path, f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, device or socket"
        raise _problem(path, f"is {kind}, not a regular file", "pass a file saved on disk")
    if info.st_size > limit:
        raise _too_big(path, info.st_size, limit, variable)
    return info.st_size


def read_bytes(path: str | os.PathLike, *, limit: int | None = None,
               variable: str = "MATCHER_MAX_INPUT_BYTES") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (default :func:`max_input_bytes`).

    A pipe, a device, a socket or a folder is refused without being opened for reading in a way
    that could block; so is a missing or a larger file.

    Raises
    ------
    InputError
        Naming the file: not found, not a regular file, too large, or unreadable.
    """
    path = Path(path)
    limit = max_input_bytes() if limit is None else limit
    check_regular(path, limit=limit, variable=variable)
    try:
        # O_NONBLOCK: should the path be swapped for a pipe after the check, open() does not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _problem(path, f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise _problem(path, "is not a regular file", "pass a file saved on disk")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_big(path, len(data), limit, variable)
    return data


def read_text(path: str | os.PathLike, *, limit: int | None = None,
              variable: str = "MATCHER_MAX_INPUT_BYTES") -> str:
    """A regular file's UTF-8 text (a byte-order mark is dropped); see :func:`read_bytes`."""
    path = Path(path)
    data = read_bytes(path, limit=limit, variable=variable)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _problem(path, f"is not UTF-8 text (byte {exc.start} cannot be decoded)",
                       "save the file as UTF-8 (in Excel: 'CSV UTF-8')", row=line) from None


# ---------------------------------------------------------------- YAML and JSON

class SafeYAMLLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases, nested at most :data:`MAX_DEPTH` deep.

    >>> load_yaml("k: 3\\nweights: {text: 1}")
    {'k': 3, 'weights': {'text': 1}}
    >>> try:
    ...     load_yaml("a: &x [1]\\nb: *x")
    ... except yaml.YAMLError as exc:
    ...     print(exc.problem)
    found an anchor or alias (&name / *name); matcher reads plain YAML only (write the value out again)
    """

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, refusing anchors, aliases and nesting deeper than ``MAX_DEPTH``."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "found an anchor or alias (&name / *name); matcher reads plain YAML only "
                "(write the value out again)", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nests deeper than {MAX_DEPTH} levels", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: Any) -> Any:
        """Keep a date-like scalar as text, so the reader checks it and names it if malformed."""
        # 2026-13-45 looks like a date to YAML; keep it as text for the reader to refuse by name
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


SafeYAMLLoader.add_constructor("tag:yaml.org,2002:timestamp", SafeYAMLLoader.construct_yaml_timestamp)


def load_yaml(text: str) -> Any:
    """Plain data from YAML text through :class:`SafeYAMLLoader` (raises ``yaml.YAMLError``)."""
    loader = SafeYAMLLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def compose_yaml(text: str) -> Any:
    """The node tree of YAML text (for line numbers), with the limits of :class:`SafeYAMLLoader`."""
    loader = SafeYAMLLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _depth(value: Any) -> int:
    """How deep lists and mappings nest in ``value``, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, Mapping) else item))
    return deepest


def parse_document(text: str, kind: str, label: str) -> Any:
    """A JSON (``kind="json"``) or YAML document from text, or an error naming ``label`` and the line."""
    try:
        document = json.loads(text) if kind == "json" else load_yaml(text)
    except RecursionError:
        document = None
        deep = True
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(exc, "lineno", None) or (mark.line + 1 if mark else None)
        # PyYAML's own text repeats the line with a caret; the problem and the row say it plainly
        words = getattr(exc, "problem", None) or getattr(exc, "msg", None) or str(exc)
        context = getattr(exc, "context", None)
        words = f"{context}: {words}" if context else words
        raise InputError([InputProblem(label, line, None, f"is not valid {kind.upper()}: {words}",
                                       "fix the syntax at that line")]) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of 10,000 digits
        raise InputError([InputProblem(label, None, None, f"is not valid {kind.upper()}: {exc}")]) from None
    else:
        deep = _depth(document) > MAX_DEPTH
    if deep:
        raise InputError([InputProblem(label, None, None, f"nests lists or mappings deeper than {MAX_DEPTH} "
                                       "levels", "write plain settings and tables")])
    return document


def read_yaml_text(path: str | os.PathLike) -> str:
    """The text of a YAML file, within :func:`max_yaml_bytes` (see :func:`read_text`)."""
    return read_text(path, limit=min(max_yaml_bytes(), max_input_bytes()), variable="MATCHER_MAX_YAML_BYTES")


def read_document(path: str | os.PathLike) -> Any:
    """A JSON or YAML document (plain data only; see the module's Notes), or an error naming the line."""
    path = Path(path)
    kind = "json" if path.suffix.lower() == ".json" else "yaml"
    text = read_yaml_text(path) if kind == "yaml" else read_text(path)
    return parse_document(text, kind, path.name)


# ---------------------------------------------------------------- tables

def read_table(source: Source, *, name: str = "table", key: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a table as strings from CSV, JSON, YAML or Excel, or take a DataFrame as it is.

    Returns the table and a label for error messages (the file name). ``key`` selects a list
    inside a JSON / YAML document holding several tables (``{"startups": [...], ...}``). The
    frame's ``attrs["rows"]`` holds each record's row as a spreadsheet shows it, when it is not
    simply its position + 2 (blank lines skipped, or records spanning lines).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index() if source.index.name == "id" else source
        return frame.astype(object).where(frame.notna(), ""), f"{name} (DataFrame)"
    path = Path(source)
    label = path.name
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError([InputProblem(label, None, None, f"unsupported file type '{suffix}'",
                                       f"use one of {', '.join(TABLE_SUFFIXES)}")])
    if suffix == ".csv":
        frame = _csv_frame(read_text(path), label)
    elif suffix == ".xlsx":
        frame = _excel_frame(path, label)
    else:
        frame = _records_frame(read_document(path), path, key or name)
    return frame, label


def _csv_frame(text: str, label: str) -> pd.DataFrame:
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InputError([InputProblem(label, None, None, f"is not a well-formed CSV table: {exc}",
                                       "a field holding a comma, quote or newline must be in double "
                                       "quotes, and a quote inside it doubled")]) from None
    return _rows_frame(records, label)


def _excel_frame(path: Path, label: str) -> pd.DataFrame:
    limit = max_input_bytes()
    check_regular(path, limit=limit)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError([InputProblem(label, None, None, f"is not an Excel workbook: {exc}",
                                       "save it from Excel as .xlsx, or as CSV UTF-8")]) from None
    if unpacked > limit:
        raise InputError([InputProblem(label, None, None, f"unpacks to {unpacked:,} bytes, more than the "
                                       f"limit of {limit:,}", _LIMIT_HINT.format("MATCHER_MAX_INPUT_BYTES"))])
    try:
        raw = pd.read_excel(path, dtype=str, header=None).fillna("")
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise InputError([InputProblem(label, None, None, f"cannot be read as an Excel workbook: {exc}",
                                       "save it from Excel as .xlsx, or as CSV UTF-8")]) from None
    return _rows_frame(raw.to_numpy().tolist(), label, ragged_ok=True)


def _rows_frame(records: list[list[Any]], label: str, *, ragged_ok: bool = False) -> pd.DataFrame:
    """A frame of strings from a header row and records, refusing what pandas would silently mend.

    Rows are counted as a spreadsheet shows them (header = 1); blank records are skipped. With
    ``ragged_ok`` (Excel, whose rows always have the sheet's width) a row's length is not checked.
    """
    numbered = [(n, [str(c) for c in r]) for n, r in enumerate(records, start=1)
                if any(str(c).strip() for c in r)]
    if not numbered:
        return pd.DataFrame()
    (_, header), body = numbered[0], numbered[1:]
    names = [h.strip() for h in header]
    problems: list[InputProblem] = []
    first: dict[str, int] = {}
    for position, column in enumerate(names, start=1):
        if column and column in first:
            problems.append(InputProblem(label, 1, column, f"column '{column}' appears twice (columns "
                                         f"{first[column]} and {position})",
                                         "give every column its own name"))
        first.setdefault(column, position)
    width = len(names)
    for row, cells in body:
        if not ragged_ok and len(cells) != width:
            problems.append(InputProblem(label, row, None, f"has {len(cells)} fields, the header has {width}",
                                         "quote fields that hold commas, and give every row one field per "
                                         "column"))
    if problems:
        raise InputError(problems)
    keep = []
    for position, column in enumerate(names):
        filled = any(position < len(cells) and cells[position].strip() for _, cells in body)
        if column or position == 0:
            keep.append(position)
        elif filled:
            problems.append(InputProblem(label, 1, None, f"column {position + 1} has no name but holds "
                                         "values", "name the column in the header row, or delete it"))
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame([[cells[p] if p < len(cells) else "" for p in keep] for _, cells in body],
                         columns=[names[p] for p in keep], dtype=object)
    rows = [row for row, _ in body]
    if rows != list(range(2, len(rows) + 2)):
        frame.attrs["rows"] = rows
    return frame


def _records_frame(document: Any, path: Path, key: str) -> pd.DataFrame:
    if isinstance(document, Mapping) and key in document:
        document = document[key]
    if not isinstance(document, list) or not all(isinstance(r, Mapping) for r in document):
        raise InputError([InputProblem(path.name, None, key, "is not a list of records",
                                       f"write a list of objects, or a mapping with a '{key}' list")])
    rows = [{str(k): _as_text(v) for k, v in record.items()} for record in document]
    return pd.DataFrame(rows, dtype=object).fillna("")


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def find_table(folder: Path, stem: str) -> Path:
    """The table ``stem`` in ``folder`` with the first suffix of ``TABLE_SUFFIXES`` that exists."""
    for suffix in TABLE_SUFFIXES:
        if (folder / f"{stem}{suffix}").exists():
            return folder / f"{stem}{suffix}"
    raise InputError([InputProblem(str(folder), None, None, f"has no {stem} table",
                                   f"add {stem}.csv (or .json, .yaml, .xlsx) to the folder")])
