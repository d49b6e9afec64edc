"""The ``scoring`` rule: a programme chooses its scorer in programme.yaml, a job file or keywords."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.app.batch import load_jobs, run_batch
from matcher.app.store import Store
from matcher.data.io import load_cohort
from matcher.data.rules import Rules, rules_from_json, rules_to_json
from matcher.errors import InputError
from matcher.scoring.affinity import AffinityModel, score_cohort
from matcher.scoring.blockwise import score_blockwise
from matcher.scoring.embeddings import MissingExtraError, with_embedding_text
from matcher.scoring.features import ProfileVectorizer
from tests.conftest import DATA

SPRING, LABELLED = DATA / "spring-2026", DATA / "labelled-example"
_LABELLED_COHORT = load_cohort(LABELLED)
#: The labelled example's programme: its evidence items carry years and kinds, so every setting counts.
PROGRAMME = "k: 2\nweights: {text: 0.4, domain: 0.35, needs: 0.15, language: 0.1}\n"


def _folder(tmp_path: Path, source: Path, scoring: str | None) -> Path:
    """A copy of ``source`` whose programme.yaml has the given ``scoring`` line (none: left out)."""
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    path = folder / "programme.yaml"
    text = path.read_text() if path.exists() else PROGRAMME
    path.write_text(text + (f"scoring: {scoring}\n" if scoring is not None else ""))
    return folder


def _python_scores(cohort, **settings):
    rules = cohort.rules
    return AffinityModel(weights=rules.weights, require_common_language=rules.require_common_language,
                         **settings).fit(cohort).score(cohort)


def test_programme_yaml_aggregation_max_scores_as_the_python_model(tmp_path):
    cohort = load_cohort(_folder(tmp_path, LABELLED, "{aggregation: max}"))
    assert cohort.rules.scoring == {"aggregation": "max"}
    from_file = score_cohort(cohort)
    in_python = _python_scores(cohort, aggregation="max")
    assert np.array_equal(from_file.values, in_python.values)
    assert np.array_equal(from_file.forbidden, in_python.forbidden)
    # and it is a different scorer: the default reads the mean of the top three items
    assert not np.array_equal(from_file.values, _python_scores(cohort).values)


def test_every_setting_from_the_file_scores_as_python_and_blockwise(tmp_path):
    scoring = "{aggregation: mean, scale: absolute, half_life: 3, kind_weights: {talk: 0.25, paper: 2}}"
    cohort = load_cohort(_folder(tmp_path, LABELLED, scoring))
    vectorizer = ProfileVectorizer(idf="reference", half_life=3.0, kind_weights={"talk": 0.25, "paper": 2.0})
    in_python = _python_scores(cohort, aggregation="mean", scale="absolute", vectorizer=vectorizer)
    from_file = score_cohort(cohort)
    assert np.array_equal(from_file.values, in_python.values)
    for rows in (2, 4):  # the batch path: blocks of startups on Dask, the same model of the rules
        assert np.array_equal(score_blockwise(cohort, block_rows=rows).values, from_file.values)
    without_weights = _python_scores(cohort, aggregation="mean", scale="absolute")
    assert not np.array_equal(from_file.values, without_weights.values)  # recency and kind count


def test_embeddings_from_the_file_score_as_with_embedding_text(tmp_path):
    cohort = load_cohort(_folder(tmp_path, LABELLED, "{aggregation: max, embeddings: true}"))
    assert cohort.rules.scoring["embeddings"] == "wordllama"
    expected = with_embedding_text(_python_scores(cohort, aggregation="max"), cohort, model="wordllama",
                                   aggregation="max")
    scores = score_cohort(cohort)
    assert np.array_equal(scores.values, expected.values)
    assert np.array_equal(score_blockwise(cohort, block_rows=3).values, scores.values)


def test_a_missing_embedding_extra_is_one_line_saying_how_to_install_it(tmp_path, monkeypatch, capsys):
    from matcher.app.cli import main

    folder = _folder(tmp_path, SPRING, "{embeddings: wordllama}")
    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if the extra were not installed
    with pytest.raises(MissingExtraError) as caught:
        score_cohort(load_cohort(folder))
    assert "\n" not in str(caught.value) and "pip install 'matcher[embeddings]'" in str(caught.value)
    assert main(["match", str(folder), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "pip install 'matcher[embeddings]'" in err and "Traceback" not in err


def test_a_bad_scoring_value_is_refused_naming_the_file_and_key(tmp_path):
    scoring = "{aggregation: maxx, top_k: 0, half_life: -2, kind_weights: {tallk: 1, paper: -1}, colour: red}"
    with pytest.raises(InputError) as caught:
        load_cohort(_folder(tmp_path, SPRING, scoring))
    found = {(p.source, p.field) for p in caught.value.problems}
    keys = ("aggregation", "top_k", "half_life", "kind_weights.tallk", "kind_weights.paper", "colour")
    assert found == {("programme.yaml", f"scoring.{key}") for key in keys}
    text = str(caught.value)
    assert "'maxx' is not one of top-k, max, mean, document (did you mean 'max'?" in text
    assert "unknown kind 'tallk' (did you mean 'talk'?" in text
    with pytest.raises(InputError, match=r"programme.yaml, field 'scoring': 'max' is not a mapping"):
        load_cohort(_folder(tmp_path / "flat", SPRING, "max"))


def test_match_cohort_keyword_overrides_the_scorer(tmp_path):
    cohort = load_cohort(SPRING)
    result = matcher.match_cohort(cohort, scoring={"aggregation": "max", "top_k": 2})
    assert result.rules.scoring == {"aggregation": "max", "top_k": 2}
    # scored as filed, then the screened-out startups' rows dropped
    expected = _python_scores(cohort, aggregation="max", top_k=2).subset(result.scores.startup_ids)
    assert np.array_equal(result.scores.values, expected.values)
    with pytest.raises(InputError, match=r"match_cohort, field 'scoring.top_k': 0 is below 1"):
        matcher.match_cohort(cohort, scoring={"top_k": 0})


def test_job_file_override_scores_the_same_locally_and_in_blocks(tmp_path):
    folder = _folder(tmp_path, LABELLED, None)
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(f"""\
out: {tmp_path / 'out'}
jobs:
  - {{name: max, cohort: {folder}, scoring: {{aggregation: max}}}}
  - {{name: max-blocks, cohort: {folder}, scoring: {{aggregation: max}}, block_rows: 4}}
  - {{name: default, cohort: {folder}}}
""")
    batch = run_batch(jobs)
    assert [j.state for j in batch.jobs] == ["done"] * 3
    expected = matcher.match_cohort(folder, scoring={"aggregation": "max"}).assignments
    pairs = {j.job.name: pd.read_csv(j.job.out / "assignments.csv") for j in batch.jobs}
    for name in ("max", "max-blocks"):
        assert pairs[name]["score"].round(12).tolist() == expected["score"].round(12).tolist()
    assert pairs["default"]["score"].round(12).tolist() != pairs["max"]["score"].round(12).tolist()
    jobs.write_text(f"jobs:\n  - {{name: bad, cohort: {SPRING}, scoring: {{aggregation: mx}}}}\n")
    with pytest.raises(InputError, match=r"jobs.yaml, row 2, field 'scoring.aggregation'.*mean 'max'"):
        load_jobs(jobs)


def test_the_default_scorer_is_unchanged_bit_for_bit(tmp_path):
    assert Rules().scoring == {} and "scoring" not in rules_to_json(Rules())  # stored, hashed as before
    cohort = load_cohort(SPRING)
    default = score_cohort(cohort)
    assert np.array_equal(default.values, _python_scores(cohort).values)
    spelled_out = ("{aggregation: top-k, top_k: 3, scale: cohort, half_life: null, kind_weights: {},"
                   " embeddings: false}")
    explicit = load_cohort(_folder(tmp_path, SPRING, spelled_out))
    assert np.array_equal(score_cohort(explicit).values, default.values)
    blocks = [score_blockwise(c, block_rows=4).values for c in (cohort, explicit)]
    assert np.array_equal(blocks[0], blocks[1])


def test_scoring_round_trips_through_json_and_the_store(tmp_path):
    rules = Rules(scoring={"aggregation": "mean", "half_life": "4", "kind_weights": {"talk": 0.5},
                           "embeddings": "no"})
    assert rules.scoring == {"aggregation": "mean", "half_life": 4.0, "kind_weights": {"talk": 0.5},
                             "embeddings": None}
    assert rules_from_json(rules_to_json(rules)) == rules
    cohort = load_cohort(SPRING).with_rules(scoring={"aggregation": "max", "scale": "absolute"})
    result = matcher.match_cohort(cohort)
    with Store(f"sqlite:///{tmp_path / 'matcher.db'}") as store:
        run_id = store.record(result, cohort=cohort, inputs_hash="h", job="max")
    with Store(f"sqlite:///{tmp_path / 'matcher.db'}") as store:
        stored = store.load_cohort(run_id)
    assert stored.rules.scoring == {"aggregation": "max", "scale": "absolute"}
    assert np.array_equal(score_cohort(stored).values, score_cohort(cohort).values)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(aggregation=st.sampled_from(["top-k", "max", "mean", "document"]), top_k=st.integers(1, 4),
       scale=st.sampled_from(["cohort", "absolute"]), half_life=st.none() | st.floats(0.5, 20),
       talk=st.none() | st.floats(0, 3), block_rows=st.integers(1, 7))
def test_any_scoring_scores_alike_from_rules_in_python_and_in_blocks(aggregation, top_k, scale, half_life,
                                                                      talk, block_rows):
    scoring = {"aggregation": aggregation, "top_k": top_k, "scale": scale, "half_life": half_life}
    if talk is not None:
        scoring["kind_weights"] = {"talk": talk}
    cohort = _LABELLED_COHORT.with_rules(scoring=scoring)
    vectorizer = None
    if half_life is not None or talk is not None:
        idf = "reference" if scale == "absolute" else "cohort"
        vectorizer = ProfileVectorizer(idf=idf, half_life=half_life,
                                       kind_weights=None if talk is None else {"talk": talk})
    expected = _python_scores(cohort, aggregation=aggregation, top_k=top_k, scale=scale,
                              vectorizer=vectorizer)
    scores = score_cohort(cohort)
    assert np.array_equal(scores.values, expected.values)
    # blocks take other BLAS paths for their products: equal to rounding, and usually exactly
    blocks = score_blockwise(cohort, block_rows=block_rows)
    assert np.allclose(blocks.values, scores.values, rtol=0, atol=1e-12)
