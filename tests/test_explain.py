"""Explanations: components add up, runner-up costs are real re-solves, and the CLI command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import matcher
from matcher.errors import InputError
from matcher.insight.explain import RULE_NOTES, explain, explain_pairs, load_result, runner_ups
from matcher.scoring.affinity import COMPONENTS


@pytest.fixture(scope="module")
def spring_result():
    return matcher.match_cohort("data/spring-2026")


def test_components_add_up_to_each_score(spring_result):
    table = explain_pairs(spring_result)
    assert len(table) == 27  # 9 eligible startups × 3
    parts = table[list(COMPONENTS)].sum(axis=1)
    assert np.allclose(parts, table["score"], rtol=0, atol=1e-12)
    assert (table["score"] == spring_result.assignment.scores).all()
    # the conflict of m-ho-ka-yan with s-radiantscan shapes RadiantScan's pairs
    radiant = table[table.startup_id == "s-radiantscan"]
    assert radiant["rules"].str.contains("Ho Ka-yan (conflict of interest)", regex=False).all()
    # shared domains and terms come from the two profiles
    first = table.iloc[0]
    assert "fintech/fraud" in first["shared_domains"] and "liveness" in first["top_terms"]


def test_runner_up_costs_equal_resolve_differences(spring_result):
    table = runner_ups(spring_result, n=2)
    assert len(table) == 18 and table["note"].eq("").all()
    base = spring_result.assignment.objective
    for row in table.itertuples(index=False):
        forced = matcher.match_cohort(spring_result.cohort, scores=spring_result.scores,
                                      pinned=((row.startup_id, row.mentor_id),))
        assert row.objective_change == pytest.approx(forced.assignment.objective - base, abs=1e-12)
        assert row.objective_change <= 1e-12  # the match is optimal: any swap costs
        pairs = forced.assignment.pairs
        kept = set(pairs[pairs.startup_id == row.startup_id].mentor_id)
        assert row.mentor_id in kept and not set(row.replaces.split("; ")) & kept


def test_rules_shape_the_explanation(spring_result):
    cohort = spring_result.cohort
    pinned = matcher.match_cohort(cohort, pinned=(("s-kindbot", "m-zhang-wei"),))
    table = explain_pairs(pinned)
    row = table[(table.startup_id == "s-kindbot") & (table.mentor_id == "m-zhang-wei")].iloc[0]
    assert "pinned by the programme" in row["rules"]
    noted = int(pinned.assignment.cols[0])
    RULE_NOTES.append(lambda result, i, j: ["quota: academic"] if j == noted else [])
    try:
        assert explain_pairs(pinned)["rules"].str.contains("quota: academic").any()
    finally:
        RULE_NOTES.pop()
    # with continuity preferred, the continuing startups keep some spring mentors: the history is named
    autumn = explain_pairs(matcher.match_cohort("data/autumn-2026", history_rule="prefer"))
    noted = autumn[autumn["rules"].str.contains("paired before in spring-2026")]
    history = {(s, m) for _, s, m in matcher.load_cohort("data/autumn-2026").history}
    assert len(noted) and set(zip(noted.startup_id, noted.mentor_id)) == (
        history & set(zip(autumn.startup_id, autumn.mentor_id)))
    # a runner-up that cannot be swapped in (its one place is pinned elsewhere) is reported, not guessed
    full = matcher.match_cohort(cohort, pinned=(("s-facetrust", "m-eleanor-hui"),))
    found = runner_ups(full, n=1, startups=["s-stratum-ar"]).iloc[0]
    assert found["mentor_id"] == "m-eleanor-hui" and np.isnan(found["objective_change"])
    assert "pinned vs capacity" in found["note"]


def test_explain_result_dir_on_the_command_line(tmp_path, capsys):
    from matcher.app.cli import main

    assert main(["match", "data/spring-2026", "--out", str(tmp_path),
                 "--preferences", "data/spring-2026/preferences.csv"]) == 0
    # explain runs as a user runs it: a separate process reading only the result folder
    done = subprocess.run([sys.executable, "-m", "matcher", "explain", str(tmp_path), "--runner-ups", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())  # the console folds long lines
    assert "Kwok Hoi-lam (scientist, HK AI Lab, Trustworthy AI Group) works on facial recognition" in said
    assert "FaceTrust Labs put Kwok Hoi-lam first among the mentors it asked for." in said
    assert "Kwok Hoi-lam answered 'yes' to mentoring FaceTrust Labs." in said
    table = pd.read_csv(tmp_path / "explanations.csv")
    assert len(table) == 27 and "explanation" in table.columns and table["preference"].gt(0).any()
    assert np.allclose(table[list(COMPONENTS)].sum(axis=1), table["score"], atol=1e-9)
    assert len(pd.read_csv(tmp_path / "runner_ups.csv")) == 9
    # the reloaded result is the one written, preferences included
    result = load_result(tmp_path)
    assert result.cohort.preferences is not None
    assert result.assignment.objective == pytest.approx(explain(result, n_runner_ups=0).pairs.score.sum())
    # a result whose cohort has changed since is refused with file, row and field
    frame = pd.read_csv(tmp_path / "assignments.csv")
    frame.loc[3, "score"] = 0.123
    frame.to_csv(tmp_path / "assignments.csv", index=False)
    with pytest.raises(InputError, match="assignments.csv, row 5, field 'score': is 0.123"):
        load_result(tmp_path)
    (tmp_path / "result.json").unlink()
    capsys.readouterr()
    assert main(["explain", str(tmp_path)]) == 2
    assert "result.json: file not found" in capsys.readouterr().err


def test_a_reloaded_fair_result_keeps_its_objective(tmp_path):
    from matcher.app.cli import main
    from matcher.insight.explain import load_result

    assert main(["match", "data/spring-2026", "--objective", "fair", "--out", str(tmp_path)]) == 0
    again = load_result(tmp_path)
    fresh = matcher.match_cohort("data/spring-2026", objective="fair")
    # under "fair" the objective is the worst startup's total, not the sum of the scores
    assert again.assignment.objective == pytest.approx(fresh.assignment.objective)
    assert again.assignment.objective < again.assignment.scores.sum() / 3
    change = runner_ups(again, n=1, startups=["s-kindbot"])["objective_change"].iloc[0]
    assert -again.assignment.objective < change <= 1e-9
