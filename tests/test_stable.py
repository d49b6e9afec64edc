"""Deferred acceptance and the blocking-pair audit, against the `matching` package."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.errors import InfeasibleError
from matcher.insight.audit import blocking_pairs, check_rules
from matcher.solve import SOLVERS, make_problem
from matcher.solve.stable import StableSolver
from tests.strategies import assignment_instances


def test_registered_after_the_optimisers_and_never_auto():
    names = list(SOLVERS)
    assert names.index("stable") > names.index("cpsat") and "stable-mentors" in names
    assert matcher.assign(np.eye(3), k=1, capacity=1).solver == "flow"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(feasible_only=True), st.sampled_from(["stable", "stable-mentors"]))
def test_stable_backends_keep_the_rules_and_leave_no_blocking_pair(instance, solver):
    try:
        result = matcher.assign(**instance, solver=solver)
    except InfeasibleError:
        return
    problem = make_problem(instance["scores"], **{k: v for k, v in instance.items() if k != "scores"})
    assert check_rules(result, problem) == []
    assert blocking_pairs(result, problem).empty
    # the bound is the best total (flow optimum): stability can only cost score
    best = matcher.assign(**instance, solver="flow")
    assert result.bound == pytest.approx(best.objective)
    assert result.objective <= result.bound + 1e-9
    assert result.objective == pytest.approx(result.scores.sum())


def test_audit_finds_planted_blocking_pairs():
    rng = np.random.default_rng(3)
    scores = rng.random((8, 6))
    stable = matcher.assign(scores, k=2, capacity=3, solver="stable")
    assert blocking_pairs(stable, scores, k=2, capacity=3).empty
    # plant: give startup 0 its least-liked allowed mentor instead of its favourite held one
    chosen = stable.matrix.copy()
    i = 0
    held = np.nonzero(chosen[i])[0]
    best_held = held[np.argmax(scores[i, held])]
    free_mentors = [j for j in np.argsort(scores[i]) if not chosen[i, j]
                    and chosen[:, j].sum() < 3]
    worst = free_mentors[0]
    chosen[i, best_held], chosen[i, worst] = False, True
    rows, cols = np.nonzero(chosen)
    planted = matcher.Assignment(rows, cols, stable.startup_ids, stable.mentor_ids, scores[rows, cols],
                                 float(scores[rows, cols].sum()), np.inf, "feasible", "hand")
    found = blocking_pairs(planted, scores, k=2, capacity=3)
    # the mentor it lost has a free place now, and the startup prefers it to the planted one
    assert (i, best_held) in set(zip(found["startup_id"], found["mentor_id"]))
    row = found[(found["startup_id"] == i) & (found["mentor_id"] == best_held)].iloc[0]
    assert row["startup_drops"] == worst and row["mentor_drops"] == ""


def test_max_total_on_sample_cohort_is_audited():
    # deferred acceptance cannot express quotas: compare the backends without the programme's
    cohort = matcher.load_cohort("data/spring-2026", quotas={})
    flow = matcher.match_cohort(cohort)
    stable = matcher.match_cohort(cohort, solver="stable")
    with pytest.raises(matcher.InputError, match="cannot express the rule 'quotas'"):
        matcher.match_cohort(matcher.load_cohort("data/spring-2026"), solver="stable")
    capacity = [m.capacity for m in cohort.mentors]
    rules = {"k": 3, "capacity": capacity}
    assert blocking_pairs(stable.assignment, stable.scores, **rules).empty
    found = blocking_pairs(flow.assignment, flow.scores, **rules)
    # what stability costs in total score is reported as the gap to the flow optimum
    assert stable.assignment.bound == pytest.approx(flow.assignment.objective)
    assert stable.assignment.objective <= flow.assignment.objective
    # when both sides rank by the same score, the best total on this cohort happens to be stable
    same = stable.assignment.pairs[["startup_id", "mentor_id"]].equals(
        flow.assignment.pairs[["startup_id", "mentor_id"]])
    assert same == found.empty
    assert (stable.assignment.status == "optimal") == (stable.assignment.gap < 1e-9)
    # stated mentor tastes that differ from the scores make stability cost total score
    mentor_taste = np.random.default_rng(0).random(stable.scores.shape)
    solver = StableSolver(mentor_utility=mentor_taste, name="tastes")
    tasted = matcher.match_cohort(cohort, solver=solver).assignment
    assert tasted.gap > 0 and tasted.status == "feasible"
    assert blocking_pairs(tasted, stable.scores, mentor_utility=mentor_taste, **rules).empty
    assert not blocking_pairs(flow.assignment, stable.scores, mentor_utility=mentor_taste, **rules).empty


def _hospital_resident(scores, forbidden, capacity, optimal):
    from matching.games import HospitalResident

    n_s, n_m = scores.shape
    allowed = ~forbidden
    resident_prefs = {f"s{i}": [f"m{j}" for j in np.argsort(-scores[i], kind="stable") if allowed[i, j]]
                      for i in range(n_s)}
    hospital_prefs = {f"m{j}": [f"s{i}" for i in np.argsort(-scores[:, j], kind="stable") if allowed[i, j]]
                      for j in range(n_m)}
    caps = {f"m{j}": int(capacity[j]) for j in range(n_m)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, caps, clean=True)
        matching = game.solve(optimal=optimal)
    return {(int(str(r)[1:]), int(str(h)[1:])) for h, residents in matching.items() for r in residents}


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 6), st.integers(0, 2**31), st.sampled_from([0.0, 0.2]))
def test_matches_hospital_resident_solver_for_k_1(n_s, n_m, seed, p_forbid):
    rng = np.random.default_rng(seed)
    scores = rng.permutation(n_s * n_m).reshape(n_s, n_m) / (n_s * n_m)  # distinct: strict preferences
    forbidden = rng.random((n_s, n_m)) < p_forbid
    capacity = rng.integers(1, 4, n_m)
    for solver, optimal in (("stable", "resident"), ("stable-mentors", "hospital")):
        ours = matcher.assign(scores, k=(0, 1), capacity=capacity, forbidden=forbidden, solver=solver)
        expected = _hospital_resident(scores, forbidden, capacity, optimal)
        assert set(zip(ours.rows.tolist(), ours.cols.tolist())) == expected, solver


def test_stated_preferences_and_short_startups():
    scores = np.array([[0.9, 0.1], [0.8, 0.2]])
    # startup 1 prefers mentor 0 by stated preference, and mentor 0 prefers startup 1
    utility = np.array([[1.0, 0.0], [1.0, 0.0]])
    mentor = np.array([[0.0, 0.0], [1.0, 0.0]])
    solver = StableSolver(startup_utility=utility, mentor_utility=mentor, name="stated")
    result = matcher.assign(scores, k=1, capacity=1, solver=solver)
    assert set(zip(result.rows.tolist(), result.cols.tolist())) == {(0, 1), (1, 0)}
    assert result.info["preferences"] == "stated"
    # startup 1 may only have mentor 0, who prefers startup 0, who prefers mentor 0: the best total
    # gives startup 1 mentor 0, but no stable assignment gives startup 1 a mentor
    scores = np.array([[0.9, 0.5], [0.6, 0.0]])
    forbidden = np.array([[False, False], [False, True]])
    assert matcher.assign(scores, k=1, capacity=1, forbidden=forbidden).objective == pytest.approx(1.1)
    with pytest.raises(InfeasibleError, match="stability.*1 startup"):
        matcher.assign(scores, k=1, capacity=1, forbidden=forbidden, solver="stable")


def test_stated_preferences_drive_the_stable_backend():
    from matcher.data.preferences import preference_utilities

    cohort = matcher.load_cohort("data/spring-2026", preferences="data/spring-2026/preferences.csv")
    # deferred acceptance has no counterpart of the sample's quotas: it refuses them by name
    with pytest.raises(matcher.InputError, match="cannot express the rule 'quotas'"):
        matcher.match_cohort(cohort, solver="stable")
    result = matcher.match_cohort(cohort, solver="stable", quotas={})
    assert result.assignment.info["preferences"] == "stated"
    su, mu = preference_utilities(cohort.preferences, result.scores.values, result.scores.startup_ids,
                                  result.scores.mentor_ids)
    capacity = [m.capacity for m in cohort.mentors]
    stated = {"startup_utility": su, "mentor_utility": mu}
    assert blocking_pairs(result.assignment, result.scores, k=3, capacity=capacity, **stated).empty
    # in the sample, every first choice whose mentor said yes back is honoured
    pairs = set(zip(result.assignment.pairs.startup_id, result.assignment.pairs.mentor_id))
    prefs = cohort.preferences.to_frame()
    mutual = prefs[(prefs.startup_rank == 1) & (prefs.mentor_bid == "yes")]
    assert set(zip(mutual.startup_id, mutual.mentor_id)) <= pairs


def naive_blocking(chosen, scores, forbidden, pinned, k_max, capacity):
    """Blocking pairs by the definition, one pair at a time (for cross-checking the audit)."""
    n_s, n_m = scores.shape
    out = set()
    for i in range(n_s):
        for j in range(n_m):
            if chosen[i, j] or forbidden[i, j] or capacity[j] == 0:
                continue
            mine = [m for m in range(n_m) if chosen[i, m]]
            theirs = [s for s in range(n_s) if chosen[s, j]]
            startup_wants = len(mine) < k_max or any(
                scores[i, j] > scores[i, m] for m in mine if not pinned[i, m])
            mentor_wants = len(theirs) < capacity[j] or any(
                scores[i, j] > scores[s, j] for s in theirs if not pinned[s, j])
            if startup_wants and mentor_wants:
                out.add((i, j))
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(feasible_only=True))
def test_audit_agrees_with_the_definition_on_max_total_assignments(instance):
    try:
        result = matcher.assign(**instance, solver="flow")
    except InfeasibleError:
        return
    found = blocking_pairs(result, instance["scores"], **{k: v for k, v in instance.items() if k != "scores"})
    k = instance["k"]
    k_max = k[1] if isinstance(k, tuple) else k
    expected = naive_blocking(result.matrix, instance["scores"], instance["forbidden"], instance["pinned"],
                              k_max, instance["capacity"])
    assert set(zip(found.startup_id, found.mentor_id)) == expected


def test_rules_deferred_acceptance_cannot_express_are_refused_by_name():
    import dataclasses as dc

    from matcher.solve.problem import Problem

    # a Problem with one more rule field, as a later rule (quotas, say) would add
    extended = dc.make_dataclass("Extended", [("quota", object, dc.field(default=None))], bases=(Problem,),
                                 frozen=True, eq=False)
    base = make_problem(np.eye(2), k=1, capacity=1)
    fields = {f.name: getattr(base, f.name) for f in dc.fields(Problem)}
    assert StableSolver().unsupported(extended(**fields)) is None
    reason = StableSolver().unsupported(extended(**fields, quota=np.array([1])))
    assert reason == "deferred acceptance cannot express the rule 'quota'"
