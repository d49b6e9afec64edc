"""What a batch leaves in its ``out`` folder besides the jobs' own: ``index.html`` (every job, and
the scenarios of each cohort side by side) and ``batch.json``."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

from matcher.app.batch.outcomes import JobOutcome

__all__ = ["write_index"]


def write_index(outcomes: Sequence[JobOutcome], out: Path, *, jobs_file: str | os.PathLike, db: str) -> Path:
    """Write the summary page and ``batch.json`` into ``out``; returns the page's path."""
    from matcher.app.report import write_batch_summary
    from matcher.data.io import atomic_write

    rows = []
    for outcome in outcomes:
        row = outcome.to_dict()
        row["report"] = os.path.relpath(outcome.report, out) if outcome.report else None
        rows.append(row)
    summary = write_batch_summary(rows, out / "index.html", title=f"Batch {Path(jobs_file).name}")
    with atomic_write(out / "batch.json", encoding="utf-8") as stream:
        json.dump({"jobs_file": str(jobs_file), "db": _safe_url(db), "jobs": rows,
                   "finished_at": dt.datetime.now(dt.timezone.utc).isoformat()}, stream, indent=2)
    return summary


def _safe_url(url: str) -> str:
    """The store's URL without its password."""
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)
