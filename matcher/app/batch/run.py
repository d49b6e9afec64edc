"""Running a batch: its jobs in stages, here or on a Dask cluster, each run kept in the store.

Several batches may run the same jobs at once (two people, two cron runs, a retry while the first
is still going), and a batch may be killed at any moment. What keeps every job done exactly once:

* **A lock per job.** A batch takes a job's lock (:class:`~matcher.data.io.writers.FolderLock`,
  ``flock`` on ``.lock`` in the job's out folder) before it looks at the job and holds it until
  the job's files, run and ``job.json`` are written. It tries without waiting first: a job another
  process holds is left for later, and once the stage's other jobs are done, the batch waits for
  each such job's lock in turn and checks what the other process left: done (the job is
  reported as skipped) or not (the other process failed or died: this batch runs it). A batch
  never waits for a lock while holding another, so two batches cannot deadlock; the kernel
  releases a killed process's locks.
* **Stored once.** A job's run is stored under (its out folder, its inputs hash, attempt) in one
  transaction that adds it only if that attempt is not there yet
  (:meth:`~matcher.app.store.Store.record`, a unique index backs it). Attempt 0 is a job's first
  run; ``force`` adds attempt n when n runs are stored.
* **Written in order.** The job's files (atomically, report.html last), then the run in the
  store, then ``job.json``. A batch that finds the run stored but no ``job.json`` (killed between
  the two) checks that the files hold the stored run and writes ``job.json`` from them, without
  solving or storing again; if they do not, it solves again and stores nothing new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from matcher.app.batch.execute import MARKER, _Task, execute_job, inputs_hash, kill_point
from matcher.app.batch.index import write_index
from matcher.app.batch.jobs import Job, load_jobs
from matcher.app.batch.outcomes import BatchResult, JobOutcome, crashed
from matcher.data.models import Cohort
from matcher.data.values import iso_date

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
        Run jobs again even when their inputs are unchanged (a job another batch finishes while
        this one waits for it is not run again).
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
    OSError
        The summary page or ``batch.json`` cannot be written.
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
            except Exception as exc:  # noqa: BLE001 - a job's failure, reported with the others
                tally.done(crashed(job, "loading", exc))
        for stage in _stages(loaded):
            _Stage(store, submit, tally, force=force).run(stage)
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


class _Stage:
    """The jobs of one stage: locked, skipped or completed or run, stored and marked done."""

    def __init__(self, store: Any, submit: Callable, tally: _Tally, *, force: bool):
        self.store, self.submit, self.tally, self.force = store, submit, tally, force

    def run(self, stage: list[tuple[Job, Cohort]]) -> None:
        from matcher.data.io.writers import FolderLock

        mine, theirs = [], []
        for job, cohort in stage:
            lock = FolderLock(job.out)
            try:
                got = lock.acquire(blocking=False)
            except OSError as exc:
                self.tally.done(crashed(job, "locking its folder", exc, cohort=cohort.name))
                continue
            if got:
                mine.append((job, cohort, lock))
            else:
                log.debug("%s: another batch is running it; checked after this stage's others", job.name)
                theirs.append((job, cohort, _marker_state(job)))
        self._settle(mine)
        # the jobs another process held: one at a time, waiting for each (holding no other lock)
        for job, cohort, before in theirs:
            lock = FolderLock(job.out)
            try:
                lock.acquire(blocking=True)
            except OSError as exc:
                self.tally.done(crashed(job, "locking its folder", exc, cohort=cohort.name))
                continue
            self._settle([(job, cohort, lock)], before=before)

    def _settle(self, locked: list[tuple[Job, Cohort, Any]], before: Any = False) -> None:
        """Finish each locked job (skip, complete or run it), releasing each lock when it is done."""
        tasks, locks = [], {}
        try:
            for job, cohort, lock in locked:
                try:
                    found = self._begin(job, cohort, before)
                except Exception as exc:  # noqa: BLE001 - a job's failure, reported with the others
                    found = crashed(job, "preparing", exc, cohort=cohort.name)
                if isinstance(found, JobOutcome):
                    lock.release()
                    self.tally.done(found)
                else:
                    found = dataclasses.replace(found, token=lock.token)
                    tasks.append(found)
                    locks[job.name] = (lock, found)
            for outcome, result in self.submit(tasks):
                lock, task = locks.pop(outcome.name)
                try:
                    if result is not None:
                        outcome = _keep(outcome, result, task, self.store)
                finally:
                    lock.release()
                self.tally.done(outcome)
        finally:
            for lock, _ in locks.values():
                lock.release()

    def _begin(self, job: Job, cohort: Cohort, before: Any) -> JobOutcome | _Task:
        """With the job's lock held: its outcome when it is done already, else the task to run.

        ``before`` is the state of the job's ``job.json`` when another process held its lock
        (False when this batch took the lock at once): if it changed meanwhile, the other process
        did the job, and even ``force`` does not run it again.
        """
        task = _prepare(job, cohort, self.store)
        stored = self.store.count(task.inputs_hash, out_dir=_out_dir(job))
        done_elsewhere = before is not False and _marker_state(job) != before
        if not self.force or done_elsewhere:
            skipped = _skipped(task, self.store)
            if skipped is not None:
                return skipped
        if not self.force and stored:
            completed = _complete(task, self.store)  # killed after storing, before job.json
            if completed is not None:
                return completed
        # a job not forced is never stored again: its last attempt is found instead
        attempt = stored if self.force else max(stored - 1, 0)
        return dataclasses.replace(task, attempt=attempt)


def _out_dir(job: Job) -> str:
    """How the store names a job's out folder: its absolute path (the same from any directory)."""
    return os.path.abspath(job.out)


def _marker_state(job: Job) -> tuple[int, int, int] | None:
    """Identity and time of the job's ``job.json`` (None if absent): changed means rewritten."""
    try:
        found = (job.out / MARKER).stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _keep(outcome: JobOutcome, result: Any, task: _Task, store: Any) -> JobOutcome:
    """Record a finished job's run in the store (once), then write its ``job.json`` (last: it marks
    the job done)."""
    try:
        run_id = store.record(result, cohort=task.cohort, inputs_hash=outcome.inputs_hash, job=outcome.name,
                              out_dir=_out_dir(task.job), adopt=task.job.adopt, attempt=task.attempt)
    except Exception as exc:  # noqa: BLE001 - a job's failure, reported with the others
        return crashed(task.job, "storing the run", exc, outcome.inputs_hash, outcome.cohort)
    kill_point("after-commit")
    outcome = dataclasses.replace(outcome, run_id=run_id)
    try:
        _write_marker(outcome)
    except Exception as exc:  # noqa: BLE001
        return dataclasses.replace(crashed(task.job, "writing job.json", exc, outcome.inputs_hash,
                                           outcome.cohort), run_id=run_id)
    kill_point("after-job-json")
    return outcome


def _write_marker(outcome: JobOutcome) -> None:
    from matcher.data.io import atomic_write

    with atomic_write(outcome.job.out / MARKER, encoding="utf-8") as stream:
        json.dump(outcome.to_dict(), stream, indent=2)


def _skipped(task: _Task, store: Any) -> JobOutcome | None:
    """The outcome of a job done before with the same inputs, from its ``job.json``; else None."""
    marker = task.job.out / MARKER
    if not marker.is_file() or not (task.job.out / "report.html").is_file():
        return None
    try:
        facts = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if facts.get("inputs_hash") != task.inputs_hash or \
            store.find(task.inputs_hash, out_dir=_out_dir(task.job)) is None:
        return None
    return JobOutcome(job=task.job, state="skipped", inputs_hash=task.inputs_hash, cohort=task.cohort.name,
                      status=facts["status"], objective=facts["objective"], bound=facts["bound"],
                      gap=facts["gap"], solver=facts["solver"], seconds=0.0,
                      totals=tuple(facts["totals"]) if facts.get("totals") is not None else None,
                      report=task.job.out / "report.html", run_id=facts.get("run_id"))


def _complete(task: _Task, store: Any) -> JobOutcome | None:
    """Write the ``job.json`` of a job whose run is stored and whose files hold it; else None.

    What a batch killed after storing the run and before writing ``job.json`` leaves: the files
    are complete (report.html is written last, before the run is stored). They are checked
    against the stored run (status, objective, bound, solver and the pairs) before they are
    trusted.
    """
    from matcher.data.io import read_result

    run = store.find(task.inputs_hash, out_dir=_out_dir(task.job))
    page = task.job.out / "report.html"
    if run is None or not page.is_file():
        return None
    try:
        document, table = read_result(task.job.out)
        same = ((document["status"], document["objective"], document["bound"], document["solver"])
                == (run.status, run.objective, run.bound, run.solver))
        pairs = store.pairs(run.id)
        same = same and sorted(zip(table["startup_id"], table["mentor_id"])) == \
            sorted(zip(pairs["startup_id"], pairs["mentor_id"]))
        totals = tuple(float(row["total"]) for row in document["startups"])
    except Exception:  # noqa: BLE001 - files that cannot be read are not trusted: solve again
        return None
    if not same:
        return None
    outcome = JobOutcome(job=task.job, state="skipped", inputs_hash=task.inputs_hash, cohort=task.cohort.name,
                         status=run.status, objective=run.objective, bound=run.bound, gap=run.gap,
                         solver=run.solver, seconds=0.0, totals=totals, report=page, run_id=run.id)
    _write_marker(outcome)
    log.info("%s: its run was stored before job.json was written; job.json written now", task.job.name)
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

    def _submit(self, tasks: list[_Task]) -> Iterator[tuple[JobOutcome, Any]]:
        futures = [self.client.submit(execute_job, t, pure=False) for t in tasks]
        # in task order, so the store is written in the same order as a local run. A worker lost
        # while running a task, or holding a result not yet taken, is replaced by the scheduler,
        # which runs the task again elsewhere (the batch still holds the job's lock). A result
        # taken is released at once, so the task is not run again once the lock is let go.
        for task in tasks:
            future = futures.pop(0)
            try:
                found = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the task killed every worker
                found = (crashed(task.job, "running on the cluster", exc, task.inputs_hash,
                                 task.cohort.name), None)
            future.release()
            del future
            yield found

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None and self.owned:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
