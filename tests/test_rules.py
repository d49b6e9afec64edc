"""Every rule holds in every answer; flow and CP-SAT agree with an independent MILP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import matcher
from matcher.data.models import Cohort, Mentor, Rules, Startup
from matcher.errors import InfeasibleError, InputError
from matcher.solve import solve_problem
from matcher.solve.translate import cohort_problem
from tests.strategies import check_rules, effective, milp_optimum, rule_instances

TOL = 1e-6
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hard(instance):
    """The MILP view: scores and forbidden after history; min_load only when hard."""
    scores, forbidden = effective(instance)
    rules = {k: instance.get(k) for k in ("k", "capacity", "pinned", "quotas", "covers")}
    min_load = None if instance.get("min_load_soft", True) else instance.get("min_load")
    return scores, forbidden, {**rules, "min_load": min_load}


@SETTINGS
@given(rule_instances(flow_only=True))
def test_flow_and_cpsat_agree_with_milp_on_flow_rules(instance):
    instance = {**instance, "min_load_soft": False} if "min_load" in instance else instance
    scores, forbidden, rules = _hard(instance)
    expected = milp_optimum(scores, forbidden=forbidden, **rules)
    if expected is None:
        for solver in ("flow", "cpsat"):
            with pytest.raises(InfeasibleError):
                matcher.assign(**instance, solver=solver, time_limit=10)
        return
    for solver in ("flow", "cpsat"):
        result = matcher.assign(**instance, solver=solver, time_limit=10)
        check_rules(result, forbidden=forbidden, **rules)
        assert result.status == "optimal"
        assert result.objective == pytest.approx(expected, abs=TOL * max(1, abs(expected)))
        assert result.bound == pytest.approx(result.objective)


@SETTINGS
@given(rule_instances())
def test_cpsat_obeys_every_rule_and_matches_milp(instance):
    scores, forbidden, rules = _hard(instance)
    soft = instance.get("min_load") is not None and instance.get("min_load_soft", True)
    soft = soft or instance.get("balance", 0) > 0  # penalised objective: the milp has no penalty
    try:
        result = matcher.assign(**instance, time_limit=10)
    except InfeasibleError as err:
        assert err.diagnoses, "an infeasible answer must say why"
        assert milp_optimum(scores, forbidden=forbidden, **rules) is None
        return
    check_rules(result, forbidden=forbidden, **rules)
    assert result.bound >= result.objective - TOL
    if result.status == "optimal":
        assert result.bound == pytest.approx(result.objective)
        if not soft:
            expected = milp_optimum(scores, forbidden=forbidden, **rules)
            assert result.objective == pytest.approx(expected, abs=TOL * max(1, abs(expected)))


def test_auto_keeps_disjoint_quotas_on_flow_and_says_so():
    rng = np.random.default_rng(0)
    quotas = [
        {"name": "academic", "mentors": [0, 1, 2], "min": 1},
        {"name": "investor", "mentors": [5], "max": 1},
    ]
    result = matcher.assign(rng.random((5, 8)), k=2, capacity=2, quotas=quotas)
    assert result.solver == "flow" and "flow fits" in result.info["solver_choice"]
    overlapping = quotas + [{"name": "industry", "mentors": [2, 3, 4, 5], "min": 1}]
    result = matcher.assign(rng.random((5, 8)), k=2, capacity=2, quotas=overlapping)
    assert result.solver == "cpsat" and "share a mentor" in result.info["solver_choice"]


def test_coverage_gives_each_startup_a_covering_mentor():
    scores = np.array([[0.9, 0.8, 0.1], [0.9, 0.8, 0.1]])
    covers = np.array([[False, False, True], [False, True, False]])
    result = matcher.assign(scores, k=2, capacity=2, covers=covers)
    assert result.matrix[0, 2] and result.matrix[1, 1]


def test_soft_minimum_load_uses_every_volunteer_when_possible():
    scores = np.array([[0.9, 0.8, 0.1], [0.9, 0.8, 0.2]])
    plain = matcher.assign(scores, k=1, capacity=2)
    assert plain.mentor_loads().tolist() == [2, 0, 0]
    used = matcher.assign(scores, k=1, capacity=2, min_load=1)
    assert sorted(used.mentor_loads().tolist()) == [0, 1, 1]  # three mentors, two places
    with pytest.raises(InfeasibleError, match="minimum load"):
        matcher.assign(scores, k=1, capacity=2, min_load=1, min_load_soft=False)


def test_balance_spreads_the_load():
    scores = np.tile(np.array([0.9, 0.85, 0.8]), (6, 1))
    loads = matcher.assign(scores, k=1, capacity=6).mentor_loads().tolist()
    balanced = matcher.assign(scores, k=1, capacity=6, balance=1.0).mentor_loads().tolist()
    assert max(loads) == 6 and balanced == [2, 2, 2]
    both = [
        matcher.assign(scores, k=1, capacity=6, balance=0.02, solver=s) for s in ("flow", "cpsat")
    ]
    assert both[0].objective == pytest.approx(both[1].objective)


def test_history_forbid_and_prefer():
    scores = np.array([[0.9, 0.85]])
    past = np.array([[True, False]])
    assert matcher.assign(scores, k=1, past=past, history="forbid").cols.tolist() == [1]
    assert matcher.assign(
        np.array([[0.8, 0.85]]), k=1, past=past, history="prefer"
    ).cols.tolist() == [0]
    assert matcher.assign(scores, k=1, past=past, history="ignore").cols.tolist() == [0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"quotas": [{"name": "academic", "mentors": ["zz"], "min": 1}]},
            "quotas\\[academic\\].*unknown mentor",
        ),
        (
            {"quotas": [{"name": "a", "mentors": [0], "min": 2, "max": 1}]},
            "quotas\\[a\\].*min <= max",
        ),
        ({"objective": "fairest"}, "argument 'objective'"),
        ({"history": "never", "past": [(0, 0)]}, "argument 'history'"),
        ({"min_load": -1}, "argument 'min_load'"),
    ],
)
def test_bad_rule_arguments_name_the_argument(kwargs, message):
    with pytest.raises(InputError, match=message):
        matcher.assign(np.ones((2, 2)), k=1, **kwargs)


def test_rules_from_plain_yaml_mapping():
    rules = Rules(
        **{
            "k": 3,
            "quotas": {
                "academic": {"kinds": ["professor", "scientist"], "min": 1},
                "investor": {"kinds": "investor", "max": 1},
            },
            "coverage": True,
            "min_load": 1,
            "balance_load": True,
            "history_rule": "prefer",
            "yearly_capacity": 4,
            "objective": "fair",
        }
    )
    assert rules.quotas["investor"]["kinds"] == ("investor",) and rules.balance_load == 0.05


DATA = Path(__file__).resolve().parents[1] / "data"
if not DATA.exists():
    DATA = Path("/work/main/data")


def _split(value) -> tuple:
    return tuple(str(value).split(";")) if isinstance(value, str) and value else ()


def _sample_cohort(name: str, rules: Rules) -> Cohort:
    folder = DATA / name
    s = pd.read_csv(folder / "startups.csv", dtype=str).fillna("")
    m = pd.read_csv(folder / "mentors.csv", dtype=str).fillna("")
    h = pd.read_csv(folder / "history.csv", dtype=str)
    startups = tuple(
        Startup(r.id, r.name, _split(r.domains), r.description, languages=_split(r.languages))
        for r in s.itertuples()
    )
    mentors = tuple(
        Mentor(
            r.id,
            r.name,
            r.kind,
            _split(r.domains),
            r.expertise,
            int(r.capacity),
            languages=_split(r.languages),
            conflicts=_split(r.conflicts),
        )
        for r in m.itertuples()
    )
    history = tuple(h.itertuples(index=False, name=None))
    return Cohort(startups, mentors, rules, name=name, history=history)


@pytest.mark.skipif(not (DATA / "autumn-2026").exists(), reason="sample data not available")
def test_sample_programme_rules_hold():
    rules = Rules(
        quotas={
            "academic": {"kinds": ["professor", "scientist"], "min": 1},
            "industry": {"kinds": ["engineer", "entrepreneur"], "min": 1},
            "investor": {"kinds": ["investor"], "max": 1},
        },
        coverage=True,
        history_rule="forbid",
        yearly_capacity=3,
        objective="fair",
    )
    cohort = _sample_cohort("autumn-2026", rules)
    rng = np.random.default_rng(1)
    scores = pd.DataFrame(
        rng.random((len(cohort.startups), len(cohort.mentors))),
        index=cohort.startup_ids,
        columns=cohort.mentor_ids,
    )
    problem = cohort_problem(cohort, scores)
    assert problem.repeats.sum() == 6
    result = solve_problem(problem, time_limit=10)
    chosen = result.matrix
    covers = next(q for q in problem.quotas if q.name == "coverage").members
    assert not (chosen & problem.repeats).any(), "a pair of an earlier cohort was repeated"
    assert (chosen & covers).any(axis=1).all(), "a startup has no mentor in its domain"
    kinds = np.array([m.kind for m in cohort.mentors])
    academic = chosen[:, np.isin(kinds, ["professor", "scientist"])].sum(axis=1)
    assert (academic >= 1).all() and (chosen[:, kinds == "investor"].sum(axis=1) <= 1).all()
    assert (chosen.sum(axis=0) <= problem.capacity).all()
    assert result.objective_name == "worst startup total" and result.bound >= result.objective - TOL
