"""Batch jobs: job files, failing jobs, resume, interruption, stored history, Dask."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from matcher.app.batch import load_jobs, run_batch
from matcher.app.store import Store
from matcher.errors import InputError
from tests.conftest import DATA, ROOT
from tests.test_io import edit_csv

SPRING, AUTUMN = DATA / "spring-2026", DATA / "autumn-2026"


def write_jobs(folder: Path, text: str) -> Path:
    path = folder / "jobs.yaml"
    path.write_text(text.replace("SPRING", str(SPRING)).replace("AUTUMN", str(AUTUMN)))
    return path


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_job_file_problems_name_file_line_job_and_field(tmp_path):
    path = write_jobs(tmp_path, """\
jobs:
  - name: spring
    cohort: SPRING
    kk: 3
  - name: nowhere
    cohort: no-such-folder
  - name: swept
    cohort: SPRING
    sweep: {k: 3}
  - name: spring
    cohort: SPRING
colour: blue
""")
    with pytest.raises(InputError) as caught:
        load_jobs(path)
    text = str(caught.value)
    assert ("jobs.yaml, row 4, field 'kk': job 'spring': is neither a job key nor a rule "
            "(did you mean 'k'?)") in text
    assert "jobs.yaml, row 6, field 'cohort': job 'nowhere': 'no-such-folder' does not exist" in text
    assert "jobs.yaml, row 9, field 'sweep': job 'swept'" in text
    assert "row 10, field 'name': job 'spring': is used by two jobs (first at jobs.yaml, row 2)" in text
    assert "jobs.yaml, row 12, field 'colour': unknown key" in text
    (tmp_path / "bad.yaml").write_text("jobs:\n  - name: [unclosed\n")
    with pytest.raises(InputError, match=r"bad.yaml, row 3: is not valid YAML"):
        load_jobs(tmp_path / "bad.yaml")


def test_job_file_rule_values_are_checked_when_the_file_is_read(tmp_path):
    path = write_jobs(tmp_path, """\
jobs:
  - name: a
    cohort: SPRING
    k: three
    sweep: {objective: [total, fairest]}
  - name: b
    cohort: SPRING
    solver: quantum
    time_limit: -5
""")
    with pytest.raises(InputError) as caught:
        load_jobs(path)
    found = [(p.row, p.field) for p in caught.value.problems]
    assert found == [(4, "k"), (5, "sweep"), (8, "solver"), (9, "time_limit")]
    text = str(caught.value)
    assert "job 'a': 'three' is not a whole number" in text and "did you mean 'fair'?" in text
    assert "unknown solver 'quantum'" in text


def test_sweeps_expand_in_order_with_their_own_folders(tmp_path):
    path = write_jobs(tmp_path, """\
out: results
defaults: {seed: 4, k: 2}
jobs:
  - {name: spring, cohort: SPRING, sweep: {k: [2, 3], time_limit: [5, 10]}}
  - {name: autumn, cohort: AUTUMN, out: elsewhere, adopt: true}
""")
    jobs, settings = load_jobs(path)
    assert [j.name for j in jobs] == ["spring[k=2,time_limit=5]", "spring[k=2,time_limit=10]",
                                      "spring[k=3,time_limit=5]", "spring[k=3,time_limit=10]", "autumn"]
    assert jobs[2].overrides == {"seed": 4, "k": 3, "time_limit": 5}
    assert jobs[2].out == tmp_path / "results" / "spring" / "k-3_time_limit-5"
    assert jobs[4].out == tmp_path / "elsewhere" and jobs[4].adopt
    assert jobs[4].overrides == {"seed": 4, "k": 2}
    assert settings["out"] == tmp_path / "results"


def test_sample_job_file_is_valid():
    jobs, settings = load_jobs(DATA / "jobs.yaml")
    assert [j.name for j in jobs][:3] == ["spring", "spring-scenarios[k=2,objective=total]",
                                          "spring-scenarios[k=2,objective=fair]"]
    assert jobs[2].overrides["objective"] == "fair"

    assert all(j.cohort.is_dir() for j in jobs) and settings["out"].resolve() == ROOT / "out" / "batch"


def test_batch_reports_a_failing_job_finishes_the_others_and_resumes(tmp_path, cohort_copy):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("startups.csv", "mentors.csv", "programme.yaml", "history.csv"):
        (broken / name).write_bytes((SPRING / name).read_bytes())
    edit_csv(broken / "mentors.csv", 6, "capacity", "lots")
    path = write_jobs(tmp_path, f"""\
jobs:
  - {{name: edited, cohort: {cohort_copy}, k: 2}}
  - {{name: broken, cohort: {broken}}}
  - {{name: steady, cohort: SPRING, explain: true}}
  - {{name: too-many, cohort: SPRING, k: 9}}
""")
    first = run_batch(path)
    states = {j.name: j.state for j in first.jobs}
    assert states == {"edited": "done", "broken": "failed", "steady": "done", "too-many": "failed"}
    assert first.exit_code == 1
    failed = {j.name: j for j in first.failed}
    assert "mentors.csv, row 6, field 'capacity': 'lots' is not a whole number" in failed["broken"].error
    assert failed["broken"].exit_code == 2 and failed["too-many"].exit_code == 3
    assert not (tmp_path / "out" / "broken").exists()
    out = tmp_path / "out" / "edited"
    assert len(pd.read_csv(out / "assignments.csv")) == 2 * 9  # k=2, 9 eligible startups
    summary = (tmp_path / "out" / "index.html").read_text()
    # explain: true puts a sentence per pair on the startup cards
    assert "Of all the mentors" in (tmp_path / "out" / "steady" / "startup-cards.html").read_text()
    assert "Of all the mentors" not in (out / "startup-cards.html").read_text()
    assert 'href="edited/report.html"' in summary and "too-many" in summary and "6 short" in summary
    facts = json.loads((tmp_path / "out" / "batch.json").read_text())
    assert [j["state"] for j in facts["jobs"]] == ["done", "failed", "done", "failed"]
    with Store(first.db) as store:
        assert [r.job for r in store.runs()] == ["edited", "steady"]

    # again: done jobs are skipped (their files untouched), failed ones tried again
    stamp = (out / "assignments.csv").stat().st_mtime_ns
    second = run_batch(path)
    assert [j.state for j in second.jobs] == ["skipped", "failed", "skipped", "failed"]
    assert (out / "assignments.csv").stat().st_mtime_ns == stamp
    assert second.jobs[0].objective == first.jobs[0].objective
    # a changed input file changes the hash: that job runs again, the other stays skipped
    edit_csv(cohort_copy / "mentors.csv", 3, "capacity", "4")
    third = run_batch(path)
    assert [third.jobs[0].state, third.jobs[2].state] == ["done", "skipped"]
    fourth = run_batch(path, force=True)
    assert [fourth.jobs[0].state, fourth.jobs[2].state] == ["done", "done"]
    with Store(first.db) as store:
        assert [r.job for r in store.runs()] == ["edited", "steady", "edited", "edited", "steady"]


def test_later_cohort_reads_earlier_pairs_from_the_store(tmp_path, store_url):
    # autumn is listed first, but its programme's spring cohort runs first and is adopted
    path = write_jobs(tmp_path, """\
jobs:
  - {name: autumn, cohort: AUTUMN}
  - {name: spring, cohort: SPRING, adopt: true}
""")
    batch = run_batch(path, db=store_url)
    assert batch.db == store_url and not (tmp_path / "out" / "matcher.db").exists()
    assert [j.state for j in batch.jobs] == ["done", "done"]
    with Store(batch.db) as store:
        spring_run, autumn_run = store.runs()
        assert (spring_run.job, autumn_run.job) == ("spring", "autumn") and spring_run.adopted
        stored = store.history_for("HK AI Lab Accelerator", before="autumn-2026")
        spring_pairs = store.pairs(spring_run.id)
        autumn_history = store.load_cohort(autumn_run.id).history
    assert stored == tuple(sorted(("spring-2026", s, m) for s, m in
                                  spring_pairs[["startup_id", "mentor_id"]].itertuples(index=False)))
    file_history = tuple(pd.read_csv(AUTUMN / "history.csv").itertuples(index=False, name=None))
    assert autumn_history == tuple(sorted(set(stored) | set(file_history)))
    assert len(autumn_history) > len(file_history)
    # the continuing startups' stored spring pairs reach autumn's matching
    continuing = {"s-radiantscan", "s-tidequant"}
    assert {h for h in stored if h[1] in continuing} - set(file_history)


def _complete(folder: Path) -> list[str]:
    """Files in a job folder that are not complete (a test helper: every check must pass)."""
    bad = []
    for item in folder.iterdir():
        if item.name.startswith("."):
            continue
        try:
            if item.suffix == ".csv":
                assert len(pd.read_csv(item)) > 0
            elif item.suffix == ".json":
                json.loads(item.read_text())
            elif item.suffix == ".xlsx":
                assert len(pd.read_excel(item)) > 0
            elif item.suffix == ".html":
                assert item.read_text().rstrip().endswith("</html>")
        except Exception as exc:  # noqa: BLE001 - any failure means a broken file
            bad.append(f"{item}: {exc!r}")
    return bad


def test_interrupted_batch_leaves_only_complete_files_and_resumes(tmp_path):
    path = write_jobs(tmp_path, "jobs:\n  - {name: s, cohort: SPRING, sweep: {seed: [0, 1, 2, 3]}}\n")
    # stderr on a terminal: the batch shows a progress bar there
    terminal, stderr = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "matcher", "batch", str(path)], cwd=tmp_path,
                               env={**env(), "TERM": "xterm", "COLUMNS": "120"}, stdout=subprocess.DEVNULL,
                               stderr=stderr, start_new_session=True)
    os.close(stderr)
    out = tmp_path / "out" / "s"
    shown = bytearray()

    def watch(seconds: float) -> None:
        # read what the batch shows on its terminal (a full terminal would block it)
        while select.select([terminal], [], [], seconds)[0]:
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # the batch is gone
                return
            if not chunk:
                return
            shown.extend(chunk)
            seconds = 0

    deadline = time.monotonic() + 90
    try:
        # kill once the first job is complete and the second's report is half written (the page is
        # streamed to its temporary file while the plots are drawn)
        while time.monotonic() < deadline and not (out / "seed-0" / "job.json").exists():
            watch(0.05)
        while time.monotonic() < deadline and not any(
                f.stat().st_size for f in (out / "seed-1").glob(".report.html.*")):
            watch(0.005)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    watch(0.1)
    os.close(terminal)
    shown_text = shown.decode("utf-8", "replace")
    assert "\x1b[" in shown_text and "━" in shown_text, shown_text[-2000:]  # a live progress bar
    assert (out / "seed-0" / "job.json").exists(), "the first job did not finish in time"
    finished = [d.name for d in out.iterdir() if (d / "job.json").exists()]
    assert finished == ["seed-0"]
    half = [p for p in (out / "seed-1").iterdir() if p.name.startswith(".report.html.")]
    assert half and half[0].stat().st_size > 0, "the kill did not land while the report was written"
    assert not (out / "seed-1" / "report.html").exists() and not (out / "seed-1" / "job.json").exists()
    for folder in out.iterdir():
        assert _complete(folder) == []
    # the next run skips the finished jobs, completes the rest, and clears the leftovers
    batch = run_batch(path)
    assert batch.exit_code == 0
    assert sorted(j.job.out.name for j in batch.jobs if j.state == "skipped") == sorted(finished)
    for folder in out.iterdir():
        assert _complete(folder) == []
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]
        assert (folder / "report.html").exists() and (folder / "job.json").exists()


def test_dask_local_cluster_equals_local_run_bit_for_bit(tmp_path):
    from distributed import Client, LocalCluster

    jobs = """\
out: OUT
jobs:
  - {name: spring, cohort: SPRING, adopt: true, block_rows: 4}
  - {name: autumn, cohort: AUTUMN, solver: cpsat, time_limit: 30}
"""
    local = run_batch(write_jobs(tmp_path, jobs.replace("OUT", "local")))
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, Client(cluster) as client:
        remote = run_batch(write_jobs(tmp_path, jobs.replace("OUT", "dask")), dask=client)
    assert [j.state for j in local.jobs] == [j.state for j in remote.jobs] == ["done"] * 2
    for a, b in zip(local.jobs, remote.jobs):
        assert (a.objective, a.bound, a.status, a.solver, a.totals, a.inputs_hash) == \
               (b.objective, b.bound, b.status, b.solver, b.totals, b.inputs_hash)
        for name in ("assignments.csv", "startups.csv", "mentors.csv", "assignments.json"):
            assert (a.job.out / name).read_bytes() == (b.job.out / name).read_bytes()
    with Store(local.db) as one, Store(remote.db) as two:
        for r1, r2 in zip(one.runs(), two.runs(), strict=True):
            assert (r1.job, r1.inputs_hash, r1.objective) == (r2.job, r2.inputs_hash, r2.objective)
            pd.testing.assert_frame_equal(one.pairs(r1.id), two.pairs(r2.id))


def test_cli_batch_and_history(tmp_path, capsys):
    from matcher.app.cli import main

    path = write_jobs(tmp_path, """\
jobs:
  - {name: spring, cohort: SPRING, k: 2}
  - {name: too-many, cohort: SPRING, k: 9}
""")
    # the batch as a user runs it: a real process, output piped (plain log lines, no progress bar)
    done = subprocess.run([sys.executable, "-m", "matcher", "batch", str(path)], capture_output=True,
                          text=True, cwd=tmp_path, env=env(), timeout=180)
    assert done.returncode == 1, done.stderr
    assert "[1/2] spring: done, optimal" in done.stderr and "[2/2] too-many: failed" in done.stderr
    assert "too-many (jobs.yaml, row 3): The rules cannot all hold" in done.stderr
    assert "2 jobs: 1 done, 0 skipped, 1 failed" in done.stdout and "Traceback" not in done.stderr
    assert "\x1b[" not in done.stderr  # no terminal control codes in a log
    assert f"history: sqlite:///{tmp_path / 'out' / 'matcher.db'}" in done.stdout
    db = str(tmp_path / "out" / "matcher.db")
    capsys.readouterr()
    assert main(["history", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert "1 runs" in listed and "spring-2026" in listed and "HK AI Lab Accelerator" in listed
    assert main(["history", "1", "--db", db]) == 0
    shown = capsys.readouterr().out
    assert "18 pairs" in shown and "k=2" in shown and "optimal: total" in shown
    assert main(["history", "1", "--db", db, "--resolve", "--adopt"]) == 0
    shown = capsys.readouterr().out
    assert "(adopted)" in shown and "solved again from the store: the same pairs and objective" in shown
    assert main(["history", "--db", db, "--adopt"]) == 2
    assert main(["history", "7", "--db", db]) == 2
    assert "has no run 7" in capsys.readouterr().err
    assert main(["history", "--db", str(tmp_path / "none.db")]) == 2
    (tmp_path / "bad.yaml").write_text("jobs: []\nextra: 1\n")
    assert main(["batch", str(tmp_path / "bad.yaml")]) == 2
    assert "bad.yaml, row 2, field 'extra': unknown key" in capsys.readouterr().err


def test_blockwise_scores_are_the_same_on_dask_and_locally():
    import numpy as np
    from distributed import Client, LocalCluster

    from matcher import load_cohort, score_cohort
    from matcher.scoring.blockwise import score_blockwise

    cohort = load_cohort(SPRING)
    local = score_blockwise(cohort, block_rows=3)
    whole = score_cohort(cohort)
    assert np.allclose(local.values, whole.values, rtol=0, atol=1e-12)
    assert np.array_equal(local.forbidden, whole.forbidden)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, Client(cluster) as client:
        remote = score_blockwise(cohort, block_rows=3, client=client)
    assert np.array_equal(remote.values, local.values)
    for name in local.components:
        assert np.array_equal(remote.components[name], local.components[name])
    with pytest.raises(ValueError, match="block_rows"):
        score_blockwise(cohort, block_rows=0)
