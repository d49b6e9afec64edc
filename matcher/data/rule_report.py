"""The report a rule check fills: every refused value of one set of rules, naming one source.

Shared by :mod:`matcher.data.rule_checks` and :mod:`matcher.data.model_rule_checks`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from matcher.data.values import real_number
from matcher.errors import InputProblem

__all__ = ["RuleReport", "suggest", "MAX_WEIGHT"]

#: The largest weight of a score component (or of a team term, or a soft rule's price):
#: components are in [0, 1], so scores stay far below :data:`~matcher.data.values.MAX_SCORE`.
MAX_WEIGHT = 1000.0


class RuleReport:
    """The problems found in one set of rules, all naming the same source."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[InputProblem] = []

    def add(self, field: str, message: str, hint: str = "") -> None:
        self.problems.append(InputProblem(self.source, None, field, message, hint))

    def parse(self, field: str, parse: Callable[..., Any], value: Any, hint: str, **limits: Any) -> Any:
        """``parse(value, **limits)``, or ``None`` with the parser's words recorded as a problem."""
        try:
            return parse(value, **limits)
        except ValueError as exc:
            self.add(field, str(exc), hint)
            return None

    def mapping(self, field: str, value: Any, what: str, hint: str) -> Mapping | None:
        """``value`` as a mapping (``None`` is the empty one), or ``None`` with the problem
        ("... is not ``what``") recorded.

        >>> report = RuleReport("programme.yaml")
        >>> report.mapping("soft", None, "a mapping", "write e.g. {academic: 0.3}")
        {}
        >>> report.mapping("soft", 3, "a mapping", "write e.g. {academic: 0.3}") is None
        True
        >>> report.problems[0].message
        '3 is not a mapping'
        """
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(field, f"{value!r} is not {what}", hint)
            return None
        return value

    def positive(self, field: str, value: Any, hint: str, *, high: float) -> float | None:
        """An optional real number above 0 and at most ``high`` (``None`` stays ``None``)."""
        if value is None:
            return None
        number = self.parse(field, real_number, value, hint, high=high)
        if number is not None and number <= 0:
            self.add(field, f"{value!r} is not above 0", hint)
            return None
        return number


def suggest(word: Any, choices: Sequence[str], lead: str) -> str:
    """The nearest choice, if any, then every choice after ``lead``.

    >>> suggest("totl", ["total", "fair"], "choose one of")
    "did you mean 'total'? choose one of total, fair"
    """
    near = difflib.get_close_matches(str(word), list(choices), n=1)
    return (f"did you mean '{near[0]}'? " if near else "") + f"{lead} {', '.join(choices)}"
