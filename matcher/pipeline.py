"""The one-call API: from a cohort to an explained, proven assignment.

>>> import matcher
>>> result = matcher.match_cohort("data/spring-2026")
>>> result.assignment.status
'optimal'
>>> result.assignments.columns[:5].tolist()
['startup_id', 'startup_name', 'mentor_id', 'mentor_name', 'mentor_kind']
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pandas as pd

from matcher.data import eligibility
from matcher.data.io import load_cohort
from matcher.data.models import Cohort, MatchResult, Rules
from matcher.errors import Diagnosis, InfeasibleError, InputError, InputProblem
from matcher.scoring.affinity import Scores, score_cohort
from matcher.solve import Problem, make_problem, solve_problem

__all__ = ["match_cohort", "with_rules", "screen_cohort", "scores_for", "screened_and_scored",
           "cohort_problem", "cohort_solver", "make_result"]


def with_rules(cohort: Cohort, **overrides: Any) -> Cohort:
    """The cohort with some of its rules replaced; unknown rule names are refused by name."""
    if not overrides:
        return cohort
    known = {f.name for f in fields(Rules)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InputError([InputProblem("match_cohort", None, name, "is not a rule",
                                       f"known rules: {', '.join(sorted(known))}") for name in unknown])
    try:
        rules = cohort.rules.replace(**overrides)
    except (TypeError, ValueError) as exc:
        raise InputError([InputProblem("match_cohort", None, None, str(exc))]) from None
    return replace(cohort, rules=rules)


def match_cohort(cohort: Cohort | str | os.PathLike, *, scores: Scores | None = None,
                 screen: bool | None = None, override_eligibility: Iterable[str] = (),
                 **rule_overrides: Any) -> MatchResult:
    """Score every pair of a cohort and assign mentors under the programme's rules.

    Parameters
    ----------
    cohort : Cohort or path
        A loaded cohort, or a folder / file for :func:`matcher.load_cohort`.
    scores : Scores, optional
        Precomputed scores (e.g. from a tuned :class:`~matcher.scoring.affinity.AffinityModel`); rows of
        startups left out by screening are dropped.
    screen : bool, optional
        Screen the startups against the programme's eligibility rules first and match only those
        that pass (see :func:`matcher.screen`). By default the cohort is screened when it has
        eligibility data (an ``eligibility`` mapping in ``programme.yaml`` or evidence columns in
        ``startups.csv``); ``False`` matches every startup.
    override_eligibility : iterable of str
        Startup ids to match whatever their eligibility verdict (added to the programme's).
    **rule_overrides
        Fields of :class:`~matcher.data.models.Rules` replacing the programme's, e.g. ``k=2`` or
        ``solver="cpsat"``.

    Returns
    -------
    MatchResult
        ``assignments`` (one row per pair, with the weighted score components), per-startup and
        per-mentor summaries, the :class:`~matcher.data.models.Assignment` with its proof, and
        ``to_csv`` / ``to_json``, and ``screening`` (who was left out and why).
    """
    if not isinstance(cohort, Cohort):
        cohort = load_cohort(cohort)
    start = time.perf_counter()
    cohort, screening, scores = screened_and_scored(with_rules(cohort, **rule_overrides), scores=scores,
                                                    screen=screen, override=override_eligibility)
    rules = cohort.rules
    scored = time.perf_counter()
    assignment = solve_problem(cohort_problem(cohort, scores), solver=cohort_solver(cohort, scores),
                               time_limit=rules.time_limit, seed=rules.seed)
    assignment = _timed(assignment, score=scored - start)
    return make_result(cohort, scores, assignment, screening=screening)


def screened_and_scored(filed: Cohort, *, scores: Scores | None = None, screen: bool | None = None,
                        override: Iterable[str] = ()) -> tuple[Cohort, Any, Scores]:
    """The cohort to match, its screening (None when skipped) and its scores.

    Scored as filed, then narrowed to the startups that go on: a pair's score does not move with
    who was screened out, so a result reloaded later (:func:`matcher.insight.explain.load_result`) gets
    the same scores.
    """
    cohort, screening = screen_cohort(filed, screen=screen, override=override)
    if scores is None:
        scores = score_cohort(filed)
    if screening is not None:
        scores = scores_for(scores, [s.id for s in cohort.startups])
    return cohort, screening, scores


def cohort_problem(cohort: Cohort, scores: Scores) -> Problem:
    """The assignment problem of a cohort under its rules: the one place rules become a Problem.

    :func:`match_cohort`, the what-if re-solves and the runner-up re-solves of
    :mod:`matcher.insight.explain` all start here, so they solve exactly the same rules.
    """
    from matcher.data.rules import solver_arguments

    args = solver_arguments(cohort)
    for name in ("solver", "time_limit", "seed"):  # how to solve, not what
        args.pop(name, None)
    return make_problem(scores, **args)


def cohort_solver(cohort: Cohort, scores: Scores, name=None):
    """The backend for a cohort: ``name`` (the rules' solver by default), except that a stable
    backend for a cohort with stated preferences ranks by them (stated preference first, score
    second) rather than by score alone."""
    name = cohort.rules.solver if name is None else name
    if name not in ("stable", "stable-mentors") or cohort.preferences is None:
        return name
    from matcher.data.preferences import preference_utilities
    from matcher.solve.stable import StableSolver

    su, mu = preference_utilities(cohort.preferences, scores.values, scores.startup_ids, scores.mentor_ids)
    return StableSolver(proposing="startups" if name == "stable" else "mentors",
                        startup_utility=su, mentor_utility=mu, name=name)


def make_result(cohort: Cohort, scores: Scores, assignment, **extra: Any) -> MatchResult:
    """A :class:`MatchResult` with its readable tables, for an assignment of ``cohort``.

    ``extra`` holds further MatchResult fields (e.g. what screening left out).
    """
    return MatchResult(
        cohort=cohort, scores=scores, assignment=assignment,
        assignments=assignment_table(cohort, scores, assignment),
        startups=startup_summary(cohort, assignment),
        mentors=mentor_summary(cohort, assignment),
        rules=cohort.rules, **extra,
    )


def _timed(assignment, **extra: float):
    return replace(assignment, timings={**extra, **assignment.timings})


def assignment_table(cohort: Cohort, scores: Scores, assignment) -> pd.DataFrame:
    """One row per pair: who, the score, its weighted components, and the mentor's rank for the startup."""
    rows, cols = assignment.rows, assignment.cols
    table = scores.pair_table(rows, cols)
    startups = {s.id: s for s in cohort.startups}
    mentors = {m.id: m for m in cohort.mentors}
    table.insert(1, "startup_name", [startups[s].name for s in table["startup_id"]])
    table.insert(3, "mentor_name", [mentors[m].name for m in table["mentor_id"]])
    table.insert(4, "mentor_kind", [mentors[m].kind for m in table["mentor_id"]])
    # rank 1 = the startup's best-scoring allowed mentor
    masked = np.where(scores.forbidden, -np.inf, scores.values)
    better = (masked[rows] > scores.values[rows, cols][:, None]).sum(axis=1)
    table["rank"] = better + 1
    return table


def startup_summary(cohort: Cohort, assignment) -> pd.DataFrame:
    """Per startup: its mentors, the number of them, and the total, mean and weakest score."""
    pairs = assignment.pairs
    names = {m.id: m.name for m in cohort.mentors}
    grouped = pairs.groupby("startup_id", sort=False)["score"]
    out = pd.DataFrame({
        "name": [s.name for s in cohort.startups],
        "primary_domain": [s.primary_domain for s in cohort.startups],
    }, index=pd.Index([s.id for s in cohort.startups], name="startup_id"))
    out["mentors"] = pairs.groupby("startup_id")["mentor_id"].agg(
        lambda ids: "; ".join(names[i] for i in ids)).reindex(out.index).fillna("")
    out["n_mentors"] = grouped.size().reindex(out.index).fillna(0).astype(int)
    out["total"] = grouped.sum().reindex(out.index).fillna(0.0)
    out["mean"] = grouped.mean().reindex(out.index)
    out["weakest"] = grouped.min().reindex(out.index)
    return out


def mentor_summary(cohort: Cohort, assignment) -> pd.DataFrame:
    """Per mentor: kind, capacity, load and the startups taken."""
    pairs = assignment.pairs
    names = {s.id: s.name for s in cohort.startups}
    out = pd.DataFrame({
        "name": [m.name for m in cohort.mentors],
        "kind": [m.kind for m in cohort.mentors],
        "capacity": [m.capacity for m in cohort.mentors],
    }, index=pd.Index([m.id for m in cohort.mentors], name="mentor_id"))
    out["load"] = pairs.groupby("mentor_id").size().reindex(out.index).fillna(0).astype(int)
    out["startups"] = pairs.groupby("mentor_id")["startup_id"].agg(
        lambda ids: "; ".join(names[i] for i in ids)).reindex(out.index).fillna("")
    return out


# ---------------------------------------------------------------- eligibility screening

def screen_cohort(cohort: Cohort, *, screen: bool | None = None, override: Iterable[str] = ()
                  ) -> tuple[Cohort, Any]:
    """The cohort to match after eligibility screening, and the screening (None when skipped).

    ``screen=None`` screens when the cohort has eligibility data; a cohort already screened (by
    :meth:`Screening.apply`) keeps its screening unless new overrides are given.

    Raises
    ------
    InfeasibleError
        Screening left no startup to match (rule ``eligibility``).

    Examples
    --------
    >>> from matcher.data.io import load_cohort
    >>> cohort, screening = screen_cohort(load_cohort("data/spring-2026"))
    >>> len(cohort.startups), sorted(screening.excluded)
    (9, ['s-lanelogic', 's-portpulse'])
    >>> len(screen_cohort(load_cohort("data/spring-2026"), screen=False)[0].startups)
    11
    """
    override = (override,) if isinstance(override, str) else tuple(override)
    if screen is False:
        if override:
            raise InputError([InputProblem("match_cohort", None, "override_eligibility",
                                           "was given with screen=False",
                                           "drop the overrides, or let the cohort be screened")])
        return cohort, None
    previous = cohort.meta.get("screening")
    if previous is not None and not override:
        return cohort, previous
    if screen is None and not eligibility.has_eligibility_data(cohort):
        return cohort, None
    screening = eligibility.screen(cohort, override=override)
    screened = screening.apply(cohort)
    if not screened.startups:
        raise InfeasibleError([Diagnosis(
            rule="eligibility",
            message=f"No startup passed eligibility screening ({len(cohort.startups)} screened).",
            suggestions=("check the evidence in startups.csv", "override chosen startups by id",
                         "match without screening (screen=False, or --no-screen)"),
            startups=tuple(screening.excluded))])
    return screened, screening


def scores_for(scores: Scores, startup_ids: list[str]) -> Scores:
    """The rows of ``scores`` for the given startups, in that order.

    Raises
    ------
    InputError
        A startup has no row in ``scores``.

    Examples
    --------
    >>> from matcher.data.io import load_cohort
    >>> scores = score_cohort(load_cohort("data/spring-2026"))
    >>> scores_for(scores, ["s-kindbot", "s-facetrust"]).shape
    (2, 36)
    """
    if list(scores.startup_ids) == list(startup_ids):
        return scores
    row = {sid: i for i, sid in enumerate(scores.startup_ids)}
    missing = [sid for sid in startup_ids if sid not in row]
    if missing:
        raise InputError([InputProblem("argument 'scores'", None, None,
                                       f"has no row for startup(s) {', '.join(missing)}",
                                       "score the same cohort you match")])
    rows = np.array([row[sid] for sid in startup_ids], dtype=np.int64)
    return Scores(scores.values[rows], scores.startup_ids[rows], scores.mentor_ids,
                  {name: m[rows] for name, m in scores.components.items()}, dict(scores.weights),
                  scores.forbidden[rows], {name: m[rows] for name, m in scores.reasons.items()})
