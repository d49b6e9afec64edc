"""Reports: a matching as files a programme office can open, share and re-use.

:func:`write_report` writes one folder per matching: ``report.html`` (a self-contained page: the
match table, the per-startup and per-mentor summaries, the proof of optimality and four plots
embedded as PNG), the assignments as CSV, JSON and Excel, the summaries as CSV and the whole result
as JSON. :func:`write_batch_summary` writes the page that links the jobs of a batch and compares
the scenarios of each cohort side by side.

Every file is written atomically (temporary file, then rename). The HTML comes from Jinja2
templates with autoescaping on, so names and descriptions are shown, never run; CSV and Excel
cells that a spreadsheet would run as formulas are neutralised (:func:`matcher.data.io.safe_cell`).

A sentence per pair saying why it was made (``explanations``; :func:`explanation_lines` takes them
from :func:`matcher.insight.explain.one_liners`) adds a "why" column to the match table.

Examples
--------
>>> import tempfile, matcher
>>> from matcher.app.report import write_report
>>> result = matcher.match_cohort("data/spring-2026")
>>> with tempfile.TemporaryDirectory() as folder:
...     page = write_report(result, folder)
...     sorted(p.name for p in page.parent.iterdir())     # doctest: +NORMALIZE_WHITESPACE
['assignments.csv', 'assignments.json', 'assignments.xlsx', 'mentors.csv', 'report.html',
 'result.json', 'startups.csv']
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.io import atomic_write, write_frame, write_result_json, write_result_tables

__all__ = ["write_report", "render_report", "write_batch_summary", "render_batch_summary",
           "explanation_lines", "OUTPUT_FILES"]

#: Files :func:`write_report` writes into a job's folder, ``report.html`` last.
OUTPUT_FILES = ("assignments.csv", "assignments.json", "assignments.xlsx", "startups.csv", "mentors.csv",
                "result.json", "report.html")

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
    """One sentence per row of ``result.assignments`` saying why the pair was made.

    From :func:`matcher.insight.explain.one_liners`, in the order of the match table; pass this function as
    ``explanations`` to :func:`write_report`.
    """
    from matcher.insight.explain import one_liners

    lines = one_liners(result)
    table = result.assignments
    return [lines[(s, m)] for s, m in zip(table["startup_id"], table["mentor_id"])]


def render_report(result: Any, *, title: str | None = None, explanations: Explanations = None,
                  context: Mapping[str, Any] | None = None, compare: Mapping[str, Any] | None = None) -> str:
    """The HTML report of a :class:`~matcher.data.models.MatchResult` as a string.

    Parameters
    ----------
    result : MatchResult
    title : str, optional
        Page title; defaults to the programme and cohort names.
    explanations : sequence of str, or callable, optional
        One line per row of ``result.assignments`` saying why the pair was made (or a function of
        the result returning them); shown as a "why" column.
    context : mapping, optional
        Extra facts shown under the proof (e.g. ``{"job": ..., "run": ...}``).
    compare : mapping of str to Series, optional
        Per-startup totals of other scenarios (e.g. ``{"fair": ...}``), drawn beside this one's.
    """
    return "".join(_report_stream(result, title=title, explanations=explanations, context=context,
                                  compare=compare))


def _report_stream(result: Any, *, title: str | None, explanations: Explanations,
                   context: Mapping[str, Any] | None, compare: Mapping[str, Any] | None = None
                   ) -> Iterator[str]:
    a, cohort = result.assignment, result.cohort
    table = result.assignments.copy()
    if callable(explanations):
        explanations = explanations(result)
    if explanations is not None:
        if len(explanations) != len(table):
            raise ValueError(f"explanations: {len(explanations)} lines for {len(table)} pairs")
        table["why"] = list(explanations)
    programme = cohort.meta.get("programme") or ""
    proof = {"status": a.status, "objective": f"{a.objective_name} {a.objective:.4f}",
             "bound": f"{a.bound:.4f}", "gap": f"{a.gap:.2%}", "solver": a.solver,
             "pairs": len(a.rows), "seconds": f"{sum(a.timings.values()):.3f}"}
    quotas = dict(result.rules.quotas or {})
    rules = {"k": result.rules.k, "objective": result.rules.objective,
             "solver requested": result.rules.solver,
             "quotas": "; ".join(_quota_text(name, spec) for name, spec in quotas.items()) or "none",
             "history": result.rules.history_rule,
             "common language required": result.rules.require_common_language,
             "weights": ", ".join(f"{k} {v:g}" for k, v in result.rules.weights.items())}
    return _environment().get_template("report.html.j2").generate(
        title=title or " – ".join(p for p in (str(programme), cohort.name) if p),
        proof=proof, rules=rules, context=dict(context or {}),
        matches=_records(table), startups=_records(result.startups.reset_index()),
        mentors=_records(result.mentors.reset_index()), plots=_plots(result, compare),
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(result: Any, directory: str | os.PathLike, *, title: str | None = None,
                 explanations: Explanations = None, context: Mapping[str, Any] | None = None,
                 compare: Mapping[str, Any] | None = None) -> Path:
    """Write a matching's files and HTML report into ``directory``; returns the report's path.

    The files are :data:`OUTPUT_FILES`, each written atomically; ``report.html`` comes last, so a
    folder holding it holds every file. Parameters as in :func:`render_report`.
    """
    folder = Path(directory)
    write_result_tables(result, folder)
    write_frame(result.assignments, folder / "assignments.json")
    write_frame(result.assignments, folder / "assignments.xlsx")
    write_result_json(result, folder / "result.json")
    page = folder / "report.html"
    with atomic_write(page, encoding="utf-8") as stream:
        for chunk in _report_stream(result, title=title, explanations=explanations, context=context,
                                    compare=compare):
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
