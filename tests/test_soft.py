"""Soft rules with prices, against an independent MILP with one slack per rule and startup."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

import matcher
from matcher.data.rules import Rules
from matcher.errors import InfeasibleError, InputError
from matcher.solve.arguments import make_problem
from matcher.solve.soft import soft_violations
from tests.strategies import assignment_instances, check_rules


def milp_soft(scores, k, capacity, forbidden, pinned, quotas, soft) -> float | None:
    """max total - sum price * (short + over) by scipy's MILP; None when the hard rules fail."""
    n_s, n_m = scores.shape
    k_lo, k_hi = (k, k) if not isinstance(k, tuple) else k
    n_x = n_s * n_m
    rows = sp.kron(sp.eye(n_s), np.ones((1, n_m))).tocsr()
    cols = sp.kron(np.ones((1, n_s)), sp.eye(n_m)).tocsr()
    soft_quotas = [q for q in quotas if q["name"] in soft]
    n_slack = 2 * n_s * len(soft_quotas)
    pad = lambda m: sp.hstack([m, sp.csr_matrix((m.shape[0], n_slack))]).tocsr()  # noqa: E731
    cons = [LinearConstraint(pad(rows), k_lo, k_hi), LinearConstraint(pad(cols), 0, capacity)]
    cost = np.zeros(n_x + n_slack)
    cost[:n_x] = -scores.ravel()
    s = 0
    for q in quotas:
        member = np.zeros(n_m)
        member[q["mentors"]] = 1
        inside = sp.kron(sp.eye(n_s), member[None, :]).tocsr()
        lo, hi = q.get("min", 0), min(q.get("max", k_hi), k_hi)
        if q["name"] not in soft:
            cons.append(LinearConstraint(pad(inside), lo, hi))
            continue
        short = sp.lil_matrix((n_s, n_x + n_slack))
        over = sp.lil_matrix((n_s, n_x + n_slack))
        for i in range(n_s):
            short[i, n_x + s + i] = 1
            over[i, n_x + s + n_s + i] = -1
        cons.append(LinearConstraint(pad(inside) + short.tocsr(), lo, np.inf))
        cons.append(LinearConstraint(pad(inside) + over.tocsr(), -np.inf, hi))
        cost[n_x + s:n_x + s + 2 * n_s] = soft[q["name"]]
        s += 2 * n_s
    lower = np.concatenate([pinned.ravel(), np.zeros(n_slack)]).astype(float)
    upper = np.concatenate([(~forbidden).ravel(), np.full(n_slack, np.inf)]).astype(float)
    if (lower > upper).any():
        return None
    res = milp(cost, integrality=np.ones(n_x + n_slack), bounds=Bounds(lower, upper), constraints=cons)
    return -res.fun if res.status == 0 else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(max_startups=5, max_mentors=5, feasible_only=True), st.data())
def test_soft_quotas_match_the_milp(inst, data):
    n_s, n_m = inst["scores"].shape
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    quotas = [{"name": "academic", "mentors": rng.random(n_m) < 0.4, "min": int(rng.integers(1, 3))},
              {"name": "investor", "mentors": rng.random(n_m) < 0.4, "max": int(rng.integers(0, 2))}]
    names = data.draw(st.sampled_from([["academic"], ["investor"], ["academic", "investor"]]))
    soft = {name: data.draw(st.sampled_from([0.05, 0.3, 2.0])) for name in names}
    kwargs = {k: inst[k] for k in ("scores", "k", "capacity", "forbidden", "pinned")}
    best = milp_soft(inst["scores"], inst["k"], inst["capacity"], inst["forbidden"],
                     inst["pinned"], quotas, soft)
    try:
        result = matcher.assign(**kwargs, quotas=quotas, soft=soft, time_limit=20)
    except InfeasibleError:
        assert best is None
        return
    assert best is not None and result.status == "optimal"
    assert result.objective == pytest.approx(best, abs=1e-6)
    hard = [q for q in quotas if q["name"] not in soft]
    check_rules(result, inst["k"], inst["capacity"], inst["forbidden"], inst["pinned"],
                quotas=hard or None)
    problem = make_problem(inst["scores"], **{k: v for k, v in kwargs.items() if k != "scores"},
                           quotas=quotas, soft=soft)
    table = soft_violations(problem, result.rows, result.cols)
    assert result.info["soft_cost"] == pytest.approx(table["cost"].sum())
    assert result.objective == pytest.approx(result.scores.sum() - table["cost"].sum())


def test_a_soft_quota_that_cannot_hold_is_paid_for_and_a_hard_one_is_diagnosed():
    scores = np.array([[0.9, 0.8, 0.1], [0.7, 0.6, 0.2]])
    quotas = [{"name": "academic", "mentors": [2], "min": 1}]
    with pytest.raises(InfeasibleError):
        matcher.assign(scores, k=2, capacity=1, quotas=quotas)
    result = matcher.assign(scores, k=(1, 2), capacity=1, quotas=quotas, soft={"academic": 0.3})
    problem = make_problem(scores, k=(1, 2), capacity=1, quotas=quotas, soft={"academic": 0.3})
    table = soft_violations(problem, result.rows, result.cols)
    assert table[["rule", "violation", "cost"]].values.tolist() == [["academic", 1, 0.3]]
    assert result.objective == pytest.approx(0.9 + 0.8 + 0.2 - 0.3)
    # a price above what breaking gains keeps the rule
    high = matcher.assign(scores, k=(1, 2), capacity=1, quotas=quotas, soft={"academic": 5.0})
    assert high.info["soft_cost"] == pytest.approx(5.0)  # one startup cannot have mentor 2


def test_soft_names_are_checked_where_they_enter():
    with pytest.raises(InputError, match="soft.academc"):
        Rules.from_mapping({"quotas": {"academic": {"kinds": ["professor"], "min": 1}},
                            "soft": {"academc": 0.3}}, source="programme.yaml")
    with pytest.raises(InputError, match="soft"):
        matcher.assign(np.ones((2, 2)), k=1, soft={"nothing": 1.0})
    rules = Rules.from_mapping({"quotas": {"academic": {"kinds": ["professor"], "min": 1}},
                                "soft": {"academic": "0.3"}}, source="programme.yaml")
    assert rules.soft == {"academic": 0.3}
    result = matcher.match_cohort("data/spring-2026", soft={"academic": 0.01, "investor": 0.01})
    assert result.assignment.solver == "cpsat" and "rule prices" in result.assignment.objective_name
    assert isinstance(result.assignment.info["soft_cost"], float)
    assert isinstance(pd.DataFrame(), pd.DataFrame)


def test_min_load_and_coverage_take_prices_too():
    scores = np.array([[0.9, 0.1, 0.2], [0.8, 0.3, 0.1]])
    problem = make_problem(scores, k=1, capacity=2, min_load=1, soft={"min_load": 0.05})
    assert problem.min_load_penalty == 0.05
    # mentor 0 for both (1.7) leaves two mentors idle: 1.7 - 2 * 0.05 beats spreading them
    result = matcher.assign(scores, k=1, capacity=2, min_load=1, soft={"min_load": 0.05})
    assert result.objective == pytest.approx(1.7 - 0.1)
    covers = np.array([[False, False, True], [False, True, False]])
    cheap = matcher.assign(scores, k=1, capacity=2, covers=covers, soft={"coverage": 0.1})
    assert cheap.objective == pytest.approx(1.7 - 0.2) and cheap.info["soft_cost"] == pytest.approx(0.2)
    dear = matcher.assign(scores, k=1, capacity=2, covers=covers, soft={"coverage": 1.0})
    assert dear.objective == pytest.approx(0.2 + 0.3) and dear.info["soft_cost"] == 0.0
