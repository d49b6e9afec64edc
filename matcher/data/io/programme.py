"""``programme.yaml``: the programme's settings, and its matching rules checked where they enter.

A programme document mixes two kinds of keys: settings of the programme (``cohort``,
``start_date``, ``eligibility``, …, see ``PROGRAMME_KEYS``) and matching rules (the fields of
:class:`~matcher.data.rules.Rules`). :func:`~matcher.data.io.read_programme` splits them and
refuses any other key with the nearest known one; :func:`~matcher.data.io.make_rules` builds the rules with
:meth:`~matcher.data.rules.Rules.from_mapping`, so a refused value names the file and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matcher.data.eligibility import eligibility_rules
from matcher.data.io.files import read_document
from matcher.data.rules import Rules
from matcher.data.values import identifier, iso_date
from matcher.errors import InputError, InputProblem

__all__ = ["PROGRAMME_KEYS", "read_programme", "make_rules", "programme_label"]

#: programme.yaml keys that describe the programme rather than matching rules.
PROGRAMME_KEYS = {"programme", "cohort", "start_date", "history", "mentor_kinds", "eligibility",
                  "preferences", "description", "languages"}


def programme_label(source: str | os.PathLike | Mapping | None, default: str = "programme.yaml") -> str:
    """The name messages give a programme: its file name, or ``default`` for a mapping."""
    if source is None or isinstance(source, Mapping):
        return default
    return Path(source).name


def read_programme(source: str | os.PathLike | Mapping | None, label: str = "programme.yaml"
                   ) -> tuple[dict[str, Any], dict[str, Any], list[InputProblem]]:
    """Split a programme document into (rule fields, programme metadata, problems).

    Examples
    --------
    >>> rules, meta, problems = read_programme({"k": [2, 3], "cohort": "spring-2026", "kk": 1})
    >>> rules, meta
    ({'k': [2, 3]}, {'cohort': 'spring-2026'})
    >>> print(problems[0])
    programme.yaml, field 'kk': unknown key (did you mean 'k'?)
    """
    if source is None:
        return {}, {}, []
    if isinstance(source, Mapping):
        document: Any = dict(source)
    else:
        label = programme_label(source)
        document = read_document(Path(source)) or {}
    if not isinstance(document, Mapping):
        return {}, {}, [InputProblem(label, None, None, "is not a mapping of keys to values",
                                     "write 'key: value' lines, e.g. 'k: 3'")]
    rule_names = {f.name for f in dataclasses.fields(Rules)}
    known = sorted(rule_names | PROGRAMME_KEYS)
    rules, meta, problems = {}, {}, []
    for key, value in document.items():
        if key in rule_names:
            rules[key] = value  # checked, and lists made tuples, by Rules.from_mapping
        elif key in PROGRAMME_KEYS:
            meta[key] = value
            problems += _setting_problems(str(key), value, label)
        else:
            near = difflib.get_close_matches(str(key), known, n=1)
            problems.append(InputProblem(label, None, str(key), "unknown key",
                                         f"did you mean '{near[0]}'?" if near else
                                         f"known keys: {', '.join(known)}"))
    return rules, meta, problems


def _setting_problems(key: str, value: Any, label: str) -> list[InputProblem]:
    """What is wrong with one programme setting (not a rule), each problem naming ``label`` and the key."""
    def problem(message: str, hint: str) -> list[InputProblem]:
        return [InputProblem(label, None, key, message, hint)]

    if key == "start_date":
        if value is None:
            return []
        try:
            iso_date(value)
        except ValueError as exc:
            return problem(str(exc), "write YYYY-MM-DD, e.g. 2026-03-02")
        return []
    if key == "eligibility":
        try:
            eligibility_rules(value, label)
        except InputError as exc:
            return exc.problems
        return []
    if key in ("mentor_kinds", "languages"):
        names = [value] if isinstance(value, str) else value
        if names is not None and (not isinstance(names, list | tuple)
                                  or not all(isinstance(n, str) and n.strip() for n in names)):
            return problem(f"{value!r} is not a list of names", "write e.g. [English, Cantonese]")
        return []
    if key == "cohort":
        try:
            identifier(value)
        except ValueError as exc:
            return problem(str(exc), "name the cohort by a slug, e.g. spring-2026")
        return []
    if key in ("history", "preferences"):
        if not isinstance(value, str):
            return problem(f"{value!r} is not a file name", f"write e.g. '{key}: {key}.csv'")
        return []
    if value is not None and not isinstance(value, str | int | float):  # programme, description
        return problem(f"{type(value).__name__} is not text", f"write '{key}: ...' on one line")
    return []


def make_rules(values: Mapping[str, Any], label: str, base: Rules | None = None
               ) -> tuple[Rules, list[InputProblem]]:
    """Rules from plain values, and every problem found, each naming ``label`` and the key.

    Returns ``base`` (or the default rules) with the problems when a value is refused, so a caller
    can go on collecting the problems of other files.

    Examples
    --------
    >>> rules, problems = make_rules({"k": "three", "seed": 4}, "programme.yaml")
    >>> rules.k, [str(p) for p in problems]
    (3, ["programme.yaml, field 'k': 'three' is not a whole number (write a whole number such as 3, \
or a range [2, 3])"])
    """
    try:
        return Rules.from_mapping(values, source=label, base=base), []
    except InputError as exc:
        return base if base is not None else Rules(), exc.problems
