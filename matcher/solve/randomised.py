"""The ``randomised`` objective: the best lottery over assignments with every pair's chance capped.

When a few star mentors are everyone's first choice, or participants could game their stated
preferences, a programme caps each pair's probability at ``q`` (``max_probability``): no startup
is certain to get a given investor, no mentor can make sure of its favourite. Two steps:

1. **The LP.** Maximise the expected score ``sum x[i, j] * score[i, j]`` over fractions
   ``0 <= x[i, j] <= q`` with ``k_min[i] <= sum_j x[i, j] <= k_max[i]`` and
   ``sum_i x[i, j] <= capacity[j]`` (forbidden pairs 0, pinned pairs 1). Its constraint matrix is a
   network's, so with ``q = a / whole`` it is the min-cost flow of ``matcher.solve.flow.flow_on_edges``
   in units of ``1 / whole`` (pair arcs of capacity ``a``, everything else times
   ``whole``): an exact LP optimum, found as fast as the deterministic flow, never an interior
   point to round.
2. **The sample.** :func:`~matcher.solve.rounding.dependent_rounding` draws an assignment whose
   pairs are made with probability exactly ``x`` and that keeps k and every capacity.

The :class:`~matcher.data.models.Assignment` holds one sample (from ``seed``); its objective is
the LP's expected score (proven optimal, so its bound too), and ``info`` holds the
deterministic optimum, the fractional assignment (:class:`FractionalAssignment`), the ratio of
the two and the sample's own total. :func:`realised_probabilities` draws many samples and sets
each pair's share of them beside its ``x``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from matcher.data.models import Assignment
from matcher.errors import Diagnosis, InfeasibleError
from matcher.solve.flow import flow_on_edges, solve_flow
from matcher.solve.objective import make_assignment
from matcher.solve.problem import Problem
from matcher.solve.rounding import dependent_rounding

__all__ = ["FractionalAssignment", "fractional_assignment", "realised_probabilities",
           "RandomisedSolver", "probability_units", "GRID"]

#: A cap that is no fraction with a denominator up to GRID is rounded down to a multiple of 1 / GRID.
GRID = 1000


@dataclass(frozen=True, eq=False)
class FractionalAssignment:
    """The LP optimum of the randomised objective: each pair's probability, in exact units.

    Attributes
    ----------
    rows, cols : int arrays of shape (n_pairs,)
        Pairs with a positive probability, sorted by row then column.
    units : int array of shape (n_pairs,)
        Each pair's probability in units of ``1 / whole``.
    whole : int
        Units that make probability 1.
    scores : float array of shape (n_pairs,)
    startup_ids, mentor_ids : arrays
    max_probability : float
        The cap the LP kept (``q``, or ``q`` rounded down to the grid of :data:`GRID`).
    """

    rows: np.ndarray
    cols: np.ndarray
    units: np.ndarray
    whole: int
    scores: np.ndarray
    startup_ids: np.ndarray
    mentor_ids: np.ndarray
    max_probability: float

    @property
    def probabilities(self) -> np.ndarray:
        """Each pair's probability, ``units / whole``."""
        return self.units / self.whole

    @property
    def expected_score(self) -> float:
        """The expected total score of a sample: ``sum x * score``."""
        return float(self.units @ self.scores) / self.whole

    def sample(self, seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) of one assignment drawn with these marginals (dependent rounding)."""
        chosen = dependent_rounding(self.rows, self.cols, self.units, self.whole, seed=seed)
        return self.rows[chosen], self.cols[chosen]

    def to_frame(self) -> pd.DataFrame:
        """Columns ``startup_id``, ``mentor_id``, ``probability``, ``score``."""
        return pd.DataFrame({"startup_id": self.startup_ids[self.rows],
                             "mentor_id": self.mentor_ids[self.cols],
                             "probability": self.probabilities, "score": self.scores})


def probability_units(q: float) -> tuple[int, int]:
    """``(a, whole)`` with ``a / whole`` the cap ``q`` as an exact fraction (denominator up to
    :data:`GRID`), else ``q`` rounded down to a multiple of ``1 / GRID``.

    >>> probability_units(0.5), probability_units(0.9), probability_units(1 / 3), probability_units(0.12345)
    ((1, 2), (9, 10), (1, 3), (123, 1000))
    """
    frac = Fraction(q).limit_denominator(GRID)
    if abs(float(frac) - q) <= 1e-12:
        return frac.numerator, frac.denominator
    return math.floor(q * GRID + 1e-9), GRID


def fractional_assignment(problem: Problem, max_probability: float | None = None) -> FractionalAssignment:
    """The fractional assignment of the largest expected score with no pair above the cap.

    Parameters
    ----------
    problem : Problem
        k, capacities, forbidden and pinned pairs (pinned pairs have probability 1).
    max_probability : float, optional
        The cap ``q`` in (0, 1]; the problem's ``max_probability`` when not given.

    Raises
    ------
    InfeasibleError
        When no fractional assignment keeps the cap, with the startup or the count that fails.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.5, 0.1], [0.8, 0.7, 0.2]]), k=1, capacity=1)
    >>> x = fractional_assignment(p, 0.5)
    >>> x.to_frame()
       startup_id  mentor_id  probability  score
    0           0          0          0.5    0.9
    1           0          1          0.5    0.5
    2           1          0          0.5    0.8
    3           1          1          0.5    0.7
    >>> round(x.expected_score, 3)
    1.45
    """
    q = problem.max_probability if max_probability is None else max_probability
    a, whole = probability_units(q)
    pins = problem.pinned
    k_min = problem.k_min - pins.sum(axis=1)
    k_max = problem.k_max - pins.sum(axis=1)
    capacity = problem.capacity - pins.sum(axis=0)
    _check_cap(problem, a / whole, a, whole, k_min, pins)
    if (k_max < 0).any() or (capacity < 0).any():
        raise InfeasibleError([])  # pins exceed k or a capacity: the diagnosis above says which
    rows, cols = np.nonzero(problem.allowed & ~pins & (capacity > 0)[None, :])
    flows = flow_on_edges(rows, cols, problem.scores[rows, cols], k_min=k_min * whole,
                          k_max=k_max * whole, capacity=capacity * whole, pair_capacity=a)
    if flows is None:
        raise InfeasibleError([Diagnosis(
            "max_probability", f"no lottery keeps every pair at probability {a / whole:g} or less "
            "while each startup gets its k mentors within the mentors' capacities",
            suggestions=("raise max_probability", "add mentors or raise their capacity"))])
    used = flows > 0
    pin_rows, pin_cols = np.nonzero(pins)
    rows = np.concatenate([rows[used], pin_rows])
    cols = np.concatenate([cols[used], pin_cols])
    units = np.concatenate([flows[used], np.full(len(pin_rows), whole)]).astype(np.int64)
    order = np.lexsort((cols, rows))
    rows, cols, units = rows[order], cols[order], units[order]
    return FractionalAssignment(rows, cols, units, whole, problem.scores[rows, cols],
                                problem.startup_ids, problem.mentor_ids, a / whole)


def _check_cap(problem: Problem, q: float, a: int, whole: int, k_min: np.ndarray,
               pins: np.ndarray) -> None:
    """Startups that cannot reach k_min when no pair goes above ``q``: too few allowed mentors."""
    room = (problem.allowed & ~pins).sum(axis=1) * a
    short = np.nonzero(room < k_min * whole)[0]
    if not len(short):
        return
    i = int(short[0])
    need = math.ceil(int(k_min[i]) / q)
    have = int(room[i] // a)
    raise InfeasibleError([Diagnosis(
        "max_probability",
        f"startup {problem.startup_label(i)} needs {int(k_min[i])} mentor(s) beyond its pins; with "
        f"no pair above probability {q:g} that takes {need} allowed mentors, it has {have}"
        + (f" ({len(short)} startups are short)" if len(short) > 1 else ""),
        shortfall=float(need - have), startups=tuple(problem.startup_ids[short].tolist()),
        suggestions=(f"raise max_probability to at least {int(k_min[i]) / max(have, 1):.2g}",
                     "allow more pairs for these startups"))])


def realised_probabilities(fractional: FractionalAssignment, n_samples: int = 1000, *,
                           seed: int = 0) -> pd.DataFrame:
    """Each pair's LP probability beside its share of ``n_samples`` samples.

    Returns
    -------
    DataFrame
        Columns ``startup_id``, ``mentor_id``, ``probability`` (the LP's), ``realised`` (share of
        samples with the pair), ``score``. Sample ``s`` uses seed ``(seed, s)``.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.5], [0.8, 0.7]]), k=1, capacity=1)
    >>> table = realised_probabilities(fractional_assignment(p, 0.5), 400, seed=1)
    >>> bool((table["realised"] - table["probability"]).abs().max() < 0.1)
    True
    """
    counts = np.zeros(len(fractional.rows), dtype=np.int64)
    for s in range(n_samples):
        counts += dependent_rounding(fractional.rows, fractional.cols, fractional.units,
                                     fractional.whole, seed=np.random.default_rng((seed, s)))
    table = fractional.to_frame()
    table.insert(3, "realised", counts / max(n_samples, 1))
    return table


class RandomisedSolver:
    """The LP of the largest expected score under a probability cap, and one sample of it."""

    name = "randomised"

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        if problem.objective != "randomised":
            return f"it samples the randomised objective, not {problem.objective!r}"
        extra = [n for n in problem.side_rules() if n not in ("objective", "max_probability")]
        if extra:
            # the sampler keeps each startup's and each mentor's count, not a group's within them
            return (f"the randomised objective keeps k, capacities, forbidden and pinned pairs, "
                    f"not {extra[0]} (leave {extra[0]} out, e.g. quotas={{}})")
        return None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        """Solve the capped LP, draw one assignment with ``seed``, and report both."""
        start = time.perf_counter()
        fractional = fractional_assignment(problem)
        lp_done = time.perf_counter()
        rows, cols = fractional.sample(seed)
        sampled = time.perf_counter()
        best_rows, best_cols = solve_flow(problem)
        deterministic = float(problem.scores[best_rows, best_cols].sum())
        expected = fractional.expected_score
        info = {"fractional": fractional, "max_probability": fractional.max_probability,
                "expected_score": expected, "deterministic_optimum": deterministic,
                "expected_ratio": expected / deterministic if deterministic else float("nan"),
                "sample_total": float(problem.scores[rows, cols].sum()), "sample_seed": seed}
        return make_assignment(problem, rows, cols, solver=self.name, status="optimal",
                               bound=expected, objective=expected, info=info,
                               timings={"lp": lp_done - start, "sample": sampled - lp_done,
                                        "deterministic": time.perf_counter() - sampled})
