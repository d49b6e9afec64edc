"""Commands that make and keep runs: ``batch`` and ``history`` (``report`` is in
:mod:`~matcher.app.cli.publishing`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.app.cli._console import stderr, stdout
from matcher.app.cli._failures import EXIT_FAILED, _fail, writing
from matcher.app.cli._progress import ProgressOption, showing_progress
from matcher.errors import InputError, InputProblem, MatcherError

__all__ = ["batch", "history", "DEFAULT_DB"]

DEFAULT_DB = Path("out") / "matcher.db"


def batch(
    jobs: Annotated[Path, typer.Argument(help="YAML job file (see matcher.app.batch).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Run jobs again even if their inputs are unchanged.")] = False,
    dask: Annotated[str | None, typer.Option(help="Run on Dask: 'local' for a LocalCluster, or a "
                                                  "scheduler address tcp://host:8786.")] = None,
    db: Annotated[str | None, typer.Option(help="History store: a SQLAlchemy URL or a SQLite file "
                                                "(default: matcher.db in the batch's out folder).")] = None,
    progress: ProgressOption = None,
) -> None:
    """Run the jobs of a job file; a failing job is reported and the others go on.

    Each job's solver may take its time_limit (from the job file or the cohort's programme.yaml),
    else 60 s for CP-SAT.

    Exit status: 0 when every job was done or skipped, 1 when any job failed, 2 when the job file
    itself is malformed (then nothing runs).
    """
    import sqlalchemy as sa

    from matcher.app.batch import run_batch

    try:
        with writing(), _batch_progress() as finished, showing_progress(progress):
            result = run_batch(jobs, force=force, dask=dask, db=db, progress=finished)
    except MatcherError as exc:
        _fail(exc)
    states = [j.state for j in result.jobs]
    stdout().print(f"{len(states)} jobs: {states.count('done')} done, {states.count('skipped')} skipped, "
                   f"{states.count('failed')} failed", highlight=False)
    for failed in result.failed:
        stderr().print(f"{failed.name} ({failed.job.source}): {failed.error}", markup=False,
                       highlight=False, style="red", soft_wrap=True)
    stdout().print(f"summary: {result.summary}", highlight=False, soft_wrap=True)
    stdout().print(f"history: {sa.make_url(result.db).render_as_string(hide_password=True)}",
                   markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(result.exit_code)


@contextlib.contextmanager
def _batch_progress() -> Iterator[Callable[[Any, int, int], None]]:
    """A line on stderr per finished job; on a terminal, a progress bar above the lines too."""

    def line(outcome: Any, n: int, total: int) -> None:
        style = "red" if outcome.state == "failed" else None
        stderr().print(f"[{n}/{total}] {outcome.line()}", markup=False, highlight=False, style=style,
                       soft_wrap=True)

    if not stderr().is_terminal:
        yield line
        return
    from rich.progress import Progress

    with Progress(console=stderr(), transient=False) as bar:
        task = bar.add_task("jobs", total=None)

        def tick(outcome: Any, n: int, total: int) -> None:
            bar.update(task, completed=n, total=total, description=outcome.name)
            line(outcome, n, total)

        yield tick


def history(
    run_id: Annotated[int | None, typer.Argument(help="A run to show; without it, list the runs.")] = None,
    db: Annotated[str, typer.Option(help="History store: a SQLAlchemy URL or a SQLite file.")] = str(
        DEFAULT_DB),
    programme: Annotated[str | None, typer.Option(help="Only runs of this programme.")] = None,
    cohort: Annotated[str | None, typer.Option(help="Only runs of this cohort.")] = None,
    adopt: Annotated[bool, typer.Option("--adopt", help="Make the run its cohort's matching, the one "
                                                        "later cohorts' history rules read.")] = False,
    resolve: Annotated[bool, typer.Option(
        "--resolve", help="Solve the run again from what the store holds and check the pairs are the same.")
    ] = False,
) -> None:
    """List the stored runs, or show one with its rules and pairs.

    With ``--resolve``, exits 1 when the run solved again differs from the stored one; that solve
    may take the run's time_limit, else 60 s for CP-SAT.
    """
    from matcher.app.store import Store

    if "://" not in db and not Path(db).exists():
        _fail(InputError([InputProblem(db, None, None, "no history database here",
                                       "run `matcher batch` first, or pass --db URL")]))
    if run_id is None and (adopt or resolve):
        _fail(InputError([InputProblem("matcher history", None, "RUN_ID", "is missing",
                                       "--adopt and --resolve act on one run: matcher history 3 --adopt")]))
    again = None
    try:
        with Store(db) as store:
            if run_id is None:
                _print_runs(store.runs(programme=programme, cohort=cohort))
                return
            if adopt:
                store.adopt(run_id)
            record, pairs = store.run(run_id), store.pairs(run_id)
            if resolve:
                from matcher.pipeline import match_cohort

                again = match_cohort(store.load_cohort(run_id))
    except MatcherError as exc:
        _fail(exc)
    _print_run(record, pairs)
    if again is not None and not _same_as_stored(again, record, pairs):
        raise typer.Exit(EXIT_FAILED)


# ---------------------------------------------------------------- what history prints

def _print_runs(records: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(records)} runs")
    for column in ("Run", "Programme", "Cohort", "Job", "Status", "Objective", "Gap", "Solver", "Pairs",
                   "When (UTC)"):
        numeric = column in ("Run", "Objective", "Gap", "Pairs")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for r in records:
        table.add_row(str(r.id) + ("*" if r.adopted else ""), r.programme, r.cohort, r.job, r.status,
                      f"{r.objective:.4f}", f"{r.gap:.2%}", r.solver, str(r.n_pairs),
                      f"{r.created_at:%Y-%m-%d %H:%M}")
    # piped output keeps whole cells (a terminal gets the table folded to its width)
    (stdout() if stdout().is_terminal else Console(width=200)).print(table, markup=False, highlight=False)
    if any(r.adopted for r in records):
        stdout().print("* adopted: the run later cohorts' history rules read")


def _print_run(record: Any, pairs: Any) -> None:
    from rich.table import Table

    out = stdout()
    out.print(f"run {record.id}: {record.programme} / {record.cohort}, job {record.job or '-'}"
              f"{' (adopted)' if record.adopted else ''}", markup=False, highlight=False)
    out.print(f"{record.status}: {record.objective_name} {record.objective:.4f}, bound {record.bound:.4f}, "
              f"gap {record.gap:.2%}, solver {record.solver}, {sum(record.timings.values()):.3f} s, "
              f"matcher {record.matcher_version}, {record.created_at:%Y-%m-%d %H:%M} UTC", highlight=False)
    out.print("rules: " + ", ".join(f"{k}={v}" for k, v in record.rules.items()), markup=False,
              highlight=False, soft_wrap=True)
    out.print(f"inputs {record.inputs_hash}; outputs {record.out_dir or '-'}", markup=False, highlight=False)
    table = Table(title=f"{len(pairs)} pairs")
    for column in ("Startup", "Mentor", "Score"):
        table.add_column(column, justify="right" if column == "Score" else "left")
    for row in pairs.itertuples(index=False):
        table.add_row(row.startup_id, row.mentor_id, f"{row.score:.3f}")
    out.print(table)


def _same_as_stored(again: Any, record: Any, pairs: Any) -> bool:
    """Say whether a run solved again gave the stored pairs and objective."""
    same = again.assignment.pairs.equals(pairs) and again.assignment.objective == record.objective
    verdict = "the same" if same else "DIFFERENT"
    stdout().print(f"solved again from the store: {verdict} pairs and objective "
                   f"({again.assignment.summary()})", highlight=False, soft_wrap=True)
    return same
