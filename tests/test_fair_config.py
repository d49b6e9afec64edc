"""The fair backend's newer bounds (configuration LP, max total over n) against an exact MILP."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

import matcher
from matcher.solve.arguments import make_problem
from matcher.solve.bound import lp_relaxation
from matcher.solve.cpsat_model import flow_hint
from matcher.solve.fair_bounds import mean_bound
from matcher.solve.fair_config import config_bound, refutes
from tests.strategies import assignment_instances, milp_optimum

TOL = 1e-6


def _problem(instance):
    return make_problem(instance["scores"], k=instance["k"], capacity=instance["capacity"],
                        forbidden=instance["forbidden"], pinned=instance["pinned"],
                        objective="fair")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=6, max_mentors=6, feasible_only=True))
def test_new_bounds_are_never_below_the_optimum(instance):
    problem = _problem(instance)
    worst = milp_optimum(**instance, objective="fair")
    if worst is None:
        return
    assert mean_bound(problem, flow_hint(problem)) >= worst - TOL
    prices = np.random.default_rng(1).random(problem.shape[1])  # any prices: weak duality
    assert mean_bound(problem, None, prices) >= worst - TOL
    found = config_bound(problem, min(worst, 0.0) - 1.0, worst + 5.0, seconds=5, steps=30)
    assert found.value >= worst - TOL
    if (problem.scores >= 0).all():
        # the certificate holds for any prices: none refutes what an assignment reaches
        rng = np.random.default_rng(0)
        allowed = np.where(problem.allowed, problem.scores, -np.inf)
        for _ in range(5):
            prices = rng.random(problem.shape[1]) * (rng.random(problem.shape[1]) < 0.6)
            assert not refutes(problem, allowed, prices, worst - TOL)  # HiGHS: t within 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=6, max_mentors=6, feasible_only=True))
def test_configuration_lp_is_no_weaker_than_the_lp_over_pairs(instance):
    """Sets must reach the target whole: with exact pricing (at most two mentors a startup,
    no pins) the configuration LP is at most the LP over all pairs."""
    problem = _problem(instance)
    if (problem.scores < 0).any() or not 0 < problem.k_max.max() <= 2 or problem.pinned.any():
        return
    if (problem.k_min != problem.k_max).any():
        return  # the LP below forces k_min, the configuration LP relaxes it
    lp = lp_relaxation(problem, *np.nonzero(problem.allowed))
    worst = milp_optimum(**instance, objective="fair")
    if lp is None or worst is None:
        return
    found = config_bound(problem, worst, lp[0] + 1.0, seconds=10, steps=40)
    assert worst - TOL <= found.value <= lp[0] + 1e-6


def test_configuration_lp_closes_the_gap_where_stars_are_shared():
    """Every startup wants the same star: the LP shares it out, the configuration LP cannot."""
    rng = np.random.default_rng(3)
    scores = np.hstack([np.ones((6, 1)), 0.2 * rng.random((6, 5))])
    problem = make_problem(scores, k=2, capacity=2, objective="fair")
    lp = lp_relaxation(problem, *np.nonzero(problem.allowed))
    result = matcher.assign(scores, k=2, capacity=2, objective="fair", time_limit=10)
    found = config_bound(problem, result.objective, lp[0], seconds=5, steps=40)
    assert result.objective - TOL <= found.value < lp[0] - 0.1
    assert found.value <= result.objective + 1e-4
    assert "max_total/n" in result.info["bounds"]
