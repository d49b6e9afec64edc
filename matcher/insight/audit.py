"""Audit any assignment: do the rules hold, and is it stable?

:func:`blocking_pairs` lists the startup–mentor pairs that would both rather be together: the
startup prefers the mentor to one of its current mentors (or has a free place), and the mentor
prefers the startup to one of its current startups (or has free capacity). An assignment with none
is stable. :func:`check_rules` lists every rule an assignment breaks. Both work for an assignment
from any backend. Envy (:func:`envy_table`, :func:`envy_summary`), totals by group
(:func:`group_totals`) and the needs each mentor covers (:func:`needs_covered`) live in
:mod:`matcher.insight.envy` and are named here too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.data.models import Assignment
from matcher.insight.envy import envy_summary, envy_table, group_totals, needs_covered, needs_uncovered
from matcher.solve.arguments import make_problem
from matcher.solve.problem import Problem
from matcher.solve.soft import soft_violations

__all__ = ["blocking_pairs", "count_blocking_pairs", "check_rules", "envy_table", "envy_summary",
           "group_totals", "needs_covered", "needs_uncovered", "soft_violations"]


def _problem(scores: Any, k: Any, capacity: Any, forbidden: Any, pinned: Any) -> Problem:
    if isinstance(scores, Problem):
        return scores
    return make_problem(scores, k=k, capacity=capacity, forbidden=forbidden, pinned=pinned)


def _worst_partner(chosen: np.ndarray, utility: np.ndarray, fixed: np.ndarray, slots: np.ndarray,
                   axis: int) -> np.ndarray:
    """Per row (axis=1) or column (axis=0): the utility a newcomer must beat.

    ``-inf`` with a free place; otherwise the lowest utility among the partners that may be
    dropped (pinned partners may not), ``+inf`` when every partner is pinned.
    """
    droppable = chosen & ~fixed
    worst = np.where(droppable, utility, np.inf).min(axis=axis)
    load = chosen.sum(axis=axis)
    return np.where(load < slots, -np.inf, worst)


def blocking_pairs(assignment: Assignment, scores: Any, *, k: Any = 3, capacity: Any = 1,
                   forbidden: Any = None, pinned: Any = None, startup_utility: np.ndarray | None = None,
                   mentor_utility: np.ndarray | None = None) -> pd.DataFrame:
    """The blocking pairs of ``assignment``: pairs not made that both sides would rather make.

    Parameters
    ----------
    assignment : Assignment
        From any backend.
    scores : array, DataFrame, Scores or Problem
        The scores the assignment was made from (with the rules when a Problem is given; then
        ``k``, ``capacity``, ``forbidden`` and ``pinned`` are ignored).
    k, capacity, forbidden, pinned :
        The rules, as for :func:`matcher.assign`. Forbidden pairs never block; a startup with fewer
        than its largest ``k`` mentors, or a mentor below capacity, has a free place and accepts
        any allowed partner. Pinned pairs cannot be dropped.
    startup_utility, mentor_utility : arrays of shape (n_startups, n_mentors), optional
        Stated preferences (higher is preferred); the scores when not given.

    Returns
    -------
    DataFrame
        One row per blocking pair: ``startup_id``, ``mentor_id``, ``score``, ``startup_drops`` and
        ``mentor_drops`` (the partner each would give up, empty for a free place). Preferences are
        strict: a tie does not block.

    Examples
    --------
    >>> import numpy as np, matcher
    >>> scores = np.array([[0.9, 0.8], [0.85, 0.1]])
    >>> best_total = matcher.assign(scores, k=1, capacity=1)
    >>> blocking_pairs(best_total, scores, k=1, capacity=1)
       startup_id  mentor_id  score  startup_drops  mentor_drops
    0           0          0    0.9              1             1
    >>> len(blocking_pairs(matcher.assign(scores, k=1, capacity=1, solver="stable"), scores, k=1))
    0
    """
    problem = _problem(scores, k, capacity, forbidden, pinned)
    su = problem.scores if startup_utility is None else np.asarray(startup_utility, dtype=float)
    mu = problem.scores if mentor_utility is None else np.asarray(mentor_utility, dtype=float)
    chosen = np.zeros(problem.shape, dtype=bool)
    chosen[assignment.rows, assignment.cols] = True
    fixed = problem.pinned
    s_bar = _worst_partner(chosen, su, fixed, problem.k_max, axis=1)
    m_bar = _worst_partner(chosen, mu, fixed, problem.capacity, axis=0)
    blocking = ~chosen & problem.allowed & (su > s_bar[:, None]) & (mu > m_bar[None, :])
    rows, cols = np.nonzero(blocking)
    return pd.DataFrame({
        "startup_id": problem.startup_ids[rows],
        "mentor_id": problem.mentor_ids[cols],
        "score": problem.scores[rows, cols],
        "startup_drops": _drops(chosen & ~fixed, su, rows, s_bar, problem.mentor_ids, axis=1),
        "mentor_drops": _drops(chosen & ~fixed, mu, cols, m_bar, problem.startup_ids, axis=0),
    })


def _drops(droppable: np.ndarray, utility: np.ndarray, index: np.ndarray, bar: np.ndarray,
           other_ids: np.ndarray, axis: int) -> list:
    """The partner given up for each blocking pair: the least preferred droppable one, '' if free."""
    masked = np.where(droppable, utility, np.inf)
    worst = masked.argmin(axis=axis)
    return ["" if np.isneginf(bar[i]) else other_ids[worst[i]] for i in index]


def count_blocking_pairs(assignment: Assignment, scores: Any, **rules: Any) -> int:
    """The number of blocking pairs (see :func:`blocking_pairs`); 0 means stable."""
    return len(blocking_pairs(assignment, scores, **rules))


def check_rules(assignment: Assignment, problem: Problem) -> list[str]:
    """Every rule of ``problem`` the assignment breaks, in words; empty when all hold.

    Examples
    --------
    >>> import numpy as np, matcher
    >>> from matcher.solve import make_problem
    >>> p = make_problem(np.eye(2), k=1, capacity=1)
    >>> check_rules(matcher.assign(p.scores, k=1, capacity=1), p)
    []
    """
    chosen = np.zeros(problem.shape, dtype=bool)
    chosen[assignment.rows, assignment.cols] = True
    out = []
    if len(set(zip(assignment.rows.tolist(), assignment.cols.tolist()))) != len(assignment.rows):
        out.append("a mentor is assigned twice to the same startup")
    per_startup = chosen.sum(axis=1)
    for i in np.nonzero((per_startup < problem.k_min) | (per_startup > problem.k_max))[0]:
        out.append(f"startup {problem.startup_ids[i]} has {per_startup[i]} mentors, "
                   f"not {problem.k_min[i]}–{problem.k_max[i]}")
    load = chosen.sum(axis=0)
    for j in np.nonzero(load > problem.capacity)[0]:
        out.append(f"mentor {problem.mentor_ids[j]} takes {load[j]} startups, capacity {problem.capacity[j]}")
    for i, j in zip(*np.nonzero(chosen & problem.forbidden)):
        out.append(f"forbidden pair ({problem.startup_ids[i]}, {problem.mentor_ids[j]}) is made")
    for i, j in zip(*np.nonzero(problem.pinned & ~chosen)):
        out.append(f"pinned pair ({problem.startup_ids[i]}, {problem.mentor_ids[j]}) is not made")
    return out
