"""Envy audits and the envy-free objective, against brute force on small instances."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.errors import InfeasibleError
from matcher.insight.envy import envy_summary, envy_table, group_totals, needs_covered, needs_uncovered
from matcher.solve.arguments import make_problem


def naive_envy(scores, forbidden, chosen):
    """(envy, ef1) per startup by plain loops."""
    worth = np.where(forbidden, 0.0, scores)
    n = len(chosen)
    envy, ef1 = np.zeros(n), np.ones(n, dtype=bool)
    for a in range(n):
        own = sum(worth[a, m] for m in np.nonzero(chosen[a])[0])
        for b in range(n):
            if a == b:
                continue
            team = np.nonzero(chosen[b])[0]
            other = sum(worth[a, m] for m in team)
            envy[a] = max(envy[a], other - own)
            if len(team) and own < other - max(worth[a, m] for m in team) - 1e-9:
                ef1[a] = False
    return np.where(envy > 1e-9, envy, 0.0), ef1


def all_assignments(n_s, n_m, k_lo, k_hi, capacity, forbidden, pinned):
    """Every assignment keeping k, capacities, forbidden and pinned pairs (brute force)."""
    options = []
    for i in range(n_s):
        rows = []
        for size in range(k_lo, k_hi + 1):
            for team in itertools.combinations(range(n_m), size):
                row = np.zeros(n_m, dtype=bool)
                row[list(team)] = True
                if not (row & forbidden[i]).any() and row[pinned[i]].all():
                    rows.append(row)
        options.append(rows)
    for pick in itertools.product(*options):
        chosen = np.array(pick, dtype=bool).reshape(n_s, n_m)
        if (chosen.sum(axis=0) <= capacity).all():
            yield chosen


@st.composite
def tiny(draw):
    n_s, n_m = draw(st.integers(2, 3)), draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    popularity = rng.pareto(1.5, n_m)
    scores = np.round(0.6 * popularity / popularity.max() + 0.4 * rng.random((n_s, n_m)), 3)
    k_hi = draw(st.integers(1, min(2, n_m)))
    k_lo = draw(st.integers(0, k_hi))
    capacity = rng.integers(1, 3, n_m)
    forbidden = rng.random((n_s, n_m)) < 0.15
    pinned = (rng.random((n_s, n_m)) < 0.2) & ~forbidden
    pinned &= np.cumsum(pinned, axis=1) <= k_hi
    capacity = np.maximum(capacity, pinned.sum(axis=0))
    return scores, (k_lo, k_hi), capacity, forbidden, pinned


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny())
def test_envy_free_objective_matches_brute_force(instance):
    scores, k, capacity, forbidden, pinned = instance
    n_s, n_m = scores.shape
    best = None
    for chosen in all_assignments(n_s, n_m, *k, capacity, forbidden, pinned):
        _, ef1 = naive_envy(scores, forbidden, chosen)
        if ef1.all():
            total = scores[chosen].sum()
            best = total if best is None else max(best, total)
    try:
        result = matcher.assign(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned,
                                objective="envy-free", time_limit=20)
    except InfeasibleError as err:
        assert best is None, f"an EF1 assignment of total {best} exists: {err}"
        return
    assert best is not None and result.status == "optimal"
    assert result.objective == pytest.approx(best, abs=1e-6)
    _, ef1 = naive_envy(scores, forbidden, result.matrix)
    assert ef1.all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny(), st.integers(0, 1000))
def test_envy_table_matches_loops(instance, seed):
    scores, k, capacity, forbidden, pinned = instance
    problem = make_problem(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned)
    options = list(all_assignments(*scores.shape, *k, capacity, forbidden, problem.pinned))
    if not options:
        return
    chosen = options[seed % len(options)]
    rows, cols = np.nonzero(chosen)
    result = matcher.Assignment(rows, cols, problem.startup_ids, problem.mentor_ids,
                                scores[rows, cols], 0.0, 0.0, "feasible", "test")
    table = envy_table(result, problem)
    envy, ef1 = naive_envy(scores, forbidden, chosen)
    np.testing.assert_allclose(table["envy"], envy, atol=1e-9)
    assert table["ef1"].tolist() == ef1.tolist()
    assert table["envy_free"].tolist() == (envy == 0).tolist()
    summary = envy_summary(result, problem)
    assert summary["ef1_share"] == pytest.approx(ef1.mean())


def test_no_envy_free_assignment_is_said_so():
    # both startups value the two stars alike; pins give both stars to the first, so the second
    # values the first's team, less one star, above its own two zeros
    scores = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    with pytest.raises(InfeasibleError, match="envy-free up to one mentor") as err:
        matcher.assign(scores, k=2, capacity=1, pinned=[(0, 0), (0, 1)], objective="envy-free")
    assert err.value.diagnoses[0].rule == "envy-free"
    # without the pins, the stars are shared and the envy-free total is the best total
    result = matcher.assign(scores, k=2, capacity=1, objective="envy-free")
    assert result.objective == pytest.approx(2.0) and sorted(result.startup_totals()) == [1.0, 1.0]


def test_group_totals_and_needs_of_the_sample_cohort():
    result = matcher.match_cohort("data/spring-2026")
    by_stage = group_totals(result.assignment, result.cohort, by="stage")
    assert by_stage["startups"].sum() == len(result.cohort.startups)
    by_domain = group_totals(result.assignment, result.cohort, by="domain")
    totals = result.assignment.startup_totals()
    assert by_domain["max"].max() == pytest.approx(totals.max())
    covered = needs_covered(result.cohort, result.assignment)
    uncovered = needs_uncovered(result.cohort, result.assignment)
    assert list(covered.columns) == ["startup_id", "mentor_id", "need", "weight"]
    needs = {s.id: set(s.needs) for s in result.cohort.startups}
    offers = {m.id: set(m.offers) for m in result.cohort.mentors}
    for row in covered.itertuples():
        assert row.need in needs[row.startup_id] and row.need in offers[row.mentor_id]
    counted = {(s, n) for s, n in zip(covered.startup_id, covered.need, strict=True)}
    missing = {(s, n) for s, n in zip(uncovered.startup_id, uncovered.need, strict=True)}
    assert counted.isdisjoint(missing)
    assert counted | missing == {(s, n) for s, ns in needs.items() for n in ns}
    assert isinstance(group_totals(result.assignment, by=pd.Series(dtype=object)), pd.DataFrame)
