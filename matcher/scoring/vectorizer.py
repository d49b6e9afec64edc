"""The scikit-learn transformer of profile vectors: :class:`ProfileVectorizer`.

It learns and computes through :func:`~matcher.scoring.features.fit_profile_model`, so its vectors
are those :func:`~matcher.scoring.affinity.score_cohort` scores with; it lives in a module of its
own because importing scikit-learn costs most of a second, which scoring and the command line do
not pay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from matcher.data.models import Cohort
from matcher.data.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from matcher.scoring.features import Profile, ProfileModel, ProfileSettings, ProfileVectors, fit_profile_model
from matcher.scoring.tfidf import TermWeights

__all__ = ["ProfileVectorizer"]


class ProfileVectorizer(TransformerMixin, BaseEstimator):
    """Turn startups and mentors into :class:`~matcher.scoring.features.ProfileVectors`.

    Parameters
    ----------
    taxonomy : Taxonomy
        The AI-domain tree; defaults to the one shipped with matcher.
    primary_weight : float, default 1.5
        Extra weight of a startup's primary (first) domain over its others.
    ngram_range, min_df, max_features :
        As scikit-learn's ``TfidfVectorizer`` takes them (with ``sublinear_tf=True`` and English
        stop words). ``min_df`` above 1 and ``max_features`` choose terms by their counts in the
        cohort.
    idf : {"cohort", "reference"} or sequence of str, default "cohort"
        Learn the inverse document frequencies from the cohort, or from a fixed corpus (the one
        shipped with matcher, or the texts given) so that scores do not move with the cohort.
    half_life : float, optional
        Recency weight of items: a weight halves for every ``half_life`` years an item is older
        than its owner's newest item. Default: no recency weight.
    kind_weights : mapping of str to float, optional
        Weight of items by kind (``paper``, ``talk``, ... and ``expertise`` for lines of the
        expertise text); a kind not named weighs 1.

    Attributes
    ----------
    profile_model_ : ProfileModel
        The fitted model that computes the vectors.
    text_vectorizer_ : TfidfVectorizer
        A fitted scikit-learn TF-IDF with the learned vocabulary and weights (its ``transform``
        gives the ``text`` block).
    vocabulary_ : dict
        Term → column of the ``text`` block.
    languages_ : tuple of str
        Language names seen in ``fit``, in column order.
    n_reference_documents_ : int
        Documents the inverse document frequencies were learned from.

    Examples
    --------
    >>> from matcher.data.models import Mentor, Startup
    >>> s = Startup("s1", "Scan", ("vision/medical-imaging",), "AI triage of chest X-ray images",
    ...             needs=("technology",), languages=("English",))
    >>> m = Mentor("m1", "Ho", "professor", ("vision",), "Medical imaging and X-ray deep learning", 2,
    ...            offers=("technology", "domain"), languages=("English", "Cantonese"))
    >>> vec = ProfileVectorizer().fit([s, m])
    >>> sv, mv = vec.transform([s]), vec.transform([m])
    >>> round((sv.domain @ mv.domain.T).item(), 3)
    0.447
    """

    def __init__(self, *, taxonomy: Taxonomy = DEFAULT_TAXONOMY, primary_weight: float = 1.5,
                 ngram_range: tuple[int, int] = (1, 2), min_df: int | float = 1,
                 max_features: int | None = None, idf: str | Sequence[str] = "cohort",
                 half_life: float | None = None, kind_weights: Mapping[str, float] | None = None):
        self.taxonomy = taxonomy
        self.primary_weight = primary_weight
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.idf = idf
        self.half_life = half_life
        self.kind_weights = kind_weights

    def _settings(self) -> ProfileSettings:
        # the estimator's parameters are the settings' fields, name for name
        return ProfileSettings(**self.get_params(deep=False))

    def fit(self, profiles: Cohort | Iterable[Profile], y: None = None) -> ProfileVectorizer:
        """Learn the vocabulary and languages from a cohort or a list of startups and mentors."""
        model = fit_profile_model(profiles, self._settings())
        self.profile_model_ = model
        self.text_vectorizer_ = _tfidf_vectorizer(model.terms, self.min_df, self.max_features)
        self.vocabulary_ = self.text_vectorizer_.vocabulary_
        self.n_reference_documents_ = model.n_reference_documents
        self.languages_ = model.languages
        return self

    def _model(self) -> ProfileModel:
        check_is_fitted(self, "text_vectorizer_")
        # parameters that only shape transform (weights, taxonomy) are read now, as set_params
        # after fit has always allowed
        return replace(self.profile_model_, settings=self._settings())

    def get_feature_names_out(self, input_features: None = None) -> np.ndarray:
        """The column names of :meth:`transform`'s
        :meth:`~matcher.scoring.features.ProfileVectors.stacked`.

        >>> from matcher.data.models import Startup
        >>> s = Startup("s1", "A", ("vision",), "X-ray triage")
        >>> vec = ProfileVectorizer(ngram_range=(1, 1)).fit([s])
        >>> names = vec.get_feature_names_out()
        >>> names[:2].tolist(), len(names) == vec.transform([s]).stacked().shape[1]
        (['text__ray', 'text__triage'], True)
        """
        return self._model().feature_names()

    def transform(self, profiles: Cohort | Iterable[Profile]) -> ProfileVectors:
        """Vectors for startups or mentors (rows in the order given)."""
        return self._model().transform(profiles)

    def fit_transform(self, profiles, y=None, **fit_params):  # type: ignore[override]
        """Fit on ``profiles`` and return their vectors (``fit(profiles).transform(profiles)``)."""
        return self.fit(profiles).transform(profiles)


def _tfidf_vectorizer(terms: TermWeights, min_df: int | float, max_features: int | None) -> TfidfVectorizer:
    """A fitted scikit-learn ``TfidfVectorizer`` holding ``terms``: it transforms texts as
    :meth:`~matcher.scoring.tfidf.TermWeights.transform` does, for code written against it."""
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=terms.ngram_range,
                                 min_df=min_df, max_features=max_features, dtype=np.float64)
    vectorizer.vocabulary_ = dict(terms.vocabulary)
    vectorizer.idf_ = terms.idf.copy()
    return vectorizer
