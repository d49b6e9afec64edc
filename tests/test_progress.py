"""Progress: CP-SAT's best objective, bound and gap as it solves; scoring and batch jobs; off by default."""

from __future__ import annotations

import numpy as np
import pytest

import matcher
from matcher.data.progress import ProgressEvent, listening
from matcher.data.synth import synthetic_capacities, synthetic_scores
from matcher.solve import assign


def test_cpsat_reports_best_bound_and_gap_and_solves_the_same_with_a_listener():
    scores = synthetic_scores(40, 15, "clustered", seed=3)
    capacity = synthetic_capacities(40, 15, k=2, seed=3)
    quiet = assign(scores, k=2, capacity=capacity, solver="cpsat", time_limit=20, seed=1)
    seen: list[ProgressEvent] = []
    with listening(seen.append):
        heard = assign(scores, k=2, capacity=capacity, solver="cpsat", time_limit=20, seed=1)
    # the listener watches; it never changes the answer
    assert heard.pairs.equals(quiet.pairs) and heard.objective == quiet.objective
    solves = [e for e in seen if e.stage == "solve"]
    found = [e for e in solves if e.best is not None]
    assert found and all(e.bound is not None and e.gap is not None and e.elapsed >= 0 for e in found)
    last = found[-1]
    assert last.final and last.best == pytest.approx(heard.objective, rel=1e-6)
    assert last.gap == pytest.approx(abs(last.bound - last.best) / abs(last.best))
    # bounds only tighten, objectives only improve, within one run
    bests = [e.best for e in found]
    assert bests == sorted(bests)


def test_nothing_is_reported_without_a_listener_and_a_failing_listener_is_ignored():
    def broken(event):
        raise RuntimeError("a listener that fails")

    with listening(broken):
        result = matcher.match_cohort("data/spring-2026", solver="cpsat", time_limit=20)
    assert result.assignment.status == "optimal"


def test_scoring_reports_its_steps():
    seen: list[ProgressEvent] = []
    with listening(seen.append):
        matcher.match_cohort("data/spring-2026")
    # the cohort is scored as filed (11 startups), then screened down to the 9 matched
    steps = [e.text for e in seen if e.stage == "score"]
    size = "11 startups × 36 mentors"
    assert steps == [f"{size}: reading the profiles", f"{size}: scoring every pair", f"{size}: done"]
    assert [e.elapsed is None for e in seen if e.stage == "score"] == [True, False, False]


def test_the_command_line_shows_progress_only_when_asked_or_on_a_terminal(tmp_path, capsys):
    from matcher.app.cli import main

    args = ["match", "data/spring-2026", "--objective", "fair", "--solver", "cpsat", "--out"]
    assert main([*args, str(tmp_path / "a")]) == 0
    assert "solving (CP-SAT" not in capsys.readouterr().err  # stderr is not a terminal here
    assert main([*args, str(tmp_path / "b"), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "scoring: 11 startups × 36 mentors: done" in err
    line = next(x for x in err.splitlines() if x.startswith("solving (CP-SAT, ") and ": best " in x)
    assert "bound " in line and "gap " in line and line.endswith(" s")
    # the same pairs with and without the line
    a = np.loadtxt(tmp_path / "a" / "assignments.csv", dtype=str, delimiter=",", usecols=(0, 2), skiprows=1)
    b = np.loadtxt(tmp_path / "b" / "assignments.csv", dtype=str, delimiter=",", usecols=(0, 2), skiprows=1)
    assert (a == b).all()


def test_batch_says_when_each_job_starts(tmp_path, capsys):
    import shutil

    from matcher.app.cli import main

    shutil.copytree("data/spring-2026", tmp_path / "spring")
    (tmp_path / "jobs.yaml").write_text("out: out\njobs:\n  - name: one\n    cohort: spring\n"
                                        "  - name: two\n    cohort: spring\n    k: 2\n")
    assert main(["batch", str(tmp_path / "jobs.yaml"), "--progress"]) == 0
    err = capsys.readouterr().err.splitlines()
    started = [n for n, x in enumerate(err) if x.endswith(": job: started")]
    finished = [n for n, x in enumerate(err) if x.startswith(("[1/2]", "[2/2]"))]
    assert len(started) == len(finished) == 2 and started[0] < finished[0] < started[1] < finished[1]
    assert any(x.startswith("one: scoring: ") for x in err)
