"""The hostile corpus (tests/hostile): broken input never gives an answer, a traceback or a hang.

Every case is run through ``matcher validate``, ``matcher match``, ``matcher batch`` (a one-job
job file), ``matcher assign`` for score files, and the Python API, each in a child process with a
time and a memory limit (see :mod:`tests.hostile.runner`). For each run:

* the exit status is 2 (bad input) or, where the files are fine but the rules cannot hold, 3 —
  never 0 for a broken input, never 1 (``matcher batch`` exits 1 when a job failed, by its
  contract; the job's own failure is then checked in ``batch.json``);
* no traceback on stderr;
* the message names the file, and the row and field where there is one;
* nothing is written to the ``--out`` folder (a batch writes only its summary);
* no hang: every run finishes within the time limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.cases import all_cases, runs_of

ROOT = Path(__file__).resolve().parents[1]
CASES = {case.name: case for case in all_cases()}
RUNS = [(case.name, run) for case in CASES.values() for run in runs_of(case)]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    """Every run of the corpus, done once by the runner (one interpreter, a fork per run)."""
    folder = tmp_path_factory.mktemp("hostile")
    target = folder / "results.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if os.environ.get("MATCHER_HOSTILE_RESULTS"):  # reuse a run of the runner while working on a case
        target = Path(os.environ["MATCHER_HOSTILE_RESULTS"])
    else:
        subprocess.run([sys.executable, "-m", "tests.hostile.runner", str(folder / "cases"), str(target)],
                       cwd=ROOT, env=env, check=True, timeout=900)
    document = json.loads(target.read_text())
    print(f"hostile corpus: {len(document['results'])} runs in {document['seconds']:.0f} s")
    return {(r["case"], r["run"]): r for r in document["results"]}


def test_corpus_is_large_and_covers_every_way_in():
    kinds = {case.kind for case in CASES.values()}
    assert len(CASES) >= 150 and kinds == {"cohort", "scores", "jobs", "api"}
    assert {run for _, run in RUNS} == {"validate", "match", "batch", "assign", "api"}


@pytest.mark.parametrize(("name", "run"), RUNS, ids=[f"{n}:{r}" for n, r in RUNS])
def test_hostile_input(outcomes: dict, name: str, run: str) -> None:
    case = CASES[name]
    outcome = outcomes[(name, run)]
    shown = f"{name} via {run}: status {outcome['status']}\n{outcome['stderr']}"
    assert not outcome["timed_out"], f"{name} via {run} did not finish in time"
    assert outcome["status"] is not None, f"{name} via {run} was killed by signal {outcome['killed']}"
    assert "Traceback" not in outcome["stderr"], shown
    expected = case.validate if run == "validate" else case.match
    if run == "batch" and case.kind == "cohort":
        # the job fails (state 'failed' in batch.json) and the batch exits 1 by its contract
        (job,) = outcome["jobs"]
        assert job["state"] == ("done" if expected == {0} else "failed"), shown
        assert outcome["status"] in expected | {1}, shown
        assert not [f for f in outcome["written"] if f.startswith("one/")], outcome["written"]
        text = job["error"] or ""
    else:
        assert outcome["status"] in expected, shown
        if expected != {0} and run != "batch":
            assert outcome["written"] == [], f"{name} via {run} wrote {outcome['written']}"
        text = outcome["stderr"]
    if outcome["status"] == 2 or (run == "batch" and expected <= {2}):
        for word in case.mentions:
            assert word in text, f"{name} via {run}: {word!r} not named in\n{text}"
