"""A profile's evidence, item by item, and how a pair's item similarities become one number.

A mentor's items are the lines of ``expertise`` (one item per line; a one-line expertise is one
item) followed by the rows of ``evidence.csv`` that name the mentor. A startup's profile is read
as one document: its description and its own items together.

:func:`aggregate` turns the similarities of a startup to each of a mentor's items into the pair's
similarity:

* ``"top-k"`` (default, k = 3): the mean of the mentor's ``k`` most similar items (all of them
  when it has fewer). One strong item among many unrelated ones keeps a third of its weight
  instead of a tenth or less, and a single accidental overlap cannot decide the score alone.
* ``"max"``: the most similar item. Reviewer-assignment systems score a reviewer by their most
  similar papers (a max or a top-few mean) for the same reason.
* ``"mean"``: the weighted mean of the items (of the normalised item vectors), so a long list of
  items does not drown a short one, but a mentor with many unrelated items scores low.
* ``"document"``: all items as one document (the scorer before items existed).

Items may be weighed by recency (``half_life`` in years: an item's weight halves for every
``half_life`` years it is older than the mentor's newest item, so the weights do not depend on
today's date) and by kind (``kind_weights``, e.g. ``{"talk": 0.5}``; a kind not named weighs 1).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from matcher.data.models import Evidence, Mentor, Startup
from matcher.data.vocabulary import AGGREGATIONS

__all__ = ["AGGREGATIONS", "profile_items", "profile_document", "item_text", "item_weights", "aggregate"]


#: The kind of an item read from a line of a mentor's ``expertise``.
EXPERTISE_KIND = "expertise"


def profile_items(profile: Startup | Mentor) -> tuple[Evidence, ...]:
    """The items of a profile: each non-empty line of its text, then its evidence items.

    Examples
    --------
    >>> m = Mentor("m1", "Ho", "professor", ("vision",), "Radiology AI\\n\\nRetail pricing", 2)
    >>> [item.title for item in profile_items(m)]
    ['Radiology AI', 'Retail pricing']
    """
    text = profile.description if isinstance(profile, Startup) else profile.expertise
    lines = tuple(Evidence(line.strip(), "", None, EXPERTISE_KIND) for line in text.splitlines()
                  if line.strip())
    return lines + tuple(Evidence(*item) for item in profile.evidence)


def item_text(item: Evidence) -> str:
    """The text of one item: its title and text.

    >>> item_text(Evidence("Triage", "Chest X-ray triage", 2021, "paper"))
    'Triage. Chest X-ray triage'
    """
    return f"{item.title}. {item.text}" if item.title and item.text else item.title or item.text


def profile_document(profile: Startup | Mentor) -> str:
    """The whole profile as one document: its text, then the text of each evidence item.

    A profile without evidence items is its description (startup) or expertise (mentor), unchanged.

    >>> s = Startup("s1", "Scan", ("vision",), "X-ray triage", evidence=(Evidence("Pilot", "at a clinic"),))
    >>> profile_document(s)
    'X-ray triage\\nPilot. at a clinic'
    """
    text = profile.description if isinstance(profile, Startup) else profile.expertise
    if not profile.evidence:
        return text
    return "\n".join([text, *(item_text(Evidence(*item)) for item in profile.evidence)])


def item_weights(items: Sequence[Evidence], owner: np.ndarray, *, half_life: float | None = None,
                 kind_weights: Mapping[str, float] | None = None) -> np.ndarray:
    """The weight of each item: recency relative to its owner's newest item, times its kind's weight.

    Examples
    --------
    >>> items = [Evidence("a", year=2024), Evidence("b", year=2020, kind="talk"), Evidence("c")]
    >>> item_weights(items, np.array([0, 0, 0]), half_life=4, kind_weights={"talk": 0.5}).tolist()
    [1.0, 0.25, 1.0]
    """
    weight = np.ones(len(items))
    if kind_weights:
        weight *= np.array([float(kind_weights.get(item.kind, 1.0)) for item in items])
    if half_life is not None and len(items):
        years = np.array([np.nan if item.year is None else float(item.year) for item in items])
        newest = np.full(int(owner.max()) + 1, -np.inf)
        dated = ~np.isnan(years)
        np.maximum.at(newest, owner[dated], years[dated])
        age = np.where(dated, newest[owner] - np.nan_to_num(years), 0.0)
        weight *= 0.5 ** (age / half_life)
    return weight


def aggregate(similarity: np.ndarray | sp.spmatrix, owner: np.ndarray, weight: np.ndarray, n_owners: int,
              *, how: str = "top-k", k: int = 3) -> np.ndarray:
    """Pair similarities from item similarities, array of shape (n_rows, n_owners).

    Parameters
    ----------
    similarity : array of shape (n_rows, n_items)
        Similarity of each row (a startup) to each item.
    owner : int array of shape (n_items,)
        The owner (mentor position) of each item, in non-decreasing order.
    weight : array of shape (n_items,)
        The items' weights (see :func:`item_weights`); ``max`` and ``top-k`` rank ``weight *
        similarity``, ``mean`` is the weighted mean.
    n_owners : int
        Owners, including those without items (their similarity is 0).
    how : {"top-k", "max", "mean"}
    k : int
        Items averaged by ``top-k``.

    Examples
    --------
    >>> sims = np.array([[0.9, 0.0, 0.0, 0.0, 0.3]])
    >>> owner, weight = np.array([0, 0, 0, 0, 1]), np.ones(5)
    >>> [aggregate(sims, owner, weight, 2, how=h, k=2).round(3).tolist() for h in ("top-k", "max", "mean")]
    [[[0.45, 0.3]], [[0.9, 0.3]], [[0.225, 0.3]]]
    """
    if how not in ("top-k", "max", "mean"):
        raise ValueError(f"how must be one of 'top-k', 'max', 'mean'; got {how!r}")
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a whole number of items, 1 or more; got {k!r}")
    similarity = similarity.toarray() if sp.issparse(similarity) else np.asarray(similarity, dtype=float)
    n_rows = similarity.shape[0]
    out = np.zeros((n_rows, n_owners))
    if not len(owner):
        return out
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    counts = np.diff(np.r_[starts, len(owner)])
    owners = owner[starts]
    # owners with the same number of items together, their p-th items as one (rows, owners) slab:
    # whole-array operations across slabs are far faster than reductions over a short last axis
    for count in np.unique(counts):
        group = counts == count
        first = starts[group]
        slabs = [np.take(similarity, first + p, axis=1) * weight[first + p] for p in range(count)]
        if how == "mean":
            total = sum(weight[first + p] for p in range(count))
            value = np.divide(sum(slabs), total, out=np.zeros(slabs[0].shape), where=total > 0)
        elif how == "max":
            value = functools.reduce(np.maximum, slabs)
        elif count <= k:  # every item counts
            value = sum(slabs) / count
        else:
            value = _top_sum(slabs, k) / k
        out[:, owners[group]] = value
    return out


def _top_sum(slabs: list[np.ndarray], k: int) -> np.ndarray:
    """Entry by entry, the sum of the ``k`` largest of the slabs (``k`` < number of slabs)."""
    total = np.zeros(slabs[0].shape)
    for _ in range(k):
        best = functools.reduce(np.maximum, slabs)
        total += best
        taken = np.zeros(best.shape, dtype=bool)
        for slab in slabs:  # remove one occurrence of the maximum
            hit = (slab == best) & ~taken
            slab[hit] = -np.inf
            taken |= hit
    return total
