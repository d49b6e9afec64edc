"""The one translation of a cohort's rules into a :class:`~matcher.solve.problem.Problem`.

:func:`cohort_problem` is the only function that turns programme rules into solver inputs:
capacities after the yearly limit, forbidden pairs (the scores' conflicts and languages, the
rules' own pairs, past pairings under ``history_rule: forbid``), pins, quotas by mentor kind,
domain coverage, loads, the objective, and the rankings stated preferences give. Matching,
explanations, what-if re-solves, reports and the store all start from its result and read the
effective values back from it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from matcher.data.models import Cohort
from matcher.data.preferences import preference_utilities
from matcher.data.rules import coverage_mask, history_mask, quota_specs, yearly_remaining
from matcher.data.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from matcher.solve.arguments import make_problem
from matcher.solve.problem import Problem

__all__ = ["cohort_problem", "effective_capacity"]


def effective_capacity(cohort: Cohort, rules: Any = None) -> np.ndarray:
    """Startups each mentor may take in this cohort: its capacity, lowered by ``yearly_capacity``
    less its pairs in earlier cohorts of the same year.

    Examples
    --------
    >>> from matcher.data.models import Cohort, Mentor, Rules
    >>> m = (Mentor("a", "A", "professor", ("vision",), "", 2),)
    >>> c = Cohort((), m, Rules(yearly_capacity=3), name="autumn-2026",
    ...            history=(("spring-2026", "s1", "a"), ("spring-2026", "s2", "a")))
    >>> effective_capacity(c).tolist()
    [1]
    """
    rules = cohort.rules if rules is None else rules
    capacity = np.array([m.capacity for m in cohort.mentors], dtype=np.int64)
    if rules.yearly_capacity is None:
        return capacity
    left = yearly_remaining([m.id for m in cohort.mentors], tuple(cohort.history or ()),
                            cohort.name or "", rules.yearly_capacity)
    return np.minimum(capacity, left)


def cohort_problem(cohort: Cohort, scores: Any, *, rules: Any = None,
                   taxonomy: Taxonomy = DEFAULT_TAXONOMY) -> Problem:
    """The assignment problem of ``cohort`` under its rules (or ``rules``), over ``scores``.

    ``scores`` is the cohort's :class:`~matcher.scoring.Scores` (its forbidden pairs — conflicts
    of interest, no common language, "no" bids — come with it), with one row per startup of the
    cohort and one column per mentor, in the cohort's order.

    Examples
    --------
    >>> from matcher.data.models import Cohort, Mentor, Rules, Startup
    >>> s = (Startup("s1", "S1", ("vision/ar",), ""),)
    >>> m = (Mentor("a", "A", "professor", ("vision",), "", 2),
    ...      Mentor("b", "B", "investor", ("fintech",), "", 1))
    >>> rules = Rules(k=1, quotas={"academic": {"kinds": ["professor"], "min": 1}}, coverage=True)
    >>> p = cohort_problem(Cohort(s, m, rules), np.array([[0.2, 0.9]]))
    >>> p.capacity.tolist(), [q.name for q in p.quotas], p.quotas[1].members.tolist()
    ([2, 1], ['academic', 'coverage'], [[True, False]])
    """
    rules = cohort.rules if rules is None else rules
    startups, mentors = cohort.startups, cohort.mentors
    history = tuple(cohort.history or ())
    past = history_mask([s.id for s in startups], [m.id for m in mentors], history) if history else None
    problem = make_problem(
        scores,
        k=rules.k,
        capacity=effective_capacity(cohort, rules),
        forbidden=list(rules.forbidden) or None,
        pinned=list(rules.pinned) or None,
        quotas=quota_specs(mentors, rules.quotas) or None,
        covers=coverage_mask(startups, mentors, taxonomy) if rules.coverage else None,
        min_load=rules.min_load or None,
        min_load_soft=not rules.min_load_hard,
        balance=rules.balance_load,
        past=past,
        history=rules.history_rule,
        continuity_bonus=rules.continuity_bonus,
        objective=rules.objective,
        fairness=rules.fairness if rules.objective == "blend" else None,
    )
    if cohort.preferences is None or not problem.is_dense:
        return problem
    rankings = preference_utilities(cohort.preferences, problem.scores, problem.startup_ids,
                                    problem.mentor_ids)
    return replace(problem, rankings=rankings)
