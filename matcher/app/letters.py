"""Letters to each startup and mentor of a published match, from templates the programme edits.

:func:`write_letters` renders ``startup.txt.j2`` once per matched startup and ``mentor.txt.j2`` once
per mentor given a startup, into ``letters/startups/<id>.txt`` and ``letters/mentors/<id>.txt``.
The default templates ship in :mod:`matcher.app.templates` (``letters/``); a programme copies them
into a folder of its own, edits them, and passes that folder as ``templates`` (a template missing
there falls back to the default). The templates are Jinja2 text, rendered in a sandbox with
undefined names refused, so a typo in a template is an error naming it, never a blank in a letter.

What a template sees
--------------------
``startup.txt.j2``: ``programme``, ``cohort``, ``startup`` (``id``, ``name``, ``fields``,
``needs``, ``contact``) and ``mentors`` (each ``name``, ``kind``, ``organisation``, ``contact``,
``covers``, ``why``, ``score``, ``rank``). ``mentor.txt.j2``: ``programme``, ``cohort``,
``mentor`` (``id``, ``name``, ``kind``, ``organisation``, ``contact``), ``capacity`` and
``startups`` (each ``name``, ``fields``, ``contact``, ``covers``, ``why``, ``score``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matcher.data.io import atomic_write
from matcher.errors import InputError, InputProblem

__all__ = ["write_letters", "LETTER_TEMPLATES", "DEFAULT_LETTERS"]

#: The templates a letters folder may override.
LETTER_TEMPLATES = ("startup.txt.j2", "mentor.txt.j2")
#: Where the default templates are.
DEFAULT_LETTERS = Path(__file__).parent / "templates" / "letters"


def _environment(templates: str | os.PathLike | None) -> Any:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    folders = [str(templates)] if templates is not None else []
    if templates is not None and not Path(templates).is_dir():
        raise InputError([InputProblem(str(templates), None, None, "is not a folder of letter templates",
                                       f"copy {DEFAULT_LETTERS} and edit the copy")])
    return SandboxedEnvironment(loader=jinja2.FileSystemLoader([*folders, str(DEFAULT_LETTERS)]),
                                autoescape=False, undefined=jinja2.StrictUndefined,
                                keep_trailing_newline=True, trim_blocks=True)


def _render(env: Any, name: str, **context: Any) -> str:
    import jinja2

    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise InputError([InputProblem(str(where), line, None, f"cannot be rendered: {exc}",
                                       "fix the template; the names it may use are listed in "
                                       "matcher.app.letters")]) from None


def write_letters(result: Any, directory: str | os.PathLike, *, sentences: Sequence[str] | None = None,
                  templates: str | os.PathLike | None = None) -> list[Path]:
    """Write a letter to each startup and each mentor of a match; returns their paths.

    Parameters
    ----------
    result : MatchResult
    directory : path
        The letters go to ``directory/startups/<id>.txt`` and ``directory/mentors/<id>.txt``.
    sentences : sequence of str, optional
        One per row of ``result.assignments`` saying why the pair was made
        (:func:`matcher.app.report.explanation_lines`).
    templates : path, optional
        A folder holding the programme's own ``startup.txt.j2`` and / or ``mentor.txt.j2``.

    Examples
    --------
    >>> import tempfile, matcher
    >>> result = matcher.match_cohort("data/spring-2026")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_letters(result, folder)
    ...     text = Path(folder, "startups", "s-radiantscan.txt").read_text()
    >>> len(paths), text.splitlines()[0]
    (31, 'Subject: Your mentors in HK AI Lab Accelerator (spring-2026)')
    """
    from matcher.app.documents import mentor_pages, startup_cards

    env = _environment(templates)
    folder = Path(directory)
    common = {"programme": str(result.cohort.meta.get("programme") or "the programme"),
              "cohort": result.cohort.name}
    written = []
    for card in startup_cards(result, sentences):
        text = _render(env, "startup.txt.j2", startup=card, mentors=card["mentors"], **common)
        written.append(_write(folder / "startups" / f"{card['id']}.txt", text))
    for page in mentor_pages(result, sentences):
        text = _render(env, "mentor.txt.j2", mentor=page, startups=page["startups"],
                       capacity=page["capacity"], **common)
        written.append(_write(folder / "mentors" / f"{page['id']}.txt", text))
    return written


def _write(path: Path, text: str) -> Path:
    with atomic_write(path, encoding="utf-8") as stream:
        stream.write(text)
    return path
