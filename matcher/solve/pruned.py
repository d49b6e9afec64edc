"""Large problems: min-cost flow on candidate pairs, then a certificate over every pair.

:func:`solve_pruned` is the loop:

1. candidates: the ``L`` best mentors of each startup by score minus a price from a sample
   market (:func:`~matcher.solve.candidates.top_candidates`, :mod:`matcher.solve.prices`), and
   the best startups of the priced mentors too few lists name (:mod:`matcher.solve.column_tops`);
2. min-cost flow on them (:func:`~matcher.solve.flow.flow_on_edges`);
3. if the pruned network is infeasible, the startups of a Hall-violating group get more
   candidates (:mod:`matcher.solve.widen`; when they already have every mentor, the full problem
   is infeasible too);
4. otherwise potentials of the residual graph price every pruned pair
   (:mod:`matcher.solve.certificate`): from the ranking bounds of the candidates when they leave
   few pairs open (:mod:`matcher.solve.row_bound`), else block by block. Pairs with positive
   reduced profit join the candidates and the flow is solved again (or repaired along cycles,
   :mod:`matcher.solve.cycles`); when there are none, the result is certified optimal.

:class:`PrunedFlowSolver` is the backend ``"pruned"``; :func:`matcher.assign` uses it by itself for
score matrices of :data:`AUTO_MIN_PAIRS` pairs or more when the rules are k, capacities,
forbidden and pinned pairs only, and always for :class:`~matcher.solve.candidates.VectorScores`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.data.models import Assignment
from matcher.errors import InfeasibleError, SolverError
from matcher.solve.budget import timed
from matcher.solve.candidates import (
    AUTO_MIN_PAIRS,
    Candidates,
    DenseScores,
    _sorted_unique,
    as_score_source,
    default_width,
    top_candidates,
)
from matcher.solve.certificate import (
    _best_per_row,
    find_violations,
    pick_violations,
    pool_violations,
    residual_potentials,
)
from matcher.solve.column_tops import with_column_tops
from matcher.solve.cycles import repair_flow
from matcher.solve.flow import flow_on_edges
from matcher.solve.objective import make_assignment
from matcher.solve.prices import PRICE_MIN_ROWS, estimate_prices
from matcher.solve.problem import Problem, pair_positions_of
from matcher.solve.row_bound import bound_pairs
from matcher.solve.scaling import integer_scores
from matcher.solve.widen import widen_group

__all__ = ["PrunedResult", "solve_pruned", "PrunedFlowSolver", "AUTO_MIN_PAIRS", "default_width",
           "prefers_pruned"]


@dataclass(frozen=True, eq=False)
class PrunedResult:
    """The pairs of an optimum found on candidates, and its certificate.

    Attributes
    ----------
    rows, cols : int arrays
        Assigned pairs, pins included, sorted by row then column.
    scores : float array
        Exact score of each assigned pair.
    certified : bool
        True when no pruned pair has positive reduced profit: the optimum of the full problem.
    info : dict
        ``rounds`` (flow solves), ``pairs_added`` (by the certificate and by widening),
        ``candidates`` (pairs in the last flow), ``widened`` (startups given more candidates
        because the pruned problem was infeasible), ``violations`` (per round).
    timings : dict
        Seconds in ``candidates``, ``flow``, ``potentials`` and ``certificate``.
    """

    rows: np.ndarray
    cols: np.ndarray
    scores: np.ndarray
    certified: bool
    info: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def solve_pruned(source, *, k_min: np.ndarray, k_max: np.ndarray, capacity: np.ndarray,
                 forbidden: tuple[np.ndarray, np.ndarray] | None = None,
                 pinned: tuple[np.ndarray, np.ndarray] | None = None, width: int | None = None,
                 max_rounds: int = 50) -> PrunedResult:
    """Optimal assignment of the full problem, solved on candidates and certified.

    Parameters
    ----------
    source : VectorScores, DenseScores or array of shape (n_startups, n_mentors)
        The scores; only blocks of rows are ever computed.
    k_min, k_max : int arrays of shape (n_startups,)
    capacity : int array of shape (n_mentors,)
    forbidden, pinned : (rows, cols) int arrays, optional
        Pairs that must never / must always be made (pins already checked against k and capacity).
    width : int, optional
        Candidates per startup to start with (default :func:`default_width`).
    max_rounds : int
        Flow solves allowed; when reached, the result is returned with ``certified=False``.

    Returns
    -------
    PrunedResult

    Raises
    ------
    InfeasibleError
        When the rules cannot hold even with every pair.

    Examples
    --------
    >>> scores = np.array([[0.9, 0.8, 0.1], [0.95, 0.2, 0.6], [0.9, 0.3, 0.5]])
    >>> r = solve_pruned(scores, k_min=np.ones(3, int), k_max=np.ones(3, int),
    ...                  capacity=np.ones(3, int), width=1)
    >>> r.cols.tolist(), r.certified
    ([1, 2, 0], True)
    """
    timings = dict.fromkeys(("candidates", "flow", "potentials", "certificate"), 0.0)
    with timed(timings, "candidates"):
        market = _market(as_score_source(source), k_min, k_max, capacity, forbidden, pinned, width)
        cand = _first_candidates(market)
        # the scale a dense solve of the same problem would use: from the peak over every pair
        scale = integer_scores(np.array([cand.peak])).scale
    n_first = len(cand)
    info = {"rounds": 0, "pairs_added": 0, "widened": 0, "violations": [],
            "width": int(market.widths[0])}
    certified, used, pool, kept = False, None, None, None
    info["repaired"] = 0
    while info["rounds"] < max_rounds:
        if kept is None:
            info["rounds"] += 1
            with timed(timings, "flow"):
                used = _route(market, cand, scale)
            if used is None:
                with timed(timings, "candidates"):
                    cand, added = _widen(market, cand)
                info["widened"] += added
                continue
            with timed(timings, "potentials"):
                d = _potentials(market, cand, used, scale)
        else:
            # the flow repaired along the cycles the few new pairs opened: no solve needed
            used, d, kept = kept[0], kept[1], None
            info["repaired"] += 1
        d_s, d_m = d[:cand.n_startups], d[cand.n_startups:-1]
        if pool is not None:
            # look first among the pairs the last scan found close to violating
            with timed(timings, "certificate"):
                v_rows, v_cols, n_bad = pool_violations(pool, cand, d_s, d_m,
                                                        **_per_round_caps(market))
            if n_bad:
                info["violations"].append(f"{n_bad} (pool)")
                if info["rounds"] == max_rounds:
                    break  # no round left to route the pairs found: answer with the last flow
                cand, kept = _add_and_check(market, cand, used, d, v_rows, v_cols, scale, timings)
                continue
        with timed(timings, "certificate"):
            v_rows, v_cols, n_bad, pool = _scan(market, cand, d_s, d_m, scale)
        info["violations"].append(n_bad)
        if n_bad == 0:
            certified = True
            break
        if info["rounds"] == max_rounds:
            break
        cand, kept = _add_and_check(market, cand, used, d, v_rows, v_cols, scale, timings)
    if used is None:
        raise SolverError(f"no feasible routing of the candidate pairs after {max_rounds} rounds")
    info["candidates"] = len(cand)
    info["pairs_added"] = len(cand) - n_first
    rows, cols = _with_pins(cand.rows[used], cand.cols[used], market.pins)
    return PrunedResult(rows, cols, market.source.exact(rows, cols), certified, info, timings)


@dataclass(frozen=True, eq=False)
class _Market:
    """The problem the pruned search works on, once the pinned pairs are made.

    ``k_min``, ``k_max`` and ``capacity`` are what the pins leave; ``excluded`` (forbidden and
    pinned pairs, sorted by row) are never proposed; ``widths`` are the candidates per startup.
    """

    source: Any
    k_min: np.ndarray
    k_max: np.ndarray
    capacity: np.ndarray
    excluded: tuple[np.ndarray, np.ndarray]
    pins: tuple[np.ndarray, np.ndarray]
    widths: np.ndarray

    @property
    def active_rows(self) -> np.ndarray:
        return self.k_max > 0

    @property
    def active_cols(self) -> np.ndarray:
        return self.capacity > 0


def _market(source, k_min, k_max, capacity, forbidden, pinned, width) -> _Market:
    """The rules less what the pins use up; raises InfeasibleError when pins exceed them."""
    n_s, n_m = source.shape
    empty = np.zeros(0, dtype=np.int64)
    f_rows, f_cols = forbidden if forbidden is not None else (empty, empty)
    p_rows, p_cols = pinned if pinned is not None else (empty, empty)
    p_rows, p_cols = np.asarray(p_rows, np.int64), np.asarray(p_cols, np.int64)
    # pins use up a place of their startup and of their mentor before anything else
    pins_s = np.bincount(p_rows, minlength=n_s)
    pins_m = np.bincount(p_cols, minlength=n_m)
    k_hi = k_max - pins_s
    cap = capacity - pins_m
    if (k_hi < 0).any() or (cap < 0).any():
        raise InfeasibleError("pinned pairs exceed k or a mentor's capacity")
    keys = _sorted_unique(np.concatenate([
        np.asarray(f_rows, np.int64) * n_m + np.asarray(f_cols, np.int64), p_rows * n_m + p_cols]))
    widths = np.full(n_s, width or default_width(k_max, n_m), dtype=np.int64)
    return _Market(source, np.maximum(k_min - pins_s, 0), k_hi, cap, (keys // n_m, keys % n_m),
                   (p_rows, p_cols), widths)


def _first_candidates(market: _Market) -> Candidates:
    """Each startup's best mentors by score minus a price estimated on a sample.

    The prices keep full stars from filling every list. Without them (small problems, or a
    sample that cannot be routed) each mentor also proposes its 2 x capacity best startups, so
    that no mentor is left without candidates when every startup ranks the same stars first;
    with them, those proposals cost a fifth of the candidates and a pass of column thresholds
    and changed no answer's rounds on the benchmark distributions.
    """
    source, cap = market.source, market.capacity
    prices = None
    if source.shape[0] > PRICE_MIN_ROWS:
        prices = estimate_prices(source, market.k_min, market.k_max, cap)
    cand = top_candidates(source, market.widths, excluded=market.excluded,
                          active_rows=market.active_rows, active_cols=market.active_cols,
                          column_width=None if prices is not None else 2 * cap, prices=prices)
    if prices is None:
        return cand
    return with_column_tops(source, cand, 2 * cap, excluded=market.excluded,
                            active_rows=market.active_rows, active_cols=market.active_cols,
                            prices=prices)


def _route(market: _Market, cand: Candidates, scale: float) -> np.ndarray | None:
    """The min-cost flow on the candidates: which of them are used, None when infeasible."""
    # quantise to the global scale, so the flow's own scale is that one times a power of two
    weights = np.rint(cand.weights * scale) / scale
    return flow_on_edges(cand.rows, cand.cols, weights, k_min=market.k_min, k_max=market.k_max,
                         capacity=market.capacity)


def _potentials(market: _Market, cand: Candidates, used: np.ndarray, scale: float) -> np.ndarray:
    """Potentials of startups, mentors and the sink in the flow's residual graph (integer units)."""
    costs = -np.rint(cand.weights * scale).astype(np.int64)
    d_s, d_m, d_t = residual_potentials(cand.rows, cand.cols, costs, used, k_min=market.k_min,
                                        k_max=market.k_max, capacity=market.capacity)
    return np.concatenate([d_s, d_m, [d_t]])


def _add_and_check(market: _Market, cand: Candidates, used: np.ndarray, d: np.ndarray,
                   rows: np.ndarray, cols: np.ndarray, scale: float, timings: dict):
    """The candidates with the pairs added, and (used, potentials) when a repair of the flow
    made it optimal on them (:func:`~matcher.solve.cycles.repair_flow`); None: solve again."""
    n_m = cand.n_mentors
    held = cand.rows[used] * n_m + cand.cols[used]
    cand = _with_pairs(market, cand, rows, cols)
    if len(rows) > max(_FEW_PAIRS, cand.n_startups // 1000):
        return cand, None
    with timed(timings, "flow"):
        used = np.zeros(len(cand), dtype=bool)
        used[np.searchsorted(cand.rows * n_m + cand.cols, held)] = True
        costs = -np.rint(cand.weights * scale).astype(np.int64)
        return cand, repair_flow(cand.rows, cand.cols, costs, used, d, k_min=market.k_min,
                                 k_max=market.k_max, capacity=market.capacity)


#: Rounds adding at most this many pairs (or 0.1 % of the startups) try a repair first.
_FEW_PAIRS = 32

#: Rounds with at most this many violating pairs, or one per this many startups, add only them.
_FEW_VIOLATING = 100
_FEW_VIOLATING_PER = 8


def _per_round_caps(market: _Market) -> dict:
    """Most pairs added per startup and per mentor in one round."""
    return {"per_row": int(market.widths.max(initial=1)), "per_col": 2 * market.capacity + 2}


def _scan(market: _Market, cand: Candidates, d_s: np.ndarray, d_m: np.ndarray, scale: float):
    """Every pruned pair priced: (rows, cols) to add, violations found, pool of near misses."""
    caps = _per_round_caps(market)
    args = dict(scale=scale, excluded=market.excluded, active_rows=market.active_rows,
                active_cols=market.active_cols, max_pairs=_max_rescored(market.source))
    # the pairs the ranking bounds leave open: none violating certifies without a scan;
    # when some do, the same bounds with the margin give what a scan would have found
    open_pairs = bound_pairs(market.source, cand, d_s, d_m, **args)
    n_open = -1 if open_pairs is None else int((open_pairs[2] > 0).sum())
    if n_open == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, 0, None
    # up to one violating pair per few startups join alone: the pairs near violating would
    # cost a wide rescoring and slow the next flow (at 10,000 x 3,000, 100-500 violating pairs
    # alone took 0.05-0.15 s to the certificate, with their near pairs 0.3-0.6 s), and a few
    # pairs may be routed by a repair instead of a solve
    few = 0 <= n_open <= max(_FEW_VIOLATING, cand.n_startups // _FEW_VIOLATING_PER)
    near = open_pairs if few else bound_pairs(market.source, cand, d_s, d_m,
                                              margin=_NEAR * cand.peak, **args)
    found: list = []
    if near is not None:
        rows, cols, profit = near
        rows, cols, profit = _best_per_row(rows, cols, profit, 4 * caps["per_row"])
        v_rows, v_cols = pick_violations(rows, cols, profit, d_s, d_m, pool=found, **caps)
        return v_rows, v_cols, int((near[2] > 0).sum()), found[0]
    v_rows, v_cols, n_bad = find_violations(
        market.source, cand, d_s, d_m, scale=scale, excluded=market.excluded,
        active_rows=market.active_rows, active_cols=market.active_cols,
        margin=_NEAR * cand.peak, pool=found, **caps)
    return v_rows, v_cols, n_bad, (found[0] if found else None)


def _max_rescored(source) -> int:
    """Most pairs rescored one by one rather than scanned: a pair costs a gather from a
    matrix (a dot product for vectors) against a share of a block in a scan."""
    n_s, n_m = source.shape
    return n_s * n_m // (8 if isinstance(source, DenseScores) else 200)


def _with_pairs(market: _Market, cand: Candidates, rows: np.ndarray,
                cols: np.ndarray) -> Candidates:
    """The candidates and the given pairs, with their exact scores."""
    return cand.merge(rows, cols, market.source.exact(rows, cols))


def _with_pins(rows: np.ndarray, cols: np.ndarray,
               pins: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The routed pairs and the pinned ones together, sorted by row then column."""
    rows = np.concatenate([rows, pins[0]])
    cols = np.concatenate([cols, pins[1]])
    order = np.lexsort((cols, rows))
    return rows[order], cols[order]


#: Pairs this close to violating (relative to the largest score) join violators' rounds.
_NEAR = 0.01


def _widen(market: _Market, cand: Candidates) -> tuple[Candidates, int]:
    """More candidates for the startups of a Hall-violating group (:func:`widen_group`)."""
    return widen_group(market.source, cand, excluded=market.excluded,
                       active_cols=market.active_cols, demand=market.k_min,
                       supply=market.capacity, width=int(market.widths.max(initial=1)))


def prefers_pruned(problem: Problem) -> bool:
    """True when ``problem`` is large and has only k, capacity, forbidden and pinned rules.

    Scores given as vectors are always large: the matrix is never held.
    """
    if problem.side_rules():
        return False
    if not problem.is_dense:
        return True
    n_s, n_m = problem.shape
    return n_s * n_m >= AUTO_MIN_PAIRS and n_m > 2 * default_width(problem.k_max, n_m)


class PrunedFlowSolver:
    """Min-cost flow on each startup's best mentors, certified optimal over all pairs.

    Exact for the rules the flow backend expresses (k, capacities, forbidden, pinned); built for
    large problems, including scores given as vectors (the matrix is never held). The
    :class:`~matcher.data.models.Assignment` has ``certified=True`` and reports ``rounds`` and
    ``pairs_added`` in its ``info``.
    """

    name = "pruned"
    accepts_vectors = True

    def __init__(self, *, width: int | None = None, max_rounds: int = 50):
        self.width = width
        self.max_rounds = max_rounds

    def unsupported(self, problem: Problem) -> str | None:
        """Why this backend cannot express ``problem``, or None when it can."""
        extra = problem.side_rules()
        return f"it handles only k, capacities, forbidden and pinned pairs, not {extra[0]}" \
            if extra else None

    def solve(self, problem: Problem, *, time_limit: float, seed: int, workers: int) -> Assignment:
        start = time.perf_counter()
        result = solve_pruned(
            problem.source, k_min=problem.k_min, k_max=problem.k_max, capacity=problem.capacity,
            forbidden=pair_positions_of(problem.forbidden), pinned=pair_positions_of(problem.pinned),
            width=self.width, max_rounds=self.max_rounds)
        objective = float(result.scores.sum())
        return make_assignment(
            problem, result.rows, result.cols, solver=self.name,
            status="optimal" if result.certified else "feasible",
            bound=objective if result.certified else float("inf"), objective=objective,
            scores=result.scores, timings={**result.timings, "solve": time.perf_counter() - start},
            info=result.info, certified=result.certified)
