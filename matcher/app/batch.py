"""Batch matching: many jobs from one job file, run here or on a Dask cluster, kept in the store.

A job file (YAML) lists jobs; each names a cohort (a folder or file for
:func:`matcher.load_cohort`), rule overrides, an output folder, and optionally a scenario sweep::

    out: out/batch                 # results and matcher.db go here (default: out)
    defaults: {k: 3, seed: 0}      # applied to every job; a job's own values win
    jobs:
      - name: spring
        cohort: data/spring-2026
        sweep: {k: [2, 3]}         # one job per combination: spring[k=2], spring[k=3]
      - name: autumn
        cohort: data/autumn-2026
        solver: cpsat
        adopt: true                # this run is the cohort's matching for later history rules

Paths are relative to the job file. A job's keys are ``name``, ``cohort``, ``out`` (default: the
job's name under the batch's ``out``), ``sweep``, ``adopt``, ``explain`` (a sentence per pair in
the report), ``block_rows`` (score a big cohort in
blocks of this many startups, spread over the Dask cluster), and any field of
:class:`matcher.data.models.Rules`, which overrides the cohort's programme.yaml. A sweep expands to the
cartesian product of its lists, in the order written.

What a batch does:

* Validates the whole file first; a malformed file is refused with every problem, naming the
  file, line, job and field, before any job runs.
* Feeds each cohort the history of its programme from the store (pairs of earlier cohorts,
  :meth:`matcher.app.store.Store.history_for`) besides its own history file, running the cohorts of a
  programme in order of start date so a later cohort sees an earlier one's matching.
* Skips a job already done with the same inputs: the content hash of the cohort's files, the
  resolved rules, the history and the matcher version is in the store and in the job's
  ``job.json``. ``force=True`` runs it again.
* Reports a failing job with its error and goes on with the others.
* Writes every file atomically (:func:`matcher.app.report.write_report`), ``job.json`` last: an
  interrupted batch leaves only complete files, and the next run redoes what was cut short.
* Records each run in the store (SQLite ``matcher.db`` beside the outputs by default).
* Writes ``index.html`` (every job, and the scenarios of each cohort side by side) and
  ``batch.json`` into the batch's ``out``.

With ``dask="local"`` (a ``LocalCluster``), a scheduler address (``tcp://host:8786``) or a
``distributed.Client``, jobs run on Dask workers; they need the job's files at the same paths
(a shared file system). Results equal a local run's bit for bit: each job is solved the same way
whichever worker runs it, and the store is written by the caller, in job order within a stage.

Examples
--------
>>> import tempfile, pathlib
>>> from matcher.app.batch import run_batch
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> spring = pathlib.Path("data/spring-2026").resolve()
>>> _ = (folder / "jobs.yaml").write_text(
...     f"jobs:\\n  - {{name: spring, cohort: {spring}, sweep: {{k: [2, 3]}}}}\\n")
>>> batch = run_batch(folder / "jobs.yaml")
>>> [(job.name, job.state, job.status) for job in batch.jobs]
[('spring[k=2]', 'done', 'optimal'), ('spring[k=3]', 'done', 'optimal')]
>>> [job.state for job in run_batch(folder / "jobs.yaml").jobs]     # same inputs: skipped
['skipped', 'skipped']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from matcher.data.models import Cohort, Rules
from matcher.errors import InfeasibleError, InputError, InputProblem, MatcherError

__all__ = ["Job", "JobOutcome", "BatchResult", "load_jobs", "run_batch", "inputs_hash", "execute_job",
           "JOB_KEYS"]

log = logging.getLogger("matcher.app.batch")

#: Keys a job may have besides rule overrides.
JOB_KEYS = ("name", "cohort", "out", "sweep", "adopt", "block_rows", "explain")
#: Keys of the job file itself.
FILE_KEYS = ("out", "db", "defaults", "jobs")
MARKER = "job.json"


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
        Rule overrides (fields of :class:`~matcher.data.models.Rules`).
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


@dataclass(frozen=True)
class JobOutcome:
    """What became of a job: ``state`` is ``done``, ``skipped`` or ``failed``."""

    job: Job
    state: str
    inputs_hash: str = ""
    cohort: str = ""
    status: str = ""
    objective: float = float("nan")
    bound: float = float("nan")
    gap: float = float("nan")
    solver: str = ""
    seconds: float = 0.0
    totals: tuple[float, ...] | None = None
    report: Path | None = None
    run_id: int | None = None
    error: str = ""
    exit_code: int = 0

    @property
    def name(self) -> str:
        return self.job.name

    def line(self) -> str:
        """One log line about the outcome."""
        if self.state == "failed":
            first = self.error.splitlines()[0] if self.error else ""
            return f"{self.name}: failed: {first}"
        return (f"{self.name}: {self.state}, {self.status} objective {self.objective:.4f} "
                f"(gap {self.gap:.2%}, {self.solver}, {self.seconds:.2f} s) → {self.report}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready facts (for ``batch.json`` and the summary page)."""
        return {"name": self.name, "cohort": self.cohort or str(self.job.cohort),
                "overrides": dict(self.job.overrides), "state": self.state, "inputs_hash": self.inputs_hash,
                "status": self.status, "objective": self.objective, "bound": self.bound, "gap": self.gap,
                "solver": self.solver, "seconds": self.seconds,
                "totals": list(self.totals) if self.totals is not None else None,
                "report": str(self.report) if self.report else None, "run_id": self.run_id,
                "error": self.error, "out": str(self.job.out)}


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: each job's outcome, the summary page and the store's URL."""

    jobs: tuple[JobOutcome, ...]
    summary: Path
    db: str

    @property
    def failed(self) -> tuple[JobOutcome, ...]:
        return tuple(j for j in self.jobs if j.state == "failed")

    @property
    def exit_code(self) -> int:
        """0 when every job was done or skipped, 1 when any failed."""
        return 1 if self.failed else 0


# ---------------------------------------------------------------- job files

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


def load_jobs(path: str | os.PathLike) -> tuple[list[Job], dict[str, Any]]:
    """Read and check a job file; returns the jobs (sweeps expanded) and the file's settings.

    Raises
    ------
    InputError
        Listing every problem in the file, each naming the file, line, job and field.
    """
    path = Path(path)
    label = path.name
    if not path.is_file():
        raise InputError([InputProblem(str(path), None, None, "job file not found",
                                       "pass a YAML file with a 'jobs' list")])
    text = path.read_text(encoding="utf-8-sig")
    try:
        document, root = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError([InputProblem(label, mark.line + 1 if mark else None, None,
                                       f"is not valid YAML: {exc}", "fix the syntax at that line")]) from None
    if not isinstance(document, Mapping) or not isinstance(document.get("jobs"), list):
        raise InputError([InputProblem(label, 1, "jobs", "is missing or not a list",
                                       "write 'jobs:' followed by '- name: ..., cohort: ...' items")])
    problems: list[InputProblem] = []
    lines = _lines(root)
    for key in document:
        if key not in FILE_KEYS:
            problems.append(InputProblem(label, lines.get(str(key)), str(key), "unknown key",
                                         _suggest(str(key), FILE_KEYS)))
    base = path.parent
    settings = {"out": _norm(base / str(document.get("out") or "out")),
                "db": document.get("db")}
    if settings["db"] and "://" not in str(settings["db"]):
        settings["db"] = str(base / str(settings["db"]))
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append(InputProblem(label, lines.get("defaults"), "defaults", "is not a mapping",
                                     "write e.g. 'defaults: {k: 3}'"))
        defaults = {}
    rule_names = tuple(f.name for f in dataclasses.fields(Rules))
    items = root.value[[str(k.value) for k, _ in root.value].index("jobs")][1].value
    jobs: list[Job] = []
    names: dict[str, int] = {}
    for index, (entry, node) in enumerate(zip(document["jobs"], items), start=1):
        where = node.start_mark.line + 1
        if not isinstance(entry, Mapping):
            problems.append(InputProblem(label, where, None, f"job {index} is not a mapping",
                                         "write '- name: ..., cohort: ...'"))
            continue
        keys = _lines(node)
        spec = {**{k: v for k, v in defaults.items() if k not in ("name", "out")}, **entry}
        name = str(entry.get("name") or f"job{index}")
        found_before = len(problems)

        def problem(key: str | None, message: str, hint: str = "", *, _name: str = name,
                    _keys: dict = keys, _where: int = where) -> None:
            problems.append(InputProblem(label, _keys.get(key, _where) if key else _where, key,
                                         f"job '{_name}': {message}", hint))

        if name in names:
            problem("name", f"is used by two jobs (first at {label}, row {names[name]})",
                    "give every job its own name")
        names.setdefault(name, where)
        for key in spec:
            if key not in JOB_KEYS and key not in rule_names:
                problem(key, "is neither a job key nor a rule", _suggest(key, JOB_KEYS + rule_names))
        if not spec.get("cohort"):
            problem("cohort", "is missing", "name the cohort folder or file, relative to the job file")
            continue
        cohort = _norm(base / str(spec["cohort"]))
        if not cohort.exists():
            problem("cohort", f"'{spec['cohort']}' does not exist", f"paths are relative to {base}")
        sweep = spec.get("sweep") or {}
        if not isinstance(sweep, Mapping) or not all(isinstance(v, list) and v for v in sweep.values()):
            problem("sweep", "is not a mapping of rule names to non-empty lists", "write e.g. {k: [2, 3]}")
            sweep = {}
        for key in sweep:
            if key not in rule_names:
                problem("sweep", f"sweeps '{key}', which is not a rule", _suggest(str(key), rule_names))
        for flag in ("adopt", "explain"):
            if not isinstance(spec.get(flag, False), bool):
                problem(flag, "is not true or false")
        block_rows = spec.get("block_rows")
        if block_rows is not None and (not isinstance(block_rows, int) or isinstance(block_rows, bool)
                                       or block_rows < 1):
            problem("block_rows", f"'{block_rows}' is not a whole number of startups", "write e.g. 5000")
        if len(problems) > found_before:
            continue
        fixed = {k: _tupled(v) for k, v in spec.items() if k in rule_names}
        out = _norm(base / str(entry["out"])) if entry.get("out") else settings["out"] / _slug(name)
        for values in itertools.product(*sweep.values()):
            varied = dict(zip(sweep, (_tupled(v) for v in values)))
            suffix = ",".join(f"{k}={_text(v)}" for k, v in varied.items())
            jobs.append(Job(name=f"{name}[{suffix}]" if suffix else name, cohort=cohort,
                            out=out / _slug(suffix.replace("=", "-")) if suffix else out,
                            overrides={**fixed, **varied}, adopt=bool(spec.get("adopt", False)),
                            block_rows=block_rows, explain=bool(spec.get("explain", False)),
                            source=f"{label}, row {where}"))
    outs: dict[Path, str] = {}
    for job in jobs:
        if job.out in outs and outs[job.out] != job.name:
            problems.append(InputProblem(label, int(job.source.rsplit(" ", 1)[1]), "out",
                                         f"job '{job.name}' writes to {job.out}, "
                                         f"as job '{outs[job.out]}' does",
                                         "give each job its own out folder"))
        outs.setdefault(job.out, job.name)
    if problems:
        raise InputError(problems)
    return jobs, settings


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


# ---------------------------------------------------------------- content hash

def inputs_hash(cohort_path: str | os.PathLike, cohort: Cohort, **settings: Any) -> str:
    """SHA-256 over the cohort's files, its resolved rules and history, and the matcher version.

    Two runs with the same hash solve the same problem the same way; a batch skips a job whose hash
    is already stored. ``settings`` that change how it is computed (``block_rows``) are included.
    """
    from matcher import __version__
    from matcher.app.store import rules_to_json

    digest = hashlib.sha256()
    digest.update(f"matcher {__version__}\n".encode())
    path = Path(cohort_path)
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")) \
        if path.is_dir() else [path]
    for file in files:
        data = file.read_bytes()
        digest.update(f"file {file.name} {len(data)}\n".encode())
        digest.update(data)
    document = {"rules": rules_to_json(cohort.rules), "history": sorted(map(list, cohort.history)),
                "name": cohort.name, "settings": settings}
    digest.update(json.dumps(document, sort_keys=True, default=str).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- one job

@dataclass(frozen=True)
class _Task:
    job: Job
    cohort: Cohort
    inputs_hash: str


def _cleanup(folder: Path) -> None:
    """Remove temporary files an interrupted run left behind."""
    from matcher.app.report import OUTPUT_FILES

    if not folder.is_dir():
        return
    prefixes = tuple(f".{name}." for name in (*OUTPUT_FILES, MARKER))
    for item in folder.iterdir():
        if item.name.startswith(prefixes) and item.is_file():
            item.unlink(missing_ok=True)


def execute_job(task: _Task) -> tuple[JobOutcome, Any]:
    """Solve one job and write its files; returns the outcome and the result to store.

    Runs on a Dask worker or in the calling process; never raises for a job's own failure.
    """
    from matcher.app.report import write_report
    from matcher.pipeline import match_cohort

    job = task.job
    start = time.perf_counter()
    try:
        _cleanup(job.out)
        scores = None
        if job.block_rows is not None:
            from matcher.scoring.blockwise import score_blockwise

            scores = score_blockwise(task.cohort, block_rows=job.block_rows)
        result = match_cohort(task.cohort, scores=scores)
        a = result.assignment
        context = {"job": job.name, "inputs hash": task.inputs_hash[:16],
                   "history pairs": len(task.cohort.history)}
        from matcher.app.report import explanation_lines

        page = write_report(result, job.out, context=context,
                            explanations=explanation_lines if job.explain else None)
    except MatcherError as exc:
        return _failed(job, exc, task.inputs_hash, task.cohort.name), None
    except Exception as exc:  # a bug or a resource limit: report it, keep the batch going
        return dataclasses.replace(_failed(job, exc, task.inputs_hash, task.cohort.name),
                                   error=f"unexpected error: {type(exc).__name__}: {exc}"), None
    outcome = JobOutcome(job=job, state="done", inputs_hash=task.inputs_hash, cohort=task.cohort.name,
                         status=a.status, objective=float(a.objective), bound=float(a.bound),
                         gap=float(a.gap), solver=a.solver, seconds=time.perf_counter() - start,
                         totals=tuple(float(v) for v in result.startups["total"]), report=page)
    # the scores stay on the worker: the store needs the cohort, the rules and the pairs
    return outcome, dataclasses.replace(result, scores=None)


def _failed(job: Job, exc: BaseException, digest: str = "", cohort: str = "") -> JobOutcome:
    code = 2 if isinstance(exc, InputError) else 3 if isinstance(exc, InfeasibleError) else 1
    return JobOutcome(job=job, state="failed", inputs_hash=digest, cohort=cohort, error=str(exc),
                      exit_code=code)


# ---------------------------------------------------------------- the batch

def run_batch(jobs_file: str | os.PathLike, *, force: bool = False, dask: Any = None,
              db: str | os.PathLike | None = None,
              progress: Callable[[JobOutcome, int, int], None] | None = None) -> BatchResult:
    """Run every job of a job file; see the module's description.

    Parameters
    ----------
    jobs_file : path
        The YAML job file.
    force : bool
        Run jobs again even when their inputs are unchanged.
    dask : None, "local", scheduler address or distributed.Client
        Where to run: in this process (None), a new LocalCluster, a running cluster.
    db : URL or path, optional
        The history store; default: ``matcher.db`` in the batch's ``out`` (or the file's ``db``).
    progress : callable, optional
        Called as ``progress(outcome, n_finished, n_jobs)`` after each job; default: log lines.

    Returns
    -------
    BatchResult
        Each job's outcome (in the file's order), the summary page and the store's URL.

    Raises
    ------
    InputError
        The job file is malformed (nothing was run).
    """
    from matcher.app.report import write_batch_summary
    from matcher.app.store import Store, database_url
    from matcher.data.io import atomic_write

    jobs, settings = load_jobs(jobs_file)
    out: Path = settings["out"]
    url = database_url(db if db is not None else settings["db"] or out / "matcher.db")
    report = progress or (lambda outcome, n, total: log.info("[%d/%d] %s", n, total, outcome.line()))
    outcomes: dict[str, JobOutcome] = {}
    finished = 0

    def done(outcome: JobOutcome) -> None:
        nonlocal finished
        finished += 1
        outcomes[outcome.name] = outcome
        report(outcome, finished, len(jobs))

    with Store(url) as store, _executor(dask) as submit:
        loaded = []
        for job in jobs:
            try:
                loaded.append((job, _load(job)))
            except MatcherError as exc:
                done(_failed(job, exc))
        for stage in _stages(loaded):
            tasks = []
            for job, cohort in stage:
                try:
                    task = _prepare(job, cohort, store)
                except MatcherError as exc:
                    done(_failed(job, exc, cohort=cohort.name))
                    continue
                skipped = None if force else _skipped(task, store)
                if skipped is not None:
                    done(skipped)
                else:
                    tasks.append(task)
            cohorts = {task.job.name: task.cohort for task in tasks}
            for outcome, result in submit(tasks):
                if result is not None:
                    run_id = store.record(result, cohort=cohorts[outcome.name],
                                          inputs_hash=outcome.inputs_hash, job=outcome.name,
                                          out_dir=str(outcome.job.out), adopt=outcome.job.adopt)
                    outcome = dataclasses.replace(outcome, run_id=run_id)
                    with atomic_write(outcome.job.out / MARKER, encoding="utf-8") as stream:
                        json.dump(outcome.to_dict(), stream, indent=2)
                done(outcome)
    ordered = tuple(outcomes[job.name] for job in jobs)
    rows = []
    for outcome in ordered:
        row = outcome.to_dict()
        row["report"] = os.path.relpath(outcome.report, out) if outcome.report else None
        rows.append(row)
    summary = write_batch_summary(rows, out / "index.html", title=f"Batch {Path(jobs_file).name}")
    with atomic_write(out / "batch.json", encoding="utf-8") as stream:
        json.dump({"jobs_file": str(jobs_file), "db": _safe_url(url), "jobs": rows,
                   "finished_at": dt.datetime.now(dt.timezone.utc).isoformat()}, stream, indent=2)
    return BatchResult(jobs=ordered, summary=summary, db=url)


def _safe_url(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def _load(job: Job) -> Cohort:
    from matcher.data.io import load_cohort
    from matcher.pipeline import with_rules

    return with_rules(load_cohort(job.cohort), **job.overrides)


def _programme(cohort: Cohort) -> str:
    from matcher.app.store import DEFAULT_PROGRAMME

    return str(cohort.meta.get("programme") or DEFAULT_PROGRAMME)


def _start(cohort: Cohort) -> dt.date | None:
    value = cohort.meta.get("start_date")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _stages(loaded: list[tuple[Job, Cohort]]) -> list[list[tuple[Job, Cohort]]]:
    """Group jobs so that a programme's cohorts run in order of start date (earlier stage first)."""
    dates: dict[str, list[dt.date]] = {}
    for _, cohort in loaded:
        if _start(cohort) is not None:
            dates.setdefault(_programme(cohort), []).append(_start(cohort))
    rank = {p: sorted(set(d)) for p, d in dates.items()}
    stages: dict[int, list[tuple[Job, Cohort]]] = {}
    for job, cohort in loaded:
        start = _start(cohort)
        stage = rank[_programme(cohort)].index(start) if start is not None else 0
        stages.setdefault(stage, []).append((job, cohort))
    return [stages[i] for i in sorted(stages)]


def _prepare(job: Job, cohort: Cohort, store: Any) -> _Task:
    """The job's cohort with the stored history of its programme added, and its content hash."""
    start = _start(cohort)
    stored = store.history_for(_programme(cohort), before=start) if start is not None else ()
    history = tuple(sorted(set(cohort.history) | set(stored)))
    cohort = dataclasses.replace(cohort, history=history)
    settings = {"block_rows": job.block_rows} if job.block_rows is not None else {}
    return _Task(job=job, cohort=cohort, inputs_hash=inputs_hash(job.cohort, cohort, **settings))


def _skipped(task: _Task, store: Any) -> JobOutcome | None:
    marker = task.job.out / MARKER
    if not marker.is_file() or not (task.job.out / "report.html").is_file():
        return None
    try:
        facts = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if facts.get("inputs_hash") != task.inputs_hash or store.find(task.inputs_hash) is None:
        return None
    return JobOutcome(job=task.job, state="skipped", inputs_hash=task.inputs_hash, cohort=task.cohort.name,
                      status=facts["status"], objective=facts["objective"], bound=facts["bound"],
                      gap=facts["gap"], solver=facts["solver"], seconds=0.0,
                      totals=tuple(facts["totals"]) if facts.get("totals") is not None else None,
                      report=task.job.out / "report.html", run_id=facts.get("run_id"))


class _executor:
    """Context manager giving ``submit(tasks)`` → iterator of (outcome, result), in task order."""

    def __init__(self, dask: Any):
        self.dask = dask
        self.client = self.cluster = None

    def __enter__(self) -> Callable[[list[_Task]], Any]:
        if self.dask is None:
            return lambda tasks: (execute_job(t) for t in tasks)
        from distributed import Client, LocalCluster

        if isinstance(self.dask, Client):
            self.client = self.dask
            owned = False
        elif self.dask == "local":
            # one single-threaded process per core; its shutdown chatter is not the user's concern
            self.cluster = LocalCluster(n_workers=min(os.cpu_count() or 1, 4), threads_per_worker=1,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client, owned = Client(self.cluster), True
        else:
            self.client, owned = Client(str(self.dask)), True
        self.owned = owned
        return self._submit

    def _submit(self, tasks: list[_Task]) -> Any:
        futures = [self.client.submit(execute_job, t, pure=False) for t in tasks]
        # in task order, so the store is written in the same order as a local run
        for future in futures:
            yield future.result()

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None and self.owned:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
