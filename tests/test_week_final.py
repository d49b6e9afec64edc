"""The final match from the week's choices: stable with solver="stable" (no blocking pair, by
brute force), optimal with its bound otherwise (against scipy's MILP), and never silent about a
side left without partners."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.app.cli import main
from matcher.week import plan_meetings
from tests.strategies import milp_optimum

ROOT = Path(__file__).resolve().parent.parent
SPRING = ROOT / "data" / "spring-2026"


@pytest.fixture(scope="module")
def week():
    cohort = matcher.load_cohort(SPRING)
    plan = plan_meetings(cohort, per_startup=5, days=2, availability=False)
    return cohort, plan


def random_choices(plan, seed: int) -> pd.DataFrame:
    """Each side says something random about each meeting: a rank, yes, maybe, no or nothing."""
    rng = np.random.default_rng(seed)
    rows = []
    for side, key in (("startup", "startup_id"), ("mentor", "mentor_id")):
        for _, mine in plan.meetings.groupby(key, sort=True):
            ranks = iter(rng.permutation(len(mine)) + 1)
            for m in mine.itertuples(index=False):
                kind = rng.choice(["rank", "yes", "maybe", "no", "none"], p=[0.3, 0.2, 0.2, 0.2, 0.1])
                rank = next(ranks)
                if kind != "none":
                    rows.append((side, m.startup_id, m.mentor_id, rank if kind == "rank" else None,
                                 "" if kind == "rank" else kind))
    table = pd.DataFrame(rows, columns=["by", "startup_id", "mentor_id", "rank", "choice"])
    table["rank"] = table["rank"].astype("Int64")
    return table


def brute_force_blocking(final) -> list[tuple[int, int]]:
    """Every pair not made that both sides would rather make, checked pair by pair."""
    chosen = np.zeros(final.allowed.shape, dtype=bool)
    rows = pd.Index(final.scores.startup_ids).get_indexer(final.pairs.startup_id)
    cols = pd.Index(final.scores.mentor_ids).get_indexer(final.pairs.mentor_id)
    chosen[rows, cols] = True
    su, mu = final.startup_utility, final.mentor_utility
    found = []
    for i in range(chosen.shape[0]):
        for j in range(chosen.shape[1]):
            if chosen[i, j] or not final.allowed[i, j] or final.capacity[j] == 0:
                continue
            mine, theirs = np.nonzero(chosen[i])[0], np.nonzero(chosen[:, j])[0]
            startup_wants = len(mine) < final.k or any(su[i, j] > su[i, p] for p in mine)
            mentor_wants = len(theirs) < final.capacity[j] or any(mu[i, j] > mu[q, j] for q in theirs)
            if startup_wants and mentor_wants:
                found.append((i, j))
    return found


def check_common(final, choices):
    made = set(zip(final.pairs.startup_id, final.pairs.mentor_id))
    said_no = set(zip(choices.loc[choices.choice == "no", "startup_id"],
                      choices.loc[choices.choice == "no", "mentor_id"]))
    assert not made & said_no, "a pair one side said no to"
    met = set(zip(final.cohort.startup_ids[np.nonzero(final.allowed)[0]],
                  final.cohort.mentor_ids[np.nonzero(final.allowed)[1]]))
    assert made <= met
    assert (final.pairs.groupby("startup_id").size() <= final.k).all()
    load = final.pairs.groupby("mentor_id").size()
    cap = pd.Series(final.capacity, index=final.cohort.mentor_ids)
    assert (load <= cap[load.index]).all()
    assert final.pairs.reason.str.startswith("matched because").all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 100_000), proposing=st.sampled_from(["stable", "stable-mentors"]))
def test_stable_final_match_has_no_blocking_pair(week, seed, proposing):
    cohort, plan = week
    choices = random_choices(plan, seed)
    final = matcher.final_match(cohort, choices, meetings=plan, solver=proposing, scores=plan.scores)
    check_common(final, choices)
    assert brute_force_blocking(final) == []
    assert len(final.blocking_pairs) == 0
    assert final.assignment.bound >= final.assignment.objective - 1e-9


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 100_000), weight=st.sampled_from([0.0, 0.6, 1.0]))
def test_total_final_match_is_optimal_against_milp(week, seed, weight):
    cohort, plan = week
    choices = random_choices(plan, seed)
    final = matcher.final_match(cohort, choices, meetings=plan, preference_weight=weight, scores=plan.scores)
    check_common(final, choices)
    expected = milp_optimum(final.value, (0, final.k), final.capacity, ~final.allowed,
                            np.zeros_like(final.allowed))
    a = final.assignment
    assert a.status == "optimal" and a.gap == pytest.approx(0.0, abs=1e-9)
    assert a.objective == pytest.approx(expected, abs=1e-6)
    assert a.bound >= a.objective - 1e-9
    # the audit is the brute force's count
    assert len(final.blocking_pairs) == len(brute_force_blocking(final))


def test_the_utilities_follow_what_each_side_said(week):
    cohort, plan = week
    choices = random_choices(plan, 7)
    final = matcher.final_match(cohort, choices, meetings=plan, solver="stable", scores=plan.scores)
    s_pos = {s: i for i, s in enumerate(final.scores.startup_ids)}
    m_pos = {m: j for j, m in enumerate(final.scores.mentor_ids)}
    mine = choices[(choices.by == "startup") & choices["rank"].notna()].sort_values(["startup_id", "rank"])
    for sid, group in mine.groupby("startup_id"):
        u = [final.startup_utility[s_pos[sid], m_pos[m]] for m in group.mentor_id]
        assert u == sorted(u, reverse=True), "a better rank is not preferred"
    for side, utility, key in (("startup", final.startup_utility, "startup_id"),
                               ("mentor", final.mentor_utility, "mentor_id")):
        said = choices[choices.by == side].assign(level=lambda f: f.choice.where(f["rank"].isna(), "ranked"))
        for who, group in said.groupby(key):
            rows = [s_pos[s] for s in group.startup_id]
            cols = [m_pos[m] for m in group.mentor_id]
            value = pd.Series(utility[rows, cols], index=group.level.to_numpy())
            for better, worse in (("yes", "maybe"), ("ranked", "maybe"), ("maybe", "no")):
                if better in value.index and worse in value.index:
                    assert value[[better]].min() > value[[worse]].max(), (side, who, better, worse)


def test_both_first_choices_are_explained_and_a_no_to_everyone_is_diagnosed(week):
    cohort, plan = week
    meetings = plan.meetings
    first = meetings.iloc[0]
    loner = next(s for s in meetings.startup_id.unique()[::-1] if s != first.startup_id)
    rows = [("startup", first.startup_id, first.mentor_id, 1, ""),
            ("mentor", first.startup_id, first.mentor_id, 1, "")]
    rows += [("startup", loner, m, None, "no")
             for m in meetings.loc[meetings.startup_id == loner, "mentor_id"]]
    choices = pd.DataFrame(rows, columns=["by", "startup_id", "mentor_id", "rank", "choice"])
    for solver in (None, "stable"):
        final = matcher.final_match(cohort, choices, meetings=plan, solver=solver, scores=plan.scores)
        pairs = final.pairs
        pair = pairs[(pairs.startup_id == first.startup_id) & (pairs.mentor_id == first.mentor_id)]
        assert pair.reason.tolist() == ["matched because both ranked each other first"]
        assert final.startups.loc[loner, "n_mentors"] == 0
        assert "said no to all" in final.startups.loc[loner, "diagnosis"]
        assert any(loner in line for line in final.diagnoses)


def test_cli_final_and_meetings(tmp_path):
    out = tmp_path / "week"
    assert main(["meetings", str(SPRING), "--per-startup", "4", "--days", "2", "--out", str(out)]) == 0
    import icalendar

    ics = sorted((out / "mentors").glob("*.ics"))
    assert ics and icalendar.Calendar.from_ical(ics[0].read_bytes()).walk("VEVENT")
    assert "<section" in (out / "agenda.html").read_text(encoding="utf-8")
    forms = pd.concat([pd.read_csv(out / "choices_startups.csv"), pd.read_csv(out / "choices_mentors.csv")])
    assert len(forms) == 2 * len(pd.read_csv(out / "meetings.csv"))
    assert main(["final", str(SPRING), "--choices", str(SPRING / "choices.csv"), "--out", str(tmp_path / "f"),
                 "--solver", "stable"]) == 0
    assert pd.read_csv(tmp_path / "f" / "blocking_pairs.csv").empty


def test_cli_final_refuses_a_choice_about_a_meeting_that_never_happened(tmp_path, capsys):
    choices = pd.read_csv(SPRING / "choices.csv")
    meetings = pd.read_csv(SPRING / "meetings.csv")
    met = set(zip(meetings.startup_id, meetings.mentor_id))
    mentor = next(m for m in meetings.mentor_id.unique() if ("s-facetrust", m) not in met)
    bad = pd.concat([choices, pd.DataFrame([{"by": "startup", "startup_id": "s-facetrust",
                                             "mentor_id": mentor, "rank": 9, "choice": ""}])])
    path = tmp_path / "choices.csv"
    bad.to_csv(path, index=False)
    status = main(["final", str(SPRING), "--choices", str(path), "--meetings", str(SPRING / "meetings.csv"),
                   "--out", str(tmp_path / "f")])
    assert status == 2
    err = capsys.readouterr().err
    assert f"choices.csv, row {len(bad) + 1}, field 'rank'" in err and "never met" in err
    assert not (tmp_path / "f").exists()


def test_evaluate_learns_from_the_choices(capsys):
    from matcher.insight.choices import choice_ratings, evaluate_choices

    choices = pd.read_csv(SPRING / "choices.csv")
    ratings = choice_ratings(choices)
    # a rating is what both sides said, counted here directly for one meeting of each kind
    for row in ratings.sample(10, random_state=0).itertuples(index=False):
        said = choices[(choices.startup_id == row.startup_id) & (choices.mentor_id == row.mentor_id)]
        worth = {by: (2 if (r.rank == r.rank and r.rank is not None) or r.choice == "yes" else
                      0 if r.choice == "no" else 1) for by, r in zip(said.by, said.itertuples())}
        assert row.rating == 1 + worth.get("startup", 1) + worth.get("mentor", 1)
    scores = matcher.score_cohort(matcher.load_cohort(SPRING))
    found = evaluate_choices(choices, scores, fit=True, step=0.25)
    assert found.n_mutual == int(ratings.mutual.sum()) and 0.5 < found.auc <= 1.0
    assert abs(sum(found.fit.weights.values()) - 1.0) < 1e-9
    assert main(["evaluate", str(SPRING), str(SPRING / "choices.csv")]) == 0
    assert "mutual choices" in capsys.readouterr().out
