"""What became of each job of a batch, and of the batch as a whole."""

from __future__ import annotations

import dataclasses
import datetime as dt
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.app.batch.jobs import Job
from matcher.errors import InfeasibleError, InputError, MatcherError

__all__ = ["JobOutcome", "BatchResult", "failed", "crashed", "LOG"]

#: The file a job's unexpected failure leaves in its folder: the traceback, for whoever fixes it.
LOG = "job.log"


@dataclass(frozen=True)
class JobOutcome:
    """What became of a job: ``state`` is ``done``, ``skipped`` or ``failed``.

    A failed job's ``stage`` says what it was doing (``loading``, ``preparing``, ``solving``,
    ``writing its files``, ``storing the run``, ...) and ``error`` what went wrong.
    """

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
    stage: str = ""

    @property
    def name(self) -> str:
        """The job's name, e.g. ``spring[k=2]``."""
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
                "error": self.error, "stage": self.stage, "out": str(self.job.out)}


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: each job's outcome, the summary page and the store's URL."""

    jobs: tuple[JobOutcome, ...]
    summary: Path
    db: str

    @property
    def failed(self) -> tuple[JobOutcome, ...]:
        """The outcomes of the jobs that failed, in the job file's order."""
        return tuple(j for j in self.jobs if j.state == "failed")

    @property
    def exit_code(self) -> int:
        """0 when every job was done or skipped, 1 when any failed."""
        return 1 if self.failed else 0


def failed(job: Job, exc: BaseException, digest: str = "", cohort: str = "") -> JobOutcome:
    """The outcome of a job that failed with ``exc``; its exit code is the command line's for ``exc``."""
    code = 2 if isinstance(exc, InputError) else 3 if isinstance(exc, InfeasibleError) else 1
    return JobOutcome(job=job, state="failed", inputs_hash=digest, cohort=cohort, error=str(exc),
                      exit_code=code)


def crashed(job: Job, stage: str, exc: BaseException, digest: str = "", cohort: str = "") -> JobOutcome:
    """The outcome of a job whose ``stage`` raised ``exc``, for any exception.

    An error raised on purpose (:class:`~matcher.errors.MatcherError`) keeps its message; a file
    that could not be written says which and what to do (exit status 2, or 1 for a full disk);
    anything else is a bug or a resource limit: its message says so, and its traceback goes to
    the job's :data:`LOG` file rather than the console.
    """
    if isinstance(exc, MatcherError):
        return dataclasses.replace(failed(job, exc, digest, cohort), stage=stage)
    if isinstance(exc, OSError) and stage in WRITING_STAGES:
        from matcher.data.io.writers import write_failure

        message, code = write_failure(exc)
        return JobOutcome(job=job, state="failed", inputs_hash=digest, cohort=cohort,
                          error=f"while {stage}: {message}", exit_code=code, stage=stage)
    error = f"unexpected error while {stage}: {type(exc).__name__}: {exc}"
    log = _write_log(job, stage, exc)
    error += f" (traceback in {log})" if log is not None else ""
    return JobOutcome(job=job, state="failed", inputs_hash=digest, cohort=cohort, error=error, exit_code=1,
                      stage=stage)


#: Stages that write files: an ``OSError`` there is a file that could not be written.
WRITING_STAGES = ("locking its folder", "writing its files", "writing job.json")


def _write_log(job: Job, stage: str, exc: BaseException) -> Path | None:
    """Write the traceback of ``exc`` to the job's log file; its path, or None if it cannot be."""
    from matcher.data.io import atomic_write

    path = job.out / LOG
    try:
        with atomic_write(path, encoding="utf-8") as stream:
            stream.write(f"job {job.name} ({job.source}) failed while {stage}, "
                         f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n\n")
            stream.writelines(traceback.format_exception(exc))
    except OSError:
        return None
    return path
