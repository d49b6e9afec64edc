"""The matching week end to end: meeting lists, availability, choices.csv, the final match."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.data.io import load_cohort, read_availability, read_choices
from matcher.data.synth import synthetic_programme
from matcher.errors import InputError
from matcher.week import plan_meetings, simulate_choices
from matcher.week.meetings import uncertain_mentors

ROOT = Path(__file__).resolve().parent.parent
SPRING = ROOT / "data" / "spring-2026"


@pytest.fixture(scope="module")
def spring_plan():
    return plan_meetings(SPRING, per_startup=8, days=5)


def independent_diversity(cohort, scores, meetings, n_best):
    """Per startup, how many of its meetings are diverse, worked out here from the profiles."""
    kinds = {m.id: m.kind for m in cohort.mentors}
    roots = {m.id: {d.split("/")[0] for d in m.domains} for m in cohort.mentors}
    uncertain = set(np.array([m.id for m in cohort.mentors])[uncertain_mentors(cohort)])
    out = {}
    for i, sid in enumerate(scores.startup_ids):
        allowed = [j for j in np.argsort(-scores.values[i], kind="stable") if not scores.forbidden[i, j]]
        best = [scores.mentor_ids[j] for j in allowed[:n_best]]
        seen_kinds = {kinds[m] for m in best}
        seen_roots = set().union(*(roots[m] for m in best))
        met = meetings.loc[meetings.startup_id == sid, "mentor_id"]
        out[sid] = sum(kinds[m] not in seen_kinds or not (roots[m] & seen_roots) or m in uncertain
                       for m in met)
    return out


def test_every_startup_gets_its_meetings_with_the_diversity_share(spring_plan):
    plan = spring_plan
    sizes = plan.meetings.groupby("startup_id").size()
    assert (sizes == 8).all() and len(sizes) == len(plan.cohort.startups)
    diverse = independent_diversity(plan.cohort, plan.scores, plan.meetings, n_best=6)
    assert min(diverse.values()) >= 2, diverse
    assert plan.meetings["reason"].str.len().gt(0).all()
    assert plan.meetings["reason"].str.startswith(("diversity", "uncertain")).any()
    # no meeting a rule forbids (conflicts of interest, no common language)
    rows = pd.Index(plan.scores.startup_ids).get_indexer(plan.meetings.startup_id)
    cols = pd.Index(plan.scores.mentor_ids).get_indexer(plan.meetings.mentor_id)
    assert not plan.scores.forbidden[rows, cols].any()


def test_the_sample_availability_windows_are_kept(spring_plan):
    windows = pd.read_csv(SPRING / "availability.csv")
    for row in spring_plan.meetings.itertuples(index=False):
        mine = windows[windows.mentor_id == row.mentor_id]
        if mine.empty:
            continue
        start, end = pd.Timestamp(row.start), pd.Timestamp(row.end)
        inside = [start >= pd.Timestamp(f"{w.date} {w['from']}") and end <= pd.Timestamp(f"{w.date} {w.to}")
                  for _, w in mine.iterrows()]
        assert any(inside), f"{row.mentor_id} meets at {start} outside its windows"
    # nobody is in two meetings at once
    for key in ("startup_id", "mentor_id"):
        assert not spring_plan.meetings.duplicated([key, "start"]).any()
    assert spring_plan.rounds >= spring_plan.lower_bound


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(2, 5), cap=st.integers(1, 4))
def test_meeting_lists_keep_capacity_and_diversity_on_random_cohorts(seed, n, cap):
    startups, mentors = synthetic_programme(6, 14, "clustered", seed=seed)
    cohort = load_cohort(startups=startups, mentors=mentors, require_common_language=False)
    if 6 * n > 14 * cap:
        with pytest.raises(matcher.InfeasibleError):
            plan_meetings(cohort, per_startup=n, meeting_capacity=cap, days=2, availability=False)
        return
    plan = plan_meetings(cohort, per_startup=n, meeting_capacity=cap, days=2, availability=False,
                         diversity=0.5)
    assert plan.meetings.groupby("mentor_id").size().max() <= cap
    assert (plan.meetings.groupby("startup_id").size() == n).all()
    n_diverse = int(round(n * 0.5))
    counts = independent_diversity(plan.cohort, plan.scores, plan.meetings, n_best=n - n_diverse)
    wanted = np.minimum(n_diverse, plan.info["diverse_per_startup"])
    assert all(counts[s] >= w for s, w in zip(plan.scores.startup_ids, wanted))
    assert plan.rounds == plan.lower_bound  # no windows: König's bound


def test_meeting_capacity_by_mentor_is_kept():
    caps = {"m-chan-wai-ming": 0, "m-li-jing": 1}
    plan = plan_meetings(SPRING, per_startup=4, days=1, availability=False, meeting_capacity=caps)
    load = plan.meetings.groupby("mentor_id").size()
    assert "m-chan-wai-ming" not in load and load.get("m-li-jing", 0) <= 1


def write(tmp_path, name, text) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MET = {("s-a", "m-x"), ("s-a", "m-y"), ("s-b", "m-x")}


def problems(path, met=MET):
    with pytest.raises(InputError) as caught:
        read_choices(path, met, ["s-a", "s-b"], ["m-x", "m-y"])
    return [(p.source, p.row, p.field, p.message) for p in caught.value.problems]


def test_bad_choices_rows_are_refused_with_file_row_and_field(tmp_path):
    path = write(tmp_path, "choices.csv", "\n".join([
        "by,startup_id,mentor_id,rank,choice",
        "startup,s-a,m-x,1,",       # fine
        "startup,s-b,m-y,1,",       # row 3: they never met
        "mentor,s-a,m-x,,perhaps",  # row 4: unknown choice
        "startup,s-a,m-y,1,",       # row 5: rank 1 twice for s-a
        "founder,s-b,m-x,,yes",     # row 6: unknown side
        "mentor,s-a,m-y,2,no",      # row 7: a rank beside a no
        "startup,s-a,m-x,,yes",     # row 8: s-a's choice about m-x again
        "mentor,s-b,m-x,,",         # row 9: neither rank nor choice
        "startup,s-a,m-y,0,",       # row 10: rank 0
    ]) + "\n")
    found = problems(path)
    where = {(row, field) for _, row, field, _ in found}
    assert {src for src, *_ in found} == {"choices.csv"}
    assert {(3, "rank"), (4, "choice"), (5, "rank"), (6, "by"), (7, "rank"), (8, "mentor_id"),
            (9, "choice"), (10, "rank")} <= where
    never = [m for _, row, _, m in found if row == 3]
    assert any("never met" in m and "s-b" in m and "m-y" in m for m in never)


def test_a_choices_file_without_rank_or_choice_columns_is_refused(tmp_path):
    path = write(tmp_path, "choices.csv", "by,startup_id,mentor_id\nstartup,s-a,m-x\n")
    assert problems(path)[0][1:3] == (1, "rank")


def test_bad_availability_rows_are_refused(tmp_path):
    path = write(tmp_path, "availability.csv", "\n".join([
        "mentor_id,date,from,to",
        "m-x,2026-03-02,09:00,12:00",
        "m-z,2026-03-02,09:00,12:00",   # unknown mentor
        "m-x,2026-02-30,09:00,12:00",   # no such date
        "m-x,2026-03-03,13:00,12:00",   # ends before it starts
        "m-x,2026-03-03,9h,12:00",      # not a time
    ]) + "\n")
    with pytest.raises(InputError) as caught:
        read_availability(path, ["m-x", "m-y"])
    where = {(p.source, p.row, p.field) for p in caught.value.problems}
    assert where == {("availability.csv", 3, "mentor_id"), ("availability.csv", 4, "date"),
                     ("availability.csv", 5, "to"), ("availability.csv", 6, "from")}


def test_the_sample_files_read_and_the_cohort_still_loads():
    cohort = load_cohort(SPRING)
    assert len(cohort.startups) == 11
    windows = read_availability(SPRING / "availability.csv", [m.id for m in cohort.mentors])
    assert windows["date"].min() == dt.date(2026, 3, 2)
    meetings = pd.read_csv(SPRING / "meetings.csv")
    table = read_choices(SPRING / "choices.csv", set(zip(meetings.startup_id, meetings.mentor_id)))
    assert set(table["by"]) == {"startup", "mentor"}


def test_simulated_choices_are_deterministic_and_only_about_meetings(spring_plan):
    first, again = simulate_choices(spring_plan, seed=3), simulate_choices(spring_plan, seed=3)
    pd.testing.assert_frame_equal(first, again)
    met = set(zip(spring_plan.meetings.startup_id, spring_plan.meetings.mentor_id))
    read_choices(first, met)  # raises on any row about a meeting that never happened


def test_cli_meetings_names_a_bad_availability_row_and_writes_nothing(tmp_path, capsys):
    from matcher.app.cli import main

    folder = tmp_path / "spring"
    folder.mkdir()
    for name in ("startups.csv", "mentors.csv", "programme.yaml", "history.csv"):
        (folder / name).write_bytes((SPRING / name).read_bytes())
    (folder / "availability.csv").write_text("mentor_id,date,from,to\nm-li-jing,2026-03-02,13:00,noon\n",
                                             encoding="utf-8")
    out = tmp_path / "out"
    assert main(["meetings", str(folder), "--per-startup", "3", "--days", "2", "--out", str(out)]) == 2
    assert "availability.csv, row 2, field 'to'" in capsys.readouterr().err
    assert not out.exists()


def test_too_few_slots_for_the_week_is_diagnosed_in_words():
    with pytest.raises(matcher.InfeasibleError) as caught:
        plan_meetings(SPRING, per_startup=6, days=1, day_start="09:00", day_end="10:00", availability=False)
    assert caught.value.diagnoses[0].rule == "rounds"
    assert "add days" in str(caught.value)


def test_validate_reads_the_week_files_of_the_folder(tmp_path, capsys):
    from matcher.app.cli import main

    folder = tmp_path / "spring"
    folder.mkdir()
    for path in SPRING.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    assert main(["validate", str(folder)]) == 0
    with open(folder / "choices.csv", "a", encoding="utf-8") as stream:
        stream.write("mentor,s-facetrust,m-zhang-wei,,yes\n")
    rows = len((folder / "choices.csv").read_text(encoding="utf-8").splitlines())
    meetings = pd.read_csv(folder / "meetings.csv")
    assert ("s-facetrust", "m-zhang-wei") not in set(zip(meetings.startup_id, meetings.mentor_id))
    assert main(["validate", str(folder)]) == 2
    assert f"choices.csv, row {rows}, field 'choice'" in capsys.readouterr().err
