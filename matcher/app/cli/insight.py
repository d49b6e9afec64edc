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

    Prints one line per pair and writes explanations.csv and runner_ups.csv into RESULT_DIR. Each
    runner-up is a re-solve that may take the time limit the match was made with: the programme's
    time_limit, else 60 s for CP-SAT.
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
    stdout().print(runner_up_table(found.runner_ups, result))
    stdout().print(f"wrote {', '.join(written)}")


def rematch_command(
    result_dir: ResultDirArgument,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the new result files (default: RESULT_DIR-rematch beside it).")] = None,
    pin: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR to make (repeatable).")] = None,
    forbid: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR never to make.")] = None,
    swap: Annotated[list[str] | None, typer.Option(help="STARTUP,MENTOR_OUT,MENTOR_IN.")] = None,
    decisions: Annotated[Path | None, typer.Option(
        help="A reviewed decisions.csv (from 'matcher review'): pin and drop pairs, keep the rest.")] = None,
) -> None:
    """Change a published match (pin, forbid, swap, or a review's decisions) changing the fewest
    pairs; print the diff.

    The solver may take the time limit the match was made with: the programme's time_limit, else
    60 s for CP-SAT.
    """
    from matcher.insight.explain import load_result
    from matcher.insight.whatif import rematch

    out_dir = out_dir if out_dir is not None else result_dir.with_name(result_dir.name + "-rematch")
    try:
        result = load_result(result_dir)
        if decisions is not None:
            from matcher.app.cli.publishing import apply_decisions_file

            change = apply_decisions_file(result, decisions, pin=parse_pairs("pin", pin, 2),
                                          forbid=parse_pairs("forbid", forbid, 2))
        else:
            change = rematch(result, pin=parse_pairs("pin", pin, 2),
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
    compare: Annotated[bool, typer.Option(
        "--compare", help="Compare scorer configurations side by side (items, embeddings, fitted).")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="With --compare: save a plot of the losses to this file (.png, .svg, .pdf).")] = None,
    embeddings: Annotated[bool, typer.Option(
        "--embeddings/--no-embeddings", help="With --compare: include the semantic text scorers.")] = True,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", min=100, help="With --compare: bootstrap resamples of the raters.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and the folds.")] = 0,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", help="Folder of the embedding cache (default: the user's cache folder).")] = None,
) -> None:
    """Evaluate the cohort's scorer against ratings of how well pairs worked, or against the
    choices made after a matching week (a choices.csv in place of the ratings).

    With --compare, every scorer configuration is scored on the same ratings: its pairwise ranking
    loss (lower is better, 0.5 for a constant scorer) with a 95% bootstrap interval over raters
    (the mentors) and its paired difference from the default.
    """
    from matcher.app.cli.week import evaluate_choices_command, is_choices_file

    if is_choices_file(ratings):
        return evaluate_choices_command(path, ratings, fit=fit)
    if compare or plot is not None:
        _compare(path, ratings, plot=plot, embeddings=embeddings, bootstrap=bootstrap, seed=seed,
                 cache_dir=cache_dir)
        return
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


def _compare(path: Path, ratings: Path, *, plot: Path | None, embeddings: bool, bootstrap: int, seed: int,
             cache_dir: Path | None) -> None:
    """``evaluate --compare``: the configurations side by side, and the plot."""
    from matcher.data.io import atomic_save, load_cohort, read_ratings
    from matcher.insight.compare import DEFAULT_CONFIGS, compare_scorers

    configs = [c for c in DEFAULT_CONFIGS if embeddings or c.embeddings is None]
    try:
        cohort = load_cohort(path)
        table = read_ratings(ratings, cohort)
        result = compare_scorers(cohort, table, configs, n_boot=bootstrap, seed=seed,
                                 cache=cache_dir if cache_dir is not None else True)
    except MatcherError as exc:
        _fail(exc)
    if plot is not None:
        from matcher.app.plots import scorer_comparison

        figure = scorer_comparison(result.table, result.level)
        with writing():
            atomic_save(plot, lambda tmp: figure.savefig(tmp, format=plot.suffix.lstrip(".") or "png"))
    stdout().print(comparison_table(result))
    for line in dict.fromkeys(result.skipped):
        stdout().print(f"skipped {line}", markup=False, highlight=False, soft_wrap=True)
    if plot is not None:
        stdout().print(f"wrote {plot}")


# ---------------------------------------------------------------- what the commands print

def comparison_table(result: Any) -> Any:
    """Each scorer configuration's loss, interval and paired difference from the first.

    >>> import pandas as pd
    >>> from matcher.insight.compare import Comparison
    >>> row = {"config": "default", "loss": 0.2, "ci_low": 0.1, "ci_high": 0.3, "vs_first": 0.0,
    ...        "vs_first_low": 0.0, "vs_first_high": 0.0, "raters": 6, "comparisons": 69}
    >>> comparison_table(Comparison(pd.DataFrame([row]))).row_count
    1
    """
    from rich.table import Table

    rows = result.table
    n = int(rows["comparisons"].iloc[0]) if len(rows) else 0
    raters = int(rows["raters"].iloc[0]) if len(rows) else 0
    table = Table(title=f"Pairwise ranking loss on {n} comparisons by {raters} raters "
                        f"(lower is better; 0.5 = constant scorer; {result.level:.0%} bootstrap intervals)")
    table.add_column("Scorer", no_wrap=True)
    for column in ("Loss", "Interval", "vs default", "its interval"):
        table.add_column(column, justify="right")
    for row in rows.itertuples(index=False):
        table.add_row(row.config, f"{row.loss:.4f}", f"{row.ci_low:.3f}–{row.ci_high:.3f}",
                      f"{row.vs_first:+.4f}", f"{row.vs_first_low:+.3f}–{row.vs_first_high:+.3f}")
    return table


def runner_up_table(runner_ups: Any, result: Any = None) -> Any:
    """Each startup's runner-up mentors by name, their fit score and what swapping one in changes.

    The change is in the objective the match was solved for: the total score, or under the fair
    objective the worst-served startup's total (``result`` says which; total without it).
    """
    from rich.table import Table

    from matcher.insight.plain import change_heading

    objective = result.assignment.objective_name if result is not None else "total"
    names = {}
    if result is not None:
        names = {p.id: p.name for p in (*result.cohort.startups, *result.cohort.mentors)}
    change = change_heading(objective)
    table = Table(title=f"Runner-ups: the mentors each startup would have next, and the {change} if one "
                        "were swapped in (found by solving again)",
                  caption="Fit score: 0 to 1, higher fits better. 'cannot': no matching under the rules "
                          "can include the pair.")
    for column in ("Startup", "Runner-up", "Fit score", change.capitalize(), "Would replace"):
        table.add_column(column, justify="right" if column in ("Fit score",) or column.startswith("Change")
                         else "left")
    for row in runner_ups.itertuples(index=False):
        delta = "cannot" if row.objective_change != row.objective_change else f"{row.objective_change:+.4f}"
        replaced = "; ".join(names.get(m, m) for m in row.replaces.split("; ") if m)
        table.add_row(names.get(row.startup_id, row.startup_id), names.get(row.mentor_id, row.mentor_id),
                      f"{row.score:.3f}", delta, replaced)
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
