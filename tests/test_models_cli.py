"""The richer models from the command line and programme.yaml: real processes, real files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.test_cli import run


def test_assign_randomised_with_a_cap(tmp_path):
    rng = np.random.default_rng(3)
    scores = pd.DataFrame(rng.random((6, 5)), index=[f"s{i}" for i in range(6)],
                          columns=[f"m{j}" for j in range(5)])
    scores.to_csv(tmp_path / "scores.csv", index_label="startup")
    args = ("assign", "--scores", str(tmp_path / "scores.csv"), "--k", "2", "--capacity", "3",
            "--objective", "randomised", "--max-probability", "0.5")
    done = run(*args, "--out", str(tmp_path / "a.csv"))
    assert done.returncode == 0, done.stderr
    assert "expected total, no pair above probability 0.5" in done.stdout
    pairs = pd.read_csv(tmp_path / "a.csv")
    assert (pairs.groupby("startup_id").size() == 2).all()
    assert pairs.groupby("mentor_id").size().max() <= 3
    again = run(*args, "--out", str(tmp_path / "b.csv"))
    assert again.returncode == 0 and pd.read_csv(tmp_path / "b.csv").equals(pairs)
    bad = run(*args[:-1], "1.5", "--out", str(tmp_path / "c.csv"))
    assert bad.returncode == 2 and "max_probability" in bad.stderr
    assert not (tmp_path / "c.csv").exists()


def test_programme_yaml_sets_teams_tandems_and_soft_prices(cohort_copy, tmp_path):
    programme = cohort_copy / "programme.yaml"
    text = programme.read_text()
    programme.write_text(text.replace("objective: total", "objective: team") + (
        "team: {coverage: 0.5, diversity: 0.1, by: [kind]}\n"
        "tandems: [[m-chan-wai-ming, m-ho-ka-yan]]\n"
        "soft: {investor: 0.2}\n"
        "time_limit: 30\n"))
    done = run("match", str(cohort_copy), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "team value" in done.stdout
    pairs = pd.read_csv(tmp_path / "assignments.csv")
    by_startup = pairs.groupby("startup_id")["mentor_id"].agg(set)
    for team in by_startup:
        assert ("m-chan-wai-ming" in team) == ("m-ho-ka-yan" in team)
    programme.write_text(text + "soft: {investr: 0.2}\n")
    bad = run("match", str(cohort_copy), "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "field 'soft.investr'" in bad.stderr and "investor" in bad.stderr


def test_randomised_refuses_the_sample_quotas_by_name(tmp_path):
    done = run("match", "data/spring-2026", "--objective", "randomised", "--out", str(tmp_path))
    assert done.returncode == 2 and "not quotas" in done.stderr
