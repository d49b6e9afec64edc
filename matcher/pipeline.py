"""The one corridor for a cohort: screen → score → Problem → solve → MatchResult.

:func:`match_cohort` is the whole of it. Explanations, what-if re-solves, reports, the store and
batch jobs use the same steps (:func:`screened_and_scored`,
:func:`~matcher.solve.translate.cohort_problem`, :func:`~matcher.solve.solve_problem`,
:func:`make_result`), so they see exactly the rules the match was solved under.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.data import eligibility
from matcher.data.io import load_cohort
from matcher.data.models import Assignment, Cohort, Rules, rules_to_json
from matcher.errors import Diagnosis, InfeasibleError, InputError, InputProblem
from matcher.scoring.affinity import Scores, score_cohort
from matcher.solve import Problem, solve_problem
from matcher.solve.translate import cohort_problem

__all__ = ["match_cohort", "MatchResult", "with_rules", "screen_cohort", "screened_and_scored",
           "solve_cohort", "make_result"]


@dataclass(frozen=True, eq=False)
class MatchResult:
    """A cohort's matching: the assignment, the problem and scores it came from, readable tables.

    Attributes
    ----------
    cohort : Cohort
        The startups matched (after screening) and the mentors.
    scores : Scores
        The scores of every pair, with their components and forbidden pairs.
    assignment : Assignment
        The pairs and their proof (objective, bound, gap, status, solver).
    problem : Problem
        The rules as the solver saw them: effective capacities, forbidden and pinned pairs,
        quotas. Tables, explanations and reports read them from here.
    assignments : DataFrame
        One row per pair: ids, names, mentor kind, score and its weighted components.
    startups, mentors : DataFrame
        Per-startup summary (mentors, total, mean, weakest score) and per-mentor load against
        the capacity the solver used.
    rules : Rules
    screening : Screening or None
        The eligibility screening that chose which startups were matched (``excluded`` says who was
        left out and why), or None when the cohort was not screened.

    Examples
    --------
    >>> import matcher
    >>> result = matcher.match_cohort("data/spring-2026")
    >>> result.assignment.status, len(result.assignments)
    ('optimal', 27)
    >>> sorted(result.screening.excluded)[:1]
    ['s-lanelogic']
    """

    cohort: Cohort
    scores: Scores
    assignment: Assignment
    problem: Problem
    assignments: pd.DataFrame
    startups: pd.DataFrame
    mentors: pd.DataFrame
    rules: Rules
    screening: Any = None

    def to_csv(self, directory: str | os.PathLike) -> list[str]:
        """Write ``assignments.csv``, ``startups.csv`` and ``mentors.csv`` atomically into ``directory``."""
        from matcher.data.io import write_result_csv

        return write_result_csv(self, directory)

    def to_json(self, path: str | os.PathLike) -> str:
        """Write the whole result as one JSON document (atomically) and return its path."""
        from matcher.data.io import write_result_json

        return write_result_json(self, path)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: cohort name, rules, assignment proof and the tables."""
        a = self.assignment
        return {
            "cohort": self.cohort.name,
            "status": a.status,
            "objective": a.objective,
            "objective_name": a.objective_name,
            "bound": a.bound,
            "gap": a.gap,
            "solver": a.solver,
            "timings": dict(a.timings),
            "rules": {
                "k": self.rules.k,
                "weights": dict(self.rules.weights),
                "require_common_language": self.rules.require_common_language,
            },
            "assignments": self.assignments.to_dict(orient="records"),
            # what `matcher explain RESULT_DIR` needs to reload the cohort and re-solve
            "source": {
                "cohort_path": _resolved(self.cohort.meta.get("source_path")),
                "preferences_path": _resolved(self.cohort.meta.get("preferences_path")),
                "rules": rules_to_json(self.rules),
                "screen": self.screening is not None,
                "override_eligibility": list(self.screening.overridden) if self.screening is not None else [],
            },
            "startups": self.startups.reset_index().to_dict(orient="records"),
            "mentors": self.mentors.reset_index().to_dict(orient="records"),
            "excluded": dict(self.screening.excluded) if self.screening is not None else {},
        }


def _resolved(path: Any) -> str | None:
    return str(Path(path).resolve()) if path else None


def with_rules(cohort: Cohort, **overrides: Any) -> Cohort:
    """The cohort with some of its rules replaced, each checked as :class:`~matcher.Rules` checks
    it; unknown rule names are refused by name, with the nearest rule."""
    if not overrides:
        return cohort
    return replace(cohort, rules=Rules.from_mapping(overrides, source="match_cohort", base=cohort.rules))


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
        Fields of :class:`~matcher.Rules` replacing the programme's, e.g. ``k=2`` or
        ``solver="cpsat"``; checked as :class:`~matcher.Rules` checks them.

    Returns
    -------
    MatchResult
        ``assignments`` (one row per pair, with the weighted score components), per-startup and
        per-mentor summaries, the :class:`~matcher.Assignment` with its proof, the
        :class:`~matcher.solve.problem.Problem` it solved, ``to_csv`` / ``to_json``, and
        ``screening`` (who was left out and why).

    Examples
    --------
    >>> import matcher
    >>> result = matcher.match_cohort("data/spring-2026", k=2, objective="fair")
    >>> result.assignment.objective_name, result.assignment.status
    ('worst startup total', 'optimal')
    >>> result.startups[["name", "total"]].shape
    (9, 2)
    """
    if not isinstance(cohort, Cohort):
        cohort = load_cohort(cohort)
    start = time.perf_counter()
    cohort, screening, scores = screened_and_scored(with_rules(cohort, **rule_overrides), scores=scores,
                                                    screen=screen, override=override_eligibility)
    scored = time.perf_counter()
    problem = cohort_problem(cohort, scores)
    assignment = solve_cohort(cohort, problem)
    assignment = replace(assignment, timings={"score": scored - start, **assignment.timings})
    return make_result(cohort, scores, assignment, problem, screening=screening)


def solve_cohort(cohort: Cohort, problem: Problem, *, solver: Any = None) -> Assignment:
    """Solve a cohort's problem with its rules' solver (or ``solver``), time limit, seed, workers."""
    rules = cohort.rules
    return solve_problem(problem, solver=rules.solver if solver is None else solver,
                         time_limit=rules.time_limit, seed=rules.seed,
                         workers=getattr(rules, "workers", None))


def screened_and_scored(filed: Cohort, *, scores: Scores | None = None, screen: bool | None = None,
                        override: Iterable[str] = ()) -> tuple[Cohort, Any, Scores]:
    """The cohort to match, its screening (None when skipped) and its scores.

    Scored as filed, then narrowed to the startups that go on: a pair's score does not move with
    who was screened out, so a result reloaded later (``matcher.insight.explain.load_result``) gets
    the same scores.
    """
    cohort, screening = screen_cohort(filed, screen=screen, override=override)
    if scores is None:
        scores = score_cohort(filed)
    return cohort, screening, scores.subset([s.id for s in cohort.startups])


def make_result(cohort: Cohort, scores: Scores, assignment: Assignment, problem: Problem,
                **extra: Any) -> MatchResult:
    """A :class:`MatchResult` with its readable tables, for an assignment of ``cohort``.

    ``extra`` holds further MatchResult fields (e.g. what screening left out).
    """
    return MatchResult(
        cohort=cohort, scores=scores, assignment=assignment, problem=problem,
        assignments=assignment_table(cohort, scores, assignment, problem),
        startups=startup_summary(cohort, assignment),
        mentors=mentor_summary(cohort, assignment, problem),
        rules=cohort.rules, **extra,
    )


def assignment_table(cohort: Cohort, scores: Scores, assignment: Assignment,
                     problem: Problem) -> pd.DataFrame:
    """One row per pair: who, the score, its weighted components, and the mentor's rank for the
    startup among the mentors the rules allow it (1 = its best)."""
    rows, cols = assignment.rows, assignment.cols
    table = scores.pair_table(rows, cols)
    startups = {s.id: s for s in cohort.startups}
    mentors = {m.id: m for m in cohort.mentors}
    table.insert(1, "startup_name", [startups[s].name for s in table["startup_id"]])
    table.insert(3, "mentor_name", [mentors[m].name for m in table["mentor_id"]])
    table.insert(4, "mentor_kind", [mentors[m].kind for m in table["mentor_id"]])
    masked = np.where(problem.allowed, scores.values, -np.inf)
    better = (masked[rows] > scores.values[rows, cols][:, None]).sum(axis=1)
    table["rank"] = better + 1
    return table


def startup_summary(cohort: Cohort, assignment: Assignment) -> pd.DataFrame:
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


def mentor_summary(cohort: Cohort, assignment: Assignment, problem: Problem) -> pd.DataFrame:
    """Per mentor: kind, the capacity the solver used (after yearly limits), load and startups."""
    pairs = assignment.pairs
    names = {s.id: s.name for s in cohort.startups}
    out = pd.DataFrame({
        "name": [m.name for m in cohort.mentors],
        "kind": [m.kind for m in cohort.mentors],
        "capacity": problem.capacity,
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
    :meth:`~matcher.data.screening.Screening.apply`) keeps its screening unless new overrides are given.

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
