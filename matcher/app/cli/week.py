"""Commands of the matching week: ``meetings`` (who meets whom, and when) and ``final`` (the
final match from both sides' choices)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcher.app.cli._console import stdout
from matcher.app.cli._failures import _fail, writing
from matcher.app.cli._options import PathArgument, TimeLimitOption
from matcher.errors import MatcherError

__all__ = ["meetings_command", "final_command", "is_choices_file", "evaluate_choices_command"]


def meetings_command(
    path: PathArgument,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the plan and the agendas.")
                       ] = Path("out"),
    per_startup: Annotated[int, typer.Option(
        help="Meetings per startup, the diversity share included.")] = 8,
    days: Annotated[str, typer.Option(
        help="Number of weekdays from the programme's start_date, or dates YYYY-MM-DD,...")] = "5",
    diversity: Annotated[float, typer.Option(help="Share of each list kept for diverse mentors.")] = 0.25,
    meeting_capacity: Annotated[int | None, typer.Option(
        help="Most meetings per mentor (default: twice the average).")] = None,
    day_start: Annotated[str, typer.Option(help="HH:MM the first slot may start.")] = "09:00",
    day_end: Annotated[str, typer.Option(help="HH:MM the last slot must end.")] = "17:00",
    slot_minutes: Annotated[int, typer.Option(help="Length of a meeting.")] = 20,
    gap_minutes: Annotated[int, typer.Option(help="Pause between meetings.")] = 5,
    breaks: Annotated[list[str] | None, typer.Option(
        "--break", help="HH:MM-HH:MM without meetings (repeatable; default 12:30-13:30).")] = None,
    rooms: Annotated[str | None, typer.Option(
        help="Number of rooms, or their names / links, comma-separated.")] = None,
    availability: Annotated[Path | None, typer.Option(
        help="Mentors' windows (default: availability.csv in the cohort folder).")] = None,
    time_limit: TimeLimitOption = None,
) -> None:
    """Choose every startup's meetings and schedule them in the fewest rounds; write the agendas.

    Writes meetings.csv, agenda.html, per-person CSV and .ics files, blank choices forms and
    timetable.json into OUT.
    """
    from matcher.app.agenda import write_plan
    from matcher.week import plan_meetings

    room_value: int | str | None = rooms
    if rooms is not None and rooms.strip().isdigit():
        room_value = int(rooms)
    try:
        plan = plan_meetings(path, per_startup=per_startup, days=days, diversity=diversity,
                             meeting_capacity=meeting_capacity, day_start=day_start, day_end=day_end,
                             slot_minutes=slot_minutes, gap_minutes=gap_minutes,
                             breaks=("12:30-13:30",) if breaks is None else breaks, rooms=room_value,
                             availability=availability, time_limit=time_limit)
    except MatcherError as exc:
        _fail(exc)
    with writing():
        written = write_plan(plan, out_dir)
    stdout().print(plan.summary(), markup=False, highlight=False)
    stdout().print(f"wrote {len(written)} files into {out_dir} (meetings.csv, agenda.html, agendas, "
                   "forms)", markup=False, highlight=False)


def final_command(
    path: PathArgument,
    choices: Annotated[Path, typer.Option(help="choices.csv: both sides' ranks and yes/maybe/no.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the final match.")] = Path("out"),
    meetings: Annotated[Path | None, typer.Option(
        help="The meetings held (default: meetings.csv beside the choices).")] = None,
    solver: Annotated[str | None, typer.Option(
        help="stable or stable-mentors for a stable match; otherwise the best total.")] = None,
    k: Annotated[int | None, typer.Option(
        help="Most lead mentors per startup (default: the programme's k).")] = None,
    preference_weight: Annotated[float, typer.Option(help="Weight of the choices against the score.")] = 0.6,
    time_limit: TimeLimitOption = None,
) -> None:
    """Make the final match from the choices made after the meetings, and say why each pair."""
    from matcher.app.agenda import write_final
    from matcher.week import final_match

    try:
        final = final_match(path, choices, meetings=meetings, solver=solver, k=k,
                            preference_weight=preference_weight, time_limit=time_limit)
    except MatcherError as exc:
        _fail(exc)
    with writing():
        written = write_final(final, out_dir)
    for row in final.pairs.itertuples(index=False):
        stdout().print(f"{row.startup_id} – {row.mentor_id}: {row.reason}", markup=False, highlight=False)
    for line in final.diagnoses:
        stdout().print(f"note: {line}", markup=False, highlight=False)
    stdout().print(final.summary(), markup=False, highlight=False)
    stdout().print(f"wrote {', '.join(written)}", markup=False, highlight=False)


def is_choices_file(path: Path) -> bool:
    """Whether ``path`` is a week's choices.csv (its header has a ``by`` column), not ratings."""
    try:
        with open(path, encoding="utf-8-sig") as stream:
            header = stream.readline()
    except (OSError, UnicodeDecodeError):
        return False  # the ratings reader names the problem
    return "by" in [cell.strip().strip('"').lower() for cell in header.split(",")]


def evaluate_choices_command(path: Path, choices: Path, *, fit: bool = False) -> None:
    """``matcher evaluate COHORT choices.csv``: how well the pre-meeting scores predicted the
    mutual choices, and (``--fit``) the component weights the choices suggest."""
    from matcher.data.io import load_cohort, read_choices
    from matcher.insight.choices import evaluate_choices
    from matcher.scoring.affinity import score_cohort

    try:
        cohort = load_cohort(path)
        scores = score_cohort(cohort)
        table = read_choices(choices, _meetings_held(choices), [s.id for s in cohort.startups],
                             [m.id for m in cohort.mentors])
        found = evaluate_choices(table, scores, fit=fit)
    except MatcherError as exc:
        _fail(exc)
    stdout().print(found.summary(), markup=False, highlight=False, soft_wrap=True)
    if found.fit is not None:
        weights = ", ".join(f"{name} {w:.2f}" for name, w in found.fit.weights.items())
        stdout().print(f"fitted weights: {weights}; held-out loss {found.fit.cv_loss:.4f} vs "
                       f"{found.fit.baseline_cv_loss:.4f} with the programme's weights",
                       markup=False, highlight=False, soft_wrap=True)


def _meetings_held(choices: Path) -> set[tuple[str, str]]:
    """The meetings in meetings.csv beside the choices; without it, the pairs the choices name."""
    from matcher.data.io import read_meetings, read_table

    beside = choices.parent / "meetings.csv"
    frame = read_meetings(beside) if beside.exists() else read_table(choices, name="choices")[0]
    if not {"startup_id", "mentor_id"} <= set(frame.columns):
        return set()  # the choices reader names the missing columns
    return set(zip(frame["startup_id"], frame["mentor_id"]))
