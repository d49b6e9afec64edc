"""The final match, made from both sides' choices after the week's meetings.

Two honest options:

* ``objective="total"`` (default): each pair is worth ``(1 - w) * score + w * choice``, where
  ``choice`` (in [0, 1]) is the mean of what the two sides said — a ``yes`` is worth 1, a
  ``maybe`` 0.5, and a rank ``p`` of ``n`` ranked ``0.5 + 0.5 (n - p + 1) / n``, so a first
  choice is a yes and every ranked one is above a maybe — and ``w`` is
  ``preference_weight``; a ``no`` from either side forbids the pair, and so does a pair that never
  met. Solved by :func:`matcher.assign` with its bound and gap.
* ``solver="stable"``: many-to-many deferred acceptance on the choices (a side prefers what it
  ranked or said yes to; the pre-meeting score breaks ties), so no startup and mentor would both
  rather have each other than one of their partners.

Either way the result is audited for blocking pairs, each pair carries the reason it was made, and
a startup or mentor left without partners is told why in words.

>>> import matcher
>>> final = matcher.final_match("data/spring-2026", "data/spring-2026/choices.csv", solver="stable")
>>> final.assignment.solver, len(final.blocking_pairs)
('stable', 0)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.io import load_cohort, read_choices, read_meetings
from matcher.data.models import Assignment, Cohort
from matcher.data.values import real_number
from matcher.data.vocabulary import DEFAULT_TIME_LIMIT
from matcher.errors import InputError, InputProblem
from matcher.insight.audit import blocking_pairs
from matcher.pipeline import screened_and_scored
from matcher.scoring.affinity import Scores
from matcher.solve import assign
from matcher.solve.stable import StableSolver
from matcher.solve.translate import effective_capacity

__all__ = ["FinalMatch", "final_match", "choice_matrices"]

_WORTH = {"yes": 1.0, "maybe": 0.5, "no": 0.0, "": 0.0}


@dataclass(frozen=True, eq=False)
class FinalMatch:
    """The final match and everything needed to trust it.

    Attributes
    ----------
    assignment : Assignment
        Pairs with objective, bound, gap, status and solver.
    pairs : DataFrame
        One row per pair: ids, names, pre-meeting ``score``, what each side said
        (``startup_said``, ``mentor_said``) and ``reason``.
    startups, mentors : DataFrame
        Per side: partners, their number, and ``diagnosis`` (why fewer than wanted; '' if none).
    blocking_pairs : DataFrame
        Pairs not made that both sides would rather make (see :func:`matcher.insight.audit.blocking_pairs`);
        empty for ``solver="stable"``.
    diagnoses : tuple of str
        The diagnoses in words, one per startup or mentor left short.
    value : array of shape (n_startups, n_mentors)
        The worth of each pair the total objective maximised.
    allowed : bool array of shape (n_startups, n_mentors)
        Pairs that met, and where neither side said no (and the rules allow).
    startup_utility, mentor_utility : arrays of shape (n_startups, n_mentors)
        Each side's preferences as the stability audit reads them (higher is preferred).
    capacity : int array of shape (n_mentors,)
    k : int
        Most lead mentors per startup.

    Examples
    --------
    >>> import matcher
    >>> final = matcher.final_match("data/spring-2026", "data/spring-2026/choices.csv")
    >>> final.assignment.status, final.assignment.gap
    ('optimal', 0.0)
    >>> final.startups.columns.tolist()
    ['name', 'n_mentors', 'mentors', 'diagnosis']
    """

    cohort: Cohort
    scores: Scores
    assignment: Assignment
    pairs: pd.DataFrame
    startups: pd.DataFrame
    mentors: pd.DataFrame
    blocking_pairs: pd.DataFrame
    diagnoses: tuple[str, ...]
    value: np.ndarray
    allowed: np.ndarray
    startup_utility: np.ndarray
    mentor_utility: np.ndarray
    capacity: np.ndarray
    k: int
    choices: pd.DataFrame

    def summary(self) -> str:
        """One line: pairs, objective against the bound, blocking pairs."""
        a = self.assignment
        return (f"{len(self.pairs)} pairs by {a.solver} ({a.status}): objective {a.objective:.4f}, "
                f"bound {a.bound:.4f}, gap {a.gap:.2%}; {len(self.blocking_pairs)} blocking pair(s)")


def choice_matrices(choices: pd.DataFrame, startup_ids: Any, mentor_ids: Any
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each side's worth in [0, 1], its rank (0 = unranked) and its "no", by pair.

    Returns ``(startup_worth, mentor_worth, startup_rank, mentor_rank, startup_no, mentor_no)``,
    arrays of shape (n_startups, n_mentors). A ranked pair is worth ``0.5 + 0.5 (n - p + 1) / n``
    (the chooser's ``p``-th of ``n`` ranked, by the order of its ranks: a first choice counts as a
    yes, the last still above a maybe), an unranked one its choice.

    Examples
    --------
    >>> c = pd.DataFrame({"by": ["startup", "startup", "mentor"], "startup_id": ["a", "a", "a"],
    ...                   "mentor_id": ["x", "y", "x"], "rank": pd.array([2, 5, None], dtype="Int64"),
    ...                   "choice": ["", "", "yes"]})
    >>> s, m, *_ = choice_matrices(c, ["a"], ["x", "y"])
    >>> s.tolist(), m.tolist()
    ([[1.0, 0.75]], [[1.0, 0.0]])
    """
    shape = (len(startup_ids), len(mentor_ids))
    rows = pd.Index(startup_ids).get_indexer(choices["startup_id"])
    cols = pd.Index(mentor_ids).get_indexer(choices["mentor_id"])
    out = []
    for side, chooser in (("startup", rows), ("mentor", cols)):
        mine = (choices["by"] == side).to_numpy() & (rows >= 0) & (cols >= 0)
        worth, rank, no = np.zeros(shape), np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=bool)
        given = choices[mine]
        r, c = rows[mine], cols[mine]
        worth[r, c] = [_WORTH[x] for x in given["choice"]]
        no[r, c] = (given["choice"] == "no").to_numpy()
        ranked = given["rank"].notna().to_numpy()
        if ranked.any():
            frame = pd.DataFrame({"who": chooser[mine][ranked], "r": r[ranked], "c": c[ranked],
                                  "rank": given["rank"].to_numpy()[ranked].astype(int)})
            frame["p"] = frame.groupby("who")["rank"].rank(method="first").astype(int)
            frame["n"] = frame.groupby("who")["rank"].transform("size")
            worth[frame["r"], frame["c"]] = 0.5 + 0.5 * (frame["n"] - frame["p"] + 1) / frame["n"]
            rank[frame["r"], frame["c"]] = frame["p"]
        out.append((worth, rank, no))
    (sw, sr, sn), (mw, mr, mn) = out
    return sw, mw, sr, mr, sn, mn


def final_match(cohort: Cohort | str | os.PathLike, choices: Any, *, meetings: Any = None,
                objective: str = "total", solver: str | None = None, k: int | None = None,
                preference_weight: float = 0.6, scores: Scores | None = None, screen: bool | None = None,
                time_limit: float | None = None, seed: int | None = None) -> FinalMatch:
    """The final match from the choices both sides made after their meetings.

    Parameters
    ----------
    cohort : Cohort or path
    choices : path or DataFrame
        ``choices.csv`` (see :mod:`matcher.data.io.week`).
    meetings : MeetingPlan, path or DataFrame, optional
        The meetings held; by default ``meetings.csv`` beside the choices file.
    objective : {"total"}
        The best total of scores and choices (ignored with ``solver="stable"``).
    solver : {None, "stable", "stable-mentors", "flow", "cpsat", "auto"}
        ``"stable"`` (startups propose) or ``"stable-mentors"`` for a stable match; otherwise the
        backend of the total objective.
    k : int, optional
        Most lead mentors per startup (the programme's k by default).
    preference_weight : float in [0, 1]
        Weight of the choices against the pre-meeting score in the total objective.
    scores : Scores, optional
    screen : bool, optional
    time_limit : float, optional
    seed : int, optional

    Returns
    -------
    FinalMatch

    Raises
    ------
    InputError
        A bad row of the choices (file, row, field), among them a choice about a meeting that never
        happened; an unknown objective or solver.

    Examples
    --------
    >>> final = final_match("data/spring-2026", "data/spring-2026/choices.csv", solver="stable")
    >>> final.summary()  # doctest: +ELLIPSIS
    '27 pairs by stable (feasible): objective ..., gap ...; 0 blocking pair(s)'
    >>> final.diagnoses[-1]
    'm-tse-ho-yin said no to all 3 startups it met, so it leads none'
    """
    if not isinstance(cohort, Cohort):
        cohort = load_cohort(cohort)
    rules = cohort.rules
    if objective != "total":
        raise InputError([InputProblem("argument 'objective'", None, None, f"is {objective!r}",
                                       "the final match maximises 'total'; for stability use "
                                       "solver='stable'")])
    try:
        weight = real_number(preference_weight, low=0.0, high=1.0)
    except ValueError as exc:
        raise InputError([InputProblem("argument 'preference_weight'", None, None, str(exc),
                                       "give a weight between 0 and 1")]) from None
    cohort, _, scores = screened_and_scored(cohort, scores=scores, screen=screen)
    s_ids, m_ids = list(scores.startup_ids), list(scores.mentor_ids)
    held = _meetings(meetings, choices, s_ids, m_ids)
    met_pairs = set(zip(held["startup_id"], held["mentor_id"]))
    table = read_choices(choices, met_pairs, s_ids, m_ids)
    met = np.zeros(scores.shape, dtype=bool)
    rows = pd.Index(s_ids).get_indexer(held["startup_id"])
    cols = pd.Index(m_ids).get_indexer(held["mentor_id"])
    keep = (rows >= 0) & (cols >= 0)  # meetings of startups screened out since are left aside
    met[rows[keep], cols[keep]] = True
    sw, mw, sr, mr, sn, mn = choice_matrices(table, s_ids, m_ids)
    allowed = met & ~sn & ~mn & ~scores.forbidden
    value = (1.0 - weight) * scores.values + weight * 0.5 * (sw + mw)
    spread = float(np.ptp(scores.values)) + 1.0 if scores.values.size else 1.0
    su, mu = sw * spread + scores.values, mw * spread + scores.values
    k_max = int(k if k is not None else (rules.k if isinstance(rules.k, int) else rules.k[1]))
    capacity = effective_capacity(cohort)
    limit = time_limit if time_limit is not None else (rules.time_limit or DEFAULT_TIME_LIMIT)
    seed = rules.seed if seed is None else seed
    backend: Any = "auto" if solver is None else solver
    if solver in ("stable", "stable-mentors"):
        backend = StableSolver(proposing="startups" if solver == "stable" else "mentors",
                               startup_utility=su, mentor_utility=mu)
    frame = pd.DataFrame(value, index=pd.Index(s_ids, name="startup_id"),
                         columns=pd.Index(m_ids, name="mentor_id"))
    made = assign(frame, k=(0, k_max), capacity=capacity, forbidden=~allowed, solver=backend,
                  time_limit=limit, seed=seed)
    blocking = blocking_pairs(made, frame, k=(0, k_max), capacity=capacity, forbidden=~allowed,
                              startup_utility=su, mentor_utility=mu)
    said = (_said(sr, sw, sn, met), _said(mr, mw, mn, met))
    pairs = _pair_table(cohort, scores, made, said)
    startups, mentors, diagnoses = _diagnoses(cohort, made, met, sn, mn, allowed, capacity, k_max)
    return FinalMatch(cohort, scores, made, pairs, startups, mentors, blocking, tuple(diagnoses), value,
                      allowed, su, mu, capacity, k_max, table)


def _meetings(meetings: Any, choices: Any, s_ids: list, m_ids: list) -> pd.DataFrame:
    if meetings is None:
        if isinstance(choices, pd.DataFrame):
            raise InputError([InputProblem("argument 'meetings'", None, None, "is missing",
                                           "pass the MeetingPlan or meetings.csv the choices are about")])
        meetings = Path(choices).parent / "meetings.csv"
        if not meetings.exists():
            raise InputError([InputProblem(str(meetings), None, None, "is missing: the choices cannot be "
                                           "checked against the meetings held",
                                           "write it with 'matcher meetings', or pass --meetings")])
    if hasattr(meetings, "meetings"):  # a MeetingPlan
        return meetings.meetings[["startup_id", "mentor_id"]]
    return read_meetings(meetings, None, m_ids)


def _said(rank: np.ndarray, worth: np.ndarray, no: np.ndarray, met: np.ndarray) -> np.ndarray:
    """What one side said about each pair, in words."""
    out = np.full(rank.shape, "", dtype=object)
    out[met] = "no choice"
    out[worth >= 1.0] = "yes"
    out[(worth > 0) & (worth < 1.0)] = "maybe"
    out[no] = "no"
    ranked = rank > 0
    out[ranked] = [f"ranked {_ordinal(p)}" for p in rank[ranked]]
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _reason(startup_said: str, mentor_said: str) -> str:
    if startup_said == mentor_said == "ranked 1st":
        return "matched because both ranked each other first"
    if startup_said == mentor_said == "yes":
        return "matched because both said yes"
    def told(said: str, other: str) -> str:
        if said.startswith("ranked "):
            return f"ranked this {other} {said.split()[1]}"
        return {"no choice": "made no choice"}.get(said, f"said {said}")

    return (f"matched because the startup {told(startup_said, 'mentor')} "
            f"and the mentor {told(mentor_said, 'startup')}")


def _pair_table(cohort: Cohort, scores: Scores, made: Assignment, said: tuple) -> pd.DataFrame:
    rows = pd.Index(scores.startup_ids).get_indexer(made.pairs["startup_id"])
    cols = pd.Index(scores.mentor_ids).get_indexer(made.pairs["mentor_id"])
    s_said, m_said = said[0][rows, cols], said[1][rows, cols]
    return pd.DataFrame({
        "startup_id": scores.startup_ids[rows],
        "startup_name": [cohort.startups[i].name for i in rows],
        "mentor_id": scores.mentor_ids[cols],
        "mentor_name": [cohort.mentors[j].name for j in cols],
        "mentor_kind": [cohort.mentors[j].kind for j in cols],
        "score": scores.values[rows, cols],
        "startup_said": s_said, "mentor_said": m_said,
        "reason": [_reason(a, b) for a, b in zip(s_said, m_said)],
    })


def _all(n: int, what: str) -> str:
    return f"the one {what}" if n == 1 else f"all {n} {what}s"


def _diagnoses(cohort: Cohort, made: Assignment, met: np.ndarray, sn: np.ndarray, mn: np.ndarray,
               allowed: np.ndarray, capacity: np.ndarray, k: int
               ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    chosen = np.zeros(met.shape, dtype=bool)
    rows = pd.Index(cohort.startup_ids).get_indexer(made.pairs["startup_id"])
    cols = pd.Index(cohort.mentor_ids).get_indexer(made.pairs["mentor_id"])
    chosen[rows, cols] = True
    words: list[str] = []
    s_text = []
    for i, s in enumerate(cohort.startups):
        n_met, said_no, refused, both = met[i].sum(), sn[i].sum(), mn[i].sum(), allowed[i].sum()
        have = chosen[i].sum()
        text = ""
        if have < k:
            if n_met == 0:
                text = f"{s.id} met no mentor during the week, so none can lead it"
            elif said_no == n_met:
                text = f"{s.id} said no to {_all(n_met, 'mentor')} it met, so it has no lead mentor"
            elif refused == n_met:
                text = (f"{_all(n_met, 'mentor').capitalize()} {s.id} met said no to it, "
                        "so it has no lead mentor")
            elif both < k:
                text = (f"{s.id} has {have} of {k} lead mentors: of the {n_met} mentors it met it said no to "
                        f"{said_no} and {refused} said no to it, leaving {both} acceptable to both")
            else:
                text = (f"{s.id} has {have} of {k} lead mentors: the other mentors acceptable to both are "
                        "at capacity with startups the match valued more")
        s_text.append(text)
    m_text = []
    for j, m in enumerate(cohort.mentors):
        n_met, said_no, refused = met[:, j].sum(), mn[:, j].sum(), sn[:, j].sum()
        text = ""
        if chosen[:, j].sum() == 0 and n_met:
            if said_no == n_met:
                text = f"{m.id} said no to {_all(n_met, 'startup')} it met, so it leads none"
            elif refused == n_met:
                text = f"{_all(n_met, 'startup').capitalize()} {m.id} met said no to it, so it leads none"
            elif capacity[j] == 0:
                text = f"{m.id} has no capacity left this year"
        m_text.append(text)
    words = [t for t in s_text + m_text if t]
    load = chosen.sum(axis=0)
    startups = pd.DataFrame({
        "name": [s.name for s in cohort.startups], "n_mentors": chosen.sum(axis=1),
        "mentors": ["; ".join(cohort.mentor_ids[chosen[i]]) for i in range(len(cohort.startups))],
        "diagnosis": s_text}, index=pd.Index(cohort.startup_ids, name="startup_id"))
    mentors = pd.DataFrame({
        "name": [m.name for m in cohort.mentors], "capacity": capacity, "load": load,
        "startups": ["; ".join(cohort.startup_ids[chosen[:, j]]) for j in range(len(cohort.mentors))],
        "diagnosis": m_text}, index=pd.Index(cohort.mentor_ids, name="mentor_id"))
    return startups, mentors, words
