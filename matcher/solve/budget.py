"""Seconds: what a solve may still spend, and what a CP-SAT model costs to build and load.

A CP-SAT time limit bounds the search, not the building of the model in Python nor CP-SAT's own
loading and presolve (FACTS.md #9: a model of 1.2 M pairs given 5 s took 17 s). The backends that
build CP-SAT models therefore keep their own clock (:class:`Deadline`) and estimate, before
building, what a model of so many pairs will cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["BUILD_SECONDS", "LOAD_SECONDS", "Deadline", "timed"]

#: Seconds to build a CP-SAT model, per candidate pair: 12-19 microseconds measured with k,
#: capacities and three quotas on two busy cores; the margin covers a busier machine.
BUILD_SECONDS = 4e-5

#: Seconds CP-SAT spends beyond its time limit, per pair: loading and presolve (1.2 measured).
LOAD_SECONDS = 3e-6


class Deadline:
    """A clock for one solve of ``seconds``.

    >>> clock = Deadline(10.0)
    >>> 9.0 < clock.left() <= 10.0, clock.builds(1000), clock.builds(10**9)
    (True, True, False)
    """

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.start = time.perf_counter()
        self.end = self.start + self.seconds

    def left(self) -> float:
        """Seconds left (negative once past)."""
        return self.end - time.perf_counter()

    def spent(self) -> float:
        return time.perf_counter() - self.start

    def builds(self, n_pairs: int, share: float = 1.0) -> bool:
        """A model of ``n_pairs`` pairs builds within ``share`` of the time left, with half a
        second to spare."""
        return share * self.left() >= 0.5 + BUILD_SECONDS * n_pairs

    def for_search(self, n_pairs: int, keep: float = 0.0) -> float:
        """Seconds to give CP-SAT on a model of ``n_pairs`` pairs: what is left, less its loading
        and presolve and ``keep`` seconds for what comes after."""
        return self.left() - LOAD_SECONDS * n_pairs - keep


@contextmanager
def timed(timings: dict, step: str) -> Iterator[None]:
    """Add the seconds spent in the block to ``timings[step]``.

    >>> timings = {"flow": 0.0}
    >>> with timed(timings, "flow"):
    ...     pass
    >>> timings["flow"] >= 0.0
    True
    """
    tick = time.perf_counter()
    try:
        yield
    finally:
        timings[step] += time.perf_counter() - tick
