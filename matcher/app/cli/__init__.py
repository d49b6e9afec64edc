"""The ``matcher`` console command.

Exit status: 0 on success, 2 on bad input, 3 when the rules cannot all be met, 1 on any other
failure. Messages go to stderr; user errors never print a traceback.

The commands live by family — :mod:`~matcher.app.cli.matching` (validate, screen, match,
assign), :mod:`~matcher.app.cli.insight` (explain, rematch, evaluate),
:mod:`~matcher.app.cli.publishing` (report, review, publish), :mod:`~matcher.app.cli.runs`
(batch, history) and :mod:`~matcher.app.cli.week` (meetings, final) — and import the library only
when they run,
so ``matcher --help`` loads typer and nothing heavy.
"""

from __future__ import annotations

import sys

import typer

from matcher.app.cli._console import stderr
from matcher.app.cli._failures import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INFEASIBLE, EXIT_OK, _fail, fail_write
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
from matcher.app.cli.publishing import publish_command, report, review_command
from matcher.app.cli.runs import DEFAULT_DB, batch, history
from matcher.app.cli.week import final_command, meetings_command
from matcher.errors import SolverError

__all__ = ["app", "main", "run", "EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_INFEASIBLE",
           "DEFAULT_DB", "CRITERION_HEADINGS", "STATUS_MARKS", "_fail", "_parse_k", "_read_capacity"]

# Help is plain click text: typer's rich help costs a tenth of a second of imports (markdown,
# tracebacks, pretty-printing) on every `--help`, twice what the rest of it takes.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Match startups to mentors for AI accelerator programmes.")

# in the order `matcher --help` lists them, each with the line it shows there
app.command(short_help="Check a cohort's files and report every problem found.")(validate)
app.command(short_help="Screen, match and write a cohort's results.")(match)
app.command("assign", short_help="Assign from a score matrix file and write the pairs.")(assign_command)
app.command("explain", short_help="Why each pair, the runner-ups and the cost of a swap.")(explain_command)
app.command("evaluate", short_help="Score the scorer against ratings of past pairs.")(evaluate_command)
app.command("rematch", short_help="Pin, forbid or swap pairs, changing the fewest.")(rematch_command)
app.command(short_help="Run the jobs of a job file.")(batch)
app.command(short_help="List the stored runs, or show one.")(history)
app.command(short_help="Write the report, startup cards and mentor pages of a cohort or a result.")(report)
app.command("review", short_help="Write decisions.csv (keep / drop / pin each pair) to edit.")(review_command)
app.command("publish", short_help="Make a result final in the history store and write the letters.")(
    publish_command)
app.command("screen", short_help="Check each startup's eligibility; say who is left out.")(screen_command)
app.command("meetings", short_help="Plan the week's speed meetings and write the agendas.")(meetings_command)
app.command("final", short_help="Make the final match from the choices after the meetings.")(final_command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        app(args=argv, prog_name="matcher")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except SolverError as exc:
        stderr().print(f"solver failed: {exc}", markup=False, highlight=False)
        return EXIT_FAILED
    except ImportError as exc:
        # scoring.embeddings asks for a model not installed: say how in one line. Imported here,
        # where scoring is loaded already, so that --help stays light.
        from matcher.scoring.embeddings import MissingExtraError

        if not isinstance(exc, MissingExtraError):
            raise
        stderr().print(str(exc), markup=False, highlight=False, soft_wrap=True)
        return EXIT_FAILED
    except OSError as exc:  # a file no command expected to fail on: still one line, no traceback
        try:
            fail_write(exc)
        except typer.Exit as exit_:
            return exit_.exit_code
    return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
