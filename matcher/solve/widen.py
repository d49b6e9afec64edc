"""Widening the candidates of a pruned network that cannot be routed.

When the min-cost flow on the candidate pairs is infeasible, a maximum flow finds a group of
startups whose candidate mentors are too few (Hall's condition); :func:`widen_group` gives those
startups more candidates, or proves the full problem infeasible and says which group.
"""

from __future__ import annotations

import numpy as np

from matcher.errors import Diagnosis, InfeasibleError, SolverError
from matcher.solve.candidates import Candidates, as_score_source, top_candidates
from matcher.solve.certificate import hall_group

__all__ = ["widen_group"]


def widen_group(source, cand: Candidates, *, excluded: tuple[np.ndarray, np.ndarray],
                active_cols: np.ndarray, demand: np.ndarray, supply: np.ndarray,
                width: int) -> tuple[Candidates, int]:
    """More candidates for the startups of a Hall-violating group of the pruned network.

    The group's candidate mentors are all full, so its startups get their best mentors
    *outside* that set; only when there are none, their next best mentors of any kind. When a
    startup of the group has no allowed pair left to add, the group violates Hall's condition
    in the full problem too (the cut is unchanged), and the rules cannot hold.

    Returns
    -------
    (Candidates, int)
        The candidates with the new pairs, and how many startups got some.

    Raises
    ------
    InfeasibleError
        When the group already has every allowed pair.

    Examples
    --------
    >>> scores = np.array([[0.9, 0.1], [0.8, 0.2]])
    >>> cand = top_candidates(scores, 1)  # both startups want mentor 0, which takes one
    >>> none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    >>> more, n = widen_group(scores, cand, excluded=none, active_cols=np.ones(2, bool),
    ...                       demand=np.ones(2, np.int64), supply=np.ones(2, np.int64), width=1)
    >>> more.cols.tolist(), n
    ([0, 1, 0, 1], 2)
    """
    source = as_score_source(source)
    found = hall_group(cand.rows, cand.cols, demand, supply)
    if found is None:  # min-cost flow said infeasible, max flow disagrees: a solver problem
        raise SolverError("the candidate network is infeasible but meets Hall's condition")
    group, full = found
    rows = np.nonzero(group)[0]
    n_m = cand.n_mentors
    # never propose again what is a candidate already, forbidden or pinned
    in_group = group[cand.rows]
    keys = np.union1d(cand.rows[in_group] * n_m + cand.cols[in_group],
                      excluded[0][group[excluded[0]]] * n_m + excluded[1][group[excluded[0]]])
    skip = _subset_pairs((keys // n_m, keys % n_m), rows)
    for cols_ok in (active_cols & ~full, active_cols):
        sub = top_candidates(_RowSubset(source, rows), width, excluded=skip, active_cols=cols_ok)
        if len(sub):
            return cand.merge(rows[sub.rows], sub.cols, sub.weights), len(np.unique(sub.rows))
    # every allowed pair of the group is a candidate already
    raise InfeasibleError([_hall_diagnosis(group, cand, demand, supply, source)])


def _subset_pairs(pairs, rows: np.ndarray):
    """Pairs whose row is in ``rows``, renumbered to positions in ``rows`` (sorted)."""
    pos = np.searchsorted(rows, pairs[0])
    pos = np.minimum(pos, len(rows) - 1)
    hit = rows[pos] == pairs[0]
    return pos[hit], pairs[1][hit]


class _RowSubset:
    """A score source restricted to some rows (for widening a few startups)."""

    def __init__(self, source, rows: np.ndarray):
        self.source, self.rows = source, rows

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), self.source.shape[1])

    def blocks(self, start: int, stop: int, out=None):
        picked = self.rows[start:stop]
        return self.source.exact_rows(picked), np.zeros(len(picked))

    def exact(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.source.exact(self.rows[rows], cols)

    def exact_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.source.exact_rows(self.rows[rows])


def _hall_diagnosis(group, cand, demand, supply, source) -> Diagnosis:
    ids = np.nonzero(group)[0]
    need = int(demand[group].sum())
    mentors = np.unique(cand.cols[group[cand.rows]])
    offer = int(supply[mentors].sum())
    startup_ids = getattr(source, "startup_ids", None)
    names = [str(startup_ids[i]) if startup_ids is not None else str(i) for i in ids[:6]]
    more = f" and {len(ids) - 6} more" if len(ids) > 6 else ""
    return Diagnosis(
        "mentors per group of startups",
        f"Startups {', '.join(names)}{more} need {need} mentor places among them, but the "
        f"{len(mentors)} mentors they may be paired with offer at most {offer} places for them.",
        shortfall=max(need - offer, 1), startups=tuple(ids.tolist()),
        suggestions=("raise the capacity of those mentors",
                     "allow more mentors for these startups (review conflicts and language rules)",
                     "lower k for some of these startups"))
