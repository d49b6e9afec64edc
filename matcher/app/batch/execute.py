"""One job: its content hash, and solving it and writing its files (here or on a Dask worker)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.app.batch.jobs import Job
from matcher.app.batch.outcomes import LOG, JobOutcome, crashed
from matcher.data.models import Cohort
from matcher.data.progress import labelled, report

__all__ = ["inputs_hash", "execute_job", "kill_point", "MARKER", "KILL_AT"]

#: The file a finished job leaves in its folder, last: its outcome, with its inputs hash.
MARKER = "job.json"


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


@dataclass(frozen=True)
class _Task:
    job: Job
    cohort: Cohort
    inputs_hash: str
    attempt: int = 0
    #: the batch's token in the job's lock file (see :meth:`~matcher.data.io.writers.FolderLock.holds`)
    token: str = ""


#: Test hook: ``MATCHER_TEST_KILL_AT=POINT`` (or ``POINT@N``, the N-th time) makes the process
#: kill itself with SIGKILL there, as a power cut or the OOM killer would. The points are
#: ``mid-report`` (the job's data files written, report.html half written), ``after-report``
#: (every file written, the run not stored), ``after-commit`` (the run stored, no job.json) and
#: ``after-job-json``. Read by the tests of interrupted batches; unset, it does nothing.
KILL_AT = "MATCHER_TEST_KILL_AT"
_passed: dict[str, int] = {}


def kill_point(name: str) -> None:
    """Kill this process here when :data:`KILL_AT` names this point (a test hook)."""
    wanted = os.environ.get(KILL_AT)
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def _killing(explanations: Any) -> Any:
    """``explanations`` for write_report, passing :func:`kill_point` ("mid-report") on the way.

    The report page is streamed to its temporary file, and asks for the explanations as it
    starts: the data files are written then, and the page half.
    """
    if not os.environ.get(KILL_AT):
        return explanations

    def explain(result: Any) -> Any:
        kill_point("mid-report")
        return explanations(result) if callable(explanations) else explanations

    return explain


def _clear(folder: Path) -> None:
    """Remove what an earlier, interrupted or failed run left: temporary files, job.json, job.log.

    Called with the job's lock held: no other batch writes this folder, so every temporary file
    here belongs to a writer that is gone. job.json goes first: until this run writes it again,
    the folder does not say it holds a finished job.
    """
    from matcher.app.report import OUTPUT_FILES
    from matcher.data.io.writers import temporary_files

    for name in (MARKER, LOG):
        (folder / name).unlink(missing_ok=True)
    for item in temporary_files(folder, (*OUTPUT_FILES, MARKER, LOG)):
        item.unlink(missing_ok=True)
    # the cohort's copy (cohort/) is written file by file too; the copy never holds dot files
    copy = folder / "cohort"
    if copy.is_dir():
        for item in copy.glob(".*"):
            if item.is_file():
                item.unlink(missing_ok=True)


def execute_job(task: _Task) -> tuple[JobOutcome, Any]:
    """Solve one job and write its files; returns the outcome and the result to store.

    Runs on a Dask worker or in the calling process, with the job's lock held by the batch;
    never raises for a job's own failure.
    """
    from matcher.app.report import explanation_lines, write_report
    from matcher.data.io.writers import FolderLock
    from matcher.pipeline import match_cohort

    job = task.job
    start = time.perf_counter()
    if task.token and not FolderLock.holds(job.out, task.token):
        # Dask runs a task again when the worker holding its result dies, even after the batch
        # took the result and let the job's lock go: then this run must not touch the folder
        return JobOutcome(job=job, state="failed", inputs_hash=task.inputs_hash, cohort=task.cohort.name,
                          error="not run: the batch that sent it no longer holds the job's lock",
                          exit_code=1, stage="checking its lock"), None
    stage = "clearing its folder"
    try:
        _clear(job.out)
        stage = "solving"
        scores = None
        if job.block_rows is not None:
            from matcher.scoring.blockwise import score_blockwise

            scores = score_blockwise(task.cohort, block_rows=job.block_rows)
        with labelled(job.name):
            report("job", "started", final=True)
            result = match_cohort(task.cohort, scores=scores)
        a = result.assignment
        stage = "writing its files"
        context = {"job": job.name, "inputs hash": task.inputs_hash[:16],
                   "history pairs": len(task.cohort.history)}
        page = write_report(result, job.out, context=context,
                            explanations=_killing(explanation_lines if job.explain else None))
        kill_point("after-report")
    except Exception as exc:  # the job's error, a bug or a resource limit: report it, keep the batch going
        return crashed(job, stage, exc, task.inputs_hash, task.cohort.name), None
    outcome = JobOutcome(job=job, state="done", inputs_hash=task.inputs_hash, cohort=task.cohort.name,
                         status=a.status, objective=float(a.objective), bound=float(a.bound),
                         gap=float(a.gap), solver=a.solver, seconds=time.perf_counter() - start,
                         totals=tuple(float(v) for v in result.startups["total"]), report=page)
    # the scores stay on the worker: the store needs the cohort, the rules and the pairs
    return outcome, dataclasses.replace(result, scores=None)
