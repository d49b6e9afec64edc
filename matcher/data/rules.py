"""The rules a programme sets for matching: one vocabulary, validated once, where it enters.

:class:`Rules` is built from keywords (``Rules(k=3)``), from a plain mapping with the name of the
file it came from (:meth:`Rules.from_mapping`, used for ``programme.yaml`` and job files), or from
its JSON form (:func:`rules_from_json`). Whichever way, every field is checked by
``matcher.data.rule_checks`` and every problem is reported at once as an
:class:`~matcher.errors.InputError` naming the source, the key as written in ``programme.yaml``
and how to fix it. Downstream code reads the normalised fields and never checks them again.

The names rules are written in live in :mod:`matcher.data.vocabulary` (``OBJECTIVES`` and
``HISTORY_MODES`` are re-exported here); the one translation of rules into solver inputs is
:func:`matcher.solve.translate.cohort_problem`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from matcher.data.jsonform import json_ready, tuples_from_json
from matcher.data.rule_checks import DEFAULT_BALANCE, check_rules, soft_name_problems, validate_rules
from matcher.data.vocabulary import DEFAULT_MAX_PROBABILITY, HISTORY_MODES, OBJECTIVES
from matcher.errors import InputError, InputProblem

__all__ = [
    "Rules",
    "DEFAULT_WEIGHTS",
    "rules_to_json",
    "rules_from_json",
    "validate_rules",
    "check_rules",
    "OBJECTIVES",
    "HISTORY_MODES",
    "DEFAULT_BALANCE",
]

#: The weight of each affinity component when a programme does not set ``weights``.
DEFAULT_WEIGHTS: Mapping[str, float] = {"text": 0.35, "domain": 0.35, "needs": 0.2, "language": 0.1}


def _nearest(key: Any, known: list[str]) -> str:
    near = difflib.get_close_matches(str(key), known, n=1)
    return f"did you mean '{near[0]}'?" if near else f"known rules: {', '.join(sorted(known))}"


@dataclass(frozen=True)
class Rules:
    """The rules a programme sets for matching.

    Parameters
    ----------
    k : int or (int, int)
        Mentors per startup: exactly ``k``, or between ``k[0]`` and ``k[1]``.
    weights : mapping of str to float
        Weight of each affinity component (``text``, ``domain``, ``needs``, ``language``).
    require_common_language : bool
        Forbid pairs that share no mentoring language.
    forbidden, pinned : tuple of (startup_id, mentor_id)
        Pairs that must never / must always be made.
    solver : str or Solver
        Backend name for :func:`matcher.assign` (``"auto"`` picks the fastest that fits; see
        :data:`~matcher.data.vocabulary.SOLVER_NAMES`), or a backend object with ``name`` and
        ``solve``.
    time_limit : float or None
        Seconds a solver may take (above 0, at most a week).
    seed : int
        Seed for every randomised step (0 to 2**31 - 1).
    quotas : mapping of str to mapping
        Mentors of each group every startup takes, e.g. ``{"academic": {"kinds": ["professor",
        "scientist"], "min": 1}, "investor": {"kinds": ["investor"], "max": 1}}``; a group is named
        by mentor ``kinds`` and/or mentor ids (``mentors``).
    coverage : bool
        Each startup gets at least one mentor whose domains cover its primary domain.
    min_load : int
        Startups each mentor should take (capped at its capacity; 0: no minimum).
    min_load_hard : bool
        Make ``min_load`` a hard rule (infeasible when it cannot hold); soft by default.
    balance_load : float or bool
        Weight of the penalty that spreads startups evenly over mentors (``true`` means 0.05).
    history_rule : {"forbid", "prefer", "ignore"}
        What to do with pairs of earlier cohorts: never repeat them, prefer them
        (``continuity_bonus`` added to their score), or ignore them.
    continuity_bonus : float
        Score added to a pair made before, under ``history_rule: prefer``.
    yearly_capacity : int or None
        Most startups a mentor takes in one calendar year, earlier cohorts of the year included.
    objective : {"total", "fair", "blend", "randomised"}
        Maximise the total score; the worst-served startup's total, then the total; a blend; or
        the expected total of a lottery with no pair above ``max_probability`` (randomised).
    fairness : float
        Weight of the worst startup's total under ``blend``: ``(1 - fairness) * mean + fairness *
        worst``.
    max_probability : float
        Under ``objective: randomised``, the cap on each pair's probability, in (0, 1].
    team : mapping
        Under ``objective: team``: ``coverage`` (weight of all of a startup's needs covered,
        default 0.5), ``diversity`` (bonus per distinct label on a team, default 0.1) and ``by``
        (the mentor labels that should not repeat: ``kind``, ``domain``; default both).
    tandems, apart : tuple of (mentor_id, mentor_id)
        Mentors assigned together (a startup has both or neither) / never on the same team.
    circles : tuple of tuples of startup ids
        Startups that must share at least one mentor.
    soft : mapping of str to float
        Rules the solver may break, each at a price per mentor short or over, traded against
        the score: a quota by its name, ``coverage``, ``min_load``; e.g. ``{academic: 0.3}``.
        Rules not named stay hard.
    workers : int or None
        Search workers of the CP-SAT-based backends (None: 2). The answer for a given seed does
        not depend on it only with one worker; see ``docs/architecture.md``.
    scoring : mapping
        The scorer: ``aggregation`` (``top-k``, ``max``, ``mean``, ``document``), ``top_k``,
        ``scale`` (``cohort``, ``absolute``), ``half_life`` (years), ``kind_weights`` (evidence
        kind to weight) and ``embeddings`` (true, or a model name); keys left out keep
        :data:`~matcher.data.vocabulary.DEFAULT_SCORING`, so ``{}`` scores as before.

    Raises
    ------
    InputError
        Listing every refused value, each naming its field as written in ``programme.yaml`` and how
        to fix it (source ``"Rules"``; :meth:`from_mapping` names the file instead).

    Examples
    --------
    >>> Rules(k=[2, 3], balance_load=True).k, Rules(balance_load=True).balance_load
    ((2, 3), 0.05)
    >>> Rules(k="three", solver="simplex")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    matcher.errors.InputError: 2 problems in the input:
      - Rules, field 'k': 'three' is not a whole number (write a whole number such as 3, or a range [2, 3])
      - Rules, field 'solver': unknown solver 'simplex' (choose one of auto, flow, cpsat, fair, ...)
    """

    k: int | tuple[int, int] = 3
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    require_common_language: bool = True
    forbidden: tuple[tuple[str, str], ...] = ()
    pinned: tuple[tuple[str, str], ...] = ()
    solver: Any = "auto"  # a name of SOLVER_NAMES, or a backend object
    time_limit: float | None = None
    seed: int = 0
    quotas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    coverage: bool = False
    min_load: int = 0
    min_load_hard: bool = False
    balance_load: float = 0.0
    history_rule: str = "forbid"
    continuity_bonus: float = 0.1
    yearly_capacity: int | None = None
    objective: str = "total"
    fairness: float = 0.5
    max_probability: float = DEFAULT_MAX_PROBABILITY
    team: Mapping[str, Any] = field(default_factory=dict)
    tandems: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()
    circles: tuple[tuple[str, ...], ...] = ()
    soft: Mapping[str, float] = field(default_factory=dict)
    workers: int | None = None
    scoring: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        # frozen: the normalised values (tuples, floats) replace what was given
        for name, value in validate_rules(values, "Rules").items():
            object.__setattr__(self, name, value)
        found = soft_name_problems(self.soft, self.quotas, self.coverage, self.min_load, "Rules")
        if found:
            raise InputError(found)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, source: str = "Rules",
                     base: Rules | None = None) -> Rules:
        """Rules from plain values (a YAML or JSON mapping, keywords), every problem naming ``source``.

        Parameters
        ----------
        values : mapping of str to value
            Rule keys as written in ``programme.yaml``; values as YAML, JSON or a flag gives them.
        source : str
            Where the values came from, for messages: a file name (``"programme.yaml"``) or the
            function called (``"match_cohort"``).
        base : Rules, optional
            Rules whose fields the values replace (default: the defaults of :class:`Rules`).

        Raises
        ------
        InputError
            Listing every unknown key (with the nearest rule) and every refused value.

        Examples
        --------
        >>> Rules.from_mapping({"k": [2, 3], "coverage": "yes"}, source="programme.yaml").k
        (2, 3)
        >>> Rules.from_mapping({"kk": 3, "fairness": 2}, source="programme.yaml")
        Traceback (most recent call last):
        ...
        matcher.errors.InputError: 2 problems in the input:
          - programme.yaml, field 'kk': is not a rule (did you mean 'k'?)
          - programme.yaml, field 'fairness': 2 is outside 0 to 1 (write a weight from 0 (mean only) to 1 \
(worst startup only), e.g. 0.5)
        """
        if not isinstance(values, Mapping):
            raise InputError([InputProblem(source, None, None, f"{values!r} is not a mapping of rules",
                                           "write 'key: value' lines, e.g. 'k: 3'")])
        known = [f.name for f in fields(cls)]
        problems = [InputProblem(source, None, str(key), "is not a rule", _nearest(key, known))
                    for key in values if key not in known]
        clean, found = check_rules(values, source)
        start = {} if base is None else {name: getattr(base, name) for name in known}
        if not found and "soft" in clean:
            merged = {**{n: getattr(cls, n, None) for n in ("quotas", "coverage", "min_load")},
                      **start, **clean}
            found = soft_name_problems(clean["soft"], merged["quotas"] or {}, merged["coverage"],
                                       merged["min_load"], source)
        if problems or found:
            raise InputError(problems + found)
        return cls(**{**start, **clean})

    def replace(self, **changes: Any) -> Rules:
        """A copy with ``changes`` applied, checked as :meth:`from_mapping` checks (source ``"Rules"``).

        >>> Rules(k=2).replace(seed=7).seed
        7
        """
        return Rules.from_mapping(changes, source="Rules", base=self)


def rules_to_json(rules: Rules) -> dict[str, Any]:
    """Every field of ``rules`` as JSON-ready values (tuples become lists; a backend object, its name).

    ``scoring`` is left out when it is the default (``{}``), so rules without it are stored, and
    batch jobs' inputs hashed, exactly as before the field existed.

    >>> rules_to_json(Rules(k=(2, 3)))["k"], "scoring" in rules_to_json(Rules())
    ([2, 3], False)
    """
    out = {f.name: json_ready(getattr(rules, f.name), default=str) for f in fields(rules)
           if f.name != "scoring" or rules.scoring}
    if not isinstance(rules.solver, str):
        out["solver"] = rules.solver.name
    return out


def rules_from_json(values: Mapping[str, Any], source: str = "rules JSON") -> Rules:
    """The :class:`~matcher.data.rules.Rules` that :func:`rules_to_json` wrote (lists become tuples again).

    >>> rules_from_json(rules_to_json(Rules(k=(2, 3), forbidden=(("s1", "m1"),)))).forbidden
    (('s1', 'm1'),)
    """
    return Rules.from_mapping({name: (dict(v) if name == "weights" and isinstance(v, Mapping)
                                      else tuples_from_json(v)) for name, v in values.items()},
                              source=source)
