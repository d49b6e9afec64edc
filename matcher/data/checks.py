"""Everything a cohort's files must get right before it can be matched, checked at once.

:func:`check_cohort` is what ``matcher validate`` runs: it loads the cohort collecting the
problems of every file (:func:`~matcher.data.io.cohort.collect_cohort`), reads the eligibility
evidence as screening will (:func:`~matcher.data.screening.screen`), checks that the startups
that go on to matching can be paired at all (:func:`matchable_problems`), and reads the matching
week's files when the folder has them (:func:`week_problems`). Every problem is
reported together, so a file with five mistakes shows five, not three and then two more.

A cohort that passes is one ``matcher match`` reads the same way; what remains is whether the
rules can all hold together (capacities, quotas), which only the solver can say (exit status 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.data.eligibility import has_eligibility_data
from matcher.data.io.cohort import collect_cohort
from matcher.data.io.week import read_availability, read_choices, read_meetings
from matcher.data.models import Cohort
from matcher.data.screening import screen
from matcher.errors import InputError, InputProblem

__all__ = ["check_cohort", "cohort_problems", "matchable_problems", "pair_problems", "week_problems"]


def cohort_problems(source: Any = None, **kwargs: Any) -> tuple[Cohort | None, list[InputProblem]]:
    """The cohort (``None`` when a table could not be read) and every problem found in its files.

    Takes the arguments of :func:`~matcher.data.io.load_cohort`.
    """
    cohort, problems = collect_cohort(source, **kwargs)
    if cohort is None:
        return None, problems
    included = cohort.startups
    if has_eligibility_data(cohort) and not cohort.meta.get("programme_unreadable"):
        try:
            screening = screen(cohort)
        except InputError as exc:
            problems += exc.problems
        else:
            keep = set(screening.eligible_ids)
            included = tuple(s for s in cohort.startups if s.id in keep)
    problems += pair_problems(cohort)
    problems += matchable_problems(cohort, included)
    problems += week_problems(cohort)
    return cohort, problems


def check_cohort(source: Any = None, **kwargs: Any) -> Cohort:
    """The cohort, checked as :func:`cohort_problems` checks it.

    Raises
    ------
    InputError
        Listing every problem of every file, each naming the file, row and field.

    Examples
    --------
    >>> check_cohort("data/spring-2026").name
    'spring-2026'
    """
    cohort, problems = cohort_problems(source, **kwargs)
    if problems or cohort is None:
        raise InputError(problems)
    return cohort


def week_problems(cohort: Cohort) -> list[InputProblem]:
    """The problems of the matching week's files in the cohort folder, when it has them:
    ``availability.csv``, ``meetings.csv`` and ``choices.csv`` (checked against the meetings).

    Examples
    --------
    >>> from matcher.data.io import load_cohort
    >>> week_problems(load_cohort("data/spring-2026"))
    []
    """
    folder = cohort.meta.get("folder")
    if not folder:
        return []
    folder = Path(folder)
    startups, mentors = [s.id for s in cohort.startups], [m.id for m in cohort.mentors]
    problems: list[InputProblem] = []
    met: set | None = None
    for name, read in (("availability.csv", lambda p: read_availability(p, mentors)),
                       ("meetings.csv", lambda p: read_meetings(p, startups, mentors))):
        if (folder / name).exists():
            try:
                frame = read(folder / name)
            except InputError as exc:
                problems += exc.problems
                continue
            if name == "meetings.csv":
                met = set(zip(frame["startup_id"], frame["mentor_id"]))
    if (folder / "choices.csv").exists() and met is not None:
        try:
            read_choices(folder / "choices.csv", met, startups, mentors)
        except InputError as exc:
            problems += exc.problems
    return problems


def pair_problems(cohort: Cohort) -> list[InputProblem]:
    """Forbidden and pinned pairs of the rules that name a startup or mentor not in the cohort.

    The solver refuses them too; here they name the programme file, as ``validate`` should.
    """
    label = str(cohort.meta.get("programme_label") or "programme.yaml")
    known = ({s.id for s in cohort.startups}, {m.id for m in cohort.mentors})
    problems = []
    for field in ("forbidden", "pinned"):
        for startup, mentor in getattr(cohort.rules, field):
            for what, value, pool in (("startup", startup, known[0]), ("mentor", mentor, known[1])):
                if value not in pool:
                    problems.append(InputProblem(label, None, field,
                                                 f"pair ({startup}, {mentor}) names unknown {what} '{value}'",
                                                 f"use {what} ids of the cohort"))
    return problems


def matchable_problems(cohort: Cohort, startups: Any = None) -> list[InputProblem]:
    """Why some of ``startups`` (default: the cohort's) could never be paired with any mentor.

    Under ``require_common_language`` a startup needs a mentor who speaks one of its languages;
    a startup listing none, or only languages no mentor speaks, is a problem naming its row and
    the ``languages`` field.

    Examples
    --------
    >>> from matcher.data.models import Cohort, Mentor, Startup
    >>> s = (Startup("s1", "S1", ("vision",), "", languages=("Mandarin",)),)
    >>> m = (Mentor("m1", "M1", "professor", ("vision",), "", 2, languages=("English",)),)
    >>> print(matchable_problems(Cohort(s, m))[0])
    startups, row 2, field 'languages': no mentor speaks Mandarin (add a mentor who does, or set \
require_common_language: false in programme.yaml)
    """
    startups = cohort.startups if startups is None else startups
    if not cohort.rules.require_common_language or not cohort.mentors:
        return []
    spoken = {language for m in cohort.mentors for language in m.languages}
    label = str(cohort.meta.get("startups_source") or "startups")
    rows = cohort.meta.get("startup_rows") or {s.id: n + 2 for n, s in enumerate(cohort.startups)}
    problems = []
    for s in startups:
        if spoken.intersection(s.languages):
            continue
        message = (f"no mentor speaks {' or '.join(s.languages)}" if s.languages
                   else "lists no language, so no mentor shares one")
        problems.append(InputProblem(label, rows.get(s.id), "languages", message,
                                     "add a mentor who does, or set require_common_language: false "
                                     "in programme.yaml"))
    return problems
