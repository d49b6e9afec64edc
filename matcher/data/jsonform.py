"""The JSON form of frozen dataclasses: plain values out, tuples back in.

Kept apart from :mod:`matcher.data.models` so that :mod:`matcher.data.rules` can write and read
:class:`~matcher.data.rules.Rules` without importing the models that re-export it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["json_ready", "tuples_from_json"]


def json_ready(value: Any, *, default: Any = None) -> Any:
    """``value`` as JSON data: mappings with text keys, lists, plain numbers, ISO dates.

    Anything else is returned as it is, or passed through ``default`` (e.g. ``str``) when given.

    >>> json_ready({"k": (2, 3), "day": dt.date(2026, 3, 2), "n": np.int64(4)})
    {'k': [2, 3], 'day': '2026-03-02', 'n': 4}
    """
    if isinstance(value, Mapping):
        return {str(k): json_ready(v, default=default) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_ready(v, default=default) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date):
        return value.isoformat()
    if default is not None and not isinstance(value, str | int | float | bool | type(None)):
        return default(value)
    return value


def tuples_from_json(value: Any) -> Any:
    """JSON lists back to the tuples frozen dataclasses hold (inside mappings too).

    >>> tuples_from_json({"pinned": [["s1", "m1"]]})
    {'pinned': (('s1', 'm1'),)}
    """
    if isinstance(value, list):
        return tuple(tuples_from_json(v) for v in value)
    if isinstance(value, Mapping):
        return {k: tuples_from_json(v) for k, v in value.items()}
    return value
