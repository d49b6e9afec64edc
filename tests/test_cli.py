"""The console command, run as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_io import edit_csv


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "matcher", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_match_prints_and_writes(tmp_path):
    done = run("match", "data/spring-2026", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "FaceTrust Labs" in done.stdout and "optimal" in done.stdout
    table = pd.read_csv(tmp_path / "assignments.csv")
    # screened first: s-portpulse and s-lanelogic are left out, so 9 startups × k=3
    assert "left out" in done.stdout and "s-portpulse" in done.stdout
    assert len(table) == 27 and {"startup_id", "mentor_id", "score", "text", "domain"} <= set(table.columns)
    assert (tmp_path / "result.json").exists()


def test_validate_ok_and_bad(cohort_copy):
    assert run("validate", str(cohort_copy)).returncode == 0
    edit_csv(cohort_copy / "mentors.csv", 6, "capacity", "-3")
    done = run("validate", str(cohort_copy))
    assert done.returncode == 2
    assert "mentors.csv, row 6, field 'capacity'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_bad_input_leaves_no_output(cohort_copy, tmp_path):
    edit_csv(cohort_copy / "startups.csv", 2, "domains", "quantum")
    out = tmp_path / "out"
    done = run("match", str(cohort_copy), "--out", str(out))
    assert done.returncode == 2 and "unknown domain 'quantum'" in done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_infeasible_exits_3_with_diagnosis(tmp_path):
    out = tmp_path / "out"
    done = run("match", "data/spring-2026", "--k", "9", "--out", str(out))
    assert done.returncode == 3
    assert "[total capacity]" in done.stderr and "short" in done.stderr
    assert not out.exists()


def test_assign_from_score_file(tmp_path):
    rng = np.random.default_rng(1)
    scores = pd.DataFrame(rng.random((6, 4)), index=[f"s{i}" for i in range(6)],
                          columns=[f"m{j}" for j in range(4)])
    scores.to_csv(tmp_path / "scores.csv", index_label="startup")
    done = run("assign", "--scores", str(tmp_path / "scores.csv"), "--k", "2", "--capacity", "3",
               "--out", str(tmp_path / "pairs.csv"))
    assert done.returncode == 0, done.stderr
    pairs = pd.read_csv(tmp_path / "pairs.csv")
    assert len(pairs) == 12 and pairs.groupby("mentor_id").size().max() <= 3
    done = run("assign", "--scores", str(tmp_path / "scores.csv"), "--k", "2", "--capacity", "1",
               "--out", str(tmp_path / "none.csv"))
    assert done.returncode == 3 and not (tmp_path / "none.csv").exists()


def test_usage_error_exits_2():
    assert run("match").returncode == 2
    assert run("assign", "--scores", "missing.csv", "--out", "x.csv").returncode == 2


def help_text(*command: str) -> str:
    """A command's --help as one line of words (line breaks, also those after a hyphen, removed)."""
    done = run(*command, "--help")
    assert done.returncode == 0, done.stderr
    return re.sub(r"\s+", " ", re.sub(r"-\n\s*", "-", done.stdout))


@pytest.mark.parametrize("command", ["match", "report", "assign", "rematch", "batch", "explain", "history"])
def test_help_states_the_default_time_limit(command):
    from matcher.data.vocabulary import DEFAULT_TIME_LIMIT  # what solve_problem gives a backend

    assert f"{DEFAULT_TIME_LIMIT:g} s" in help_text(command)


def test_capacity_file_problems_name_file_row_and_field(tmp_path):
    pd.DataFrame(np.ones((2, 3)), index=["s0", "s1"], columns=["m0", "m1", "m2"]).to_csv(
        tmp_path / "scores.csv", index_label="startup")
    (tmp_path / "capacity.csv").write_text("mentor_id,capacity\nm0,2\n,1\nm0,1\nm1,-1\nm2,1.5\n")
    done = run("assign", "--scores", str(tmp_path / "scores.csv"), "--k", "1",
               "--capacity", str(tmp_path / "capacity.csv"), "--out", str(tmp_path / "pairs.csv"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    for where in ("row 3, field 'mentor_id'", "row 4, field 'mentor_id': duplicate id 'm0'",
                  "row 5, field 'capacity'", "row 6, field 'capacity': '1.5' is not a whole number"):
        assert f"capacity.csv, {where}" in done.stderr
    done = run("assign", "--scores", str(tmp_path / "scores.csv"), "--k", "1", "--capacity", "-2",
               "--out", str(tmp_path / "pairs.csv"))
    assert done.returncode == 2 and "option --capacity: '-2' is negative" in done.stderr
    (tmp_path / "capacity.csv").write_text("mentor_id,capacity\nm0,2\nm1,0\nm2,1\n")
    done = run("assign", "--scores", str(tmp_path / "scores.csv"), "--k", "1",
               "--capacity", str(tmp_path / "capacity.csv"), "--out", str(tmp_path / "pairs.csv"))
    assert done.returncode == 0, done.stderr
    assert set(pd.read_csv(tmp_path / "pairs.csv")["mentor_id"]) <= {"m0", "m2"}


# ---------------------------------------------------------------- files that cannot be written

def test_out_in_the_way_of_a_file_is_one_line_and_nothing_said_as_written(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder\n")
    cases = [("match", blocker, "a file is in the way of a folder"),              # --out is a file
             ("report", blocker / "sub", "a file is in the way of a folder"),     # ENOTDIR
             ("match", Path("/sys/matcher-out"), "permission denied")]           # denied even to root
    for command, out, reason in cases:
        extra = ["--no-compare"] if command == "report" else []
        done = run(command, "data/spring-2026", "--out", str(out), *extra)
        assert done.returncode == 2, (command, out, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: cannot write "), done.stderr
        assert reason in lines[0] and str(out.parent if command == "report" else out) in lines[0]
        assert "Traceback" not in done.stderr
        assert "wrote" not in done.stdout and "report:" not in done.stdout and "optimal" not in done.stdout
    assert blocker.read_text() == "not a folder\n"


@pytest.mark.parametrize(("code", "status", "reason"), [(errno.ENOSPC, 1, "the disk is full"),
                                                        (errno.EROFS, 2, "the file system is read-only")])
@pytest.mark.parametrize("command", ["match", "report"])
def test_full_or_read_only_disk_is_one_line_and_leaves_nothing_half_written(tmp_path, monkeypatch, command,
                                                                            code, status, reason):
    from typer.testing import CliRunner

    from matcher.app.cli import app

    real_replace = os.replace
    calls = []

    def replace(source, target):
        calls.append(target)
        if len(calls) == 2:  # the first file lands, the second cannot
            raise OSError(code, os.strerror(code))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "out"
    extra = ["--no-compare"] if command == "report" else []
    done = CliRunner().invoke(app, [command, "data/spring-2026", "--out", str(out), *extra])
    assert done.exit_code == status, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert f"error: cannot write {calls[1]}: {reason}" in done.stderr
    assert "wrote" not in done.stdout and "report:" not in done.stdout and "matches" not in done.stdout
    # the file written before is whole; the failed one is absent, its temporary file removed
    assert [p.name for p in out.iterdir()] == [Path(calls[0]).name]
