"""How good is a scorer? Learn from the programme office's ratings of past pairs.

Programme offices rate how well pairs worked, 1 (poorly) to 5 (very well). Given such ratings,

* :func:`ranking_loss` measures how often, and how badly, a scorer orders pairs against them. For
  each mentor, every two startups it mentored with different ratings form a comparison; ordering
  them against the ratings costs the rating difference, a tie in the scorer costs half of it, and
  the total is divided by the largest possible cost (every comparison reversed). 0 is perfect,
  1 is everything reversed, and a constant scorer scores exactly 0.5.
* :func:`top_k_accuracy` is the share of mentors whose best-rated startup is among the scorer's
  ``k`` highest-scored of the startups that mentor rated.
* :func:`fit_weights` searches the component weights that minimise the loss, with the held-out
  loss estimated by cross-validation over mentors.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.errors import InputError, InputProblem

__all__ = ["ranking_loss", "top_k_accuracy", "fit_weights", "WeightFit", "rated_scores"]

RATING_COLUMNS = ("startup_id", "mentor_id", "rating")


def _check_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in RATING_COLUMNS if c not in ratings.columns]
    if missing:
        raise InputError([InputProblem("ratings", 1, c, "required column is missing",
                                       "columns: startup_id, mentor_id, rating (1-5)") for c in missing])
    values = pd.to_numeric(ratings["rating"], errors="coerce")
    bad = np.nonzero((values.isna() | (values < 1) | (values > 5)).to_numpy())[0]
    if len(bad):
        raise InputError([InputProblem("ratings", int(r) + 2, "rating",
                                       f"'{ratings['rating'].iloc[r]}' is not a rating from 1 to 5",
                                       "rate each pair 1 (poorly) to 5 (very well)") for r in bad[:20]])
    return ratings.assign(rating=values.astype(float)).reset_index(drop=True)


def rated_scores(ratings: pd.DataFrame, scores: Any) -> np.ndarray:
    """The scorer's value for each rated pair, in the order of ``ratings``.

    ``scores`` is a :class:`~matcher.scoring.affinity.Scores`, a DataFrame (index startup ids, columns mentor
    ids) or an array already aligned with the rows of ``ratings``.
    """
    if hasattr(scores, "startup_ids") and hasattr(scores, "values"):
        frame = pd.DataFrame(scores.values, index=scores.startup_ids, columns=scores.mentor_ids)
    elif isinstance(scores, pd.DataFrame):
        frame = scores
    else:
        values = np.asarray(scores, dtype=float)
        if values.shape != (len(ratings),):
            raise InputError([InputProblem("argument 'scores'", None, None,
                                           f"has shape {values.shape}, expected ({len(ratings)},)",
                                           "give one score per rating, or a score matrix")])
        return values
    rows = frame.index.get_indexer(ratings["startup_id"])
    cols = frame.columns.get_indexer(ratings["mentor_id"])
    unknown = np.nonzero((rows < 0) | (cols < 0))[0]
    if len(unknown):
        raise InputError([InputProblem("ratings", int(r) + 2, "startup_id" if rows[r] < 0 else "mentor_id",
                                       "names a pair the scores do not have",
                                       "rate pairs of the scored cohort") for r in unknown[:20]])
    return frame.to_numpy(dtype=float)[rows, cols]


def _comparisons(ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(better, worse, weight): every two pairs of one mentor with different ratings."""
    better, worse, weight = [], [], []
    codes = pd.factorize(ratings["mentor_id"])[0]
    rating = ratings["rating"].to_numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for group in np.split(order, bounds):
        a, b = np.triu_indices(len(group), 1)
        a, b = group[a], group[b]
        diff = rating[a] - rating[b]
        keep = diff != 0
        a, b, diff = a[keep], b[keep], diff[keep]
        better.append(np.where(diff > 0, a, b))
        worse.append(np.where(diff > 0, b, a))
        weight.append(np.abs(diff))
    if not better or not sum(len(w) for w in weight):
        raise InputError([InputProblem("ratings", None, "rating",
                                       "no mentor has two startups with different ratings",
                                       "the loss compares startups of the same mentor")])
    return np.concatenate(better), np.concatenate(worse), np.concatenate(weight)


def _loss(predicted: np.ndarray, better: np.ndarray, worse: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Loss of each column of ``predicted`` (shape (n_ratings,) or (n_ratings, n_scorers))."""
    gap = predicted[better] - predicted[worse]
    cost = (gap < 0) + 0.5 * (gap == 0)
    return weight @ cost / weight.sum()


def ranking_loss(ratings: pd.DataFrame, scores: Any) -> float:
    """The normalised pairwise ranking loss of a scorer against ratings (0 best, 0.5 constant).

    Parameters
    ----------
    ratings : DataFrame
        Columns ``startup_id``, ``mentor_id``, ``rating`` (1–5).
    scores : Scores, DataFrame or array
        The scorer (see :func:`rated_scores`).

    Examples
    --------
    >>> ratings = pd.DataFrame({"mentor_id": ["m1"] * 3 + ["m2"] * 3,
    ...                         "startup_id": ["s1", "s2", "s3"] * 2,
    ...                         "rating": [5, 3, 1, 4, 4, 2]})
    >>> ranking_loss(ratings, [0.2, 0.5, 0.5, 0.9, 0.1, 0.3])  # (2 + 4 + 1 + 0 + 2) / (2 + 4 + 2 + 2 + 2)
    0.75
    >>> ranking_loss(ratings, [0.7] * 6)
    0.5
    """
    ratings = _check_ratings(ratings)
    better, worse, weight = _comparisons(ratings)
    return float(_loss(rated_scores(ratings, scores), better, worse, weight))


def top_k_accuracy(ratings: pd.DataFrame, scores: Any, k: int = 1) -> float:
    """Share of mentors whose best-rated startup is among the scorer's top ``k`` of those it rated.

    Only mentors who rated at least two startups, not all alike, count. Ties in the scorer are
    broken against the best-rated startup, so a constant scorer gets no credit it did not earn.

    Examples
    --------
    >>> ratings = pd.DataFrame({"mentor_id": ["m1"] * 3 + ["m2"] * 3,
    ...                         "startup_id": ["s1", "s2", "s3"] * 2,
    ...                         "rating": [5, 3, 1, 4, 4, 2]})
    >>> top_k_accuracy(ratings, [0.2, 0.5, 0.5, 0.9, 0.1, 0.3], k=1)
    0.5
    """
    ratings = _check_ratings(ratings)
    predicted = rated_scores(ratings, scores)
    hits, counted = 0, 0
    for _, group in ratings.groupby("mentor_id", sort=True):
        if len(group) < 2 or group["rating"].nunique() < 2:
            continue
        counted += 1
        p = predicted[group.index.to_numpy()]
        r = group["rating"].to_numpy()
        for t in np.flatnonzero(r == r.max()):
            position = (p > p[t]).sum() + (p == p[t]).sum() - 1
            if position < k:
                hits += 1
                break
    if not counted:
        raise InputError([InputProblem("ratings", None, "rating",
                                       "no mentor rated two startups differently", "")])
    return hits / counted


@dataclass(frozen=True, eq=False)
class WeightFit:
    """The result of :func:`fit_weights`.

    Attributes
    ----------
    weights : dict
        Fitted weights (summing to 1), fitted on all ratings.
    loss : float
        Their loss on all ratings.
    cv_loss, baseline_cv_loss : float
        Held-out loss (mean over folds of mentors) of weights fitted without the fold, and of the
        baseline weights on the same folds: the fit helps when ``cv_loss < baseline_cv_loss``.
    folds : DataFrame
        Per fold: held-out mentors, fitted weights, held-out loss of the fit and of the baseline.
    """

    weights: dict[str, float]
    loss: float
    cv_loss: float
    baseline_cv_loss: float
    folds: pd.DataFrame


def _simplex(n: int, steps: int) -> np.ndarray:
    """Every weight vector of ``n`` parts in multiples of ``1 / steps`` summing to 1."""
    # stars and bars: n - 1 bars among steps + n - 1 places
    grid = [np.diff([-1, *bars, steps + n - 1]) - 1
            for bars in itertools.combinations(range(steps + n - 1), n - 1)]
    return np.array(grid, dtype=float) / steps


def fit_weights(ratings: pd.DataFrame, scores: Any, *, step: float = 0.1, n_splits: int = 5,
                seed: int = 0, components: tuple[str, ...] | None = None) -> WeightFit:
    """Component weights minimising the ranking loss, with a cross-validated held-out loss.

    Parameters
    ----------
    ratings : DataFrame
        Columns ``startup_id``, ``mentor_id``, ``rating``.
    scores : Scores
        Scores with their components (the baseline weights are ``scores.weights``).
    step : float
        Grid step on the simplex of weights (the loss is unchanged by scaling all weights, so
        weights summing to 1 lose nothing). The loss is piecewise constant, so a grid search is
        exact up to the step, where gradients would see only zeros.
    n_splits : int
        Folds of mentors for cross-validation (a mentor's comparisons stay in one fold).
    seed : int
        Seed of the fold assignment.
    components : tuple of str, optional
        Components to weigh; the others get weight 0. By default every component of ``scores``
        that varies over the rated pairs (a constant one cannot change any order).

    Examples
    --------
    >>> import matcher
    >>> scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
    >>> truth = 0.7 * scores.components["domain"] + 0.3 * scores.components["needs"]
    >>> ratings = scores.to_frame().stack().rename("score").reset_index()
    >>> ratings["rating"] = 1 + np.floor(4.999 * truth.ravel() / truth.max())
    >>> fit = fit_weights(ratings, scores, step=0.1, components=("text", "domain", "needs"))
    >>> fit.cv_loss < fit.baseline_cv_loss
    True
    """
    ratings = _check_ratings(ratings)
    names, parts = _rated_components(ratings, scores, components)
    baseline = np.array([scores.weights.get(c, 0.0) for c in names], dtype=float)
    grid = _simplex(len(names), int(round(1 / step)))
    predicted = parts @ grid.T  # (n_ratings, n_grid)
    comparisons = _comparisons(ratings)
    folds = _cross_validated(ratings, parts, grid, predicted, baseline, names, comparisons,
                             n_splits=n_splits, seed=seed)
    losses = _loss(predicted, *comparisons)
    best = grid[int(np.argmin(losses))]
    return WeightFit(weights={c: float(w) for c, w in zip(names, best)}, loss=float(losses.min()),
                     cv_loss=float(folds["loss"].mean()) if len(folds) else float("nan"),
                     baseline_cv_loss=float(folds["baseline_loss"].mean()) if len(folds) else float("nan"),
                     folds=folds)


def _rated_components(ratings: pd.DataFrame, scores: Any,
                      components: tuple[str, ...] | None) -> tuple[tuple[str, ...], np.ndarray]:
    """(names, array of shape (n_ratings, n_components)): each component's score of each rated
    pair; by default the components that vary over the rated pairs."""

    def rated(name: str) -> np.ndarray:
        return rated_scores(ratings, pd.DataFrame(scores.components[name], index=scores.startup_ids,
                                                  columns=scores.mentor_ids))

    if components is None:
        components = tuple(c for c in scores.components if np.ptp(rated(c)) > 0)
    names = tuple(components)
    return names, np.column_stack([rated(c) for c in names])


def _cross_validated(ratings, parts, grid, predicted, baseline, names, comparisons, *,
                     n_splits: int, seed: int) -> pd.DataFrame:
    """One row per fold of mentors: the weights fitted without it and both losses on it."""
    better, worse, weight = comparisons
    mentors = np.array(sorted(ratings["mentor_id"].unique()), dtype=object)
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(mentors[rng.permutation(len(mentors))], np.arange(len(mentors)) % n_splits))
    fold = ratings["mentor_id"].map(fold_of).to_numpy()
    pair_fold = fold[better]  # both sides of a comparison share a mentor, so a fold
    rows = []
    for f in range(min(n_splits, len(mentors))):
        train, test = pair_fold != f, pair_fold == f
        if not train.any() or not test.any():
            continue
        losses = _loss(predicted, better[train], worse[train], weight[train])
        best = grid[int(np.argmin(losses))]
        rows.append({
            "fold": f, "mentors": int(sum(v == f for v in fold_of.values())),
            **{f"w_{c}": w for c, w in zip(names, best)},
            "loss": float(_loss(parts @ best, better[test], worse[test], weight[test])),
            "baseline_loss": float(_loss(parts @ baseline, better[test], worse[test], weight[test])),
        })
    return pd.DataFrame(rows)
