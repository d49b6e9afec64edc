"""Reports: a matching as files a programme office can open, share, print and re-use.

:func:`write_report` writes one folder per matching: ``report.html`` (a self-contained page: the
summary and proof, the match table grouped by startup with headings in words, the startups
screened out and why, a fairness section — envy, totals by domain, stage and language, the soft
rules broken and what they cost (:mod:`matcher.app.fairness`) —, the per-startup and per-mentor
summaries and four plots embedded as PNG),
``startup-cards.html`` (a card per startup that prints as one A4 page: its mentors with kind,
organisation, contact, the needs each covers and a sentence why, and its runner-ups),
``mentor-pages.html`` (a page per mentor: the startups, load against capacity, why each),
the assignments as CSV, JSON and Excel (one sheet per view: matches, startups, mentors, screening,
explanations, runner-ups), the summaries as CSV and the whole result as JSON.
:func:`write_batch_summary` writes the page that links the jobs of a batch and compares
the scenarios of each cohort side by side.

Every file is written atomically (temporary file, then rename). The HTML comes from Jinja2
templates with autoescaping on, so names and descriptions are shown, never run; CSV and Excel
cells that a spreadsheet would run as formulas are neutralised (:func:`matcher.data.io.safe_cell`).

A plain sentence per pair saying why it was made (``explanations``; :func:`explanation_lines` takes
them from :func:`matcher.insight.explain.one_liners`) goes on the startup cards and mentor pages.

Examples
--------
>>> import tempfile, matcher
>>> from matcher.app.report import write_report
>>> result = matcher.match_cohort("data/spring-2026")
>>> with tempfile.TemporaryDirectory() as folder:
...     page = write_report(result, folder)
...     sorted(p.name for p in page.parent.iterdir())     # doctest: +NORMALIZE_WHITESPACE
['assignments.csv', 'assignments.json', 'assignments.xlsx', 'cohort', 'mentor-pages.html', 'mentors.csv',
 'report.html', 'result.json', 'startup-cards.html', 'startups.csv']
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.io import atomic_write, write_frame, write_result_json, write_result_tables, write_workbook

__all__ = ["write_report", "render_report", "render_documents", "write_batch_summary", "render_batch_summary",
           "explanation_lines", "OUTPUT_FILES"]

#: Files :func:`write_report` writes into a job's folder, ``report.html`` last.
OUTPUT_FILES = ("assignments.csv", "assignments.json", "assignments.xlsx", "startups.csv", "mentors.csv",
                "result.json", "startup-cards.html", "mentor-pages.html", "report.html")

Explanations = Sequence[str] | Callable[[Any], Sequence[str]] | None


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["num"] = _num
    env.filters["file_href"] = file_href
    return env


def file_href(path: str | os.PathLike) -> str:
    """A file path as a link target that can only be that file: each part percent-encoded.

    A job's ``out`` comes from a job file, so its folder may be named ``javascript:alert(1)``;
    encoded, the colon cannot start a URL scheme and the link stays a relative file path.

    >>> file_href("javascript:alert(10)/report.html")
    'javascript%3Aalert%2810%29/report.html'
    >>> file_href("spring/k-2/report.html"), file_href("/srv/out/report.html")
    ('spring/k-2/report.html', 'file:///srv/out/report.html')
    """
    from urllib.parse import quote

    text = Path(path).as_posix()
    quoted = quote(text, safe="/")
    return "file://" + quoted if text.startswith("/") else quoted


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, float | np.floating):
        if np.isinf(value):
            return "∞"
        return f"{value:.{digits}f}"
    return str(value)


def _quota_text(name: str, spec: Mapping[str, Any]) -> str:
    """'academic: professor or scientist, at least 1' from a quota's spec."""
    members = " or ".join(map(str, [*spec.get("kinds", ()), *spec.get("mentors", ())]))
    limits = [f"at least {spec['min']}" if spec.get("min") else "",
              f"at most {spec['max']}" if spec.get("max") is not None else ""]
    return f"{name}: {members}, " + " and ".join(x for x in limits if x)


def _records(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    return [str(c) for c in frame.columns], frame.astype(object).to_numpy().tolist()


def _plots(result: Any, compare: Mapping[str, Any] | None = None) -> Iterator[dict[str, str]]:
    """Each plot as it is drawn (the page is streamed: one figure in memory at a time)."""
    from matcher.app import plots

    totals = {result.rules.objective: result.startups["total"], **(compare or {})}
    figures = [
        ("Scores", "score heatmap", lambda: plots.score_heatmap(result)),
        ("Mentor load", "mentor load vs capacity", lambda: plots.mentor_load(result)),
        ("Per-startup totals", "per-startup total distribution",
         lambda: plots.total_distribution(totals)),
        ("Match graph", "bipartite match graph", lambda: plots.match_graph(result)),
    ]
    for title, alt, draw in figures:
        yield {"title": title, "alt": alt, "png": plots.png_base64(draw())}


def explanation_lines(result: Any) -> list[str]:
    """One plain sentence per row of ``result.assignments`` saying why the pair was made.

    From :func:`matcher.insight.explain.one_liners`, in the order of the match table; pass this function as
    ``explanations`` to :func:`write_report`.

    Examples
    --------
    >>> import matcher
    >>> lines = explanation_lines(matcher.match_cohort("data/spring-2026"))
    >>> lines[0].startswith("Kwok Hoi-lam (scientist, HK AI Lab, Trustworthy AI Group) works on")
    True
    """
    from matcher.insight.explain import one_liners

    lines = one_liners(result)
    table = result.assignments
    return [lines[(s, m)] for s, m in zip(table["startup_id"], table["mentor_id"])]


def render_report(result: Any, *, title: str | None = None, explanations: Explanations = None,
                  context: Mapping[str, Any] | None = None, compare: Mapping[str, Any] | None = None,
                  objective_note: str | None = None) -> str:
    """The HTML report of a :class:`~matcher.pipeline.MatchResult` as a string.

    Parameters
    ----------
    result : MatchResult
    title : str, optional
        Page title; defaults to the programme and cohort names.
    explanations : sequence of str, or callable, optional
        One line per row of ``result.assignments`` saying why the pair was made (or a function of
        the result returning them); shown on the startup cards and mentor pages.
    context : mapping, optional
        Extra facts shown under the proof (e.g. ``{"job": ..., "run": ...}``).
    compare : mapping of str to Series, optional
        Per-startup totals of other scenarios (e.g. ``{"fair": ...}``), drawn beside this one's.
    objective_note : str, optional
        What solving under another objective changed, or why it changed nothing (see
        :func:`matcher.insight.plain.objectives_compared`), shown in the summary.

    Examples
    --------
    >>> import matcher
    >>> html = render_report(matcher.match_cohort("data/spring-2026"))
    >>> "Screened out" in html and "Rank (1 = best)" in html
    True
    """
    _lines(result, explanations)  # checked here too: one line per pair, or a clear error
    return "".join(_report_stream(result, title=title, context=context, compare=compare,
                                  objective_note=objective_note))


def _lines(result: Any, explanations: Explanations) -> list[str] | None:
    """The explanation lines, one per row of the match table, or None."""
    if callable(explanations):
        explanations = explanations(result)
    if explanations is None:
        return None
    if len(explanations) != len(result.assignments):
        raise ValueError(f"explanations: {len(explanations)} lines for {len(result.assignments)} pairs")
    return list(explanations)


def _title(result: Any, title: str | None) -> str:
    programme = result.cohort.meta.get("programme") or ""
    return title or " – ".join(p for p in (str(programme), result.cohort.name) if p)


def _report_stream(result: Any, *, title: str | None, context: Mapping[str, Any] | None,
                   compare: Mapping[str, Any] | None = None, objective_note: str | None = None
                   ) -> Iterator[str]:
    from matcher.app import documents
    from matcher.app.fairness import fairness_section

    a = result.assignment
    proof = {"status": a.status, "objective": f"{a.objective_name} {a.objective:.4f}",
             "bound": f"{a.bound:.4f}", "gap": f"{a.gap:.2%}", "solver": a.solver,
             "pairs": len(a.rows), "seconds": f"{sum(a.timings.values()):.3f}"}
    quotas = dict(result.rules.quotas or {})
    rules = {"mentors per startup": result.rules.k, "solved for": result.rules.objective,
             "solver requested": result.rules.solver,
             "quotas": "; ".join(_quota_text(name, spec) for name, spec in quotas.items()) or "none",
             "history": result.rules.history_rule,
             "common language required": result.rules.require_common_language,
             "weights": ", ".join(f"{k} {v:g}" for k, v in result.rules.weights.items())}
    columns, groups = documents.match_groups(result)
    dropped = documents.zero_columns(result)
    components = [c for c in result.scores.components if c not in dropped]
    counts = {"startups": len(result.cohort.startups), "pairs": len(a.rows),
              "pool": len(result.cohort.mentors), "mentors": int((result.mentors["load"] > 0).sum())}
    return _environment().get_template("report.html.j2").generate(
        title=_title(result, title), proof=proof, rules=rules, context=dict(context or {}),
        objective_note=objective_note, counts=counts, match_columns=columns, match_groups=groups,
        match_fixed=documents.MATCH_FIXED_COLUMNS,
        components=", ".join(documents.COMPONENT_WORDS.get(c, c).lower() for c in components),
        dropped=", ".join(documents.COMPONENT_WORDS.get(c, c).lower() for c in dropped),
        screened=documents.screened_out(result), screening_ran=result.screening is not None,
        fairness=fairness_section(result),
        startups=_records(documents.worded(result.startups.reset_index())),
        mentors=_records(documents.worded(result.mentors.reset_index())), plots=_plots(result, compare),
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def render_documents(result: Any, kind: str, *, explanations: Explanations = None,
                     runner_ups: pd.DataFrame | None = None, title: str | None = None) -> str:
    """The startup cards (``kind="startups"``) or the mentor pages (``kind="mentors"``) as HTML.

    Examples
    --------
    >>> import matcher
    >>> html = render_documents(matcher.match_cohort("data/spring-2026"), "startups")
    >>> html.count('<article class="card"')
    9
    """
    from matcher.app import documents
    from matcher.insight.plain import change_heading

    lines = _lines(result, explanations)
    if kind == "startups":
        cards = documents.startup_cards(result, lines, runner_ups)
        heading = "Startup cards"
    elif kind == "mentors":
        cards = documents.mentor_pages(result, lines)
        heading = "Mentor pages"
    else:
        raise ValueError(f"kind: '{kind}' is neither 'startups' nor 'mentors'")
    return _environment().get_template("cards.html.j2").render(
        title=f"{_title(result, title)}: {heading}", kind=kind, cards=cards,
        change=change_heading(result.assignment.objective_name))


def write_report(result: Any, directory: str | os.PathLike, *, title: str | None = None,
                 explanations: Explanations = None, context: Mapping[str, Any] | None = None,
                 compare: Mapping[str, Any] | None = None, runner_ups: pd.DataFrame | None = None,
                 details: pd.DataFrame | None = None, objective_note: str | None = None) -> Path:
    """Write a matching's files and HTML report into ``directory``; returns the report's path.

    The files are :data:`OUTPUT_FILES`, each written atomically; ``report.html`` comes last, so a
    folder holding it holds every file. ``runner_ups`` (:func:`matcher.insight.explain.runner_ups`)
    adds each startup's next in line to its card and a sheet to the workbook; ``details``
    (:func:`matcher.insight.explain.explain_pairs`) gives the explanations sheet its numbers. The
    other parameters are as in :func:`render_report`.

    Examples
    --------
    >>> import tempfile, matcher
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = write_report(matcher.match_cohort("data/spring-2026"), folder)
    ...     page.name, (page.parent / "startup-cards.html").exists()
    ('report.html', True)
    """
    from matcher.app import documents

    folder = Path(directory)
    lines = _lines(result, explanations)
    write_result_tables(result, folder)
    write_frame(result.assignments, folder / "assignments.json")
    write_workbook(documents.workbook_sheets(result, lines, runner_ups, details), folder / "assignments.xlsx")
    write_result_json(result, folder / "result.json")
    for name, kind in (("startup-cards.html", "startups"), ("mentor-pages.html", "mentors")):
        with atomic_write(folder / name, encoding="utf-8") as stream:
            stream.write(render_documents(result, kind, explanations=lines, runner_ups=runner_ups,
                                          title=title))
    page = folder / "report.html"
    with atomic_write(page, encoding="utf-8") as stream:
        for chunk in _report_stream(result, title=title, context=context, compare=compare,
                                    objective_note=objective_note):
            stream.write(chunk)
    return page


def render_batch_summary(jobs: Sequence[Mapping[str, Any]], *, title: str = "Batch summary") -> str:
    """The batch summary page as a string.

    Parameters
    ----------
    jobs : sequence of mappings
        One per job, with keys ``name``, ``cohort``, ``overrides`` (mapping), ``state`` (``done``,
        ``skipped`` or ``failed``), ``report`` (path relative to the page, or None), ``error``
        and, for matched jobs, ``status``, ``objective``, ``bound``, ``gap``, ``solver``,
        ``seconds`` and ``totals`` (per-startup totals).
    """
    from matcher.app import plots

    groups: dict[str, list[Mapping[str, Any]]] = {}
    for job in jobs:
        if job.get("totals") is not None:
            groups.setdefault(str(job["cohort"]), []).append(job)
    comparisons = []
    for cohort, members in groups.items():
        rows = []
        for job in members:
            totals = np.asarray(job["totals"], dtype=float)
            rows.append({"name": job["name"], "overrides": job["overrides"], "status": job["status"],
                         "objective": job["objective"], "gap": job["gap"],
                         "min": float(totals.min()) if len(totals) else float("nan"),
                         "mean": float(totals.mean()) if len(totals) else float("nan"),
                         "max": float(totals.max()) if len(totals) else float("nan")})
        figure = plots.total_distribution({job["name"]: job["totals"] for job in members})
        comparisons.append({"cohort": cohort, "rows": rows, "png": plots.png_base64(figure)})
    counts = {state: sum(1 for j in jobs if j["state"] == state) for state in ("done", "skipped", "failed")}
    return _environment().get_template("batch.html.j2").render(
        title=title, jobs=list(jobs), comparisons=comparisons, counts=counts,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def write_batch_summary(jobs: Sequence[Mapping[str, Any]], path: str | os.PathLike, *,
                        title: str = "Batch summary") -> Path:
    """Write the batch summary page atomically; returns its path."""
    html = render_batch_summary(jobs, title=title)
    with atomic_write(path, encoding="utf-8") as stream:
        stream.write(html)
    return Path(path)
