"""The fair and blend objectives against an independent MILP max-min, and their proofs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import matcher
from matcher.solve.arguments import make_problem
from matcher.solve.bound import Duals, lagrangian_bound, lp_relaxation, threshold_bound
from tests.strategies import (
    assignment_instances,
    check_rules,
    effective,
    milp_optimum,
    rule_instances,
)

TOL = 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=5, max_mentors=5, feasible_only=True))
def test_fair_equals_milp_max_min_then_total(instance):
    worst = milp_optimum(**instance, objective="fair")
    if worst is None:
        return
    result = matcher.assign(**instance, objective="fair", time_limit=10)
    check_rules(result, **{k: v for k, v in instance.items() if k != "scores"})
    assert result.objective_name == "worst startup total"
    assert result.bound >= result.objective - TOL
    assert result.status == "optimal"
    assert result.objective == pytest.approx(worst, abs=1e-5 * max(1, abs(worst)))
    assert result.objective == pytest.approx(result.startup_totals().min())
    # lexicographic: the best total among assignments that keep the worst startup at its best
    total = milp_optimum(**instance, fix_worst=worst - 1e-5)  # HiGHS keeps t within 1e-6
    assert result.info["total"] == pytest.approx(total, abs=1e-5 * max(1, abs(total)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=5, max_mentors=5, feasible_only=True))
def test_blend_equals_milp(instance):
    expected = milp_optimum(**instance, objective="blend", fairness=0.3)
    if expected is None:
        return
    result = matcher.assign(**instance, objective="blend", fairness=0.3, time_limit=10)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, abs=1e-6 * max(1, abs(expected)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=6, max_mentors=5, feasible_only=True))
def test_bounds_are_never_below_the_optimum(instance):
    """The Lagrangian bound (any multipliers) and the whole-mentor price bound are valid."""
    problem = make_problem(
        instance["scores"],
        k=instance["k"],
        capacity=instance["capacity"],
        forbidden=instance["forbidden"],
        pinned=instance["pinned"],
        objective="fair",
    )
    worst = milp_optimum(**instance, objective="fair")
    if worst is None:
        return
    rng = np.random.default_rng(0)
    n_s, n_m = problem.shape
    random = Duals(
        rng.random(n_m), np.zeros(n_m), np.zeros((n_s, 0)), np.zeros((n_s, 0)), rng.random(n_s)
    )
    assert lagrangian_bound(problem, random) >= worst - TOL
    lp = lp_relaxation(problem, *np.nonzero(problem.allowed))
    if lp is not None:
        assert lagrangian_bound(problem, lp[1]) >= worst - TOL
    if (problem.scores >= 0).all():
        prices = rng.random(n_m) * (rng.random(n_m) < 0.5)
        assert threshold_bound(problem, prices, min(worst, 0) - 1, worst + 5) >= worst - TOL


def _popular(n_s, n_m, seed=0):
    rng = np.random.default_rng(seed)
    popularity = rng.pareto(2.0, n_m)
    return 0.7 * (popularity / popularity.max())[None, :] + 0.3 * rng.random((n_s, n_m))


def test_fair_serves_the_worst_startup_better_than_total():
    scores = _popular(60, 20)
    total = matcher.assign(scores, k=3, capacity=12)
    fair = matcher.assign(scores, k=3, capacity=12, objective="fair", time_limit=5)
    assert fair.spread()["min"] > total.spread()["min"]
    assert fair.info["total"] <= total.objective + TOL
    assert set(fair.spread()) == {"min", "q1", "median", "q3", "max", "mean"}
    assert "startup totals min" in fair.summary()


def test_fair_scales_with_a_time_limit_and_reports_its_bound():
    scores = _popular(400, 120, seed=2)
    quotas = [{"name": "academic", "mentors": np.arange(120) % 3 == 0, "min": 1}]
    result = matcher.assign(scores, k=3, capacity=14, quotas=quotas, objective="fair", time_limit=6)
    assert result.bound >= result.objective - TOL
    assert np.isfinite(result.bound) and result.gap < 0.5
    assert sum(result.timings.values()) < 12


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_instances(max_startups=4, max_mentors=5))
def test_fair_with_every_rule_equals_milp(instance):
    instance = {k: v for k, v in instance.items() if k not in ("balance",)}
    if "min_load" in instance:
        instance["min_load_soft"] = False
    scores, forbidden = effective(instance)
    rules = {
        k: instance.get(k) for k in ("k", "capacity", "pinned", "quotas", "covers", "min_load")
    }
    worst = milp_optimum(scores, forbidden=forbidden, objective="fair", **rules)
    if worst is None:
        with pytest.raises(matcher.InfeasibleError):
            matcher.assign(**instance, objective="fair", time_limit=10)
        return
    result = matcher.assign(**instance, objective="fair", time_limit=10)
    check_rules(result, forbidden=forbidden, **rules)
    assert result.bound >= result.objective - TOL
    assert result.objective == pytest.approx(worst, abs=1e-5 * max(1, abs(worst)))
