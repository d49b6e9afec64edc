"""No lost job: batches run at once, killed at any point, or on a cluster losing a worker.

Each test ends the same way: every job done, its run stored exactly once, its folder complete
(every file whole, job.json last, no temporary or lock file left) and its files holding the
stored run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from matcher.app.batch import run_batch
from matcher.app.store import Store
from tests.test_batch import _complete, env, write_jobs

# quick jobs in two stages (spring, then autumn, which reads spring's pairs from the store)
JOBS = """\
defaults: {seed: 0}
jobs:
  - {name: spring, cohort: SPRING, adopt: true, sweep: {k: [2, 3]}}
  - {name: spring-fair, cohort: SPRING, objective: fair, k: 2}
  - {name: autumn, cohort: AUTUMN}
"""
NAMES = ["spring[k=2]", "spring[k=3]", "spring-fair", "autumn"]
# fewer for the tests run once per kill point; the third job to pass a point is autumn's, stage 2
KILL_JOBS = JOBS.replace("  - {name: spring-fair, cohort: SPRING, objective: fair, k: 2}\n", "")
KILL_NAMES = ["spring[k=2]", "spring[k=3]", "autumn"]


def batch_process(path: Path, *args: str, **extra_env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "matcher", "batch", str(path), *args],
                            cwd=path.parent, env={**env(), **extra_env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def check_every_job_done_once(path: Path, db: str, names: list[str] = NAMES) -> dict[str, int]:
    """Assert every job is complete and stored once; returns each job's run id."""
    out = path.parent / "out"
    with Store(db) as store:
        runs = store.runs()
        assert Counter(r.job for r in runs) == Counter(names), [(r.id, r.job) for r in runs]
        ids = {r.job: r.id for r in runs}
        for record in runs:
            folder = Path(record.out_dir)
            assert folder.parent in (out, out / "spring"), record.out_dir
            assert _complete(folder) == []
            assert sorted(p.name for p in folder.iterdir()) == [
                "assignments.csv", "assignments.json", "assignments.xlsx", "cohort", "job.json",
                "mentor-pages.html", "mentors.csv", "report.html", "result.json", "startup-cards.html",
                "startups.csv"], record.job
            facts = json.loads((folder / "job.json").read_text())
            assert (facts["run_id"], facts["objective"], facts["status"]) == \
                   (record.id, record.objective, record.status)
            files = pd.read_csv(folder / "assignments.csv")[["startup_id", "mentor_id"]]
            stored = store.pairs(record.id)[["startup_id", "mentor_id"]]
            assert sorted(map(tuple, files.to_numpy().tolist())) == \
                   sorted(map(tuple, stored.to_numpy().tolist()))
    if db.startswith("sqlite"):
        engine = sa.create_engine(db)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()
    assert not [p for p in out.rglob(".*")], "temporary or lock files left behind"
    return ids


# ---------------------------------------------------------------- two batches at once

def test_two_batches_at_once_do_every_job_once(tmp_path, store_url):
    path = write_jobs(tmp_path, JOBS)
    processes = [batch_process(path, "--db", store_url) for _ in range(2)]
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=240))
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    check_every_job_done_once(path, store_url)
    # each job was run by one batch; the other found it done (a job another batch holds is
    # waited for and reported as skipped)
    done = [int(stdout.split(" done,")[0].rsplit(" ", 1)[1]) for stdout, _ in outputs]
    skipped = [int(stdout.split(" skipped,")[0].rsplit(" ", 1)[1]) for stdout, _ in outputs]
    assert sum(done) == len(NAMES) and [d + s for d, s in zip(done, skipped)] == [len(NAMES)] * 2


# ---------------------------------------------------------------- killed at any point, resumed

@pytest.mark.parametrize("point", ["mid-report", "after-report", "after-commit", "after-job-json",
                                   "after-commit@3"])
def test_batch_killed_at_any_point_resumes_storing_each_job_once(tmp_path, point):
    path = write_jobs(tmp_path, KILL_JOBS)
    db = f"sqlite:///{tmp_path / 'out' / 'matcher.db'}"
    killed = batch_process(path, MATCHER_TEST_KILL_AT=point)
    try:
        killed.communicate(timeout=180)
    finally:
        if killed.poll() is None:
            os.killpg(killed.pid, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL, f"the batch was not killed at {point}"
    with Store(db) as store:
        before = Counter(r.job for r in store.runs())
    n_killed = int(point.partition("@")[2] or 1)   # the job killed: the n-th through that point
    stored_before = n_killed - (point.startswith("mid") or point == "after-report")
    assert sum(before.values()) == stored_before and max(before.values(), default=1) == 1

    again = run_batch(path)
    assert again.exit_code == 0
    states = [j.state for j in again.jobs]
    done_before = n_killed - 1 + (point == "after-job-json")
    assert states.count("skipped") == stored_before
    assert states.count("done") == len(KILL_NAMES) - stored_before
    assert [j.state for j in again.jobs[:done_before]] == ["skipped"] * done_before
    ids = check_every_job_done_once(path, db, KILL_NAMES)
    assert {j.name: j.run_id for j in again.jobs} == ids
    # and once more: nothing to do
    assert [j.state for j in run_batch(path).jobs] == ["skipped"] * len(KILL_NAMES)
    check_every_job_done_once(path, db, KILL_NAMES)


# ---------------------------------------------------------------- failures, said plainly

def test_a_crashing_job_is_named_with_its_stage_and_its_traceback_kept(tmp_path, monkeypatch, capsys):
    import matcher.pipeline
    from matcher.app.cli import main

    real = matcher.pipeline.match_cohort

    def match_cohort(cohort, **kwargs):
        if cohort.name == "autumn-2026":
            raise ValueError("year -974 is out of range")
        return real(cohort, **kwargs)

    monkeypatch.setattr(matcher.pipeline, "match_cohort", match_cohort)
    (tmp_path / "taken").write_text("a file\n")
    path = write_jobs(tmp_path, """\
out: .
jobs:
  - {name: spring, cohort: SPRING, k: 2, out: "javascript:alert(10)"}
  - {name: autumn, cohort: AUTUMN}
  - {name: nowhere, cohort: SPRING, out: taken/sub}
""")
    capsys.readouterr()
    assert main(["batch", str(path)]) == 1
    err = capsys.readouterr().err
    log = tmp_path / "autumn" / "job.log"
    assert (f"autumn (jobs.yaml, row 4): unexpected error while solving: ValueError: year -974 is out of "
            f"range (traceback in {log})") in err
    assert ("nowhere (jobs.yaml, row 5): while locking its folder: cannot write "
            f"{tmp_path / 'taken' / 'sub'}: a file is in the way of a folder") in err
    assert "Traceback" not in err
    text = log.read_text()
    assert "failed while solving" in text and "Traceback" in text and "ValueError: year -974" in text
    facts = json.loads((tmp_path / "batch.json").read_text())
    assert [(j["state"], j["stage"]) for j in facts["jobs"]] == [
        ("done", ""), ("failed", "solving"), ("failed", "locking its folder")]
    # a job file's out is a folder name, never a URL in the summary page
    page = (tmp_path / "index.html").read_text()
    assert 'href="javascript%3Aalert%2810%29/report.html"' in page and "href=\"javascript:" not in page
    assert (tmp_path / "javascript:alert(10)" / "report.html").is_file()
    # the log goes once the job succeeds
    monkeypatch.setattr(matcher.pipeline, "match_cohort", real)
    assert [j.state for j in run_batch(path).jobs] == ["skipped", "done", "failed"]
    assert not log.exists()


# ---------------------------------------------------------------- a real Dask cluster losing a worker

@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and two workers, each its own process on 127.0.0.1; always stopped."""
    dask = Path(sys.executable).parent / "dask"
    if not dask.exists():
        pytest.skip("the dask command is not installed")
    file = tmp_path / "scheduler.json"
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    started: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        with open(logs / f"{name}.log", "w") as log:
            process = subprocess.Popen([str(dask), *args], env=env(), stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        started.append(process)
        return process

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(file))
        deadline = time.monotonic() + 30
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert file.exists(), (logs / "scheduler.log").read_text()
        workers = [start(f"worker{i}", "worker", "--scheduler-file", str(file), "--nthreads", "1",
                         "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard", "--no-nanny",
                         "--death-timeout", "30") for i in range(2)]
        address = json.loads(file.read_text())["address"]
        yield address, workers
    finally:
        for process in reversed(started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_dask_cluster_losing_a_worker_does_every_job_once_as_a_local_run(tmp_path, dask_cluster):
    from distributed import Client

    address, workers = dask_cluster
    deadline = time.monotonic() + 85   # the whole test, cluster started
    jobs = "out: OUT\n" + JOBS.replace("sweep: {k: [2, 3]}", "sweep: {k: [2, 3], seed: [0, 1]}")
    names = [f"spring[k={k},seed={s}]" for k in (2, 3) for s in (0, 1)] + ["spring-fair", "autumn"]
    (tmp_path / "local").mkdir()
    local = run_batch(write_jobs(tmp_path / "local", jobs.replace("OUT", "out")))
    assert [j.state for j in local.jobs] == ["done"] * len(names)

    (tmp_path / "cluster").mkdir()
    path = write_jobs(tmp_path / "cluster", jobs.replace("OUT", "out"))
    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=30)
        pids = client.run(os.getpid)
        batch = batch_process(path, "--dask", address)
        try:
            # kill a worker while it runs a job, once the first job is in
            out = path.parent / "out"
            victim = None
            while victim is None and time.monotonic() < deadline and batch.poll() is None:
                busy = [w for w, tasks in client.processing().items() if tasks]
                if busy and list(out.rglob("job.json")):
                    victim = busy[0]
                time.sleep(0.02)
            assert victim is not None, "no worker was busy to kill"
            os.kill(pids[victim], signal.SIGKILL)
            stdout, stderr = batch.communicate(timeout=max(deadline - time.monotonic(), 1))
        finally:
            if batch.poll() is None:
                os.killpg(batch.pid, signal.SIGKILL)
    assert batch.returncode == 0, stderr
    assert f"{len(names)} jobs: {len(names)} done" in stdout
    assert sum(w.poll() is None for w in workers) == 1
    ids = check_every_job_done_once(path, f"sqlite:///{path.parent / 'out' / 'matcher.db'}", names)
    assert len(ids) == len(names)
    # the same results as the local run: objective, bound, status and pairs
    with Store(local.db) as one, Store(f"sqlite:///{path.parent / 'out' / 'matcher.db'}") as two:
        for r1, r2 in zip(one.runs(), two.runs(), strict=True):
            assert (r1.job, r1.inputs_hash, r1.objective, r1.bound, r1.status) == \
                   (r2.job, r2.inputs_hash, r2.objective, r2.bound, r2.status)
            pd.testing.assert_frame_equal(one.pairs(r1.id), two.pairs(r2.id))
