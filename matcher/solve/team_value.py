"""The value of a team under the team objective (see :class:`~matcher.solve.problem.Team`).

``f_i(T) = sum_{j in T} score[i, j] + coverage * sum_a needs[i, a] * [T offers a]
+ diversity * sum_families |distinct labels of T|``. Every function here is a pure function of a
problem and a mask of pairs; the backends, the bound and the explanations read the value here.
"""

from __future__ import annotations

import numpy as np

from matcher.solve.problem import Problem

__all__ = ["team_values", "team_total", "singleton_values", "team_value_of"]


def team_value_of(problem: Problem, i: int, mentors: np.ndarray) -> float:
    """``f_i`` of the mentors (positions) ``mentors`` for startup ``i``.

    >>> from matcher.solve.arguments import make_problem
    >>> import pandas as pd
    >>> p = make_problem(np.array([[0.5, 0.4, 0.3]]), k=2, capacity=1, objective="team",
    ...                  needs=pd.DataFrame({"tech": [1.0]}, index=[0]),
    ...                  offers=pd.DataFrame({"tech": [True, True, False]}, index=[0, 1, 2]),
    ...                  mentor_groups={"kind": ["a", "a", "b"]})
    >>> team_value_of(p, 0, np.array([0, 1])), team_value_of(p, 0, np.array([0, 2]))
    (1.5, 1.5)
    """
    team = problem.team
    mentors = np.asarray(mentors, dtype=np.int64)
    value = float(problem.scores[i, mentors].sum())
    if not len(mentors):
        return value
    covered = team.offers[mentors].any(axis=0)
    value += team.coverage * float(team.needs[i] @ covered)
    for row in team.labels:
        labels = row[mentors]
        value += team.diversity * len(set(labels[labels >= 0].tolist()))
    return value


def team_values(problem: Problem, chosen: np.ndarray) -> np.ndarray:
    """Array of shape (n_startups,): each startup's team value for the bool mask ``chosen``."""
    team = problem.team
    values = (problem.scores * chosen).sum(axis=1)
    covered = (chosen.astype(np.int64) @ team.offers.astype(np.int64)) > 0
    values += team.coverage * (team.needs * covered).sum(axis=1)
    for row in team.labels:
        n_labels = int(row.max(initial=-1)) + 1
        if n_labels == 0:
            continue
        onehot = np.zeros((len(row), n_labels), dtype=np.int64)
        has = row >= 0
        onehot[np.nonzero(has)[0], row[has]] = 1
        values += team.diversity * ((chosen.astype(np.int64) @ onehot) > 0).sum(axis=1)
    return values


def team_total(problem: Problem, rows: np.ndarray, cols: np.ndarray) -> float:
    """The team objective of the pairs ``(rows, cols)``: the sum of every startup's team value."""
    chosen = np.zeros(problem.shape, dtype=bool)
    chosen[rows, cols] = True
    return float(team_values(problem, chosen).sum())


def singleton_values(problem: Problem) -> np.ndarray:
    """Array of shape (n_startups, n_mentors): ``f_i({j})``, each mentor's value alone.

    A team is worth at most the sum of its mentors' values alone (the value is submodular and
    0 for no mentor), so the best assignment under these pair weights bounds the team objective.
    """
    team = problem.team
    alone = problem.scores + team.coverage * (team.needs @ team.offers.T.astype(np.float64))
    alone += team.diversity * (team.labels >= 0).sum(axis=0)[None, :]
    return alone
