"""Commands that turn a match into documents and decisions: ``report``, ``review`` and ``publish``.

``report`` writes the report, startup cards and mentor pages of a cohort (matching it) or of any
result folder (a rematched one too); ``review`` writes the decisions file a programme edits;
``publish`` makes a result its cohort's matching in the history store and writes the letters.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.app.cli._console import stdout
from matcher.app.cli._failures import _fail, bad_option, writing
from matcher.app.cli._options import (
    KOption,
    ObjectiveOption,
    ResultDirArgument,
    SolverOption,
    TimeLimitOption,
    rule_overrides,
)
from matcher.app.cli._progress import ProgressOption, showing_progress
from matcher.app.cli.runs import DEFAULT_DB
from matcher.errors import MatcherError

__all__ = ["report", "review_command", "publish_command", "is_result_folder", "apply_decisions_file"]


def is_result_folder(path: Path) -> bool:
    """True for a folder written by ``matcher match`` / ``rematch`` (it holds ``result.json``)."""
    return path.is_dir() and (path / "result.json").is_file()


def report(
    path: Annotated[Path, typer.Argument(help="Cohort folder or file to match, or a result folder "
                                              "(written by match or rematch) to report as it is.")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the report and files (default: out, or the result folder itself).")] = None,
    k: KOption = None,
    solver: SolverOption = None,
    time_limit: TimeLimitOption = None,
    explain: Annotated[bool, typer.Option(
        "--explain/--no-explain", help="A plain sentence per pair saying why it was made.")] = True,
    runner_ups: Annotated[int, typer.Option(
        help="Runner-up mentors on each startup card (one re-solve each; 0 for none).")] = 2,
    objective: ObjectiveOption = None,
    compare: Annotated[bool, typer.Option(
        help="Also solve with the other objective (total / fair), compare the per-startup totals and "
             "say what changed.")] = True,
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="Also print the startup cards and mentor pages to PDF (needs Chromium).")] = False,
    progress: ProgressOption = None,
) -> None:
    """Write the HTML report, a one-page card per startup, a page per mentor, CSV, JSON and Excel."""
    from matcher.app.cli.matching import spread_line
    from matcher.app.report import write_report

    from_result = is_result_folder(path)
    overrides = rule_overrides(k, solver, time_limit, objective)
    if from_result and overrides:
        _fail(bad_option("--" + next(iter(overrides)).replace("_", "-"),
                         "changes the rules, and a result folder is reported as it was made",
                         "match the cohort again with the option, or use 'matcher rematch'"))
    out_dir = out_dir if out_dir is not None else (path if from_result else Path("out"))
    try:
        with showing_progress(progress):
            result, note, others = _matched(path, from_result, overrides, compare)
            lines, runners, details = _explained(result, explain, runner_ups)
    except MatcherError as exc:
        _fail(exc)
    with writing():  # first: nothing is shown as done when the files could not be written
        page = write_report(result, out_dir, explanations=lines, compare=others, runner_ups=runners,
                            details=details, objective_note=note)
        printed = _print_pdfs(out_dir) if pdf else []
    stdout().print(result.assignment.summary(), highlight=False)
    stdout().print(spread_line(result.assignment), highlight=False)
    for name, totals in others.items():
        stdout().print(f"  under {name}: min {totals.min():.4f}, median {totals.median():.4f}, "
                       f"max {totals.max():.4f}", highlight=False)
    if note:
        stdout().print(note, highlight=False, markup=False, soft_wrap=True)
    stdout().print(f"report: {page}", highlight=False, markup=False, soft_wrap=True)
    stdout().print(f"startup cards (one A4 page each): {out_dir / 'startup-cards.html'}", highlight=False,
                   markup=False, soft_wrap=True)
    stdout().print(f"mentor pages: {out_dir / 'mentor-pages.html'}", highlight=False, markup=False,
                   soft_wrap=True)
    for item in printed:
        stdout().print(f"pdf: {item}", highlight=False, markup=False, soft_wrap=True)


def _matched(path: Path, from_result: bool, overrides: dict[str, Any], compare: bool
             ) -> tuple[Any, str | None, dict[str, Any]]:
    """The result to report, and what solving it under the other objective changes (when compared)."""
    from matcher.insight.plain import objectives_compared
    from matcher.pipeline import match_cohort

    if from_result:
        from matcher.insight.explain import load_result

        result = load_result(path)
    else:
        result = match_cohort(path, **overrides)
    if not compare:
        return result, None, {}
    other = "total" if result.rules.objective != "total" else "fair"
    # the same scores and time limit, so the two differ only by the objective (the backend is
    # chosen again: the one that made a rematch may not express the other objective)
    alternative = match_cohort(result.cohort, scores=result.scores, objective=other, solver="auto",
                               time_limit=result.rules.time_limit)
    return result, objectives_compared(result, alternative), {other: alternative.startups["total"]}


def _explained(result: Any, explain: bool, n_runner_ups: int) -> tuple[Any, Any, Any]:
    """The sentences (in the order of the match table), the runner-ups and the numbers behind them."""
    if not explain:
        return None, None, None
    from matcher.insight.explain import explain as explain_result

    found = explain_result(result, n_runner_ups=n_runner_ups)
    lines = found.one_liners
    keys = zip(result.assignments["startup_id"], result.assignments["mentor_id"])
    return [lines[key] for key in keys], (found.runner_ups if n_runner_ups > 0 else None), found.pairs


def _print_pdfs(folder: Path) -> list[Path]:
    from matcher.app.pdf import print_to_pdf

    out = []
    for name in ("startup-cards", "mentor-pages"):
        try:
            out.append(print_to_pdf(folder / f"{name}.html", folder / f"{name}.pdf"))
        except MatcherError as exc:
            _fail(bad_option("--pdf", str(exc)))
    return out


def review_command(
    result_dir: ResultDirArgument,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Decisions file to write (default: decisions.csv in RESULT_DIR).")] = None,
) -> None:
    """Write decisions.csv: one row per pair, decision keep, and a note, for the programme to edit.

    Change a decision to drop (never make the pair) or pin (make it whatever), or add a row with pin
    for a pair the match does not have; then apply them with
    'matcher rematch RESULT_DIR --decisions decisions.csv'.
    """
    from matcher.data.io import write_frame
    from matcher.insight.explain import load_result
    from matcher.insight.review import review_table

    try:
        table = review_table(load_result(result_dir))
    except MatcherError as exc:
        _fail(exc)
    target = out_file if out_file is not None else result_dir / "decisions.csv"
    with writing():
        write_frame(table, target)
    stdout().print(f"{len(table)} pairs to review, each 'keep' for now: edit the decision column (keep, "
                   f"drop or pin) and the note, then run: matcher rematch {result_dir} --decisions {target}",
                   highlight=False, markup=False, soft_wrap=True)
    stdout().print(f"wrote {target}", highlight=False, markup=False, soft_wrap=True)


def publish_command(
    result_dir: ResultDirArgument,
    db: Annotated[str, typer.Option(
        help="History store: a SQLAlchemy URL or a SQLite file.")] = str(DEFAULT_DB),
    templates: Annotated[Path | None, typer.Option(
        help="Folder with the programme's own startup.txt.j2 / mentor.txt.j2 letter templates "
             "(default: the templates shipped with matcher).")] = None,
    letters: Annotated[Path | None, typer.Option(
        help="Folder for the letters (default: letters in RESULT_DIR).")] = None,
) -> None:
    """Make a result final: store it as its cohort's matching (later cohorts' history counts it) and
    write a letter to each startup and each mentor."""
    from matcher.app.letters import write_letters
    from matcher.app.report import explanation_lines
    from matcher.app.store import Store
    from matcher.data.io import atomic_write, read_result
    from matcher.insight.explain import load_filed_cohort, load_result

    target = letters if letters is not None else result_dir / "letters"
    try:
        result = load_result(result_dir)
        document, _ = read_result(result_dir)
        filed = load_filed_cohort(result_dir, document)
        sentences = explanation_lines(result)
        with writing():
            written = write_letters(result, target, sentences=sentences, templates=templates)
        with Store(db) as store:
            run_id = store.record(result, cohort=filed, job="published", out_dir=str(result_dir.resolve()),
                                  adopt=True)
    except MatcherError as exc:
        _fail(exc)
    facts = {"run_id": run_id, "db": str(db), "published_at": dt.datetime.now(dt.timezone.utc).isoformat(),
             "letters": str(target)}
    with writing(), atomic_write(result_dir / "published.json", encoding="utf-8") as stream:
        json.dump(facts, stream, indent=2)
    stdout().print(f"published {result.cohort.name} as run {run_id} in {db}: later cohorts' history "
                   "counts these pairs", highlight=False, markup=False, soft_wrap=True)
    stdout().print(f"wrote {len(written)} letters in {target}", highlight=False, markup=False, soft_wrap=True)


def apply_decisions_file(result: Any, path: Path, *, pin: list[tuple[str, ...]] = (),
                         forbid: list[tuple[str, ...]] = ()) -> Any:
    """``rematch --decisions``: the file's decisions (and any --pin / --forbid) applied to a result."""
    import pandas as pd

    from matcher.data.io.decisions import read_decisions
    from matcher.insight.review import apply_decisions

    table = read_decisions(path, result.scores.startup_ids, result.scores.mentor_ids)
    extra = pd.DataFrame([{"startup_id": s, "mentor_id": m, "decision": d, "note": "", "row": 0}
                          for d, pairs in (("pin", pin), ("drop", forbid)) for s, m in pairs],
                         columns=table.columns)
    return apply_decisions(result, pd.concat([table, extra], ignore_index=True) if len(extra) else table,
                           source=path.name)
