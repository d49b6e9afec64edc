"""Plain language: sentences a founder reads, headings that say their units, and why two objectives agree."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import matcher
from matcher.app.report import render_documents
from matcher.insight.explain import runner_ups
from matcher.insight.plain import (
    domain_words,
    listing,
    need_words,
    needs_covered,
    objectives_compared,
    pair_sentences,
)
from matcher.insight.review import apply_decisions


@pytest.fixture(scope="module")
def spring():
    return matcher.match_cohort("data/spring-2026")


@pytest.mark.parametrize("folder", ["data/spring-2026", "data/autumn-2026"])
def test_every_sentence_names_the_pair_and_what_it_covers_without_jargon(folder):
    result = matcher.match_cohort(folder)
    startups = {s.id: s for s in result.cohort.startups}
    mentors = {m.id: m for m in result.cohort.mentors}
    lines = pair_sentences(result)
    assert len(lines) == len(result.assignments)
    for line, (s, m) in zip(lines, result.assignment.pairs[["startup_id", "mentor_id"]].values):
        startup, mentor = startups[s], mentors[m]
        assert line.startswith(f"{mentor.name} ({mentor.kind}") and startup.name in line
        covered = needs_covered(startup, mentor)
        assert set(covered) == set(startup.needs) & set(mentor.offers)
        if covered:
            help_ = listing(need_words(n) for n in covered)
            assert f"can help with {help_}, which {startup.name} asked for" in line
        # no numbers, no ids, no data vocabulary: the numbers stay in their own table
        assert not re.search(r"\d\.\d", line) and " s-" not in line and " m-" not in line
        assert "/" not in line.replace(mentor.organisation, "") and "strongest factor" not in line
        assert "go-to-market" not in line and "higher-scoring" not in line


def test_words_for_the_data_vocabulary():
    assert domain_words("vision/medical-imaging") == "medical imaging"
    assert need_words("cloud-compute") == "cloud and compute"
    assert listing(["a", "b", "c"]) == "a, b and c"


def test_same_matching_under_both_objectives_is_said_and_explained(spring):
    fair = matcher.match_cohort(spring.cohort, scores=spring.scores, objective="fair")
    assert set(map(tuple, fair.assignment.pairs[["startup_id", "mentor_id"]].values)) == \
        set(map(tuple, spring.assignment.pairs[["startup_id", "mentor_id"]].values))
    note = objectives_compared(fair, spring)
    worst = spring.startups["total"].idxmin()
    assert note.startswith("The fair and total objectives give the same matching.")
    name, total = spring.startups.at[worst, "name"], spring.startups["total"].min()
    assert f"({name}, total fit score {total:.3f})" in note


def test_different_matchings_say_what_the_fair_one_changes(spring):
    changed = apply_decisions(spring, pd.DataFrame({
        "startup_id": ["s-kindbot", "s-facetrust"], "mentor_id": ["m-li-jing", "m-kwok-hoi-lam"],
        "decision": ["pin", "drop"]})).after
    fair = matcher.match_cohort(changed.cohort, scores=changed.scores, objective="fair", solver="auto")
    note = objectives_compared(fair, changed)
    moved = len(set(zip(fair.assignments["startup_id"], fair.assignments["mentor_id"]))
                - set(zip(changed.assignments["startup_id"], changed.assignments["mentor_id"])))
    assert moved > 0 and f"give different matchings ({moved} pairs differ)" in note
    assert f"{fair.startups['total'].min():.3f} under fair" in note
    assert fair.startups["total"].min() >= changed.startups["total"].min() - 1e-9


def test_runner_ups_under_the_fair_objective_are_titled_by_what_changes(spring):
    fair = matcher.match_cohort(spring.cohort, scores=spring.scores, objective="fair")
    cards = render_documents(fair, "startups", runner_ups=runner_ups(fair, n=1, startups=["s-kindbot"]))
    assert "Change in the worst-served startup&#39;s total score if swapped in" in cards
    assert "Change in total score" not in cards
    runners = runner_ups(spring, n=1, startups=["s-kindbot"])
    total_cards = render_documents(spring, "startups", runner_ups=runners)
    assert "Change in total score if swapped in" in total_cards
