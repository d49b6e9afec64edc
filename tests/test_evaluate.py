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
