"""The programme's matching week: speed meetings, both sides' choices, the final match.

:func:`~matcher.week.meetings.plan_meetings` chooses who meets whom (best fits plus a diversity
share) and schedules the meetings in the fewest rounds; :func:`~matcher.week.final.final_match`
turns the choices made after the week into the final match, with its bound, gap, blocking-pair audit
and a reason for every pair. The floor sits above ``insight``: the final match is audited for
blocking pairs as every result is.
"""

from __future__ import annotations

from matcher.week.calendar import Calendar, make_calendar
from matcher.week.final import FinalMatch, final_match
from matcher.week.meetings import MeetingPlan, plan_meetings
from matcher.week.simulate import simulate_choices

__all__ = ["plan_meetings", "MeetingPlan", "final_match", "FinalMatch", "Calendar", "make_calendar",
           "simulate_choices"]
