"""Screening a cohort: each startup's criteria, its verdict, and who goes on to matching.

:func:`screen` applies the programme's :class:`~matcher.data.eligibility.EligibilityRules` on the
cohort's start date and returns a :class:`Screening`; :meth:`Screening.apply` leaves out the
startups that are not eligible (unless overridden), with the reason recorded. The criteria
themselves, and how their evidence is read, are in :mod:`matcher.data.eligibility`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from matcher.data.eligibility import (
    CRITERION_FIELDS,
    ELIGIBLE,
    FAIL,
    INELIGIBLE,
    UNKNOWN,
    EligibilityRules,
    Evidence,
    Outcome,
    check_criterion,
    eligibility_rules,
    has_eligibility_data,
    rule_text,
)
from matcher.data.models import Cohort
from matcher.data.values import iso_date
from matcher.errors import InputError, InputProblem

__all__ = ["Screening", "screen"]


@dataclass(frozen=True, eq=False)
class Screening:
    """The result of :func:`screen`: each startup's criteria, verdict and whether it is matched.

    Attributes
    ----------
    table : DataFrame
        One row per startup and criterion: ``startup_id``, ``name``, ``criterion``, ``status``
        (``pass`` / ``fail`` / ``unknown``), ``value`` (the evidence that decided it, as text),
        ``rule`` (the criterion in words) and ``reason``.
    verdicts : DataFrame
        One row per startup, indexed by ``startup_id``: ``name``, one status column per criterion,
        ``verdict`` (``eligible`` / ``ineligible`` / ``unknown``), ``overridden``, ``included``
        and ``reason``.
    rules : EligibilityRules
        The rules applied, overrides included.
    start_date : date or None
        The date the rules were checked on.

    Examples
    --------
    >>> import matcher
    >>> cohort = matcher.load_cohort("data/autumn-2026")
    >>> screening = matcher.screen(cohort, override=["s-cantocaption"])
    >>> screening
    Screening(8 of 10 included, 2 left out, 1 overridden)
    >>> sorted(screening.excluded)
    ['s-coldpick', 's-shelfmind']
    >>> len(screening.apply(cohort).startups)
    8
    """

    table: pd.DataFrame
    verdicts: pd.DataFrame
    rules: EligibilityRules
    start_date: dt.date | None

    @property
    def eligible_ids(self) -> tuple[str, ...]:
        """Ids of the startups that go on to matching (eligible, or overridden), in cohort order."""
        return tuple(self.verdicts.index[self.verdicts["included"]])

    @property
    def excluded(self) -> dict[str, str]:
        """Startup id → why it is left out of matching, for every startup left out."""
        out = self.verdicts[~self.verdicts["included"]]
        return dict(zip(out.index, out["reason"]))

    @property
    def overridden(self) -> tuple[str, ...]:
        """Ids of the startups matched only because the programme office overrode the verdict."""
        return tuple(self.verdicts.index[self.verdicts["overridden"]])

    def summary(self) -> str:
        """Who is screened in, and who is left out and why, in a few lines."""
        v = self.verdicts
        lines = [f"{int(v['included'].sum())} of {len(v)} startups go on to matching"
                 + (f" (checked on {self.start_date})" if self.start_date else "")
                 + (f"; {len(self.excluded)} left out:" if self.excluded else ".")]
        lines += [f"  - {v.at[sid, 'name']} ({sid}): {reason}" for sid, reason in self.excluded.items()]
        lines += [f"  + {v.at[sid, 'name']} ({sid}): {v.at[sid, 'reason']}"
                  for sid in self.overridden]
        return "\n".join(lines)

    def apply(self, cohort: Cohort) -> Cohort:
        """The cohort without the startups left out, ready to match.

        Mentor conflicts, forbidden pairs and history rows naming a startup left out are dropped
        with it (they cannot matter any more); the screening itself is kept in
        ``cohort.meta["screening"]``. A pinned pair naming a startup left out is refused: the
        programme wants that pair, so it must override the verdict or drop the pin.

        Raises
        ------
        InputError
            The cohort holds startups this screening did not see, or a pin names a startup left out.
        """
        unseen = [s.id for s in cohort.startups if s.id not in self.verdicts.index]
        if unseen:
            raise InputError([InputProblem("screening", None, None,
                                           f"did not screen startup(s) {', '.join(unseen)}",
                                           "screen this cohort with matcher.screen(cohort) first")])
        keep = set(self.eligible_ids)
        excluded = self.excluded
        pins = [InputProblem("rules", None, "pinned",
                             f"pair ({s}, {m}) names {s}, left out by screening: {excluded[s]}",
                             f"add {s} to the eligibility overrides, or remove the pin")
                for s, m in cohort.rules.pinned if s in excluded]
        if pins:
            raise InputError(pins)
        # a pair naming a startup that is not in the cohort at all stays, for the solver's checks to
        # refuse by name: dropping it would hide a typo
        known = set(self.verdicts.index)
        rules = cohort.rules.replace(forbidden=tuple(p for p in cohort.rules.forbidden
                                                     if p[0] in keep or p[0] not in known))
        mentors = tuple(replace(m, conflicts=tuple(c for c in m.conflicts if c in keep))
                        if set(m.conflicts) - keep else m for m in cohort.mentors)
        # replace() keeps every other field of the cohort (preferences, ...) as it is
        return replace(
            cohort,
            startups=tuple(s for s in cohort.startups if s.id in keep),
            mentors=mentors,
            rules=rules,
            history=tuple(h for h in cohort.history if h[1] in keep),
            meta={**cohort.meta, "screening": self},
        )

    def __repr__(self) -> str:
        v = self.verdicts
        return (f"Screening({int(v['included'].sum())} of {len(v)} included, "
                f"{len(self.excluded)} left out, {len(self.overridden)} overridden)")


def screen(cohort: Cohort, *, rules: EligibilityRules | Mapping[str, Any] | None = None,
           override: Iterable[str] = (), start_date: dt.date | str | None = None) -> Screening:
    """Check every startup of a cohort against the programme's eligibility rules.

    Parameters
    ----------
    cohort : Cohort
        A loaded cohort; the evidence is in each startup's ``attributes`` (the columns of
        ``startups.csv``), the rules in ``cohort.meta["eligibility"]`` and the date in
        ``cohort.meta["start_date"]`` (both from ``programme.yaml``).
    rules : EligibilityRules or mapping, optional
        Replaces the programme's rules (defaults: the accelerator's published criteria).
    override : iterable of str
        More startup ids to admit to matching whatever their verdict (added to the programme's).
    start_date : date or str, optional
        Replaces the programme's start date.

    Returns
    -------
    Screening
        ``table`` (startup × criterion), ``verdicts`` (one row per startup), ``eligible_ids``,
        ``excluded`` (id → reason) and ``apply(cohort)``.

    Raises
    ------
    InputError
        Malformed evidence (naming the file, row and field), an override naming an unknown
        startup, or an age rule with no start date.

    Examples
    --------
    >>> import matcher
    >>> screening = matcher.screen(matcher.load_cohort("data/spring-2026"))
    >>> len(screening.eligible_ids)
    9
    >>> screening.excluded["s-lanelogic"]
    'fails local_founders: 2 of 4 founders are HK permanent residents, not more than half'
    >>> screening.verdicts.loc["s-kindbot", ["ai_company", "verdict"]].tolist()
    ['pass', 'eligible']
    """
    rules = _programme_rules(cohort, rules, override)
    start = _start_date(cohort, start_date)
    if "young_company" in rules.active and start is None:
        raise InputError([InputProblem("programme.yaml", None, "start_date", "is missing",
                                       "the eligibility rules are checked on this date: add "
                                       "'start_date: YYYY-MM-DD', or set eligibility.max_age_years: null")])

    evidence = Evidence(cohort)
    _missing_columns(cohort, rules, evidence)
    records, verdicts = [], []
    for s in cohort.startups:
        outcomes = {name: check_criterion(name, evidence, s.id, s.attributes, rules, start)
                    for name in rules.active}
        for name, (status, value, reason) in outcomes.items():
            records.append({"startup_id": s.id, "name": s.name, "criterion": name, "status": status,
                            "value": value, "rule": rule_text(name, rules, start), "reason": reason})
        verdicts.append(_verdict(s.id, s.name, outcomes, s.id in rules.override))
    if evidence.problems:
        raise InputError(evidence.problems)
    return _screening(records, verdicts, rules, start)


def _missing_columns(cohort: Cohort, rules: EligibilityRules, evidence: Evidence) -> None:
    """A criterion the programme checks needs its evidence columns in the startups' table.

    When the programme sets eligibility rules, or the table carries some evidence columns, a
    missing one would leave every startup out as "no evidence supplied": that is a table missing
    a column, reported as such (row 1, the header).
    """
    if not cohort.startups or not has_eligibility_data(cohort):
        return  # a cohort with no eligibility data at all is screened as "nothing known"
    columns = set(cohort.startups[0].attributes)
    for name in rules.active:
        for column in CRITERION_FIELDS[name]:
            if column not in columns:
                evidence.problems.append(InputProblem(
                    evidence.label, 1, column, f"required column is missing (eligibility rule {name})",
                    f"add a '{column}' column, or switch the rule off in programme.yaml's eligibility"))


def _programme_rules(cohort: Cohort, rules: EligibilityRules | Mapping[str, Any] | None,
                     override: Iterable[str]) -> EligibilityRules:
    """The rules to apply: the programme's (or those given), the extra overrides added and checked."""
    if rules is None:
        rules = eligibility_rules(cohort.meta.get("eligibility"))
    elif not isinstance(rules, EligibilityRules):
        rules = eligibility_rules(rules, "argument 'rules'")
    extra = (override,) if isinstance(override, str) else tuple(override)
    ids = [s.id for s in cohort.startups]
    unknown = [_unknown_override(sid, ids, "programme.yaml") for sid in rules.override if sid not in ids]
    unknown += [_unknown_override(sid, ids, "argument 'override'") for sid in extra if sid not in ids]
    if unknown:
        raise InputError(unknown)
    return replace(rules, override=tuple(dict.fromkeys(rules.override + extra)))


def _screening(records: list[dict], verdicts: list[dict], rules: EligibilityRules,
               start: dt.date | None) -> Screening:
    table = pd.DataFrame(records, columns=["startup_id", "name", "criterion", "status", "value", "rule",
                                           "reason"])
    frame = pd.DataFrame(verdicts, columns=["startup_id", "name", *rules.active, "verdict", "overridden",
                                            "included", "reason"]).set_index("startup_id")
    frame["overridden"] = frame["overridden"].astype(bool)
    frame["included"] = frame["included"].astype(bool)
    return Screening(table=table, verdicts=frame, rules=rules, start_date=start)


def _unknown_override(sid: str, ids: list[str], source: str) -> InputProblem:
    near = difflib.get_close_matches(sid, ids, n=1)
    return InputProblem(source, None, "eligibility.override", f"names unknown startup id '{sid}'",
                        f"did you mean '{near[0]}'?" if near else "use ids from startups.csv")


def _verdict(sid: str, name: str, outcomes: Mapping[str, Outcome], override: bool) -> dict[str, Any]:
    failed = [f"fails {c}: {why}" for c, (status, _, why) in outcomes.items() if status == FAIL]
    unknown = [f"unknown {c}: {why}" for c, (status, _, why) in outcomes.items() if status == UNKNOWN]
    # one failure settles it; otherwise missing evidence keeps the verdict open, never a pass
    verdict = INELIGIBLE if failed else UNKNOWN if unknown else ELIGIBLE
    reason = "; ".join(failed + unknown) or f"meets all {len(outcomes)} criteria"
    overridden = override and verdict != ELIGIBLE
    if overridden:
        reason += "; admitted by override"
    return {"startup_id": sid, "name": name, **{c: o[0] for c, o in outcomes.items()},
            "verdict": verdict, "overridden": overridden, "included": verdict == ELIGIBLE or overridden,
            "reason": reason}


def _start_date(cohort: Cohort, start_date: Any) -> dt.date | None:
    value = start_date if start_date is not None else cohort.meta.get("start_date")
    if value is None or value == "":
        return None
    try:
        return iso_date(value)
    except ValueError as exc:
        source = "programme.yaml" if start_date is None else "argument 'start_date'"
        raise InputError([InputProblem(source, None, "start_date", str(exc),
                                       "write YYYY-MM-DD, e.g. 2026-03-02")]) from None
