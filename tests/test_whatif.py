"""What-if re-matching changes only what it must, checked against an independent MILP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import matcher
from matcher.api import cohort_problem
from matcher.audit import check_rules
from matcher.whatif import rematch
from tests.strategies import milp_optimum


@pytest.fixture(scope="module")
def before():
    return matcher.match_cohort("data/spring-2026")


def most_kept(change) -> int:
    """The largest number of previous pairs any assignment under the new rules keeps (HiGHS MILP)."""
    problem = cohort_problem(change.after.cohort, change.after.scores)
    old = set(zip(change.before.assignment.pairs.startup_id, change.before.assignment.pairs.mentor_id))
    kept = np.array([[(s, m) in old for m in problem.mentor_ids] for s in problem.startup_ids], dtype=float)
    k = (int(problem.k_min[0]), int(problem.k_max[0]))
    return round(milp_optimum(kept, k, problem.capacity, problem.forbidden, problem.pinned))


def test_pin_that_forces_exactly_one_change(before):
    # m-zhang-wei has free capacity, so only s-kindbot must give up one mentor: its weakest
    change = rematch(before, pin=[("s-kindbot", "m-zhang-wei")])
    assert len(change.kept) == 32 and len(change.removed) == 1 and len(change.added) == 1
    assert change.removed[["startup_id", "mentor_id"]].values.tolist() == [["s-kindbot", "m-li-jing"]]
    assert change.objective_change == pytest.approx(
        before.scores.to_frame().loc["s-kindbot", "m-zhang-wei"] - before.scores.to_frame().loc[
            "s-kindbot", "m-li-jing"])
    problem = cohort_problem(change.after.cohort, change.after.scores)
    assert check_rules(change.after.assignment, problem) == []
    assert change.after.assignment.bound >= change.after.assignment.objective


def test_pin_to_a_full_mentor_changes_the_fewest_pairs(before):
    # m-kwok-hoi-lam (capacity 1) mentors s-facetrust: pinning it to s-kindbot forces a chain
    change = rematch(before, pin=[("s-kindbot", "m-kwok-hoi-lam")])
    assert len(change.kept) == most_kept(change) and len(change.removed) >= 2
    # weighing a kept pair at 0 score units is a fresh optimum under the new rules
    fresh = rematch(before, pin=[("s-kindbot", "m-kwok-hoi-lam")], keep_weight=0.0)
    assert fresh.after.assignment.objective == pytest.approx(fresh.after.assignment.bound)
    assert fresh.after.assignment.objective >= change.after.assignment.objective - 1e-12
    assert len(fresh.kept) <= len(change.kept)


def test_swap_withdraw_and_add(before):
    swapped = rematch(before, swap=[("s-herbgraph", "m-sophia-zhang", "m-li-jing")])
    assert ("s-herbgraph", "m-li-jing") in set(map(tuple, swapped.added[["startup_id", "mentor_id"]].values))
    assert "m-sophia-zhang" in set(swapped.removed.mentor_id)
    assert len(swapped.kept) == most_kept(swapped)

    gone = rematch(before, withdraw_mentors=["m-olivia-tan"])
    assert set(gone.removed.mentor_id) >= {"m-olivia-tan"}
    assert "m-olivia-tan" not in set(gone.after.assignment.pairs.mentor_id)
    assert len(gone.kept) == most_kept(gone) and len(gone.after.assignment.pairs) == 33
    # withdrawing keeps every other score exactly
    assert (gone.kept.score_before == gone.kept.score_after).all()

    tan = next(m for m in before.cohort.mentors if m.id == "m-olivia-tan")
    twin = dataclasses.replace(tan, id="m-olivia-twin", name="Olivia Twin")
    added = rematch(gone.after, add_mentors=[twin], withdraw_startups=["s-portpulse"])
    assert "s-portpulse" not in set(added.after.assignment.pairs.startup_id)
    assert len(added.after.assignment.pairs) == 30
    assert len(added.kept) == most_kept(added)
