"""Affinity scores: every startup–mentor pair, from named components that add up exactly.

A pair's score is ``sum(weights[c] * components[c])`` over the components

* ``text``: cosine similarity (TF-IDF) of the startup's profile to each of the mentor's evidence
  items, aggregated over the items (:mod:`matcher.scoring.items`: the mean of the three most
  similar by default), then scaled: by default divided by the cohort's largest one (short texts
  share few words, so raw cosines stay small and would leave the text weight with little effect);
* ``domain``: cosine similarity of their AI-domain taxonomy vectors;
* ``needs``: the share of the startup's needs (weighted, most important first) the mentor offers;
* ``language``: the share of the startup's languages the mentor speaks;
* ``preference``: the stated preferences (startup ranks, mentor bids) normalised as described in
  :mod:`matcher.data.preferences`. It is 0 for a cohort without stated preferences and then weighs 0, so
  such cohorts score exactly as they would without it; with stated preferences it weighs the
  programme's ``weights.preference``, or 0.2 when the programme does not say.

Every component lies in [0, 1].

Notes
-----
Two parts of the ``text`` component depend on the whole cohort when ``scale="cohort"`` (the
default): the TF-IDF weights are learned from the cohort's texts, and the similarities are
divided by the cohort's largest. A profile joining the cohort can therefore move every pair's
text score (and so its total), though rarely the order of a startup's mentors. With
``scale="absolute"`` the weights come from a fixed reference corpus and the similarity is divided
by a fixed constant (:data:`ABSOLUTE_TEXT_SCALE`) and clipped to 1, so a pair's score depends on
the two profiles and the programme's weights alone. The other components never depend on the
cohort.

Conflicts of interest, pairs the programme forbids, and (when the
programme requires it) pairs without a common language are hard rules: ``Scores.forbidden``,
not small penalties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from matcher.data.models import DEFAULT_WEIGHTS, Cohort, Rules
from matcher.data.preferences import DEFAULT_PREFERENCE_WEIGHT, bid_no_mask, preference_component
from matcher.data.score_rule_checks import scoring_settings
from matcher.data.vocabulary import COMPONENTS, SCALES
from matcher.errors import InputError, InputProblem
from matcher.scoring.features import ProfileModel, ProfileSettings, ProfileVectors
from matcher.scoring.items import AGGREGATIONS, aggregate

if TYPE_CHECKING:  # scikit-learn's estimator is accepted, never imported here (it costs most of a second)
    from matcher.scoring.vectorizer import ProfileVectorizer

__all__ = ["Scores", "AffinityModel", "score_cohort", "COMPONENTS", "SCALES", "ABSOLUTE_TEXT_SCALE",
           "text_similarity", "scale_similarity", "rules_model", "with_rules_embeddings"]


#: In the absolute scale, the raw similarity that counts as a full match (1). Chosen so that the
#: sample cohorts' strongest text matches (raw cosines of 0.12-0.15) reach about 1, as in the cohort scale.
ABSOLUTE_TEXT_SCALE = 0.15

#: Startups whose item similarities are computed at once (bounds the memory of large cohorts).
_BLOCK_ROWS = 1024


@dataclass(frozen=True, eq=False)
class Scores:
    """Scores of every pair with ids beside them and the components kept for explanations.

    Attributes
    ----------
    values : array of shape (n_startups, n_mentors)
        ``sum(weights[c] * components[c])``, summed in the order of ``components``.
    startup_ids, mentor_ids : arrays of shape (n_startups,) and (n_mentors,)
    components : mapping of str to array of shape (n_startups, n_mentors)
        Unweighted components, each in [0, 1].
    weights : mapping of str to float
    forbidden : bool array of shape (n_startups, n_mentors)
        Pairs that must not be made, for any of the ``reasons``.
    reasons : mapping of str to bool array of shape (n_startups, n_mentors)
        Why pairs are forbidden (``conflict``, ``language``, ``bid`` (the mentor said no), ``rules``).

    Examples
    --------
    >>> import matcher
    >>> scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
    >>> frame = scores.to_frame()  # forbidden pairs are missing values
    >>> frame.shape, bool(frame.isna().to_numpy().any())
    ((11, 36), True)
    """

    values: np.ndarray
    startup_ids: np.ndarray
    mentor_ids: np.ndarray
    components: Mapping[str, np.ndarray]
    weights: Mapping[str, float]
    forbidden: np.ndarray
    reasons: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(n_startups, n_mentors)."""
        return self.values.shape

    def weighted(self, name: str) -> np.ndarray:
        """A component times its weight: its share of ``values``."""
        return self.weights[name] * self.components[name]

    def to_frame(self, *, forbidden: str = "missing") -> pd.DataFrame:
        """The score matrix as a DataFrame (index = startup ids, columns = mentor ids).

        Forbidden pairs are written as missing values (NaN; a blank cell in CSV), so that they
        cannot be lost on the way to :func:`matcher.assign`, which refuses missing scores unless
        told ``missing="forbid"``. ``forbidden="keep"`` writes their scores instead.

        Examples
        --------
        >>> s = Scores(np.array([[0.9, 0.4]]), np.array(["s1"]), np.array(["a", "b"]), {}, {},
        ...            np.array([[False, True]]))
        >>> s.to_frame().values.tolist(), s.to_frame(forbidden="keep").values.tolist()
        ([[0.9, nan]], [[0.9, 0.4]])
        """
        if forbidden not in ("missing", "keep"):
            raise ValueError(f"forbidden must be 'missing' or 'keep', got {forbidden!r}")
        values = self.values if forbidden == "keep" else np.where(self.forbidden, np.nan, self.values)
        return pd.DataFrame(values, index=pd.Index(self.startup_ids, name="startup_id"),
                            columns=pd.Index(self.mentor_ids, name="mentor_id"))

    def subset(self, startup_ids: Sequence[Any] | None = None,
               mentor_ids: Sequence[Any] | None = None) -> Scores:
        """The scores of some startups and mentors, in the order given, exactly as they were.

        Raises
        ------
        InputError
            An id has no row or column here.

        Examples
        --------
        >>> s = Scores(np.arange(6.0).reshape(2, 3), np.array(["s1", "s2"]), np.array(["a", "b", "c"]),
        ...            {}, {}, np.zeros((2, 3), dtype=bool))
        >>> s.subset(["s2"], ["c", "a"]).values.tolist()
        [[5.0, 3.0]]
        """
        rows = _positions(self.startup_ids, startup_ids, "startup")
        cols = _positions(self.mentor_ids, mentor_ids, "mentor")
        if rows is None and cols is None:
            return self
        rows = np.arange(self.shape[0]) if rows is None else rows
        cols = np.arange(self.shape[1]) if cols is None else cols
        grid = np.ix_(rows, cols)
        return Scores(self.values[grid], self.startup_ids[rows], self.mentor_ids[cols],
                      {k: v[grid] for k, v in self.components.items()}, dict(self.weights),
                      self.forbidden[grid], {k: v[grid] for k, v in self.reasons.items()})

    def pair_table(self, rows: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
        """One row per given pair: ids, score and each weighted component (they add up to the score)."""
        table = {"startup_id": self.startup_ids[rows], "mentor_id": self.mentor_ids[cols],
                 "score": self.values[rows, cols]}
        for name in self.components:
            table[name] = self.weighted(name)[rows, cols]
        return pd.DataFrame(table)


def _positions(ids: np.ndarray, wanted: Sequence[Any] | None, kind: str) -> np.ndarray | None:
    """Positions of ``wanted`` among ``ids``; None when all of them, in order, are wanted."""
    if wanted is None or list(wanted) == list(ids):
        return None
    index = {v: i for i, v in enumerate(ids)}
    missing = [str(v) for v in wanted if v not in index]
    if missing:
        raise InputError([InputProblem("argument 'scores'", None, None,
                                       f"has no {kind} {', '.join(missing[:6])}",
                                       "score the same cohort you match")])
    return np.array([index[v] for v in wanted], dtype=np.int64)


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    merged = dict(DEFAULT_WEIGHTS if weights is None else weights)
    problems = []
    for name, value in merged.items():
        if name not in COMPONENTS:
            problems.append(InputProblem("programme.yaml", None, "weights", f"unknown component '{name}'",
                                         f"use {', '.join(COMPONENTS)}"))
        elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            problems.append(InputProblem("programme.yaml", None, "weights",
                                         f"weight of '{name}' is {value!r}", "use a number of 0 or more"))
    if problems:
        raise InputError(problems)
    return {name: float(merged.get(name, 0.0)) for name in COMPONENTS}


class AffinityModel:
    """Scores a cohort's startup–mentor pairs from profile vectors.

    Parameters
    ----------
    weights : mapping of str to float, optional
        Weight of each component; defaults to ``text 0.35, domain 0.35, needs 0.2, language 0.1``.
        A component left out weighs 0.
    require_common_language : bool, default True
        Forbid pairs that share no language.
    vectorizer : ProfileVectorizer, ProfileSettings or ProfileModel, optional
        Fitted on the cohort by :meth:`fit` unless already fitted. By default one whose IDF
        follows ``scale`` (the cohort's, or the reference corpus' for ``"absolute"``).
    aggregation : {"top-k", "max", "mean", "document"}, default "top-k"
        How a mentor's item similarities become the pair's (see :mod:`matcher.scoring.items`).
    top_k : int, default 3
        Items averaged by ``"top-k"``.
    scale : {"cohort", "absolute"}, default "cohort"
        Scale the text similarity by the cohort's largest, or by a fixed constant (stable scores:
        see the Notes of :mod:`matcher.scoring.affinity`).

    Attributes
    ----------
    vectorizer_ : ProfileVectorizer or ProfileModel
        The fitted vectoriser (a :class:`~matcher.scoring.features.ProfileModel` unless given one).

    Examples
    --------
    >>> from matcher.data.io import load_cohort
    >>> cohort = load_cohort("data/spring-2026")
    >>> scores = AffinityModel().fit(cohort).score(cohort)
    >>> scores.shape
    (11, 36)
    >>> parts = sum(scores.weighted(c) for c in scores.components)
    >>> bool((parts == scores.values).all())
    True
    """

    def __init__(self, *, weights: Mapping[str, float] | None = None, require_common_language: bool = True,
                 vectorizer: ProfileVectorizer | ProfileSettings | ProfileModel | None = None,
                 aggregation: str = "top-k", top_k: int = 3, scale: str = "cohort"):
        self.weights = weights
        self.require_common_language = require_common_language
        self.vectorizer = vectorizer
        self.aggregation = aggregation
        self.top_k = top_k
        self.scale = scale

    def fit(self, cohort: Cohort) -> AffinityModel:
        """Fit the vectoriser on the cohort's texts."""
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {', '.join(AGGREGATIONS)}; "
                             f"got {self.aggregation!r}")
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {self.scale!r}")
        self.weights_ = _weights(self.weights)
        if isinstance(self.vectorizer, ProfileModel) or hasattr(self.vectorizer, "text_vectorizer_"):
            self.vectorizer_ = self.vectorizer  # fitted already
        else:
            idf = "reference" if self.scale == "absolute" else "cohort"
            self.vectorizer_ = (self.vectorizer or ProfileSettings(idf=idf)).fit(cohort)
        return self

    def score(self, cohort: Cohort) -> Scores:
        """Scores of every pair of the cohort."""
        if not hasattr(self, "vectorizer_"):
            raise ValueError("AffinityModel is not fitted yet: call fit(cohort) first")
        s = self.vectorizer_.transform(cohort.startups)
        m = self.vectorizer_.transform(cohort.mentors)
        components = component_matrices(s, m, aggregation=self.aggregation, top_k=self.top_k,
                                        scale=self.scale)
        return assemble_scores(cohort, s.ids, m.ids, components, self.weights_,
                               given_weights=self.weights,
                               require_common_language=self.require_common_language)


def assemble_scores(cohort: Cohort, startup_ids: np.ndarray, mentor_ids: np.ndarray,
                    components: Mapping[str, np.ndarray], weights: Mapping[str, float], *,
                    given_weights: Mapping[str, float] | None,
                    require_common_language: bool) -> Scores:
    """Scores from the profile components: stated preferences, the weighted sum, the hard rules.

    ``components`` holds the unweighted text, domain, needs and language matrices; the cohort's
    stated preferences add the ``preference`` component (weight 0.2 unless ``given_weights``
    names one). The sum runs in the order of :data:`COMPONENTS`, so explanations that add the
    weighted components in that order get the score exactly. Forbidden: conflicts of interest, a
    mentor's "no" bid, and (when required) pairs with no common language.
    """
    components, weights = dict(components), dict(weights)
    prefs = cohort.preferences
    if prefs is not None:
        capacity = [mentor.capacity for mentor in cohort.mentors]
        components["preference"] = preference_component(prefs, startup_ids, mentor_ids, capacity)
        if "preference" not in (DEFAULT_WEIGHTS if given_weights is None else given_weights):
            weights["preference"] = DEFAULT_PREFERENCE_WEIGHT
    else:
        components["preference"] = np.zeros(components["text"].shape)
    values = np.zeros(components["text"].shape)
    for name in COMPONENTS:
        values = values + weights[name] * components[name]
    reasons = {"conflict": conflict_mask(cohort)}
    if require_common_language:
        reasons["language"] = components["language"] == 0
    if prefs is not None:
        reasons["bid"] = bid_no_mask(prefs, startup_ids, mentor_ids)
    forbidden = np.logical_or.reduce(list(reasons.values()))
    return Scores(values, startup_ids, mentor_ids, components, weights, forbidden, reasons)


def text_similarity(s: ProfileVectors, m: ProfileVectors, *, aggregation: str = "top-k",
                    top_k: int = 3) -> np.ndarray:
    """Raw text similarity of every pair (before scaling), array of shape (n_startups, n_mentors).

    Each startup's profile vector against each of the mentors' item vectors, aggregated per
    mentor (``"document"``: against the mentor's whole-profile vector). Startups are taken in
    blocks, so the item similarities of a large cohort never sit in memory all at once.

    Examples
    --------
    >>> from matcher.data.models import Mentor, Startup
    >>> s = Startup("s1", "Scan", ("vision",), "chest x-ray triage")
    >>> lines = "retail pricing\\nsupply chains\\nchest x-ray triage"
    >>> m = Mentor("m1", "Ho", "professor", ("vision",), lines, 2)
    >>> from matcher.scoring.features import fit_profile_model
    >>> model = fit_profile_model([s, m])
    >>> sv, mv = model.transform([s]), model.transform([m])
    >>> [round(float(text_similarity(sv, mv, aggregation=a)[0, 0]), 3) for a in ("max", "document")]
    [1.0, 0.49]
    """
    if aggregation == "document" or m.items is None:
        return np.asarray((s.text @ m.text.T).todense())
    out = np.zeros((len(s), len(m)))
    items_t = m.items.T.tocsc()
    for start in range(0, len(s), _BLOCK_ROWS):
        block = s.text[start:start + _BLOCK_ROWS] @ items_t
        out[start:start + _BLOCK_ROWS] = aggregate(block, m.item_owner, m.item_weight, len(m),
                                                    how=aggregation, k=top_k)
    return out


def scale_similarity(similarity: np.ndarray, scale: str = "cohort",
                     constant: float = ABSOLUTE_TEXT_SCALE) -> np.ndarray:
    """Similarities scaled to [0, 1]: divided by their largest (``"cohort"``) or by ``constant``.

    >>> scale_similarity(np.array([[0.1, 0.2]])).tolist()
    [[0.5, 1.0]]
    >>> scale_similarity(np.array([[0.1, 0.6]]), "absolute").round(3).tolist()
    [[0.667, 1.0]]
    """
    peak = similarity.max(initial=0.0) if scale == "cohort" else constant
    scaled = similarity / peak if peak > 0 else similarity
    return np.clip(scaled, 0.0, 1.0)


def component_matrices(s: ProfileVectors, m: ProfileVectors, *, aggregation: str = "top-k", top_k: int = 3,
                       scale: str = "cohort") -> dict[str, np.ndarray]:
    """The unweighted component matrices, each of shape (n_startups, n_mentors) in [0, 1]."""
    text = scale_similarity(text_similarity(s, m, aggregation=aggregation, top_k=top_k), scale)
    domain = s.domain @ m.domain.T
    needs = s.support @ m.support.T
    spoken = s.languages.sum(axis=1, keepdims=True)
    language = np.divide(s.languages @ m.languages.T, spoken, out=np.zeros((len(s), len(m))),
                         where=spoken > 0)
    return {"text": text, "domain": np.clip(domain, 0.0, 1.0), "needs": np.clip(needs, 0.0, 1.0),
            "language": language}


def conflict_mask(cohort: Cohort) -> np.ndarray:
    """True where a mentor declared a conflict with a startup."""
    row = {s.id: i for i, s in enumerate(cohort.startups)}
    mask = np.zeros((len(cohort.startups), len(cohort.mentors)), dtype=bool)
    for j, mentor in enumerate(cohort.mentors):
        mask[[row[s] for s in mentor.conflicts if s in row], j] = True
    return mask


def rules_model(rules: Rules) -> AffinityModel:
    """The unfitted :class:`AffinityModel` of a programme's rules: weights, language rule, ``scoring``.

    :func:`score_cohort` and :func:`~matcher.scoring.blockwise.score_blockwise` both build theirs here.

    >>> from matcher.data.rules import Rules
    >>> model = rules_model(Rules(scoring={"aggregation": "max", "half_life": 5}))
    >>> model.aggregation, model.vectorizer.half_life
    ('max', 5.0)
    """
    settings = scoring_settings(rules.scoring)
    vectorizer = None  # the default one: scores stay bit for bit those of a programme without scoring
    if settings["half_life"] is not None or settings["kind_weights"]:
        vectorizer = ProfileSettings(idf="reference" if settings["scale"] == "absolute" else "cohort",
                                     half_life=settings["half_life"], kind_weights=settings["kind_weights"])
    return AffinityModel(weights=rules.weights, require_common_language=rules.require_common_language,
                         vectorizer=vectorizer, aggregation=settings["aggregation"],
                         top_k=settings["top_k"], scale=settings["scale"])


def with_rules_embeddings(scores: Scores, cohort: Cohort) -> Scores:
    """``scores`` with the semantic text component if ``scoring.embeddings`` asks (else ``scores``).

    Raises :class:`~matcher.scoring.embeddings.MissingExtraError` (one line saying how to install
    the extra) when the model's package is not installed.

    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> with_rules_embeddings(scores := matcher.score_cohort(cohort), cohort) is scores
    True
    """
    settings = scoring_settings(cohort.rules.scoring)
    if settings["embeddings"] is None:
        return scores
    from matcher.scoring.embeddings import with_embedding_text

    return with_embedding_text(scores, cohort, model=settings["embeddings"],
                               aggregation=settings["aggregation"], top_k=settings["top_k"],
                               scale=settings["scale"], half_life=settings["half_life"],
                               kind_weights=settings["kind_weights"] or None)


def score_cohort(cohort: Cohort) -> Scores:
    """Scores of a cohort under its own rules: weights, language requirement and ``scoring``.

    Tells a progress listener (:mod:`matcher.data.progress`) when it starts, fits and is done.

    Parameters
    ----------
    cohort : Cohort
        As loaded by :func:`matcher.load_cohort`.

    Returns
    -------
    Scores
        Every pair's score, its components and the forbidden pairs.

    Raises
    ------
    MissingExtraError
        ``scoring.embeddings`` names a model whose package is not installed.

    Examples
    --------
    >>> import matcher
    >>> scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
    >>> scores.shape, list(scores.components)[:3]
    ((11, 36), ['text', 'domain', 'needs'])
    """
    import time

    from matcher.data.progress import report

    started = time.perf_counter()
    size = f"{len(cohort.startups):,} startups × {len(cohort.mentors):,} mentors"
    report("score", f"{size}: reading the profiles")
    model = rules_model(cohort.rules).fit(cohort)
    report("score", f"{size}: scoring every pair", elapsed=time.perf_counter() - started, final=True)
    scores = with_rules_embeddings(model.score(cohort), cohort)
    report("score", f"{size}: done", elapsed=time.perf_counter() - started, final=True)
    return scores
