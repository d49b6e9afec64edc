"""Validation of programme rules: every field of :class:`~matcher.data.rules.Rules`, every problem at once.

Each rule has one checker here. A checker reads the value as a programme writes it (YAML, JSON, a
flag, a keyword), parses numbers, yes/no and dates with :mod:`matcher.data.values`, and returns the
normalised value (lists become tuples, ``balance_load: true`` becomes its weight). A refused value
becomes an :class:`~matcher.errors.InputProblem` naming the source (the file, or the function
called), the key as written in ``programme.yaml`` (``k``, ``quotas.academic.min``,
``weights.text``) and how to fix it; the checkers carry on, so one error lists every problem.

Notes
-----
Names (objectives, history modes, solvers, components) come from :mod:`matcher.data.vocabulary`,
so a name added there is accepted here at once.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from matcher.data.model_rule_checks import check_circles as _circles
from matcher.data.model_rule_checks import check_mentor_pairs as _mentor_pairs
from matcher.data.model_rule_checks import check_probability as _probability
from matcher.data.model_rule_checks import check_soft as _soft
from matcher.data.model_rule_checks import check_team as _team
from matcher.data.model_rule_checks import soft_name_problems
from matcher.data.rule_report import MAX_WEIGHT
from matcher.data.rule_report import RuleReport as _Report
from matcher.data.rule_report import suggest as _suggest
from matcher.data.score_rule_checks import check_scoring as _scoring
from matcher.data.values import MAX_SCORE, real_number, whole_number, yes_no
from matcher.data.vocabulary import COMPONENTS, HISTORY_MODES, OBJECTIVES, SOLVER_NAMES
from matcher.errors import InputError, InputProblem

__all__ = ["check_rules", "validate_rules", "check_solve_arguments", "soft_name_problems",
           "DEFAULT_BALANCE", "MAX_TIME_LIMIT", "MAX_SEED", "MAX_WEIGHT"]

#: ``balance_load: true`` in programme.yaml means this weight.
DEFAULT_BALANCE = 0.05

#: The longest time limit accepted, in seconds: a week. A longer one is surely a unit slip.
MAX_TIME_LIMIT = 7 * 24 * 3600.0

#: The largest seed: CP-SAT's ``random_seed`` is a 32-bit signed integer.
MAX_SEED = 2**31 - 1

_QUOTA_KEYS = ("kinds", "mentors", "min", "max")
_WEIGHT_HINT = f"write a finite number of 0 or more, at most {MAX_WEIGHT:g}, e.g. 0.35"
_K_HINT = "write a whole number such as 3, or a range [2, 3]"
_PAIR_HINT = "write a list of [startup_id, mentor_id] pairs, e.g. [[s-scanwise, m-ho]]"


# ---------------------------------------------------------------- one checker per kind of rule
# Each takes (value, field as written in programme.yaml, report) and returns the clean value, or
# None after recording why the value was refused.

def _k(value: Any, field: str, report: _Report) -> int | tuple[int, int] | None:
    if not isinstance(value, list | tuple):
        return report.parse(field, whole_number, value, _K_HINT, low=1)
    if len(value) != 2:
        report.add(field, f"{list(value)!r} is not a range [min, max]", _K_HINT)
        return None
    low = report.parse(field, whole_number, value[0], _K_HINT)
    high = report.parse(field, whole_number, value[1], _K_HINT)
    if low is None or high is None:
        return None
    if low > high:
        report.add(field, f"range [{low}, {high}] has its minimum above its maximum",
                   "write [min, max] with min at most max, e.g. [2, 3]")
        return None
    if high < 1:
        report.add(field, f"range [{low}, {high}] gives no startup a mentor",
                   "make the maximum 1 or more, e.g. [0, 2]")
        return None
    return (low, high)


def _weights(value: Any, field: str, report: _Report) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        report.add(field, f"{value!r} is not a mapping of component to weight",
                   "write e.g. {text: 0.4, domain: 0.4, needs: 0.2}")
        return None
    out = {}
    for name, weight in value.items():
        where = f"{field}.{name}"
        if name not in COMPONENTS:
            report.add(where, f"unknown component '{name}'", _suggest(name, COMPONENTS, "use"))
            continue
        number = report.parse(where, real_number, weight, _WEIGHT_HINT, high=MAX_WEIGHT)
        if number is not None:
            out[name] = number
    return out


def _yes_no(value: Any, field: str, report: _Report) -> bool | None:
    return report.parse(field, yes_no, value, "write true or false")


def _pairs(value: Any, field: str, report: _Report) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return ()
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        report.add(field, f"{value!r} is not a list of pairs", _PAIR_HINT)
        return None
    out, ok = [], True
    for n, pair in enumerate(value, start=1):
        if (not isinstance(pair, list | tuple) or len(pair) != 2
                or not all(isinstance(i, str) and i.strip() for i in pair)):
            report.add(field, f"item {n}, {pair!r}, is not a pair of ids",
                       "write each pair as [startup_id, mentor_id], ids as text (quote numbers)")
            ok = False
        else:
            out.append((pair[0], pair[1]))
    return tuple(out) if ok else None


def _solver(value: Any, field: str, report: _Report) -> Any:
    if isinstance(value, str):
        if value in SOLVER_NAMES:
            return value
        report.add(field, f"unknown solver {value!r}", _suggest(value, SOLVER_NAMES, "choose one of"))
        return None
    # a custom backend: the Solver interface, checked by shape (data/ must not import solve/)
    if isinstance(getattr(value, "name", None), str) and callable(getattr(value, "solve", None)):
        return value
    report.add(field, f"{value!r} is neither a solver name nor a solver",
               _suggest(value, SOLVER_NAMES, "choose one of") + ", or pass a Solver object")
    return None


def _time_limit(value: Any, field: str, report: _Report) -> float | None:
    hint = f"write seconds above 0 and at most {MAX_TIME_LIMIT:g} (a week), e.g. 30, or null"
    return report.positive(field, value, hint, high=MAX_TIME_LIMIT)


def _seed(value: Any, field: str, report: _Report) -> int | None:
    return report.parse(field, whole_number, value, "write a whole number of 0 or more, e.g. 42",
                        high=MAX_SEED)


def _workers(value: Any, field: str, report: _Report) -> int | None:
    if value is None:
        return None
    return report.parse(field, whole_number, value, "write a whole number of search workers, 1 to 64",
                        low=1, high=64)


def _count(hint: str, *, none_ok: bool = False) -> Callable[[Any, str, _Report], int | None]:
    def check(value: Any, field: str, report: _Report) -> int | None:
        if value is None and none_ok:
            return None
        return report.parse(field, whole_number, value, hint)
    return check


def _real(hint: str, high: float = math.inf) -> Callable[[Any, str, _Report], float | None]:
    def check(value: Any, field: str, report: _Report) -> float | None:
        return report.parse(field, real_number, value, hint, high=high)
    return check


def _one_of(choices: Sequence[str]) -> Callable[[Any, str, _Report], str | None]:
    def check(value: Any, field: str, report: _Report) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        near = difflib.get_close_matches(str(value), list(choices), n=1)
        report.add(field, f"{value!r} is not one of {', '.join(choices)}",
                   f"did you mean '{near[0]}'?" if near else "")
        return None
    return check


def _balance(value: Any, field: str, report: _Report) -> float | None:
    hint = f"write true (a weight of {DEFAULT_BALANCE:g}), false, or a weight of 0 or more, e.g. 0.1"
    if isinstance(value, str):
        try:
            return real_number(value, high=MAX_SCORE)
        except ValueError:
            pass  # a word: true / false
    if isinstance(value, bool | str):
        flag = report.parse(field, yes_no, value, hint)
        return None if flag is None else (DEFAULT_BALANCE if flag else 0.0)
    return report.parse(field, real_number, value, hint, high=MAX_SCORE)


def _quotas(value: Any, field: str, report: _Report) -> dict[str, dict[str, Any]] | None:
    value = report.mapping(field, value, "a mapping of group name to group",
                           "write e.g. {academic: {kinds: [professor, scientist], min: 1}}")
    if value is None:
        return None
    out = {str(name): _quota(spec, f"{field}.{name}", report) for name, spec in value.items()}
    return out if all(spec is not None for spec in out.values()) else None


def _quota(spec: Any, where: str, report: _Report) -> dict[str, Any] | None:
    found = len(report.problems)
    if not isinstance(spec, Mapping):
        report.add(where, f"{spec!r} is not a mapping", "write e.g. {kinds: [professor, scientist], min: 1}")
        return None
    for key in spec:
        if key not in _QUOTA_KEYS:
            report.add(f"{where}.{key}", "unknown key", _suggest(key, _QUOTA_KEYS, "use"))
    clean: dict[str, Any] = {}
    for key in ("kinds", "mentors"):
        if key in spec:
            names = (spec[key],) if isinstance(spec[key], str) else spec[key]
            if not isinstance(names, list | tuple) or not all(isinstance(n, str) and n for n in names):
                report.add(f"{where}.{key}", f"{spec[key]!r} is not a list of names",
                           "write e.g. [professor, scientist]")
            else:
                clean[key] = tuple(names)
    if "kinds" not in spec and "mentors" not in spec:
        report.add(where, "does not say who is in the group",
                   "add 'kinds' (mentor kinds) and/or 'mentors' (mentor ids)")
    for key in ("min", "max"):
        if key in spec:
            number = report.parse(f"{where}.{key}", whole_number, spec[key],
                                  "write a whole number of mentors, 0 or more")
            if number is not None:
                clean[key] = number
    if clean.get("min", 0) > clean.get("max", math.inf):
        report.add(where, f"min {clean['min']} is above max {clean['max']}", "make min at most max")
    return clean if len(report.problems) == found else None


#: The checker of every rule, in the order of the fields of Rules.
CHECKS: dict[str, Callable[[Any, str, _Report], Any]] = {
    "k": _k,
    "weights": _weights,
    "require_common_language": _yes_no,
    "forbidden": _pairs,
    "pinned": _pairs,
    "solver": _solver,
    "time_limit": _time_limit,
    "seed": _seed,
    "quotas": _quotas,
    "coverage": _yes_no,
    "min_load": _count("write a whole number of startups per mentor, 0 for none"),
    "min_load_hard": _yes_no,
    "balance_load": _balance,
    "history_rule": _one_of(HISTORY_MODES),
    "continuity_bonus": _real(f"write a score bonus of 0 or more, at most {MAX_SCORE:g}, e.g. 0.1",
                              high=MAX_SCORE),
    "yearly_capacity": _count("write a whole number of startups a year, or null for no limit",
                              none_ok=True),
    "objective": _one_of(OBJECTIVES),
    "fairness": _real("write a weight from 0 (mean only) to 1 (worst startup only), e.g. 0.5", high=1.0),
    "max_probability": _probability,
    "team": _team,
    "tandems": _mentor_pairs,
    "apart": _mentor_pairs,
    "circles": _circles,
    "soft": _soft,
    "workers": _workers,
    "scoring": _scoring,
}


def check_rules(values: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[InputProblem]]:
    """The normalised rule values and every problem found; keys without a checker are ignored.

    Examples
    --------
    >>> clean, problems = check_rules({"k": [2, 3], "seed": "abc"}, "programme.yaml")
    >>> clean
    {'k': (2, 3)}
    >>> print(problems[0])
    programme.yaml, field 'seed': 'abc' is not a whole number (write a whole number of 0 or more, e.g. 42)
    """
    report = _Report(source)
    clean = {}
    for name, value in values.items():
        if name in CHECKS:
            found = len(report.problems)
            checked = CHECKS[name](value, name, report)
            if len(report.problems) == found:
                clean[name] = checked
    return clean, report.problems


def check_solve_arguments(time_limit: Any = None, seed: Any = 0, workers: Any = None
                          ) -> tuple[float | None, int, int | None]:
    """``time_limit``, ``seed`` and ``workers`` of :func:`matcher.assign`, checked as
    :class:`~matcher.data.rules.Rules` checks them; each refused value names its argument.

    Examples
    --------
    >>> check_solve_arguments(30, "7", None)
    (30.0, 7, None)
    >>> try:
    ...     check_solve_arguments("x", -1, 0)
    ... except InputError as err:
    ...     [f"{p.source}: {p.message}" for p in err.problems]
    ["argument 'time_limit': 'x' is not a number", "argument 'seed': -1 is negative", \
"argument 'workers': 0 is below 1"]
    """
    problems, out = [], []
    for name, value in (("time_limit", time_limit), ("seed", seed), ("workers", workers)):
        clean, found = check_rules({name: value}, f"argument '{name}'")
        problems += [InputProblem(p.source, None, None, p.message, p.hint) for p in found]
        out.append(clean.get(name))
    if problems:
        raise InputError(problems)
    return out[0], out[1], out[2]


def validate_rules(values: Mapping[str, Any], source: str = "Rules") -> dict[str, Any]:
    """The normalised rule values, or :class:`~matcher.errors.InputError` listing every problem.

    Examples
    --------
    >>> validate_rules({"quotas": {"academic": {"kinds": "professor", "min": 1}}})
    {'quotas': {'academic': {'kinds': ('professor',), 'min': 1}}}
    >>> validate_rules({"k": 0, "history_rule": "never"})
    Traceback (most recent call last):
    ...
    matcher.errors.InputError: 2 problems in the input:
      - Rules, field 'k': 0 is below 1 (write a whole number such as 3, or a range [2, 3])
      - Rules, field 'history_rule': 'never' is not one of forbid, prefer, ignore
    """
    clean, problems = check_rules(values, source)
    if problems:
        raise InputError(problems)
    return clean
