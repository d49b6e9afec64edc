"""The solver-facing form of an assignment problem: every rule as arrays indexed by position.

Every backend takes a :class:`Problem`. It is built in exactly two places, both ending in
:func:`~matcher.solve.arguments.make_problem`: from the keywords of :func:`matcher.assign`
(:mod:`matcher.solve.arguments`) and from a cohort's rules (:mod:`matcher.solve.translate`).
Everything downstream — backends, bounds, diagnoses, tables, explanations — reads the rules back
from here and never derives them again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from matcher.scoring.sources import DenseScores, VectorScores
from matcher.solve.candidates import nonzero_2d

__all__ = ["Problem", "Quota", "Team", "Links", "BASE_FIELDS", "pair_positions_of"]


@dataclass(frozen=True, eq=False)
class Quota:
    """How many mentors of one group each startup takes.

    Attributes
    ----------
    name : str
        The rule's name, used in diagnoses (``"academic"``, ``"coverage"``).
    members : bool array of shape (n_mentors,) or (n_startups, n_mentors)
        The group's mentors; a 2-D mask gives each startup its own group (domain coverage).
    min, max : int arrays of shape (n_startups,)
        Each startup takes between ``min[i]`` and ``max[i]`` mentors of the group.
    price : float or None
        None: a hard rule. A number: a soft rule, each mentor below ``min`` or above ``max``
        costing that much score (``soft`` in programme.yaml).
    """

    name: str
    members: np.ndarray
    min: np.ndarray
    max: np.ndarray
    price: float | None = None

    @property
    def soft(self) -> bool:
        """True when breaking the quota costs a price instead of being forbidden."""
        return self.price is not None

    def shortfall(self, chosen: np.ndarray) -> np.ndarray:
        """Int array of shape (n_startups,): mentors below ``min`` plus mentors above ``max``."""
        inside = (chosen & self.mask(chosen.shape[0])).sum(axis=1)
        return np.maximum(self.min - inside, 0) + np.maximum(inside - self.max, 0)

    @property
    def per_startup(self) -> bool:
        """True when the group differs between startups (a 2-D mask)."""
        return self.members.ndim == 2

    def mask(self, n_startups: int) -> np.ndarray:
        """The group as a bool array of shape (n_startups, n_mentors) (a broadcast view)."""
        if self.per_startup:
            return self.members
        return np.broadcast_to(self.members, (n_startups, len(self.members)))


@dataclass(frozen=True, eq=False)
class Team:
    """What the team objective values beyond the scores: needs covered, and kinds not repeated.

    A startup's team ``T`` is worth ``sum of its scores + coverage * sum_a needs[i, a] * [some
    mentor of T offers a] + diversity * sum over families of the distinct labels in T``: a need
    counts once however many mentors offer it, and a second mentor of the same kind (or domain)
    earns no diversity bonus, so returns diminish. The value is monotone and submodular in ``T``.

    Attributes
    ----------
    needs : float array of shape (n_startups, n_areas)
        Weight of each support area to each startup (a startup's weights sum to 1, or 0 without
        needs).
    offers : bool array of shape (n_mentors, n_areas)
        The areas each mentor offers.
    areas : tuple of str
        The names of the areas.
    labels : int array of shape (n_families, n_mentors)
        Each mentor's label in each family (kind, domain); -1 for none.
    families : tuple of str
    coverage, diversity : float
        Weights of the two terms.
    """

    needs: np.ndarray
    offers: np.ndarray
    areas: tuple[str, ...]
    labels: np.ndarray
    families: tuple[str, ...]
    coverage: float
    diversity: float


@dataclass(frozen=True, eq=False)
class Links:
    """Rules that tie pairs together: tandems, circles and mentors kept apart.

    Attributes
    ----------
    tandems : int array of shape (n_tandems, 2)
        Mentor positions ``(a, b)``: every startup that has one of them has both.
    apart : int array of shape (n_apart, 2)
        Mentor positions ``(a, b)``: no startup has both.
    circles : tuple of int arrays
        Startup positions that must all share at least one mentor.
    """

    tandems: np.ndarray
    apart: np.ndarray
    circles: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True, eq=False)
class Problem:
    """An assignment problem as arrays.

    Attributes
    ----------
    scores : float array of shape (n_startups, n_mentors), or None
        Affinity of each pair; higher is better. None when the scores are given as ``vectors``
        (too many pairs to hold as a matrix).
    startup_ids, mentor_ids : object arrays
        Ids of the rows and columns.
    k_min, k_max : int arrays of shape (n_startups,)
        Each startup gets between ``k_min[i]`` and ``k_max[i]`` distinct mentors.
    capacity : int array of shape (n_mentors,)
        Each mentor takes at most ``capacity[j]`` startups: the effective capacity, after every
        rule that lowers it (a yearly limit, say). Tables and reports read it from here.
    forbidden, pinned : bool arrays of shape (n_startups, n_mentors)
        Pairs that must never / must always be made (scipy.sparse matrices for vector scores).
    quotas : tuple of Quota
        Mentors per startup from each group (kinds of mentor, domain coverage).
    min_load : int array of shape (n_mentors,) or None
        Startups each mentor should take at least (use every volunteer).
    min_load_penalty : float or None
        None makes ``min_load`` hard; a number makes it soft, costing that much score per missing
        place.
    balance : float
        Weight of the load-balancing penalty ``balance * sum_j load_j (load_j + 1) / 2`` (0: off).
    objective : {"total", "fair", "blend", "randomised", "envy-free", "team"}
        What to maximise: the total score; the worst-served startup's total, then the total;
        ``(1 - fairness) * mean startup total + fairness * worst startup total``; or the expected
        total of a lottery with no pair above ``max_probability``.
    fairness : float
        The blend weight (1.0 for ``fair``, 0.0 for ``total``).
    max_probability : float
        Under ``randomised``, the highest probability any pair may have (1.0: no cap).
    repeats : bool array of shape (n_startups, n_mentors) or None
        Pairs made in earlier cohorts that the history rule forbids (already in ``forbidden``);
        kept apart so that a diagnosis can say why a pair is not allowed.
    vectors : VectorScores or None
        The scores as profile vectors, scored block by block, when ``scores`` is None.
    team : Team or None
        Under ``objective="team"``: the needs, offers and mentor labels the team value reads.
    links : Links or None
        Tandems, circles and mentors kept apart (CP-SAT backends only).
    rankings : (array, array) of shape (n_startups, n_mentors) each, or None
        How startups rank mentors and mentors rank startups when their stated preferences say
        more than the scores (stated preference first, score second). Not a rule: only the
        stable backends read it, to propose and accept in that order.
    """

    scores: np.ndarray | None
    startup_ids: np.ndarray
    mentor_ids: np.ndarray
    k_min: np.ndarray
    k_max: np.ndarray
    capacity: np.ndarray
    forbidden: Any
    pinned: Any
    quotas: tuple[Quota, ...] = ()
    min_load: np.ndarray | None = None
    min_load_penalty: float | None = None
    balance: float = 0.0
    objective: str = "total"
    fairness: float = 0.0
    max_probability: float = 1.0
    repeats: np.ndarray | None = None
    vectors: VectorScores | None = None
    team: Team | None = None
    links: Links | None = None
    rankings: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(n_startups, n_mentors)."""
        return self.vectors.shape if self.scores is None else self.scores.shape

    @property
    def is_dense(self) -> bool:
        """True when the score matrix is held; False for scores given as vectors."""
        return self.scores is not None

    @property
    def source(self) -> DenseScores | VectorScores:
        """The scores as a score source (``blocks``, ``exact``), for candidate search."""
        return DenseScores(self.scores) if self.is_dense else self.vectors

    def densified(self) -> Problem:
        """The same problem with the score matrix held (scores given as vectors are computed)."""
        if self.is_dense:
            return self
        return dataclasses.replace(self, scores=self.vectors.dense(), vectors=None,
                                   forbidden=_dense(self.forbidden), pinned=_dense(self.pinned))

    @property
    def has_soft_rules(self) -> bool:
        """True when some quota is soft (breaking it costs its price)."""
        return any(q.soft for q in self.quotas)

    def hard_only(self) -> Problem:
        """The problem without its soft quotas: what must hold, for checks, diagnoses and bounds."""
        if not self.has_soft_rules:
            return self
        return dataclasses.replace(self, quotas=tuple(q for q in self.quotas if not q.soft))

    def side_rules(self) -> tuple[str, ...]:
        """Names of the rules set beyond k, capacity, forbidden and pinned pairs.

        Backends that express only those (deferred acceptance, the pruned flow) refuse the others by
        name, so a rule added to :class:`~matcher.solve.problem.Problem` later is never silently ignored.

        >>> from matcher.solve.arguments import make_problem
        >>> make_problem(np.ones((2, 2)), k=1).side_rules()
        ()
        >>> make_problem(np.ones((2, 2)), k=1, objective="fair").side_rules()
        ('objective', 'fairness')
        """
        return tuple(f.name for f in dataclasses.fields(self)
                     if f.name not in BASE_FIELDS and not _at_default(f, getattr(self, f.name)))

    @property
    def allowed(self) -> np.ndarray:
        """Pairs that may be made: not forbidden, and the mentor has some capacity."""
        return ~self.forbidden & (self.capacity > 0)[None, :]

    @property
    def flow_groups(self) -> np.ndarray | None:
        """Group label of each mentor (-1: none) when the quotas are disjoint mentor groups.

        None when some quota is per-startup or soft, or two groups share a mentor (not a network
        flow).
        """
        labels = np.full(self.shape[1], -1, dtype=np.int64)
        for g, quota in enumerate(self.quotas):
            if quota.soft or quota.per_startup or (labels[quota.members] >= 0).any():
                return None
            labels[quota.members] = g
        return labels

    def quota_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Arrays of shape (n_startups, n_quotas): each quota's min and max per startup."""
        n_s = self.shape[0]
        if not self.quotas:
            return np.zeros((n_s, 0), dtype=np.int64), np.zeros((n_s, 0), dtype=np.int64)
        lo = np.stack([q.min for q in self.quotas], axis=1)
        hi = np.stack([q.max for q in self.quotas], axis=1)
        return lo, hi

    def startup_label(self, i: int) -> str:
        """The id of the startup at row ``i``, as messages name it."""
        return str(self.startup_ids[i])

    def mentor_label(self, j: int) -> str:
        """The id of the mentor at column ``j``, as messages name it."""
        return str(self.mentor_ids[j])


#: The fields every backend understands: the scores, ids, k, capacities, forbidden and pinned
#: (and the rankings, which only stable backends read and the others may ignore).
BASE_FIELDS = {"scores", "vectors", "startup_ids", "mentor_ids", "k_min", "k_max", "capacity",
               "forbidden", "pinned", "rankings"}


def pair_positions_of(mask: Any) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the True entries of a dense or sparse pair mask, sorted by row then column.

    >>> pair_positions_of(np.array([[False, True], [True, False]]))
    (array([0, 1]), array([1, 0]))
    """
    if sp.issparse(mask):
        coo = sp.coo_matrix(mask)
        keep = coo.data.astype(bool)
        keys = np.unique(coo.row[keep].astype(np.int64) * mask.shape[1] + coo.col[keep])
        return keys // mask.shape[1], keys % mask.shape[1]
    return nonzero_2d(mask)


def _dense(mask: Any) -> np.ndarray:
    return mask.toarray().astype(bool) if sp.issparse(mask) else np.asarray(mask, dtype=bool)


def _at_default(f: dataclasses.Field, value: Any) -> bool:
    """True when a Problem field holds no rule: its default, or an empty / all-False value."""
    for default in (f.default, f.default_factory):
        if default is dataclasses.MISSING:
            continue
        try:
            if bool(value == (default() if callable(default) else default)):
                return True
        except (TypeError, ValueError):
            pass
    if value is None:
        return True
    if isinstance(value, np.ndarray):
        return value.size == 0 or not value.any()
    try:
        return len(value) == 0
    except TypeError:
        return False
