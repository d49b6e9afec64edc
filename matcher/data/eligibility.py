"""Eligibility screening: which applicants meet the programme's rules on the cohort's start date.

The rules are data (the ``eligibility`` mapping of ``programme.yaml``, see :class:`EligibilityRules`);
the defaults are the accelerator's published criteria:

* ``young_company``: incorporated in Hong Kong less than 3 years before the start date, counted in
  calendar years (``incorporated_on > start_date − 3 years``, not ``days / 365 < 3``);
* ``local_founders``: strictly more than half the founders are HK permanent residents;
* ``local_operations``: the business operates mainly in Hong Kong;
* ``founder_control``: the founders hold strictly more than 50% of the shares;
* ``ai_company``: at least 50% of the employees' work is AI-related.

Each criterion is ``pass``, ``fail`` or ``unknown`` for each startup, with the value that decided
it. Missing evidence (an empty field) is ``unknown``, never a pass: a startup is eligible only when
every criterion passes. Startups that are not eligible are left out of matching with the reason
recorded, unless the programme office overrides the decision by startup id. Malformed evidence (a
non-number, a bad date, more HK-permanent founders than founders) raises :class:`~matcher.errors.InputError`
naming the file, row and field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from matcher.data.models import Cohort
from matcher.data.values import iso_date, real_number, whole_number, yes_no
from matcher.errors import InputError, InputProblem

__all__ = [
    "EligibilityRules",
    "eligibility_rules",
    "has_eligibility_data",
    "CRITERIA",
    "EVIDENCE_FIELDS",
    "years_before",
    "rule_text",
    "check_criterion",
    "Evidence",
]

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
ELIGIBLE, INELIGIBLE = "eligible", "ineligible"

#: Criterion names, in the order of the published rules.
CRITERIA = ("young_company", "local_founders", "local_operations", "founder_control", "ai_company")

#: Startup fields (columns of ``startups.csv``) that carry the evidence.
EVIDENCE_FIELDS = ("incorporated_on", "founders_total", "founders_hk_permanent", "operates_mainly_in_hk",
                   "founder_share_pct", "ai_work_pct")

#: The largest sensible value of each threshold: a share of founders, or a percentage.
_CEILING = {"hk_permanent_above": 1.0, "founder_share_above": 100.0, "ai_work_at_least": 100.0,
            "max_age_years": 100}

#: The evidence columns each criterion reads.
CRITERION_FIELDS = {"young_company": ("incorporated_on",),
                    "local_founders": ("founders_total", "founders_hk_permanent"),
                    "local_operations": ("operates_mainly_in_hk",),
                    "founder_control": ("founder_share_pct",), "ai_company": ("ai_work_pct",)}


@dataclass(frozen=True)
class EligibilityRules:
    """The programme's eligibility criteria, as written under ``eligibility:`` in ``programme.yaml``.

    A criterion set to ``None`` (or ``false`` for the yes/no ones) is not checked.

    Parameters
    ----------
    max_age_years : int or None, default 3
        Incorporated less than this many calendar years before the start date:
        ``incorporated_on > start_date − max_age_years`` (29 February steps back to 28 February).
    hk_permanent_above : float or None, default 0.5
        Share of the founders who are HK permanent residents must be strictly above this
        (0.5: a strict majority; exactly half fails).
    operates_mainly_in_hk : bool, default True
        ``operates_mainly_in_hk`` must be ``yes``.
    founder_share_above : float or None, default 50
        The founders together must hold strictly more than this percentage of the shares.
    ai_work_at_least : float or None, default 50
        At least this percentage of the employees' work must be AI-related (exactly 50 passes).
    override : tuple of str
        Startup ids the programme office admits to matching even though they fail or are unknown.

    Examples
    --------
    >>> rules = EligibilityRules(max_age_years=5, override=("s-portpulse",))
    >>> rules.active
    ('young_company', 'local_founders', 'local_operations', 'founder_control', 'ai_company')
    >>> EligibilityRules(operates_mainly_in_hk=False, ai_work_at_least=None).active
    ('young_company', 'local_founders', 'founder_control')
    """

    max_age_years: int | None = 3
    hk_permanent_above: float | None = 0.5
    operates_mainly_in_hk: bool = True
    founder_share_above: float | None = 50.0
    ai_work_at_least: float | None = 50.0
    override: tuple[str, ...] = ()

    @property
    def active(self) -> tuple[str, ...]:
        """Names of the criteria this programme checks, in order."""
        on = {
            "young_company": self.max_age_years is not None,
            "local_founders": self.hk_permanent_above is not None,
            "local_operations": bool(self.operates_mainly_in_hk),
            "founder_control": self.founder_share_above is not None,
            "ai_company": self.ai_work_at_least is not None,
        }
        return tuple(name for name in CRITERIA if on[name])


def eligibility_rules(values: Mapping[str, Any] | None, label: str = "programme.yaml") -> EligibilityRules:
    """:class:`EligibilityRules` from the ``eligibility`` mapping of a programme file.

    Raises
    ------
    InputError
        Naming every unknown key or refused value (field ``eligibility.<key>``).

    Examples
    --------
    >>> eligibility_rules({"founder_share_above": 60, "override": ["s-coldpick"]}).override
    ('s-coldpick',)
    >>> eligibility_rules({"max_age_yrs": 3})
    Traceback (most recent call last):
    ...
    matcher.errors.InputError: 1 problem in the input:
      - programme.yaml, field 'eligibility.max_age_yrs': unknown key (did you mean 'max_age_years'?)
    """
    if values is None:
        return EligibilityRules()
    if not isinstance(values, Mapping):
        raise InputError([InputProblem(label, None, "eligibility", "is not a mapping",
                                       "write e.g. 'eligibility: {max_age_years: 3}'")])
    known = [f.name for f in fields(EligibilityRules)]
    problems, clean = [], {}
    for key, value in values.items():
        where = f"eligibility.{key}"
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"known keys: {', '.join(known)}"
            problems.append(InputProblem(label, None, where, "unknown key", hint))
        elif key == "override":
            items = [value] if isinstance(value, str) else value
            if items is None:
                items = []
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                problems.append(InputProblem(label, None, where, f"{value!r} is not a list of startup ids",
                                             "write e.g. 'override: [s-cantocaption]'"))
            else:
                clean[key] = tuple(items)
        elif key == "operates_mainly_in_hk":
            if not isinstance(value, bool):
                problems.append(InputProblem(label, None, where, f"{value!r} is not true or false",
                                             "write true to require it, false to skip the check"))
            else:
                clean[key] = value
        elif value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                    or not math.isfinite(value) or value < 0):
            problems.append(InputProblem(label, None, where, f"{value!r} is not a number of 0 or more",
                                         "write a number, or null to skip this criterion"))
        elif key == "max_age_years" and value is not None and not float(value).is_integer():
            problems.append(InputProblem(label, None, where, f"{value!r} is not a whole number of years",
                                         "write e.g. 3"))
        elif value is not None and value > _CEILING.get(key, math.inf):
            # above the ceiling no startup could pass: surely a typo (0.5 written as 50, or 500%)
            problems.append(InputProblem(label, None, where, f"{value!r} is out of range",
                                         f"write a number from 0 to {_CEILING[key]:g}"))
        else:
            clean[key] = int(value) if key == "max_age_years" and value is not None else value
    if problems:
        raise InputError(problems)
    return EligibilityRules(**clean)


def has_eligibility_data(cohort: Cohort) -> bool:
    """True when the programme sets eligibility rules or any startup carries an evidence field.

    A cohort without either (e.g. built from two bare DataFrames) has nothing to screen, so
    :func:`matcher.match_cohort` skips screening it by default.

    Examples
    --------
    >>> import matcher
    >>> has_eligibility_data(matcher.load_cohort("data/spring-2026"))
    True
    """
    if "eligibility" in cohort.meta:
        return True
    return any(name in s.attributes for s in cohort.startups for name in EVIDENCE_FIELDS)


# ---------------------------------------------------------------- evidence

class Evidence:
    """Reads one table's evidence fields, collecting every malformed value as a problem."""

    def __init__(self, cohort: Cohort):
        self.label = str(cohort.meta.get("startups_source") or "startups")
        rows = cohort.meta.get("startup_rows") or {}
        # io records each startup's row in the file; a cohort built by hand counts from the top
        self.rows = {s.id: rows.get(s.id, n + 2) for n, s in enumerate(cohort.startups)}
        self.problems: list[InputProblem] = []

    def problem(self, sid: str, name: str, message: str, hint: str) -> None:
        """Record a problem with startup ``sid``'s field ``name``, at its row of the file."""
        self.problems.append(InputProblem(self.label, self.rows[sid], name, message, hint))

    def _text(self, attributes: Mapping[str, Any], name: str) -> str:
        return str(attributes.get(name, "") or "").strip()

    def date(self, sid: str, attributes: Mapping[str, Any], name: str) -> dt.date | None:
        """The date in field ``name``; None when empty or malformed (then a problem is recorded)."""
        text = self._text(attributes, name)
        if not text:
            return None
        try:
            return iso_date(text)
        except ValueError as exc:
            self.problem(sid, name, str(exc), "write YYYY-MM-DD, e.g. 2024-02-19, or leave it empty")
            return None

    def number(self, sid: str, attributes: Mapping[str, Any], name: str, *, low: float,
               high: float = math.inf, whole: bool = False) -> float | None:
        """The number in field ``name`` within its range; None when empty or refused (recorded)."""
        text = self._text(attributes, name)
        if not text:
            return None
        kind = "whole number" if whole else "number"
        span = f"from {low:g} to {high:g}" if math.isfinite(high) else f"of {low:g} or more"
        try:
            if whole:
                return float(whole_number(text, low=int(low)))
            return real_number(text, low=low, high=high)
        except ValueError as exc:
            self.problem(sid, name, str(exc), f"write a {kind} {span}")
            return None

    def yes_no(self, sid: str, attributes: Mapping[str, Any], name: str) -> bool | None:
        """The yes/no in field ``name``; None when empty or malformed (then a problem is recorded)."""
        text = self._text(attributes, name)
        if not text:
            return None
        try:
            return yes_no(text)
        except ValueError as exc:
            self.problem(sid, name, str(exc), "write yes or no")
            return None


def _missing(name: str) -> str:
    return f"{name} is empty (no evidence supplied)"


# ---------------------------------------------------------------- criteria
# Each criterion reads its evidence and returns (status, value that decided it, reason in words).

Outcome = tuple[str, str, str]


def _young_company(ev: Evidence, sid: str, a: Mapping[str, Any], rules: EligibilityRules,
                   start: dt.date | None) -> Outcome:
    incorporated = ev.date(sid, a, "incorporated_on")
    if incorporated is None:
        return UNKNOWN, "", _missing("incorporated_on")
    assert start is not None  # screen() refuses an age rule without a start date
    if incorporated > start:
        ev.problem(sid, "incorporated_on", f"{incorporated} is after the programme's start date {start}",
                   "check the date (YYYY-MM-DD), or leave it empty if it is not known")
        return UNKNOWN, "", "incorporated_on is malformed"
    cutoff = years_before(start, rules.max_age_years or 0)
    if incorporated > cutoff:
        return PASS, incorporated.isoformat(), f"incorporated {incorporated}, after the cut-off {cutoff}"
    return (FAIL, incorporated.isoformat(),
            f"incorporated {incorporated}, not after the cut-off {cutoff} "
            f"({rules.max_age_years} years before the start date {start})")


def _local_founders(ev: Evidence, sid: str, a: Mapping[str, Any], rules: EligibilityRules,
                    start: dt.date | None) -> Outcome:
    total = ev.number(sid, a, "founders_total", low=1, whole=True)
    local = ev.number(sid, a, "founders_hk_permanent", low=0, whole=True)
    if total is not None and local is not None and local > total:
        ev.problem(sid, "founders_hk_permanent", f"{local:g} is more than founders_total ({total:g})",
                "count only founders, from 0 to founders_total")
        return UNKNOWN, "", "founders_hk_permanent is malformed"
    if total is None or local is None:
        return UNKNOWN, "", _missing("founders_total" if total is None else "founders_hk_permanent")
    value = f"{local:g} of {total:g}"
    share = Fraction(str(rules.hk_permanent_above))
    # exact arithmetic: with 0.5, 2 of 4 is exactly half and must fail
    what = "half" if share == Fraction(1, 2) else f"{float(share):g} of them"
    if Fraction(int(local)) > share * int(total):
        return PASS, value, f"{value} founders are HK permanent residents, more than {what}"
    return FAIL, value, f"{value} founders are HK permanent residents, not more than {what}"


def _local_operations(ev: Evidence, sid: str, a: Mapping[str, Any], rules: EligibilityRules,
                      start: dt.date | None) -> Outcome:
    mainly = ev.yes_no(sid, a, "operates_mainly_in_hk")
    if mainly is None:
        return UNKNOWN, "", _missing("operates_mainly_in_hk")
    if mainly:
        return PASS, "yes", "operates mainly in Hong Kong"
    return FAIL, "no", "does not operate mainly in Hong Kong"


def _founder_control(ev: Evidence, sid: str, a: Mapping[str, Any], rules: EligibilityRules,
                     start: dt.date | None) -> Outcome:
    pct = ev.number(sid, a, "founder_share_pct", low=0, high=100)
    if pct is None:
        return UNKNOWN, "", _missing("founder_share_pct")
    limit = rules.founder_share_above
    if pct > limit:
        return PASS, f"{pct:g}", f"founders hold {pct:g}% of the shares, more than {limit:g}%"
    return FAIL, f"{pct:g}", f"founders hold {pct:g}% of the shares, not more than {limit:g}%"


def _ai_company(ev: Evidence, sid: str, a: Mapping[str, Any], rules: EligibilityRules,
                start: dt.date | None) -> Outcome:
    pct = ev.number(sid, a, "ai_work_pct", low=0, high=100)
    if pct is None:
        return UNKNOWN, "", _missing("ai_work_pct")
    floor = rules.ai_work_at_least
    if pct >= floor:
        return PASS, f"{pct:g}", f"{pct:g}% of the work is AI-related, at least {floor:g}%"
    return FAIL, f"{pct:g}", f"{pct:g}% of the work is AI-related, less than {floor:g}%"


_CHECKS: dict[str, Callable[..., Outcome]] = {
    "young_company": _young_company,
    "local_founders": _local_founders,
    "local_operations": _local_operations,
    "founder_control": _founder_control,
    "ai_company": _ai_company,
}


def check_criterion(name: str, evidence: Evidence, sid: str, attributes: Mapping[str, Any],
                    rules: EligibilityRules, start: dt.date | None) -> Outcome:
    """``(status, value that decided it, reason)`` of one criterion for one startup."""
    return _CHECKS[name](evidence, sid, attributes, rules, start)


def rule_text(name: str, rules: EligibilityRules, start: dt.date | None) -> str:
    """The rule in words, with the programme's numbers, for the table."""
    if name == "young_company":
        return f"incorporated after {years_before(start, rules.max_age_years or 0)}" if start else ""
    if name == "local_founders":
        share = Fraction(str(rules.hk_permanent_above))
        return ("more than half the founders HK permanent residents" if share == Fraction(1, 2)
                else f"more than {float(share):g} of the founders HK permanent residents")
    if name == "local_operations":
        return "operates mainly in Hong Kong"
    if name == "founder_control":
        return f"founders hold more than {rules.founder_share_above:g}% of the shares"
    return f"at least {rules.ai_work_at_least:g}% of the work AI-related"


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier; 29 February falls back to 28 February.

    Examples
    --------
    >>> years_before(dt.date(2026, 9, 7), 3)
    datetime.date(2023, 9, 7)
    >>> years_before(dt.date(2028, 2, 29), 3)
    datetime.date(2025, 2, 28)
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def __getattr__(name: str) -> Any:
    # Screening and screen moved to matcher.data.screening; old imports from here keep working
    if name in ("Screening", "screen"):
        from matcher.data import screening

        return getattr(screening, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
