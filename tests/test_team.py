"""The team objective and the linking rules, against an independent MILP (scipy's HiGHS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

import matcher
from matcher.data.rules import Rules
from matcher.errors import InfeasibleError, InputError
from matcher.solve.arguments import make_problem
from matcher.solve.feasible import keeps_links
from matcher.solve.team_value import team_values
from tests.strategies import check_rules

AREAS = ["technology", "domain", "go-to-market"]


@st.composite
def team_instances(draw):
    n_s, n_m = draw(st.integers(1, 4)), draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scores = np.round(rng.random((n_s, n_m)) * draw(st.sampled_from([0.2, 1.0])), 3)
    k_hi = draw(st.integers(1, min(3, n_m)))
    k = (draw(st.integers(0, k_hi)), k_hi) if draw(st.booleans()) else k_hi
    needs = rng.random((n_s, len(AREAS))) * (rng.random((n_s, len(AREAS))) < 0.6)
    needs = needs / np.maximum(needs.sum(axis=1, keepdims=True), 1e-9)
    inst = {
        "scores": scores, "k": k, "capacity": rng.integers(1, 3, n_m),
        "forbidden": rng.random((n_s, n_m)) < 0.1,
        "needs": pd.DataFrame(needs, columns=AREAS),
        "offers": pd.DataFrame(rng.random((n_m, len(AREAS))) < 0.4, columns=AREAS),
        "mentor_groups": {"kind": list(rng.choice(["professor", "engineer", "investor"], n_m))},
        "coverage_weight": draw(st.sampled_from([0.5, 1.0])),
        "diversity_weight": draw(st.sampled_from([0.0, 0.1])),
    }
    if draw(st.booleans()):
        a, b, c, d = (rng.permutation(n_m).tolist() * 2)[:4]
        links = draw(st.sampled_from(["tandems", "apart", "circles"]))
        if links == "tandems":
            inst["tandems"] = [(a, b)]
        elif links == "apart":
            inst["apart"] = [(a, b), (c, d)] if n_m >= 4 else [(a, b)]
        elif n_s >= 2:
            inst["circles"] = [(0, n_s - 1)]
    return inst


def milp_team(inst) -> float | None:
    """The team optimum by scipy's MILP: x per pair, c per (startup, need), d per (startup, kind)."""
    scores = inst["scores"]
    n_s, n_m = scores.shape
    k_lo, k_hi = inst["k"] if isinstance(inst["k"], tuple) else (inst["k"], inst["k"])
    needs, offers = inst["needs"].to_numpy(), inst["offers"].to_numpy()
    kinds, codes = np.unique(inst["mentor_groups"]["kind"], return_inverse=True)
    n_a, n_k, n_x = needs.shape[1], len(kinds), n_s * n_m
    n_circ = len(inst.get("circles", [])) * n_m
    n = n_x + n_s * n_a + n_s * n_k + n_circ
    x = lambda i, j: i * n_m + j  # noqa: E731
    c = lambda i, a: n_x + i * n_a + a  # noqa: E731
    d = lambda i, t: n_x + n_s * n_a + i * n_k + t  # noqa: E731
    rows, lo, hi = [], [], []

    def add(coefs, low, high):
        row = np.zeros(n)
        for idx, v in coefs:
            row[idx] += v
        rows.append(row)
        lo.append(low)
        hi.append(high)

    for i in range(n_s):
        add([(x(i, j), 1) for j in range(n_m)], k_lo, k_hi)
        for a in range(n_a):
            add([(c(i, a), 1)] + [(x(i, j), -1) for j in range(n_m) if offers[j, a]], -np.inf, 0)
        for t in range(n_k):
            add([(d(i, t), 1)] + [(x(i, j), -1) for j in range(n_m) if codes[j] == t], -np.inf, 0)
    for j in range(n_m):
        add([(x(i, j), 1) for i in range(n_s)], 0, inst["capacity"][j])
    for a, b in inst.get("tandems", []):
        for i in range(n_s):
            add([(x(i, a), 1), (x(i, b), -1)], 0, 0)
    for a, b in inst.get("apart", []):
        for i in range(n_s):
            add([(x(i, a), 1), (x(i, b), 1)], -np.inf, 1)
    for q, circle in enumerate(inst.get("circles", [])):
        ys = [n_x + n_s * n_a + n_s * n_k + q * n_m + j for j in range(n_m)]
        add([(y, 1) for y in ys], 1, np.inf)
        for j, y in enumerate(ys):
            for i in circle:
                add([(y, 1), (x(i, j), -1)], -np.inf, 0)
    gain = np.zeros(n)
    gain[:n_x] = scores.ravel()
    gain[n_x:n_x + n_s * n_a] = inst["coverage_weight"] * needs.ravel()
    gain[n_x + n_s * n_a:n_x + n_s * n_a + n_s * n_k] = inst["diversity_weight"]
    upper = np.ones(n)
    upper[:n_x] = (~inst["forbidden"]).ravel()
    res = milp(-gain, integrality=np.ones(n), bounds=Bounds(np.zeros(n), upper),
               constraints=[LinearConstraint(np.array(rows), lo, hi)])
    return -res.fun if res.status == 0 else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team_instances())
def test_exact_team_matches_the_milp_and_the_fast_path_is_bounded(inst):
    best = milp_team(inst)
    try:
        exact = matcher.assign(**inst, objective="team", solver="team", time_limit=20)
    except InfeasibleError:
        assert best is None
        return
    assert best is not None, "the MILP finds no assignment, the team backend one"
    assert exact.status == "optimal"
    assert exact.objective == pytest.approx(best, abs=1e-6)
    problem = make_problem(**{k: v for k, v in inst.items()}, objective="team")
    assert team_values(problem, exact.matrix).sum() == pytest.approx(exact.objective)
    check_rules(exact, inst["k"], inst["capacity"], inst["forbidden"], problem.pinned)
    assert keeps_links(problem, exact.matrix)
    if problem.links is None:
        fast = matcher.assign(**inst, objective="team", solver="team-greedy")
        check_rules(fast, inst["k"], inst["capacity"], inst["forbidden"], problem.pinned)
        assert fast.objective <= best + 1e-9 <= fast.bound + 2e-9
        if fast.info["greedy_guarantee"]:
            assert fast.info["greedy_value"] >= best / 3 - 1e-9


def test_links_hold_on_the_total_objective_and_refuse_the_flow():
    scores = np.random.default_rng(2).random((5, 6))
    result = matcher.assign(scores, k=2, capacity=3, tandems=[(0, 1)], apart=[(2, 3)],
                            circles=[(0, 1, 2)])
    chosen = result.matrix
    assert result.solver == "cpsat" and (chosen[:, 0] == chosen[:, 1]).all()
    assert not (chosen[:, 2] & chosen[:, 3]).any() and chosen[[0, 1, 2]].all(axis=0).any()
    with pytest.raises(InputError, match="tandems, circles"):
        matcher.assign(scores, k=2, capacity=3, tandems=[(0, 1)], solver="flow")


def test_the_sample_cohort_as_teams():
    team = matcher.match_cohort("data/spring-2026", objective="team", time_limit=30)
    total = matcher.match_cohort("data/spring-2026")
    assert team.assignment.solver == "team" and team.assignment.status == "optimal"
    problem = team.problem
    assert problem.team is not None and "fundraising" in problem.team.areas
    as_team = team_values(problem, total.assignment.matrix).sum()
    assert team.assignment.objective >= as_team - 1e-9
    from matcher.insight.envy import needs_uncovered
    assert len(needs_uncovered(team.cohort, team.assignment)) <= len(
        needs_uncovered(total.cohort, total.assignment))


def test_team_rules_are_checked_where_they_enter():
    with pytest.raises(InputError) as err:
        Rules.from_mapping({"team": {"coverage": -1, "by": ["height"]}, "tandems": [["m-a"]],
                            "circles": [["s-a"]]}, source="programme.yaml")
    fields = [p.field for p in err.value.problems]
    assert fields == ["team.coverage", "team.by", "tandems", "circles"]
    rules = Rules.from_mapping({"objective": "team", "team": {"by": "kind"},
                                "tandems": [["m-a", "m-b"]]}, source="programme.yaml")
    assert rules.team == {"by": ("kind",)} and rules.tandems == (("m-a", "m-b"),)
    with pytest.raises(InputError, match="needs and offers"):
        matcher.assign(np.ones((2, 2)), k=1, objective="team")
    with pytest.raises(InputError, match="unknown mentor"):
        matcher.assign(np.ones((2, 2)), k=1, tandems=[("x", "y")])
