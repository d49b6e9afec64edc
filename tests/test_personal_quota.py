"""The flow for one per-startup quota against scipy's MILP and the CP-SAT backend."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.errors import InfeasibleError
from matcher.solve.personal_quota import PersonalQuotaFlow
from tests.strategies import assignment_instances, check_rules, milp_optimum


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(), st.integers(0, 2**32 - 1), st.integers(0, 2), st.booleans())
def test_personal_quota_flow_agrees_with_milp(instance, seed, low, with_max):
    instance = {**instance, "pinned": np.zeros_like(instance["pinned"])}
    n_s, n_m = instance["scores"].shape
    group = np.random.default_rng(seed).random((n_s, n_m)) < 0.5
    quota = {"name": "diverse", "mentors": group, "min": low}
    if with_max:
        quota["max"] = low + 1
    expected = milp_optimum(**instance, quotas=[quota])
    if expected is None:
        with pytest.raises(InfeasibleError):
            matcher.assign(**instance, quotas=[quota], solver=PersonalQuotaFlow(), time_limit=10)
        return
    result = matcher.assign(**instance, quotas=[quota], solver=PersonalQuotaFlow(), time_limit=10)
    check_rules(result, **{k: v for k, v in instance.items() if k != "scores"})
    assert result.status == "optimal" and result.bound == result.objective
    assert result.objective == pytest.approx(expected, abs=1e-6 * max(1, abs(expected)))
    chosen = np.zeros((n_s, n_m), bool)
    chosen[result.rows, result.cols] = True
    in_group = (chosen & group).sum(axis=1)
    assert (in_group >= low).all()
    if with_max:
        assert (in_group <= low + 1).all()


def test_other_rules_are_refused_by_name():
    with pytest.raises(matcher.InputError, match="balance"):
        matcher.assign(np.ones((2, 2)), k=1, balance=0.5, solver=PersonalQuotaFlow(),
                       quotas=[{"name": "q", "mentors": np.eye(2, dtype=bool), "min": 1}])
