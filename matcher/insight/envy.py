"""Envy, the spread of startup totals by group, and the needs each mentor covers.

:func:`envy_table` says, per startup, whether it values another startup's team more than its own
and by how much, and whether it is envy-free up to one mentor (EF1: removing the best mentor of
any other team, in its own eyes, ends its envy). :func:`envy_summary` gives the shares.
:func:`group_totals` is the distribution of per-startup totals by a group (primary domain, stage,
founder language). :func:`needs_covered` lists, per pair, which of the startup's needs the mentor
offers; :func:`needs_uncovered` the needs no mentor of a startup offers.

A startup values a mentor by its score for the pair; a pair it may not have (forbidden) is worth
nothing to it. All functions are pure: they read an assignment and its problem or cohort.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.data.models import Assignment, Cohort
from matcher.scoring.features import need_weights
from matcher.solve.problem import Problem

__all__ = ["envy_table", "envy_summary", "group_totals", "needs_covered", "needs_uncovered",
           "team_values"]


def team_values(problem: Problem, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(value, best)``, arrays of shape (n_startups, n_startups): ``value[a, b]`` is what startup
    ``a`` thinks ``b``'s team is worth, ``best[a, b]`` the most ``a`` values one mentor of it.

    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.2], [0.8, 0.1]]), k=1, capacity=1)
    >>> value, best = team_values(p, np.eye(2, dtype=bool))
    >>> value.tolist()
    [[0.9, 0.2], [0.8, 0.1]]
    """
    worth = np.where(problem.forbidden, 0.0, problem.scores)
    value = worth @ chosen.T.astype(np.float64)
    best = np.zeros_like(value)
    for b in range(chosen.shape[0]):
        team = np.nonzero(chosen[b])[0]
        if len(team):
            best[:, b] = worth[:, team].max(axis=1)
    return value, best


def envy_table(assignment: Assignment, problem: Problem, *, tolerance: float = 1e-9) -> pd.DataFrame:
    """Per startup: its team's value, the team it envies most and by how much, and EF1.

    Returns
    -------
    DataFrame
        One row per startup: ``startup_id``, ``own`` (its total), ``envies`` (the startup whose
        team it values most, if more than its own; else empty), ``envy`` (by how much, 0 if
        none), ``envy_free``, ``ef1`` (envy-free up to one mentor) and ``ef1_envy`` (what is left
        of its largest envy once the best mentor of the envied team is removed, 0 if none).

    Examples
    --------
    >>> import matcher
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.5, 0.4], [0.8, 0.3, 0.1]]), k=(1, 2), capacity=1)
    >>> table = envy_table(matcher.assign(p.scores, k=(1, 2), capacity=1), p)
    >>> table[["startup_id", "own", "envies", "envy", "ef1"]]
       startup_id  own envies  envy   ef1
    0           0  0.9          0.0  True
    1           1  0.8          0.0  True
    """
    chosen = assignment.matrix
    value, best = team_values(problem, chosen)
    own = np.diag(value).copy()
    gap = value - own[:, None]
    np.fill_diagonal(gap, -np.inf)
    rest = value - best - own[:, None]
    np.fill_diagonal(rest, -np.inf)
    n = len(own)
    worst = gap.argmax(axis=1) if n > 1 else np.zeros(n, dtype=int)
    envy = np.maximum(gap.max(axis=1, initial=-np.inf), 0.0) if n > 1 else np.zeros(n)
    ef1_envy = np.maximum(rest.max(axis=1, initial=-np.inf), 0.0) if n > 1 else np.zeros(n)
    envy = np.where(envy > tolerance, envy, 0.0)
    ef1_envy = np.where(ef1_envy > tolerance, ef1_envy, 0.0)
    return pd.DataFrame({
        "startup_id": problem.startup_ids,
        "own": own,
        "envies": np.where(envy > 0, problem.startup_ids[worst], ""),
        "envy": envy,
        "envy_free": envy == 0,
        "ef1": ef1_envy == 0,
        "ef1_envy": ef1_envy,
    })


def envy_summary(assignment: Assignment, problem: Problem) -> dict[str, float]:
    """Share of startups envy-free and EF1, and the largest envy.

    >>> from matcher.solve.arguments import make_problem
    >>> import matcher
    >>> p = make_problem(np.eye(3), k=1, capacity=1)
    >>> envy_summary(matcher.assign(p.scores, k=1, capacity=1), p)
    {'envy_free_share': 1.0, 'ef1_share': 1.0, 'max_envy': 0.0, 'mean_envy': 0.0}
    """
    table = envy_table(assignment, problem)
    if not len(table):
        return {"envy_free_share": 1.0, "ef1_share": 1.0, "max_envy": 0.0, "mean_envy": 0.0}
    return {"envy_free_share": float(table["envy_free"].mean()), "ef1_share": float(table["ef1"].mean()),
            "max_envy": float(table["envy"].max()), "mean_envy": float(table["envy"].mean())}


def _groups(cohort: Cohort, by: str) -> dict[str, str]:
    if by == "domain":
        return {s.id: s.primary_domain.split("/")[0] for s in cohort.startups}
    if by == "language":
        return {s.id: (s.languages[0] if s.languages else "") for s in cohort.startups}
    return {s.id: str(s.attributes.get(by, "")) for s in cohort.startups}


def group_totals(assignment: Assignment, cohort: Cohort | None = None, *, by: Any = "domain"
                 ) -> pd.DataFrame:
    """The distribution of per-startup totals in each group.

    Parameters
    ----------
    assignment : Assignment
    cohort : Cohort, optional
        Where the groups come from when ``by`` names one.
    by : {"domain", "stage", "language"}, another column of startups.csv, or a Series
        ``domain`` is the top level of the primary domain, ``language`` the first language listed
        (the founders'); a Series maps startup ids to groups.

    Returns
    -------
    DataFrame
        Indexed by group: ``startups``, ``min``, ``q1``, ``median``, ``q3``, ``max``, ``mean``.

    Examples
    --------
    >>> a = Assignment(np.array([0, 1, 2]), np.array([0, 0, 1]), np.array(["s1", "s2", "s3"]),
    ...                np.array(["a", "b"]), np.array([0.5, 0.3, 0.9]), 1.7, 1.7, "optimal", "flow")
    >>> table = group_totals(a, by=pd.Series({"s1": "vision", "s2": "vision", "s3": "fintech"}))
    >>> table.reset_index()[["group", "startups", "min", "max"]]
         group  startups  min  max
    0  fintech         1  0.9  0.9
    1   vision         2  0.3  0.5
    """
    totals = assignment.startup_totals()
    groups = by if isinstance(by, pd.Series) else pd.Series(_groups(cohort, by))
    frame = pd.DataFrame({"total": totals, "group": groups.reindex(totals.index).fillna("")})
    stats = frame.groupby("group")["total"]
    out = pd.DataFrame({"startups": stats.size(), "min": stats.min(), "q1": stats.quantile(0.25),
                        "median": stats.median(), "q3": stats.quantile(0.75), "max": stats.max(),
                        "mean": stats.mean()})
    return out


def _need_weight_table(cohort: Cohort) -> dict[str, dict[str, float]]:
    return {s.id: dict(zip(s.needs, need_weights(len(s.needs)).tolist(), strict=True))
            for s in cohort.startups}


def needs_covered(cohort: Cohort, pairs: pd.DataFrame | Assignment) -> pd.DataFrame:
    """Which of each startup's needs each of its mentors covers (the mentor ``offers`` the area).

    Parameters
    ----------
    cohort : Cohort
        The startups (``needs``, most important first) and mentors (``offers``).
    pairs : DataFrame with ``startup_id`` and ``mentor_id``, or Assignment

    Returns
    -------
    DataFrame
        One row per (pair, need covered): ``startup_id``, ``mentor_id``, ``need``, ``weight`` (the
        need's weight, most important first, summing to 1 per startup), in the order of the pairs.

    Examples
    --------
    >>> from matcher.data.models import Cohort, Mentor, Startup
    >>> s = (Startup("s1", "S1", ("vision",), "", needs=("fundraising", "technology")),)
    >>> m = (Mentor("a", "A", "investor", ("fintech",), "", 1, offers=("fundraising",)),
    ...      Mentor("b", "B", "engineer", ("vision",), "", 1, offers=("technology", "fundraising")))
    >>> needs_covered(Cohort(s, m), pd.DataFrame({"startup_id": ["s1", "s1"], "mentor_id": ["a", "b"]}))
      startup_id mentor_id         need    weight
    0         s1         a  fundraising  0.666667
    1         s1         b  fundraising  0.666667
    2         s1         b   technology  0.333333
    """
    if isinstance(pairs, Assignment):
        pairs = pairs.pairs
    weights = _need_weight_table(cohort)
    offers = {m.id: m.offers for m in cohort.mentors}
    rows = []
    for s, m in zip(pairs["startup_id"], pairs["mentor_id"], strict=True):
        for need, weight in weights.get(s, {}).items():
            if need in offers.get(m, ()):
                rows.append((s, m, need, weight))
    return pd.DataFrame(rows, columns=["startup_id", "mentor_id", "need", "weight"])


def needs_uncovered(cohort: Cohort, pairs: pd.DataFrame | Assignment) -> pd.DataFrame:
    """Each startup's needs that none of its mentors offers: ``startup_id``, ``need``, ``weight``.

    >>> from matcher.data.models import Cohort, Mentor, Startup
    >>> s = (Startup("s1", "S1", ("vision",), "", needs=("fundraising", "technology")),)
    >>> m = (Mentor("a", "A", "investor", ("fintech",), "", 1, offers=("fundraising",)),)
    >>> needs_uncovered(Cohort(s, m), pd.DataFrame({"startup_id": ["s1"], "mentor_id": ["a"]}))
      startup_id        need    weight
    0         s1  technology  0.333333
    """
    covered = needs_covered(cohort, pairs)
    done = set(zip(covered["startup_id"], covered["need"], strict=True))
    rows = [(s, need, w) for s, table in _need_weight_table(cohort).items()
            for need, w in table.items() if (s, need) not in done]
    return pd.DataFrame(rows, columns=["startup_id", "need", "weight"])
