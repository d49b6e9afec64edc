"""Each kind of infeasibility produces a diagnosis that names the rule and the shortfall."""

from __future__ import annotations

import numpy as np
import pytest

import matcher
from matcher.errors import InfeasibleError


def _diagnoses(**kwargs):
    with pytest.raises(InfeasibleError) as err:
        matcher.assign(**{"time_limit": 10, **kwargs})
    return err.value.diagnoses, str(err.value)


def test_group_capacity_names_the_group_and_both_fixes():
    capacity = np.array([3, 3, 2, 2, 2, 2] + [9] * 10)
    academics = np.arange(16) < 6
    found, text = _diagnoses(
        scores=np.ones((20, 16)),
        k=2,
        capacity=capacity,
        quotas=[{"name": "academic", "mentors": academics, "min": 1}],
    )
    assert found[0].rule == "academic quota" and found[0].shortfall == 6
    assert (
        "The 20 startups need 20 academic mentor places; the 6 academic mentors offer 14: 6 short."
        in text
    )
    assert (
        "raise academic capacity by 6" in text and "relax the academic quota for 6 startups" in text
    )


def test_startup_short_of_a_group_after_conflicts_and_history():
    forbidden = np.zeros((2, 4), dtype=bool)
    forbidden[0, 0] = True
    past = np.zeros((2, 4), dtype=bool)
    past[0, 1] = True
    found, text = _diagnoses(
        scores=np.ones((2, 4)),
        k=2,
        capacity=2,
        forbidden=forbidden,
        past=past,
        history="forbid",
        quotas=[{"name": "academic", "mentors": [0, 1], "min": 1}],
    )
    assert found[0].startups == (0,) and found[0].shortfall == 1
    assert (
        "Startup 0 needs at least 1 academic mentor(s) but only 0 of the 2 academic mentors may be "
        "paired with it (1 forbidden (conflicts, language or rules); 1 already paired with it in "
        "an "
        "earlier cohort)"
    ) in text


def test_coverage_impossible_for_a_startup():
    covers = np.array([[True, False], [False, False]])
    found, text = _diagnoses(scores=np.ones((2, 2)), k=1, capacity=2, covers=covers)
    assert found[0].rule == "coverage" and found[0].startups == (1,)
    assert "Startup 1 needs a mentor who covers its primary domain; no mentor covers it." in text


def test_quota_minimums_above_k():
    quotas = [
        {"name": "academic", "mentors": [0, 1], "min": 1},
        {"name": "industry", "mentors": [2, 3], "min": 1},
    ]
    found, text = _diagnoses(scores=np.ones((3, 4)), k=1, capacity=3, quotas=quotas)
    assert found[0].rule == "quotas vs k"
    assert (
        "needs at least 2 mentors by its quotas (academic + industry) but takes at most 1" in text
    )


def test_hard_minimum_load_beyond_demand():
    found, text = _diagnoses(
        scores=np.ones((2, 5)), k=1, capacity=2, min_load=1, min_load_soft=False
    )
    assert found[0].rule == "minimum load" and found[0].shortfall == 3
    assert "The mentors' minimum loads add up to 5 places but the 2 startups take at most 2" in text


def test_conflicting_overlapping_quotas_found_by_assumptions():
    # Both startups need the one mentor that is academic and investor at once; it takes one.
    quotas = [
        {"name": "academic", "mentors": [0, 1], "min": 1},
        {"name": "investor", "mentors": [1, 2], "min": 1},
    ]
    found, text = _diagnoses(scores=np.ones((2, 3)), k=1, capacity=[1, 1, 1], quotas=quotas)
    (diagnosis,) = found
    assert diagnosis.rule == "conflicting rules"
    assert "These rules cannot all hold together" in text
    assert "academic quota" in text and "investor quota" in text
    assert "startups need at least 2 places from its mentors" in text


def test_fair_objective_diagnoses_too():
    quotas = [
        {"name": "academic", "mentors": [0, 1], "min": 1},
        {"name": "investor", "mentors": [1, 2], "min": 1},
    ]
    found, _ = _diagnoses(
        scores=np.ones((2, 3)), k=1, capacity=[1, 1, 1], quotas=quotas, objective="fair"
    )
    assert found[0].rule == "conflicting rules"


def test_every_solve_has_a_time_limit_and_reports_what_it_has():
    """Overlapping quotas (not a flow): the repaired flow optimum is a start that keeps every
    rule, so the answer is never "nothing found", and it comes within the limit."""
    import time

    rng = np.random.default_rng(5)
    quotas = [
        {"name": "academic", "mentors": np.arange(40) % 2 == 0, "min": 1},
        {"name": "senior", "mentors": np.arange(40) % 3 == 0, "min": 1},
    ]
    start = time.perf_counter()
    result = matcher.assign(rng.random((150, 40)), k=3, capacity=15, quotas=quotas, time_limit=3)
    assert time.perf_counter() - start <= 3 * 1.1 + 1
    assert result.status in {"optimal", "time_limit"}
    assert np.isfinite(result.bound) and result.bound >= result.objective - 1e-6


def test_startup_short_of_mentors_after_history_says_so():
    past = np.array([[True, True, False], [False, False, False]])
    found, text = _diagnoses(scores=np.ones((2, 3)), k=2, capacity=2, past=past, history="forbid")
    assert found[0].rule == "mentors per startup" and found[0].shortfall == 1
    assert "Startup 0 needs 2 mentors but only 1 may be paired with it" in text
    assert "2 already paired with it in an earlier cohort" in text
