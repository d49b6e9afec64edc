"""The README's quick start runs as written, and never matches a forbidden pair."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import matcher

ROOT = Path(__file__).resolve().parent.parent


def quick_start() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_quick_start_runs_and_respects_every_conflict(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = quick_start().replace('"out/spring"', repr(str(tmp_path / "spring")))
    names: dict = {}
    exec(compile(code, "README.md quick start", "exec"), names)  # noqa: S102 - the README's own code
    result, a = names["result"], names["a"]
    scores = result.scores
    row = {s: i for i, s in enumerate(scores.startup_ids)}
    col = {m: j for j, m in enumerate(scores.mentor_ids)}
    for assignment in (a, names["fair"].assignment, result.assignment):
        pairs = assignment.pairs
        made = scores.forbidden[[row[s] for s in pairs.startup_id], [col[m] for m in pairs.mentor_id]]
        assert not made.any(), pairs[made]
    # the conflicts of interest the quick start used to break
    mentors = {m.id: m for m in result.cohort.mentors}
    for sid, mid in pairs_of(a):
        assert sid not in mentors[mid].conflicts
    assert not {("s-radiantscan", "m-ho-ka-yan"), ("s-ledgerlens", "m-victor-leung"),
                ("s-herbgraph", "m-cheng-mei-ling")} & pairs_of(a)


def pairs_of(assignment) -> set[tuple[str, str]]:
    return set(zip(assignment.pairs.startup_id, assignment.pairs.mentor_id))


def test_a_frame_with_missing_scores_is_refused_unless_they_mean_forbidden():
    frame = matcher.score_cohort(matcher.load_cohort("data/spring-2026")).to_frame()
    assert frame.isna().to_numpy().any()
    with pytest.raises(matcher.InputError, match="missing='forbid'"):
        matcher.assign(frame, k=2, capacity=3)
    a = matcher.assign(frame, k=2, capacity=3, missing="forbid")
    assert not np.isnan(a.scores).any()


def test_scores_survive_a_csv_round_trip_with_their_forbidden_pairs(tmp_path):
    scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
    path = tmp_path / "scores.csv"
    scores.to_frame().to_csv(path)
    from matcher.data.io import read_scores

    back = read_scores(path)
    assert (back.isna().to_numpy() == scores.forbidden).all()
    direct = matcher.assign(scores, k=2, capacity=3)
    again = matcher.assign(back, k=2, capacity=3, missing="forbid")
    assert again.objective == pytest.approx(direct.objective, abs=1e-9)
    assert pairs_of(again) == pairs_of(direct)
