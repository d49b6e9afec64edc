"""Stated preferences: reading and checking the file, the hard "no", the preference component."""

from __future__ import annotations

import numpy as np
import pytest

import matcher
from matcher.data.preferences import preference_component, preference_utilities
from matcher.errors import InputError
from matcher.scoring.affinity import COMPONENTS
from tests.test_io import edit_csv

PREFS = "data/spring-2026/preferences.csv"


@pytest.fixture(scope="module")
def stated():
    return matcher.load_cohort("data/spring-2026", preferences=PREFS)


def test_sample_preferences_load_and_score(stated):
    plain = matcher.load_cohort("data/spring-2026")
    before, after = matcher.score_cohort(plain), matcher.score_cohort(stated)
    # without preferences the component is 0 and weighs 0: the scores are exactly those of before
    assert not before.components["preference"].any() and before.weights["preference"] == 0.0
    assert after.weights["preference"] == 0.2
    # components still add up to the score, exactly as summed
    total = sum(after.weights[c] * after.components[c] for c in COMPONENTS)
    assert np.array_equal(total, after.values)
    # the other components are untouched by preferences
    for name in ("text", "domain", "needs", "language"):
        assert np.array_equal(before.components[name], after.components[name])
    # a "no" is a hard rule, and the matching respects it
    i, j = list(after.startup_ids).index("s-herbgraph"), list(after.mentor_ids).index("m-sophia-zhang")
    assert after.reasons["bid"][i, j] and after.forbidden[i, j]
    pairs = matcher.match_cohort(stated).assignment.pairs
    assert not ((pairs.startup_id == "s-herbgraph") & (pairs.mentor_id == "m-sophia-zhang")).any()


def test_one_enthusiastic_mentor_is_scaled_to_its_capacity():
    from matcher.data.models import Preferences

    ids_s = [f"s{i}" for i in range(6)]
    # mentor a says yes to everyone with capacity 2; mentor b says yes to two startups, capacity 2
    prefs = Preferences(tuple(ids_s + ["s0", "s1"]), tuple(["a"] * 6 + ["b", "b"]), (None,) * 8,
                        ("yes",) * 8)
    comp = preference_component(prefs, ids_s, ["a", "b"], [2, 2])
    assert comp[:, 0] == pytest.approx(np.full(6, 0.5 * 2 / 6))
    assert comp[:2, 1] == pytest.approx([0.5, 0.5])
    su, mu = preference_utilities(prefs, np.zeros((6, 2)), ids_s, ["a", "b"])
    assert mu[:2, 1].min() > mu[2:, 1].max() and (su == 0).all()


@pytest.mark.parametrize("row, field, value, expected", [
    (3, "startup_rank", "first", "row 3, field 'startup_rank': 'first' is not a whole number"),
    (3, "startup_rank", "1", "row 3, field 'startup_rank': s-facetrust gives rank 1 twice"),
    (4, "mentor_bid", "yess", "row 4, field 'mentor_bid': unknown bid 'yess' (did you mean 'yes'?"),
    (5, "mentor_id", "m-nobody", "row 5, field 'mentor_id': names unknown id 'm-nobody'"),
])
def test_bad_preferences_name_file_row_and_field(cohort_copy, row, field, value, expected):
    path = cohort_copy / "preferences.csv"
    edit_csv(path, row, field, value)
    with pytest.raises(InputError) as err:
        matcher.load_cohort(cohort_copy, preferences=path)
    assert any(str(p).startswith("preferences.csv, " + expected) for p in err.value.problems), str(err.value)


def test_preferences_named_in_programme_yaml_are_read(cohort_copy):
    with open(cohort_copy / "programme.yaml", "a", encoding="utf-8") as stream:
        stream.write("preferences: preferences.csv\n")
    cohort = matcher.load_cohort(cohort_copy)
    assert cohort.preferences is not None and len(cohort.preferences) == 33
