"""Rules are checked once, where they enter: every problem at once, naming source, key and fix."""

from __future__ import annotations

import math
import re

import pytest

from matcher.data.rules import Rules, rules_from_json, rules_to_json
from matcher.data.vocabulary import HISTORY_MODES, OBJECTIVES, SOLVER_NAMES
from matcher.errors import InputError

# (keywords, field named, words of the message, words of the hint)
BAD = [
    ({"k": "three"}, "k", "'three' is not a whole number", "whole number such as 3, or a range"),
    ({"k": 0}, "k", "0 is below 1", "whole number such as 3"),
    ({"k": 2.5}, "k", "2.5 is not a whole number", "whole number such as 3"),
    ({"k": True}, "k", "True is not a whole number", "whole number such as 3"),
    ({"k": (3, 2)}, "k", r"range \[3, 2\] has its minimum above its maximum", "min at most max"),
    ({"k": (0, 0)}, "k", "gives no startup a mentor", "maximum 1 or more"),
    ({"k": (1, 2, 3)}, "k", "is not a range", "range"),
    ({"k": (-1, 2)}, "k", "-1 is negative", "range"),
    ({"weights": {"txt": 1}}, "weights.txt", "unknown component 'txt'", "did you mean 'text'"),
    ({"weights": {"text": -0.1}}, "weights.text", "is outside 0 to 1000", "0 or more"),
    ({"weights": {"text": math.inf}}, "weights.text", "not a finite number", "0 or more"),
    ({"weights": [0.5, 0.5]}, "weights", "is not a mapping", "text: 0.4"),
    ({"require_common_language": "maybe"}, "require_common_language", "'maybe' is not true or false",
     "write true or false"),
    ({"coverage": 2}, "coverage", "2 is not true or false", "true or false"),
    ({"min_load_hard": None}, "min_load_hard", "None is not true or false", "true or false"),
    ({"forbidden": "s1,m1"}, "forbidden", "is not a list of pairs", r"\[startup_id, mentor_id\]"),
    ({"pinned": [("s1", "m1", "m2")]}, "pinned", "item 1.*is not a pair of ids", "startup_id, mentor_id"),
    ({"pinned": [("s1", "")]}, "pinned", "is not a pair of ids", "mentor_id"),
    ({"forbidden": [("s1", 7)]}, "forbidden", "is not a pair of ids", "quote numbers"),
    ({"solver": "simplex"}, "solver", "unknown solver 'simplex'", "choose one of auto, flow"),
    ({"solver": "cpsta"}, "solver", "unknown solver 'cpsta'", "did you mean 'cpsat'"),
    ({"solver": 3}, "solver", "neither a solver name nor a solver", "Solver object"),
    ({"time_limit": math.nan}, "time_limit", "nan is not a finite number", "seconds above 0"),
    ({"time_limit": 0}, "time_limit", "0 is not above 0", "seconds above 0"),
    ({"time_limit": 1e9}, "time_limit", "is outside 0 to 604800", "a week"),
    ({"time_limit": "soon"}, "time_limit", "'soon' is not a number", "seconds"),
    ({"seed": "abc"}, "seed", "'abc' is not a whole number", "e.g. 42"),
    ({"seed": -1}, "seed", "-1 is negative", "e.g. 42"),
    ({"seed": 2**40}, "seed", "is above", "e.g. 42"),
    ({"quotas": {"academic": {"kinds": ["professor"], "minimum": 1}}}, "quotas.academic.minimum",
     "unknown key", "did you mean 'min'"),
    ({"quotas": {"academic": {"min": 1}}}, "quotas.academic", "does not say who is in the group",
     "'kinds'"),
    ({"quotas": {"x": {"kinds": ["investor"], "max": -1}}}, "quotas.x.max", "-1 is negative",
     "whole number of mentors"),
    ({"quotas": {"x": {"kinds": ["investor"], "min": 2, "max": 1}}}, "quotas.x", "min 2 is above max 1",
     "min at most max"),
    ({"quotas": {"x": {"kinds": [1, 2]}}}, "quotas.x.kinds", "is not a list of names", "professor"),
    ({"quotas": ["academic"]}, "quotas", "is not a mapping", "academic"),
    ({"min_load": 1.5}, "min_load", "1.5 is not a whole number", "startups per mentor"),
    ({"balance_load": "lots"}, "balance_load", "'lots' is not true or false", "weight of 0 or more"),
    ({"balance_load": -1}, "balance_load", "-1 is outside 0 to 1e\\+06", "weight of 0 or more"),
    ({"history_rule": "never"}, "history_rule", "'never' is not one of forbid, prefer, ignore", ""),
    ({"history_rule": "forbidd"}, "history_rule", "is not one of", "did you mean 'forbid'"),
    ({"continuity_bonus": "big"}, "continuity_bonus", "'big' is not a number", "bonus of 0 or more"),
    ({"yearly_capacity": "three"}, "yearly_capacity", "'three' is not a whole number", "startups a year"),
    ({"objective": "max-min"}, "objective", "'max-min' is not one of total, fair, blend", ""),
    ({"fairness": 2}, "fairness", "2 is outside 0 to 1", "from 0"),
]


@pytest.mark.parametrize(("fields", "field", "message", "hint"), BAD,
                         ids=[f"{f}={next(iter(v.values()))!r}" for v, f, _, _ in BAD])
def test_every_bad_value_is_refused_naming_field_and_fix(fields, field, message, hint):
    with pytest.raises(InputError) as caught:
        Rules(**fields)
    (problem,) = caught.value.problems
    assert (problem.source, problem.row, problem.field) == ("Rules", None, field)
    assert re.search(message, problem.message), problem.message
    assert re.search(hint, problem.hint), problem.hint
    assert isinstance(caught.value, ValueError)  # generic handlers still catch it


@pytest.mark.parametrize(("fields", "field", "message", "hint"), BAD[:12])
def test_from_mapping_names_the_file(fields, field, message, hint):
    with pytest.raises(InputError) as caught:
        Rules.from_mapping(fields, source="programme.yaml")
    (problem,) = caught.value.problems
    assert (problem.source, problem.field) == ("programme.yaml", field)
    assert f"programme.yaml, field '{field}'" in str(caught.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(InputError) as caught:
        Rules.from_mapping({"k": "three", "wieghts": {}, "weights": {"txt": 1}, "seed": "abc",
                            "require_common_language": "maybe", "objective": "best"},
                           source="jobs.yaml")
    assert [p.field for p in caught.value.problems] == [
        "wieghts", "k", "weights.txt", "seed", "require_common_language", "objective"]
    assert caught.value.problems[0].hint == "did you mean 'weights'?"
    assert all(p.source == "jobs.yaml" for p in caught.value.problems)


@pytest.mark.parametrize(("given", "field", "clean"), [
    ({"k": [2, 3]}, "k", (2, 3)),
    ({"k": "4"}, "k", 4),
    ({"k": 2.0}, "k", 2),
    ({"k": [0, 2]}, "k", (0, 2)),
    ({"coverage": "yes"}, "coverage", True),
    ({"require_common_language": "false"}, "require_common_language", False),
    ({"balance_load": True}, "balance_load", 0.05),
    ({"balance_load": "0.2"}, "balance_load", 0.2),
    ({"balance_load": "no"}, "balance_load", 0.0),
    ({"forbidden": [["s1", "m1"]]}, "forbidden", (("s1", "m1"),)),
    ({"forbidden": None}, "forbidden", ()),
    ({"time_limit": "2.5"}, "time_limit", 2.5),
    ({"seed": "7"}, "seed", 7),
    ({"quotas": {"a": {"mentors": "m1", "max": "1"}}}, "quotas", {"a": {"mentors": ("m1",), "max": 1}}),
    ({"weights": {"text": 1, "preference": "0.5"}}, "weights", {"text": 1.0, "preference": 0.5}),
])
def test_plain_values_are_normalised(given, field, clean):
    assert getattr(Rules.from_mapping(given, source="programme.yaml"), field) == clean
    assert getattr(Rules(**given), field) == clean


def test_custom_backend_object_is_a_solver():
    class Backend:
        name = "mine"

        def solve(self, problem, **options):  # pragma: no cover - never called here
            raise NotImplementedError

    rules = Rules(solver=Backend())
    assert rules.solver.name == "mine"
    assert rules_to_json(rules)["solver"] == "mine"


def test_replace_checks_and_refuses_unknown_names():
    rules = Rules(k=2)
    assert rules.replace(k=(1, 2)).k == (1, 2) and rules.k == 2
    with pytest.raises(InputError, match="field 'colour': is not a rule"):
        rules.replace(colour="blue")
    with pytest.raises(InputError, match="field 'k': 0 is below 1"):
        rules.replace(k=0)


def test_json_round_trip_and_stored_values_checked():
    rules = Rules(k=(2, 3), pinned=(("s1", "m1"),), quotas={"a": {"kinds": ["investor"], "max": 1}},
                  time_limit=2.5, seed=9, balance_load=True)
    assert rules_from_json(rules_to_json(rules)) == rules
    with pytest.raises(InputError, match="rules JSON, field 'k'"):
        rules_from_json({"k": "many"})


def test_names_come_from_the_vocabulary():
    import matcher.data.rules as rules_module

    assert rules_module.OBJECTIVES is OBJECTIVES and rules_module.HISTORY_MODES is HISTORY_MODES
    for name in SOLVER_NAMES:
        assert Rules(solver=name).solver == name
    for name in OBJECTIVES:
        assert Rules(objective=name).objective == name


def test_models_reexport_rules():
    from matcher.data import models

    assert models.Rules is Rules and models.rules_to_json is rules_to_json
    import matcher

    assert matcher.Rules is Rules
