"""Each finding of the hostile-input review, fixed: a focused test per fix (the corpus in
tests/hostile runs them all again through the command line, in child processes)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matcher
from matcher.data.checks import check_cohort
from matcher.data.io import read_capacity, read_document, read_scores
from matcher.data.rule_checks import check_solve_arguments
from matcher.data.values import identifier, whole_number
from matcher.errors import InputError
from tests.hostile.cases import set_key
from tests.test_io import edit_csv

SPRING = Path("data/spring-2026")
AUTUMN = Path("data/autumn-2026")


@pytest.fixture
def spring(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SPRING, tmp_path / "spring-2026"))


@pytest.fixture
def autumn(tmp_path: Path) -> Path:
    return Path(shutil.copytree(AUTUMN, tmp_path / "autumn-2026"))


def problems(call, *args, **kwargs) -> list[str]:
    with pytest.raises(InputError) as err:
        call(*args, **kwargs)
    return [str(p) for p in err.value.problems]


# ---------------------------------------------------------------- wrong answers with exit 0

def test_a_score_header_naming_a_mentor_twice_is_refused(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("startup,m0,m0,m2\ns0,1,2,3\ns1,3,2,1\n")
    assert problems(read_scores, path) == [
        "scores.csv, row 1, field 'm0': column 'm0' appears twice (columns 2 and 3) (give every column its "
        "own name)"]


@pytest.mark.parametrize(("cell", "where"), [("1e308", "row 2, field 'm1'"), ("inf", "row 2, field 'm1'"),
                                              ("-1e7", "row 2, field 'm1'")])
def test_a_score_that_is_not_finite_or_absurdly_large_is_refused(tmp_path, cell, where):
    path = tmp_path / "scores.csv"
    path.write_text(f"startup,m0,m1\ns0,0.5,{cell}\ns1,0.1,0.2\n")
    (problem,) = problems(read_scores, path)
    assert f"scores.csv, {where}" in problem


def test_a_blank_or_repeated_startup_in_a_score_file_is_refused(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("startup,m0\n,0.5\ns1,0.2\ns1,0.3\n")
    found = problems(read_scores, path)
    assert any("row 2" in p and "is empty" in p for p in found)
    assert any("row 4" in p and "listed again" in p for p in found)


def test_a_short_csv_row_is_refused_naming_the_row(spring):
    path = spring / "mentors.csv"
    lines = path.read_text().split("\n")
    lines[3] = ",".join(lines[3].split(",")[:2])
    path.write_text("\n".join(lines))
    (problem,) = problems(matcher.load_cohort, spring)
    assert problem.startswith("mentors.csv, row 4: has 2 fields, the header has 10")


def test_history_naming_an_unknown_mentor_is_refused(autumn):
    edit_csv(autumn / "history.csv", 3, "mentor_id", "m-rachel-tsnag")
    (problem,) = problems(matcher.load_cohort, autumn)
    assert problem.startswith("history.csv, row 3, field 'mentor_id': names unknown mentor id "
                              "'m-rachel-tsnag'")
    assert "did you mean 'm-rachel-tsang'?" in problem


def test_history_may_name_startups_of_earlier_cohorts(autumn):
    with open(autumn / "history.csv", "a") as f:
        f.write("spring-2025,s-long-gone,m-rachel-tsang\n")
    assert len(matcher.load_cohort(autumn).history) == 7


def test_a_forbidden_pair_naming_an_unknown_startup_is_refused_through_match_cohort(spring):
    with pytest.raises(InputError, match="s-nobody"):
        matcher.match_cohort(spring, forbidden=[("s-nobody", "m-nobody")])
    with pytest.raises(InputError, match="s-nobody"):
        matcher.assign(np.ones((2, 2)), k=1, forbidden=[("s-nobody", "m-nobody")])


def test_validate_names_a_programme_pair_of_unknown_ids(spring):
    set_key(spring / "programme.yaml", "forbidden", "[[s-nobody, m-chan-wai-ming]]")
    (problem,) = problems(check_cohort, spring)
    assert problem.startswith("programme.yaml, field 'forbidden': pair (s-nobody, m-chan-wai-ming) names "
                              "unknown startup 's-nobody'")


# ---------------------------------------------------------------- hangs and memory

def test_a_named_pipe_is_refused_without_blocking(spring):
    (spring / "mentors.csv").unlink()
    os.mkfifo(spring / "mentors.csv")
    assert "mentors.csv: is a pipe, device or socket, not a regular file" in problems(matcher.load_cohort,
                                                                                     spring)[0]


def test_a_device_is_refused_without_reading_it(spring):
    (spring / "mentors.csv").unlink()
    (spring / "mentors.csv").symlink_to("/dev/zero")
    assert "not a regular file" in problems(matcher.load_cohort, spring)[0]


def test_a_file_over_the_size_limit_is_refused(spring, monkeypatch):
    monkeypatch.setenv("MATCHER_MAX_INPUT_BYTES", "1000")
    found = problems(matcher.load_cohort, spring)
    assert any(p.startswith("startups.csv: is ") and "MATCHER_MAX_INPUT_BYTES" in p for p in found)


@pytest.mark.parametrize("key", ["cohort", "description"])
def test_a_billion_laughs_programme_is_refused_at_once(spring, key):
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(7)]
    bomb.append(f"{key}: [" + ",".join(["*h"] * 9) + "]")
    (spring / "programme.yaml").write_text("\n".join(bomb) + "\n")
    (problem,) = problems(matcher.load_cohort, spring)
    assert "programme.yaml, row 1: is not valid YAML" in problem and "anchor or alias" in problem


def test_yaml_and_json_nested_too_deep_are_refused(tmp_path):
    deep_yaml, deep_json = tmp_path / "p.yaml", tmp_path / "c.json"
    deep_yaml.write_text("k: " + "[" * 20000 + "]" * 20000 + "\n")
    deep_json.write_text('{"startups": ' + "[" * 100000 + "]" * 100000 + "}")
    for path in (deep_yaml, deep_json):
        (problem,) = problems(read_document, path)
        assert problem.startswith(path.name) and "deeper than 100 levels" in problem


# ---------------------------------------------------------------- tracebacks become problems

@pytest.mark.parametrize(("key", "value", "words"), [
    ("start_date", "2026-13-45", "'2026-13-45' is not a date"),
    ("start_date", "2026-03-02T25:00:00", "is not a date"),
    ("eligibility", "{max_age_years: 3000}", "3000 is out of range"),
    ("eligibility", "{max_age_years: 1.0e+300}", "is out of range"),
    ("min_load", ".inf", "inf is not a whole number"),
    ("quotas", "{a: {kinds: [professor], min: .inf}}", "inf is not a whole number"),
    ("weights", '"heavy"', "'heavy' is not a mapping"),
    ("k", "99999999999999999999", "is above 1,000,000"),
    ("require_common_language", "maybe", "'maybe' is not true or false"),
    ("time_limit", "soon", "'soon' is not a number"),
    ("seed", "abc", "'abc' is not a whole number"),
    ("solver", "quantum", "unknown solver 'quantum'"),
])
def test_programme_values_are_refused_naming_file_and_key(spring, key, value, words):
    set_key(spring / "programme.yaml", key, value)
    found = problems(check_cohort, spring)
    assert any(p.startswith("programme.yaml") and key in p and words in p for p in found), found


def test_a_header_only_mentors_table_is_refused(spring):
    (spring / "mentors.csv").write_text((SPRING / "mentors.csv").read_text().split("\n")[0] + "\n")
    assert problems(matcher.load_cohort, spring) == [
        "mentors.csv: holds no mentors (add one row per mentor under the header)"]


def test_assign_settings_are_checked_by_name():
    assert check_solve_arguments(None, 0, None) == (None, 0, None)
    found = problems(check_solve_arguments, float("nan"), "abc", 0)
    assert [p.split(":")[0] for p in found] == ["argument 'time_limit'", "argument 'seed'",
                                                "argument 'workers'"]


# ---------------------------------------------------------------- validate sees what match sees

def test_validate_reports_every_problem_of_every_file_at_once(spring):
    edit_csv(spring / "startups.csv", 3, "stage", "unicorn")
    edit_csv(spring / "mentors.csv", 4, "capacity", "two")
    edit_csv(spring / "mentors.csv", 5, "kind", "wizard")
    set_key(spring / "programme.yaml", "k", "three")
    (spring / "history.csv").write_text("cohort,startup_id,mentor_id\nspring-2025,s-old,m-nobody\n")
    found = problems(check_cohort, spring)
    assert sorted(p.split(":")[0] for p in found) == [
        "history.csv, row 2, field 'mentor_id'", "mentors.csv, row 4, field 'capacity'",
        "mentors.csv, row 5, field 'kind'", "programme.yaml, field 'k'", "startups.csv, row 3, field 'stage'"]


def test_an_unreadable_table_does_not_hide_the_other_files_problems(spring):
    (spring / "startups.csv").write_bytes(b"id,name\n\xff\xfe\n")
    edit_csv(spring / "mentors.csv", 4, "capacity", "two")
    found = problems(check_cohort, spring)
    assert [p.split(",")[0].split(":")[0] for p in found] == ["startups.csv", "mentors.csv"]


@pytest.mark.parametrize(("value", "words"), [("Klingon", "unknown language 'Klingon'"), ("", "is empty")])
def test_a_startup_language_must_be_known(spring, value, words):
    edit_csv(spring / "startups.csv", 3, "languages", value)
    (problem,) = problems(matcher.load_cohort, spring)
    assert problem.startswith(f"startups.csv, row 3, field 'languages': {words}")


def test_validate_names_a_startup_no_mentor_can_speak_with(spring):
    mentors = pd.read_csv(spring / "mentors.csv", dtype=str, keep_default_na=False)
    mentors["languages"] = [";".join(x for x in v.split(";") if x != "Mandarin") or "English"
                            for v in mentors["languages"]]
    mentors.to_csv(spring / "mentors.csv", index=False)
    found = problems(check_cohort, spring)
    assert found and all("field 'languages': no mentor speaks Mandarin" in p for p in found)
    assert found[0].startswith("startups.csv, row ")


def test_incorporation_after_the_start_date_is_refused(spring):
    edit_csv(spring / "startups.csv", 3, "incorporated_on", "2030-01-01")
    (problem,) = problems(check_cohort, spring)
    assert problem.startswith("startups.csv, row 3, field 'incorporated_on': 2030-01-01 is after the "
                              "programme's start date 2026-03-02")


def test_a_missing_eligibility_column_is_named(spring):
    frame = pd.read_csv(spring / "startups.csv", dtype=str, keep_default_na=False)
    frame.drop(columns="ai_work_pct").to_csv(spring / "startups.csv", index=False)
    (problem,) = problems(check_cohort, spring)
    assert problem.startswith("startups.csv, row 1, field 'ai_work_pct': required column is missing")


@pytest.mark.parametrize(("file", "field", "value"), [
    ("startups.csv", "stage", "unicorn"), ("startups.csv", "domains", "vision;nlp;fintech;medtech"),
    ("mentors.csv", "domains", "vision;nlp;fintech;medtech;retail"),
    ("startups.csv", "needs", "technology;domain;go-to-market;fundraising"),
])
def test_documented_limits_of_the_format_hold(spring, file, field, value):
    edit_csv(spring / file, 3, field, value)
    (problem,) = problems(matcher.load_cohort, spring)
    assert problem.startswith(f"{file}, row 3, field '{field}'")


@pytest.mark.parametrize("bad", ["S-Upper", "s x", "s,x", 's"x', "s\nx", "=cmd()", "s-façade", "-s",
                                 "s" * 101])
def test_ids_are_slugs(spring, bad):
    with pytest.raises(ValueError):
        identifier(bad)
    edit_csv(spring / "startups.csv", 3, "id", bad)
    assert problems(matcher.load_cohort, spring)[0].startswith("startups.csv, row 3, field 'id'")


def test_a_fractional_capacity_names_the_file_and_row_in_plain_numbers(tmp_path):
    path = tmp_path / "capacity.csv"
    path.write_text("mentor_id,capacity\nm0,1.5\n")
    assert problems(read_capacity, path) == [
        "capacity.csv, row 2, field 'capacity': '1.5' is not a whole number (write a whole number of "
        "startups, 0 or more, e.g. 2)"]
    with pytest.raises(ValueError, match=r"^1\.5 is not a whole number"):
        whole_number(np.float64(1.5))
