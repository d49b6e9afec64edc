"""Simulated choices for a week of meetings: sample data, notebooks and tests.

Each side judges a meeting by the pre-meeting score plus what the meeting revealed (noise, the
same for both sides, plus a little of each side's own). Startups rank their best few and say no to
the meetings that went worst; mentors say yes, maybe or no.

>>> from matcher.week import plan_meetings
>>> plan = plan_meetings("data/spring-2026", per_startup=6, days=2, availability=False)
>>> choices = simulate_choices(plan, seed=1)
>>> sorted(choices["by"].unique()), set(choices["choice"]) <= {"", "yes", "maybe", "no"}
(['mentor', 'startup'], True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_choices"]


def simulate_choices(plan, *, seed: int = 0, ranked: int = 3, noise: float = 0.15) -> pd.DataFrame:
    """A ``choices.csv`` table for the meetings of ``plan`` (a :class:`~matcher.week.meetings.MeetingPlan`).

    Parameters
    ----------
    plan : MeetingPlan
    seed : int
        The same plan and seed give the same choices.
    ranked : int
        How many mentors each startup ranks; it says no to its worst meeting, maybe to the rest.
    noise : float
        Spread of what a meeting reveals beyond the score.

    Returns
    -------
    DataFrame
        Columns ``by``, ``startup_id``, ``mentor_id``, ``rank``, ``choice``.
    """
    rng = np.random.default_rng(seed)
    meetings = plan.meetings[["startup_id", "mentor_id", "score"]].reset_index(drop=True)
    shared = rng.normal(0.0, noise, len(meetings))
    startup_view = meetings["score"].to_numpy() + shared + rng.normal(0.0, noise / 2, len(meetings))
    mentor_view = meetings["score"].to_numpy() + shared + rng.normal(0.0, noise / 2, len(meetings))
    rows = []
    for _, group in meetings.groupby("startup_id", sort=True):
        order = group.index[np.argsort(-startup_view[group.index], kind="stable")]
        for position, e in enumerate(order):
            pair = ("startup", meetings.at[e, "startup_id"], meetings.at[e, "mentor_id"])
            if position < ranked:
                rows.append((*pair, position + 1, ""))
            else:
                rows.append((*pair, None, "no" if position == len(order) - 1 else "maybe"))
    cut_yes, cut_no = np.quantile(mentor_view, [0.6, 0.2]) if len(meetings) else (0.0, 0.0)
    for e in np.lexsort((meetings["startup_id"], meetings["mentor_id"])):
        view = mentor_view[e]
        choice = "yes" if view >= cut_yes else ("no" if view < cut_no else "maybe")
        rows.append(("mentor", meetings.at[e, "startup_id"], meetings.at[e, "mentor_id"], None, choice))
    table = pd.DataFrame(rows, columns=["by", "startup_id", "mentor_id", "rank", "choice"])
    table["rank"] = table["rank"].astype("Int64")
    return table
