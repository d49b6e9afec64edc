"""What-if copies of a cohort: each changes only what it names, and matching the copy is matching the
changed programme (checked against an independent MILP and against the equivalent rule)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from tests.strategies import milp_optimum


@pytest.fixture(scope="module")
def cohort():
    # the programme's quotas off, so that k, capacities, conflicts and pins are the whole problem
    return matcher.load_cohort("data/spring-2026").with_rules(quotas={})


@pytest.fixture(scope="module")
def scores(cohort):
    return matcher.score_cohort(cohort)


def capacities(cohort) -> dict[str, int]:
    return {m.id: m.capacity for m in cohort.mentors}


def test_with_capacity_changes_that_mentor_only_and_leaves_the_original(cohort):
    changed = cohort.with_capacity("m-li-jing", 0)
    before, after = capacities(cohort), capacities(changed)
    assert after.pop("m-li-jing") == 0
    assert before.pop("m-li-jing") == 2
    assert after == before
    assert changed.startups == cohort.startups and changed.rules == cohort.rules
    assert isinstance(changed, matcher.Cohort)


def test_a_mentor_with_no_capacity_is_left_unmatched(cohort):
    result = matcher.match_cohort(cohort.with_capacity("m-li-jing", 0), screen=False)
    assert "m-li-jing" not in set(result.assignment.pairs["mentor_id"])


def test_unknown_ids_are_refused_by_name_with_the_nearest(cohort):
    with pytest.raises(matcher.InputError, match=r"'m-li-jin' is not a mentor.*did you mean 'm-li-jing'"):
        cohort.with_capacity("m-li-jin", 2)
    with pytest.raises(matcher.InputError, match="2 problems") as caught:
        cohort.without_mentors("m-nobody", "m-li-jing", "m-li-jin")
    assert "m-nobody" in str(caught.value)
    with pytest.raises(matcher.InputError, match="'s-kindbott' is not a startup.*'s-kindbot'"):
        cohort.without_startups("s-kindbott")
    with pytest.raises(matcher.InputError, match="Cohort.with_capacities"):
        cohort.with_capacities({"m-zz": 1})


@pytest.mark.parametrize("value, message", [(-1, "is negative"), ("two", "not a whole number"),
                                            (1.5, "not a whole number"), (True, "not a whole number")])
def test_a_capacity_that_is_not_a_count_is_refused(cohort, value, message):
    with pytest.raises(matcher.InputError, match=f"field 'capacity': mentor 'm-li-jing': .*{message}"):
        cohort.with_capacity("m-li-jing", value)


def test_with_capacities_takes_a_mapping_or_a_function(cohort):
    by_map = cohort.with_capacities({"m-li-jing": 3, "m-sun-mei": 0})
    assert capacities(by_map)["m-li-jing"] == 3 and capacities(by_map)["m-sun-mei"] == 0
    capped = cohort.with_capacities(lambda m: min(m.capacity, 1))
    assert set(capacities(capped).values()) <= {0, 1}
    with pytest.raises(matcher.InputError, match="mentor 'm-li-jing'"):
        cohort.with_capacities(lambda m: -1 if m.id == "m-li-jing" else 1)


def test_with_rules_checks_like_rules_and_names_unknown_rules(cohort):
    assert cohort.with_rules(k=2).rules.k == 2 and cohort.rules.k == 3
    assert cohort.with_rules() is cohort
    with pytest.raises(matcher.InputError, match="capcity.*did you mean"):
        cohort.with_rules(capcity=2)
    with pytest.raises(matcher.InputError, match="Cohort.with_rules"):
        cohort.with_rules(k="three")


def test_with_rules_matches_like_the_keyword_override(cohort):
    by_method = matcher.match_cohort(cohort.with_rules(k=2, objective="fair", time_limit=20), screen=False)
    by_keyword = matcher.match_cohort(cohort, k=2, objective="fair", time_limit=20, screen=False)
    assert by_method.assignment.objective == pytest.approx(by_keyword.assignment.objective)
    assert by_method.assignment.pairs.equals(by_keyword.assignment.pairs)


def test_removing_profiles_drops_their_pins_and_conflicts(cohort):
    pinned = cohort.with_rules(pinned=[("s-kindbot", "m-li-jing"), ("s-facetrust", "m-sun-mei")],
                               forbidden=[("s-kindbot", "m-sun-mei")])
    without = pinned.without_mentors("m-li-jing")
    assert without.rules.pinned == (("s-facetrust", "m-sun-mei"),)
    assert without.rules.forbidden == (("s-kindbot", "m-sun-mei"),)
    assert "m-li-jing" not in set(without.mentor_ids)
    gone = pinned.without_startups("s-kindbot")
    assert gone.rules.pinned == (("s-facetrust", "m-sun-mei"),) and gone.rules.forbidden == ()
    assert len(gone.startups) == len(cohort.startups) - 1
    # what is left matches, and the withdrawn mentor is nowhere
    result = matcher.match_cohort(without, screen=False)
    assert "m-li-jing" not in set(result.assignment.pairs["mentor_id"])


@settings(max_examples=12)
@given(data=st.data())
def test_matching_an_edited_cohort_is_optimal_for_the_edited_programme(cohort, scores, data):
    """Random capacity changes and a withdrawn mentor: matcher's optimum equals HiGHS' MILP on the
    changed capacities, and withdrawing a mentor equals giving them no capacity."""
    ids = [m.id for m in cohort.mentors]
    new = data.draw(st.dictionaries(st.sampled_from(ids), st.integers(0, 3), max_size=6))
    gone = data.draw(st.sampled_from(ids))
    edited = cohort.with_capacities(new)
    caps = np.array([new.get(m.id, m.capacity) for m in cohort.mentors])
    forbidden = scores.forbidden.copy()
    expected = milp_optimum(scores.values, 3, caps, forbidden, np.zeros_like(forbidden))
    if expected is None:
        with pytest.raises(matcher.InfeasibleError):
            matcher.match_cohort(edited, scores=scores, screen=False)
        return
    found = matcher.match_cohort(edited, scores=scores, screen=False)
    assert found.assignment.objective == pytest.approx(expected, abs=1e-6)
    loads = found.assignment.mentor_loads()
    assert (loads.reindex(ids).to_numpy() <= caps).all()

    without = edited.without_mentors(gone)
    zero = edited.with_capacity(gone, 0)
    try:
        removed = matcher.match_cohort(without, scores=scores.subset(mentor_ids=list(without.mentor_ids)),
                                       screen=False).assignment.objective
    except matcher.InfeasibleError:
        removed = None
    try:
        zeroed = matcher.match_cohort(zero, scores=scores, screen=False).assignment.objective
    except matcher.InfeasibleError:
        zeroed = None
    assert (removed is None) == (zeroed is None)
    if removed is not None:
        assert removed == pytest.approx(zeroed, abs=1e-9)
