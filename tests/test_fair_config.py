"""The fair backend's newer bounds (configuration LP, max total over n) against an exact MILP."""

from __future__ import annotations

import threading
import time
from itertools import combinations
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.solve import fair_pricing
from matcher.solve.arguments import make_problem
from matcher.solve.bound import lp_relaxation
from matcher.solve.cpsat_model import flow_hint
from matcher.solve.fair_bounds import mean_bound
from matcher.solve.fair_config import ConfigBisection, config_bound, refutes
from matcher.solve.fair_pricing import TOL as SET_TOL
from matcher.solve.fair_pricing import cheapest_sets
from matcher.solve.fair_search import round_configuration, worst_total
from matcher.solve.feasible import satisfies
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
    # any start prices and any first target: only where the search begins
    start = np.random.default_rng(2).random(problem.shape[1])
    found = config_bound(problem, min(worst, 0.0) - 1.0, worst + 5.0, seconds=5, steps=30,
                         start_prices=start, first=worst + 0.01)
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


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), st.integers(1, 8), st.integers(0, 2**32 - 1), st.booleans(),
       st.sampled_from([1, 2, 48]), st.integers(0, 2), st.sampled_from([1, 3, 4, 9]))
def test_cheapest_sets_are_the_cheapest_by_brute_force(n_s, n_m, seed, coarse, ranked, n_groups,
                                                        cheap):
    """The priced sets (the certificate's ``need``) against every set of at most k mentors that
    keeps the quota groups (at most ``max``, and short of ``min`` by no more than the places
    left); coarse values make ties in scores and prices, where the dominance filter must keep
    one, short ranked lists make rows look for their free mentors beyond them, and short
    cheap lists make the cost bound that prunes dear mentors loose or missing."""
    with patch.object(fair_pricing, "RANKED", ranked), patch.object(fair_pricing, "CHEAP", cheap):
        _check_cheapest_sets(n_s, n_m, seed, coarse, n_groups)


def _check_cheapest_sets(n_s, n_m, seed, coarse, n_groups):
    rng = np.random.default_rng(seed)
    scores = rng.random((n_s, n_m))
    prices = rng.random(n_m) * (rng.random(n_m) < 0.7)
    if coarse:
        scores, prices = np.round(scores, 1), np.round(prices, 1)
    scores[rng.random((n_s, n_m)) < 0.2] = -np.inf
    k = rng.integers(0, 4, n_s)
    tau = 2 * rng.random()
    groups = [(rng.random(n_m) < 0.5, rng.integers(0, 2, n_s), rng.integers(0, 3, n_s))
              for _ in range(n_groups)]
    need, sets, cost = cheapest_sets(scores, prices, k, tau, groups)
    for i in range(n_s):
        best = 0.0 if tau <= SET_TOL else np.inf
        for size in range(1, k[i] + 1):
            for s in combinations(range(n_m), size):
                chosen = scores[i, list(s)]
                inside = [int(mask[list(s)].sum()) for mask, _, _ in groups]
                keeps = all(c <= hi[i] and lo[i] - c <= k[i] - size
                            for c, (_, lo, hi) in zip(inside, groups, strict=True))
                if keeps and np.isfinite(chosen).all() and chosen.sum() >= tau - 1e-9:
                    best = min(best, prices[list(s)].sum())
        assert need[i] == pytest.approx(best, abs=1e-12) or need[i] == best
        members = sets[i][sets[i] >= 0]
        if np.isfinite(best) and best > 0:  # the set found is a real set at that price
            assert len(members) <= k[i] and len(set(members)) == len(members)
            assert scores[i, members].sum() >= tau - 1e-9
            assert prices[members].sum() == pytest.approx(best, abs=1e-12)
    assert (cost >= need - 1e-12).all()


def test_the_cheap_bound_prunes_only_mentors_dearer_than_it():
    """The three cheapest mentors reach the target at 0.3; the cheapest set (0.25) takes a
    dearer one, which the bound must keep."""
    scores = np.array([[0.10, 0.45, 0.45, 0.95, 0.30]])
    prices = np.array([0.00, 0.10, 0.20, 0.25, 0.40])
    with patch.object(fair_pricing, "CHEAP", 3):
        need, sets, _ = cheapest_sets(scores, prices, np.array([3]), 1.0)
    assert need[0] == pytest.approx(0.25)
    assert sorted(sets[0][sets[0] >= 0].tolist()) == [0, 3]


def test_cheapest_sets_bound_more_mentors_from_below():
    """With more than three mentors a startup the pricing is a lower bound (never above the
    cheapest set), which keeps the certificate valid."""
    rng = np.random.default_rng(5)
    scores = rng.random((4, 7))
    prices = rng.random(7)
    k = np.array([4, 4, 5, 4])
    need, _, _ = cheapest_sets(scores, prices, k, 2.2)
    for i in range(4):
        best = min((prices[list(s)].sum() for size in range(1, k[i] + 1)
                    for s in combinations(range(7), size) if scores[i, list(s)].sum() >= 2.2),
                   default=np.inf)
        assert need[i] <= best + 1e-12


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=6, max_mentors=6, feasible_only=True))
def test_rounding_the_configuration_lp_keeps_every_rule(instance):
    """The assignment rounded from the LP's fractional solution keeps every rule, is no better
    than the optimum, and reaches the LP's target when the LP gives every startup one set."""
    problem = _problem(instance)
    worst = milp_optimum(**instance, objective="fair")
    if worst is None or (problem.scores < 0).any():
        return
    found = config_bound(problem, worst - 1.0, worst + 5.0, seconds=5, steps=30)
    if found.owner is None:
        return
    used = found.weight > 1e-6
    owner, members, weight = found.owner[used], found.members[used], found.weight[used]
    chosen = round_configuration(problem, owner, members, weight, extra=None, t_max=found.value,
                                 seconds=5, seed=0, workers=1)
    if chosen is None:
        return
    assert satisfies(problem, chosen)
    assert worst_total(problem, chosen) <= worst + TOL
    whole = np.bincount(owner, minlength=problem.shape[0]) == 1
    full = (members >= 0).sum(axis=1) >= problem.k_min[owner]
    if whole.all() and full.all() and not problem.pinned.any():
        assert worst_total(problem, chosen) >= found.feasible_tau - TOL


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=6, max_mentors=6, feasible_only=True),
       st.integers(0, 2**32 - 1))
def test_configuration_lp_with_quotas_is_never_below_the_optimum(instance, seed):
    """Sets that keep the quota groups: the bound stays above the exact optimum with quotas."""
    rng = np.random.default_rng(seed)
    n_m = instance["scores"].shape[1]
    labels = rng.integers(-1, 2, n_m)
    quotas = [{"name": "academic", "mentors": labels == 0, "min": int(rng.integers(0, 2))},
              {"name": "investor", "mentors": labels == 1, "max": int(rng.integers(0, 2))}]
    worst = milp_optimum(**instance, quotas=quotas, objective="fair")
    if worst is None or (instance["scores"] < 0).any():
        return
    problem = make_problem(instance["scores"], k=instance["k"], capacity=instance["capacity"],
                           forbidden=instance["forbidden"], pinned=instance["pinned"],
                           quotas=quotas, objective="fair")
    found = config_bound(problem, min(worst, 0.0) - 1.0, worst + 5.0, seconds=5, steps=30)
    assert found.value >= worst - TOL


def _stars(n_s, n_m, seed):
    """Half a heavy-tailed mentor popularity, half noise: the programme the bisection is for."""
    rng = np.random.default_rng(seed)
    popularity = rng.random(n_m) ** 8
    return 0.5 * popularity[None, :] / popularity.max() + 0.5 * rng.random((n_s, n_m))


def test_the_bisection_resumed_in_a_thread_ends_where_one_run_ends():
    """Stopping after two targets and going on in another thread, from the same columns,
    reaches the bound one uninterrupted run reaches."""
    problem = make_problem(_stars(40, 12, seed=4), k=3, capacity=12, objective="fair")
    start = flow_hint(problem)
    # from the best start to each startup's three best mentors alone
    low = worst_total(problem, start)
    high = float(np.sort(problem.scores, axis=1)[:, -3:].sum(axis=1).min())
    whole = config_bound(problem, low, high, seconds=30, steps=30)
    bisection = ConfigBisection(problem, low, high)
    first = bisection.run(time.perf_counter() + 30, steps=2)
    assert first.value >= whole.value
    until = time.perf_counter() + 30
    thread = threading.Thread(target=bisection.run, args=(until,), kwargs={"steps": 29})
    thread.start()
    thread.join(timeout=40)
    assert not thread.is_alive()
    assert low <= bisection.found.value == pytest.approx(whole.value, abs=1e-9)
    assert bisection.found.value < high  # it refuted something: the comparison means something


def test_stopping_the_bisection_ends_it_after_the_lp_under_way():
    problem = make_problem(_stars(400, 120, seed=5), k=3, capacity=14, objective="fair")
    start = flow_hint(problem)
    bisection = ConfigBisection(problem, worst_total(problem, start),
                                float(np.sort(problem.scores, axis=1)[:, -3:].sum(axis=1).min()))
    thread = threading.Thread(target=bisection.run, args=(time.perf_counter() + 120,),
                              kwargs={"steps": 100})
    thread.start()
    time.sleep(0.3)
    stopped = time.perf_counter()
    bisection.stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive() and time.perf_counter() - stopped < 5.0


@pytest.mark.parametrize("seed", [2, 3])
def test_the_bound_found_beside_the_search_holds_against_either_answer(seed):
    """With two workers the bisection goes on beside CP-SAT; with one it does not. Each run's
    bound must lie above the worst total the other run reached."""
    scores = _stars(400, 120, seed=seed)
    runs = {workers: matcher.assign(scores, k=3, capacity=14, objective="fair", time_limit=6,
                                    workers=workers) for workers in (1, 2)}
    assert runs[2].info["configuration_lp"]["beside_search"] is True
    assert runs[1].info["configuration_lp"]["beside_search"] is False
    best = max(result.objective for result in runs.values())
    for result in runs.values():
        assert result.bound >= best - TOL
        assert satisfies(make_problem(scores, k=3, capacity=14, objective="fair"),
                         _mask(result, scores.shape))


def _mask(result, shape):
    mask = np.zeros(shape, dtype=bool)
    mask[result.pairs["startup_id"].to_numpy(), result.pairs["mentor_id"].to_numpy()] = True
    return mask
