"""Profile vectors: what a startup or mentor is about, as numbers.

:func:`fit_profile_model` learns the TF-IDF vocabulary from a cohort's texts (startup descriptions
and mentor expertise); the fitted :class:`ProfileModel` turns startups or mentors into
:class:`ProfileVectors` with one named block per aspect:

* ``text``: TF-IDF of the whole profile (description / expertise and evidence items; sublinear tf,
  English stop words), L2-normalised;
* ``items``: TF-IDF of each item of each profile (see :mod:`matcher.scoring.items`), rows
  L2-normalised, with the position of each item's owner and its weight (recency, kind);
* ``domain``: the AI-domain taxonomy embedding, where a node also weighs on its ancestors, so a
  mentor in ``vision`` partly matches a startup in ``vision/medical-imaging``;
* ``support``: the support areas a startup needs (most important first, weights summing to 1)
  or a mentor offers (0/1);
* ``languages``: the mentoring languages (0/1).

Notes
-----
With ``idf="cohort"`` (the default) the inverse document frequencies are learned from the cohort,
so a profile's vector, and every text similarity, changes a little when a profile joins or
leaves the cohort. With ``idf="reference"`` they come from a fixed reference corpus shipped with
matcher (``reference_corpus.txt``; a word it lacks counts as rare), so a pair's vectors depend on
the two profiles alone.

:class:`~matcher.scoring.vectorizer.ProfileVectorizer`, the scikit-learn transformer (still importable
from here), computes through the same model; scoring itself imports no scikit-learn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import scipy.sparse as sp

from matcher.data.models import Cohort, Mentor, Startup
from matcher.data.taxonomy import DEFAULT_TAXONOMY, SUPPORT_AREAS, Taxonomy
from matcher.scoring.items import item_text, item_weights, profile_document, profile_items
from matcher.scoring.tfidf import TermWeights, fit_term_weights

# ProfileVectorizer comes from the module's __getattr__, on first use
__all__ = ["ProfileVectorizer", "ProfileVectors", "ProfileSettings", "ProfileModel",  # noqa: F822
           "fit_profile_model", "profile_text", "need_weights", "reference_corpus", "IDF_MODES"]

#: Where the inverse document frequencies come from.
IDF_MODES = ("cohort", "reference")

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
    items : sparse matrix of shape (n_items, n_terms), rows L2-normalised
        Every item of every profile, profile by profile.
    item_owner : int array of shape (n_items,)
        The row (profile) each item belongs to, non-decreasing.
    item_weight : array of shape (n_items,)
        Each item's weight (recency and kind; 1 by default).
    """

    ids: np.ndarray
    text: sp.csr_matrix
    domain: np.ndarray
    support: np.ndarray
    languages: np.ndarray
    items: sp.csr_matrix | None = None
    item_owner: np.ndarray | None = None
    item_weight: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def stacked(self) -> sp.csr_matrix:
        """All blocks side by side, for maps and nearest-neighbour searches."""
        return sp.hstack([self.text, self.domain, self.support, self.languages], format="csr")


def profile_text(profile: Profile) -> str:
    """The free text that describes a profile (a startup's description, a mentor's expertise).

    >>> profile_text(Startup("s1", "Scan", ("vision",), "X-ray triage"))
    'X-ray triage'
    """
    return profile.description if isinstance(profile, Startup) else profile.expertise


@cache
def reference_corpus() -> tuple[str, ...]:
    """The fixed corpus of ``idf="reference"``: startup and mentor texts shipped with matcher.

    >>> len(reference_corpus()) > 50
    True
    """
    text = resources.files("matcher.scoring").joinpath("reference_corpus.txt").read_text("utf-8")
    return tuple(line for line in text.splitlines() if line.strip() and not line.startswith("#"))


def need_weights(n: int) -> np.ndarray:
    """Weights of a ranked list of ``n`` needs: most important first, summing to 1.

    >>> need_weights(3).round(3).tolist()
    [0.5, 0.333, 0.167]
    """
    raw = np.arange(n, 0, -1, dtype=float)
    return raw / raw.sum() if n else raw


@dataclass(frozen=True, eq=False)
class ProfileSettings:
    """How profiles become vectors: the parameters of a :class:`ProfileModel`, before fitting.

    Parameters
    ----------
    taxonomy : Taxonomy
        The AI-domain tree; defaults to the one shipped with matcher.
    primary_weight : float, default 1.5
        Extra weight of a startup's primary (first) domain over its others.
    ngram_range, min_df, max_features :
        Of the TF-IDF (:func:`~matcher.scoring.tfidf.fit_term_weights`: English stop words,
        sublinear tf). ``min_df`` above 1 and ``max_features`` choose terms by their counts in
        the cohort.
    idf : {"cohort", "reference"} or sequence of str, default "cohort"
        Learn the inverse document frequencies from the cohort, or from a fixed corpus (the one
        shipped with matcher, or the texts given) so that scores do not move with the cohort.
    half_life : float, optional
        Recency weight of items: a weight halves for every ``half_life`` years an item is older
        than its owner's newest item. Default: no recency weight.
    kind_weights : mapping of str to float, optional
        Weight of items by kind (``paper``, ``talk``, ... and ``expertise`` for lines of the
        expertise text); a kind not named weighs 1.

    Examples
    --------
    >>> ProfileSettings(half_life=4.0).half_life
    4.0
    """

    taxonomy: Taxonomy = DEFAULT_TAXONOMY
    primary_weight: float = 1.5
    ngram_range: tuple[int, int] = (1, 2)
    min_df: int | float = 1
    max_features: int | None = None
    idf: str | Sequence[str] = "cohort"
    half_life: float | None = None
    kind_weights: Mapping[str, float] | None = None

    def fit(self, profiles: Cohort | Iterable[Profile]) -> ProfileModel:
        """The model learned from ``profiles`` with these settings (:func:`fit_profile_model`)."""
        return fit_profile_model(profiles, self)

    def check(self) -> None:
        """Refuse a value out of range, naming the parameter (the TF-IDF checks its own)."""
        if isinstance(self.idf, str) and self.idf not in IDF_MODES:
            raise ValueError(f"idf must be 'cohort', 'reference' or a list of texts; got {self.idf!r}")
        life = self.half_life
        number = isinstance(life, int | float) and not isinstance(life, bool)
        if life is not None and not (number and life > 0):
            raise ValueError(f"half_life must be a number of years above 0, or None; got {self.half_life!r}")
        for kind, weight in (self.kind_weights or {}).items():
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise ValueError(f"kind_weights[{kind!r}] must be a number of 0 or more; got {weight!r}")


@dataclass(frozen=True, eq=False)
class ProfileModel:
    """A fitted profile model: turns startups and mentors into :class:`ProfileVectors`.

    Built by :func:`fit_profile_model`; scikit-learn's interface to it is
    :class:`~matcher.scoring.vectorizer.ProfileVectorizer`.

    Attributes
    ----------
    settings : ProfileSettings
    terms : TermWeights
        The TF-IDF vocabulary and inverse document frequencies.
    languages : tuple of str
        Language names seen in fitting, in column order.
    n_reference_documents : int
        Documents the inverse document frequencies were learned from.

    Examples
    --------
    >>> from matcher.data.models import Mentor, Startup
    >>> s = Startup("s1", "Scan", ("vision/medical-imaging",), "AI triage of chest X-ray images",
    ...             needs=("technology",), languages=("English",))
    >>> m = Mentor("m1", "Ho", "professor", ("vision",), "Medical imaging and X-ray deep learning", 2,
    ...            offers=("technology", "domain"), languages=("English", "Cantonese"))
    >>> model = fit_profile_model([s, m])
    >>> sv, mv = model.transform([s]), model.transform([m])
    >>> round((sv.domain @ mv.domain.T).item(), 3)
    0.447
    """

    settings: ProfileSettings
    terms: TermWeights
    languages: tuple[str, ...]
    n_reference_documents: int

    def transform(self, profiles: Cohort | Iterable[Profile]) -> ProfileVectors:
        """Vectors for startups or mentors (rows in the order given)."""
        items = _profiles(profiles)
        settings = self.settings
        text = self.terms.transform([profile_document(p) for p in items])
        listed = [profile_items(p) for p in items]
        flat = [item for group in listed for item in group]
        owner = np.repeat(np.arange(len(items)), [len(group) for group in listed])
        item_vectors = self.terms.transform([item_text(item) for item in flat])
        domain = np.zeros((len(items), len(settings.taxonomy)))
        for row, p in enumerate(items):
            weight = settings.primary_weight if isinstance(p, Startup) else 1.0
            domain[row] = settings.taxonomy.embed([p.domains], primary_weight=weight)[0]
        return ProfileVectors(
            ids=np.array([p.id for p in items], dtype=object),
            text=text,
            domain=domain,
            support=_support(items),
            languages=_languages(items, self.languages),
            items=item_vectors,
            item_owner=owner,
            item_weight=item_weights(flat, owner, half_life=settings.half_life,
                                     kind_weights=settings.kind_weights),
        )

    def feature_names(self) -> np.ndarray:
        """The column names of :meth:`ProfileVectors.stacked`, an object array.

        >>> from matcher.data.models import Startup
        >>> s = Startup("s1", "A", ("vision",), "X-ray triage")
        >>> model = fit_profile_model([s], ProfileSettings(ngram_range=(1, 1)))
        >>> names = model.feature_names()
        >>> names[:2].tolist(), len(names) == model.transform([s]).stacked().shape[1]
        (['text__ray', 'text__triage'], True)
        """
        terms = [f"text__{t}" for t in self.terms.feature_names()]
        nodes = [f"domain__{name}" for name in self.settings.taxonomy.nodes]
        return np.array([*terms, *nodes, *(f"support__{a}" for a in SUPPORT_AREAS),
                         *(f"language__{lang}" for lang in self.languages)], dtype=object)


def fit_profile_model(profiles: Cohort | Iterable[Profile],
                      settings: ProfileSettings | None = None) -> ProfileModel:
    """Learn the TF-IDF vocabulary and the languages from a cohort, or startups and mentors.

    Parameters
    ----------
    profiles : Cohort or iterable of Startup and Mentor
    settings : ProfileSettings, optional
        By default those of :func:`~matcher.scoring.affinity.score_cohort`'s default scorer.

    Raises
    ------
    ValueError
        No profile, or a setting out of range.

    Examples
    --------
    >>> from matcher.data.io import load_cohort
    >>> model = fit_profile_model(load_cohort("data/spring-2026"))
    >>> model.n_reference_documents, model.languages[:2]
    (47, ('Cantonese', 'English'))
    """
    settings = ProfileSettings() if settings is None else settings
    items = _profiles(profiles)
    if not items:
        raise ValueError("ProfileVectorizer.fit needs at least one startup or mentor")
    settings.check()
    documents = [profile_document(p) for p in items]
    terms = fit_term_weights(documents, ngram_range=settings.ngram_range, min_df=settings.min_df,
                             max_features=settings.max_features)
    n_documents = len(documents)
    if not isinstance(settings.idf, str) or settings.idf == "reference":
        corpus = reference_corpus() if isinstance(settings.idf, str) else list(settings.idf)
        terms, n_documents = terms.with_idf_from(corpus), len(corpus)
    languages = tuple(sorted({lang for p in items for lang in p.languages}))
    return ProfileModel(settings, terms, languages, n_documents)


def __getattr__(name: str) -> Any:
    # The scikit-learn estimator lives in its own module so that scoring a cohort does not import
    # scikit-learn (most of a second); imports of it from here keep working.
    if name == "ProfileVectorizer":
        from matcher.scoring.vectorizer import ProfileVectorizer

        return ProfileVectorizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
