"""The parsers of the command line's option values, in process."""

from __future__ import annotations

import pandas as pd
import pytest

from matcher.app.cli._options import parse_k, read_capacity, rule_overrides
from matcher.errors import InputError


def test_k_is_a_number_or_a_range():
    assert parse_k("3") == 3 and parse_k("2-3") == (2, 3) and parse_k("2,3") == (2, 3)
    for text, message in [("x", "'x' is not a whole number"), ("2.5", "'2.5' is not a whole number"),
                          ("1-2-3", "neither a number nor a range")]:
        with pytest.raises(InputError, match=message) as caught:
            parse_k(text)
        assert caught.value.problems[0].source == "option --k"


def test_only_given_options_override_rules():
    assert rule_overrides(None, None, None) == {}
    assert rule_overrides("2-3", "cpsat", 5.0, "fair") == {"k": (2, 3), "solver": "cpsat", "time_limit": 5.0,
                                                          "objective": "fair"}


def test_capacity_is_a_number_or_a_file(tmp_path):
    assert read_capacity("4") == 4
    with pytest.raises(InputError, match="option --capacity: '-1' is negative"):
        read_capacity("-1")
    (tmp_path / "capacity.csv").write_text("mentor_id,capacity\nm1,2\nm2,0\n")
    capacity = read_capacity(str(tmp_path / "capacity.csv"))
    expected = pd.Series({"m1": 2, "m2": 0}, dtype="int64", name="capacity").rename_axis("mentor_id")
    pd.testing.assert_series_equal(capacity, expected)
    (tmp_path / "bad.csv").write_text("mentor,capacity\nm1,2\n")
    with pytest.raises(InputError, match="bad.csv, row 1, field 'mentor_id': required column is missing"):
        read_capacity(str(tmp_path / "bad.csv"))
