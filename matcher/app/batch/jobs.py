"""Job files: reading, checking and expanding them into :class:`Job` s.

A job file is checked whole before anything runs: every problem is reported at once, each naming
the file, line, job and field.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from matcher.data.io.files import compose_yaml, load_yaml, read_yaml_text
from matcher.data.rules import Rules, check_rules
from matcher.errors import InputError, InputProblem

__all__ = ["Job", "load_jobs", "JOB_KEYS", "FILE_KEYS"]

#: Keys a job may have besides rule overrides.
JOB_KEYS = ("name", "cohort", "out", "sweep", "adopt", "block_rows", "explain")
#: Keys of the job file itself.
FILE_KEYS = ("out", "db", "defaults", "jobs")


@dataclass(frozen=True)
class Job:
    """One job of a batch, after defaults and sweeps are applied.

    Attributes
    ----------
    name : str
        Unique in the batch; a sweep adds its values, e.g. ``spring[k=2]``.
    cohort : Path
        Folder or file of the cohort.
    out : Path
        Folder for the job's files.
    overrides : mapping of str to value
        Rule overrides (fields of :class:`~matcher.data.rules.Rules`).
    adopt : bool
        Mark the run as its cohort's matching in the store.
    explain : bool
        Add a sentence per pair saying why it was made to the report (:mod:`matcher.insight.explain`).
    block_rows : int or None
        Compute the scores in blocks of this many startups, as Dask arrays spread over the cluster
        (:func:`matcher.scoring.blockwise.score_blockwise`): for cohorts too big for one worker.
    source : str
        Where the job is written ("jobs.yaml, row 7"), for messages.
    """

    name: str
    cohort: Path
    out: Path
    overrides: Mapping[str, Any] = field(default_factory=dict)
    adopt: bool = False
    block_rows: int | None = None
    explain: bool = False
    source: str = ""


def load_jobs(path: str | os.PathLike) -> tuple[list[Job], dict[str, Any]]:
    """Read and check a job file; returns the jobs (sweeps expanded) and the file's settings.

    Raises
    ------
    InputError
        Listing every problem in the file, each naming the file, line, job and field.
    """
    path = Path(path)
    document, root = _read(path)
    found = _Problems(path.name)
    lines = _lines(root)
    for key in document:
        if key not in FILE_KEYS:
            found.add(lines.get(str(key)), str(key), "unknown key", _suggest(str(key), FILE_KEYS))
    settings = _settings(document, path.parent)
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        found.add(lines.get("defaults"), "defaults", "is not a mapping", "write e.g. 'defaults: {k: 3}'")
        defaults = {}
    nodes = root.value[[str(k.value) for k, _ in root.value].index("jobs")][1].value
    jobs: list[Job] = []
    first_row: dict[str, int] = {}
    for index, (entry, node) in enumerate(zip(document["jobs"], nodes), start=1):
        if not isinstance(entry, Mapping):
            found.add(node.start_mark.line + 1, None, f"job {index} is not a mapping",
                      "write '- name: ..., cohort: ...'")
            continue
        spec = {**{k: v for k, v in defaults.items() if k not in ("name", "out")}, **entry}
        job = _JobEntry(found, spec, node, index, path.parent)
        if job.check(first_row):
            given = entry.get("out")
            folder = _norm(path.parent / str(given)) if given else settings["out"] / _slug(job.name)
            jobs += job.expand(folder)
    _check_outs(jobs, found)
    if found.problems:
        raise InputError(found.problems)
    return jobs, settings


def _read(path: Path) -> tuple[Mapping[str, Any], yaml.MappingNode]:
    """The job file's document, and its YAML node tree (for line numbers)."""
    label = path.name
    if not path.is_file():
        raise InputError([InputProblem(str(path), None, None, "job file not found",
                                       "pass a YAML file with a 'jobs' list")])
    text = read_yaml_text(path)  # a regular file within the size limit
    try:
        # plain YAML: no anchors or aliases (a "billion laughs" bomb), nesting limited
        document, root = load_yaml(text), compose_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError([InputProblem(label, mark.line + 1 if mark else None, None,
                                       f"is not valid YAML: {exc}", "fix the syntax at that line")]) from None
    if not isinstance(document, Mapping) or not isinstance(document.get("jobs"), list):
        raise InputError([InputProblem(label, 1, "jobs", "is missing or not a list",
                                       "write 'jobs:' followed by '- name: ..., cohort: ...' items")])
    return document, root


def _settings(document: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """The batch's ``out`` folder and ``db``, paths made relative to the job file's folder."""
    settings = {"out": _norm(base / str(document.get("out") or "out")), "db": document.get("db")}
    if settings["db"] and "://" not in str(settings["db"]):
        settings["db"] = str(base / str(settings["db"]))
    return settings


class _Problems:
    """The problems found in one job file."""

    def __init__(self, label: str):
        self.label = label
        self.problems: list[InputProblem] = []

    def add(self, row: int | None, key: str | None, message: str, hint: str = "") -> None:
        self.problems.append(InputProblem(self.label, row, key, message, hint))


class _JobEntry:
    """One item of the file's ``jobs`` list, with defaults applied: checked, then expanded."""

    rule_names = tuple(f.name for f in dataclasses.fields(Rules))

    def __init__(self, found: _Problems, spec: Mapping[str, Any], node: Any, index: int, base: Path):
        self.found, self.spec, self.base = found, spec, base
        self.row = node.start_mark.line + 1
        self.keys = _lines(node)
        self.name = str(spec.get("name") or f"job{index}")

    def problem(self, key: str | None, message: str, hint: str = "") -> None:
        row = self.keys.get(key, self.row) if key else self.row
        self.found.add(row, key, f"job '{self.name}': {message}", hint)

    def check(self, first_row: dict[str, int]) -> bool:
        """Report every problem of the job's name, keys and values; True when there are none.

        ``first_row`` holds the row of each name seen so far; this job's is added.
        """
        before = len(self.found.problems)
        spec = self.spec
        if self.name in first_row:
            self.problem("name", f"is used by two jobs (first at {self.found.label}, "
                         f"row {first_row[self.name]})", "give every job its own name")
        first_row.setdefault(self.name, self.row)
        for key in spec:
            if key not in JOB_KEYS and key not in self.rule_names:
                self.problem(key, "is neither a job key nor a rule",
                             _suggest(key, JOB_KEYS + self.rule_names))
        if not spec.get("cohort"):
            self.problem("cohort", "is missing", "name the cohort folder or file, relative to the job file")
            return False
        if not self.cohort.exists():
            self.problem("cohort", f"'{spec['cohort']}' does not exist", f"paths are relative to {self.base}")
        self._check_sweep()
        self._check_rules()
        for flag in ("adopt", "explain"):
            if not isinstance(spec.get(flag, False), bool):
                self.problem(flag, "is not true or false")
        rows = spec.get("block_rows")
        if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 1):
            self.problem("block_rows", f"'{rows}' is not a whole number of startups", "write e.g. 5000")
        return len(self.found.problems) == before

    @property
    def cohort(self) -> Path:
        return _norm(self.base / str(self.spec["cohort"]))

    @property
    def sweep(self) -> Mapping[str, list]:
        sweep = self.spec.get("sweep") or {}
        valid = isinstance(sweep, Mapping) and all(isinstance(v, list) and v for v in sweep.values())
        return sweep if valid else {}

    def _check_sweep(self) -> None:
        sweep = self.spec.get("sweep") or {}
        if sweep and not self.sweep:
            self.problem("sweep", "is not a mapping of rule names to non-empty lists",
                         "write e.g. {k: [2, 3]}")
        for key in self.sweep:
            if key not in self.rule_names:
                self.problem("sweep", f"sweeps '{key}', which is not a rule",
                             _suggest(str(key), self.rule_names))

    def _check_rules(self) -> None:
        """Every rule value, and every value a sweep gives a rule, checked as Rules checks it."""
        fixed = {k: _tupled(v) for k, v in self.spec.items() if k in self.rule_names}
        tried = [fixed] + [{key: _tupled(v)} for key, values in self.sweep.items()
                           if key in self.rule_names for v in values]
        seen = set()
        for values in tried:
            for problem in check_rules(values, self.found.label)[1]:
                key = (problem.field or "").split(".")[0]
                text = (key, problem.message)
                if text not in seen:
                    seen.add(text)
                    swept = key not in self.spec
                    self.problem("sweep" if swept else problem.field,
                                 f"{problem.field}: {problem.message}" if swept else problem.message,
                                 problem.hint)

    def expand(self, out: Path) -> list[Job]:
        """One job per combination of the sweep's values, in the order written (one without a sweep)."""
        spec, sweep = self.spec, self.sweep
        fixed = {k: _tupled(v) for k, v in spec.items() if k in self.rule_names}
        jobs = []
        for values in itertools.product(*sweep.values()):
            varied = dict(zip(sweep, (_tupled(v) for v in values)))
            suffix = ",".join(f"{k}={_text(v)}" for k, v in varied.items())
            jobs.append(Job(name=f"{self.name}[{suffix}]" if suffix else self.name, cohort=self.cohort,
                            out=out / _slug(suffix.replace("=", "-")) if suffix else out,
                            overrides={**fixed, **varied}, adopt=bool(spec.get("adopt", False)),
                            block_rows=spec.get("block_rows"), explain=bool(spec.get("explain", False)),
                            source=f"{self.found.label}, row {self.row}"))
        return jobs


def _check_outs(jobs: list[Job], found: _Problems) -> None:
    """Refuse two jobs writing to the same folder."""
    outs: dict[Path, str] = {}
    for job in jobs:
        if job.out in outs and outs[job.out] != job.name:
            found.add(int(job.source.rsplit(" ", 1)[1]), "out",
                      f"job '{job.name}' writes to {job.out}, as job '{outs[job.out]}' does",
                      "give each job its own out folder")
        outs.setdefault(job.out, job.name)


# ---------------------------------------------------------------- small helpers

def _lines(node: Any) -> dict[str, int]:
    """Line (1-based) of each key of a YAML mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def _tupled(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "job"


def _norm(path: Path) -> Path:
    """``data/../out`` → ``out`` (paths are shown to people)."""
    return Path(os.path.normpath(path))


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return "-".join(_text(v) for v in value)
    return str(value)


def _suggest(word: str, choices: Sequence[str]) -> str:
    near = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean '{near[0]}'?" if near else f"known: {', '.join(choices)}"
