"""The sample market's prices: the least duals of its flow, and what they buy the first flow."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import matcher
from matcher.data.synth import synthetic_capacities, synthetic_scores
from matcher.solve import prices
from matcher.solve.flow import flow_on_edges


def _dual_extreme(w, rows, cols, k, capacity, optimum, variable, sign):
    """The least (``sign`` 1) or greatest (-1) value of one dual variable over the optimal duals
    of max sum w x, sum_j x_ij <= k, sum_i x_ij <= cap_j, 0 <= x <= 1 on the given pairs:
    u_i, p_j, z_e >= 0 with u_i + p_j + z_e >= w_e and the dual objective equal to the
    optimum. Variables are numbered startups, then mentors."""
    n_s, n_m, n_e = len(k), len(capacity), len(rows)
    a = np.zeros((n_e, n_s + n_m + n_e))
    e = np.arange(n_e)
    a[e, rows] = a[e, n_s + cols] = a[e, n_s + n_m + e] = -1  # -(u_i + p_j + z_e) <= -w_e
    objective = np.concatenate([k, capacity, np.ones(n_e)]).astype(float)
    c = np.zeros(n_s + n_m + n_e)
    c[variable] = sign
    res = linprog(c, A_ub=a, b_ub=-w, A_eq=objective[None, :], b_eq=[optimum], bounds=(0, None),
                  method="highs")
    assert res.status == 0
    return sign * res.fun


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_s=st.integers(2, 10), n_m=st.integers(2, 7),
       k=st.integers(1, 3))
def test_lowest_prices_are_the_least_optimal_duals(seed, n_s, n_m, k):
    """Each mentor's lowest price is the least value its dual takes over every optimal dual
    solution of the flow's LP, and each startup's surplus the greatest (an LP per variable)."""
    rng = np.random.default_rng(seed)
    keys = np.flatnonzero(rng.random(n_s * n_m) < 0.7)
    rows, cols = keys // n_m, keys % n_m
    w = rng.integers(0, 30, size=len(keys))
    capacity = rng.integers(0, 4, size=n_m)
    k_min, k_max = np.zeros(n_s, np.int64), np.full(n_s, k)
    used = flow_on_edges(rows, cols, w.astype(float), k_min=k_min, k_max=k_max, capacity=capacity)
    surplus, low = prices._lowest_prices(rows, cols, -w, used, k_min, k_max, capacity)
    optimum = float(w[used].sum())
    extreme = partial(_dual_extreme, w, rows, cols, k_max, capacity, optimum)
    for j in range(n_m):
        assert low[j] == pytest.approx(extreme(n_s + j, 1), abs=1e-6)
    for i in range(n_s):
        assert surplus[i] == pytest.approx(extreme(i, -1), abs=1e-6)


def test_optimistic_prices_spare_the_first_flow_a_repair():
    """On clustered scores the sample's highest duals overprice a few mentors, whose pairs then
    violate the first flow's certificate; its least duals less their typical range do not."""
    scores = synthetic_scores(4000, 1500, "clustered", seed=0)
    capacity = synthetic_capacities(4000, 1500, 3, seed=0)
    first = {}
    for name, rule in (("highest", lambda low, high: high), ("optimistic", prices._optimistic)):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(prices, "_optimistic", rule)
            result = matcher.assign(scores, k=3, capacity=capacity, solver="pruned")
        assert result.certified
        first[name] = result.info["violations"][0]
    assert first["highest"] >= 10 and first["optimistic"] <= first["highest"] // 4


def test_prices_come_from_the_last_flow_when_the_rounds_run_out(monkeypatch):
    """With one solve allowed, the sample still violates after it: the prices are those of that
    flow, not of candidates it never routed."""
    scores = synthetic_scores(1200, 400, "correlated", seed=1)
    capacity = synthetic_capacities(1200, 400, 3, seed=1)
    k = np.full(1200, 3)
    monkeypatch.setattr(prices, "_SAMPLE_ROUNDS", 1)
    one = prices.estimate_prices(scores, k, k, capacity)
    monkeypatch.setattr(prices, "_SAMPLE_ROUNDS", 4)
    more = prices.estimate_prices(scores, k, k, capacity)
    assert one.shape == more.shape == (400,) and (one >= 0).all() and (more >= 0).all()
    assert not np.array_equal(one, more)  # the later rounds did move them


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 8), n_m=st.integers(1, 6))
def test_outbid_prices_are_the_best_bid_of_a_startup_not_holding_the_mentor(seed, n, n_m):
    rng = np.random.default_rng(seed)
    scaled = rng.integers(0, 100, size=(n, n_m)).astype(float)
    held = rng.random((n, n_m)) < 0.3
    surplus = rng.integers(0, 60, size=n)
    surplus[rng.random(n) < 0.2] = prices.UNREACHED
    active = rng.random(n) < 0.8
    rows, cols = np.nonzero(held)
    some = np.flatnonzero(rng.random(n_m) < 0.6)
    got = prices._outbid_prices(scaled, surplus, rows, cols, active, cols=some)
    assert got.shape == some.shape
    for at, j in enumerate(some):
        bids = [scaled[i, j] - surplus[i] for i in range(n)
                if active[i] and surplus[i] != prices.UNREACHED and not held[i, j]]
        assert got[at] == max([0, *bids])
