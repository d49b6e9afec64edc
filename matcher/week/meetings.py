"""Who meets whom, and when: the speed meetings of a programme's matching week.

:func:`plan_meetings` chooses each startup's meeting list — its best-fitting mentors plus a
diversity share — as one assignment (:func:`matcher.assign` with ``k`` = meetings per startup,
each mentor's meeting capacity, and a per-startup quota of diverse mentors), then puts the meetings
into the fewest rounds the calendar and the mentors' availability allow
(:func:`matcher.solve.timetable.schedule_meetings`).

A mentor is *diverse* for a startup when the startup would not otherwise meet its kind (none of
the startup's best-fitting mentors is, say, an investor) or any of its domains, or when its score
is uncertain: its profile is among the cohort's shortest (few words, few domains and offers), so
the score has little evidence behind it and a meeting is how to find out.

>>> plan = plan_meetings("data/spring-2026", per_startup=6, days=2, availability=False)
>>> plan.rounds == plan.lower_bound, plan.meetings.groupby("startup_id").size().unique().tolist()
(True, [6])
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.io import load_cohort, read_availability
from matcher.data.models import Assignment, Cohort
from matcher.data.values import real_number, whole_number
from matcher.data.vocabulary import DEFAULT_TIME_LIMIT
from matcher.errors import InputError, InputProblem
from matcher.pipeline import screened_and_scored
from matcher.scoring.affinity import Scores
from matcher.solve import assign
from matcher.solve.personal_quota import PersonalQuotaFlow
from matcher.solve.timetable import Timetable, schedule_meetings
from matcher.week.calendar import Calendar, availability_matrix, make_calendar

__all__ = ["MeetingPlan", "plan_meetings", "diverse_mentors", "uncertain_mentors"]


@dataclass(frozen=True, eq=False)
class MeetingPlan:
    """The week's meetings: who meets whom, why, when and where, and how good the timetable is.

    Attributes
    ----------
    cohort : Cohort
        The startups that meet (after screening) and the mentors.
    scores : Scores
        The pre-meeting scores.
    assignment : Assignment
        The meeting lists as an assignment, with its objective, bound and gap.
    timetable : Timetable
        The slot of each meeting, the rounds used and the lower bound.
    calendar : Calendar
    meetings : DataFrame
        One row per meeting, in time order: ids, names, mentor kind, score, ``reason``, ``day``,
        ``date``, ``start``, ``end``, ``round`` and ``room``.
    slots : DataFrame
        Every slot of the calendar.
    available : bool array of shape (n_mentors, n_slots) or None
        The mentors' availability the timetable respected.

    Examples
    --------
    >>> plan = plan_meetings("data/spring-2026", per_startup=4, days=1, availability=False)
    >>> plan.summary()
    '36 meetings in 4 rounds (lower bound 4; edge-colouring, optimal) over 1 day(s)'
    >>> plan.agenda("s-facetrust")["mentor_id"].size
    4
    """

    cohort: Cohort
    scores: Scores
    assignment: Assignment
    timetable: Timetable
    calendar: Calendar
    meetings: pd.DataFrame
    slots: pd.DataFrame
    available: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    @property
    def rounds(self) -> int:
        """Rounds (slots) the timetable uses."""
        return self.timetable.rounds

    @property
    def lower_bound(self) -> int:
        """No timetable of these meetings uses fewer rounds."""
        return self.timetable.lower_bound

    def agenda(self, who: str) -> pd.DataFrame:
        """The meetings of one startup or mentor (by id), in time order."""
        return self.meetings[(self.meetings["startup_id"] == who) | (self.meetings["mentor_id"] == who)]

    def summary(self) -> str:
        """One line: meetings, rounds against the bound, days."""
        t = self.timetable
        proven = t.info.get("rounds_bound", 0)
        why = (f"; no timetable within the availability windows has fewer than {proven}"
               if proven > t.lower_bound else "")
        return (f"{len(self.meetings)} meetings in {self.rounds} rounds (lower bound {self.lower_bound}"
                f"{why}; {t.method}, {t.status}) over {len(self.calendar.days)} day(s)")


def uncertain_mentors(cohort: Cohort, share: float = 0.25) -> np.ndarray:
    """Mentors whose scores have the least evidence: the ``share`` of the cohort with the
    shortest profiles (words of expertise, plus ten per domain and per support area offered).

    Examples
    --------
    >>> int(uncertain_mentors(load_cohort("data/spring-2026")).sum())
    9
    """
    evidence = np.array([len(m.expertise.split()) + 10 * (len(m.domains) + len(m.offers))
                         for m in cohort.mentors], dtype=float)
    if not len(evidence):
        return np.zeros(0, dtype=bool)
    return evidence <= np.quantile(evidence, share)


def _roots(domains: tuple[str, ...]) -> set[str]:
    return {d.split("/")[0] for d in domains}


def diverse_mentors(cohort: Cohort, scores: Scores, n_best: int, uncertain: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each pair, whether the mentor is diverse for the startup, and a code saying why.

    Relative to the startup's ``n_best`` best-scored allowed mentors: code 1 a kind none of them
    is, 2 a domain none of them covers, 3 an uncertain score; 0 not diverse. Arrays of shape
    (n_startups, n_mentors).

    Examples
    --------
    >>> from matcher import score_cohort
    >>> cohort = load_cohort("data/spring-2026")
    >>> diverse, why = diverse_mentors(cohort, score_cohort(cohort), 5, uncertain_mentors(cohort))
    >>> diverse.shape, sorted(set(why.ravel().tolist()))
    ((11, 36), [0, 1, 2, 3])
    """
    allowed = ~scores.forbidden
    kinds = np.array([m.kind for m in cohort.mentors], dtype=object)
    roots = [_roots(m.domains) for m in cohort.mentors]
    why = np.zeros(scores.shape, dtype=np.int8)
    masked = np.where(allowed, scores.values, -np.inf)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :n_best]
    for i in range(scores.shape[0]):
        best = [j for j in order[i] if allowed[i, j]]
        seen_kinds = set(kinds[best])
        seen_roots = set().union(*(roots[j] for j in best)) if best else set()
        new_kind = np.array([k not in seen_kinds for k in kinds])
        new_domain = np.array([not (r & seen_roots) for r in roots])
        why[i] = np.select([new_kind, new_domain, uncertain], [1, 2, 3], 0)
    why[~allowed] = 0
    return why > 0, why


def plan_meetings(cohort: Cohort | str | os.PathLike, *, per_startup: int = 8, diversity: float = 0.25,
                  meeting_capacity: Any = None, days: Any = 5, day_start: str = "09:00",
                  day_end: str = "17:00", slot_minutes: int = 20, gap_minutes: int = 5,
                  breaks: Any = ("12:30-13:30",), rooms: Any = None, availability: Any = None,
                  scores: Scores | None = None, screen: bool | None = None,
                  time_limit: float | None = None, seed: int | None = None) -> MeetingPlan:
    """Choose every startup's meetings and put them into the fewest rounds.

    Parameters
    ----------
    cohort : Cohort or path
    per_startup : int
        Meetings each startup has (its meeting list), the diversity share included.
    diversity : float in [0, 1]
        Share of each list kept for diverse mentors (see the module); rounded to whole meetings,
        and lowered for a startup that has fewer diverse mentors to meet.
    meeting_capacity : int, array of shape (n_mentors,) or mapping of id to int, optional
        Most meetings each mentor takes; by default twice the average (meetings divided by
        mentors, rounded up), and never more than the slots a mentor is available for.
    days, day_start, day_end, slot_minutes, gap_minutes, breaks :
        The calendar (see :func:`matcher.week.calendar.make_calendar`); a number of days counts
        weekdays from the programme's ``start_date``.
    rooms : int or list of str, optional
        Rooms or video links; their number limits the meetings of a round.
    availability : path, DataFrame or False, optional
        Mentors' windows (``availability.csv``); by default the cohort folder's
        ``availability.csv`` when there is one; ``False`` ignores it.
    scores : Scores, optional
        Pre-meeting scores; the cohort's by default.
    screen : bool, optional
        As for :func:`matcher.match_cohort`.
    time_limit : float, optional
        Seconds for each solve (the programme's ``time_limit`` by default).
    seed : int, optional

    Returns
    -------
    MeetingPlan

    Raises
    ------
    InputError
        A bad argument or a bad row of ``availability.csv`` (file, row and field named).
    InfeasibleError
        Too few mentors or meeting places for the lists, or too few slots for the meetings.

    Examples
    --------
    >>> plan = plan_meetings("data/spring-2026", per_startup=6, days=3, rooms=["Room A", "Room B",
    ...                      "Room C", "Room D", "Room E", "Room F", "Room G", "Room H", "Room I"])
    >>> bool(plan.meetings.groupby("start")["room"].nunique().max() <= 9), plan.rounds >= plan.lower_bound
    (True, True)
    """
    if not isinstance(cohort, Cohort):
        cohort = load_cohort(cohort)
    rules = cohort.rules
    limit = time_limit if time_limit is not None else (rules.time_limit or DEFAULT_TIME_LIMIT)
    seed = rules.seed if seed is None else seed
    n = _count("per_startup", per_startup, 1)
    share = _share(diversity)
    cohort, _, scores = screened_and_scored(cohort, scores=scores, screen=screen)
    calendar = make_calendar(days, start_date=cohort.meta.get("start_date"), day_start=day_start,
                             day_end=day_end, slot_minutes=slot_minutes, gap_minutes=gap_minutes,
                             breaks=breaks)
    slots = calendar.slots()
    windows = _availability(cohort, availability)
    mentor_ids = [m.id for m in cohort.mentors]
    available = availability_matrix(windows, slots, mentor_ids)
    capacity = _capacity(meeting_capacity, cohort, n, available, len(slots))
    n_diverse = int(round(n * share))
    uncertain = uncertain_mentors(cohort)
    diverse, why = diverse_mentors(cohort, scores, n - n_diverse, uncertain)
    # a startup with fewer diverse mentors than the share meets all of them
    quota = np.minimum(n_diverse, diverse.sum(axis=1))
    quotas = [{"name": "diversity", "mentors": diverse, "min": quota}] if n_diverse else None
    # the diversity share is one quota over a per-startup group: still a network flow
    chosen = assign(scores, k=n, capacity=capacity, quotas=quotas, time_limit=limit, seed=seed,
                    solver=PersonalQuotaFlow() if quotas else "auto")
    room_names = _rooms(rooms)
    timetable = schedule_meetings(chosen.rows, chosen.cols, scores.shape, slots["day"].to_numpy(),
                                  available=available, rooms=len(room_names) if room_names else None,
                                  time_limit=limit, seed=seed)
    table = _meeting_table(cohort, scores, chosen, timetable, slots, why, n - n_diverse, room_names)
    return MeetingPlan(cohort, scores, chosen, timetable, calendar, table, slots, available,
                       info={"diverse_per_startup": quota, "meeting_capacity": capacity})


def _count(name: str, value: Any, low: int) -> int:
    try:
        return whole_number(value, low=low)
    except ValueError as exc:
        raise InputError([InputProblem(f"argument '{name}'", None, None, str(exc),
                                       f"give {low} or more")]) from None


def _share(value: Any) -> float:
    try:
        return real_number(value, low=0.0, high=1.0)
    except ValueError as exc:
        raise InputError([InputProblem("argument 'diversity'", None, None, str(exc),
                                       "give a share between 0 and 1, e.g. 0.25")]) from None


def _availability(cohort: Cohort, availability: Any) -> pd.DataFrame | None:
    mentor_ids = [m.id for m in cohort.mentors]
    if availability is False:
        return None
    if availability is None:
        folder = cohort.meta.get("folder")
        path = Path(folder) / "availability.csv" if folder else None
        if path is None or not path.exists():
            return None
        availability = path
    return read_availability(availability, mentor_ids)


def _capacity(value: Any, cohort: Cohort, n: int, available: np.ndarray | None, n_slots: int) -> np.ndarray:
    n_s, n_m = len(cohort.startups), len(cohort.mentors)
    if value is None:
        cap = np.full(n_m, 2 * -(-n_s * n // max(n_m, 1)), dtype=np.int64)
    elif isinstance(value, dict | pd.Series):
        given = dict(value)
        unknown = sorted(set(given) - {m.id for m in cohort.mentors})
        if unknown:
            raise InputError([InputProblem("argument 'meeting_capacity'", None, None,
                                           f"names unknown mentor(s) {unknown[:5]}",
                                           "use ids from mentors.csv")])
        default = 2 * -(-n_s * n // max(n_m, 1))
        cap = np.array([_count("meeting_capacity", given.get(m.id, default), 0) for m in cohort.mentors])
    else:
        arr = np.broadcast_to(np.asarray(value), (n_m,))
        cap = np.array([_count("meeting_capacity", v, 0) for v in arr.tolist()], dtype=np.int64)
    # a mentor cannot take more meetings than the slots it can attend
    slots = available.sum(axis=1) if available is not None else np.full(n_m, n_slots)
    return np.minimum(cap, slots).astype(np.int64)


def _rooms(rooms: Any) -> list[str]:
    if rooms is None:
        return []
    if isinstance(rooms, int | np.integer):
        return [f"Room {r + 1}" for r in range(_count("rooms", rooms, 1))]
    names = [str(r).strip() for r in (rooms.split(",") if isinstance(rooms, str) else rooms)]
    if not names or not all(names):
        raise InputError([InputProblem("argument 'rooms'", None, None, "holds an empty name",
                                       "give a number of rooms or their names")])
    return names


_WHY = {1: "diversity: {article} {kind}, a kind its best fits do not include",
        2: "diversity: works in {domain}, outside its best fits' domains",
        3: "uncertain score: a short profile ({words} words); the meeting will tell"}


def _meeting_table(cohort: Cohort, scores: Scores, chosen: Assignment, timetable: Timetable,
                   slots: pd.DataFrame, why: np.ndarray, n_best: int, room_names: list[str]) -> pd.DataFrame:
    rows, cols = chosen.rows, chosen.cols
    table = scores.pair_table(rows, cols)[["startup_id", "mentor_id", "score"]]
    startups, mentors = cohort.startups, cohort.mentors
    table.insert(1, "startup_name", [startups[i].name for i in rows])
    table.insert(3, "mentor_name", [mentors[j].name for j in cols])
    table.insert(4, "mentor_kind", [mentors[j].kind for j in cols])
    masked = np.where(~scores.forbidden, scores.values, -np.inf)
    rank = (masked[rows] > scores.values[rows, cols][:, None]).sum(axis=1) + 1
    table["rank"] = rank
    reasons = []
    for i, j, r in zip(rows.tolist(), cols.tolist(), rank.tolist()):
        code = int(why[i, j])
        if r <= n_best or code == 0:
            text = f"best fit: rank {r} of the mentors it may meet"
            if r > n_best:
                text = f"good fit: rank {r} (better fits were at their meeting capacity)"
        else:
            m = mentors[j]
            outside = sorted(_roots(m.domains))
            text = _WHY[code].format(article="an" if m.kind[:1] in "aeiou" else "a", kind=m.kind,
                                     domain=", ".join(outside), words=len(m.expertise.split()))
        reasons.append(text)
    table["reason"] = reasons
    slot = timetable.slot
    table["slot"] = slot
    table["day"] = slots["day"].to_numpy()[slot] + 1
    table["date"] = slots["date"].to_numpy()[slot]
    table["start"] = slots["start"].to_numpy()[slot]
    table["end"] = slots["end"].to_numpy()[slot]
    used = np.unique(slot)
    table["round"] = np.searchsorted(used, slot) + 1
    table = table.sort_values(["slot", "mentor_id"], kind="stable").reset_index(drop=True)
    if room_names:
        table["room"] = [room_names[n] for n in table.groupby("slot").cumcount()]
    else:
        table["room"] = ""
    return table.drop(columns="slot")
