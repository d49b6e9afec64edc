"""A run's inputs as the store keeps them: profiles, rules, preferences and settings as JSON.

Each ``*_json`` function has its ``*_from_json`` inverse where a stored run is read back, so a run
can be solved again from the database alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from matcher.data import models
from matcher.data.models import Cohort, Mentor, Rules, Startup, rules_to_json
from matcher.data.models import json_ready as _jsonable
from matcher.data.models import tuples_from_json as _tupled
from matcher.data.values import iso_date
from matcher.errors import InputError, InputProblem

__all__ = ["rules_to_json", "rules_from_json", "profiles_hash", "database_url", "stored_date"]


def rules_from_json(values: Mapping[str, Any]) -> Rules:
    """The :class:`~matcher.data.rules.Rules` a stored run holds; an unknown rule is refused by name.

    >>> rules_from_json(rules_to_json(Rules(k=(2, 3), forbidden=(("s1", "m1"),)))).forbidden
    (('s1', 'm1'),)
    """
    known = {f.name for f in dataclasses.fields(Rules)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError([InputProblem("store", None, name, "is not a rule of this matcher version",
                                       "upgrade matcher to solve this run again") for name in unknown])
    return models.rules_from_json(values)


def _profile_json(profile: Startup | Mentor) -> dict[str, Any]:
    # a profile without evidence items is stored (and hashed) as before evidence existed
    return {f.name: _jsonable(getattr(profile, f.name)) for f in dataclasses.fields(profile)
            if f.name != "evidence" or profile.evidence}


def _profile_from_json(kind: type, data: Mapping[str, Any]) -> Startup | Mentor:
    values = {}
    for f in dataclasses.fields(kind):
        if f.name in data:
            v = data[f.name]
            if f.name == "evidence":
                values[f.name] = tuple(models.Evidence(*item) for item in v)
            else:
                values[f.name] = dict(v) if f.name == "attributes" else _tupled(v)
    return kind(**values)


def _preferences_json(prefs: Any) -> dict[str, Any] | None:
    if prefs is None:
        return None
    return {f.name: _jsonable(getattr(prefs, f.name)) for f in dataclasses.fields(prefs)}


def _preferences_from_json(values: Mapping[str, Any]) -> Any:
    from matcher.data.models import Preferences

    return Preferences(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _meta_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The cohort's programme settings that a re-solve reads (start date, eligibility, ...).

    File locations are left out: a run is solved again from the store alone.
    """
    out = {}
    for key, value in meta.items():
        if key in ("folder", "source_path", "preferences_path", "run_id", "screening"):
            continue
        try:
            json.dumps(_jsonable(value))
        except (TypeError, ValueError):
            continue  # not data (e.g. a screening object): a re-solve recomputes it
        out[str(key)] = _jsonable(value)
    return out


def profiles_hash(cohort: Cohort) -> str:
    """SHA-256 of the cohort's startups and mentors as stored (order matters: it sets the scores)."""
    document = {"startups": [_profile_json(s) for s in cohort.startups],
                "mentors": [_profile_json(m) for m in cohort.mentors]}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def database_url(target: str | os.PathLike) -> str:
    """A SQLAlchemy URL from a URL or a file path (a path means a SQLite file).

    >>> database_url("out/matcher.db")
    'sqlite:///out/matcher.db'
    >>> database_url("postgresql+psycopg://localhost/matcher")
    'postgresql+psycopg://localhost/matcher'
    """
    text = str(target)
    if "://" in text:
        return text
    return f"sqlite:///{text}"


def stored_date(value: Any, *, source: str = "programme.yaml", field: str = "start_date") -> dt.date | None:
    """A cohort's start date as the store keeps it: a date, or None when not given.

    >>> stored_date("2026-09-07"), stored_date("")
    (datetime.date(2026, 9, 7), None)
    """
    if value is None or value == "":
        return None
    try:
        return iso_date(value)
    except ValueError as exc:
        raise InputError([InputProblem(source, None, field, str(exc))]) from None
