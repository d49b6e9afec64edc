"""Reports: escaped HTML, formula-safe spreadsheets, plots, and the page rendered by a real browser."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import matcher
from matcher.app import plots
from matcher.app.report import render_batch_summary, write_report

SCRIPT = "<script>alert(1)</script>"
TAG = '"><img src=x onerror=alert(2)>'
FORMULA = '=HYPERLINK("http://evil.example","Click me")'
PAGES = ("report.html", "startup-cards.html", "mentor-pages.html")
#: Screenshots and PDFs of the rendered report, kept for a person to look at (ignored by git).
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def hostile_result():
    """The spring cohort with payloads in names, descriptions, organisations and e-mail addresses."""
    cohort = matcher.load_cohort("data/spring-2026")
    first = cohort.startups[0]
    startups = (dataclasses.replace(first, name=SCRIPT, description=first.description + " " + TAG,
                                    attributes={**first.attributes, "email": TAG}), *cohort.startups[1:])
    mentors = tuple(dataclasses.replace(m, name=FORMULA, organisation=TAG, expertise=m.expertise + SCRIPT,
                                        attributes={**m.attributes, "email": SCRIPT})
                    if m.id == "m-kwok-hoi-lam" else m for m in cohort.mentors)
    return matcher.match_cohort(dataclasses.replace(cohort, startups=startups, mentors=mentors))


@pytest.fixture(scope="module")
def report_page(hostile_result, tmp_path_factory):
    from matcher.insight.explain import runner_ups

    folder = tmp_path_factory.mktemp("report")
    why = [f"<img src=x onerror=alert({i})> shared domain" for i in range(len(hostile_result.assignments))]
    return write_report(hostile_result, folder, explanations=why, context={"job": "<b>job</b>"},
                        runner_ups=runner_ups(hostile_result, n=2), objective_note="<i>same</i>")


def test_report_escapes_all_user_text(report_page, hostile_result):
    for name in PAGES:
        html = (report_page.parent / name).read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
        assert "<script" not in html.lower() and "<img src=x" not in html and "<b>job</b>" not in html, name
        assert "<i>same</i>" not in html and 'onerror=alert(2)>' not in html, name
        assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html, name  # the organisation / e-mail
    cards = (report_page.parent / "startup-cards.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(0)&gt; shared domain" in cards  # the explanations hook
    html = report_page.read_text(encoding="utf-8")
    assert html.count("<img ") == 4 and html.count('src="data:image/png;base64,') == 4
    rows = re.search(r'<table id="matches">.*?</table>', html, re.S).group(0)
    assert rows.count("<tr>") == 1 + len(hostile_result.assignments)


def test_report_groups_matches_and_says_what_it_leaves_out(report_page, hostile_result):
    html = report_page.read_text(encoding="utf-8")
    table = re.search(r'<table id="matches">.*?</table>', html, re.S).group(0)
    # one group per startup, its mentors best first; headings in words with units; no all-zero column
    assert table.count('<tbody class="group">') == len(hostile_result.cohort.startups)
    assert "Fit score (0 to 1)" in table and "Rank (1 = best)" in table and "mentor_kind" not in table
    assert "Stated preferences" not in table and "0 for every pair: stated preferences" in html
    first = re.search(r'<tbody class="group">.*?</tbody>', table, re.S).group(0)
    ranks = [int(r) for r in re.findall(r'<td class="num">[\d.]+</td><td class="num">(\d+)</td>', first)]
    assert ranks == sorted(ranks) and len(ranks) == 3
    screened = re.search(r'<table id="screened">.*?</table>', html, re.S).group(0)
    assert screened.count("<tr>") == 1 + 2 and "PortPulse" in screened and "incorporated" in screened
    cards = (report_page.parent / "startup-cards.html").read_text(encoding="utf-8")
    assert cards.count('<article class="card"') == len(hostile_result.cohort.startups)
    assert "Next in line" in cards and "Change in total score if swapped in" in cards
    mentors = (report_page.parent / "mentor-pages.html").read_text(encoding="utf-8")
    assert mentors.count('<article class="mentor"') == int((hostile_result.mentors["load"] > 0).sum())
    assert re.search(r"Mentoring <strong>2</strong> of at most 2 startups", mentors)


def test_workbook_has_a_sheet_per_view(report_page, hostile_result):
    book = openpyxl.load_workbook(report_page.parent / "assignments.xlsx")
    assert book.sheetnames == ["matches", "startups", "mentors", "screening", "explanations", "runner-ups"]
    head = [c.value for c in book["matches"][1]]
    assert "Fit score (0 to 1)" in head and "Organisation" in head and "Contact" in head
    assert "Stated preferences (points)" not in head
    assert book["screening"].max_row == 1 + 11 and book["runner-ups"].max_row == 1 + 2 * 9
    assert [c.value for c in book["runner-ups"][1]][:4] == ["Startup id", "Startup", "Mentor id", "Mentor"]


def test_exports_neutralise_formulas(report_page):
    folder = report_page.parent
    table = pd.read_csv(folder / "assignments.csv", dtype=str)
    assert "'" + FORMULA in set(table["mentor_name"]) and FORMULA not in set(table["mentor_name"])
    for name in ("startups.csv", "mentors.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not re.search(r'(^|,)"?=HYPERLINK', text, re.M)
    book = openpyxl.load_workbook(folder / "assignments.xlsx")
    sheet = book["matches"]
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'" + FORMULA in values and FORMULA not in values
    values = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row]
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

    assert main(["report", "data/spring-2026", "--out", str(tmp_path / "r"), "--k", "2"]) == 0
    printed = capsys.readouterr().out.replace("\n", "")
    assert f"report: {tmp_path / 'r' / 'report.html'}" in printed
    assert f"startup cards (one A4 page each): {tmp_path / 'r' / 'startup-cards.html'}" in printed
    assert f"mentor pages: {tmp_path / 'r' / 'mentor-pages.html'}" in printed
    cards = (tmp_path / "r" / "startup-cards.html").read_text(encoding="utf-8")
    assert "works on facial recognition and fraud, which is what FaceTrust Labs does" in cards
    assert "strongest factor" not in cards and "Next in line" in cards
    assert len(pd.read_csv(tmp_path / "r" / "assignments.csv")) == 2 * 9  # k=2, 9 eligible startups


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="headless Chromium is not installed (apt-get install chromium)")
#: Appended to a copy of a page: once laid out, the page writes its scroll and client widths into the DOM.
PROBE = ("<script>addEventListener('load', () => { const d = document.documentElement; "
         "document.body.dataset.widths = d.scrollWidth + ',' + d.clientWidth; })</script>")


def _browse(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _widths(tmp_path: Path, page: Path, width: int) -> tuple[int, int]:
    """The page's scroll width and the window's client width, laid out ``width`` px wide."""
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        dom = _browse(tmp_path, probe.resolve().as_uri(), f"--window-size={width},1000", "--hide-scrollbars",
                      "--dump-dom").stdout
    finally:
        probe.unlink()
    scroll, client = re.search(r'data-widths="(\d+),(\d+)"', dom).groups()
    return int(scroll), int(client)


def _pdf_pages(tmp_path: Path, page: Path) -> tuple[int, bytes]:
    pdf = tmp_path / f"{page.stem}.pdf"
    _browse(tmp_path, page.resolve().as_uri(), "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    data = pdf.read_bytes()
    return len(re.findall(rb"/Type\s*/Page[^s]", data)), data


@needs_chromium
def test_report_renders_in_headless_chromium(report_page, tmp_path):
    dom = _browse(tmp_path, report_page.resolve().as_uri(), "--dump-dom").stdout
    assert '<table id="matches">' in dom and dom.count("<tr>") > 33
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}" alt="([^"]+)"', dom)
    assert images == ["score heatmap", "mentor load vs capacity", "per-startup total distribution",
                      "bipartite match graph"]
    assert "<script" not in dom.lower() and SCRIPT not in dom  # shown as text, never run
    ARTIFACTS.mkdir(exist_ok=True)
    for name in PAGES:
        for width in (800, 1400):
            shot = ARTIFACTS / f"{Path(name).stem}-{width}.png"
            _browse(tmp_path, (report_page.parent / name).resolve().as_uri(), f"--screenshot={shot}",
                    f"--window-size={width},2400", "--hide-scrollbars")
            assert _png_size(shot) == (width, 2400)
            assert shot.stat().st_size > 50_000  # a blank page compresses to a few kB


@needs_chromium
def test_pages_never_scroll_sideways(report_page, tmp_path):
    # the measure itself: a page wider than the window is seen as one
    wide = tmp_path / "wide.html"
    wide.write_text('<!DOCTYPE html><html><body><div style="width:1200px">x</div></body></html>')
    scroll, client = _widths(tmp_path, wide, 800)
    assert scroll > client == 800
    for name in PAGES:
        for width in (800, 1400):
            scroll, client = _widths(tmp_path, report_page.parent / name, width)
            assert scroll <= client == width, (name, width, scroll)


@needs_chromium
def test_each_startup_card_prints_on_one_a4_page(report_page, hostile_result, tmp_path):
    from matcher.app.report import render_documents

    pages, data = _pdf_pages(tmp_path, report_page.parent / "startup-cards.html")
    assert pages == len(hostile_result.cohort.startups)
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data).groups())
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    shutil.copyfile(tmp_path / "startup-cards.pdf", ARTIFACTS / "startup-cards.pdf") if ARTIFACTS.exists() \
        else None
    # the count can fail: a card too long for a page prints on more than one
    long = ["why " * 3000] + ["short"] * (len(hostile_result.assignments) - 1)
    overflowing = tmp_path / "long" / "startup-cards.html"
    overflowing.parent.mkdir()
    overflowing.write_text(render_documents(hostile_result, "startups", explanations=long), encoding="utf-8")
    assert _pdf_pages(tmp_path, overflowing)[0] > len(hostile_result.cohort.startups)


@needs_chromium
def test_report_prints_cards_and_mentor_pages_to_pdf(tmp_path, capsys):
    from matcher.app.cli import main

    out = tmp_path / "r"
    assert main(["report", "data/spring-2026", "--out", str(out), "--no-compare", "--runner-ups", "0",
                 "--pdf"]) == 0
    printed = capsys.readouterr().out.replace("\n", "")
    assert f"pdf: {out / 'startup-cards.pdf'}" in printed and f"pdf: {out / 'mentor-pages.pdf'}" in printed
    cards = (out / "startup-cards.pdf").read_bytes()
    assert cards.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", cards)) == 9
    mentors = (out / "mentor-pages.pdf").read_bytes()
    busy = pd.read_csv(out / "mentors.csv").query("load > 0")
    assert len(re.findall(rb"/Type\s*/Page[^s]", mentors)) == len(busy)  # one page per mentor
