"""Where the command line writes: standard output and standard error, as rich consoles.

The consoles are made on first use, so ``matcher --help`` never imports rich's console.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def stdout() -> Any:
    """The console for results (tables, summaries, files written)."""
    from rich.console import Console

    return Console()


@functools.cache
def stderr() -> Any:
    """The console for errors and progress."""
    from rich.console import Console

    return Console(stderr=True)
