"""Plain values from files, flags and keywords: the one parser of each kind.

Every whole number (``k``, capacities, quota bounds, loads), every bounded real number (weights,
time limits, bonuses), every yes/no and every date that matcher reads goes through one of these
functions. Each returns the value or raises ``ValueError`` with a message that says what was
wrong; the caller knows *where* the value came from and turns that into an
:class:`~matcher.errors.InputProblem` naming the file, row and field.

Notes
-----
Whole numbers are capped at :data:`MAX_COUNT`: a capacity of ``1e308`` is a typo, and numbers past
2⁶² would overflow the solvers' int64 arithmetic. Real numbers must be finite. A score is at most
:data:`MAX_SCORE` in size: sums of scores stay exact in floating point and far from infinity.
Identifiers are slugs (:data:`ID_PATTERN`): they travel into CSV files, spreadsheets, file names
and URLs, so a comma, a quote, a newline, a space or a leading ``=`` has no place in them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from typing import Any

import numpy as np

__all__ = ["MAX_COUNT", "MAX_SCORE", "ID_PATTERN", "MAX_ID_LENGTH", "whole_number", "whole_numbers",
           "real_number", "score_number", "identifier", "yes_no", "iso_date", "clock_time"]

#: The largest whole number matcher accepts for a count (capacity, k, a quota bound, a load).
MAX_COUNT = 1_000_000

#: The largest size of a score (and of a score weight or bonus): ``|score| <= MAX_SCORE``.
MAX_SCORE = 1_000_000.0

#: What an id (of a startup, a mentor, a cohort) looks like: lower-case letters, digits, ``.``,
#: ``_`` and ``-``, starting with a letter or digit.
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")

#: The longest id accepted.
MAX_ID_LENGTH = 100

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")
#: Excel date cells read as text carry a midnight time: the date alone is meant.
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]00:00:00")
_YES = {"true", "yes", "y", "1", "on"}
_NO = {"false", "no", "n", "0", "off"}


def _shown(value: Any) -> str:
    """``value`` as a message shows it: text quoted, a numpy number as the plain number it is."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    return repr(value)


def whole_number(value: Any, *, low: int = 0, high: int = MAX_COUNT) -> int:
    """A whole number in ``[low, high]`` from an int, an integral float or its text.

    >>> whole_number("3"), whole_number(2.0), whole_number(" 4 ")
    (3, 2, 4)
    >>> whole_number("three")
    Traceback (most recent call last):
    ...
    ValueError: 'three' is not a whole number
    >>> whole_number(2.5)
    Traceback (most recent call last):
    ...
    ValueError: 2.5 is not a whole number
    >>> whole_number(-1)
    Traceback (most recent call last):
    ...
    ValueError: -1 is negative
    """
    shown = _shown(value)
    if isinstance(value, bool):
        raise ValueError(f"{shown} is not a whole number")
    text = value.strip() if isinstance(value, str) else value
    try:
        number = float(text)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{shown} is not a whole number") from None
    if not math.isfinite(number) or not number.is_integer():
        raise ValueError(f"{shown} is not a whole number")
    if number < low:
        raise ValueError(f"{shown} is negative" if low == 0 else f"{shown} is below {low}")
    if number > high:
        raise ValueError(f"{shown} is above {high:,}")
    return int(number)


def whole_numbers(value: Any, n: int, *, low: int = 0, high: int = MAX_COUNT) -> np.ndarray:
    """``n`` whole numbers from one value (the same for all) or ``n`` of them, as an int64 array.

    Numeric arrays are checked in whole-array operations; anything else goes value by value
    through :func:`whole_number`, whose message names the first value refused.

    >>> whole_numbers(2, 3).tolist(), whole_numbers([1, 2.0, "3"], 3).tolist()
    ([2, 2, 2], [1, 2, 3])
    >>> whole_numbers(np.array([1, 2.5]), 2)
    Traceback (most recent call last):
    ...
    ValueError: 2.5 is not a whole number
    >>> whole_numbers([1, 2], 3)
    Traceback (most recent call last):
    ...
    ValueError: has shape (2,), expected one value or 3
    """
    arr = np.asarray(value)
    if arr.ndim == 0:
        return np.full(n, whole_number(arr.item(), low=low, high=high), dtype=np.int64)
    if arr.shape != (n,):
        raise ValueError(f"has shape {arr.shape}, expected one value or {n}")
    if arr.dtype.kind in "iuf":
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(arr) & (arr == np.round(arr)) & (arr >= low) & (arr <= high)
        if ok.all():
            return arr.astype(np.int64)
        whole_number(arr[np.argmin(ok)].item(), low=low, high=high)  # raises, naming it
    return np.array([whole_number(v, low=low, high=high) for v in arr.tolist()], dtype=np.int64)


def real_number(value: Any, *, low: float = 0.0, high: float = math.inf) -> float:
    """A finite real number in ``[low, high]``.

    >>> real_number("0.25"), real_number(1)
    (0.25, 1.0)
    >>> real_number(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: nan is not a finite number
    >>> real_number("heavy")
    Traceback (most recent call last):
    ...
    ValueError: 'heavy' is not a number
    """
    shown = _shown(value)
    if isinstance(value, bool):
        raise ValueError(f"{shown} is not a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{shown} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{shown} is not a finite number")
    if not low <= number <= high:
        raise ValueError(f"{shown} is outside {low:g} to {high:g}")
    return number


def score_number(value: Any) -> float:
    """A score: a finite number from ``-MAX_SCORE`` to ``MAX_SCORE``.

    >>> score_number("0.75"), score_number(-2)
    (0.75, -2.0)
    >>> score_number("1e308")
    Traceback (most recent call last):
    ...
    ValueError: '1e308' is outside -1e+06 to 1e+06
    """
    return real_number(value, low=-MAX_SCORE, high=MAX_SCORE)


def identifier(value: Any) -> str:
    """An id: a slug of :data:`ID_PATTERN`, at most :data:`MAX_ID_LENGTH` characters.

    >>> identifier("s-facetrust")
    's-facetrust'
    >>> identifier("=HYPERLINK(1)")
    Traceback (most recent call last):
    ...
    ValueError: '=HYPERLINK(1)' is not an id: use lower-case letters, digits, '.', '_' and '-'
    """
    text = value if isinstance(value, str) else _shown(value)
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"'{text[:20]}…' is longer than {MAX_ID_LENGTH} characters")
    if not ID_PATTERN.fullmatch(text):
        raise ValueError(f"{text!r} is not an id: use lower-case letters, digits, '.', '_' and '-'")
    return text


def yes_no(value: Any) -> bool:
    """True or False from a bool or the words YAML and spreadsheets use; refuses anything else.

    >>> yes_no(True), yes_no("yes"), yes_no("No")
    (True, True, False)
    >>> yes_no("maybe")
    Traceback (most recent call last):
    ...
    ValueError: 'maybe' is not true or false
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{_shown(value)} is not true or false")


def iso_date(value: Any) -> dt.date:
    """A date from a ``date``, a ``datetime`` or ``YYYY-MM-DD`` text (an Excel cell's midnight too).

    >>> iso_date("2026-09-14"), iso_date("2026-09-14 00:00:00")
    (datetime.date(2026, 9, 14), datetime.date(2026, 9, 14))
    >>> iso_date("2026-13-45")
    Traceback (most recent call last):
    ...
    ValueError: '2026-13-45' is not a date of the form YYYY-MM-DD
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if midnight := _MIDNIGHT.fullmatch(text):
        text = midnight.group(1)
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date of the form YYYY-MM-DD") from None


def clock_time(value: Any) -> dt.time:
    """A time of day from a ``time`` or ``HH:MM`` text (24-hour clock; ``HH:MM:00`` from a
    spreadsheet too).

    >>> clock_time("9:30"), clock_time("17:00:00")
    (datetime.time(9, 30), datetime.time(17, 0))
    >>> clock_time("25:00")
    Traceback (most recent call last):
    ...
    ValueError: '25:00' is not a time of the form HH:MM (24-hour clock)
    """
    if isinstance(value, dt.time):
        return value
    found = _CLOCK.fullmatch(str(value).strip())
    if found and int(found.group(1)) < 24 and int(found.group(2)) < 60:
        return dt.time(int(found.group(1)), int(found.group(2)))
    raise ValueError(f"{_shown(value)} is not a time of the form HH:MM (24-hour clock)")
