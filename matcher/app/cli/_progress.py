"""The live progress line on stderr: scoring, each solver's best objective, bound and gap, batch jobs.

Shown when stderr is a terminal (one line, rewritten in place) or when ``--progress`` is given (one
line per news, at most one a second per step, for logs); ``--no-progress`` silences it. The
library reports to it through :func:`matcher.data.progress.listening`.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any, TextIO

import typer

__all__ = ["ProgressOption", "showing_progress", "progress_line", "ProgressPrinter"]

ProgressOption = Annotated[bool | None, typer.Option(
    "--progress/--no-progress",
    help="A live line on stderr while scoring and solving (best objective, bound, gap, seconds). "
         "Default: on when stderr is a terminal.")]


def progress_line(event: Any, best: float | None = None) -> str:
    """An event as one line of text.

    >>> from matcher.data.progress import ProgressEvent
    >>> progress_line(ProgressEvent("solve", "CP-SAT", "spring", best=13.5, bound=13.6, gap=0.0074,
    ...                             elapsed=2.25))
    'spring: solving (CP-SAT): best 13.5000, bound 13.6000, gap 0.74%, 2.2 s'
    >>> progress_line(ProgressEvent("solve", "CP-SAT", bound=13.55), best=13.5)
    'solving (CP-SAT): best 13.5000, bound 13.5500, gap 0.37%'
    """
    head = f"{event.label}: " if event.label else ""
    if event.stage == "solve":
        best = event.best if event.best is not None else best
        parts = [f"best {best:.4f}" if best is not None else "no solution yet"]
        gap = event.gap
        if event.bound is not None:
            parts.append(f"bound {event.bound:.4f}")
            if gap is None and best is not None:  # a better bound against the best kept from before
                gap = abs(event.bound - best) / max(abs(best), 1e-9)
        if gap is not None:
            parts.append(f"gap {gap:.2%}")
        text = f"solving ({event.text}): " + ", ".join(parts)
    else:
        text = f"{'scoring' if event.stage == 'score' else event.stage}: {event.text}".rstrip(": ")
    if event.elapsed is not None:
        text += f", {event.elapsed:.1f} s"
    return head + text


class ProgressPrinter:
    """A listener writing events to ``stream``: rewritten in place on a terminal, else line by line.

    >>> import io
    >>> from matcher.data.progress import ProgressEvent
    >>> out = io.StringIO()
    >>> printer = ProgressPrinter(out, terminal=False)
    >>> printer(ProgressEvent("score", "done", elapsed=0.5))
    >>> print(out.getvalue(), end="")
    scoring: done, 0.5 s
    """

    def __init__(self, stream: TextIO, *, terminal: bool, every: float = 1.0):
        self.stream, self.terminal, self.every = stream, terminal, every if not terminal else 0.1
        self.lock, self.last, self.best, self.width = threading.Lock(), {}, {}, 0

    def __call__(self, event: Any) -> None:
        key = (event.label, event.stage, event.text)
        now = time.monotonic()
        with self.lock:
            if event.best is not None:
                self.best[key] = event.best
            if not event.final and now - self.last.get(key, -1e9) < self.every:
                return
            self.last[key] = now
            line = progress_line(event, self.best.get(key))
            if self.terminal:
                self.stream.write("\r" + line.ljust(self.width))
                self.width = len(line)
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        """End the line rewritten in place, so what follows starts on its own line."""
        if self.terminal and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


@contextlib.contextmanager
def showing_progress(wanted: bool | None) -> Iterator[None]:
    """Show the progress of the block on stderr: when ``wanted``, or (None) when stderr is a terminal.

    >>> from matcher.data.progress import listener
    >>> with showing_progress(False):
    ...     listener() is None
    True
    """
    from matcher.data.progress import listening

    terminal = sys.stderr.isatty()
    if not (wanted if wanted is not None else terminal):
        yield
        return
    printer = ProgressPrinter(sys.stderr, terminal=terminal)
    try:
        with listening(printer):
            yield
    finally:
        printer.close()
