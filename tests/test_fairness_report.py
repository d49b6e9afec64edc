"""The report's fairness section says what the audits compute: envy, totals by group, the soft
rules a matching broke and what they cost, and a randomised draw's expected score."""

from __future__ import annotations

import re

import numpy as np
import pytest

import matcher
from matcher.app.fairness import fairness_section
from matcher.app.report import render_report
from matcher.insight.envy import envy_table, group_totals
from matcher.solve.soft import soft_violations


@pytest.fixture(scope="module")
def cohort():
    return matcher.load_cohort("data/spring-2026")


def test_the_report_shows_envy_and_totals_by_group(cohort):
    result = matcher.match_cohort(cohort)
    html = render_report(result)
    section = html[html.index('<section id="fairness">'):html.index("</section>")]
    envious = (envy_table(result.assignment, result.problem)["envy"] > 0).sum()
    assert ("Envy: none" in section) == (envious == 0)
    by_stage = group_totals(result.assignment, cohort, by="stage")
    assert "by stage" in section
    for stage, row in by_stage.iterrows():
        assert stage in section and f"{row['min']:.3f}" in section


def test_an_envious_startup_is_named_with_its_envy():
    # a few star mentors everyone wants: someone values another startup's team more than its own
    from matcher.data.synth import synthetic_programme

    startups, mentors = synthetic_programme(30, 12, "correlated", seed=0)
    result = matcher.match_cohort(matcher.load_cohort(startups=startups, mentors=mentors, k=3))
    table = envy_table(result.assignment, result.problem)
    assert (table["envy"] > 0).any()
    worst = table.loc[table["envy"].idxmax()]
    names = {s.id: s.name for s in result.cohort.startups}
    sentence = fairness_section(result)["sentences"][0]
    assert f"{names[worst['startup_id']]}, by {worst['envy']:.3f} points" in sentence
    assert f"against {names[worst['envies']]}" in sentence
    assert f"{int((table['envy'] > 0).sum())} of {len(table)} startups" in sentence
    assert f"{int(table['ef1'].sum())} of {len(table)} are envy-free up to one mentor" in sentence


def test_soft_rules_broken_are_listed_with_their_cost(cohort):
    # three academics for every startup cannot be met beside the industry quota: priced, not refused
    quotas = dict(cohort.rules.quotas)
    quotas["academic"] = {"kinds": ("professor", "scientist"), "min": 3}
    result = matcher.match_cohort(cohort.with_rules(quotas=quotas, soft={"academic": 0.05}))
    a = result.assignment
    broken = soft_violations(result.problem, a.rows, a.cols)
    assert len(broken) > 0
    soft = fairness_section(result)["soft"]
    assert soft is not None and len(soft[1]) == len(broken)
    assert np.isclose(sum(row[-1] for row in soft[1]), broken["cost"].sum(), atol=1e-3)
    html = render_report(result)
    assert "Soft rules broken" in html


def test_a_randomised_draw_states_its_expected_score(cohort):
    result = matcher.match_cohort(cohort.with_rules(objective="randomised", max_probability=0.5,
                                                    quotas={}))
    info = result.assignment.info
    sentence = next(s for s in fairness_section(result)["sentences"] if "randomised" in s)
    assert "50%" in sentence
    assert f"{info['expected_score']:.3f}" in sentence
    ratio = float(re.search(r"(\d+\.\d)% of the best", sentence).group(1))
    assert abs(ratio - 100 * info["expected_ratio"]) < 0.06


def test_envy_is_left_out_above_its_size_limit_and_said_so(cohort, monkeypatch):
    from matcher.app import fairness

    monkeypatch.setattr(fairness, "ENVY_MAX_STARTUPS", 3)
    sentence = fairness_section(matcher.match_cohort(cohort))["sentences"][0]
    assert sentence.startswith("Envy: not computed for 9 startups")
