"""Commands that check and match a cohort: ``validate``, ``screen``, ``match`` and ``assign``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.app.cli._console import stdout
from matcher.app.cli._failures import _fail, bad_option, writing
from matcher.app.cli._options import (
    AssignTimeLimitOption,
    KOption,
    MaxProbabilityOption,
    ObjectiveOption,
    OverrideOption,
    PathArgument,
    SolverOption,
    TimeLimitOption,
    parse_k,
    read_capacity,
    rule_overrides,
)
from matcher.app.cli._progress import ProgressOption, showing_progress
from matcher.errors import MatcherError

__all__ = ["validate", "screen_command", "match", "assign_command", "CRITERION_HEADINGS", "STATUS_MARKS"]

#: Short column headings and cell marks for the screening table (it must fit 80 columns).
CRITERION_HEADINGS = {"young_company": "Incorporated", "local_founders": "HK\nfounders",
                      "local_operations": "In HK", "founder_control": "Founder\nshare %",
                      "ai_company": "AI\nwork %"}
STATUS_MARKS = {"pass": ("✓", "green"), "fail": ("✗", "bold red"), "unknown": ("?", "yellow")}

OutFileOption = Annotated[Path | None, typer.Option(
    "--out", help="Write one row per startup and criterion (.csv, .json or .xlsx).")]


def validate(
    path: PathArgument,
    preferences: Annotated[Path | None, typer.Option(help="A preferences file to check too.")] = None,
) -> None:
    """Check a cohort's files and report every problem found."""
    from matcher.data.checks import check_cohort

    try:
        # every check match relies on, the problems of all files reported together
        cohort = check_cohort(path, preferences=preferences)
    except MatcherError as exc:
        _fail(exc)
    stdout().print(f"{path}: OK, {len(cohort.startups)} startups, {len(cohort.mentors)} mentors, "
                   f"k={cohort.rules.k}")


def screen_command(
    path: PathArgument,
    override: Annotated[list[str] | None, typer.Option(
        help="Startup id to admit whatever its verdict (repeatable).")] = None,
    out_file: OutFileOption = None,
) -> None:
    """Check each startup against the programme's eligibility rules; say who is left out and why."""
    from matcher.data.eligibility import screen
    from matcher.data.io import load_cohort

    try:
        cohort = load_cohort(path)
        screening = screen(cohort, override=override or ())
    except MatcherError as exc:
        _fail(exc)
    if out_file is not None:
        write_table(screening.table, out_file)
    stdout().print(screen_table(screening, cohort.name))
    stdout().print(screening.summary(), markup=False, highlight=False)
    if out_file is not None:
        stdout().print(f"wrote {out_file}")


def match(
    path: PathArgument,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the result files.")] = Path("out"),
    k: KOption = None,
    solver: SolverOption = None,
    time_limit: TimeLimitOption = None,
    no_screen: Annotated[bool, typer.Option(
        "--no-screen", help="Match every startup, skipping the eligibility screening.")] = False,
    override: OverrideOption = None,
    preferences: Annotated[Path | None, typer.Option(
        help="Stated preferences (startup_id, mentor_id, startup_rank, mentor_bid); by default the "
             "file programme.yaml names, if any.")] = None,
    objective: ObjectiveOption = None,
    progress: ProgressOption = None,
    max_probability: MaxProbabilityOption = None,
) -> None:
    """Screen a cohort's eligibility, match it, print the matches and write CSV and JSON results."""
    from matcher.data.io import load_cohort
    from matcher.pipeline import match_cohort

    try:
        with showing_progress(progress):
            cohort = load_cohort(path, preferences=preferences)
            result = match_cohort(cohort, screen=False if no_screen else None,
                                  override_eligibility=override or (),
                                  **rule_overrides(k, solver, time_limit, objective, max_probability))
    except MatcherError as exc:
        _fail(exc)
    with writing():  # first: nothing is shown as done when the files could not be written
        written = result.to_csv(out_dir) + [result.to_json(out_dir / "result.json")]
    if result.screening is not None:
        stdout().print(result.screening.summary(), markup=False, highlight=False)
    stdout().print(match_table(result))
    stdout().print(result.assignment.summary(), highlight=False)
    stdout().print(spread_line(result.assignment), highlight=False)
    stdout().print(f"wrote {', '.join(written)}")


def assign_command(
    scores: Annotated[Path, typer.Option(
        help="CSV of scores: startup ids in the first column, mentor ids in the header.")],
    out_file: Annotated[Path, typer.Option("--out", help="Output file (.csv, .json or .xlsx).")],
    k: Annotated[str, typer.Option(help="Mentors per startup: 3, or a range 2-3.")] = "3",
    capacity: Annotated[str, typer.Option(
        help="Startups per mentor: a number, or a CSV file with columns mentor_id,capacity.")] = "1",
    solver: SolverOption = "auto",
    time_limit: AssignTimeLimitOption = None,
    missing: Annotated[str, typer.Option(
        help="What a blank score means: error, or forbid (the pair is never made).")] = "error",
    objective: Annotated[str, typer.Option(
        help="total (sum of scores), fair, blend, or randomised (a lottery with no pair above "
             "--max-probability).")] = "total",
    max_probability: MaxProbabilityOption = None,
) -> None:
    """Assign from a score matrix file and write the pairs."""
    from matcher.data.io import read_scores
    from matcher.solve import assign

    try:
        matrix = read_scores(scores)
        result = assign(matrix, k=parse_k(k), capacity=read_capacity(capacity), solver=solver,
                        time_limit=time_limit, missing=missing, objective=objective,
                        max_probability=max_probability)
    except MatcherError as exc:
        _fail(exc)
    write_table(result.pairs, out_file)
    stdout().print(result.summary())
    stdout().print(f"wrote {out_file}")


def write_table(frame: Any, out_file: Path) -> None:
    """Write a table to ``--out`` (.csv, .json or .xlsx): a path that cannot be written, or a suffix
    no writer knows, is one line naming the option."""
    from matcher.data.io import write_frame

    with writing():
        try:
            write_frame(frame, out_file)
        except ValueError as exc:  # an unsupported output suffix
            _fail(bad_option("--out", str(exc)))


# ---------------------------------------------------------------- what the commands print

def spread_line(assignment: Any) -> str:
    """The spread of per-startup totals: how well the worst-served startups fare."""
    spread = assignment.spread()
    return "per-startup totals: " + ", ".join(
        f"{name} {spread[name]:.4f}" for name in ("min", "q1", "median", "q3", "max"))


def match_table(result: Any) -> Any:
    """The pairs of a match, one row each, the startup's name on its first row only."""
    from rich.table import Table

    table = Table(title=f"{result.cohort.name}: {len(result.assignments)} matches", show_lines=False,
                  caption="Fit score: 0 to 1, higher fits better. Rank: where the mentor stands among "
                          "those the rules allow the startup (1 = its best fit).")
    for column in ("Startup", "Mentor", "Kind", "Fit score", "Rank"):
        table.add_column(column, justify="right" if column in ("Fit score", "Rank") else "left")
    previous = None
    for row in result.assignments.itertuples(index=False):
        name = row.startup_name if row.startup_name != previous else ""
        previous = row.startup_name
        table.add_row(name, row.mentor_name, row.mentor_kind, f"{row.score:.3f}", str(row.rank))
    return table


def screen_table(screening: Any, cohort_name: str) -> Any:
    """One row per startup: a mark and the evidence for each criterion, then the verdict."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

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
