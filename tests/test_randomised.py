"""The randomised objective: the LP against HiGHS, and the sampler's marginals and rules."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import matcher
from matcher.data.rules import Rules
from matcher.errors import InfeasibleError, InputError
from matcher.solve.arguments import make_problem
from matcher.solve.randomised import fractional_assignment, probability_units, realised_probabilities
from matcher.solve.rounding import dependent_rounding
from tests.strategies import assignment_instances


def highs_lp(scores, k, capacity, forbidden, pinned, q) -> float | None:
    """The expected-score LP by scipy's HiGHS, independent of the flow; None when infeasible."""
    n_s, n_m = scores.shape
    k_lo, k_hi = (k, k) if not isinstance(k, tuple) else k
    rows = sp.kron(sp.eye(n_s), np.ones((1, n_m)))
    cols = sp.kron(np.ones((1, n_s)), sp.eye(n_m))
    cap = np.asarray(capacity, dtype=float) * np.ones(n_m)
    upper = np.where(forbidden | (cap == 0)[None, :], 0.0, q)
    upper = np.where(pinned, 1.0, upper).ravel()
    lower = pinned.astype(float).ravel()
    if (lower > upper).any():
        return None
    a_ub = sp.vstack([rows, -rows, cols])
    b_ub = np.concatenate([np.full(n_s, k_hi), -np.full(n_s, k_lo), cap])
    res = linprog(-scores.ravel(), A_ub=a_ub, b_ub=b_ub, bounds=list(zip(lower, upper, strict=True)),
                  method="highs")
    return -res.fun if res.status == 0 else None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(feasible_only=True), st.sampled_from([0.34, 0.5, 0.9, 1.0]),
       st.integers(0, 1000))
def test_lp_matches_highs_and_every_sample_keeps_the_rules(inst, q, seed):
    problem = make_problem(inst["scores"], k=inst["k"], capacity=inst["capacity"],
                           forbidden=inst["forbidden"], pinned=inst["pinned"],
                           objective="randomised", max_probability=q)
    expected = highs_lp(inst["scores"], inst["k"], inst["capacity"], inst["forbidden"],
                        inst["pinned"], q)
    try:
        x = fractional_assignment(problem)
    except InfeasibleError:
        assert expected is None
        return
    assert expected is not None
    assert x.expected_score == pytest.approx(expected, abs=1e-6 * max(1.0, abs(expected)))
    free = ~problem.pinned[x.rows, x.cols]
    assert (x.probabilities[free] <= q + 1e-12).all()
    k_lo, k_hi = problem.k_min, problem.k_max
    for s in range(20):
        rows, cols = x.sample(seed + s)
        chosen = np.zeros(problem.shape, dtype=bool)
        chosen[rows, cols] = True
        assert len(rows) == chosen.sum()
        per_startup = chosen.sum(axis=1)
        assert (per_startup >= k_lo).all() and (per_startup <= k_hi).all()
        assert (chosen.sum(axis=0) <= problem.capacity).all()
        assert not (chosen & problem.forbidden).any()
        assert chosen[problem.pinned].all()


@pytest.mark.parametrize("q", [0.5, 0.9, 1 / 3])
def test_empirical_marginals_match_the_lp(q):
    rng = np.random.default_rng(7)
    scores = rng.random((6, 8))
    problem = make_problem(scores, k=(2, 3), capacity=rng.integers(1, 4, 8),
                           objective="randomised", max_probability=q)
    x = fractional_assignment(problem)
    n = 4000
    table = realised_probabilities(x, n, seed=11)
    p = table["probability"].to_numpy()
    # five standard deviations of a share of n draws, and no pair is ever missed or invented
    tolerance = 5 * np.sqrt(p * (1 - p) / n) + 1e-9
    assert ((table["realised"] - p).abs() <= tolerance).all()
    assert (table["realised"] > 0).all()


def test_dependent_rounding_on_a_random_fraction_keeps_degrees_and_marginals():
    rng = np.random.default_rng(3)
    units = rng.integers(0, 5, (5, 7))
    rows, cols = np.nonzero(units >= 0)
    y = units[rows, cols]
    counts = np.zeros(len(rows))
    n = 5000
    for s in range(n):
        chosen = dependent_rounding(rows, cols, y, 4, seed=s)
        counts += chosen
        for axis, idx in ((1, rows), (0, cols)):
            degree = np.bincount(idx[chosen], minlength=units.shape[1 - axis])
            fractional = units.sum(axis=axis) / 4
            assert (degree >= np.floor(fractional)).all() and (degree <= np.ceil(fractional)).all()
    p = y / 4
    assert (np.abs(counts / n - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-9).all()


def test_same_seed_same_sample_and_the_result_reports_the_ratio():
    scores = np.random.default_rng(0).random((10, 8))
    one = matcher.assign(scores, k=2, capacity=3, objective="randomised", max_probability=0.5, seed=4)
    two = matcher.assign(scores, k=2, capacity=3, objective="randomised", max_probability=0.5, seed=4)
    assert one.pairs.equals(two.pairs)
    best = matcher.assign(scores, k=2, capacity=3)
    assert one.solver == "randomised" and one.status == "optimal"
    assert one.info["deterministic_optimum"] == pytest.approx(best.objective)
    assert one.objective <= best.objective + 1e-9
    assert one.info["expected_ratio"] == pytest.approx(one.objective / best.objective)
    assert "probability 0.5" in one.objective_name


def test_a_cap_too_low_is_diagnosed_by_startup():
    with pytest.raises(InfeasibleError, match="max_probability") as err:
        matcher.assign(np.ones((2, 3)), k=2, capacity=2, objective="randomised", max_probability=0.5)
    assert err.value.diagnoses[0].rule == "max_probability"
    assert "raise max_probability" in str(err.value)


def test_the_cap_is_checked_where_it_enters():
    with pytest.raises(InputError, match="max_probability"):
        matcher.assign(np.ones((2, 3)), k=1, objective="total", max_probability=0.5)
    with pytest.raises(InputError, match="max_probability"):
        Rules.from_mapping({"objective": "randomised", "max_probability": 1.5}, source="programme.yaml")
    rules = Rules.from_mapping({"objective": "randomised", "max_probability": "0.9"},
                               source="programme.yaml")
    assert rules.max_probability == 0.9
    assert probability_units(0.9) == (9, 10)


def test_other_backends_refuse_the_randomised_objective_and_it_refuses_quotas():
    scores = np.random.default_rng(1).random((3, 4))
    with pytest.raises(InputError, match="randomised"):
        matcher.assign(scores, k=1, objective="randomised", solver="cpsat")
    with pytest.raises(InputError, match="quotas"):
        matcher.assign(scores, k=1, capacity=2, objective="randomised",
                       quotas=[{"name": "a", "mentors": [0], "max": 1}])


def test_a_cohort_matches_with_the_randomised_objective():
    result = matcher.match_cohort("data/spring-2026", objective="randomised", max_probability=0.9,
                                  quotas={})
    a = result.assignment
    assert a.solver == "randomised" and 0.9 < a.info["expected_ratio"] <= 1.0 + 1e-9
    assert (result.startups["n_mentors"] == 3).all()
