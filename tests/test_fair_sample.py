"""The configuration LP on a sample of startups: its bound against an exact MILP, and the
assignment priced by its prices against the rules."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.solve.arguments import make_problem
from matcher.solve.cpsat_model import flow_hint
from matcher.solve.fair_config import config_bound, refutes
from matcher.solve.fair_pricing import TOL as SET_TOL
from matcher.solve.fair_sample import (
    SAMPLE,
    SampleBisection,
    priced_assignment,
    sample_problem,
)
from matcher.solve.fair_search import worst_total
from matcher.solve.feasible import satisfies
from tests.strategies import assignment_instances, milp_optimum

TOL = 1e-6


def _quotas(n_m: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, 2, n_m)
    return [{"name": "academic", "mentors": labels == 0, "min": int(rng.integers(0, 2))},
            {"name": "investor", "mentors": labels == 1, "max": int(rng.integers(0, 2))}]


def _stars(n_s: int, n_m: int, seed: int) -> np.ndarray:
    """Scores half a heavy-tailed mentor popularity (a few stars everyone wants), half noise."""
    rng = np.random.default_rng(seed)
    popularity = rng.random(n_m) ** 8
    return 0.5 * popularity[None, :] / popularity.max() + 0.5 * rng.random((n_s, n_m))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=7, max_mentors=6, feasible_only=True),
       st.integers(1, 6), st.booleans(), st.integers(0, 2**32 - 1))
def test_the_sample_bound_is_never_below_the_optimum(instance, n_sample, with_quotas, seed):
    """The sample's LP proves nothing about the whole problem: only its prices, checked over
    every startup, may lower the bound. With a sample smaller than the instance its own
    threshold can lie below the optimum, so a bound read from the sample would fail here."""
    if (instance["scores"] < 0).any():
        return
    quotas = _quotas(instance["scores"].shape[1], seed) if with_quotas else None
    worst = milp_optimum(**instance, quotas=quotas, objective="fair")
    if worst is None:
        return
    problem = make_problem(instance["scores"], k=instance["k"], capacity=instance["capacity"],
                           forbidden=instance["forbidden"], pinned=instance["pinned"],
                           quotas=quotas, objective="fair")
    bisection = SampleBisection(problem, min(worst, 0.0) - 1.0, worst + 5.0, n_sample=n_sample)
    found = bisection.run(time.perf_counter() + 10, steps=30)
    assert found.value >= worst - TOL
    allowed = np.where(problem.allowed, problem.scores, -np.inf)
    for prices in bisection.checked:  # each price vector the sample refuted with
        assert not refutes(problem, allowed, prices, worst - TOL)


def test_the_sample_prices_prove_nearly_what_the_whole_lp_proves_on_a_programme_of_stars():
    """Where everyone wants the same few mentors, a fifth of the startups gives prices whose
    certificate over all of them is within 1 % of the configuration LP over all of them (which
    no price vector beats), far below what each startup could reach alone."""
    scores = _stars(400, 60, seed=8)
    problem = make_problem(scores, k=3, capacity=22, objective="fair")
    solo = float(np.sort(scores, axis=1)[:, -3:].sum(axis=1).min())
    low = worst_total(problem, flow_hint(problem))
    whole = config_bound(problem, low, solo, seconds=30, steps=20).value
    bisection = SampleBisection(problem, low, solo, n_sample=80)
    found = bisection.run(time.perf_counter() + 30, steps=30)
    assert whole - 1e-3 <= found.value <= 1.01 * whole < solo - 0.1
    assert found.prices is not None and refutes(problem, scores, found.prices, found.value)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 30), st.integers(2, 8), st.integers(0, 2**32 - 1), st.booleans(),
       st.floats(0.0, 2.5), st.sampled_from([1, 2, 7]))
def test_the_priced_assignment_keeps_every_rule(n_s, n_m, seed, with_quotas, tau, chunk):
    """Every startup it does not give up takes a set reaching the target; no mentor is over
    capacity; with quotas (k = 3 exactly) each row keeps them."""
    rng = np.random.default_rng(seed)
    scores = rng.random((n_s, n_m))
    quotas = _quotas(n_m, seed) if with_quotas else None
    k = min(3, n_m)
    capacity = rng.integers(0, 5, n_m)
    forbidden = rng.random((n_s, n_m)) < 0.1
    problem = make_problem(scores, k=k, capacity=capacity, forbidden=forbidden, quotas=quotas,
                           objective="fair")
    prices = rng.random(n_m) * (rng.random(n_m) < 0.6)
    sets, missed, order = priced_assignment(problem, prices, tau, chunk=chunk)
    assert sorted(order.tolist()) == list(range(n_s)) or len(order) <= n_s
    chosen = np.zeros((n_s, n_m), dtype=bool)
    slot = sets >= 0
    chosen[np.broadcast_to(np.arange(n_s)[:, None], sets.shape)[slot], sets[slot]] = True
    taken = np.setdiff1d(np.arange(n_s), missed)
    assert (sets[missed] < 0).all()
    assert (chosen.sum(axis=0) <= problem.capacity).all()
    assert not (chosen & ~problem.allowed).any()
    totals = np.where(chosen, scores, 0.0).sum(axis=1)
    assert (totals[taken] >= tau - SET_TOL).all()
    if len(taken) == n_s and (chosen.sum(axis=1) == k).all():
        assert satisfies(problem, chosen)


def test_the_sample_keeps_the_capacity_per_startup():
    problem = make_problem(np.random.default_rng(0).random((1000, 4)), k=2, capacity=[900, 300,
                           500, 300], objective="fair")
    sample = sample_problem(problem, 100)
    assert sample.shape == (100, 4)
    assert np.allclose(sample.capacity, [90, 30, 50, 30])
    assert sample.scores[0].tolist() == problem.scores[0].tolist()


@pytest.mark.parametrize("workers", [2, 1])
def test_from_two_thousand_startups_the_fair_solve_starts_from_the_sample_prices(workers):
    """At sample scale the configuration stage runs on a sample; the answer keeps every rule and
    its bound (from the certificate over every startup) lies above its worst total. With one
    worker too, the sample's prices are checked over every startup and lower the bound."""
    scores = _stars(2000, 80, seed=11)
    capacity = np.full(80, 94)  # 7,520 places for 6,000
    result = matcher.assign(scores, k=3, capacity=capacity, objective="fair", time_limit=12,
                            workers=workers)
    assert result.info["configuration_lp"]["sample"] == SAMPLE
    assert result.info["bounds"]["configuration_lp"] < result.info["bounds"]["price"]
    problem = make_problem(scores, k=3, capacity=capacity, objective="fair")
    chosen = np.zeros(scores.shape, dtype=bool)
    chosen[result.pairs["startup_id"].to_numpy(), result.pairs["mentor_id"].to_numpy()] = True
    assert satisfies(problem, chosen)
    assert result.bound >= result.objective - TOL
    assert result.bound <= result.info["bounds"]["price"]


def test_an_error_checking_the_sample_prices_with_one_worker_leaves_the_price_bound(monkeypatch):
    """The bound is optional: with one worker the check runs in the caller's thread, and an
    error in it must leave a valid answer, not end the solve."""
    calls = []
    run = SampleBisection.run

    def failing(self, until, *, steps=12, check=True):
        if check:
            calls.append(until)
            raise RuntimeError("a check that fails")
        return run(self, until, steps=steps, check=check)

    monkeypatch.setattr(SampleBisection, "run", failing)
    scores = _stars(2000, 80, seed=11)
    capacity = np.full(80, 94)
    result = matcher.assign(scores, k=3, capacity=capacity, objective="fair", time_limit=8,
                            workers=1)
    assert len(calls) == 1
    assert result.info["bounds"]["configuration_lp"] >= result.info["bounds"]["price"]
    assert result.bound >= result.objective - TOL and len(result.pairs) == 6000
