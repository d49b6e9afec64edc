"""match_cohort and the scores it builds on."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matcher
from matcher.errors import InfeasibleError, InputError
from matcher.scoring.affinity import COMPONENTS, AffinityModel, score_cohort
from tests.strategies import milp_optimum


@pytest.fixture(scope="module")
def spring_cohort():
    return matcher.load_cohort("data/spring-2026")


def test_components_add_up_exactly(spring_cohort):
    scores = score_cohort(spring_cohort)
    total = np.zeros(scores.shape)
    for name in COMPONENTS:
        total = total + scores.weighted(name)
        assert (scores.components[name] >= 0).all() and (scores.components[name] <= 1).all()
    assert np.array_equal(total, scores.values)


def test_conflicts_and_language_are_hard_rules(spring_cohort):
    scores = score_cohort(spring_cohort)
    startup_row = {s.id: i for i, s in enumerate(spring_cohort.startups)}
    for j, mentor in enumerate(spring_cohort.mentors):
        for sid in mentor.conflicts:
            assert scores.forbidden[startup_row[sid], j]
    for i, s in enumerate(spring_cohort.startups):
        for j, m in enumerate(spring_cohort.mentors):
            if not set(s.languages) & set(m.languages):
                assert scores.forbidden[i, j]
    result = matcher.match_cohort(spring_cohort)
    assert not scores.forbidden[result.assignment.rows, result.assignment.cols].any()


def test_domain_hierarchy_partly_matches():
    from matcher.data.taxonomy import DEFAULT_TAXONOMY as tax

    assert tax.similarity("vision", "vision/medical-imaging") == pytest.approx(0.5 / np.sqrt(1.25))
    assert tax.similarity("vision/ar", "vision/medical-imaging") == pytest.approx(0.2)
    assert tax.similarity("fintech", "vision/medical-imaging") == 0


def test_match_cohort_is_optimal_and_tables_agree(spring_cohort):
    result = matcher.match_cohort(spring_cohort)
    a = result.assignment
    assert a.status == "optimal" and a.gap == 0
    # the programme's quotas, written here from the mentors' kinds, checked by an independent MILP
    problem = result.problem
    assert [q.name for q in problem.quotas] == ["academic", "industry", "investor"]
    kinds = np.array([m.kind for m in result.cohort.mentors])
    quotas = [{"name": "academic", "mentors": np.isin(kinds, ["professor", "scientist"]), "min": 1},
              {"name": "industry", "mentors": np.isin(kinds, ["engineer", "entrepreneur"]), "min": 1},
              {"name": "investor", "mentors": kinds == "investor", "max": 1}]
    expected = milp_optimum(result.scores.values, 3, problem.capacity, problem.forbidden,
                            np.zeros(result.scores.shape, dtype=bool), quotas=quotas)
    assert a.objective == pytest.approx(expected, abs=1e-6)
    kinds = result.assignments.groupby("startup_id")["mentor_kind"].agg(list)
    assert all({"professor", "scientist"} & set(k) and {"engineer", "entrepreneur"} & set(k)
               and k.count("investor") <= 1 for k in kinds)
    table = result.assignments
    parts = table[list(COMPONENTS)].sum(axis=1)
    assert np.allclose(parts, table["score"], atol=1e-12)
    assert (result.startups["n_mentors"] == 3).all()
    assert (result.mentors["load"] <= result.mentors["capacity"]).all()
    assert result.startups["total"].sum() == pytest.approx(a.objective)


def test_rule_overrides_and_pins(spring_cohort):
    s0, m0 = spring_cohort.startups[0].id, spring_cohort.mentors[-1].id
    assert spring_cohort.mentors[-1].kind == "investor"
    result = matcher.match_cohort(spring_cohort, pinned=((s0, m0),), solver="cpsat")
    pairs = set(map(tuple, result.assignment.pairs[["startup_id", "mentor_id"]].values.tolist()))
    # screening leaves out s-portpulse and s-lanelogic: 9 of the 11 spring startups are matched
    assert len(result.cohort.startups) == 9
    assert (s0, m0) in pairs and len(pairs) == 3 * len(result.cohort.startups)
    # with k=2 the academic and industry quotas leave no place for a pinned investor
    with pytest.raises(InfeasibleError, match="academic quota"):
        matcher.match_cohort(spring_cohort, k=2, pinned=((s0, m0),))
    assert result.assignment.solver == "cpsat"
    with pytest.raises(InputError, match="'colour': is not a rule"):
        matcher.match_cohort(spring_cohort, colour="blue")
    with pytest.raises(InputError, match="argument 'pinned'.*unknown mentor 'm-nobody'"):
        matcher.match_cohort(spring_cohort, pinned=((s0, "m-nobody"),))


def test_infeasible_cohort_raises_with_diagnosis(spring_cohort):
    # the 9 screened startups fit k=8 (72 places of 75); all 11 do not fit k=7
    with pytest.raises(InfeasibleError, match="9 startups need 81 mentor places.*75 in all: 6 short"):
        matcher.match_cohort(spring_cohort, k=9)
    with pytest.raises(InfeasibleError, match="need 77 mentor places.*75 in all: 2 short"):
        matcher.match_cohort(spring_cohort, k=7, screen=False)


def test_weights_are_validated(spring_cohort):
    with pytest.raises(InputError, match="unknown component 'txt'"):
        AffinityModel(weights={"txt": 1.0}).fit(spring_cohort)


def test_results_write_csv_and_json(tmp_path, spring_cohort):
    result = matcher.match_cohort(spring_cohort)
    paths = result.to_csv(tmp_path)
    assert sorted(p.split("/")[-1] for p in paths) == ["assignments.csv", "mentors.csv", "screening.csv",
                                                       "startups.csv"]
    with open(result.to_json(tmp_path / "result.json")) as stream:
        document = json.load(stream)
    # 9 eligible startups × k=3; the 2 left out are recorded with their reasons
    assert document["status"] == "optimal" and len(document["assignments"]) == 27
    assert sorted(document["excluded"]) == ["s-lanelogic", "s-portpulse"]


def test_same_cohort_same_result(spring_cohort):
    a = matcher.match_cohort(spring_cohort).assignments
    b = matcher.match_cohort(matcher.load_cohort("data/spring-2026")).assignments
    assert a.equals(b)


def test_tables_show_the_capacity_the_solver_used():
    # with a yearly limit, spring's pairs use up part of each mentor's year in autumn
    result = matcher.match_cohort("data/autumn-2026", yearly_capacity=2)
    profile = np.array([m.capacity for m in result.cohort.mentors])
    lowered = result.problem.capacity < profile
    assert lowered.sum() >= 10
    assert (result.mentors["capacity"].to_numpy() == result.problem.capacity).all()
    assert (result.mentors["load"] <= result.mentors["capacity"]).all()
    explained = matcher.explain.explain_pairs(result)
    assert len(explained) == len(result.assignments)
