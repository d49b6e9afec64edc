"""The ``matcher`` console command.

Exit status: 0 on success, 2 on bad input, 3 when the rules cannot all be met, 1 on any other
failure. Messages go to stderr; user errors never print a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from matcher.errors import InfeasibleError, InputError, InputProblem, MatcherError, SolverError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Match startups to mentors for AI accelerator programmes.")
out = Console()
err = Console(stderr=True)


# The options of every command that matches a cohort (match, report), declared once.
KOption = Annotated[str | None, typer.Option(help="Mentors per startup: 3, or a range 2-3.")]
SolverOption = Annotated[str | None, typer.Option(help="auto, flow, cpsat, stable or stable-mentors.")]
TimeLimitOption = Annotated[float | None, typer.Option(help="Seconds the solver may take.")]
ObjectiveOption = Annotated[str | None, typer.Option(
    help="total (sum of scores), fair (worst-served startup first) or blend.")]


def _fail(exc: MatcherError) -> None:
    """Print a user error on stderr and exit with its status."""
    if isinstance(exc, InputError):
        label, status = "error", EXIT_BAD_INPUT
    elif isinstance(exc, InfeasibleError):
        label, status = "infeasible", EXIT_INFEASIBLE
    else:
        label, status = "solver failed", EXIT_FAILED
    # markup off: messages hold brackets such as "[total capacity]"
    err.print(f"{label}: {exc}", markup=False, highlight=False, style="red", soft_wrap=True)
    raise typer.Exit(status)


def _overrides(k: str | None, solver: str | None, time_limit: float | None,
               objective: str | None = None) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    if objective is not None:
        rules["objective"] = objective
    if k is not None:
        rules["k"] = _parse_k(k)
    if solver is not None:
        rules["solver"] = solver
    if time_limit is not None:
        rules["time_limit"] = time_limit
    return rules


def _spread_line(assignment) -> str:
    """The spread of per-startup totals: how well the worst-served startups fare."""
    spread = assignment.spread()
    return "per-startup totals: " + ", ".join(
        f"{name} {spread[name]:.4f}" for name in ("min", "q1", "median", "q3", "max"))


def _parse_k(text: str) -> int | tuple[int, int]:
    """'3' → 3; '2-3' or '2,3' → (2, 3)."""
    parts = text.replace(",", "-").split("-")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise InputError([InputProblem("option --k", None, None, f"'{text}' is not a whole number",
                                       "write e.g. --k 3, or a range --k 2-3")]) from None
    return values[0] if len(values) == 1 else (values[0], values[1])


def _match_table(result) -> Table:
    table = Table(title=f"{result.cohort.name}: {len(result.assignments)} matches", show_lines=False)
    for column in ("Startup", "Mentor", "Kind", "Score", "Rank"):
        table.add_column(column, justify="right" if column in ("Score", "Rank") else "left")
    previous = None
    for row in result.assignments.itertuples(index=False):
        name = row.startup_name if row.startup_name != previous else ""
        previous = row.startup_name
        table.add_row(name, row.mentor_name, row.mentor_kind, f"{row.score:.3f}", str(row.rank))
    return table


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="Cohort folder or file.")],
    preferences: Annotated[Path | None, typer.Option(help="A preferences file to check too.")] = None,
) -> None:
    """Check a cohort's files and report every problem found."""
    from matcher.data.eligibility import has_eligibility_data, screen
    from matcher.data.io import load_cohort

    try:
        cohort = load_cohort(path, preferences=preferences)
        if has_eligibility_data(cohort):  # malformed evidence is a problem in the files too
            screen(cohort)
    except MatcherError as exc:
        _fail(exc)
    out.print(f"{path}: OK, {len(cohort.startups)} startups, {len(cohort.mentors)} mentors, "
              f"k={cohort.rules.k}")


@app.command()
def match(
    path: Annotated[Path, typer.Argument(help="Cohort folder or file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the result files.")] = Path("out"),
    k: KOption = None,
    solver: SolverOption = None,
    time_limit: TimeLimitOption = None,
    no_screen: Annotated[bool, typer.Option("--no-screen", help="Match every startup, skipping the "
                                            "eligibility screening.")] = False,
    override: Annotated[list[str] | None, typer.Option(help="Startup id to match whatever its eligibility "
                                                       "verdict (repeatable).")] = None,
    preferences: Annotated[Path | None, typer.Option(
        help="Stated preferences (startup_id, mentor_id, startup_rank, mentor_bid); by default the "
             "file programme.yaml names, if any.")] = None,
    objective: ObjectiveOption = None,
) -> None:
    """Screen a cohort's eligibility, match it, print the matches and write CSV and JSON results."""
    from matcher.data.io import load_cohort
    from matcher.pipeline import match_cohort

    try:
        cohort = load_cohort(path, preferences=preferences)
        result = match_cohort(cohort, screen=False if no_screen else None,
                              override_eligibility=override or (),
                              **_overrides(k, solver, time_limit, objective))
    except MatcherError as exc:
        _fail(exc)
    if result.screening is not None:
        out.print(result.screening.summary(), markup=False, highlight=False)
    out.print(_match_table(result))
    out.print(result.assignment.summary(), highlight=False)
    out.print(_spread_line(result.assignment), highlight=False)
    written = result.to_csv(out_dir) + [result.to_json(out_dir / "result.json")]
    out.print(f"wrote {', '.join(written)}")


@app.command("assign")
def assign_command(
    scores: Annotated[Path, typer.Option(help="CSV of scores: startup ids in the first column, "
                                              "mentor ids in the header.")],
    out_file: Annotated[Path, typer.Option("--out", help="Output file (.csv, .json or .xlsx).")],
    k: Annotated[str, typer.Option(help="Mentors per startup: 3, or a range 2-3.")] = "3",
    capacity: Annotated[str, typer.Option(help="Startups per mentor: a number, or a CSV file with "
                                               "columns mentor_id,capacity.")] = "1",
    solver: Annotated[str, typer.Option(help="auto, flow or cpsat.")] = "auto",
    time_limit: Annotated[float | None, typer.Option(help="Seconds the solver may take.")] = None,
) -> None:
    """Assign from a score matrix file and write the pairs."""
    from matcher.data.io import read_scores, write_frame
    from matcher.solve import assign

    try:
        matrix = read_scores(scores)
        result = assign(matrix, k=_parse_k(k), capacity=_read_capacity(capacity), solver=solver,
                        time_limit=time_limit)
        write_frame(result.pairs, out_file)
    except MatcherError as exc:
        _fail(exc)
    except ValueError as exc:  # an unsupported output suffix
        _fail(InputError([InputProblem("option --out", None, None, str(exc))]))
    out.print(result.summary())
    out.print(f"wrote {out_file}")


@app.command("explain")
def explain_command(
    result_dir: Annotated[Path, typer.Argument(help="Folder written by 'matcher match PATH --out DIR'.")],
    runner_ups: Annotated[int, typer.Option(help="Runner-up mentors per startup (one re-solve each).")] = 3,
) -> None:
    """Explain a match: why each pair, the runner-ups and what a swap would cost.

    Prints one line per pair and writes explanations.csv and runner_ups.csv into RESULT_DIR.
    """
    from matcher.data.io import write_frame
    from matcher.insight.explain import explain, load_result

    try:
        result = load_result(result_dir)
        found = explain(result, n_runner_ups=runner_ups)
    except MatcherError as exc:
        _fail(exc)
    for line in found.one_liners:
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    table = Table(title="Runner-ups: the change in total score if swapped in (by re-solving)")
    for column in ("Startup", "Runner-up", "Score", "Change", "Replaces"):
        table.add_column(column, justify="right" if column in ("Score", "Change") else "left")
    for row in found.runner_ups.itertuples(index=False):
        change = "cannot" if row.objective_change != row.objective_change else f"{row.objective_change:+.4f}"
        table.add_row(row.startup_id, row.mentor_id, f"{row.score:.3f}", change, row.replaces)
    out.print(table)
    written = [write_frame(found.to_frame(), result_dir / "explanations.csv"),
               write_frame(found.runner_ups, result_dir / "runner_ups.csv")]
    out.print(f"wrote {', '.join(written)}")


@app.command("evaluate")
def evaluate_command(
    path: Annotated[Path, typer.Argument(help="Cohort folder or file the ratings are about.")],
    ratings: Annotated[Path, typer.Argument(help="CSV of ratings: startup_id, mentor_id, rating (1-5).")],
    top: Annotated[int, typer.Option("--top", help="k of the top-k accuracy.")] = 1,
    fit: Annotated[bool, typer.Option("--fit", help="Also fit the weights (cross-validated).")] = False,
) -> None:
    """Evaluate the cohort's scorer against ratings of how well pairs worked."""
    from matcher.data.io import load_cohort, read_ratings
    from matcher.insight.evaluate import fit_weights, ranking_loss, top_k_accuracy
    from matcher.scoring.affinity import score_cohort

    try:
        cohort = load_cohort(path)
        table = read_ratings(ratings, cohort)
        scores = score_cohort(cohort)
        loss, accuracy = ranking_loss(table, scores), top_k_accuracy(table, scores, k=top)
        fitted = fit_weights(table, scores) if fit else None
    except MatcherError as exc:
        _fail(exc)
    out.print(f"{len(table)} ratings: ranking loss {loss:.4f} (0 perfect, 0.5 constant scorer), "
              f"top-{top} accuracy {accuracy:.1%}", soft_wrap=True)
    if fitted is not None:
        weights = ", ".join(f"{name} {w:.2f}" for name, w in fitted.weights.items())
        out.print(f"fitted weights: {weights}; held-out loss {fitted.cv_loss:.4f} "
                  f"vs {fitted.baseline_cv_loss:.4f} with the programme's weights", soft_wrap=True)


def _pairs(option: str, values: list[str], parts: int) -> list[tuple[str, ...]]:
    out = []
    for text in values:
        items = tuple(x.strip() for x in text.split(","))
        if len(items) != parts or not all(items):
            shape = "STARTUP,MENTOR" if parts == 2 else "STARTUP,MENTOR_OUT,MENTOR_IN"
            raise InputError([InputProblem(f"option --{option}", None, None, f"'{text}' is not {shape}",
                                           f"write e.g. --{option} s-kindbot,m-zhang-wei")])
        out.append(items)
    return out


@app.command("rematch")
def rematch_command(
    result_dir: Annotated[Path, typer.Argument(help="Folder written by 'matcher match PATH --out DIR'.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the new result files.")],
    pin: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR to make (repeatable).")] = None,
    forbid: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR never to make.")] = None,
    swap: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR_OUT,MENTOR_IN.")] = None,
) -> None:
    """Change a published match (pin, forbid, swap) changing the fewest pairs; print the diff."""
    from matcher.insight.explain import load_result
    from matcher.insight.whatif import rematch

    try:
        change = rematch(load_result(result_dir), pin=_pairs("pin", pin or [], 2),
                         forbid=_pairs("forbid", forbid or [], 2), swap=_pairs("swap", swap or [], 3))
    except MatcherError as exc:
        _fail(exc)
    table = Table(title=change.summary())
    for column in ("Change", "Startup", "Mentor", "Score"):
        table.add_column(column, justify="right" if column == "Score" else "left")
    for row in change.diff[change.diff["change"] != "kept"].itertuples(index=False):
        score = row.score_after if row.change == "added" else row.score_before
        table.add_row(row.change, row.startup_id, row.mentor_id, f"{score:.3f}")
    out.print(table)
    out.print(change.after.assignment.summary())
    written = change.after.to_csv(out_dir) + [change.after.to_json(out_dir / "result.json")]
    out.print(f"wrote {', '.join(written)}")


def _read_capacity(text: str):
    try:
        return int(text)
    except ValueError:
        pass
    from matcher.data.io import read_table

    frame, label = read_table(Path(text), name="capacity")
    if not {"mentor_id", "capacity"} <= set(frame.columns):
        raise InputError([InputProblem(label, 1, None, "needs columns mentor_id and capacity",
                                       "one row per mentor")])
    import pandas as pd

    values = pd.to_numeric(frame["capacity"], errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise InputError([InputProblem(label, row, "capacity", "is not a number",
                                       "write a whole number of startups")])
    return pd.Series(values.to_numpy(), index=frame["mentor_id"])


# ---------------------------------------------------------------- batch, history, report

DEFAULT_DB = Path("out") / "matcher.db"


@app.command()
def batch(
    jobs: Annotated[Path, typer.Argument(help="YAML job file (see matcher.app.batch).")],
    force: Annotated[bool, typer.Option("--force", help="Run jobs again even if their inputs are "
                                                         "unchanged.")] = False,
    dask: Annotated[str | None, typer.Option(help="Run on Dask: 'local' for a LocalCluster, or a "
                                                  "scheduler address tcp://host:8786.")] = None,
    db: Annotated[str | None, typer.Option(help="History store: a SQLAlchemy URL or a SQLite file "
                                                "(default: matcher.db in the batch's out folder).")] = None,
) -> None:
    """Run the jobs of a job file; a failing job is reported and the others go on.

    Exit status: 0 when every job was done or skipped, 1 when any job failed, 2 when the job file
    itself is malformed (then nothing runs).
    """
    from matcher.app.batch import run_batch

    def line(outcome, n, total) -> None:
        style = "red" if outcome.state == "failed" else None
        err.print(f"[{n}/{total}] {outcome.line()}", markup=False, highlight=False, style=style,
                  soft_wrap=True)

    try:
        if err.is_terminal:
            from rich.progress import Progress

            with Progress(console=err, transient=False) as bar:
                task = bar.add_task("jobs", total=None)

                def tick(outcome, n, total) -> None:
                    bar.update(task, completed=n, total=total, description=outcome.name)
                    line(outcome, n, total)

                result = run_batch(jobs, force=force, dask=dask, db=db, progress=tick)
        else:
            result = run_batch(jobs, force=force, dask=dask, db=db, progress=line)
    except MatcherError as exc:
        _fail(exc)
    states = [j.state for j in result.jobs]
    out.print(f"{len(states)} jobs: {states.count('done')} done, {states.count('skipped')} skipped, "
              f"{states.count('failed')} failed", highlight=False)
    for failed in result.failed:
        err.print(f"{failed.name} ({failed.job.source}): {failed.error}", markup=False, highlight=False,
                  style="red", soft_wrap=True)
    out.print(f"summary: {result.summary}", highlight=False, soft_wrap=True)
    import sqlalchemy as sa

    out.print(f"history: {sa.make_url(result.db).render_as_string(hide_password=True)}", markup=False,
              highlight=False, soft_wrap=True)
    raise typer.Exit(result.exit_code)


@app.command()
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

    With ``--resolve``, exits 1 when the run solved again differs from the stored one.
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
    if again is not None:
        same = again.assignment.pairs.equals(pairs) and again.assignment.objective == record.objective
        verdict = "the same" if same else "DIFFERENT"
        out.print(f"solved again from the store: {verdict} pairs and objective "
                  f"({again.assignment.summary()})", highlight=False, soft_wrap=True)
        if not same:
            raise typer.Exit(EXIT_FAILED)


def _print_runs(records) -> None:
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
    (out if out.is_terminal else Console(width=200)).print(table, markup=False, highlight=False)
    if any(r.adopted for r in records):
        out.print("* adopted: the run later cohorts' history rules read")


@app.command()
def report(
    path: Annotated[Path, typer.Argument(help="Cohort folder or file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report and files.")] = Path("out"),
    k: KOption = None,
    solver: SolverOption = None,
    time_limit: TimeLimitOption = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add a sentence per pair saying why it "
                                                            "was made.")] = False,
    objective: ObjectiveOption = None,
    compare: Annotated[bool, typer.Option(help="Also solve with the other objective (total / fair) "
                                               "and compare the per-startup totals.")] = True,
) -> None:
    """Match a cohort and write its HTML report with plots, CSV, JSON and Excel files."""
    from matcher.app.report import explanation_lines, write_report
    from matcher.pipeline import match_cohort

    try:
        result = match_cohort(path, **_overrides(k, solver, time_limit, objective))
        others = {}
        if compare:
            other = "total" if result.rules.objective != "total" else "fair"
            # the same scores, so the two spreads differ only by the objective
            others[other] = match_cohort(result.cohort, scores=result.scores, objective=other,
                                         time_limit=time_limit).startups["total"]
    except MatcherError as exc:
        _fail(exc)
    page = write_report(result, out_dir, explanations=explanation_lines if explain else None,
                        compare=others)
    out.print(result.assignment.summary(), highlight=False)
    out.print(_spread_line(result.assignment), highlight=False)
    for name, totals in others.items():
        out.print(f"  under {name}: min {totals.min():.4f}, median {totals.median():.4f}, "
                  f"max {totals.max():.4f}", highlight=False)
    out.print(f"report: {page}", highlight=False, soft_wrap=True)


#: Short column headings and cell marks for the screening table (it must fit 80 columns).
CRITERION_HEADINGS = {"young_company": "Incorporated", "local_founders": "HK\nfounders",
                      "local_operations": "In HK", "founder_control": "Founder\nshare %",
                      "ai_company": "AI\nwork %"}
STATUS_MARKS = {"pass": ("✓", "green"), "fail": ("✗", "bold red"), "unknown": ("?", "yellow")}


def _screen_table(screening, cohort_name: str) -> Table:
    table = Table(title=f"{cohort_name}: eligibility on {screening.start_date or 'no start date'}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("Startup", no_wrap=True)
    criteria = list(screening.rules.active)
    for name in criteria:
        table.add_column(CRITERION_HEADINGS[name], no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    values = screening.table.set_index(["startup_id", "criterion"])
    for sid, row in screening.verdicts.iterrows():
        cells = []
        for name in criteria:
            mark, style = STATUS_MARKS[row[name]]
            value = values.at[(sid, name), "value"] or "empty"
            cells.append(f"[{style}]{mark} {escape(value)}[/]")
        # an overridden startup is matched: say so rather than show its (open) verdict
        verdict = "override" if row["overridden"] else row["verdict"]
        style = "green" if row["included"] else "bold red"
        table.add_row(escape(str(sid)), *cells, f"[{style}]{verdict}[/]")
    return table


@app.command("screen")
def screen_command(
    path: Annotated[Path, typer.Argument(help="Cohort folder or file.")],
    override: Annotated[list[str] | None, typer.Option(help="Startup id to admit whatever its verdict "
                                                       "(repeatable).")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write one row per startup and criterion "
                                                  "(.csv, .json or .xlsx).")] = None,
) -> None:
    """Check each startup against the programme's eligibility rules; say who is left out and why."""
    from matcher.data.eligibility import screen
    from matcher.data.io import load_cohort, write_frame

    try:
        cohort = load_cohort(path)
        screening = screen(cohort, override=override or ())
        if out_file is not None:
            write_frame(screening.table, out_file)
    except MatcherError as exc:
        _fail(exc)
    except ValueError as exc:  # an unsupported output suffix
        _fail(InputError([InputProblem("option --out", None, None, str(exc))]))
    out.print(_screen_table(screening, cohort.name))
    out.print(screening.summary(), markup=False, highlight=False)
    if out_file is not None:
        out.print(f"wrote {out_file}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        app(args=argv, prog_name="matcher")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except SolverError as exc:
        err.print(f"solver failed: {exc}", markup=False, highlight=False)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
