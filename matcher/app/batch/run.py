"""Running a batch: its jobs in stages, here or on a Dask cluster, each run kept in the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcher.app.batch.execute import MARKER, _Task, execute_job, inputs_hash
from matcher.app.batch.index import write_index
from matcher.app.batch.jobs import Job, load_jobs
from matcher.app.batch.outcomes import BatchResult, JobOutcome, failed
from matcher.data.models import Cohort
from matcher.data.values import iso_date
from matcher.errors import MatcherError

__all__ = ["run_batch"]

log = logging.getLogger("matcher.app.batch")

Progress = Callable[[JobOutcome, int, int], None]


def run_batch(jobs_file: str | os.PathLike, *, force: bool = False, dask: Any = None,
              db: str | os.PathLike | None = None, progress: Progress | None = None) -> BatchResult:
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
    from matcher.app.store import Store, database_url

    jobs, settings = load_jobs(jobs_file)
    out: Path = settings["out"]
    url = database_url(db if db is not None else settings["db"] or out / "matcher.db")
    tally = _Tally(len(jobs), progress or _log_line)
    with Store(url) as store, _executor(dask) as submit:
        loaded = []
        for job in jobs:
            try:
                loaded.append((job, _load(job)))
            except MatcherError as exc:
                tally.done(failed(job, exc))
        for stage in _stages(loaded):
            _run_stage(stage, store, submit, tally, force=force)
    ordered = tuple(tally.outcomes[job.name] for job in jobs)
    summary = write_index(ordered, out, jobs_file=jobs_file, db=url)
    return BatchResult(jobs=ordered, summary=summary, db=url)


def _log_line(outcome: JobOutcome, n: int, total: int) -> None:
    log.info("[%d/%d] %s", n, total, outcome.line())


class _Tally:
    """Each job's outcome as it finishes, passed on to the progress callback."""

    def __init__(self, total: int, progress: Progress):
        self.total, self.progress = total, progress
        self.outcomes: dict[str, JobOutcome] = {}

    def done(self, outcome: JobOutcome) -> None:
        self.outcomes[outcome.name] = outcome
        self.progress(outcome, len(self.outcomes), self.total)


def _run_stage(stage: list[tuple[Job, Cohort]], store: Any, submit: Callable, tally: _Tally, *,
               force: bool) -> None:
    """Run the jobs of one stage (skipping those done before), record each run, write its marker."""
    tasks = []
    for job, cohort in stage:
        try:
            task = _prepare(job, cohort, store)
        except MatcherError as exc:
            tally.done(failed(job, exc, cohort=cohort.name))
            continue
        skipped = None if force else _skipped(task, store)
        if skipped is not None:
            tally.done(skipped)
        else:
            tasks.append(task)
    cohorts = {task.job.name: task.cohort for task in tasks}
    for outcome, result in submit(tasks):
        if result is not None:
            outcome = _keep(outcome, result, cohorts[outcome.name], store)
        tally.done(outcome)


def _keep(outcome: JobOutcome, result: Any, cohort: Cohort, store: Any) -> JobOutcome:
    """Record a finished job's run in the store, then write its ``job.json`` (last: it marks it done)."""
    from matcher.data.io import atomic_write

    run_id = store.record(result, cohort=cohort, inputs_hash=outcome.inputs_hash, job=outcome.name,
                          out_dir=str(outcome.job.out), adopt=outcome.job.adopt)
    outcome = dataclasses.replace(outcome, run_id=run_id)
    with atomic_write(outcome.job.out / MARKER, encoding="utf-8") as stream:
        json.dump(outcome.to_dict(), stream, indent=2)
    return outcome


def _load(job: Job) -> Cohort:
    """The job's cohort with its rule overrides."""
    from matcher.data.io import load_cohort
    from matcher.pipeline import with_rules

    return with_rules(load_cohort(job.cohort), **job.overrides)


def _programme(cohort: Cohort) -> str:
    from matcher.app.store import DEFAULT_PROGRAMME

    return str(cohort.meta.get("programme") or DEFAULT_PROGRAMME)


def _start(cohort: Cohort) -> dt.date | None:
    """The cohort's start date, if it has one."""
    value = cohort.meta.get("start_date")
    try:
        return iso_date(value) if value else None
    except ValueError:  # not a date: the store refuses it when the run is recorded
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
    """The outcome of a job done before with the same inputs, from its ``job.json``; else None."""
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
