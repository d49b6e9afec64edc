"""The ``matcher`` console command.

Exit status: 0 on success, 2 on bad input, 3 when the rules cannot all be met, 1 on any other
failure. Messages go to stderr; user errors never print a traceback.

The commands live by family — :mod:`~matcher.app.cli.matching` (validate, screen, match,
assign), :mod:`~matcher.app.cli.insight` (explain, rematch, evaluate) and
:mod:`~matcher.app.cli.runs` (report, batch, history) — and import the library only when they run,
so ``matcher --help`` loads typer and nothing heavy.
"""

from __future__ import annotations

import sys

import typer

from matcher.app.cli._console import stderr
from matcher.app.cli._failures import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INFEASIBLE, EXIT_OK, _fail
from matcher.app.cli._options import parse_k as _parse_k
from matcher.app.cli._options import read_capacity as _read_capacity
from matcher.app.cli.insight import evaluate_command, explain_command, rematch_command
from matcher.app.cli.matching import (
    CRITERION_HEADINGS,
    STATUS_MARKS,
    assign_command,
    match,
    screen_command,
    validate,
)
from matcher.app.cli.runs import DEFAULT_DB, batch, history, report
from matcher.errors import SolverError

__all__ = ["app", "main", "run", "EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_INFEASIBLE",
           "DEFAULT_DB", "CRITERION_HEADINGS", "STATUS_MARKS", "_fail", "_parse_k", "_read_capacity"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Match startups to mentors for AI accelerator programmes.")

# in the order `matcher --help` lists them
app.command()(validate)
app.command()(match)
app.command("assign")(assign_command)
app.command("explain")(explain_command)
app.command("evaluate")(evaluate_command)
app.command("rematch")(rematch_command)
app.command()(batch)
app.command()(history)
app.command()(report)
app.command("screen")(screen_command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        app(args=argv, prog_name="matcher")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except SolverError as exc:
        stderr().print(f"solver failed: {exc}", markup=False, highlight=False)
        return EXIT_FAILED
    return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
