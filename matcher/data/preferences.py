"""Stated preferences: startups rank mentors, mentors bid on startups.

A mentor's ``"no"`` is a hard rule (the pair is forbidden, reason ``bid``). Ranks and the other bids
enter the affinity as the ``preference`` component, in [0, 1], the mean of two halves:

* **startup side**: a startup that ranks ``n`` mentors gives its ``p``-th choice ``(n - p + 1) / n``
  (first choice 1, last ``1/n``) and unranked mentors 0. Only the order of the ranks counts, so
  ranks 1, 2, 5 mean the same as 1, 2, 3; and a startup that ranks many mentors spreads the same
  range over them rather than gaining weight.
* **mentor side**: ``yes`` counts 1, ``maybe`` 0.5, no bid 0; then each mentor's bids are scaled by
  ``min(1, capacity / sum of its bids)``. A mentor who says yes to as many startups as it can take
  keeps full weight; one who says yes to everyone spreads its capacity over them, so one
  enthusiastic mentor does not dominate the matching.

For the ``stable`` backends, :func:`preference_utilities` turns the same statements into rankings:
stated preferences first, the score breaking ties (and ordering everything not stated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.data.models import Preferences

__all__ = ["BIDS", "preference_matrices", "preference_component", "bid_no_mask",
           "preference_utilities", "DEFAULT_PREFERENCE_WEIGHT"]

#: Worth of each bid before the per-mentor scaling; "no" forbids the pair.
BIDS = {"yes": 1.0, "maybe": 0.5, "no": 0.0, "": 0.0}

#: Weight of the ``preference`` component when a cohort states preferences but its programme does
#: not weigh them; without stated preferences the component is 0 and weighs 0.
DEFAULT_PREFERENCE_WEIGHT = 0.2


def preference_matrices(prefs: Preferences, startup_ids, mentor_ids
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank position, bid worth and "no" mask, each of shape (n_startups, n_mentors).

    The rank position is 1 for a startup's first choice, 2 for the next, ... and 0 where the
    startup ranked nobody; entries naming ids not in ``startup_ids`` / ``mentor_ids`` (a startup
    withdrawn, say) are left out.
    """
    shape = (len(startup_ids), len(mentor_ids))
    rows = pd.Index(startup_ids).get_indexer(list(prefs.startup_ids))
    cols = pd.Index(mentor_ids).get_indexer(list(prefs.mentor_ids))
    ranks = np.array([np.inf if r is None else r for r in prefs.ranks], dtype=float)
    bids = np.array(prefs.bids, dtype=object)
    known = (rows >= 0) & (cols >= 0)
    rows, cols, ranks, bids = rows[known], cols[known], ranks[known], bids[known]
    rank = np.full(shape, np.inf)
    rank[rows, cols] = ranks
    bid = np.zeros(shape)
    bid[rows, cols] = [BIDS[b] for b in bids]
    no = np.zeros(shape, dtype=bool)
    no[rows, cols] = bids == "no"
    # dense positions: only the order of the ranks counts
    order = np.argsort(rank, axis=1, kind="stable")
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(1, shape[1] + 1)[None, :].repeat(shape[0], 0), axis=1)
    position = np.where(np.isfinite(rank), position, 0)
    return position, bid, no


def preference_component(prefs: Preferences, startup_ids, mentor_ids, capacity) -> np.ndarray:
    """The ``preference`` component, array of shape (n_startups, n_mentors) in [0, 1].

    Examples
    --------
    >>> p = Preferences(("s1", "s1", "s2", "s2"), ("m1", "m2", "m1", "m2"), (1, 2, None, None),
    ...                 ("yes", "", "yes", "maybe"))
    >>> preference_component(p, ["s1", "s2"], ["m1", "m2"], [1, 2]).round(3).tolist()
    [[0.75, 0.25], [0.25, 0.25]]
    """
    position, bid, _ = preference_matrices(prefs, startup_ids, mentor_ids)
    n_ranked = (position > 0).sum(axis=1, keepdims=True)
    startup = np.divide(np.where(position > 0, n_ranked - position + 1, 0), n_ranked,
                        out=np.zeros(position.shape), where=n_ranked > 0)
    total = bid.sum(axis=0)
    cap = np.maximum(np.asarray(capacity, dtype=float), 1.0)
    scale = np.divide(cap, total, out=np.ones_like(total), where=total > cap)
    mentor = bid * scale[None, :]
    return 0.5 * startup + 0.5 * mentor


def bid_no_mask(prefs: Preferences, startup_ids, mentor_ids) -> np.ndarray:
    """True where the mentor bid "no": a hard rule."""
    return preference_matrices(prefs, startup_ids, mentor_ids)[2]


def preference_utilities(prefs: Preferences, scores: np.ndarray, startup_ids, mentor_ids
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Rankings for deferred acceptance: stated preference first, then the score.

    Returns ``(startup_utility, mentor_utility)``, arrays of shape (n_startups, n_mentors): a
    startup prefers a mentor it ranked higher, and ranked mentors to unranked ones; a mentor
    prefers ``yes`` to ``maybe`` to no bid. Ties, and everything not stated, go by score.
    """
    position, bid, _ = preference_matrices(prefs, startup_ids, mentor_ids)
    scores = np.asarray(scores, dtype=float)
    spread = float(scores.max() - scores.min()) + 1.0 if scores.size else 1.0
    n = position.shape[1]
    startup_level = np.where(position > 0, n + 1 - position, 0)
    mentor_level = np.select([bid >= 1.0, bid > 0], [2, 1], 0)
    return startup_level * spread + scores, mentor_level * spread + scores
