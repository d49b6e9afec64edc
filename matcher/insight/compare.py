"""Which scorer ranks experts best? Scorer configurations side by side on a labelled file.

A labelled file rates pairs (``startup_id``, ``mentor_id``, ``rating`` 1–5: how well the mentor's
expertise fits the startup, or how well the pair worked). :func:`compare_scorers` scores the
cohort under each :class:`ScorerConfig` — the default, per-item aggregations (mean, top-k, max),
the whole profile as one document, with or without the semantic (embedding) text, and component
weights fitted by cross-validation — and reports each one's pairwise ranking loss
(:func:`matcher.insight.evaluate.ranking_loss`: lower is better, 0.5 for a constant scorer) with
a bootstrap confidence interval over raters, and its difference from the first configuration.

Raters are the mentors: every comparison is between two startups rated for the same mentor, so a
mentor's comparisons are resampled together. The same resamples are used for every
configuration, so the differences are paired.

Weights fitted by cross-validation are scored out of fold: the ratings of each fold of mentors are
scored with weights fitted on the other folds only, so the loss reported is a held-out loss.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matcher.data.models import Cohort
from matcher.insight.evaluate import _check_ratings, _comparisons, _loss, _simplex, rated_scores
from matcher.scoring.affinity import AffinityModel, Scores

__all__ = ["ScorerConfig", "DEFAULT_CONFIGS", "Comparison", "compare_scorers", "score_config",
           "cross_validated_predictions"]


@dataclass(frozen=True)
class ScorerConfig:
    """One way to score a cohort.

    Attributes
    ----------
    name : str
    aggregation : {"top-k", "max", "mean", "document"}
    top_k : int
    embeddings : str, optional
        An embedding model (``"wordllama"``, ``"minilm"``) whose per-item similarity replaces the
        TF-IDF text component; ``None`` for TF-IDF.
    fitted : bool
        Fit the component weights by cross-validation over mentors (TF-IDF and, with
        ``embeddings``, the semantic text as separate components).
    scale : {"cohort", "absolute"}

    Examples
    --------
    >>> ScorerConfig("items: max", aggregation="max").embeddings is None
    True
    """

    name: str
    aggregation: str = "top-k"
    top_k: int = 3
    embeddings: str | None = None
    fitted: bool = False
    scale: str = "cohort"


#: The configurations ``matcher evaluate --compare`` runs, the default first.
DEFAULT_CONFIGS = (
    ScorerConfig("default (items: top-3 mean)"),
    ScorerConfig("one document (before items)", aggregation="document"),
    ScorerConfig("items: mean", aggregation="mean"),
    ScorerConfig("items: max", aggregation="max"),
    ScorerConfig("absolute scale", scale="absolute"),
    ScorerConfig("embeddings: top-3 mean", embeddings="wordllama"),
    ScorerConfig("embeddings: max", aggregation="max", embeddings="wordllama"),
    ScorerConfig("fitted weights (CV)", fitted=True),
    ScorerConfig("fitted weights (CV) + embeddings", fitted=True, embeddings="wordllama"),
)


@dataclass(frozen=True, eq=False)
class Comparison:
    """The result of :func:`compare_scorers`.

    Attributes
    ----------
    table : DataFrame
        One row per configuration run: ``config``, ``loss``, ``ci_low``, ``ci_high`` (the
        bootstrap interval), ``vs_first``, ``vs_first_low``, ``vs_first_high`` (loss minus the first
        configuration's, paired), ``raters``, ``comparisons``.
    skipped : list of str
        One line per configuration that could not run (e.g. an extra not installed).
    level : float
        Confidence level of the intervals.

    Examples
    --------
    >>> Comparison(pd.DataFrame({"config": ["default"], "loss": [0.2]})).level
    0.95
    """

    table: pd.DataFrame
    skipped: list[str] = field(default_factory=list)
    level: float = 0.95


def score_config(cohort: Cohort, config: ScorerConfig, *,
                 cache: bool | str | os.PathLike = True) -> tuple[Scores, dict[str, np.ndarray]]:
    """The cohort's scores under ``config`` (programme weights) and the components to fit over.

    Raises ``MissingExtraError`` (an ``ImportError``) when ``config.embeddings`` is not installed.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/labelled-example")
    >>> scores, parts = score_config(cohort, ScorerConfig("max", aggregation="max"))
    >>> scores.shape, sorted(parts)
    ((6, 6), ['domain', 'language', 'needs', 'preference', 'text'])
    """
    rules = cohort.rules
    model = AffinityModel(weights=rules.weights, require_common_language=rules.require_common_language,
                          aggregation=config.aggregation, top_k=config.top_k, scale=config.scale)
    scores = model.fit(cohort).score(cohort)
    parts = dict(scores.components)
    if config.embeddings is not None:
        from matcher.scoring.embeddings import embedding_text, with_embedding_text

        semantic = embedding_text(cohort, model=config.embeddings, aggregation=config.aggregation,
                                  top_k=config.top_k, scale=config.scale, cache=cache)
        parts["semantic"] = semantic
        if not config.fitted:
            scores = with_embedding_text(scores, cohort, model=config.embeddings,
                                         aggregation=config.aggregation, top_k=config.top_k,
                                         scale=config.scale, cache=cache)
    return scores, parts


def cross_validated_predictions(ratings: pd.DataFrame, parts: np.ndarray, *, n_splits: int = 5,
                                seed: int = 0, step: float = 0.1) -> np.ndarray:
    """Out-of-fold scores of the rated pairs under weights fitted on the other folds of mentors.

    Parameters
    ----------
    ratings : DataFrame
        Columns ``startup_id``, ``mentor_id``, ``rating``.
    parts : array of shape (n_ratings, n_components)
        Each component's value for each rated pair.

    Examples
    --------
    >>> ratings = pd.DataFrame({"mentor_id": list("aabbccdd"), "startup_id": list("xyxyxyxy"),
    ...                         "rating": [5, 1, 4, 2, 5, 3, 1, 4]})
    >>> parts = np.column_stack([ratings["rating"], np.zeros(8)])
    >>> cross_validated_predictions(ratings, parts, n_splits=2).round(2).tolist()  # rating × its weight
    [0.5, 0.1, 0.4, 0.2, 0.5, 0.3, 0.1, 0.4]
    """
    ratings = _check_ratings(ratings)
    grid = _simplex(parts.shape[1], int(round(1 / step)))
    predicted = parts @ grid.T
    better, worse, weight = _comparisons(ratings)
    mentors = np.array(sorted(ratings["mentor_id"].unique()), dtype=object)
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(mentors[rng.permutation(len(mentors))], np.arange(len(mentors)) % n_splits))
    fold = ratings["mentor_id"].map(fold_of).to_numpy()
    pair_fold = fold[better]
    out = np.zeros(len(ratings))
    for f in range(min(n_splits, len(mentors))):
        train = pair_fold != f
        losses = _loss(predicted, better[train], worse[train], weight[train]) if train.any() else None
        # a fold with nothing to learn from keeps equal weights
        even = np.full(parts.shape[1], 1 / parts.shape[1])
        best = grid[int(np.argmin(losses))] if losses is not None else even
        out[fold == f] = parts[fold == f] @ best
    return out


def _per_rater(ratings: pd.DataFrame, predicted: np.ndarray, codes: np.ndarray,
               comparisons: tuple[np.ndarray, np.ndarray, np.ndarray], n_raters: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Per rater: the cost of the scorer's mistakes and the largest possible cost."""
    better, worse, weight = comparisons
    gap = predicted[better] - predicted[worse]
    cost = weight * ((gap < 0) + 0.5 * (gap == 0))
    rater = codes[better]
    return (np.bincount(rater, weights=cost, minlength=n_raters),
            np.bincount(rater, weights=weight, minlength=n_raters))


def compare_scorers(cohort: Cohort, ratings: pd.DataFrame, configs: Sequence[ScorerConfig] = DEFAULT_CONFIGS,
                    *, n_boot: int = 2000, level: float = 0.95, seed: int = 0, n_splits: int = 5,
                    cache: bool | str | os.PathLike = True) -> Comparison:
    """Each configuration's ranking loss on ``ratings``, with bootstrap intervals over raters.

    Examples
    --------
    >>> import matcher
    >>> from matcher.data.io import read_ratings
    >>> cohort = matcher.load_cohort("data/labelled-example")
    >>> ratings = read_ratings("data/labelled-example/ratings.csv", cohort)
    >>> result = compare_scorers(cohort, ratings, DEFAULT_CONFIGS[:2], n_boot=200)
    >>> result.table[["config", "loss"]].round(3).values.tolist()
    [['default (items: top-3 mean)', 0.101], ['one document (before items)', 0.146]]
    """
    ratings = _check_ratings(ratings)
    comparisons = _comparisons(ratings)
    codes, raters = pd.factorize(ratings["mentor_id"])
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(raters), np.full(len(raters), 1 / len(raters)), size=n_boot)
    rows, skipped, first = [], [], None
    for config in configs:
        try:
            scores, parts = score_config(cohort, config, cache=cache)
        except ImportError as exc:
            skipped.append(f"{config.name}: {exc}")
            continue
        if config.fitted:
            names = [c for c in parts if np.ptp(rated_scores(ratings, _frame(scores, parts[c]))) > 0]
            columns = np.column_stack([rated_scores(ratings, _frame(scores, parts[c])) for c in names])
            predicted = cross_validated_predictions(ratings, columns, n_splits=n_splits, seed=seed)
        else:
            predicted = rated_scores(ratings, scores)
        cost, most = _per_rater(ratings, predicted, codes, comparisons, len(raters))
        boot = (draws @ cost) / np.maximum(draws @ most, 1e-300)
        first = (cost, most, boot) if first is None else first
        diff = boot - first[2]
        tail = (1 - level) / 2 * 100
        rows.append({"config": config.name, "loss": cost.sum() / most.sum(),
                     "ci_low": np.percentile(boot, tail), "ci_high": np.percentile(boot, 100 - tail),
                     "vs_first": cost.sum() / most.sum() - first[0].sum() / first[1].sum(),
                     "vs_first_low": np.percentile(diff, tail),
                     "vs_first_high": np.percentile(diff, 100 - tail),
                     "raters": len(raters), "comparisons": len(comparisons[0])})
    return Comparison(pd.DataFrame(rows), skipped, level)


def _frame(scores: Scores, matrix: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(matrix, index=scores.startup_ids, columns=scores.mentor_ids)
