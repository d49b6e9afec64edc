"""What-if re-matching changes only what it must, checked against an independent MILP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.insight.audit import check_rules
from matcher.insight.whatif import rematch
from matcher.pipeline import cohort_problem
from tests.strategies import assignment_instances, milp_optimum


@pytest.fixture(scope="module")
def before():
    # without the programme's quotas, so that the MILP below (k, capacity, pins) is the whole problem
    return matcher.match_cohort("data/spring-2026", quotas={})


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
    assert len(change.kept) == 26 and len(change.removed) == 1 and len(change.added) == 1
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
    assert len(gone.kept) == most_kept(gone) and len(gone.after.assignment.pairs) == 27
    # withdrawing keeps every other score exactly
    assert (gone.kept.score_before == gone.kept.score_after).all()

    tan = next(m for m in before.cohort.mentors if m.id == "m-olivia-tan")
    twin = dataclasses.replace(tan, id="m-olivia-twin", name="Olivia Twin")
    added = rematch(gone.after, add_mentors=[twin], withdraw_startups=["s-citysense"])
    assert "s-citysense" not in set(added.after.assignment.pairs.startup_id)
    assert len(added.after.assignment.pairs) == 24  # 8 startups left × 3
    assert len(added.kept) == most_kept(added)


def lexicographic_milp(scores, keep, k, capacity, forbidden, pinned):
    """(most pairs kept, best total among those) by two HiGHS MILPs, independent of OR-Tools."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_s, n_m = scores.shape
    k_lo, k_hi = k if isinstance(k, tuple) else (k, k)
    rows = sp.kron(sp.eye(n_s), np.ones((1, n_m)))
    cols = sp.kron(np.ones((1, n_s)), sp.eye(n_m))
    base = [LinearConstraint(rows, k_lo, k_hi), LinearConstraint(cols, 0, np.asarray(capacity, float))]
    bounds = Bounds(pinned.ravel().astype(float), (~forbidden).ravel().astype(float))
    first = milp(-keep.ravel().astype(float), integrality=np.ones(n_s * n_m), bounds=bounds, constraints=base)
    if first.status != 0:
        return None
    most = round(-first.fun)
    keep_row = LinearConstraint(keep.ravel()[None, :].astype(float), most, np.inf)
    second = milp(-scores.ravel(), integrality=np.ones(n_s * n_m), bounds=bounds,
                  constraints=[*base, keep_row])
    return most, -second.fun


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignment_instances(feasible_only=True), st.integers(0, 2**31))
def test_fewest_changes_first_is_exact(instance, seed):
    from matcher.insight.whatif import resolve_keeping
    from matcher.solve import make_problem

    rng = np.random.default_rng(seed)
    rules = {k: v for k, v in instance.items() if k != "scores"}
    keep = rng.random(instance["scores"].shape) < 0.3  # a previous assignment, not necessarily feasible now
    problem = make_problem(instance["scores"], **rules)
    expected = lexicographic_milp(instance["scores"], keep, **rules)
    if expected is None:
        return
    found = resolve_keeping(problem, keep)
    most, best_total = expected
    assert found.info["kept"] == most
    # the total among the most-keeping assignments, up to the documented rounding of the scores
    peak = float(np.abs(instance["scores"]).max()) or 1.0
    assert found.objective == pytest.approx(best_total, abs=len(found.rows) * peak * 2.0**-20)
    assert found.bound >= found.objective - 1e-9


def test_rematch_command_writes_an_explainable_result(tmp_path, capsys):
    from matcher.app.cli import main
    from matcher.insight.explain import load_result

    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["match", "data/spring-2026", "--out", str(first)]) == 0
    assert main(["rematch", str(first), "--out", str(second), "--pin", "s-kindbot,m-li-jing"]) == 0
    # the academic quota makes KindBot give up its other professor, and TideQuant its Li Jing
    assert "25 pairs kept, 2 removed, 2 added" in capsys.readouterr().out
    again = load_result(second)  # the pin is recorded with the rules, so the result reloads as is
    assert ("s-kindbot", "m-li-jing") in again.rules.pinned
    assert main(["rematch", str(first), "--out", str(second), "--swap", "s-kindbot,m-li-jing"]) == 2
    expected = "option --swap: 's-kindbot,m-li-jing' is not STARTUP,MENTOR_OUT,MENTOR_IN"
    assert expected in capsys.readouterr().err


def test_a_pin_that_is_also_forbidden_is_refused(before):
    from matcher.errors import InfeasibleError

    with pytest.raises(InfeasibleError, match="pinned vs forbidden"):
        rematch(before, pin=[("s-kindbot", "m-zhang-wei")], forbid=[("s-kindbot", "m-zhang-wei")])
    # forbidding a pair pinned earlier lifts the pin
    pinned = rematch(before, pin=[("s-kindbot", "m-zhang-wei")]).after
    lifted = rematch(pinned, forbid=[("s-kindbot", "m-zhang-wei")])
    assert ("s-kindbot", "m-zhang-wei") not in lifted.after.rules.pinned
    assert list(lifted.removed.mentor_id) == ["m-zhang-wei"]
