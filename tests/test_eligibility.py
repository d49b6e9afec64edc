"""Eligibility screening: each criterion at its boundary, unknown evidence, overrides, errors, the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import matcher
from matcher.data.eligibility import EligibilityRules, has_eligibility_data, screen
from matcher.errors import InfeasibleError, InputError
from tests.test_io import edit_csv

EVIDENCE = {"incorporated_on": "2024-01-15", "founders_total": "2", "founders_hk_permanent": "2",
            "operates_mainly_in_hk": "yes", "founder_share_pct": "70", "ai_work_pct": "80"}
MENTORS = pd.DataFrame({"id": ["m-a", "m-b"], "name": ["A", "B"], "kind": ["professor", "investor"],
                        "domains": ["vision", "fintech"], "expertise": ["vision models", "fintech funds"],
                        "capacity": ["5", "5"], "languages": ["English", "English"]})


def cohort_of(*rows: dict, start="2026-09-07", eligibility=None, evidence=True):
    """A cohort of startups that meet every rule except what each row changes."""
    base = {"name": "Startup", "domains": "vision", "description": "Vision models for clinics",
            "languages": "English",
            **(EVIDENCE if evidence else {})}
    startups = pd.DataFrame([{**base, "id": f"s-{n}", **row} for n, row in enumerate(rows)])
    programme = {"start_date": start} if start is not None else {}
    if eligibility is not None:
        programme["eligibility"] = eligibility
    return matcher.load_cohort(startups=startups, mentors=MENTORS, programme=programme)


def statuses(cohort, criterion: str, **kwargs) -> list[str]:
    return screen(cohort, **kwargs).verdicts[criterion].tolist()


# ---------------------------------------------------------------- each criterion at its boundary

def test_young_company_counts_calendar_years():
    cohort = cohort_of({"incorporated_on": "2023-09-07"},   # exactly 3 years before: too old
                       {"incorporated_on": "2023-09-08"},   # one day inside (1,095 days)
                       {"incorporated_on": "2026-09-07"},   # on the start date
                       {"incorporated_on": "2020-01-01"})
    assert statuses(cohort, "young_company") == ["fail", "pass", "pass", "fail"]
    table = screen(cohort).table.query("criterion == 'young_company'")
    assert table["value"].tolist() == ["2023-09-07", "2023-09-08", "2026-09-07", "2020-01-01"]
    assert "not after the cut-off 2023-09-07" in table["reason"].iloc[0]


def test_young_company_on_a_leap_day():
    cohort = cohort_of({"incorporated_on": "2025-02-28"}, {"incorporated_on": "2025-03-01"},
                       start="2028-02-29")
    assert statuses(cohort, "young_company") == ["fail", "pass"]


@given(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)), st.integers(-2000, 2000))
def test_young_company_agrees_with_pandas_date_offsets(start, days):
    incorporated = start - dt.timedelta(days=1095) + dt.timedelta(days=days // 2)
    cohort = cohort_of({"incorporated_on": incorporated.isoformat()}, start=start.isoformat())
    cutoff = (pd.Timestamp(start) - pd.DateOffset(years=3)).date()  # an independent calendar
    assert statuses(cohort, "young_company") == ["pass" if incorporated > cutoff else "fail"]


def test_local_founders_needs_a_strict_majority():
    cohort = cohort_of({"founders_total": "4", "founders_hk_permanent": "2"},   # exactly half
                       {"founders_total": "4", "founders_hk_permanent": "3"},
                       {"founders_total": "2", "founders_hk_permanent": "1"},
                       {"founders_total": "3", "founders_hk_permanent": "2"},
                       {"founders_total": "1", "founders_hk_permanent": "0"})
    assert statuses(cohort, "local_founders") == ["fail", "pass", "fail", "pass", "fail"]
    assert screen(cohort).excluded["s-0"] == ("fails local_founders: 2 of 4 founders are HK permanent "
                                              "residents, not more than half")


@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_local_founders_matches_integer_majority(counts):
    total, local = counts
    cohort = cohort_of({"founders_total": str(total), "founders_hk_permanent": str(local)})
    assert statuses(cohort, "local_founders") == ["pass" if 2 * local > total else "fail"]


def test_local_founders_threshold_is_exact():
    # 3 of 5 is exactly 0.6: not above it, whatever binary floating point makes of 0.6 × 5
    cohort = cohort_of({"founders_total": "5", "founders_hk_permanent": "3"},
                       {"founders_total": "5", "founders_hk_permanent": "4"},
                       eligibility={"hk_permanent_above": 0.6})
    assert statuses(cohort, "local_founders") == ["fail", "pass"]


def test_local_operations():
    cohort = cohort_of({"operates_mainly_in_hk": "yes"}, {"operates_mainly_in_hk": "no"},
                       {"operates_mainly_in_hk": "Yes"})
    assert statuses(cohort, "local_operations") == ["pass", "fail", "pass"]


def test_founder_control_needs_more_than_half():
    cohort = cohort_of({"founder_share_pct": "50"}, {"founder_share_pct": "50.0"},
                       {"founder_share_pct": "50.01"}, {"founder_share_pct": "100"})
    assert statuses(cohort, "founder_control") == ["fail", "fail", "pass", "pass"]
    assert "not more than 50%" in screen(cohort).excluded["s-0"]


def test_ai_company_exactly_half_is_enough():
    cohort = cohort_of({"ai_work_pct": "50"}, {"ai_work_pct": "49.99"}, {"ai_work_pct": "0"})
    assert statuses(cohort, "ai_company") == ["pass", "fail", "fail"]
    assert screen(cohort).verdicts["verdict"].tolist() == ["eligible", "ineligible", "ineligible"]


def test_thresholds_come_from_the_programme():
    cohort = cohort_of({"incorporated_on": "2022-01-01", "ai_work_pct": "60"},
                       eligibility={"max_age_years": 5, "ai_work_at_least": 70})
    assert statuses(cohort, "young_company") == ["pass"]
    assert statuses(cohort, "ai_company") == ["fail"]
    off = cohort_of({"operates_mainly_in_hk": "no", "ai_work_pct": "10"},
                    eligibility={"operates_mainly_in_hk": False, "ai_work_at_least": None})
    screening = screen(off)
    assert "local_operations" not in screening.verdicts and "ai_company" not in screening.verdicts
    assert screening.eligible_ids == ("s-0",)


# ---------------------------------------------------------------- unknown evidence

@pytest.mark.parametrize("field, criterion", [
    ("incorporated_on", "young_company"), ("founders_total", "local_founders"),
    ("founders_hk_permanent", "local_founders"), ("operates_mainly_in_hk", "local_operations"),
    ("founder_share_pct", "founder_control"), ("ai_work_pct", "ai_company")])
def test_empty_evidence_is_unknown_never_a_pass(field, criterion):
    screening = screen(cohort_of({field: ""}, {}))
    assert screening.verdicts.loc["s-0", criterion] == "unknown"
    assert screening.verdicts.loc["s-0", "verdict"] == "unknown"
    assert screening.eligible_ids == ("s-1",)
    assert screening.excluded == {"s-0": f"unknown {criterion}: {field} is empty (no evidence supplied)"}


def test_a_failure_outweighs_unknown_evidence():
    screening = screen(cohort_of({"incorporated_on": "", "founder_share_pct": "40"}))
    assert screening.verdicts.loc["s-0", "verdict"] == "ineligible"
    assert screening.excluded["s-0"].startswith("fails founder_control")
    assert "unknown young_company" in screening.excluded["s-0"]


def test_cohort_without_evidence_is_not_screened_by_default():
    cohort = cohort_of({}, {}, evidence=False)
    assert not has_eligibility_data(cohort)
    result = matcher.match_cohort(cohort, k=1)
    assert result.screening is None and len(result.assignments) == 2
    # asked for explicitly, nothing is known: nobody passes
    screening = screen(cohort)
    assert set(screening.verdicts["verdict"]) == {"unknown"} and screening.eligible_ids == ()
    with pytest.raises(InfeasibleError, match=r"\[eligibility\] No startup passed"):
        matcher.match_cohort(cohort, k=1, screen=True)


# ---------------------------------------------------------------- the sample programme

def test_sample_cohorts_leave_out_the_documented_edge_cases():
    spring = screen(matcher.load_cohort("data/spring-2026"))
    assert sorted(spring.excluded) == ["s-lanelogic", "s-portpulse"]
    assert spring.verdicts.loc["s-kindbot", "verdict"] == "eligible"  # ai_work_pct exactly 50
    autumn = screen(matcher.load_cohort("data/autumn-2026"))
    assert autumn.verdicts.loc[["s-shelfmind", "s-coldpick", "s-cantocaption"], "verdict"].tolist() == [
        "ineligible", "ineligible", "unknown"]
    assert autumn.verdicts.loc["s-gridwise", "verdict"] == "eligible"  # one day inside 3 years
    assert len(autumn.table) == 10 * 5 and set(autumn.table["status"]) == {"pass", "fail", "unknown"}


def test_screening_is_deterministic():
    a = screen(matcher.load_cohort("data/autumn-2026"))
    b = screen(matcher.load_cohort("data/autumn-2026"))
    assert a.table.equals(b.table) and a.verdicts.equals(b.verdicts)


# ---------------------------------------------------------------- malformed evidence

@pytest.mark.parametrize("field, value, message", [
    ("founders_hk_permanent", "5", "5 is more than founders_total (2)"),
    ("ai_work_pct", "eighty", "'eighty' is not a number"),
    ("ai_work_pct", "nan", "'nan' is not a finite number"),
    ("founder_share_pct", "120", "'120' is outside 0 to 100"),
    ("founders_total", "0", "'0' is below 1"),
    ("founders_total", "2.5", "'2.5' is not a whole number"),
    ("incorporated_on", "2024-02-30", "'2024-02-30' is not a date of the form YYYY-MM-DD"),
    ("incorporated_on", "19/02/2024", "'19/02/2024' is not a date of the form YYYY-MM-DD"),
    ("operates_mainly_in_hk", "mostly", "'mostly' is not true or false"),
])
def test_malformed_evidence_names_file_row_and_field(cohort_copy, field, value, message):
    edit_csv(cohort_copy / "startups.csv", 3, field, value)  # s-radiantscan: 2 founders
    with pytest.raises(InputError) as err:
        screen(matcher.load_cohort(cohort_copy))
    assert [(p.source, p.row, p.field, p.message) for p in err.value.problems] == [
        ("startups.csv", 3, field, message)]
    assert f"startups.csv, row 3, field '{field}': {message}" in str(err.value)


def test_dates_from_an_excel_sheet(tmp_path, spring):
    startups = pd.read_csv(spring / "startups.csv", dtype=str, keep_default_na=False)
    startups["incorporated_on"] = pd.to_datetime(startups["incorporated_on"])  # Excel date cells
    startups.to_excel(tmp_path / "startups.xlsx", index=False)
    cohort = matcher.load_cohort(startups=tmp_path / "startups.xlsx", mentors=spring / "mentors.csv",
                                 programme=spring / "programme.yaml", history=spring / "history.csv")
    assert cohort.startups[0].attributes["incorporated_on"] == "2024-02-19 00:00:00"
    assert sorted(screen(cohort).excluded) == ["s-lanelogic", "s-portpulse"]


def test_every_malformed_value_is_reported_together(cohort_copy):
    edit_csv(cohort_copy / "startups.csv", 2, "ai_work_pct", "lots")
    edit_csv(cohort_copy / "startups.csv", 12, "incorporated_on", "2025-13-01")
    with pytest.raises(InputError) as err:
        matcher.match_cohort(cohort_copy)
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "ai_work_pct"), (12, "incorporated_on")]


def test_programme_eligibility_is_validated(cohort_copy):
    with pytest.raises(InputError, match=r"field 'eligibility.max_age_yrs': unknown key \(did you mean "
                                         r"'max_age_years'\?\)"):
        screen(cohort_of({}, eligibility={"max_age_yrs": 3}))
    with pytest.raises(InputError, match="'eligibility.founder_share_above': 'half' is not a number"):
        screen(cohort_of({}, eligibility={"founder_share_above": "half"}))
    with pytest.raises(InputError, match="'eligibility.hk_permanent_above': 50 is out of range"):
        screen(cohort_of({}, eligibility={"hk_permanent_above": 50}))
    with pytest.raises(InputError, match="'eligibility.override': 42 is not a list of startup ids"):
        screen(cohort_of({}, eligibility={"override": 42}))
    with pytest.raises(InputError, match="'start_date': is missing"):
        screen(cohort_of({}, start=None))
    with pytest.raises(InputError, match="'start_date': '2026-02-30' is not a date"):
        screen(cohort_of({}, start="2026-02-30"))
    # without the age rule no start date is needed
    assert screen(cohort_of({}, start=None, eligibility={"max_age_years": None})).eligible_ids == ("s-0",)


# ---------------------------------------------------------------- overrides and applying

def test_override_from_programme_yaml(cohort_copy):
    path = cohort_copy / "programme.yaml"
    programme = yaml.safe_load(path.read_text())
    programme["eligibility"]["override"] = ["s-portpulse"]
    path.write_text(yaml.safe_dump(programme))
    result = matcher.match_cohort(cohort_copy)
    assert result.screening.overridden == ("s-portpulse",)
    assert result.screening.verdicts.loc["s-portpulse", "verdict"] == "ineligible"  # the verdict stands
    assert result.screening.excluded.keys() == {"s-lanelogic"}
    assert "s-portpulse" in set(result.assignments["startup_id"]) and len(result.assignments) == 30


def test_override_by_keyword_and_unknown_ids():
    cohort = matcher.load_cohort("data/autumn-2026")
    screening = screen(cohort, override=["s-cantocaption"])
    assert screening.overridden == ("s-cantocaption",)
    assert "s-cantocaption" not in screening.excluded and screening.eligible_ids.count("s-cantocaption") == 1
    assert screening.verdicts.loc["s-cantocaption", "reason"].endswith("admitted by override")
    # overriding an eligible startup changes nothing
    assert screen(cohort, override="s-gridwise").overridden == ()
    with pytest.raises(InputError, match=r"id 's-cantocapton' \(did you mean 's-cantocaption'"):
        screen(cohort, override=["s-cantocapton"])
    result = matcher.match_cohort(cohort, override_eligibility=["s-cantocaption"])
    assert "s-cantocaption" in set(result.assignments["startup_id"])
    with pytest.raises(InputError, match="override_eligibility.*screen=False"):
        matcher.match_cohort(cohort, screen=False, override_eligibility=["s-cantocaption"])


def test_apply_drops_what_refers_to_startups_left_out():
    cohort = matcher.load_cohort("data/spring-2026")
    conflicted = next(m for m in cohort.mentors if "s-portpulse" in m.conflicts)
    cohort = dataclasses.replace(
        matcher.pipeline.with_rules(
            cohort, forbidden=(("s-portpulse", "m-guo-lei"), ("s-kindbot", "m-guo-lei"))),
        history=(("autumn-2025", "s-portpulse", "m-guo-lei"), ("autumn-2025", "s-kindbot", "m-li-jing")))
    screening = screen(cohort)
    applied = screening.apply(cohort)
    assert [s.id for s in applied.startups] == list(screening.eligible_ids)
    assert applied.rules.forbidden == (("s-kindbot", "m-guo-lei"),)
    assert applied.history == (("autumn-2025", "s-kindbot", "m-li-jing"),)
    after = next(m for m in applied.mentors if m.id == conflicted.id)
    assert "s-portpulse" not in after.conflicts and len(after.conflicts) == len(conflicted.conflicts) - 1
    assert [m.id for m in applied.mentors] == [m.id for m in cohort.mentors]
    assert applied.meta["screening"] is screening
    # matching the applied cohort reuses its screening
    assert matcher.match_cohort(applied).screening is screening
    pinned = matcher.pipeline.with_rules(cohort, pinned=(("s-portpulse", "m-guo-lei"),))
    with pytest.raises(InputError, match=r"pair \(s-portpulse, m-guo-lei\) names s-portpulse, left out"):
        matcher.match_cohort(pinned)


def test_precomputed_scores_lose_the_rows_left_out():
    cohort = matcher.load_cohort("data/spring-2026")
    scores = matcher.score_cohort(cohort)  # all 11 startups
    result = matcher.match_cohort(cohort, scores=scores)
    assert result.scores.shape == (9, 36) and "s-portpulse" not in set(result.scores.startup_ids)
    assert result.assignment.status == "optimal" and len(result.assignments) == 27


def test_rules_dataclass_lists_active_criteria():
    assert EligibilityRules().active == ("young_company", "local_founders", "local_operations",
                                         "founder_control", "ai_company")


# ---------------------------------------------------------------- the console command

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "matcher", *args], capture_output=True, text=True,
                          timeout=120)


def test_screen_command(tmp_path):
    done = run("screen", "data/autumn-2026", "--out", str(tmp_path / "screening.csv"))
    assert done.returncode == 0, done.stderr
    assert "7 of 10 startups go on to matching" in done.stdout
    for text in ("ShelfMind (s-shelfmind): fails local_operations",
                 "ColdPick Robotics (s-coldpick): fails founder_control",
                 "CantoCaption (s-cantocaption): unknown young_company"):
        assert text in " ".join(done.stdout.split())
    table = pd.read_csv(tmp_path / "screening.csv", dtype=str, keep_default_na=False)
    assert len(table) == 50 and table.query("startup_id == 's-coldpick' and status == 'fail'")[
        "value"].tolist() == ["50"]
    done = run("screen", "data/autumn-2026", "--override", "s-cantocaption", "--override", "s-nobody")
    assert done.returncode == 2 and "unknown startup id 's-nobody'" in done.stderr
    done = run("screen", "data/autumn-2026", "--override", "s-cantocaption")
    assert done.returncode == 0 and "8 of 10" in done.stdout


def test_screen_command_bad_input(cohort_copy):
    edit_csv(cohort_copy / "startups.csv", 5, "founders_hk_permanent", "9")
    for command in ("screen", "validate", "match"):
        done = run(command, str(cohort_copy))
        assert done.returncode == 2, command
        assert "startups.csv, row 5, field 'founders_hk_permanent'" in done.stderr
        assert "Traceback" not in done.stderr


def test_match_without_screening(tmp_path):
    done = run("match", "data/spring-2026", "--no-screen", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "left out" not in done.stdout
    assert len(pd.read_csv(tmp_path / "assignments.csv")) == 33
    assert not (tmp_path / "screening.csv").exists()


def test_excel_midnight_dates_and_yes_no_words_are_read(cohort_copy):
    edit_csv(cohort_copy / "startups.csv", 3, "incorporated_on", "2024-02-19 00:00:00")
    edit_csv(cohort_copy / "startups.csv", 3, "operates_mainly_in_hk", "Yes")
    screening = screen(matcher.load_cohort(cohort_copy))
    row = screening.table[(screening.table["startup_id"] == screening.verdicts.index[1])]
    assert row.set_index("criterion").at["young_company", "value"] == "2024-02-19"


def test_screening_moved_but_old_imports_work():
    import matcher.data.eligibility as eligibility
    import matcher.data.screening as screening

    assert eligibility.screen is screening.screen is matcher.screen
    assert eligibility.Screening is screening.Screening is matcher.Screening
