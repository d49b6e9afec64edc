"""Stage 3c of the fair solve (:mod:`matcher.solve.fair`): the configuration LP's bisection,
an assignment rounded from its fractional solution, and the rest of the bisection beside the
search.

The bisection gets its share of the time limit; the highest target it cannot refute in that
share feeds the search (its sets are rounded and searched among). What the bisection does after
that can only lower the bound, so with a second core (CP-SAT runs on one worker) it goes on in a
thread while the search runs, and :func:`join_configuration` takes its bound at the end. HiGHS
and CP-SAT both release the GIL while they solve. The answer does not depend on the thread: only
the bound and the status do. At 1,000 x 300 this is what brings the bound within 1 % in 10 s.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from matcher.solve.fair_config import ConfigBisection
from matcher.solve.fair_sample import SAMPLE, SampleBisection, priced_assignment
from matcher.solve.fair_search import round_configuration, worst_total
from matcher.solve.feasible import satisfies

if TYPE_CHECKING:
    from matcher.solve.fair import FairRun

__all__ = ["CONFIG_MIN_SECONDS", "configuration_stage", "join_configuration"]

#: The configuration LP runs when its share of the limit is at least this: with exact pricing,
#: its first converged target takes 2.2-2.4 s of an idle core at 1,000 x 300 (12-14 LP solves),
#: several times that on a busy box; a shorter share would only take time from the search.
CONFIG_MIN_SECONDS = 2.0

#: From this many startups on, the configuration LP runs on a sample of them
#: (:mod:`matcher.solve.fair_sample`): over all 5,000 of 5,000 x 1,500 it converged no target
#: in a minute.
SAMPLE_FROM = 4 * SAMPLE

#: The part of the sample stage's time its bisection takes before the priced start.
SAMPLE_SHARE = 0.45

#: A target where :func:`priced_assignment` misses at most this share of the startups is tried
#: again (with those first) up to ``RETRIES`` times while fewer are missed each time.
MISSED_SHARE = 0.02
RETRIES = 4

#: With one worker, the share of the time left that the sample's bisection goes on for.
ONE_WORKER_SHARE = 0.6

#: The thread stops this long before the deadline, and is waited for this long after it at
#: most: an interior-point solve (with its crossover) can run a few tenths past its limit.
MARGIN = 0.3


def configuration_stage(run: FairRun) -> np.ndarray | None:
    """The configuration LP, by bisection between the best start and the bound, then
    an assignment rounded from its fractional solution (:func:`round_configuration`).

    Returns the pairs of the sets its fractional solution uses at the highest target it could
    not refute (None when there is none)."""
    problem = run.problem
    if problem.objective != "fair" or run.best is None or run.meets_bound(run.best):
        return None
    # what is left after it goes to rounding its solution and to CP-SAT
    seconds = min(0.4 * run.time_limit, 0.5 * (run.deadline - time.perf_counter()))
    if seconds < CONFIG_MIN_SECONDS:
        return None  # too short to refute a first target: leave the time to the search
    if run.sampled:
        # CP-SAT after it, on 5,000 x 1,500, did not raise the priced start in 19 s (stars and
        # correlated): the priced start gets the longer share
        _sample_stage(run, min(0.5 * run.time_limit, 0.7 * (run.deadline - time.perf_counter())))
        return None
    # the LP over the candidate pairs is no bound, but near the configuration LP's threshold
    guess = run.info.get("lp_value")
    run.bisection = ConfigBisection(problem, worst_total(problem, run.best), run.bound,
                                    start_prices=run.prices, first=guess)
    found = run.bisection.run(time.perf_counter() + seconds)
    _record_configuration(run)
    if found.owner is None:
        _beside_search(run)
        return None
    used = found.weight > 1e-6
    owner, members, weight = found.owner[used], found.members[used], found.weight[used]
    run.lap("configuration")
    # first over the LP's sets alone (a small model: 1.5595 in 1 s at 1,000 x 300 stars, where
    # adding the best assignment's pairs left 1.1646), then with them if that finds nothing
    rounded = None
    for extra in (None, run.best):
        left = run.deadline - time.perf_counter()
        seconds = min(max(1.0, 0.15 * run.time_limit), 0.6 * left)
        if rounded is not None or seconds < 0.2:
            break
        rounded = round_configuration(problem, owner, members, weight, extra=extra,
                                      t_max=run.bound, seconds=seconds, seed=run.seed,
                                      workers=run.workers)
    if rounded is not None and worst_total(problem, rounded) > worst_total(problem, run.best):
        run.best = run.starts["configuration rounding"] = rounded
        run.candidates |= rounded
    # only now: beside the rounding, the thread's pricing took the GIL from the model building
    # and the rounding's answer fell from 1.5655 to 1.5192 in one run of three (stars)
    _beside_search(run)
    pairs = np.zeros(problem.shape, dtype=bool)
    slot = members >= 0
    pairs[np.broadcast_to(owner[:, None], members.shape)[slot], members[slot]] = True
    return pairs & run.allowed


def _sample_stage(run: FairRun, seconds: float) -> None:
    """The configuration LP on a sample of startups for part of ``seconds``, then an assignment
    priced by its prices (:func:`_priced_start`); the sample's bisection, and the check of its
    prices on the whole problem (the bound), go on beside the search."""
    problem, start = run.problem, time.perf_counter()
    run.bisection = SampleBisection(problem, worst_total(problem, run.best), run.bound,
                                    start_prices=run.prices)
    # the full certificate waits for the thread: a pass over every startup takes 0.5-4 s here
    run.bisection.run(start + SAMPLE_SHARE * seconds, check=False)
    _record_configuration(run)
    run.lap("configuration")
    priced = _priced_start(run, run.bisection, until=start + seconds)
    if priced is not None and worst_total(problem, priced) > worst_total(problem, run.best):
        run.best = run.starts["sample prices"] = priced
        run.candidates |= priced
    _beside_search(run)


def _priced_start(run: FairRun, bisection: SampleBisection, until: float) -> np.ndarray | None:
    """The highest target, by bisection, for which :func:`priced_assignment` at the sample's
    prices gives every startup a set, and its assignment (CP-SAT completes the rows whose sets
    break their own rules: short of ``k_min``, missing a pin); None when none is found."""
    problem, prices = run.problem, bisection.prices
    if prices is None:
        return None
    low = worst_total(problem, run.best)
    high = min(run.bound, bisection.sample.found.value)
    # the sample's highest feasible target first: it is often reached
    tau, best, order, spent = bisection.found.feasible_tau, None, None, 0.0
    tried = run.info.setdefault("priced_targets", [])
    n_s, retries, last = problem.shape[0], 0, np.inf
    for _ in range(24):
        if tau is None or not low < tau < high:
            tau, retries, last = 0.5 * (low + high), 0, np.inf
        if time.perf_counter() + spent > until or high - low <= 1e-4 * max(1.0, abs(high)):
            break
        began = time.perf_counter()
        sets, missed, order = priced_assignment(problem, prices, tau, scores=bisection.scores,
                                                order=order, until=until)
        spent = time.perf_counter() - began
        tried.append((tau, len(missed), spent))
        if not len(missed):
            low, best, tau = tau, sets, None
            continue
        if time.perf_counter() > until:
            break  # given up on the clock: that says nothing about the target
        # the startups missed go first next time: a few missed at one target were placed after
        # one to three such tries (5,000 x 1,500 stars: 15 missed, then 6, 5, none)
        order = np.concatenate([missed, order[~np.isin(order, missed)]])
        retries += 1
        if len(missed) > MISSED_SHARE * n_s or retries > RETRIES or len(missed) >= last:
            high, tau = tau, None
        last = len(missed)
    if best is None:
        return None
    chosen = np.zeros(problem.shape, dtype=bool)
    slot = best >= 0
    chosen[np.broadcast_to(np.arange(n_s)[:, None], best.shape)[slot], best[slot]] = True
    chosen &= run.allowed
    if satisfies(problem, chosen):
        return chosen
    left = run.deadline - time.perf_counter()
    return round_configuration(problem, np.arange(n_s), best, np.ones(n_s), extra=run.best,
                               t_max=run.bound, seconds=min(max(1.0, 0.1 * run.time_limit),
                                                            0.5 * left),
                               seed=run.seed, workers=run.workers)


def _beside_search(run: FairRun) -> None:
    """With a second core, the rest of the bisection in a thread until the deadline. With one,
    a sample's bisection and the checks of its prices over every startup go on now, for part
    of the time left: the sample alone proves nothing, and the search after the priced start
    rarely raises the worst total at that size."""
    if run.workers > 1:
        run.background = threading.Thread(target=_bisect_on,
                                          args=(run.bisection, run.deadline - MARGIN),
                                          name="configuration LP", daemon=True)
        run.background.start()
    elif isinstance(run.bisection, SampleBisection):
        now = time.perf_counter()
        _bisect_on(run.bisection, now + ONE_WORKER_SHARE * (run.deadline - now))
        _record_configuration(run)


def _bisect_on(bisection: ConfigBisection | SampleBisection, until: float) -> None:
    """The configuration LP's bisection until ``until`` (in its own thread, or not); an error
    there only leaves the bound where it was."""
    try:
        bisection.run(until)
    except Exception:  # noqa: BLE001 - the bound is optional; the answer must not depend on it
        bisection.stop.set()


def _record_configuration(run: FairRun) -> None:
    """Take the configuration LP's bound (each value it holds is a verified refutation)."""
    found = run.bisection.found
    run.info["bounds"]["configuration_lp"] = found.value
    run.info["configuration_lp"] = {"lp_solves": found.lp_solves,
                                    "fractional_at": found.feasible_tau,
                                    "beside_search": run.background is not None, **found.info}
    run.bound = min(run.bound, found.value)


def join_configuration(run: FairRun, proven: bool) -> None:
    """Wait for the bisection beside the search, up to the deadline, unless the worst total is
    proven already (then nothing it finds can matter), and take its bound."""
    if run.background is None:
        return
    if proven:
        run.bisection.stop.set()
    run.background.join(timeout=max(0.0, run.deadline - time.perf_counter()) + MARGIN)
    run.bisection.stop.set()  # a thread still in an LP stops after it; its bound stays valid
    _record_configuration(run)
