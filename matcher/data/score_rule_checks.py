"""The check of the ``scoring`` rule: which scorer a programme asks for.

The checker has the signature of :data:`matcher.data.rule_checks.CHECKS`'s: (value, field as
written in ``programme.yaml``, report) -> the clean value, or None after recording the problem.
The clean value keeps only the keys given (``{}`` is the default scorer), so that rules written
without ``scoring`` read, store and score exactly as before; :func:`scoring_settings` fills in
:data:`~matcher.data.vocabulary.DEFAULT_SCORING` for the rest.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from matcher.data.rule_report import MAX_WEIGHT, RuleReport, suggest
from matcher.data.values import real_number, whole_number, yes_no
from matcher.data.vocabulary import AGGREGATIONS, DEFAULT_SCORING, EMBEDDING_MODELS, EVIDENCE_KINDS, SCALES

__all__ = ["check_scoring", "scoring_settings", "SCORING_KEYS", "ITEM_KINDS", "MAX_HALF_LIFE"]

#: The keys of ``scoring``, in the order the docs list them.
SCORING_KEYS = tuple(DEFAULT_SCORING)

#: The kinds ``scoring.kind_weights`` may weigh: evidence kinds, and ``expertise`` for the lines
#: of a mentor's expertise text.
ITEM_KINDS = (*EVIDENCE_KINDS, "expertise")

#: The longest half-life accepted, in years; a longer one is surely a unit slip.
MAX_HALF_LIFE = 1000.0

_HINT = "write e.g. {aggregation: max} or {aggregation: top-k, top_k: 3, half_life: 5}"


def _name(value: Any, where: str, choices: tuple[str, ...], report: RuleReport) -> str | None:
    if isinstance(value, str) and value in choices:
        return value
    report.add(where, f"{value!r} is not one of {', '.join(choices)}", suggest(value, choices, "use one of"))
    return None


def _half_life(value: Any, where: str, report: RuleReport) -> float | None:
    hint = f"write years above 0, at most {MAX_HALF_LIFE:g}, e.g. 5, or null for no recency weight"
    return report.positive(where, value, hint, high=MAX_HALF_LIFE)


def _kind_weights(value: Any, where: str, report: RuleReport) -> dict[str, float] | None:
    value = report.mapping(where, value, "a mapping of kind to weight", "write e.g. {paper: 1, talk: 0.5}")
    if value is None:
        return None
    out = {}
    for kind, weight in value.items():
        if kind not in ITEM_KINDS:
            report.add(f"{where}.{kind}", f"unknown kind {kind!r}", suggest(kind, ITEM_KINDS, "use"))
            continue
        number = report.parse(f"{where}.{kind}", real_number, weight,
                              f"write a weight of 0 or more, at most {MAX_WEIGHT:g}, e.g. 0.5",
                              high=MAX_WEIGHT)
        if number is not None:
            out[str(kind)] = number
    return out


def _embeddings(value: Any, where: str, report: RuleReport) -> str | None:
    hint = f"write true (the {EMBEDDING_MODELS[0]} model), false, or one of {', '.join(EMBEDDING_MODELS)}"
    if value is None:
        return None
    if isinstance(value, str) and value in EMBEDDING_MODELS:
        return value
    try:
        return EMBEDDING_MODELS[0] if yes_no(value) else None
    except ValueError:
        near = difflib.get_close_matches(str(value), list(EMBEDDING_MODELS), n=1)
        report.add(where, f"{value!r} is neither true/false nor an embedding model",
                   (f"did you mean '{near[0]}'? " if near else "") + hint)
        return None


def check_scoring(value: Any, field: str, report: RuleReport) -> dict[str, Any] | None:
    """The scorer settings given (normalised), or None after recording every problem.

    Examples
    --------
    >>> report = RuleReport("programme.yaml")
    >>> check_scoring({"aggregation": "max", "embeddings": True}, "scoring", report)
    {'aggregation': 'max', 'embeddings': 'wordllama'}
    >>> check_scoring({"aggregation": "maxx", "top_k": 0}, "scoring", report) is None
    True
    >>> [f"{p.field}: {p.message} ({p.hint})" for p in report.problems][0]
    "scoring.aggregation: 'maxx' is not one of top-k, max, mean, document (did you mean 'max'? \
use one of top-k, max, mean, document)"
    """
    value = report.mapping(field, value, "a mapping of scorer settings", _HINT)
    if value is None:
        return None
    found, out = len(report.problems), {}
    for key, item in value.items():
        where = f"{field}.{key}"
        if key == "aggregation":
            clean = _name(item, where, AGGREGATIONS, report)
        elif key == "scale":
            clean = _name(item, where, SCALES, report)
        elif key == "top_k":
            clean = report.parse(where, whole_number, item, "write a whole number of items, 1 or more: 3",
                                 low=1, high=10_000)
        elif key == "half_life":
            clean = _half_life(item, where, report)
        elif key == "kind_weights":
            clean = _kind_weights(item, where, report)
        elif key == "embeddings":
            clean = _embeddings(item, where, report)
        else:
            report.add(where, "unknown key", suggest(key, SCORING_KEYS, "use"))
            continue
        out[str(key)] = clean
    return out if len(report.problems) == found else None


def scoring_settings(scoring: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every scorer setting: those of ``scoring`` (a checked ``Rules.scoring``), defaults for the rest.

    >>> s = scoring_settings({"aggregation": "max"})
    >>> s["aggregation"], s["top_k"], s["embeddings"]
    ('max', 3, None)
    """
    merged = {**DEFAULT_SCORING, **(scoring or {})}
    merged["kind_weights"] = dict(merged["kind_weights"] or {})
    return merged
