"""The report's fairness section: envy, totals by group, soft rules paid for, randomised draws.

Every figure comes from :mod:`matcher.insight.envy` and :mod:`matcher.solve.soft` (the same audits
``matcher.audit`` offers); this module only puts them into sentences and worded tables.

Examples
--------
>>> import matcher
>>> section = fairness_section(matcher.match_cohort("data/spring-2026"))
>>> section["sentences"][0].startswith("Envy:")
True
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["fairness_section"]

#: Envy compares every startup's view of every other team (two n × n arrays): above this many
#: startups the report says so instead of computing it.
ENVY_MAX_STARTUPS = 3000

#: Groups of startups whose totals the report compares, when the cohort has them.
GROUPINGS = {"domain": "Domain", "stage": "Stage", "language": "Founders' language"}


def fairness_section(result: Any) -> dict[str, Any]:
    """Sentences and tables of the report's fairness section for a match result.

    Returns
    -------
    dict
        ``sentences`` (plain sentences: envy, and a randomised draw's expected score when there is
        one), ``groups`` (a list of ``(heading, columns, rows)``: per-startup totals by domain,
        stage and founders' language) and ``soft`` (``(columns, rows)`` of the soft rules broken
        and what each cost, or None when none was).
    """
    from matcher.insight.envy import envy_table, group_totals
    from matcher.solve.soft import soft_violations

    a, problem = result.assignment, result.problem
    names = {s.id: s.name for s in result.cohort.startups}
    if len(names) <= ENVY_MAX_STARTUPS:
        sentences = [_envy_sentence(envy_table(a, problem), names)]
    else:
        sentences = [f"Envy: not computed for {len(names):,} startups (it compares every startup's "
                     f"view of every other team; the report does so up to {ENVY_MAX_STARTUPS:,}). "
                     "matcher.audit.envy_table computes it where memory allows."]
    info = a.info or {}
    if "expected_score" in info:
        sentences.append(
            f"This matching is one draw of a randomised assignment in which no pair had a chance above "
            f"{info['max_probability']:.0%}: its expected total "
            f"score is {info['expected_score']:.3f}, {info['expected_ratio']:.1%} of the best "
            f"matching's {info['deterministic_optimum']:.3f}.")
    groups = []
    for by, heading in GROUPINGS.items():
        table = group_totals(a, result.cohort, by=by)
        if len(table) < 2 or (table.index == "").all():
            continue
        table = table.reset_index().rename(columns={
            "group": heading, "startups": "Startups", "min": "Lowest total", "median": "Median total",
            "mean": "Mean total", "max": "Highest total"})
        columns = [heading, "Startups", "Lowest total", "Median total", "Mean total", "Highest total"]
        groups.append((f"Total score per startup by {heading.lower()}", columns,
                       table[columns].round(3).to_numpy().tolist()))
    broken = soft_violations(problem, a.rows, a.cols)
    soft = None
    if len(broken):
        broken = broken.assign(startup=broken["startup_id"].map(names).fillna(broken["startup_id"]))
        columns = ["Rule", "Startup", "Mentors of the group", "Short or over by", "Price per mentor",
                   "Cost"]
        rows = broken[["rule", "startup", "mentors", "violation", "price", "cost"]]
        soft = (columns, rows.round(3).to_numpy().tolist())
    return {"sentences": sentences, "groups": groups, "soft": soft}


def _envy_sentence(table: pd.DataFrame, names: dict[str, str]) -> str:
    """Envy in words: who values another team more than its own, and by how much."""
    n = len(table)
    envious = table[table["envy"] > 0]
    if not len(envious):
        return (f"Envy: none. Each of the {n} startups values its own mentors at least as much as any "
                "other startup's.")
    worst = envious.loc[envious["envy"].idxmax()]
    ef1 = int(table["ef1"].sum())
    return (f"Envy: {len(envious)} of {n} startups would value another startup's mentors more than "
            f"their own; the most, {names.get(worst['startup_id'], worst['startup_id'])}, by "
            f"{worst['envy']:.3f} points (against {names.get(worst['envies'], worst['envies'])}). "
            f"{ef1} of {n} are envy-free up to one mentor (removing the best mentor of the team they "
            "envy ends their envy).")
