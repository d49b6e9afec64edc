"""Scorer evaluation from ratings: the loss by hand, top-k, and weight fitting on held-out ratings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import matcher
from matcher.errors import InputError
from matcher.insight.evaluate import fit_weights, ranking_loss, top_k_accuracy


def tiny():
    return pd.DataFrame({"mentor_id": ["m1"] * 3 + ["m2"] * 3, "startup_id": ["s1", "s2", "s3"] * 2,
                         "rating": [5, 3, 1, 4, 4, 2]})


def test_loss_equals_hand_computed_value():
    # m1: (s1>s2) reversed costs 2, (s1>s3) reversed costs 4, (s2>s3) tied costs 1 -> 7 of 8
    # m2: s1 and s2 are rated alike (no comparison); (s1>s3) right; (s2>s3) reversed costs 2 -> 2 of 4
    scores = pd.DataFrame([[0.2, 0.9], [0.5, 0.1], [0.5, 0.3]], index=["s1", "s2", "s3"],
                          columns=["m1", "m2"])
    assert ranking_loss(tiny(), scores) == pytest.approx(9 / 12)
    # reversed scorer: m1's tie still costs 1; m2's (s1>s3) is now reversed and costs 2 -> 3 of 12
    assert ranking_loss(tiny(), -scores) == pytest.approx(3 / 12)
    assert ranking_loss(tiny(), np.full(6, 3.0)) == 0.5
    assert ranking_loss(tiny(), tiny()["rating"].to_numpy()) == 0.0
    assert top_k_accuracy(tiny(), scores, k=1) == 0.5
    assert top_k_accuracy(tiny(), scores, k=3) == 1.0
    assert top_k_accuracy(tiny(), np.zeros(6), k=2) == 0.0  # ties are broken against the scorer


def test_bad_ratings_are_refused_by_row():
    bad = tiny().assign(rating=[5, 3, 9, 4, 4, 2])
    with pytest.raises(InputError, match="ratings, row 4, field 'rating': '9' is not a rating"):
        ranking_loss(bad, np.zeros(6))


def test_weight_fitting_lowers_held_out_loss():
    scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
    names = ("text", "domain", "needs", "language")
    truth = {"text": 0.1, "domain": 0.2, "needs": 0.6, "language": 0.1}
    rng = np.random.default_rng(7)
    latent = sum(truth[c] * scores.components[c] for c in names)
    latent = latent + rng.normal(0, 0.03, latent.shape)
    cuts = np.quantile(latent, [0.2, 0.4, 0.6, 0.8])
    frame = pd.DataFrame(1 + np.searchsorted(cuts, latent), index=scores.startup_ids,
                         columns=scores.mentor_ids)
    ratings = frame.stack().rename("rating").rename_axis(["startup_id", "mentor_id"]).reset_index()
    ratings = ratings.sample(frac=0.7, random_state=1).reset_index(drop=True)
    # hold out a third of the mentors entirely
    mentors = np.array(sorted(ratings.mentor_id.unique()))
    held = set(rng.choice(mentors, size=len(mentors) // 3, replace=False))
    train, test = ratings[~ratings.mentor_id.isin(held)], ratings[ratings.mentor_id.isin(held)]
    fit = fit_weights(train.reset_index(drop=True), scores, components=names, n_splits=4, seed=0)
    fitted = sum(fit.weights[c] * scores.components[c] for c in names)
    frame_of = lambda m: pd.DataFrame(m, index=scores.startup_ids, columns=scores.mentor_ids)  # noqa: E731
    held_fitted = ranking_loss(test.reset_index(drop=True), frame_of(fitted))
    held_default = ranking_loss(test.reset_index(drop=True), scores)
    assert held_fitted < held_default
    assert fit.cv_loss < fit.baseline_cv_loss and len(fit.folds) == 4
    assert abs(sum(fit.weights.values()) - 1) < 1e-9 and fit.weights["needs"] >= 0.4


def test_sample_ratings_file_and_command(tmp_path, capsys):
    from matcher.app.cli import main
    from matcher.data.io import read_ratings

    cohort = matcher.load_cohort("data/spring-2026")
    ratings = read_ratings("data/spring-2026/ratings.csv", cohort)
    assert len(ratings) == 151 and set(ratings["rating"]) == {1.0, 2.0, 3.0, 4.0, 5.0}
    scores = matcher.score_cohort(cohort)
    loss = ranking_loss(ratings, scores)
    assert 0 < loss < 0.5  # the scorer orders pairs better than chance, not perfectly
    assert main(["evaluate", "data/spring-2026", "data/spring-2026/ratings.csv", "--top", "2"]) == 0
    assert f"ranking loss {loss:.4f}" in capsys.readouterr().out
    bad = tmp_path / "ratings.csv"
    bad.write_text("startup_id,mentor_id,rating\ns-facetrust,m-kwok-hoi-lam,4\ns-facetrust,m-nobody,6\n")
    with pytest.raises(InputError) as err:
        read_ratings(bad, cohort)
    problems = [str(p) for p in err.value.problems]
    assert problems[0].startswith("ratings.csv, row 3, field 'mentor_id': names unknown id 'm-nobody'")
    assert problems[1].startswith("ratings.csv, row 3, field 'rating': '6' is not a rating from 1 to 5")
    assert main(["evaluate", "data/spring-2026", str(bad)]) == 2


def labelled():
    from matcher.data.io import read_ratings

    cohort = matcher.load_cohort("data/labelled-example")
    return cohort, read_ratings("data/labelled-example/ratings.csv", cohort)


def test_the_labelled_example_rates_every_pair_with_a_rationale():
    cohort, ratings = labelled()
    assert len(ratings) == len(cohort.startups) * len(cohort.mentors) == 36
    assert ratings["rationale"].str.len().min() >= 9  # "No speech." is a rationale too
    assert sum(len(m.evidence) for m in cohort.mentors) == 6 and cohort.startups[0].evidence
    # each mentor's expertise lists several items, one per line
    assert all(len(m.expertise.splitlines()) >= 3 for m in cohort.mentors)


def test_compared_losses_agree_with_the_loss_and_their_intervals_hold_them():
    from matcher.insight.compare import DEFAULT_CONFIGS, ScorerConfig, compare_scorers, score_config

    cohort, ratings = labelled()
    configs = [c for c in DEFAULT_CONFIGS if c.embeddings is None]
    result = compare_scorers(cohort, ratings, configs, n_boot=500, seed=3, cache=False)
    table = result.table.set_index("config")
    assert list(table.index) == [c.name for c in configs] and not result.skipped
    for config in configs:
        row = table.loc[config.name]
        assert row.ci_low <= row.loss <= row.ci_high and row.ci_low >= 0 and row.ci_high <= 1
        if not config.fitted:  # the same number as the loss computed on its own
            assert row.loss == pytest.approx(ranking_loss(ratings, score_config(cohort, config)[0]))
    assert table.iloc[0][["vs_first", "vs_first_low", "vs_first_high"]].tolist() == [0, 0, 0]
    # reading items one by one orders this example's experts better than one document per mentor
    assert table.loc["default (items: top-3 mean)", "loss"] < table.loc["one document (before items)", "loss"]
    # same seed, same numbers
    again = compare_scorers(cohort, ratings, configs, n_boot=500, seed=3, cache=False)
    pd.testing.assert_frame_equal(again.table, result.table)
    # reversed ratings reverse the loss: loss(reversed) = 1 - loss, comparison by comparison
    reverse = compare_scorers(cohort, ratings.assign(rating=6 - ratings["rating"]), [ScorerConfig("x")],
                              n_boot=100, cache=False)
    assert reverse.table.loss.iloc[0] == pytest.approx(1 - table.iloc[0].loss)


def test_compare_command_prints_the_table_and_writes_the_plot(tmp_path, capsys, monkeypatch):
    import sys

    from matcher.app.cli import main

    plot = tmp_path / "plots" / "scorers.png"
    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if the embeddings extra were missing
    args = ["evaluate", "data/labelled-example", "data/labelled-example/ratings.csv", "--compare",
            "--plot", str(plot), "--bootstrap", "200", "--cache-dir", str(tmp_path / "cache")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "default (items:" in out and "fitted weights" in out and "one document" in out
    skipped = [line for line in out.splitlines() if line.startswith("skipped")]
    assert skipped and all("pip install 'matcher[embeddings]'" in line for line in skipped)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in plot.parent.iterdir() if p.name.startswith(".")]  # no temporary file left
