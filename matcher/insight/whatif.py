"""What-if re-matching: change a published match while changing as few pairs as possible.

:func:`rematch` takes a :class:`~matcher.pipeline.MatchResult` and the changes — pin, forbid or swap
pairs, add or withdraw mentors and startups — and solves again so that the fewest existing pairs
change, then the best total among those. It returns the new result and the diff (kept, removed and
added pairs, and the change in total score).

How "fewest changes first" is made exact
-----------------------------------------
Each pair kept from the previous match earns a bonus ``B`` on top of its score, on an integer scale
fixed here: scores are rounded to ``q = rint(score / peak * 2**b)`` so ``|q| <= 2**b``. An
assignment has at most ``P = sum(k_max)`` pairs, so the scores of two assignments differ by at most
``2 * P * 2**b``; with ``B = 2 * P * 2**b + 1`` one more kept pair outweighs any difference in
score, so the solver maximises the number of kept pairs first and the (rounded) total second.
``b`` is the largest that keeps ``B + 2**b`` within the ``2**30`` every backend scales to (see
:mod:`matcher.solve.scaling`), so the backends see these integers exactly. The reported objective
is the sum of the true float scores. With ``keep_weight`` given instead, each kept pair simply
earns that many score units: a trade-off rather than a priority.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.models import Assignment, Mentor, Startup
from matcher.errors import InputError, InputProblem
from matcher.pipeline import MatchResult, make_result
from matcher.scoring.affinity import AffinityModel
from matcher.solve import SOLVERS, Problem, solve_problem
from matcher.solve.scaling import keep_bonus
from matcher.solve.translate import cohort_problem

__all__ = ["rematch", "Rematch", "resolve_keeping", "keep_bonus"]

Pair = tuple[str, str]


@dataclass(frozen=True, eq=False)
class Rematch:
    """The outcome of :func:`rematch`.

    Attributes
    ----------
    before, after : MatchResult
        The previous match and the new one.
    diff : DataFrame
        One row per pair in either: ``startup_id``, ``mentor_id``, ``change`` (``kept``,
        ``removed`` or ``added``), ``score_before`` and ``score_after`` (NaN where absent).
    """

    before: MatchResult
    after: MatchResult
    diff: pd.DataFrame

    @property
    def kept(self) -> pd.DataFrame:
        """The rows of ``diff`` for pairs in both matches."""
        return self.diff[self.diff["change"] == "kept"]

    @property
    def removed(self) -> pd.DataFrame:
        """The rows of ``diff`` for pairs of the previous match only."""
        return self.diff[self.diff["change"] == "removed"]

    @property
    def added(self) -> pd.DataFrame:
        """The rows of ``diff`` for pairs of the new match only."""
        return self.diff[self.diff["change"] == "added"]

    @property
    def objective_change(self) -> float:
        """New total minus previous total (scores re-computed when profiles were added)."""
        return self.after.assignment.objective - self.before.assignment.objective

    def summary(self) -> str:
        """One line: pairs kept, removed and added, and the change in the total."""
        return (f"{len(self.kept)} pairs kept, {len(self.removed)} removed, {len(self.added)} added; "
                f"total {self.before.assignment.objective:.4f} -> {self.after.assignment.objective:.4f} "
                f"({self.objective_change:+.4f})")


def _ids(items: Iterable, kind: str) -> list[str]:
    return [x if isinstance(x, str) else x.id for x in items]


def rematch(result: MatchResult, *, pin: Iterable[Pair] = (), forbid: Iterable[Pair] = (),
            swap: Iterable[tuple[str, str, str]] = (), add_mentors: Iterable[Mentor] = (),
            withdraw_mentors: Iterable[str] = (), add_startups: Iterable[Startup] = (),
            withdraw_startups: Iterable[str] = (), keep_weight: float | None = None,
            solver: str | None = None) -> Rematch:
    """Apply changes to a match and re-solve, changing as few existing pairs as possible.

    Parameters
    ----------
    result : MatchResult
        The published match.
    pin, forbid : iterable of (startup_id, mentor_id)
        Pairs that must now be made / never be made (added to the cohort's rules).
    swap : iterable of (startup_id, mentor_out, mentor_in)
        Replace a startup's mentor: forbids ``(startup, mentor_out)`` and pins ``(startup, mentor_in)``.
    add_mentors, add_startups : iterable of Mentor / Startup
        Profiles joining mid-cohort. The cohort is scored again (the TF-IDF vocabulary and the text
        normalisation see the newcomers), so existing pairs' scores may move slightly.
    withdraw_mentors, withdraw_startups : iterable of ids (or profiles)
        Profiles leaving; their pairs are removed and the others keep their scores exactly.
    keep_weight : float, optional
        Score units each kept pair is worth. By default, keeping pairs comes first (exactly; see
        the module notes) and the total score second.
    solver : str, optional
        Backend; the one the previous match used by default.

    Returns
    -------
    Rematch
        ``after`` (a MatchResult whose assignment's ``bound`` is the best total without the wish to
        keep pairs, so its ``gap`` is what stability of the match costs), ``diff``, ``kept``,
        ``removed``, ``added`` and ``objective_change``.

    Examples
    --------
    >>> import matcher
    >>> before = matcher.match_cohort("data/spring-2026")
    >>> change = rematch(before, pin=[("s-kindbot", "m-li-jing")])
    >>> print(change.summary())
    25 pairs kept, 2 removed, 2 added; total 13.6930 -> 13.6234 (-0.0696)
    >>> change.added[["startup_id", "mentor_id"]].values.tolist()
    [['s-kindbot', 'm-li-jing'], ['s-tidequant', 'm-sun-mei']]
    """
    cohort, scores = result.cohort, result.scores
    pin, forbid = [tuple(p) for p in pin], [tuple(p) for p in forbid]
    for s, out, into in swap:
        forbid.append((s, out))
        pin.append((s, into))
    gone_s, gone_m = set(_ids(withdraw_startups, "startup")), set(_ids(withdraw_mentors, "mentor"))
    new_s, new_m = tuple(add_startups), tuple(add_mentors)
    unknown = [InputProblem("rematch", None, "withdraw", f"'{x}' is not in the cohort")
               for x in sorted((gone_s - set(scores.startup_ids)) | (gone_m - set(scores.mentor_ids)))]
    if unknown:
        raise InputError(unknown)

    rules = _changed_rules(result, pin, forbid, gone_s, gone_m, solver)
    startups = tuple(s for s in cohort.startups if s.id not in gone_s) + new_s
    mentors = tuple(m for m in cohort.mentors if m.id not in gone_m) + new_m
    changed = dataclasses.replace(cohort, startups=startups, mentors=mentors, rules=rules)
    if new_s or new_m:
        model = AffinityModel(weights=scores.weights, require_common_language="language" in scores.reasons)
        new_scores = model.fit(changed).score(changed)
    else:
        new_scores = scores.subset([s for s in scores.startup_ids if s not in gone_s],
                                   [m for m in scores.mentor_ids if m not in gone_m])

    problem = cohort_problem(changed, new_scores)
    found = resolve_keeping(problem, _kept_mask(problem, result.assignment.pairs),
                            keep_weight=keep_weight, solver=rules.solver,
                            time_limit=rules.time_limit, seed=rules.seed)
    # eligibility screening still says who was left out: the result folder reloads the same cohort
    after = make_result(changed, new_scores, found, problem, screening=result.screening)
    return Rematch(result, after, _diff(result, after))


def _changed_rules(result: MatchResult, pin: list[Pair], forbid: list[Pair], gone_s: set,
                   gone_m: set, solver: str | None):
    """The cohort's rules with the new pins and conflicts, without the withdrawn profiles."""
    rules = result.cohort.rules

    def alive(pair: Pair) -> bool:
        return pair[0] not in gone_s and pair[1] not in gone_m

    return rules.replace(
        # a pair forbidden now overrides an earlier pin; a new pin that is also forbidden is refused
        # by the solver's checks ("pinned vs forbidden"), not dropped quietly
        pinned=tuple(p for p in rules.pinned if alive(p) and p not in forbid)
        + tuple(p for p in pin if alive(p)),
        forbidden=tuple(p for p in (*rules.forbidden, *forbid) if alive(p)),
        solver=solver or (result.assignment.solver if result.assignment.solver in SOLVERS
                          else rules.solver))


def _kept_mask(problem: Problem, previous: pd.DataFrame) -> np.ndarray:
    """The previous pairs as a mask over ``problem``; pairs of withdrawn profiles cannot be kept."""
    rows = pd.Index(problem.startup_ids).get_indexer(previous["startup_id"])
    cols = pd.Index(problem.mentor_ids).get_indexer(previous["mentor_id"])
    alive_pair = (rows >= 0) & (cols >= 0)
    kept_mask = np.zeros(problem.shape, dtype=bool)
    kept_mask[rows[alive_pair], cols[alive_pair]] = True
    return kept_mask


def resolve_keeping(problem: Problem, keep: np.ndarray, *, keep_weight: float | None = None,
                    solver: Any = "auto", time_limit: float | None = None, seed: int = 0) -> Assignment:
    """Solve ``problem`` keeping as many pairs of ``keep`` as possible, then the best total.

    Parameters
    ----------
    problem : Problem
    keep : bool array of the problem's shape
        The pairs of the previous assignment.
    keep_weight : float, optional
        Score units per kept pair instead of the exact fewest-changes-first priority.

    Returns
    -------
    Assignment
        Its ``scores`` and ``objective`` are the true scores; ``bound`` is the best total without
        the wish to keep pairs; ``info["kept"]`` counts the kept pairs.

    Examples
    --------
    >>> from matcher.solve import make_problem
    >>> p = make_problem(np.array([[0.9, 0.1], [0.8, 0.7]]), k=1, capacity=1)
    >>> a = resolve_keeping(p, np.array([[False, True], [True, False]]))
    >>> a.cols.tolist(), round(a.objective, 2), round(a.bound, 2), a.info["kept"]
    ([1, 0], 0.9, 1.6, 2)
    """
    if keep_weight is None:
        b, bonus = keep_bonus(int(problem.k_max.sum()))
        peak = float(np.abs(problem.scores).max()) or 1.0
        weighted = np.rint(problem.scores / peak * 2**b) + bonus * keep
    else:
        weighted = problem.scores + float(keep_weight) * keep
    # a stable backend ranks by the scores with the kept-pair bonus, not by stated preferences:
    # keeping pairs comes first here
    found = solve_problem(dataclasses.replace(problem, scores=weighted, rankings=None), solver=solver,
                          time_limit=time_limit, seed=seed)
    best = solve_problem(problem, solver=solver, time_limit=time_limit, seed=seed)
    true_scores = problem.scores[found.rows, found.cols]
    objective = float(true_scores.sum())
    bound = max(best.bound, objective)
    return dataclasses.replace(
        found, scores=true_scores, objective=objective, bound=bound,
        status="optimal" if objective >= bound - 1e-9 * max(1.0, abs(bound)) else "feasible",
        info={**found.info, "kept": int(keep[found.rows, found.cols].sum()),
              "rematch": "fewest changes first" if keep_weight is None else f"keep_weight {keep_weight:g}",
              "status_of_rematch": found.status})


def _diff(before: MatchResult, after: MatchResult) -> pd.DataFrame:
    old = before.assignment.pairs.rename(columns={"score": "score_before"})
    new = after.assignment.pairs.rename(columns={"score": "score_after"})
    both = old.merge(new, on=["startup_id", "mentor_id"], how="outer", indicator=True)
    both["change"] = both.pop("_merge").map({"both": "kept", "left_only": "removed",
                                             "right_only": "added"}).astype(str)
    order = {"kept": 0, "removed": 1, "added": 2}
    both = both.sort_values(["change", "startup_id", "mentor_id"], key=lambda c: c.map(order)
                            if c.name == "change" else c, kind="stable").reset_index(drop=True)
    return both[["startup_id", "mentor_id", "change", "score_before", "score_after"]]
