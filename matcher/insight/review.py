"""Reviewing a match before it is announced: a decision per pair, applied with the fewest changes.

:func:`review_table` lists every pair of a match with the decision ``keep`` and an empty note, for
the programme to edit; :func:`apply_decisions` re-solves with every ``pin`` made, every ``drop``
never made and every other pair kept where the rules allow it (the exact fewest-changes-first
priority of :func:`matcher.insight.whatif.rematch`: one more kept pair outweighs any score).
"""

from __future__ import annotations

import pandas as pd

from matcher.errors import InputError, InputProblem
from matcher.insight.whatif import Rematch, rematch
from matcher.pipeline import MatchResult

__all__ = ["review_table", "apply_decisions"]


def review_table(result: MatchResult) -> pd.DataFrame:
    """One row per pair of the match, grouped by startup: who, the fit score, ``decision`` and ``note``.

    Examples
    --------
    >>> import matcher
    >>> table = review_table(matcher.match_cohort("data/spring-2026"))
    >>> table.columns.tolist()[-4:]
    ['score', 'rank', 'decision', 'note']
    >>> sorted(set(table["decision"])), len(table)
    (['keep'], 27)
    """
    table = result.assignments[["startup_id", "startup_name", "mentor_id", "mentor_name", "mentor_kind",
                                "score", "rank"]].copy()
    order = {s.id: n for n, s in enumerate(result.cohort.startups)}
    table = table.sort_values(["startup_id", "rank"], kind="stable",
                              key=lambda c: c.map(order) if c.name == "startup_id" else c)
    table = table.reset_index(drop=True)
    table["score"] = table["score"].round(4)
    return table.assign(decision="keep", note="")


def apply_decisions(result: MatchResult, decisions: pd.DataFrame, *, source: str = "decisions.csv",
                    solver: str | None = None) -> Rematch:
    """Re-solve a match under a review's decisions, changing as few pairs as possible.

    Parameters
    ----------
    result : MatchResult
        The match reviewed.
    decisions : DataFrame
        ``startup_id``, ``mentor_id``, ``decision`` (``keep``, ``drop`` or ``pin``) and optionally
        ``row`` (as :func:`matcher.data.io.decisions.read_decisions` returns them). A pair of the
        match without a row is kept like a ``keep``.
    source : str
        The file the decisions came from, named in errors.
    solver : str, optional
        Backend; the one the match used by default.

    Raises
    ------
    InputError
        A ``keep`` names a pair the match does not have (write ``pin`` to make it).
    InfeasibleError
        The pins and drops together break a rule (a mentor over capacity, a quota...).

    Examples
    --------
    >>> import matcher
    >>> before = matcher.match_cohort("data/spring-2026")
    >>> wanted = pd.DataFrame({"startup_id": ["s-kindbot", "s-facetrust"], "mentor_id": ["m-li-jing",
    ...                        "m-kwok-hoi-lam"], "decision": ["pin", "drop"]})
    >>> change = apply_decisions(before, wanted)
    >>> pairs = lambda t: set(map(tuple, t[["startup_id", "mentor_id"]].values))
    >>> ("s-kindbot", "m-li-jing") in pairs(change.added)
    True
    >>> ("s-facetrust", "m-kwok-hoi-lam") in pairs(change.removed)
    True
    """
    made = set(zip(result.assignments["startup_id"], result.assignments["mentor_id"]))
    problems = []
    rows = decisions["row"] if "row" in decisions else pd.Series(range(2, len(decisions) + 2))
    for row, s, m, d in zip(rows, decisions["startup_id"], decisions["mentor_id"], decisions["decision"]):
        if d == "keep" and (s, m) not in made:
            problems.append(InputProblem(source, int(row), "decision",
                                         f"keep names {s}, {m}, a pair the match does not have",
                                         "write pin to make the pair, or remove the row"))
    if problems:
        raise InputError(problems)
    pick = {d: list(zip(*(decisions.loc[decisions["decision"] == d, c] for c in ("startup_id", "mentor_id"))))
            for d in ("pin", "drop")}
    return rematch(result, pin=pick["pin"], forbid=pick["drop"], solver=solver)
