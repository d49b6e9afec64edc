"""Loading and validating cohorts: every bad input names the file, row and field."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
import yaml

import matcher
from matcher.data.io import atomic_write, read_scores, safe_cell, write_frame
from matcher.errors import InputError


def edit_csv(path, row: int, field: str, value: str) -> None:
    """Set one cell of a CSV file; ``row`` numbered as a spreadsheet shows it (header = 1)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[row - 2][field] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def problems_of(path) -> list[str]:
    with pytest.raises(InputError) as err:
        matcher.load_cohort(path)
    return [str(p) for p in err.value.problems]


def test_sample_cohorts_load():
    spring = matcher.load_cohort("data/spring-2026")
    autumn = matcher.load_cohort("data/autumn-2026")
    assert (len(spring.startups), len(spring.mentors)) == (11, 36)
    assert spring.rules.k == 3 and spring.name == "spring-2026"
    assert len(autumn.history) == 6
    assert spring.startups[0].domains[0] == spring.startups[0].primary_domain


def test_duplicate_ids_name_both_rows(cohort_copy):
    first = pd.read_csv(cohort_copy / "mentors.csv")["id"][0]
    edit_csv(cohort_copy / "mentors.csv", 5, "id", first)
    (problem,) = problems_of(cohort_copy)
    assert "mentors.csv, row 5, field 'id'" in problem and f"duplicate id '{first}'" in problem
    assert "row 2" in problem


def test_missing_column_suggests_the_rename(cohort_copy):
    frame = pd.read_csv(cohort_copy / "startups.csv", dtype=str, keep_default_na=False)
    frame.rename(columns={"description": "descripton"}).to_csv(cohort_copy / "startups.csv", index=False)
    (problem,) = problems_of(cohort_copy)
    assert "startups.csv, row 1, field 'description'" in problem
    assert "rename column 'descripton' to 'description'" in problem


@pytest.mark.parametrize(("value", "message"), [
    ("2.5", "'2.5' is not a whole number"),
    ("-1", "'-1' is negative"),
    ("two", "'two' is not a whole number"),
    ("1e9", "'1e9' is above 1,000,000"),
    ("", "is empty"),
])
def test_bad_capacity(cohort_copy, value, message):
    edit_csv(cohort_copy / "mentors.csv", 4, "capacity", value)
    (problem,) = problems_of(cohort_copy)
    assert "mentors.csv, row 4, field 'capacity'" in problem and message in problem


def test_unknown_domain_suggests_nearest_and_lists_roots(cohort_copy):
    edit_csv(cohort_copy / "startups.csv", 3, "domains", "vison/medical-imaging")
    (problem,) = problems_of(cohort_copy)
    assert "startups.csv, row 3, field 'domains'" in problem
    assert "did you mean 'vision/medical-imaging'?" in problem and "fintech" in problem


def test_conflict_with_unknown_startup(cohort_copy):
    edit_csv(cohort_copy / "mentors.csv", 2, "conflicts", "s-facetrus")
    (problem,) = problems_of(cohort_copy)
    assert "mentors.csv, row 2, field 'conflicts'" in problem and "'s-facetrus'" in problem
    assert "did you mean 's-facetrust'?" in problem


def test_empty_text(cohort_copy):
    edit_csv(cohort_copy / "mentors.csv", 7, "expertise", "  ")
    (problem,) = problems_of(cohort_copy)
    assert "mentors.csv, row 7, field 'expertise': is empty" in problem


def test_wrong_encoding_names_the_line(cohort_copy):
    path = cohort_copy / "startups.csv"
    text = path.read_text(encoding="utf-8").replace("FaceTrust Labs", "FaceTrust Labé")
    path.write_bytes(text.encode("latin-1"))
    (problem,) = problems_of(cohort_copy)
    assert "startups.csv, row 2" in problem and "not UTF-8" in problem and "save the file as UTF-8" in problem


def test_all_problems_are_reported_together(cohort_copy):
    edit_csv(cohort_copy / "mentors.csv", 3, "capacity", "-2")
    edit_csv(cohort_copy / "mentors.csv", 9, "kind", "profesor")
    edit_csv(cohort_copy / "startups.csv", 4, "needs", "fundrasing")
    problems = problems_of(cohort_copy)
    assert len(problems) == 3
    joined = "\n".join(problems)
    assert "row 3, field 'capacity'" in joined
    assert "row 9, field 'kind'" in joined and "did you mean 'professor'?" in joined
    assert "row 4, field 'needs'" in joined and "did you mean 'fundraising'?" in joined


def test_unknown_programme_key_suggests(cohort_copy):
    path = cohort_copy / "programme.yaml"
    document = yaml.safe_load(path.read_text())
    document["wieghts"] = document.pop("weights")
    path.write_text(yaml.safe_dump(document))
    (problem,) = problems_of(cohort_copy)
    assert "programme.yaml, field 'wieghts': unknown key (did you mean 'weights'?)" in problem


def test_single_json_and_yaml_documents_and_dataframes(tmp_path):
    spring = matcher.load_cohort("data/spring-2026")
    startups = spring.startups_frame().reset_index()
    mentors = spring.mentors_frame().reset_index()
    document = {"startups": startups.astype(str).to_dict(orient="records"),
                "mentors": mentors.astype(str).to_dict(orient="records"),
                "programme": {"k": 2, "cohort": "one-file"}}
    (tmp_path / "cohort.json").write_text(json.dumps(document))
    (tmp_path / "cohort.yaml").write_text(yaml.safe_dump(document))
    for name in ("cohort.json", "cohort.yaml"):
        loaded = matcher.load_cohort(tmp_path / name)
        assert loaded.rules.k == 2 and loaded.name == "one-file"
        assert [m.capacity for m in loaded.mentors] == [m.capacity for m in spring.mentors]
    framed = matcher.load_cohort(startups=startups, mentors=mentors, k=(2, 3))
    assert framed.startups == spring.startups and framed.rules.k == (2, 3)


def test_excel_tables(tmp_path):
    spring = matcher.load_cohort("data/spring-2026")
    spring.startups_frame().reset_index().to_excel(tmp_path / "startups.xlsx", index=False)
    spring.mentors_frame().reset_index().to_excel(tmp_path / "mentors.xlsx", index=False)
    loaded = matcher.load_cohort(tmp_path)
    assert loaded.mentors == spring.mentors


def test_read_scores_names_bad_cell(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("startup,m1,m2\ns1,0.5,0.1\ns2,oops,0.3\n")
    with pytest.raises(InputError, match=r"scores.csv, row 3, field 'm1': 'oops' is not a number"):
        read_scores(path)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_write(target) as stream:
        stream.write("half a line")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_exports_neutralise_formulas(tmp_path):
    names = ['=HYPERLINK("http://x","click")', "+1", "@SUM(A1)", "ok"]
    frame = pd.DataFrame({"name": names, "n": [-1, 2, 3, 4]})
    write_frame(frame, tmp_path / "x.csv")
    text = (tmp_path / "x.csv").read_text()
    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM" in text and ",-1" in text
    assert safe_cell(-1) == -1


def _programme(cohort_copy, **changes):
    path = cohort_copy / "programme.yaml"
    document = yaml.safe_load(path.read_text())
    document.update(changes)
    path.write_text(yaml.safe_dump(document))


def test_bad_rule_in_programme_yaml_names_the_file_and_key(cohort_copy):
    _programme(cohort_copy, k="three")
    with pytest.raises(InputError) as err:
        matcher.load_cohort(cohort_copy)
    (problem,) = err.value.problems
    assert (problem.source, problem.field) == ("programme.yaml", "k")
    assert "'three' is not a whole number" in problem.message
    assert problem.hint == "write a whole number such as 3, or a range [2, 3]"


def test_five_mistakes_in_programme_yaml_are_reported_at_once(cohort_copy):
    _programme(cohort_copy, k=[3, 2], solver="simplex", time_limit=float("nan"),
               quotas={"academic": {"kinds": ["professor"], "min": "one"}}, coverage="maybe")
    edit_csv(cohort_copy / "mentors.csv", 3, "capacity", "-2")
    with pytest.raises(InputError) as err:
        matcher.load_cohort(cohort_copy)
    fields = {(p.source, p.field) for p in err.value.problems}
    assert fields == {("programme.yaml", "k"), ("programme.yaml", "solver"),
                      ("programme.yaml", "time_limit"), ("programme.yaml", "quotas.academic.min"),
                      ("programme.yaml", "coverage"), ("mentors.csv", "capacity")}


def test_rule_overrides_name_load_cohort(cohort_copy):
    with pytest.raises(InputError) as err:
        matcher.load_cohort(cohort_copy, k=0, fairnes=0.2)
    assert [(p.source, p.field) for p in err.value.problems] == [("load_cohort", "fairnes"),
                                                                  ("load_cohort", "k")]
    assert err.value.problems[0].hint == "did you mean 'fairness'?"
    assert matcher.load_cohort(cohort_copy, k=[2, 3]).rules.k == (2, 3)


def test_rules_in_a_single_document_name_that_document(tmp_path):
    spring = matcher.load_cohort("data/spring-2026")
    document = {"startups": [{"id": s.id, "name": s.name, "domains": list(s.domains),
                              "description": s.description} for s in spring.startups[:2]],
                "mentors": [{"id": m.id, "name": m.name, "kind": m.kind, "domains": list(m.domains),
                             "expertise": m.expertise, "capacity": m.capacity} for m in spring.mentors[:3]],
                "programme": {"k": 1, "seed": "lucky"}}
    (tmp_path / "cohort.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(InputError, match="cohort.yaml, field 'seed': 'lucky' is not a whole number"):
        matcher.load_cohort(tmp_path / "cohort.yaml")


def test_read_capacity_names_file_row_and_field(tmp_path):
    from matcher.data.io import read_capacity

    path = tmp_path / "capacity.csv"
    path.write_text("mentor_id,capacity\nm1,2\nm2,3\n")
    assert read_capacity(path).to_dict() == {"m1": 2, "m2": 3}
    path.write_text("mentor_id,capacity\nm1,2\n,1\nm1,3\nm3,1.5\nm4,-1\nm5,\n")
    with pytest.raises(InputError) as err:
        read_capacity(path)
    assert [(p.source, p.row, p.field) for p in err.value.problems] == [
        ("capacity.csv", 3, "mentor_id"), ("capacity.csv", 4, "mentor_id"), ("capacity.csv", 5, "capacity"),
        ("capacity.csv", 6, "capacity"), ("capacity.csv", 7, "capacity")]
    path.write_text("mentor,capacity\nm1,2\n")
    with pytest.raises(InputError, match="capacity.csv, row 1, field 'mentor_id': required column"):
        read_capacity(path)


def test_io_package_keeps_every_name():
    import matcher.data.io as io

    for name in ("load_cohort", "read_table", "read_scores", "atomic_write", "atomic_save", "write_frame",
                 "write_result_csv", "write_result_json", "write_result_tables", "read_result",
                 "read_ratings", "safe_cell", "parse_startups", "parse_mentors", "parse_history",
                 "parse_preferences", "read_programme", "make_rules", "PROGRAMME_KEYS", "read_capacity"):
        assert hasattr(io, name), name
    assert matcher.io is io


def test_load_cohort_names_what_to_pass_when_given_a_pair_of_tables():
    from matcher.data.synth import synthetic_programme

    expected = r"not a tuple; pass tables as load_cohort\(startups=\.\.\., mentors=\.\.\.\)"
    with pytest.raises(TypeError, match=expected):
        matcher.load_cohort(synthetic_programme(4, 3))
    startups, mentors = synthetic_programme(4, 3)
    assert len(matcher.load_cohort(startups=startups, mentors=mentors, k=1).startups) == 4
