"""Frozen dataclasses for the inputs and results of matching.

Inputs describe a cohort (startups, mentors, the programme's rules); results carry an assignment
and what a person needs to trust it (objective, bound, gap, status, the solver used, timings).
Numbers travel as numpy arrays indexed by position, with the ids beside them once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from matcher.data import cohort_edits

# Rules and the JSON helpers were first defined here; their homes are rules and jsonform now
from matcher.data.jsonform import json_ready, tuples_from_json
from matcher.data.rules import DEFAULT_WEIGHTS, Rules, rules_from_json, rules_to_json
from matcher.data.vocabulary import MENTOR_KINDS, STATUSES

__all__ = [
    "Evidence",
    "Startup",
    "Mentor",
    "Rules",
    "Cohort",
    "Assignment",
    "Preferences",
    "STATUSES",
    "MENTOR_KINDS",
    "rules_to_json",
    "rules_from_json",
    "json_ready",
    "tuples_from_json",
    "DEFAULT_WEIGHTS",
]


class Evidence(NamedTuple):
    """One item of a profile's evidence: a paper, past company, project, investment, talk, product
    or pilot (a row of ``evidence.csv``, or one line of a mentor's ``expertise``).

    Examples
    --------
    >>> Evidence("Chest X-ray triage", "Deep learning for radiology", 2024, "paper").year
    2024
    """

    title: str
    text: str = ""
    year: int | None = None
    kind: str = ""
    url: str = ""


@dataclass(frozen=True)
class Startup:
    """One startup of a cohort. ``domains[0]`` is its primary domain.

    Examples
    --------
    >>> s = Startup("s-radiantscan", "RadiantScan", ("vision/medical-imaging",), "X-ray triage",
    ...             needs=("domain", "go-to-market"), languages=("English",))
    >>> s.primary_domain
    'vision/medical-imaging'
    """

    id: str
    name: str
    domains: tuple[str, ...]
    description: str
    needs: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    #: Items beside the description (products, pilots), from ``evidence.csv``.
    evidence: tuple[Evidence, ...] = field(default=(), compare=False)

    @property
    def primary_domain(self) -> str:
        """The first of ``domains``: what the startup mainly works on."""
        return self.domains[0]


@dataclass(frozen=True)
class Mentor:
    """One mentor: kind, capacity (startups at once), domains, expertise, languages, conflicts.

    ``conflicts`` holds the ids of startups the mentor must not mentor.

    Examples
    --------
    >>> m = Mentor("m-li-jing", "Li Jing", "professor", ("nlp",), "multilingual language models",
    ...            capacity=2, conflicts=("s-kindbot",))
    >>> m.kind, m.capacity, "s-kindbot" in m.conflicts
    ('professor', 2, True)
    """

    id: str
    name: str
    kind: str
    domains: tuple[str, ...]
    expertise: str
    capacity: int
    offers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    organisation: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    #: Items beside the expertise lines (papers, companies, projects, ...), from ``evidence.csv``.
    evidence: tuple[Evidence, ...] = field(default=(), compare=False)


@dataclass(frozen=True, eq=False)
class Preferences:
    """Stated preferences of a cohort, one entry per (startup, mentor) pair mentioned.

    Startups rank mentors (``ranks``: 1 = first choice, ``None`` = not ranked); mentors bid on
    startups (``bids``: ``"yes"``, ``"maybe"``, ``"no"``, or ``""`` for no bid). A ``"no"`` is a
    hard rule; the rest enter the affinity as the ``preference`` component (see
    :mod:`matcher.data.preferences`).
    """

    startup_ids: tuple[str, ...]
    mentor_ids: tuple[str, ...]
    ranks: tuple[int | None, ...]
    bids: tuple[str, ...]
    source: str = "preferences"

    def __len__(self) -> int:
        return len(self.startup_ids)

    def to_frame(self) -> pd.DataFrame:
        """Columns ``startup_id``, ``mentor_id``, ``startup_rank`` (nullable int), ``mentor_bid``."""
        return pd.DataFrame({
            "startup_id": list(self.startup_ids), "mentor_id": list(self.mentor_ids),
            "startup_rank": pd.array(list(self.ranks), dtype="Int64"), "mentor_bid": list(self.bids)})


@dataclass(frozen=True)
class Cohort:
    """Startups, mentors and rules of one cohort, as loaded by :func:`matcher.load_cohort`.

    A cohort is frozen: the what-if methods (:meth:`with_capacity`, :meth:`with_capacities`,
    :meth:`with_rules`, :meth:`without_mentors`, :meth:`without_startups`) return changed copies.

    Attributes
    ----------
    startups : tuple of Startup
    mentors : tuple of Mentor
    rules : Rules
        The programme's rules (``programme.yaml``).
    name : str
        The cohort's name, e.g. ``"spring-2026"``.
    history : tuple of (cohort, startup_id, mentor_id)
        Pairs made in earlier cohorts (``history.csv``).
    meta : mapping
        Facts about the cohort as filed: programme name, start date, the folder it was read from.
    preferences : Preferences or None
        Stated preferences (``preferences.csv``), if any.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/spring-2026")
    >>> cohort.name, len(cohort.startups), len(cohort.mentors)
    ('spring-2026', 11, 36)
    """

    startups: tuple[Startup, ...]
    mentors: tuple[Mentor, ...]
    rules: Rules = field(default_factory=Rules)
    name: str = "cohort"
    history: tuple[tuple[str, str, str], ...] = ()  # (cohort, startup_id, mentor_id)
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    preferences: Preferences | None = field(default=None, compare=False)

    # what-if copies, defined in cohort_edits
    with_capacity = cohort_edits.with_capacity
    with_capacities = cohort_edits.with_capacities
    with_rules = cohort_edits.with_rules
    without_mentors = cohort_edits.without_mentors
    without_startups = cohort_edits.without_startups

    @property
    def startup_ids(self) -> np.ndarray:
        """Array of shape (n_startups,): the startups' ids, in order."""
        return np.array([s.id for s in self.startups], dtype=object)

    @property
    def mentor_ids(self) -> np.ndarray:
        """Array of shape (n_mentors,): the mentors' ids, in order."""
        return np.array([m.id for m in self.mentors], dtype=object)

    def startups_frame(self) -> pd.DataFrame:
        """One row per startup, indexed by id; list fields joined with ``;``."""
        return _frame(self.startups)

    def mentors_frame(self) -> pd.DataFrame:
        """One row per mentor, indexed by id; list fields joined with ``;``."""
        return _frame(self.mentors)


def _frame(items: tuple) -> pd.DataFrame:
    rows = []
    for item in items:
        row = {}
        for name, value in vars(item).items():
            if name == "attributes":
                row.update(value)
            elif name == "evidence":
                continue  # items are a table of their own (evidence.csv), not a cell
            elif isinstance(value, tuple):
                row[name] = ";".join(value)
            else:
                row[name] = value
        rows.append(row)
    return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()


@dataclass(frozen=True, eq=False)
class Assignment:
    """The result of :func:`matcher.assign`: which mentor goes to which startup, and its proof.

    Attributes
    ----------
    rows, cols : int arrays of shape (n_pairs,)
        Positions of the assigned pairs in the score matrix, sorted by row then column.
    startup_ids, mentor_ids : arrays of shape (n_startups,) and (n_mentors,)
        Ids of the score matrix's rows and columns.
    scores : float array of shape (n_pairs,)
        The score of each assigned pair.
    objective : float
        The value of the objective (for ``total``: the sum of the scores of the assigned pairs; for
        ``fair``: the worst-served startup's total, see ``objective_name``).
    bound : float
        An upper bound on the best possible objective; equal to ``objective`` when optimal.
        Under ``fair`` it bounds the worst startup's total, and ``gap`` is measured on it.
    status : str
        One of ``optimal``, ``feasible``, ``time_limit``.
    solver : str
        The backend that produced this assignment.
    timings : mapping of str to float
        Seconds spent in each stage.
    certified : bool or None
        For solves on candidate pairs only: True when a certificate proved the answer optimal over
        every pair (``info`` then holds ``rounds`` and ``pairs_added``), False when it could not;
        None when every pair was in the model, so no certificate was needed.

    Examples
    --------
    >>> import matcher
    >>> a = matcher.assign(np.array([[0.9, 0.2], [0.4, 0.8]]), k=1, capacity=1)
    >>> a.pairs
       startup_id  mentor_id  score
    0           0          0    0.9
    1           1          1    0.8
    >>> a.status, round(a.objective, 2), a.gap
    ('optimal', 1.7, 0.0)
    """

    rows: np.ndarray
    cols: np.ndarray
    startup_ids: np.ndarray
    mentor_ids: np.ndarray
    scores: np.ndarray
    objective: float
    bound: float
    status: str
    solver: str
    timings: Mapping[str, float] = field(default_factory=dict)
    objective_name: str = "total"
    info: Mapping[str, Any] = field(default_factory=dict)
    certified: bool | None = None

    @property
    def gap(self) -> float:
        """Relative distance between objective and bound: 0.0 means proven optimal."""
        if not np.isfinite(self.bound):
            return float("inf")
        return abs(self.bound - self.objective) / max(abs(self.objective), 1e-9)

    @property
    def pairs(self) -> pd.DataFrame:
        """The assigned pairs: columns ``startup_id``, ``mentor_id``, ``score``."""
        return pd.DataFrame(
            {
                "startup_id": self.startup_ids[self.rows],
                "mentor_id": self.mentor_ids[self.cols],
                "score": self.scores,
            }
        )

    @property
    def matrix(self) -> np.ndarray:
        """Boolean array of shape (n_startups, n_mentors), True where a pair is assigned."""
        out = np.zeros((len(self.startup_ids), len(self.mentor_ids)), dtype=bool)
        out[self.rows, self.cols] = True
        return out

    def startup_totals(self) -> pd.Series:
        """Total score of each startup's mentors, indexed by startup id."""
        totals = np.bincount(self.rows, weights=self.scores, minlength=len(self.startup_ids))
        return pd.Series(totals, index=pd.Index(self.startup_ids, name="startup_id"), name="total")

    def spread(self) -> dict[str, float]:
        """How evenly the startups are served: min, quartiles, max and mean of their totals.

        Examples
        --------
        >>> a = Assignment(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array(["s1", "s2"]),
        ...                np.array(["a", "b"]), np.array([0.5, 0.25, 0.5]), 1.25, 1.25,
        ...                "optimal", "flow")
        >>> a.spread()
        {'min': 0.5, 'q1': 0.5625, 'median': 0.625, 'q3': 0.6875, 'max': 0.75, 'mean': 0.625}
        """
        totals = self.startup_totals().to_numpy()
        if not len(totals):
            return dict.fromkeys(("min", "q1", "median", "q3", "max", "mean"), float("nan"))
        q1, median, q3 = np.quantile(totals, [0.25, 0.5, 0.75])
        return {"min": float(totals.min()), "q1": float(q1), "median": float(median),
                "q3": float(q3), "max": float(totals.max()), "mean": float(totals.mean())}

    def mentor_loads(self) -> pd.Series:
        """Number of startups each mentor takes, indexed by mentor id."""
        loads = np.bincount(self.cols, minlength=len(self.mentor_ids))
        return pd.Series(loads, index=pd.Index(self.mentor_ids, name="mentor_id"), name="load")

    def summary(self) -> str:
        """One line: status, objective, bound, gap, solver, time, the worst and median startup."""
        seconds = self.info.get("wall_time", sum(self.timings.values()))
        spread = self.spread()
        return (
            f"{self.status}: {self.objective_name} {self.objective:.4f}, bound {self.bound:.4f}, "
            f"gap {self.gap:.2%}, {len(self.rows)} pairs, solver {self.solver}, {seconds:.3f} s; "
            f"startup totals min {spread['min']:.4f}, median {spread['median']:.4f}"
        )

    def __repr__(self) -> str:
        return f"Assignment({self.summary()})"
