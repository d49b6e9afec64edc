"""The row bounds of the candidates, the certificate read from them, and mentors' proposals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.data.synth import DISTRIBUTIONS, synthetic_capacities, synthetic_scores
from matcher.solve.candidates import DenseScores, VectorScores, top_candidates
from matcher.solve.column_tops import with_column_tops
from matcher.solve.prices import PRICE_MIN_ROWS
from matcher.solve.pruned import solve_pruned
from matcher.solve.row_bound import bound_pairs


def _instance(seed: int, n_s: int, n_m: int, vectors: bool):
    """A score source, its dense matrix, prices, forbidden pairs and active masks."""
    rng = np.random.default_rng(seed)
    if vectors:
        source = VectorScores(rng.standard_normal((n_s, 6)), rng.standard_normal((n_m, 6)),
                              scale=0.5, offset=0.25)
        values = source.exact(*(a.ravel() for a in np.indices((n_s, n_m)))).reshape(n_s, n_m)
    else:
        values = rng.random((n_s, n_m))
        source = DenseScores(values)
    prices = rng.random(n_m) * rng.choice([0.0, 0.3, 2.0])
    forbidden = rng.random((n_s, n_m)) < 0.15
    active_rows, active_cols = rng.random(n_s) < 0.9, rng.random(n_m) < 0.9
    return source, values, prices, np.nonzero(forbidden), forbidden, active_rows, active_cols


@settings(max_examples=80, deadline=None)
@given(n_s=st.integers(1, 40), n_m=st.integers(1, 60), width=st.integers(1, 10),
       block=st.sampled_from([8, 64, 10_000]), vectors=st.booleans(), seed=st.integers(0, 2**16))
def test_row_bound_holds_for_every_pair_left_out(n_s, n_m, width, block, vectors, seed):
    source, values, prices, ex, forbidden, act_r, act_c = _instance(seed, n_s, n_m, vectors)
    cand = top_candidates(source, width, excluded=ex, active_rows=act_r, active_cols=act_c,
                          prices=prices, block_entries=block * n_m)
    left_out = ~forbidden & act_r[:, None] & act_c[None, :]
    left_out[cand.rows, cand.cols] = False
    r, c = np.nonzero(left_out)
    assert (values[r, c] <= cand.row_bound[r] + cand.prices[c]).all()
    # and no looser than the weakest candidate kept (up to rounding): not a loose constant
    weakest = np.full(n_s, np.inf)
    np.minimum.at(weakest, cand.rows, cand.weights - cand.prices[cand.cols])
    rows = np.unique(r)
    assert np.all(cand.row_bound[rows] <= weakest[rows] + 1e-4)


@settings(max_examples=80, deadline=None)
@given(n_s=st.integers(1, 30), n_m=st.integers(1, 40), width=st.integers(1, 8),
       vectors=st.booleans(), margin=st.sampled_from([0.0, 0.05, 0.5]),
       seed=st.integers(0, 2**16))
def test_bound_pairs_finds_exactly_the_pairs_a_full_scan_finds(n_s, n_m, width, vectors, margin,
                                                              seed):
    source, values, prices, ex, forbidden, act_r, act_c = _instance(seed, n_s, n_m, vectors)
    cand = top_candidates(source, width, excluded=ex, active_rows=act_r, active_cols=act_c,
                          prices=prices)
    rng = np.random.default_rng(seed + 1)
    scale = 1000.0
    # potentials around the prices, so that some pairs violate and some do not
    d_m = np.rint(-(prices + rng.normal(0, 0.05, n_m)) * scale).astype(np.int64)
    d_s = np.rint((values - prices).max(axis=1) * scale * rng.uniform(0.8, 1.1, n_s)
                  ).astype(np.int64)
    found = bound_pairs(source, cand, d_s, d_m, scale=scale, excluded=ex, active_rows=act_r,
                        active_cols=act_c, max_pairs=n_s * n_m, margin=margin)
    profit = np.rint(values * scale) - (d_s[:, None] - d_m[None, :])
    want = ~forbidden & act_r[:, None] & act_c[None, :] & (profit > -margin * scale)
    want[cand.rows, cand.cols] = False
    assert set(zip(found[0].tolist(), found[1].tolist())) == set(zip(*np.nonzero(want)))
    assert np.array_equal(found[2], profit[found[0], found[1]])


def test_bound_pairs_declines_when_too_many_are_open():
    scores = np.random.default_rng(0).random((30, 20))
    cand = top_candidates(scores, 2)  # no prices: rows ranked on scores alone
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    args = dict(scale=1.0, excluded=none, active_rows=np.ones(30, bool),
                active_cols=np.ones(20, bool))
    low = np.zeros(30, np.int64)  # every startup's price at 0: every pair may violate
    assert bound_pairs(scores, cand, low, np.zeros(20, np.int64), max_pairs=10, **args) is None
    assert len(bound_pairs(scores, cand, low, np.zeros(20, np.int64), max_pairs=600,
                           **args)[0]) > 10


def test_under_listed_mentors_propose_their_best_startups():
    rng = np.random.default_rng(4)
    scores = rng.random((50, 6))
    scores[:, 0] += 1.0  # everyone's favourite: mentors 1-5 are in few lists
    cand = top_candidates(scores, 1)
    width = np.array([3, 4, 4, 4, 4, 0])
    forbidden = (np.array([7]), np.array([2]))
    more = with_column_tops(scores, cand, width, excluded=forbidden, active_rows=np.ones(50, bool),
                            active_cols=np.ones(6, bool))
    pairs = set(zip(more.rows.tolist(), more.cols.tolist()))
    assert {(i, 0) for i in range(50)} <= pairs  # the lists were kept
    for j in (1, 2, 3, 4):
        allowed = [i for i in np.argsort(-scores[:, j], kind="stable") if (i, j) != (7, 2)]
        assert {(int(i), j) for i in allowed[:4]} <= pairs
    assert not any(j == 5 for _, j in pairs)  # a width of 0 proposes nothing
    assert np.array_equal(more.weights, scores[more.rows, more.cols])
    assert np.array_equal(more.row_bound, cand.row_bound)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("k", [3, (1, 4)])
def test_priced_candidates_give_the_dense_optimum(distribution, k):
    # above PRICE_MIN_ROWS the candidates are ranked on sampled prices and certified mostly
    # from the row bounds: the answer must still be the dense flow's
    n_s, n_m = PRICE_MIN_ROWS + 476, 150
    scores = synthetic_scores(n_s, n_m, distribution, seed=5)
    capacity = synthetic_capacities(n_s, n_m, 3, slack=1.1, seed=5)
    k_lo, k_hi = (k, k) if isinstance(k, int) else k
    found = solve_pruned(scores, k_min=np.full(n_s, k_lo), k_max=np.full(n_s, k_hi),
                         capacity=capacity)
    dense = matcher.assign(scores, k=k, capacity=capacity, solver="flow")
    assert found.certified
    assert found.scores.sum() == pytest.approx(dense.objective, rel=1e-12)
