"""Commands that read a result or a cohort and say how good it is: ``explain``, ``rematch`` and
``evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.app.cli._console import stdout
from matcher.app.cli._failures import _fail, writing
from matcher.app.cli._options import ResultDirArgument, parse_pairs
from matcher.errors import MatcherError

__all__ = ["explain_command", "rematch_command", "evaluate_command"]


def explain_command(
    result_dir: ResultDirArgument,
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
    with writing():  # first: nothing is shown as done when the files could not be written
        written = [write_frame(found.to_frame(), result_dir / "explanations.csv"),
                   write_frame(found.runner_ups, result_dir / "runner_ups.csv")]
    for line in found.one_liners:
        stdout().print(line, markup=False, highlight=False, soft_wrap=True)
    stdout().print(runner_up_table(found.runner_ups))
    stdout().print(f"wrote {', '.join(written)}")


def rematch_command(
    result_dir: ResultDirArgument,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the new result files.")],
    pin: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR to make (repeatable).")] = None,
    forbid: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR never to make.")] = None,
    swap: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR_OUT,MENTOR_IN.")] = None,
) -> None:
    """Change a published match (pin, forbid, swap) changing the fewest pairs; print the diff.

    The solver may take the time limit the match was made with: the programme's time_limit, else
    60 s for CP-SAT.
    """
    from matcher.insight.explain import load_result
    from matcher.insight.whatif import rematch

    try:
        change = rematch(load_result(result_dir), pin=parse_pairs("pin", pin, 2),
                         forbid=parse_pairs("forbid", forbid, 2), swap=parse_pairs("swap", swap, 3))
    except MatcherError as exc:
        _fail(exc)
    with writing():  # first: nothing is shown as done when the files could not be written
        written = change.after.to_csv(out_dir) + [change.after.to_json(out_dir / "result.json")]
    stdout().print(diff_table(change))
    stdout().print(change.after.assignment.summary())
    stdout().print(f"wrote {', '.join(written)}")


def evaluate_command(
    path: Annotated[Path, typer.Argument(help="Cohort folder or file the ratings are about.")],
    ratings: Annotated[Path, typer.Argument(help="CSV of ratings: startup_id, mentor_id, rating (1-5).")],
    top: Annotated[int, typer.Option("--top", help="k of the top-k accuracy.")] = 1,
    fit: Annotated[bool, typer.Option("--fit", help="Also fit the weights (cross-validated).")] = False,
) -> None:
    """Evaluate the cohort's scorer against ratings of how well pairs worked, or against the
    choices made after a matching week (a choices.csv in place of the ratings)."""
    from matcher.app.cli.week import evaluate_choices_command, is_choices_file

    if is_choices_file(ratings):
        return evaluate_choices_command(path, ratings, fit=fit)
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
    stdout().print(f"{len(table)} ratings: ranking loss {loss:.4f} (0 perfect, 0.5 constant scorer), "
                   f"top-{top} accuracy {accuracy:.1%}", soft_wrap=True)
    if fitted is not None:
        weights = ", ".join(f"{name} {w:.2f}" for name, w in fitted.weights.items())
        stdout().print(f"fitted weights: {weights}; held-out loss {fitted.cv_loss:.4f} "
                       f"vs {fitted.baseline_cv_loss:.4f} with the programme's weights", soft_wrap=True)


# ---------------------------------------------------------------- what the commands print

def runner_up_table(runner_ups: Any) -> Any:
    """Each runner-up mentor, its score and the change in total score if swapped in."""
    from rich.table import Table

    table = Table(title="Runner-ups: the change in total score if swapped in (by re-solving)")
    for column in ("Startup", "Runner-up", "Score", "Change", "Replaces"):
        table.add_column(column, justify="right" if column in ("Score", "Change") else "left")
    for row in runner_ups.itertuples(index=False):
        change = "cannot" if row.objective_change != row.objective_change else f"{row.objective_change:+.4f}"
        table.add_row(row.startup_id, row.mentor_id, f"{row.score:.3f}", change, row.replaces)
    return table


def diff_table(change: Any) -> Any:
    """The pairs a rematch added and removed."""
    from rich.table import Table

    table = Table(title=change.summary())
    for column in ("Change", "Startup", "Mentor", "Score"):
        table.add_column(column, justify="right" if column == "Score" else "left")
    for row in change.diff[change.diff["change"] != "kept"].itertuples(index=False):
        score = row.score_after if row.change == "added" else row.score_before
        table.add_row(row.change, row.startup_id, row.mentor_id, f"{score:.3f}")
    return table
