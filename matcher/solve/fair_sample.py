"""The configuration LP on a sample of startups: mentor prices for a bound and a start at scale.

At 5,000 x 1,500 the configuration LP over every startup (:mod:`matcher.solve.fair_config`)
converges no target in a minute: its master grows by 5,000 columns a round and each solve takes
seconds. The same LP over an evenly spread sample of a few hundred startups, with every mentor's
capacity scaled to the sample, converges in seconds, and its mentor prices serve the whole
problem twice:

* **a bound.** Any prices give a certificate over every startup, computed from the scores
  (:func:`~matcher.solve.fair_config.refutes`): if the sets all startups need to reach ``tau``
  cost more than all mentor places, no assignment reaches ``tau``, whatever the prices. The
  sample's refuting prices refute targets near the LP's threshold on the whole problem;
  :class:`SampleBisection` checks each new price vector there, by bisection on the certificate
  alone. The sample itself proves nothing: only the full certificate lowers the bound.
* **a start.** :func:`priced_assignment` gives startups, dearest first and a few hundred at a
  time, their cheapest set reaching ``tau`` at those prices among the mentors with places left.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from matcher.solve.fair_config import ConfigBisection, ConfigBound, refutes
from matcher.solve.fair_pricing import RankedScores, cheapest_sets
from matcher.solve.problem import Problem

__all__ = ["SAMPLE", "SampleBisection", "priced_assignment", "sample_problem"]

#: Startups in the sample: at 5,000 x 1,500 (stars) its LP refutes a first target in 7 s at load
#: 2 with 500 startups, 9 s with 1,000, and the full certificate refutes about the same targets
#: at the prices of either.
SAMPLE = 500

#: Startups priced together by :func:`priced_assignment`: rows of one chunk see the places left
#: before it (at 5,000 x 1,500 stars, 250 gave everyone 1.56 in 1.2 s; a whole pass at once
#: left half of the startups on full mentors).
CHUNK = 250


def sample_problem(problem: Problem, n: int) -> Problem:
    """``n`` evenly spread startups of ``problem``, each mentor's capacity scaled by
    ``n / n_startups``: a problem for the configuration LP only.

    The capacities stay fractional (an LP takes them so): rounded, a mentor of three places in
    5,000 would get none or one in 500, and the sample would see other scarcities than the whole.
    Pins, mentor loads and links are dropped (the configuration LP relaxes them).

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.arange(20.0).reshape(10, 2), k=1, capacity=[6, 4])
    >>> s = sample_problem(p, 4)
    >>> s.scores[:, 0].tolist(), s.capacity.round(6).tolist()
    ([0.0, 6.0, 12.0, 18.0], [2.4, 1.6])
    """
    n_s = problem.shape[0]
    rows = np.linspace(0, n_s - 1, min(n, n_s)).astype(np.int64)

    def pick(mask):
        return mask[rows] if np.ndim(mask) == 2 else mask

    quotas = tuple(replace(q, members=pick(q.members), min=q.min[rows], max=q.max[rows])
                   for q in problem.quotas)
    return replace(problem, scores=problem.scores[rows], startup_ids=problem.startup_ids[rows],
                   k_min=problem.k_min[rows], k_max=problem.k_max[rows],
                   capacity=problem.capacity * (len(rows) / n_s),
                   forbidden=pick(problem.forbidden), pinned=np.zeros((len(rows),
                   problem.shape[1]), dtype=bool), quotas=quotas, min_load=None, repeats=None,
                   links=None, rankings=None, team=None)


class SampleBisection:
    """The configuration LP's bisection on a sample (:func:`sample_problem`), its LP prices at
    each refuted target checked on the whole problem. The same interface as
    :class:`~matcher.solve.fair_config.ConfigBisection`: :meth:`run` until a time, resumable in
    another thread; :attr:`stop`; :attr:`found` holds the bound proven on the whole problem.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> scores = np.tile([1.0, 0.1, 0.1], (8, 1))   # everyone wants mentor 0, two places
    >>> p = make_problem(scores, k=1, capacity=[2, 4, 4], objective="fair")
    >>> b = SampleBisection(p, 0.1, 1.0, n_sample=4)
    >>> 0.1 <= b.run(time.perf_counter() + 10).value < 0.11   # the optimum is 0.1
    True
    """

    def __init__(self, problem: Problem, low: float, high: float, *, n_sample: int = SAMPLE,
                 start_prices: np.ndarray | None = None):
        self.problem = problem
        self.sample = ConfigBisection(sample_problem(problem, n_sample), low, high,
                                      start_prices=start_prices)
        self.stop = self.sample.stop
        self.lo = low
        self.found = ConfigBound(high, info={"sample": self.sample.problem.shape[0]})
        self.checked: list[np.ndarray] = []  # the price vectors checked on the whole problem
        self.pending = None  # prices to check on the whole problem (the newest only)
        self.usable = self.sample.usable
        if self.usable:
            self.scores = RankedScores.of(np.where(problem.allowed, problem.scores, -np.inf))

    @property
    def prices(self) -> np.ndarray | None:
        """The sample's last mentor prices that meant something (at a target it could not meet),
        for :func:`priced_assignment`."""
        return self.sample.pool.prices if self.usable and self.sample.found.lp_solves else None

    def run(self, until: float, *, steps: int = 12, check: bool = True) -> ConfigBound:
        """Bisect the sample for at most ``steps`` targets until ``until``; with ``check``, after
        each new refutation of the sample its LP prices are first checked on the whole problem
        (the newest only)."""
        for _ in range(steps if self.usable else 0):
            if time.perf_counter() > until or self.stop.is_set():
                break
            if check and self.pending is not None:
                prices, self.pending = self.pending, None
                self.checked.append(prices)
                self._check(prices, until)
                continue
            if self.sample.hi - self.sample.lo <= 1e-4 * max(1.0, abs(self.sample.hi)):
                break  # the sample is settled: its prices will not change
            refuted = self.sample.found.prices
            self.sample.run(until, steps=1)
            self.found.lp_solves = self.sample.found.lp_solves
            self.found.feasible_tau = self.sample.found.feasible_tau
            if self.sample.found.prices is not refuted:
                # the LP's own prices at the target just refuted, not the certificate's: they
                # refute as much over every startup (5,000 x 1,500: 0.93 on correlated, 1.59 on
                # stars) and, with fewer price levels, a pass took 2.7 s where the other took 15
                self.pending = self.sample.pool.prices
        return self.found

    def _check(self, prices: np.ndarray, until: float, steps: int = 5) -> None:
        """Lower the bound towards the lowest target ``prices`` refute over every startup, by
        bisection on the certificate; each refuted target counts at once (the bound is read
        at the deadline, perhaps mid-way), and no pass starts that would end past ``until``."""
        high = self.found.value
        # the whole problem's threshold lies just above the sample's (a pass takes 0.5-3 s at
        # 5,000 x 1,500; 1.59 over 1.58 on stars, 0.930 over 0.927 on correlated): bisect from
        # a little below it, not from the bottom (no pass at ``high`` first: each step checks
        # its own target)
        low = min(max(self.lo, self.sample.found.value - 0.002 * abs(high)), high)
        spent = 0.0
        for _ in range(steps):
            if time.perf_counter() + spent > until or self.stop.is_set():
                break
            began, mid = time.perf_counter(), 0.5 * (low + high)
            if refutes(self.problem, self.scores, prices, mid):
                high = self.found.value = mid
                self.found.prices = prices
            else:
                low = mid
            spent = time.perf_counter() - began


def priced_assignment(problem: Problem, prices: np.ndarray, tau: float, *,
                      scores: RankedScores | None = None, order: np.ndarray | None = None,
                      until: float = np.inf, chunk: int = CHUNK
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each startup's cheapest set reaching ``tau`` at ``prices`` among mentors with places left.

    Startups go weakest first (by the sum of their ``k`` best scores), ``chunk`` at a time:
    a chunk is priced over the mentors with places left, then each of its startups, in order,
    takes its set if every mentor of it still has a place; the others go back to the front of
    the queue. A startup with no set reaching ``tau`` is given up.

    Parameters
    ----------
    problem : Problem
        Non-negative scores; quotas over fixed mentor groups are kept (for up to three mentors a
        startup), pins and quotas that differ by startup are not.
    prices : array of shape (n_mentors,)
        Non-negative mentor prices (a configuration LP's).
    tau : float
        The target.
    scores : RankedScores, optional
        ``problem``'s allowed scores, ranked once (see :func:`cheapest_sets`).
    order : int array, optional
        The startups in the order they go (by default weakest first); a startup left out is
        given up.
    until : float
        A ``time.perf_counter`` time after which the remaining startups are given up.

    Returns
    -------
    sets : int array of shape (n_startups, k.max())
        Each startup's mentors (-1 pads; a row of -1 for those given up).
    missed : int array
        The startups given up.
    order : int array
        The order they went in (for the next call at a nearby target).

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.array([[0.9, 0.8], [0.6, 0.1]]), k=1, capacity=1, objective="fair")
    >>> sets, missed, _ = priced_assignment(p, np.array([1.0, 0.1]), 0.5)
    >>> sets.tolist(), missed.tolist()     # the second startup is weaker: it goes first
    ([[1], [0]], [])
    """
    if scores is None:
        scores = RankedScores.of(np.where(problem.allowed, problem.scores, -np.inf))
    prices = np.where(prices > 1e-12, prices, 0.0)
    n_s, big_k = problem.shape[0], int(problem.k_max.max(initial=0))
    groups = [(q.members, q.min, q.max) for q in problem.quotas if not q.per_startup]
    left = problem.capacity.astype(np.int64).copy()
    sets = np.full((n_s, big_k), -1, dtype=np.int64)
    if order is None:
        # those with the least to choose from first (as good as dearest first at 5,000 x 1,500,
        # which costs a pricing pass of 0.7-3.5 s)
        best = np.take_along_axis(scores.scores, scores.top[:, :big_k], 1)
        reach = np.where(np.arange(best.shape[1]) < problem.k_max[:, None], best, 0.0)
        order = np.argsort(np.where(np.isfinite(reach), reach, -np.inf).sum(axis=1),
                           kind="stable")
    queue = order
    missed = [np.setdiff1d(np.arange(n_s), order)]
    while len(queue) and time.perf_counter() < until:
        rows, queue = queue[:chunk], queue[chunk:]
        values = scores.scores[rows]
        values[:, left <= 0] = -np.inf  # (a copy: rows picked by index)
        found, picked, _ = cheapest_sets(values, prices, problem.k_max[rows], tau,
                                         [(m, lo[rows], hi[rows]) for m, lo, hi in groups])
        took = np.zeros(len(rows), dtype=bool)
        # one startup at a time: whether a set fits depends on the sets taken before it
        # (a finite need with no mentors: the empty set reaches a target of 0 or less)
        for r in np.nonzero(np.isfinite(found))[0]:
            mentors = picked[r][picked[r] >= 0]
            if (left[mentors] > 0).all():
                if len(mentors) < problem.k_min[rows[r]]:
                    # a set short of k_min (rare): completed by the best mentors with a place
                    picked[r, :] = -1
                    mentors = _complete(problem, rows[r], mentors, left, groups)
                    picked[r, : len(mentors)] = mentors
                left[mentors] -= 1
                took[r] = True
        sets[rows[took]] = picked[took]
        lost = ~np.isfinite(found)
        missed.append(rows[lost])
        queue = np.concatenate([rows[~took & ~lost], queue])
    missed.append(queue)
    return sets, np.sort(np.concatenate(missed)).astype(np.int64), order


def _complete(problem: Problem, i: int, mentors: np.ndarray, left: np.ndarray,
              groups: list) -> np.ndarray:
    """Startup ``i``'s ``mentors`` and, up to ``k_min[i]``, its best allowed mentors with a place
    left, a group short of its minimum first, none that takes a group past its maximum (as many
    as found: the caller's check sees a row still short)."""
    mentors = list(mentors)
    values = np.where(problem.allowed[i] & (left > 0), problem.scores[i], -np.inf)
    values[mentors] = -np.inf
    while len(mentors) < problem.k_min[i]:
        ok = np.isfinite(values)
        for members, low, high in groups:
            inside = int(members[mentors].sum())
            ok &= ~members if inside >= high[i] else True
            if inside < low[i] and (ok & members).any():
                ok &= members
        if not ok.any():
            break
        j = int(np.argmax(np.where(ok, values, -np.inf)))
        mentors.append(j)
        values[j] = -np.inf
    return np.array(mentors, dtype=np.int64)
