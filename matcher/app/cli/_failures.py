"""How the command line fails: exit codes, and a user error printed without a traceback.

Exit status: 0 on success, 2 on bad input, 3 when the rules cannot all be met, 1 on any other
failure. Messages go to stderr.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NoReturn

import typer

from matcher.app.cli._console import stderr
from matcher.errors import InfeasibleError, InputError, InputProblem, MatcherError

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "_fail", "bad_option",
           "fail_write", "writing"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3


def exit_status(exc: MatcherError) -> tuple[str, int]:
    """The label a message starts with and the exit status, for an error raised on purpose."""
    if isinstance(exc, InputError):
        return "error", EXIT_BAD_INPUT
    if isinstance(exc, InfeasibleError):
        return "infeasible", EXIT_INFEASIBLE
    return "solver failed", EXIT_FAILED


def _fail(exc: MatcherError) -> NoReturn:
    """Print a user error on stderr and exit with its status."""
    label, status = exit_status(exc)
    # markup off: messages hold brackets such as "[total capacity]"
    stderr().print(f"{label}: {exc}", markup=False, highlight=False, style="red", soft_wrap=True)
    raise typer.Exit(status)


def bad_option(option: str, message: str, hint: str = "") -> InputError:
    """An :class:`InputError` about a command-line option (``option`` is e.g. ``"--out"``)."""
    return InputError([InputProblem(f"option {option}", None, None, message, hint)])


def fail_write(exc: OSError) -> NoReturn:
    """Print one line naming the file that could not be written and what to do; exit 2 or 1.

    2 for a path the user can fix (a file in the way, no permission, a read-only disk), 1 for a
    full disk.
    """
    from matcher.data.io.writers import write_failure

    message, status = write_failure(exc)
    stderr().print(f"error: {message}", markup=False, highlight=False, style="red", soft_wrap=True)
    raise typer.Exit(status)


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Turn an ``OSError`` raised while writing the block's files into :func:`fail_write`'s line.

    Commands write their files inside it and say what they wrote after it: nothing is printed as
    written when it was not.
    """
    try:
        yield
    except OSError as exc:
        fail_write(exc)
