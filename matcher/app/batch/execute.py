"""One job: its content hash, and solving it and writing its files (here or on a Dask worker)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.app.batch.jobs import Job
from matcher.app.batch.outcomes import JobOutcome, failed
from matcher.data.models import Cohort
from matcher.errors import MatcherError

__all__ = ["inputs_hash", "execute_job", "MARKER"]

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
    from matcher.app.report import explanation_lines, write_report
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
        page = write_report(result, job.out, context=context,
                            explanations=explanation_lines if job.explain else None)
    except MatcherError as exc:
        return failed(job, exc, task.inputs_hash, task.cohort.name), None
    except Exception as exc:  # a bug or a resource limit: report it, keep the batch going
        return dataclasses.replace(failed(job, exc, task.inputs_hash, task.cohort.name),
                                   error=f"unexpected error: {type(exc).__name__}: {exc}"), None
    outcome = JobOutcome(job=job, state="done", inputs_hash=task.inputs_hash, cohort=task.cohort.name,
                         status=a.status, objective=float(a.objective), bound=float(a.bound),
                         gap=float(a.gap), solver=a.solver, seconds=time.perf_counter() - start,
                         totals=tuple(float(v) for v in result.startups["total"]), report=page)
    # the scores stay on the worker: the store needs the cohort, the rules and the pairs
    return outcome, dataclasses.replace(result, scores=None)
