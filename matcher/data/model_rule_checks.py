"""Checks of the rules of the richer matching models: the randomised objective's probability cap,
the team objective's weights, tandems, circles and mentors kept apart, and soft rules' prices.

Each checker has the signature of :data:`matcher.data.rule_checks.CHECKS`'s: (value, field as
written in ``programme.yaml``, report) -> the clean value, or None after recording the problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from matcher.data.rule_report import MAX_WEIGHT, RuleReport, suggest
from matcher.data.values import real_number
from matcher.errors import InputProblem

__all__ = ["check_probability", "check_team", "check_mentor_pairs", "check_circles", "check_soft",
           "soft_name_problems"]

_WEIGHT_HINT = f"write a finite number of 0 or more, at most {MAX_WEIGHT:g}, e.g. 0.35"


def check_probability(value: Any, field: str, report: RuleReport) -> float | None:
    hint = "write a probability above 0.001, at most 1, e.g. 0.5"
    number = report.parse(field, real_number, value, hint, high=1.0)
    if number is not None and number < 0.001:
        report.add(field, f"{value!r} is below 0.001", hint)
        return None
    return number


_TEAM_KEYS = ("coverage", "diversity", "by")
_TEAM_LABELS = ("kind", "domain")


def check_team(value: Any, field: str, report: RuleReport) -> dict[str, Any] | None:
    value = report.mapping(field, value, "a mapping", "write e.g. {coverage: 0.5, diversity: 0.1}")
    if value is None:
        return None
    found, out = len(report.problems), {}
    for key, item in value.items():
        where = f"{field}.{key}"
        if key not in _TEAM_KEYS:
            report.add(where, "unknown key", suggest(key, _TEAM_KEYS, "use"))
        elif key == "by":
            labels = (item,) if isinstance(item, str) else item
            if not isinstance(labels, list | tuple) or not set(labels) <= set(_TEAM_LABELS):
                report.add(where, f"{item!r} is not a list of mentor labels",
                           suggest(item, _TEAM_LABELS, "choose among"))
            else:
                out[key] = tuple(labels)
        else:
            number = report.parse(where, real_number, item, _WEIGHT_HINT, high=MAX_WEIGHT)
            if number is not None:
                out[key] = number
    return out if len(report.problems) == found else None


def check_mentor_pairs(value: Any, field: str, report: RuleReport) -> tuple[tuple[str, str], ...] | None:
    hint = "write a list of [mentor_id, mentor_id] pairs, e.g. [[m-ho, m-li]]"
    if value is None:
        return ()
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        report.add(field, f"{value!r} is not a list of mentor pairs", hint)
        return None
    out = []
    for n, pair in enumerate(value, start=1):
        if (not isinstance(pair, list | tuple) or len(pair) != 2 or pair[0] == pair[1]
                or not all(isinstance(i, str) and i.strip() for i in pair)):
            report.add(field, f"item {n}, {pair!r}, is not a pair of two mentor ids", hint)
            return None
        out.append((pair[0], pair[1]))
    return tuple(out)


def check_circles(value: Any, field: str, report: RuleReport) -> tuple[tuple[str, ...], ...] | None:
    hint = "write a list of groups of startup ids, e.g. [[s-a, s-b]]"
    if value is None:
        return ()
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        report.add(field, f"{value!r} is not a list of startup groups", hint)
        return None
    out = []
    for n, group in enumerate(value, start=1):
        if (not isinstance(group, list | tuple) or len(group) < 2
                or not all(isinstance(i, str) and i.strip() for i in group)):
            report.add(field, f"item {n}, {group!r}, is not a group of two or more startup ids", hint)
            return None
        out.append(tuple(group))
    return tuple(out)


def check_soft(value: Any, field: str, report: RuleReport) -> dict[str, float] | None:
    value = report.mapping(field, value, "a mapping of rule to price", "write e.g. {academic: 0.3}")
    if value is None:
        return None
    found, out = len(report.problems), {}
    for name, price in value.items():
        number = report.parse(f"{field}.{name}", real_number, price,
                              "write a price in score units of 0 or more, e.g. 0.3", high=MAX_WEIGHT)
        if number is not None:
            out[str(name)] = number
    return out if len(report.problems) == found else None


def soft_name_problems(soft: Mapping[str, float], quotas: Mapping[str, Any], coverage: bool,
                       min_load: int, source: str) -> list[InputProblem]:
    """A problem for each name under ``soft`` that is no rule set: a quota, coverage, min_load.

    >>> [p.message for p in soft_name_problems({"academc": 0.3}, {"academic": {}}, False, 0, "x")]
    ["'academc' is no rule of this programme"]
    """
    known = [*quotas, *(["coverage"] if coverage else []), *(["min_load"] if min_load else [])]
    return [InputProblem(source, None, f"soft.{name}", f"{name!r} is no rule of this programme",
                         suggest(name, known, "soft rules name one of") if known
                         else "set the quota (or coverage, min_load) it prices")
            for name in soft if name not in known]
