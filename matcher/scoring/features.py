"""Profile vectors: what a startup or mentor is about, as numbers.

:class:`ProfileVectorizer` is a scikit-learn style transformer. ``fit`` learns the TF-IDF vocabulary
from a cohort's texts (startup descriptions and mentor expertise); ``transform`` turns startups or
mentors into :class:`ProfileVectors` with one named block per aspect:

* ``text``: TF-IDF of the description / expertise (sublinear tf, English stop words), L2-normalised;
* ``domain``: the AI-domain taxonomy embedding, where a node also weighs on its ancestors, so a
  mentor in ``vision`` partly matches a startup in ``vision/medical-imaging``;
* ``support``: the support areas a startup needs (most important first, weights summing to 1)
  or a mentor offers (0/1);
* ``languages``: the mentoring languages (0/1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from matcher.data.models import Cohort, Mentor, Startup
from matcher.data.taxonomy import DEFAULT_TAXONOMY, SUPPORT_AREAS, Taxonomy

__all__ = ["ProfileVectorizer", "ProfileVectors", "profile_text", "need_weights"]

Profile = Startup | Mentor


@dataclass(frozen=True, eq=False)
class ProfileVectors:
    """Vectors of n profiles, one block per aspect, rows in the order given.

    Attributes
    ----------
    ids : array of shape (n,)
    text : sparse matrix of shape (n, n_terms), rows L2-normalised
    domain : array of shape (n, n_domains), rows L2-normalised
    support : array of shape (n, n_support_areas)
    languages : array of shape (n, n_languages)
    """

    ids: np.ndarray
    text: sp.csr_matrix
    domain: np.ndarray
    support: np.ndarray
    languages: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def stacked(self) -> sp.csr_matrix:
        """All blocks side by side, for maps and nearest-neighbour searches."""
        return sp.hstack([self.text, self.domain, self.support, self.languages], format="csr")


def profile_text(profile: Profile) -> str:
    """The free text that describes a profile (a startup's description, a mentor's expertise)."""
    return profile.description if isinstance(profile, Startup) else profile.expertise


def need_weights(n: int) -> np.ndarray:
    """Weights of a ranked list of ``n`` needs: most important first, summing to 1.

    >>> need_weights(3).round(3).tolist()
    [0.5, 0.333, 0.167]
    """
    raw = np.arange(n, 0, -1, dtype=float)
    return raw / raw.sum() if n else raw


class ProfileVectorizer(TransformerMixin, BaseEstimator):
    """Turn startups and mentors into :class:`~matcher.scoring.features.ProfileVectors`.

    Parameters
    ----------
    taxonomy : Taxonomy
        The AI-domain tree; defaults to the one shipped with matcher.
    primary_weight : float, default 1.5
        Extra weight of a startup's primary (first) domain over its others.
    ngram_range, min_df, max_features :
        Passed to scikit-learn's ``TfidfVectorizer`` (with ``sublinear_tf=True`` and English stop
        words).

    Attributes
    ----------
    text_vectorizer_ : TfidfVectorizer
        The fitted TF-IDF model.
    vocabulary_ : dict
        Term → column of the ``text`` block.
    languages_ : tuple of str
        Language names seen in ``fit``, in column order.

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
                 max_features: int | None = None):
        self.taxonomy = taxonomy
        self.primary_weight = primary_weight
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, profiles: Cohort | Iterable[Profile], y: None = None) -> ProfileVectorizer:
        """Learn the vocabulary and languages from a cohort or a list of startups and mentors."""
        items = _profiles(profiles)
        if not items:
            raise ValueError("ProfileVectorizer.fit needs at least one startup or mentor")
        self.text_vectorizer_ = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", ngram_range=self.ngram_range,
            min_df=self.min_df, max_features=self.max_features, dtype=np.float64)
        self.text_vectorizer_.fit([profile_text(p) for p in items])
        self.vocabulary_ = self.text_vectorizer_.vocabulary_
        self.languages_ = tuple(sorted({lang for p in items for lang in p.languages}))
        return self

    def transform(self, profiles: Cohort | Iterable[Profile]) -> ProfileVectors:
        """Vectors for startups or mentors (rows in the order given)."""
        check_is_fitted(self, "text_vectorizer_")
        items = _profiles(profiles)
        text = self.text_vectorizer_.transform([profile_text(p) for p in items]).tocsr()
        primary = [self.primary_weight if isinstance(p, Startup) else 1.0 for p in items]
        domain = np.zeros((len(items), len(self.taxonomy)))
        for row, (p, weight) in enumerate(zip(items, primary)):
            domain[row] = self.taxonomy.embed([p.domains], primary_weight=weight)[0]
        return ProfileVectors(
            ids=np.array([p.id for p in items], dtype=object),
            text=text,
            domain=domain,
            support=_support(items),
            languages=_languages(items, self.languages_),
        )

    def fit_transform(self, profiles, y=None, **fit_params):  # type: ignore[override]
        """Fit on ``profiles`` and return their vectors (``fit(profiles).transform(profiles)``)."""
        return self.fit(profiles).transform(profiles)


def _profiles(profiles: Cohort | Iterable[Profile]) -> Sequence[Profile]:
    if isinstance(profiles, Cohort):
        return [*profiles.startups, *profiles.mentors]
    return list(profiles)


def _support(items: Sequence[Profile]) -> np.ndarray:
    out = np.zeros((len(items), len(SUPPORT_AREAS)))
    column = {area: j for j, area in enumerate(SUPPORT_AREAS)}
    for row, p in enumerate(items):
        if isinstance(p, Startup):
            for area, weight in zip(p.needs, need_weights(len(p.needs))):
                out[row, column[area]] = weight
        else:
            out[row, [column[a] for a in p.offers]] = 1.0
    return out


def _languages(items: Sequence[Profile], known: tuple[str, ...]) -> np.ndarray:
    column = {lang: j for j, lang in enumerate(known)}
    out = np.zeros((len(items), len(known)))
    for row, p in enumerate(items):
        cols = [column[lang] for lang in p.languages if lang in column]
        out[row, cols] = 1.0
    return out
