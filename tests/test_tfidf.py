"""The TF-IDF without scikit-learn gives scikit-learn's ``TfidfVectorizer`` exactly, and so the scores.

Equality is checked with ``np.array_equal`` (to the last bit), not a tolerance: stored results are
hashed with their scores, and a score that moved by one ulp would be a different result.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN_STOP_WORDS
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils._param_validation import InvalidParameterError

from matcher.data.io import load_cohort
from matcher.scoring.affinity import AffinityModel, score_cohort
from matcher.scoring.features import ProfileSettings, fit_profile_model, reference_corpus
from matcher.scoring.items import item_text, profile_document, profile_items
from matcher.scoring.tfidf import ENGLISH_STOP_WORDS, fit_term_weights
from matcher.scoring.vectorizer import ProfileVectorizer
from tests.conftest import DATA

#: Words that make ties in counts, stop words, one-letter tokens, case and punctuation.
WORDS = ["vision", "Vision", "x-ray", "the", "and", "a", "of", "deep", "learning", "ai", "AI", "robot",
         "fintech", "credit", "risk", "hong", "kong", "café", "naïve", "3d", "x", "i", "data", "co2",
         "supply", "chain", "chains", "...", "e.g.", "machine", "machine-learning", "under_score"]
documents = st.lists(st.one_of(st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
                               st.text(max_size=30)), min_size=1, max_size=12)
ngram_ranges = st.sampled_from([(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)])
min_dfs = st.one_of(st.integers(0, 4), st.sampled_from([0.0, 0.2, 0.5, 1.0]))
max_features = st.one_of(st.none(), st.integers(1, 15))


def _sklearn_or_error(texts, **kw):
    try:
        return TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float64, **kw).fit(texts)
    except InvalidParameterError as exc:  # matcher's message names the parameter in its own words
        return ValueError(re.search(r"'(\w+)' parameter", str(exc)).group(1))
    except ValueError as exc:
        return ValueError(re.escape(str(exc)))


def _sklearn_fixed_idf(vectorizer: TfidfVectorizer, corpus) -> np.ndarray:
    """The reference IDF as matcher computed it with scikit-learn."""
    counter = CountVectorizer(vocabulary=vectorizer.vocabulary_, binary=True, stop_words="english",
                              ngram_range=vectorizer.ngram_range)
    frequency = np.asarray(counter.transform(corpus).sum(axis=0)).ravel()
    return np.log((1 + len(corpus)) / (1 + frequency)) + 1


def _assert_same_matrix(expected, got):
    assert type(got) is type(expected) and got.shape == expected.shape
    assert got.indices.dtype == expected.indices.dtype and got.has_sorted_indices
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)  # to the last bit


def test_the_stop_words_are_scikit_learns():
    assert ENGLISH_STOP_WORDS == SKLEARN_STOP_WORDS


@settings(max_examples=300)
@given(texts=documents, others=documents, corpus=documents, ngram_range=ngram_ranges, min_df=min_dfs,
       max_features=max_features)
def test_tfidf_equals_scikit_learns(texts, others, corpus, ngram_range, min_df, max_features):
    kw = {"ngram_range": ngram_range, "min_df": min_df, "max_features": max_features}
    expected = _sklearn_or_error(texts, **kw)
    if isinstance(expected, ValueError):  # nothing left, min_df above the number of texts, min_df=0
        with pytest.raises(ValueError, match=str(expected)):
            fit_term_weights(texts, **kw)
        return
    weights = fit_term_weights(texts, **kw)
    assert weights.vocabulary == expected.vocabulary_
    assert weights.feature_names().tolist() == expected.get_feature_names_out().tolist()
    assert np.array_equal(weights.idf, expected.idf_)
    for batch in (texts, others):
        _assert_same_matrix(expected.transform(batch), weights.transform(batch))
    fixed = weights.with_idf_from(corpus)
    assert np.array_equal(fixed.idf, _sklearn_fixed_idf(expected, corpus))
    expected.idf_ = _sklearn_fixed_idf(expected, corpus)
    _assert_same_matrix(expected.transform(others), fixed.transform(others))


@pytest.mark.parametrize("kw", [{"ngram_range": (0, 1)}, {"ngram_range": (2, 1)}, {"min_df": -1},
                                {"min_df": 1.5}, {"min_df": True}, {"max_features": 0}])
def test_bad_parameters_are_refused_by_name(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        fit_term_weights(["red apple"], **kw)


class _SklearnProfiles:
    """Profile vectors whose text blocks come from scikit-learn, as matcher computed them before."""

    def __init__(self, cohort, settings: ProfileSettings):
        self.model = fit_profile_model(cohort, settings)
        profiles = [*cohort.startups, *cohort.mentors]
        self.text_vectorizer_ = TfidfVectorizer(sublinear_tf=True, stop_words="english",
                                                ngram_range=settings.ngram_range, min_df=settings.min_df,
                                                max_features=settings.max_features, dtype=np.float64)
        self.text_vectorizer_.fit([profile_document(p) for p in profiles])
        if settings.idf == "reference":
            self.text_vectorizer_.idf_ = _sklearn_fixed_idf(self.text_vectorizer_, reference_corpus())

    def transform(self, profiles):
        texts = self.text_vectorizer_.transform([profile_document(p) for p in profiles]).tocsr()
        items = [item_text(item) for p in profiles for item in profile_items(p)]
        return replace(self.model.transform(profiles), text=texts,
                       items=self.text_vectorizer_.transform(items).tocsr())


@pytest.mark.parametrize("folder", ["spring-2026", "autumn-2026", "labelled-example"])
def test_score_cohort_gives_the_scores_of_scikit_learns_tfidf(folder):
    cohort = load_cohort(DATA / folder)
    rules = cohort.rules
    expected = AffinityModel(weights=rules.weights, require_common_language=rules.require_common_language,
                             vectorizer=_SklearnProfiles(cohort, ProfileSettings())).fit(cohort).score(cohort)
    assert np.array_equal(score_cohort(cohort).values, expected.values)
    for settings_ in (ProfileSettings(idf="reference", half_life=3.0),
                      ProfileSettings(ngram_range=(1, 3), min_df=2, max_features=60)):
        scale = "absolute" if settings_.idf == "reference" else "cohort"
        ours = AffinityModel(vectorizer=settings_, scale=scale).fit(cohort).score(cohort)
        old = AffinityModel(vectorizer=_SklearnProfiles(cohort, settings_), scale=scale).fit(cohort)
        assert np.array_equal(ours.values, old.score(cohort).values)


def test_the_estimator_computes_through_the_model_and_exposes_a_fitted_tfidf():
    cohort = load_cohort(DATA / "labelled-example")
    vec = ProfileVectorizer(idf="reference", min_df=2).fit(cohort)
    model = vec.profile_model_
    texts = [profile_document(p) for p in cohort.mentors]
    _assert_same_matrix(model.terms.transform(texts), vec.text_vectorizer_.transform(texts))
    assert vec.text_vectorizer_.get_feature_names_out().tolist() == model.terms.feature_names().tolist()
    assert vec.vocabulary_ == model.terms.vocabulary
    _assert_same_matrix(model.transform(cohort.mentors).text, vec.transform(cohort.mentors).text)
    plain = vec.transform(cohort.mentors).item_weight
    # a weight set after fit counts at transform, as it always has (it only shapes transform)
    vec.set_params(half_life=2.0)
    assert not np.array_equal(vec.transform(cohort.mentors).item_weight, plain)
    assert np.array_equal(clone(vec).fit(cohort).transform(cohort.mentors).item_weight,
                          vec.transform(cohort.mentors).item_weight)
