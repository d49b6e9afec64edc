"""The one translation of a cohort's rules into a :class:`~matcher.solve.problem.Problem`.

:func:`cohort_problem` is the only function that turns programme rules into solver inputs:
capacities after the yearly limit, forbidden pairs (the scores' conflicts and languages, the
rules' own pairs, past pairings under ``history_rule: forbid``), pins, quotas by mentor kind,
domain coverage, loads, the objective, and the rankings stated preferences give. Matching,
explanations, what-if re-solves, reports and the store all start from its result and read the
effective values back from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.models import Cohort
from matcher.data.preferences import preference_utilities
from matcher.data.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from matcher.scoring.features import need_weights
from matcher.solve.arguments import make_problem
from matcher.solve.problem import Problem

__all__ = ["cohort_problem", "effective_capacity", "team_arguments", "quota_specs", "coverage_mask",
           "history_mask", "yearly_remaining"]


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

    ``scores`` is the cohort's :class:`~matcher.scoring.affinity.Scores` (its forbidden pairs — conflicts
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
        max_probability=rules.max_probability if rules.objective == "randomised" else None,
        soft=dict(rules.soft) or None,
        **team_arguments(startups, mentors, rules),
    )
    if cohort.preferences is None or not problem.is_dense:
        return problem
    rankings = preference_utilities(cohort.preferences, problem.scores, problem.startup_ids,
                                    problem.mentor_ids)
    return replace(problem, rankings=rankings)


def team_arguments(startups: Sequence[Any], mentors: Sequence[Any], rules: Any) -> dict[str, Any]:
    """The keywords of :func:`~matcher.solve.arguments.make_problem` for the team objective and links.

    Needs are weighted most important first (:func:`~matcher.scoring.features.need_weights`);
    a mentor's labels are its kind and the top of its first domain.

    Examples
    --------
    >>> from matcher.data.models import Mentor, Rules, Startup
    >>> s = [Startup("s1", "S1", ("vision",), "", needs=("fundraising", "technology"))]
    >>> m = [Mentor("a", "A", "investor", ("fintech/credit",), "", 1, offers=("fundraising",))]
    >>> args = team_arguments(s, m, Rules(objective="team"))
    >>> args["needs"].round(3).to_dict("records"), args["mentor_groups"]
    ([{'fundraising': 0.667, 'technology': 0.333}], {'kind': ['investor'], 'domain': ['fintech']})
    """
    out: dict[str, Any] = {name: [list(x) for x in getattr(rules, name)] or None
                           for name in ("tandems", "apart", "circles")}
    if rules.objective != "team":
        return out
    areas = list(dict.fromkeys([a for s in startups for a in s.needs]
                               + [a for m in mentors for a in m.offers]))
    needs = pd.DataFrame(0.0, index=[s.id for s in startups], columns=areas)
    for s in startups:
        needs.loc[s.id, list(s.needs)] = need_weights(len(s.needs))
    offers = pd.DataFrame([[a in m.offers for a in areas] for m in mentors],
                          index=[m.id for m in mentors], columns=areas, dtype=bool)
    labels = {"kind": [m.kind for m in mentors],
              "domain": [(m.domains[0].split("/")[0] if m.domains else "") for m in mentors]}
    by = rules.team.get("by", tuple(labels))
    return {**out, "needs": needs, "offers": offers,
            "mentor_groups": {name: labels[name] for name in by},
            "coverage_weight": rules.team.get("coverage"),
            "diversity_weight": rules.team.get("diversity")}


def quota_specs(mentors: Sequence[Any], quotas: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """Quotas for :func:`matcher.assign`: each group as a bool mask over ``mentors``.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> pool = [M(id="a", kind="professor"), M(id="b", kind="investor"), M(id="c", kind="engineer")]
    >>> spec = quota_specs(pool, {"academic": {"kinds": ["professor", "scientist"], "min": 1},
    ...                           "investor": {"kinds": ["investor"], "max": 1}})
    >>> [(q["name"], q["mentors"].tolist(), q.get("min"), q.get("max")) for q in spec]
    [('academic', [True, False, False], 1, None), ('investor', [False, True, False], None, 1)]
    """
    kinds = np.array([m.kind for m in mentors], dtype=object)
    ids = np.array([m.id for m in mentors], dtype=object)
    out = []
    for name, spec in quotas.items():
        members = np.isin(kinds, list(spec.get("kinds", ()))) | np.isin(
            ids, list(spec.get("mentors", ()))
        )
        out.append(
            {
                "name": name,
                "mentors": members.astype(bool),
                **{key: spec[key] for key in ("min", "max") if key in spec},
            }
        )
    return out


def coverage_mask(
    startups: Sequence[Any], mentors: Sequence[Any], taxonomy: Taxonomy = DEFAULT_TAXONOMY
) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): mentor domains that cover a startup's primary.

    A mentor covers ``vision/medical-imaging`` with ``vision/medical-imaging`` or ``vision``.

    Examples
    --------
    >>> from types import SimpleNamespace as X
    >>> s = [X(domains=("vision/ar",)), X(domains=("fintech/fraud", "vision"))]
    >>> m = [X(domains=("vision",)), X(domains=("fintech/credit",))]
    >>> coverage_mask(s, m).tolist()
    [[True, False], [False, False]]
    """
    primaries = [s.domains[0] if s.domains else "" for s in startups]
    nodes = sorted({p for p in primaries if p})
    # which (startup primary node, mentor) pairs cover: one row per distinct primary domain
    row_of = {p: r for r, p in enumerate(nodes)}
    by_node = np.zeros((len(nodes), len(mentors)), dtype=bool)
    for j, mentor in enumerate(mentors):
        for node in nodes:
            by_node[row_of[node], j] = any(taxonomy.covers(d, node) for d in mentor.domains)
    out = np.zeros((len(startups), len(mentors)), dtype=bool)
    has = np.array([bool(p) for p in primaries])
    if has.any():
        out[has] = by_node[[row_of[p] for p in primaries if p]]
    return out


def history_mask(
    startup_ids: Sequence[str], mentor_ids: Sequence[str], history: Iterable[tuple[str, str, str]]
) -> np.ndarray:
    """Bool array of shape (n_startups, n_mentors): pairs made in any earlier cohort.

    Examples
    --------
    >>> past = [("spring-2026", "s2", "a"), ("x", "s9", "a")]
    >>> history_mask(["s1", "s2"], ["a", "b"], past).tolist()
    [[False, False], [True, False]]
    """
    row_of = {s: i for i, s in enumerate(startup_ids)}
    col_of = {m: j for j, m in enumerate(mentor_ids)}
    out = np.zeros((len(row_of), len(col_of)), dtype=bool)
    for _cohort, s, m in history:
        if s in row_of and m in col_of:
            out[row_of[s], col_of[m]] = True
    return out


def _year(cohort: str) -> str | None:
    found = re.findall(r"(?:19|20)\d\d", str(cohort))
    return found[-1] if found else None


def yearly_remaining(
    mentor_ids: Sequence[str],
    history: Iterable[tuple[str, str, str]],
    cohort: str,
    yearly_capacity: int,
) -> np.ndarray:
    """Places each mentor has left this year: ``yearly_capacity`` less its pairs in earlier cohorts
    of the same calendar year (the year is the last 4-digit year in the cohort's name).

    Examples
    --------
    >>> hist = [("spring-2026", "s1", "a"), ("spring-2026", "s2", "a"), ("autumn-2025", "s3", "b")]
    >>> yearly_remaining(["a", "b"], hist, "autumn-2026", 3).tolist()
    [1, 3]
    """
    year = _year(cohort)
    col_of = {m: j for j, m in enumerate(mentor_ids)}
    used = np.zeros(len(col_of), dtype=np.int64)
    for past, _s, m in history:
        if m in col_of and year is not None and _year(past) == year and past != cohort:
            used[col_of[m]] += 1
    return np.maximum(yearly_capacity - used, 0)
