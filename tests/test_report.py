"""Reports: escaped HTML, formula-safe spreadsheets, plots, and the page rendered by a real browser."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import struct
import subprocess

import openpyxl
import pandas as pd
import pytest

import matcher
from matcher.app import plots
from matcher.app.report import render_batch_summary, write_report

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","Click me")'


@pytest.fixture(scope="module")
def hostile_result():
    """The spring cohort with a startup named like a script and a mentor named like a formula."""
    cohort = matcher.load_cohort("data/spring-2026")
    startups = (dataclasses.replace(cohort.startups[0], name=SCRIPT), *cohort.startups[1:])
    mentors = tuple(dataclasses.replace(m, name=FORMULA) if m.id == "m-kwok-hoi-lam" else m
                    for m in cohort.mentors)
    return matcher.match_cohort(dataclasses.replace(cohort, startups=startups, mentors=mentors))


@pytest.fixture(scope="module")
def report_page(hostile_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    why = [f"<img src=x onerror=alert({i})> shared domain" for i in range(len(hostile_result.assignments))]
    return write_report(hostile_result, folder, explanations=why, context={"job": "<b>job</b>"})


def test_report_escapes_all_user_text(report_page, hostile_result):
    html = report_page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<img src=x" not in html and "<b>job</b>" not in html
    assert "&lt;img src=x onerror=alert(0)&gt; shared domain" in html  # the explanations hook
    assert html.count("<img ") == 4 and html.count('src="data:image/png;base64,') == 4
    rows = re.search(r'<table id="matches">.*?</table>', html, re.S).group(0)
    assert rows.count("<tr>") == 1 + len(hostile_result.assignments)


def test_exports_neutralise_formulas(report_page):
    folder = report_page.parent
    table = pd.read_csv(folder / "assignments.csv", dtype=str)
    assert "'" + FORMULA in set(table["mentor_name"]) and FORMULA not in set(table["mentor_name"])
    for name in ("startups.csv", "mentors.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not re.search(r'(^|,)"?=HYPERLINK', text, re.M)
    sheet = openpyxl.load_workbook(folder / "assignments.xlsx").active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'" + FORMULA in values and FORMULA not in values
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)
    # JSON is data, not a spreadsheet: names stay as given
    records = json.loads((folder / "assignments.json").read_text(encoding="utf-8"))
    assert FORMULA in {r["mentor_name"] for r in records}


def test_plots_show_the_matching(hostile_result):
    a = hostile_result.assignment
    heat = plots.score_heatmap(hostile_result)
    circles = heat.axes[0].collections[0]
    assert len(circles.get_offsets()) == len(a.rows)
    loads = plots.mentor_load(hostile_result).axes[0]
    assert len(loads.patches) == 2 * len(hostile_result.cohort.mentors)
    assert sorted(p.get_width() for p in loads.patches[len(hostile_result.cohort.mentors):]) == \
        sorted(hostile_result.mentors["load"])
    graph = plots.match_graph(hostile_result).axes[0]
    assert len(graph.collections[0].get_paths()) == len(a.rows)  # one edge per pair
    box = plots.total_distribution({"total": [1.0, 2.0], "fair": [1.4, 1.5]}).axes[0]
    assert [t.get_text() for t in box.get_xticklabels()] == ["total", "fair"]


def test_batch_summary_escapes_and_compares_scenarios():
    jobs = [
        {"name": "<b>spring</b>[k=2]", "cohort": "spring-2026", "overrides": {"k": 2}, "state": "done",
         "status": "optimal", "objective": 12.5, "bound": 12.5, "gap": 0.0, "solver": "flow", "seconds": 0.1,
         "totals": [1.0, 1.2], "report": "spring/k-2/report.html", "error": ""},
        {"name": "spring[k=3]", "cohort": "spring-2026", "overrides": {"k": 3}, "state": "skipped",
         "status": "optimal", "objective": 16.8, "bound": 16.8, "gap": 0.0, "solver": "flow", "seconds": 0.0,
         "totals": [1.5, 1.6], "report": "spring/k-3/report.html", "error": ""},
        {"name": "bad", "cohort": "x", "overrides": {}, "state": "failed", "report": None,
         "error": "mentors.csv, row 6: <oops>"},
    ]
    html = render_batch_summary(jobs)
    assert "&lt;b&gt;spring&lt;/b&gt;[k=2]" in html and "<b>spring" not in html
    assert "&lt;oops&gt;" in html and "1 run, 1 skipped" in html and "1 failed" in html
    compare = re.search(r'<table class="compare">.*?</table>', html, re.S).group(0)
    assert compare.count("<tr>") == 3 and "16.8000" in compare and "1.000" in compare


def test_report_command_writes_the_report(tmp_path, capsys):
    from matcher.app.cli import main

    assert main(["report", "data/spring-2026", "--out", str(tmp_path / "r"), "--k", "2", "--explain"]) == 0
    printed = capsys.readouterr().out
    assert f"report: {tmp_path / 'r' / 'report.html'}" in printed.replace("\n", "")
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "<th>why</th>" in html and "FaceTrust Labs × " in html and "strongest factor" in html
    assert len(pd.read_csv(tmp_path / "r" / "assignments.csv")) == 2 * 9  # k=2, 9 eligible startups


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(report_page, tmp_path):
    url = report_page.resolve().as_uri()

    def browse(*args: str) -> subprocess.CompletedProcess:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=120)

    dom = browse("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert '<table id="matches">' in page and page.count("<tr>") > 33
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}" alt="([^"]+)"', page)
    assert images == ["score heatmap", "mentor load vs capacity", "per-startup total distribution",
                      "bipartite match graph"]
    assert "<script" not in page.lower() and SCRIPT not in page  # shown as text, never run
    shot = tmp_path / "report.png"
    done = browse(f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _png_size(shot) == (1280, 2400)
    assert shot.stat().st_size > 100_000  # a blank page compresses to a few kB
