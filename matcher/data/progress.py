"""Progress of long steps (scoring, solving, batch jobs), reported to whoever listens — by default no one.

The library never prints: a step calls :func:`report` with what it knows, and the event goes to the
listener installed with :func:`listening` in the calling thread (the command line installs one that
writes a line on stderr), or nowhere. Events are plain frozen dataclasses; a listener that raises is
ignored, so progress can never take a solve down.

Examples
--------
>>> seen = []
>>> with listening(seen.append):
...     report("score", "3,000 × 900 pairs", elapsed=1.5)
>>> seen[0].stage, seen[0].text, seen[0].elapsed
('score', '3,000 × 900 pairs', 1.5)
>>> report("score", "nobody listens")   # no listener: nothing happens
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["ProgressEvent", "report", "listening", "listener", "labelled", "SolveTicker"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step's news: ``stage`` (``score``, ``solve``, ``job``…), a short text, and for a solve the
    best objective found, the bound, the relative gap (all in score units) and the seconds elapsed."""

    stage: str
    text: str = ""
    label: str = ""
    best: float | None = None
    bound: float | None = None
    gap: float | None = None
    elapsed: float | None = None
    final: bool = False


Listener = Callable[[ProgressEvent], object]

_listener: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("matcher_progress", default=None)
_label: contextvars.ContextVar[str] = contextvars.ContextVar("matcher_progress_label", default="")


def listener() -> Listener | None:
    """The listener of the calling context, or None (then reporting costs nothing).

    >>> listener() is None
    True
    """
    return _listener.get()


@contextlib.contextmanager
def listening(callback: Listener | None) -> Iterator[None]:
    """Send the progress of the steps run inside the block to ``callback`` (None: to no one).

    >>> with listening(lambda event: print(event.stage, event.text)):
    ...     report("job", "started")
    job started
    """
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


@contextlib.contextmanager
def labelled(label: str) -> Iterator[None]:
    """Tag the events reported inside the block (e.g. with a batch job's name).

    >>> seen = []
    >>> with listening(seen.append), labelled("spring"):
    ...     report("job", "started")
    >>> seen[0].label
    'spring'
    """
    token = _label.set(label)
    try:
        yield
    finally:
        _label.reset(token)


def _send(callback: Listener | None, event: ProgressEvent) -> None:
    if callback is None:
        return
    with contextlib.suppress(Exception):  # progress is news, never a reason to fail the step
        callback(event)


def report(stage: str, text: str = "", **facts: float | bool | None) -> None:
    """Tell the listener (if any) how a step is going; ``facts`` are :class:`ProgressEvent` fields.

    >>> seen = []
    >>> with listening(seen.append):
    ...     report("score", "done", elapsed=0.5, final=True)
    >>> seen[0].final
    True
    """
    callback = _listener.get()
    if callback is not None:
        _send(callback, ProgressEvent(stage, text, _label.get(), **facts))


class SolveTicker:
    """Progress of one solver run, callable from the solver's own threads.

    Made in the calling thread (which knows the listener and label); :meth:`solution` and
    :meth:`bound` may then be called from any thread. Values are divided by ``scale`` into score
    units; ``sense`` is +1 when maximising.

    >>> seen = []
    >>> with listening(seen.append):
    ...     ticker = SolveTicker("CP-SAT", scale=10.0)
    >>> ticker.solution(135.0, 140.0)
    >>> seen[0].best, seen[0].bound, round(seen[0].gap, 4)
    (13.5, 14.0, 0.037)
    """

    def __init__(self, text: str, *, scale: float = 1.0):
        self.callback, self.label, self.text = _listener.get(), _label.get(), text
        self.scale, self.started = float(scale) or 1.0, time.perf_counter()

    @property
    def active(self) -> bool:
        """True when someone listens (a solver need not install its callbacks otherwise)."""
        return self.callback is not None

    def solution(self, objective: float, bound: float, *, final: bool = False) -> None:
        """A new best solution: its objective and the current bound, in the solver's units
        (``final``: the run's last word, shown even when lines are rationed)."""
        best, limit = objective / self.scale, bound / self.scale
        gap = abs(limit - best) / max(abs(best), 1e-9)
        _send(self.callback, ProgressEvent("solve", self.text, self.label, best=best, bound=limit, gap=gap,
                                           elapsed=time.perf_counter() - self.started, final=final))

    def bound(self, bound: float, *, final: bool = False) -> None:
        """A better bound, in the solver's units."""
        _send(self.callback, ProgressEvent("solve", self.text, self.label, bound=bound / self.scale,
                                           elapsed=time.perf_counter() - self.started, final=final))
