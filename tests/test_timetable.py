"""Timetables of the week's meetings: nobody double-booked, every availability window kept,
König's bound reached without windows, and the fewest rounds against an independent MILP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from matcher.errors import InfeasibleError
from matcher.solve.timetable import edge_colouring, konig_bound, schedule_meetings
from tests.strategies import meeting_instances, min_rounds_milp


def assert_no_double_booking(rows, cols, slot):
    for side in (rows, cols):
        seen = set(zip(side.tolist(), slot.tolist()))
        assert len(seen) == len(slot), "someone is in two meetings in one slot"


def most_meetings(rows, cols) -> int:
    """The busiest person's meetings, counted directly (not by the module's konig_bound)."""
    counts: dict = {}
    for key in [("s", r) for r in rows.tolist()] + [("m", c) for c in cols.tolist()]:
        counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meeting_instances())
def test_without_windows_the_rounds_are_konigs_bound(instance):
    t = schedule_meetings(instance["rows"], instance["cols"], instance["shape"], instance["slot_day"])
    rows, cols = instance["rows"], instance["cols"]
    assert len(t.slot) == len(rows)
    assert ((t.slot >= 0) & (t.slot < len(instance["slot_day"]))).all()
    assert_no_double_booking(rows, cols, t.slot)
    assert t.rounds == len(np.unique(t.slot)) == most_meetings(rows, cols) == t.lower_bound
    assert t.method == "edge-colouring" and t.status == "optimal"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meeting_instances(max_startups=5, max_mentors=5, windows=True))
def test_every_window_is_kept_and_rounds_are_fewest(instance):
    rows, cols, available = instance["rows"], instance["cols"], instance["available"]
    t = schedule_meetings(rows, cols, instance["shape"], instance["slot_day"], available=available,
                          time_limit=20)
    assert_no_double_booking(rows, cols, t.slot)
    if available is not None:
        assert available[cols, t.slot].all(), "a meeting outside its mentor's window"
    assert t.rounds >= most_meetings(rows, cols)
    if available is not None and len(rows) <= 14:
        best = min_rounds_milp(rows, cols, instance["shape"], available)
        assert best is not None  # planted: a timetable exists
        if t.status == "optimal":
            assert t.rounds == best
        assert t.rounds >= best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meeting_instances())
def test_rooms_limit_the_meetings_of_a_round(instance):
    rows, cols = instance["rows"], instance["cols"]
    rooms = 2
    slots = np.arange(max(len(rows), 1)) // max(len(rows), 1)  # one day with a slot per meeting
    t = schedule_meetings(rows, cols, instance["shape"], slots, rooms=rooms, time_limit=20)
    assert_no_double_booking(rows, cols, t.slot)
    assert np.bincount(t.slot, minlength=1).max(initial=0) <= rooms
    assert t.lower_bound == max(most_meetings(rows, cols), -(-len(rows) // rooms))


def test_edge_colouring_of_a_complete_bipartite_graph_uses_its_degree():
    rows, cols = np.nonzero(np.ones((6, 4), bool))
    colour = edge_colouring(rows, cols, 6, 4)
    assert colour.max() + 1 == konig_bound(rows, cols) == 6
    assert_no_double_booking(rows, cols, colour)


def test_too_few_slots_is_refused_in_words():
    rows, cols = np.zeros(4, int), np.arange(4)
    with pytest.raises(InfeasibleError) as caught:
        schedule_meetings(rows, cols, (1, 4), np.zeros(3, int))
    found = caught.value.diagnoses[0]
    assert found.rule == "rounds" and "needs 4 rounds" in found.message


def test_a_mentor_with_fewer_free_slots_than_meetings_is_named():
    rows, cols = np.arange(3), np.zeros(3, int)
    available = np.array([[True, False, False, True]])
    with pytest.raises(InfeasibleError) as caught:
        schedule_meetings(rows, cols, (3, 1), np.zeros(4, int), available=available)
    assert caught.value.diagnoses[0].rule == "availability"


def test_the_same_input_gives_the_same_timetable():
    rng = np.random.default_rng(5)
    rows, cols = np.nonzero(rng.random((12, 15)) < 0.4)
    available = rng.random((15, 30)) < 0.8
    days = np.repeat(np.arange(3), 10)
    first = schedule_meetings(rows, cols, (12, 15), days, available=available, time_limit=20)
    again = schedule_meetings(rows, cols, (12, 15), days, available=available, time_limit=20)
    assert (first.slot == again.slot).all()
