"""Learn from the matching week: the choices both sides made are labels for the pre-meeting scores.

A meeting's *mutual choice* is one where both sides wanted the other (a rank or a ``yes`` from
each). :func:`evaluate_choices` says how well the scores before the meetings predicted the mutual
choices (ROC AUC over the meetings held: 0.5 is chance, 1 perfect) and can fit the component
weights for the next cohort with :func:`matcher.insight.evaluate.fit_weights`, reading the choices
as ratings: each side adds 0 for a ``no``, 1 for a ``maybe`` or no choice, 2 for a rank or a
``yes``, so a rating runs from 1 (both said no) to 5 (a mutual choice).

>>> import matcher, pandas as pd
>>> scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
>>> found = evaluate_choices(pd.read_csv("data/spring-2026/choices.csv"), scores)
>>> found.n_meetings, 0.0 <= found.auc <= 1.0
(72, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matcher.insight.evaluate import WeightFit, fit_weights, rated_scores

__all__ = ["ChoiceEvaluation", "choice_ratings", "evaluate_choices"]


@dataclass(frozen=True, eq=False)
class ChoiceEvaluation:
    """How the pre-meeting scores did against the week's choices.

    Attributes
    ----------
    pairs : DataFrame
        One row per meeting: ``startup_id``, ``mentor_id``, ``score``, ``startup_wants``,
        ``mentor_wants``, ``mutual`` and ``rating``.
    n_meetings, n_mutual : int
    auc : float
        ROC AUC of the score as a predictor of a mutual choice (NaN when all meetings, or none,
        ended in one).
    mean_score_mutual, mean_score_other : float
    fit : WeightFit or None
        Fitted component weights, when asked for.

    Examples
    --------
    >>> import matcher
    >>> scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
    >>> evaluate_choices(pd.read_csv("data/spring-2026/choices.csv"), scores).n_mutual
    20
    """

    pairs: pd.DataFrame
    n_meetings: int
    n_mutual: int
    auc: float
    mean_score_mutual: float
    mean_score_other: float
    fit: WeightFit | None = None

    def summary(self) -> str:
        """One line: meetings, mutual choices, AUC and the mean scores."""
        return (f"{self.n_meetings} meetings, {self.n_mutual} mutual choices; the pre-meeting score "
                f"predicted them with ROC AUC {self.auc:.3f} (0.5 chance); mean score "
                f"{self.mean_score_mutual:.3f} for mutual choices, {self.mean_score_other:.3f} for the rest")


def _side(frame: pd.DataFrame, by: str) -> pd.Series:
    """Each side's word as 0 (no), 1 (maybe or nothing said), 2 (a rank or yes), by pair."""
    mine = frame[frame["by"] == by]
    value = np.where(mine["rank"].notna() | (mine["choice"] == "yes"), 2,
                     np.where(mine["choice"] == "no", 0, 1))
    return pd.Series(value, index=pd.MultiIndex.from_frame(mine[["startup_id", "mentor_id"]]), dtype=int)


def choice_ratings(choices: pd.DataFrame) -> pd.DataFrame:
    """The choices as ratings from 1 to 5, one row per meeting either side spoke about.

    Examples
    --------
    >>> c = pd.DataFrame({"by": ["startup", "mentor", "startup"], "startup_id": ["a", "a", "b"],
    ...                   "mentor_id": ["x", "x", "x"], "rank": [1, None, None], "choice": ["", "yes", "no"]})
    >>> choice_ratings(c)[["startup_id", "rating", "mutual"]].values.tolist()
    [['a', 5, True], ['b', 2, False]]
    """
    frame = choices.copy()
    frame["rank"] = pd.to_numeric(frame.get("rank", pd.Series(index=frame.index, dtype=float)),
                                  errors="coerce")
    frame["choice"] = frame.get("choice", pd.Series("", index=frame.index)).fillna("").astype(str).str.lower()
    startup, mentor = _side(frame, "startup"), _side(frame, "mentor")
    pairs = startup.index.union(mentor.index)
    s, m = startup.reindex(pairs, fill_value=1), mentor.reindex(pairs, fill_value=1)
    out = pairs.to_frame(index=False)
    out["startup_wants"], out["mentor_wants"] = (s == 2).to_numpy(), (m == 2).to_numpy()
    out["mutual"] = out["startup_wants"] & out["mentor_wants"]
    out["rating"] = 1 + s.to_numpy() + m.to_numpy()
    return out


def evaluate_choices(choices: pd.DataFrame, scores: Any, *, fit: bool = False, step: float = 0.1,
                     seed: int = 0) -> ChoiceEvaluation:
    """How well ``scores`` (from before the meetings) predicted the week's mutual choices.

    Parameters
    ----------
    choices : DataFrame
        ``choices.csv`` as read by :func:`matcher.data.io.read_choices` (or as written).
    scores : Scores
        The pre-meeting scores, with their components when ``fit`` is asked for.
    fit : bool
        Also fit the component weights on the choices read as ratings (cross-validated).
    step, seed :
        For :func:`~matcher.insight.evaluate.fit_weights`.

    Examples
    --------
    >>> import matcher
    >>> scores = matcher.score_cohort(matcher.load_cohort("data/spring-2026"))
    >>> found = evaluate_choices(pd.read_csv("data/spring-2026/choices.csv"), scores, fit=True, step=0.25)
    >>> round(sum(found.fit.weights.values()), 6)
    1.0
    """
    from sklearn.metrics import roc_auc_score

    pairs = choice_ratings(choices)
    pairs.insert(2, "score", rated_scores(pairs, scores))
    mutual = pairs["mutual"].to_numpy()
    auc = float(roc_auc_score(mutual, pairs["score"])) if 0 < mutual.sum() < len(mutual) else float("nan")
    fitted = fit_weights(pairs, scores, step=step, seed=seed) if fit else None
    mean_mutual, mean_other = pairs.loc[mutual, "score"].mean(), pairs.loc[~mutual, "score"].mean()
    return ChoiceEvaluation(pairs, len(pairs), int(mutual.sum()), auc, float(mean_mutual), float(mean_other),
                            fitted)
