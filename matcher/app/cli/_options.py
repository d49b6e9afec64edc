"""The options several commands share, and the parsers of option values.

Each option a command family shares is declared once here, with its help text. The parsers turn
an option's text into the value the library takes, or raise :class:`~matcher.errors.InputError`
naming the option.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matcher.app.cli._failures import bad_option
from matcher.data.vocabulary import DEFAULT_TIME_LIMIT, SOLVER_NAMES

if TYPE_CHECKING:
    import pandas as pd

#: What --time-limit is when not given, for the commands that read a programme (or a stored run's
#: rules) and for ``assign``, which reads only a score matrix.
TIME_LIMIT_DEFAULT = (f"the programme's time_limit, else {DEFAULT_TIME_LIMIT:g} s; min-cost flow "
                      "and stable matching finish far sooner")
ASSIGN_TIME_LIMIT_DEFAULT = f"{DEFAULT_TIME_LIMIT:g} s; min-cost flow finishes far sooner"

PathArgument = Annotated[Path, typer.Argument(help="Cohort folder or file.")]
ResultDirArgument = Annotated[Path, typer.Argument(help="Folder written by 'matcher match PATH --out DIR'.")]
KOption = Annotated[str | None, typer.Option(help="Mentors per startup: 3, or a range 2-3.")]
SolverOption = Annotated[str | None, typer.Option(help=", ".join(SOLVER_NAMES) + ".")]
TimeLimitOption = Annotated[float | None, typer.Option(
    help="Seconds the solver may take.", show_default=TIME_LIMIT_DEFAULT)]
AssignTimeLimitOption = Annotated[float | None, typer.Option(
    help="Seconds the solver may take.", show_default=ASSIGN_TIME_LIMIT_DEFAULT)]
ObjectiveOption = Annotated[str | None, typer.Option(
    help="total (sum of scores), fair (worst-served startup first), blend, or randomised (a "
         "lottery with no pair above --max-probability).")]
MaxProbabilityOption = Annotated[float | None, typer.Option(
    help="With --objective randomised: the cap on each pair's probability, e.g. 0.5.")]
OverrideOption = Annotated[list[str] | None, typer.Option(
    help="Startup id to match whatever its eligibility verdict (repeatable).")]


def parse_k(text: str) -> int | tuple[int, int]:
    """``--k``: '3' → 3; '2-3' or '2,3' → (2, 3)."""
    from matcher.data.values import whole_number

    parts = text.replace(",", "-").split("-")
    try:
        values = [whole_number(p) for p in parts]
    except ValueError as exc:
        message = str(exc) if len(parts) == 1 else f"in '{text}', {exc}"
        raise bad_option("--k", message, "write e.g. --k 3, or a range --k 2-3") from None
    if len(values) > 2:
        raise bad_option("--k", f"'{text}' is neither a number nor a range", "write e.g. --k 3, or --k 2-3")
    return values[0] if len(values) == 1 else (values[0], values[1])


def rule_overrides(k: str | None, solver: str | None, time_limit: float | None,
                   objective: str | None = None, max_probability: float | None = None
                   ) -> dict[str, Any]:
    """The rules the options set, to override the programme's (an option not given sets none)."""
    given = {"objective": objective, "k": parse_k(k) if k is not None else None, "solver": solver,
             "time_limit": time_limit, "max_probability": max_probability}
    return {name: value for name, value in given.items() if value is not None}


def parse_pairs(option: str, values: list[str] | None, parts: int) -> list[tuple[str, ...]]:
    """``--pin s,m`` (two parts) or ``--swap s,m_out,m_in`` (three parts), each value split."""
    pairs = []
    for text in values or []:
        items = tuple(x.strip() for x in text.split(","))
        if len(items) != parts or not all(items):
            shape = "STARTUP,MENTOR" if parts == 2 else "STARTUP,MENTOR_OUT,MENTOR_IN"
            raise bad_option(f"--{option}", f"'{text}' is not {shape}",
                             f"write e.g. --{option} s-kindbot,m-zhang-wei")
        pairs.append(items)
    return pairs


def read_capacity(text: str) -> int | pd.Series:
    """``--capacity``: one whole number for every mentor, or a file of ``mentor_id,capacity`` rows."""
    from matcher.data.values import whole_number

    try:
        float(text)
    except ValueError:
        from matcher.data.io import read_capacity as read_capacity_table

        return read_capacity_table(Path(text))
    try:
        return whole_number(text)
    except ValueError as exc:
        raise bad_option("--capacity", str(exc), "write a whole number of startups, 0 or more") from None
