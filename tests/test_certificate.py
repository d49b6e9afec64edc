"""The pruned flow with its certificate returns exactly the dense optimum, and the proof is sound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.data.synth import DISTRIBUTIONS, synthetic_capacities, synthetic_scores
from matcher.solve.arguments import make_problem
from matcher.solve.candidates import DenseScores, VectorScores, top_candidates
from matcher.solve.certificate import (
    find_violations,
    hall_group,
    residual_potentials,
)
from matcher.solve.cycles import repair_flow
from matcher.solve.flow import flow_on_edges
from matcher.solve.pruned import PrunedFlowSolver, prefers_pruned, solve_pruned
from tests.strategies import assignment_instances, check_rules, milp_optimum

TOL = 1e-7
NONE = (np.zeros(0, np.int64), np.zeros(0, np.int64))


def _both(instance, width):
    """(dense flow result or None, pruned result or None) for one instance."""
    out = []
    for solver in ("flow", PrunedFlowSolver(width=width)):
        try:
            out.append(matcher.assign(**instance, solver=solver))
        except matcher.InfeasibleError:
            out.append(None)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=assignment_instances(max_startups=9, max_mentors=8, feasible_only=True),
       width=st.integers(1, 3))
def test_pruned_equals_dense_and_milp(instance, width):
    dense, pruned = _both(instance, width)
    expected = milp_optimum(**instance)
    assert (dense is None) == (pruned is None) == (expected is None)
    if pruned is None:
        return
    check_rules(pruned, **{k: v for k, v in instance.items() if k != "scores"})
    assert pruned.certified is True and pruned.status == "optimal"
    assert pruned.objective == pytest.approx(dense.objective, abs=TOL * max(1, abs(expected)))
    assert pruned.objective == pytest.approx(expected, abs=1e-6 * max(1, abs(expected)))


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("k", [3, (1, 4)])
def test_pruned_equals_dense_on_every_distribution(distribution, k):
    scores = synthetic_scores(300, 60, distribution, seed=7)
    capacity = synthetic_capacities(300, 60, 3, slack=1.1, seed=7)
    dense = matcher.assign(scores, k=k, capacity=capacity, solver="flow")
    pruned = matcher.assign(scores, k=k, capacity=capacity, solver=PrunedFlowSolver(width=4))
    assert pruned.certified is True
    assert pruned.objective == pytest.approx(dense.objective, rel=1e-12)
    again = matcher.assign(scores, k=k, capacity=capacity, solver=PrunedFlowSolver(width=4))
    assert np.array_equal(again.rows, pruned.rows) and np.array_equal(again.cols, pruned.cols)


def test_first_pruning_misses_the_optimum():
    # Everyone's favourite is mentor 0 (capacity 1); startup 1 is the one that must give it up,
    # and its best alternative (mentor 2) is outside its top-1. Only the certificate finds it.
    scores = np.array([[0.90, 0.10, 0.05],
                       [0.89, 0.00, 0.80],
                       [0.88, 0.70, 0.00]])
    result = solve_pruned(scores, k_min=np.ones(3, int), k_max=np.ones(3, int),
                          capacity=np.ones(3, int), width=1)
    dense = matcher.assign(scores, k=1, capacity=1, solver="flow")
    assert result.certified
    assert float(result.scores.sum()) == pytest.approx(dense.objective)
    assert result.info["rounds"] >= 1


def test_first_pruning_misses_a_pair_outside_every_list():
    # Built so that the optimum uses a pair in neither its row's top-L nor its column's
    # top-2c: three stars (capacity 1) top every list; startups 0 and 1 value them most and
    # mentor 3 ranks them first, so mentor 3 must go to startup 5, whose list it is not on.
    rng = np.random.default_rng(11)
    scores = 0.1 + 0.01 * rng.random((40, 12))
    scores[:, :3] = 0.9 + 0.001 * rng.random((40, 3))
    scores[:2, :3] = 0.95
    scores[:2, 3] = 0.8
    scores[5, 3] = 0.79
    capacity = np.r_[1, 1, 1, 1, np.full(8, 8)]
    cand = top_candidates(scores, 3, column_width=2 * capacity)
    assert not ((cand.rows == 5) & (cand.cols == 3)).any()
    dense = matcher.assign(scores, k=1, capacity=capacity, solver="flow")
    assert (5, 3) in set(zip(dense.rows.tolist(), dense.cols.tolist()))
    pruned = matcher.assign(scores, k=1, capacity=capacity, solver=PrunedFlowSolver(width=3))
    assert pruned.certified and pruned.info["pairs_added"] >= 1
    assert pruned.objective == pytest.approx(dense.objective, rel=1e-12)
    assert (5, 3) in set(zip(pruned.rows.tolist(), pruned.cols.tolist()))


def test_first_pruning_infeasible_is_widened():
    # Startups 2-4 list only mentor 0 (capacity 2) and mentors 1-3 (capacity 1) propose only
    # startups 0 and 1: the pruned problem cannot place three startups in two places. The
    # Hall-violating group gets mentors outside its full neighbourhood.
    scores = np.array([[0.9, 0.8, 0.8, 0.8],
                       [0.9, 0.7, 0.7, 0.7],
                       [0.9, 0.1, 0.2, 0.3],
                       [0.9, 0.2, 0.1, 0.1],
                       [0.9, 0.3, 0.3, 0.2]])
    capacity = np.array([2, 1, 1, 1])
    result = solve_pruned(scores, k_min=np.ones(5, int), k_max=np.ones(5, int), capacity=capacity,
                          width=1)
    dense = matcher.assign(scores, k=1, capacity=capacity, solver="flow")
    assert result.certified and result.info["widened"] >= 1
    assert float(result.scores.sum()) == pytest.approx(dense.objective)


def test_infeasible_in_full_is_reported():
    scores = np.random.default_rng(0).random((5, 4))
    forbidden = np.zeros((5, 4), bool)
    forbidden[:3, 1:] = True  # startups 0-2 may only have mentor 0, which takes 2
    with pytest.raises(matcher.InfeasibleError, match="group|mentors per startup"):
        solve_pruned(scores, k_min=np.ones(5, int), k_max=np.ones(5, int),
                     capacity=np.array([2, 3, 3, 3]), forbidden=np.nonzero(forbidden), width=1)


def test_certificate_detects_a_planted_violation():
    # Solve with every pair but one unused pair, certify, then raise that pair's score just
    # above / below its startup's and mentor's prices: the scan must report exactly that.
    rng = np.random.default_rng(4)
    scores = rng.random((30, 10))
    k, capacity = np.full(30, 2), np.full(10, 7)
    dense = matcher.assign(scores, k=2, capacity=capacity, solver="flow").matrix
    i, j = np.argwhere(~dense)[np.argmin(scores[~dense])]  # the least wanted unused pair
    keep = np.ones((30, 10), bool)
    keep[i, j] = False
    rows, cols = np.nonzero(keep)
    from matcher.solve.candidates import Candidates

    cand = Candidates(rows, cols, scores[rows, cols], 30, 10, float(scores.max()))
    scale = 2.0**30
    w = np.rint(cand.weights * scale)
    used = flow_on_edges(rows, cols, w / scale, k_min=k, k_max=k, capacity=capacity)
    d_s, d_m, _ = residual_potentials(rows, cols, -w.astype(np.int64), used, k_min=k, k_max=k,
                                      capacity=capacity)
    args = dict(scale=scale, excluded=NONE, active_rows=np.ones(30, bool),
                active_cols=np.ones(10, bool), per_row=5)
    assert find_violations(DenseScores(scores), cand, d_s, d_m, **args)[2] == 0
    planted = scores.copy()
    planted[i, j] = (d_s[i] - d_m[j]) / scale + 1e-3  # reduced profit 1e-3 > 0
    found_rows, found_cols, n_bad = find_violations(DenseScores(planted), cand, d_s, d_m, **args)
    assert n_bad == 1 and found_rows.tolist() == [i] and found_cols.tolist() == [j]
    planted[i, j] = (d_s[i] - d_m[j]) / scale - 1e-3
    assert find_violations(DenseScores(planted), cand, d_s, d_m, **args)[2] == 0
    # and the certified loop turns the planted violation into the new optimum
    res = solve_pruned(planted, k_min=k, k_max=k, capacity=capacity, width=10)
    best = matcher.assign(planted, k=2, capacity=capacity, solver="flow")
    assert res.certified and float(res.scores.sum()) == pytest.approx(best.objective)


def test_potentials_price_every_residual_arc():
    rng = np.random.default_rng(9)
    scores = rng.random((50, 12))
    k_min, k_max = np.full(50, 1), np.full(50, 3)
    capacity = rng.integers(1, 9, 12)
    cand = top_candidates(scores, 4)
    costs = -np.rint(cand.weights * 2**30).astype(np.int64)
    used = flow_on_edges(cand.rows, cand.cols, -costs / 2**30, k_min=k_min, k_max=k_max,
                         capacity=capacity)
    d_s, d_m, d_t = residual_potentials(cand.rows, cand.cols, costs, used, k_min=k_min,
                                        k_max=k_max, capacity=capacity)
    red = costs + d_s[cand.rows] - d_m[cand.cols]
    assert (red[~used] >= 0).all() and (red[used] <= 0).all()
    load = np.bincount(cand.cols[used], minlength=12)
    assert (d_m[load < capacity] >= d_t).all()  # mentor -> sink arcs
    assert (d_m[load > 0] <= d_t).all()  # sink -> mentor arcs


def test_hall_group_names_the_short_group():
    rows, cols = np.array([0, 1, 2, 2]), np.array([0, 0, 0, 1])
    group, full = hall_group(rows, cols, np.array([1, 1, 1]), np.array([1, 5]))
    assert group.tolist() == [True, True, False] and full.tolist() == [True, False]
    assert hall_group(rows, cols, np.array([1, 0, 1]), np.array([1, 5])) is None


def test_auto_takes_the_pruned_path_when_large_and_plain():
    scores = synthetic_scores(2000, 600, "clustered", seed=1)
    capacity = synthetic_capacities(2000, 600, 3, seed=1)
    problem = make_problem(scores, k=3, capacity=capacity)
    assert prefers_pruned(problem)
    assert not prefers_pruned(make_problem(scores[:50], k=3, capacity=capacity))
    auto = matcher.assign(scores, k=3, capacity=capacity)
    assert auto.solver == "pruned" and auto.certified is True and auto.status == "optimal"
    assert {"rounds", "pairs_added", "candidates"} <= set(auto.info)
    small = matcher.assign(scores[:20, :30], k=1, capacity=1)
    assert small.solver == "flow" and small.certified is None


def test_vector_scores_path_equals_dense():
    rng = np.random.default_rng(8)
    s = rng.standard_normal((400, 24)).astype(np.float32)
    m = rng.standard_normal((50, 24)).astype(np.float32)
    m[:3] += 2 * s.mean(axis=0)  # three stars
    vs = VectorScores(s, m, metric="cosine")
    capacity = synthetic_capacities(400, 50, 2, seed=8)
    got = matcher.assign(vs, k=2, capacity=capacity)
    dense = matcher.assign(vs.dense(), k=2, capacity=capacity, solver="flow")
    assert got.certified is True
    assert got.objective == pytest.approx(dense.objective, rel=1e-10)


@pytest.mark.parametrize("seed", [1, 26, 27])
def test_running_out_of_rounds_answers_with_the_last_flow(seed):
    # instances whose second round finds pairs among the first scan's near misses: with no round
    # left to route them, the answer is the last flow's, feasible and uncertified, never a crash
    rng = np.random.default_rng(seed)
    n_s, n_m = int(rng.integers(50, 1500)), int(rng.integers(5, 200))
    if seed % 2 == 0:
        scores = rng.random((n_s, n_m))
    else:  # a few star mentors
        scores = rng.random((n_s, n_m)) * 0.1 + (rng.random(n_m) < 0.05) * 1.0
    k = int(rng.integers(1, 4))
    capacity = np.full(n_m, int(np.ceil(n_s * k / n_m)) + int(rng.integers(0, 3)))
    width = 1 if seed != 1 else 2
    found = solve_pruned(scores, k_min=np.full(n_s, k), k_max=np.full(n_s, k), capacity=capacity,
                         width=width, max_rounds=2)
    assert np.bincount(found.rows, minlength=n_s).tolist() == [k] * n_s
    assert (np.bincount(found.cols, minlength=n_m) <= capacity).all()
    assert np.allclose(found.scores, scores[found.rows, found.cols])
    best = matcher.assign(scores, k=k, capacity=capacity, solver="flow").objective
    assert found.scores.sum() <= best + 1e-6
    if found.certified:
        assert found.scores.sum() == pytest.approx(best, abs=1e-6)


def test_repair_flow_keeps_or_moves_the_flow_as_the_new_pair_allows():
    rows, cols, costs = np.array([0, 0]), np.array([0, 1]), np.array([-5, -9])
    used, start = np.array([True, False]), np.array([0, -5, 0, 0])
    rules = {"k_min": np.array([1]), "k_max": np.array([1])}
    # mentor 1 has no place: the flow stays, and the potentials price the new pair out
    kept, d = repair_flow(rows, cols, costs, used, start, capacity=np.array([1, 0]), **rules)
    assert kept.tolist() == [True, False] and -costs[1] <= d[0] - d[2]
    # with a place, moving startup 0 to mentor 1 gains 4: the unit moves, priced exactly
    moved, d = repair_flow(rows, cols, costs, used, start, capacity=np.array([1, 1]), **rules)
    assert moved.tolist() == [False, True] and -costs[0] <= d[0] - d[1]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_s=st.integers(2, 12), n_m=st.integers(2, 9),
       k=st.integers(1, 3), n_new=st.integers(1, 6))
def test_repair_flow_equals_a_fresh_solve_and_proves_it(seed, n_s, n_m, k, n_new):
    """A repaired flow (when the repair does not give up) keeps every rule, has the objective of
    a fresh solve on the larger candidate set, and its potentials price every residual arc."""
    rng = np.random.default_rng(seed)
    k = min(k, n_m)
    cost = -rng.integers(0, 50, size=(n_s, n_m))
    capacity = rng.integers(1, 4, size=n_m)
    capacity[: (n_s * k) // n_m + 1] += (n_s * k) // n_m + 1  # enough places in all
    keys = np.flatnonzero(rng.random(n_s * n_m) < 0.6)
    rows, cols = keys // n_m, keys % n_m
    rules = {"k_min": np.full(n_s, k), "k_max": np.full(n_s, k), "capacity": capacity}
    used = flow_on_edges(rows, cols, -cost[rows, cols].astype(float), **rules)
    if used is None:
        return
    d_s, d_m, d_t = residual_potentials(rows, cols, cost[rows, cols], used, **rules)
    start = np.concatenate([d_s, d_m, [d_t]])
    new = rng.choice(np.setdiff1d(np.arange(n_s * n_m), keys), size=min(n_new, n_s * n_m - len(keys)),
                     replace=False)
    keys = np.sort(np.concatenate([keys, new]))
    was = np.isin(keys, (rows * n_m + cols)[used])
    rows, cols = keys // n_m, keys % n_m
    out = repair_flow(rows, cols, cost[rows, cols], was, start, **rules)
    if out is None:
        return  # gave up: the caller solves again
    repaired, d = out
    assert np.bincount(rows[repaired], minlength=n_s).tolist() == [k] * n_s
    assert (np.bincount(cols[repaired], minlength=n_m) <= capacity).all()
    fresh = flow_on_edges(rows, cols, -cost[rows, cols].astype(float), **rules)
    assert cost[rows, cols][repaired].sum() == cost[rows, cols][fresh].sum()
    reduced = cost[rows, cols] + d[rows] - d[n_s + cols]
    assert (reduced[~repaired] >= 0).all() and (reduced[repaired] <= 0).all()
