"""The views of a matching that people read: a card per startup, a page per mentor, the screened-out.

:func:`startup_cards`, :func:`mentor_pages`, :func:`match_groups` and :func:`screened_out` turn a
:class:`~matcher.pipeline.MatchResult` into plain records the report's templates lay out;
:func:`workbook_sheets` gives the same views as the sheets of an Excel file. Every heading is in
words with its unit (:data:`HEADINGS`); a component column that is 0 for every pair is left out
and said to be (:func:`zero_columns`).

Examples
--------
>>> import matcher
>>> result = matcher.match_cohort("data/spring-2026")
>>> card = startup_cards(result)[1]
>>> card["name"], [m["name"] for m in card["mentors"]]
('RadiantScan Medical', ['Rachel Tsang', 'Cheng Mei-ling', 'Amanda Cheung'])
>>> card["mentors"][0]["covers"]
'domain expertise and technology'
>>> zero_columns(result)
['preference']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from matcher.insight.plain import change_heading, domain_words, listing, need_words, needs_covered

__all__ = ["HEADINGS", "COMPONENT_WORDS", "worded", "zero_columns", "ordered_pairs", "match_groups",
           "startup_cards", "mentor_pages", "screened_out", "workbook_sheets", "contact",
           "MATCH_FIXED_COLUMNS"]

#: Score components in words; each is a number of points of the fit score.
COMPONENT_WORDS = {"text": "Profile texts alike", "domain": "Fields match", "needs": "Needs met",
                   "language": "Common language", "preference": "Stated preferences"}

#: Table headings in words, with their units.
HEADINGS = {
    "startup_id": "Startup id", "startup_name": "Startup", "mentor_id": "Mentor id",
    "mentor_name": "Mentor", "mentor_kind": "Kind of mentor", "organisation": "Organisation",
    "contact": "Contact", "covers": "Needs the mentor covers",
    "score": "Fit score (0 to 1)", "rank": "Rank for the startup (1 = best it could have)",
    **{name: f"{words} (points)" for name, words in COMPONENT_WORDS.items()},
    "name": "Name", "primary_domain": "Main field", "mentors": "Mentors", "n_mentors": "Mentors given",
    "total": "Total fit score (sum over its mentors)", "mean": "Mean fit score",
    "weakest": "Weakest fit score", "kind": "Kind", "capacity": "Capacity (startups at once)",
    "load": "Startups given", "startups": "Startups", "explanation": "Why, in words",
    "shared_domains": "Fields in common", "top_terms": "Words both profiles use most",
    "rules": "Rules that shaped the pair", "startup_rank": "Startup's stated choice (1 = first)",
    "mentor_bid": "Mentor's answer", "verdict": "Verdict", "reason": "Reason",
    "overridden": "Admitted by override", "included": "Matched",
    "objective_change": "Change in the objective if swapped in", "replaces": "Would replace",
    "pairs_changed": "Pairs that would change", "note": "Note",
}


def worded(frame: pd.DataFrame, extra: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` with its columns headed in words (:data:`HEADINGS`, then ``extra``).

    >>> worded(pd.DataFrame(columns=["mentor_name", "score", "mine"]), {"mine": "Mine"}).columns.tolist()
    ['Mentor', 'Fit score (0 to 1)', 'Mine']
    """
    names = {**HEADINGS, **(extra or {})}
    return frame.rename(columns={c: names.get(c, c) for c in frame.columns})


def contact(profile: Any) -> str:
    """A profile's e-mail address, from its optional ``email`` column ('' when none).

    >>> from types import SimpleNamespace as P
    >>> contact(P(attributes={"email": " a@b.example "})), contact(P(attributes={}))
    ('a@b.example', '')
    """
    value = profile.attributes.get("email", "") if profile.attributes else ""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def zero_columns(result: Any) -> list[str]:
    """The score components that are 0 for every pair of the match (shown nowhere, said once)."""
    table = result.assignments
    return [c for c in result.scores.components if c in table and not table[c].abs().gt(0).any()]


def ordered_pairs(result: Any) -> pd.DataFrame:
    """The match table grouped by startup (the cohort's order), each startup's mentors best first.

    Keeps the original row position in ``row`` so per-row sentences can follow it.

    >>> import matcher
    >>> table = ordered_pairs(matcher.match_cohort("data/spring-2026"))
    >>> table[["startup_id", "rank", "row"]].head(3).values.tolist()
    [['s-facetrust', 1, 0], ['s-facetrust', 2, 2], ['s-facetrust', 3, 1]]
    """
    table = result.assignments.reset_index(drop=True).assign(row=lambda t: np.arange(len(t)))
    order = {s.id: n for n, s in enumerate(result.cohort.startups)}
    table["_startup"] = table["startup_id"].map(order)
    return table.sort_values(["_startup", "rank", "mentor_id"], kind="stable").drop(columns="_startup")


def _people(result: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return {s.id: s for s in result.cohort.startups}, {m.id: m for m in result.cohort.mentors}


#: Columns of the match table shown at every width (the score components after them are details).
MATCH_FIXED_COLUMNS = 6


def match_groups(result: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """The match table for the report: headings, and one group of rows per startup.

    Columns: mentor, kind, organisation, the needs covered, the fit score, the rank and each
    component that is not 0 for every pair.

    >>> import matcher
    >>> columns, groups = match_groups(matcher.match_cohort("data/spring-2026"))
    >>> columns[:3], groups[0]["name"], len(groups[0]["rows"])
    (['Mentor', 'Kind', 'Organisation'], 'FaceTrust Labs', 3)
    """
    startups, mentors = _people(result)
    components = [c for c in result.scores.components if c not in zero_columns(result)]
    columns = ["Mentor", "Kind", "Organisation", HEADINGS["covers"], HEADINGS["score"], "Rank (1 = best)",
               *(HEADINGS.get(c, c) for c in components)]
    groups: dict[str, dict[str, Any]] = {}
    for row in ordered_pairs(result).to_dict(orient="records"):
        s, m = startups[row["startup_id"]], mentors[row["mentor_id"]]
        group = groups.setdefault(s.id, {"id": s.id, "name": s.name, "rows": []})
        group["rows"].append([m.name, m.kind, m.organisation,
                              listing(need_words(x) for x in needs_covered(s, m)) or "–",
                              float(row["score"]), int(row["rank"]), *(float(row[c]) for c in components)])
    return columns, list(groups.values())


def _runner_records(result: Any, runner_ups: pd.DataFrame | None) -> dict[str, list[dict[str, Any]]]:
    _, mentors = _people(result)
    out: dict[str, list[dict[str, Any]]] = {}
    if runner_ups is None:
        return out
    for row in runner_ups.to_dict(orient="records"):
        m = mentors[row["mentor_id"]]
        change = row["objective_change"]
        replaced = [mentors[x].name for x in str(row["replaces"] or "").split("; ") if x in mentors]
        out.setdefault(row["startup_id"], []).append({
            "name": m.name, "kind": m.kind, "organisation": m.organisation, "score": float(row["score"]),
            "change": None if change != change else float(change), "replaces": listing(replaced),
            "note": row.get("note", "") or ""})
    return out


def startup_cards(result: Any, sentences: Sequence[str] | None = None,
                  runner_ups: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """One card per matched startup: its fields and needs, its mentors and why, its runner-ups.

    Parameters
    ----------
    result : MatchResult
    sentences : sequence of str, optional
        One per row of ``result.assignments`` (e.g. :func:`matcher.app.report.explanation_lines`).
    runner_ups : DataFrame, optional
        :func:`matcher.insight.explain.runner_ups` of the result.
    """
    startups, mentors = _people(result)
    runners = _runner_records(result, runner_ups)
    cards = {s.id: {"id": s.id, "name": s.name, "fields": listing(domain_words(d) for d in s.domains),
                    "needs": listing(need_words(n) for n in s.needs) or "none stated",
                    "contact": contact(s), "mentors": [], "runner_ups": runners.get(s.id, []),
                    "total": float(result.startups.at[s.id, "total"])}
             for s in result.cohort.startups}
    for row in ordered_pairs(result).to_dict(orient="records"):
        s, m = startups[row["startup_id"]], mentors[row["mentor_id"]]
        cards[s.id]["mentors"].append({
            "id": m.id, "name": m.name, "kind": m.kind, "organisation": m.organisation,
            "contact": contact(m), "covers": listing(need_words(x) for x in needs_covered(s, m)),
            "why": sentences[row["row"]] if sentences is not None else "",
            "score": float(row["score"]), "rank": int(row["rank"])})
    return list(cards.values())


def mentor_pages(result: Any, sentences: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One page per mentor given at least one startup: the startups, load against capacity, why.

    >>> import matcher
    >>> page = mentor_pages(matcher.match_cohort("data/spring-2026"))[0]
    >>> page["name"], page["load"], page["capacity"], [s["name"] for s in page["startups"]]
    ('Li Jing', 2, 2, ['TideQuant Technologies', 'Clausewise'])
    """
    startups, mentors = _people(result)
    capacity = dict(zip(result.mentors.index, result.mentors["capacity"]))
    pages: dict[str, dict[str, Any]] = {}
    for row in ordered_pairs(result).to_dict(orient="records"):
        s, m = startups[row["startup_id"]], mentors[row["mentor_id"]]
        page = pages.setdefault(m.id, {"id": m.id, "name": m.name, "kind": m.kind,
                                       "organisation": m.organisation, "contact": contact(m),
                                       "capacity": int(capacity[m.id]), "startups": []})
        page["startups"].append({"name": s.name, "contact": contact(s),
                                 "fields": listing(domain_words(d) for d in s.domains),
                                 "covers": listing(need_words(x) for x in needs_covered(s, m)),
                                 "why": sentences[row["row"]] if sentences is not None else "",
                                 "score": float(row["score"])})
    order = {m.id: n for n, m in enumerate(result.cohort.mentors)}
    out = sorted(pages.values(), key=lambda p: order[p["id"]])
    for page in out:
        page["load"] = len(page["startups"])
    return out


def screened_out(result: Any) -> list[dict[str, str]]:
    """The startups eligibility screening left out, each with the reason in words.

    >>> import matcher
    >>> [s["name"] for s in screened_out(matcher.match_cohort("data/spring-2026"))]
    ['PortPulse Logistics', 'LaneLogic Autonomy']
    """
    screening = getattr(result, "screening", None)
    if screening is None:
        return []
    names = screening.verdicts["name"].to_dict() if "name" in screening.verdicts else {}
    return [{"id": sid, "name": str(names.get(sid, sid)), "reason": str(reason)}
            for sid, reason in screening.excluded.items()]


def workbook_sheets(result: Any, sentences: Sequence[str] | None = None,
                    runner_ups: pd.DataFrame | None = None,
                    details: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The views as Excel sheets: matches, startups, mentors, screening, explanations, runner-ups.

    ``details`` is :func:`matcher.insight.explain.explain_pairs` (the numbers behind each
    sentence); without it the explanations sheet holds the sentences and the score components.

    >>> import matcher
    >>> list(workbook_sheets(matcher.match_cohort("data/spring-2026")))
    ['matches', 'startups', 'mentors', 'screening', 'explanations', 'runner-ups']
    """
    startups, mentors = _people(result)
    table = ordered_pairs(result)
    drop = zero_columns(result)
    matches = table.drop(columns=["row", *drop])
    matches.insert(5, "organisation", [mentors[m].organisation for m in table["mentor_id"]])
    matches.insert(6, "contact", [contact(mentors[m]) for m in table["mentor_id"]])
    matches.insert(7, "covers", [listing(need_words(x) for x in needs_covered(startups[s], mentors[m]))
                                 for s, m in zip(table["startup_id"], table["mentor_id"])])
    screening = getattr(result, "screening", None)
    screen = (screening.verdicts.reset_index()[["startup_id", "name", "verdict", "reason"]]
              if screening is not None else pd.DataFrame(columns=["startup_id", "name", "verdict", "reason"]))
    why = details.copy() if details is not None else result.assignments.copy()
    why = why.drop(columns=[c for c in drop if c in why])
    if sentences is not None:
        key = dict(zip(zip(result.assignments["startup_id"], result.assignments["mentor_id"]), sentences))
        why["explanation"] = [key[(s, m)] for s, m in zip(why["startup_id"], why["mentor_id"])]
    runners = runner_ups.copy() if runner_ups is not None else pd.DataFrame(
        columns=["startup_id", "mentor_id", "score", "objective_change", "replaces", "pairs_changed", "note"])
    runners.insert(1, "startup_name", [startups[s].name for s in runners["startup_id"]])
    runners.insert(3, "mentor_name", [mentors[m].name for m in runners["mentor_id"]])
    change = {"objective_change": change_heading(result.assignment.objective_name).capitalize()}
    return {"matches": worded(matches), "startups": worded(result.startups.reset_index()),
            "mentors": worded(result.mentors.reset_index()), "screening": worded(screen),
            "explanations": worded(why), "runner-ups": worded(runners, change)}
