"""Soft rules: quotas a programme lets the solver break, at a price per mentor short or over.

``soft: {academic: 0.3}`` in programme.yaml (or ``soft={"academic": 0.3}`` to
:func:`matcher.assign`) makes the quota ``academic`` soft: a startup with no academic mentor costs
0.3 score, and the solver trades that against the scores. Rules not named stay hard. The price of
an assignment is :func:`soft_cost`; :func:`soft_violations` lists every violation and its cost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from matcher.data.values import MAX_SCORE, real_number
from matcher.errors import InputProblem
from matcher.solve.objective_arguments import arg_problem
from matcher.solve.problem import Problem, Quota

__all__ = ["soft_cost", "soft_violations", "price_rules", "SOFT_LOAD"]

#: The name under ``soft`` that prices each place a mentor is below its minimum load.
SOFT_LOAD = "min_load"


def soft_cost(problem: Problem, chosen: np.ndarray) -> float:
    """The total price of the soft quotas ``chosen`` (bool, shape (n_startups, n_mentors)) breaks.

    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((2, 2)), k=1, capacity=2, soft={"a": 0.3},
    ...                  quotas=[{"name": "a", "mentors": [0], "min": 1}])
    >>> soft_cost(p, np.array([[False, True], [True, False]]))
    0.3
    """
    return float(sum(q.price * q.shortfall(chosen).sum() for q in problem.quotas if q.soft))


def soft_violations(problem: Problem, rows: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
    """Every soft rule the pairs ``(rows, cols)`` break: one row per rule and startup.

    Returns
    -------
    DataFrame
        Columns ``rule``, ``startup_id``, ``mentors`` (how many of the group it has), ``min``,
        ``max``, ``violation`` (mentors short or over), ``price`` and ``cost``.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((2, 2)), k=1, capacity=2, soft={"a": 0.3},
    ...                  quotas=[{"name": "a", "mentors": [0], "min": 1}])
    >>> soft_violations(p, np.array([0, 1]), np.array([1, 0]))[["rule", "startup_id", "violation", "cost"]]
      rule  startup_id  violation  cost
    0    a           0          1   0.3
    """
    chosen = np.zeros(problem.shape, dtype=bool)
    chosen[rows, cols] = True
    records = []
    n_s = problem.shape[0]
    for quota in problem.quotas:
        if not quota.soft:
            continue
        inside = (chosen & quota.mask(n_s)).sum(axis=1)
        short = quota.shortfall(chosen)
        for i in np.nonzero(short)[0]:
            records.append((quota.name, problem.startup_ids[i], int(inside[i]), int(quota.min[i]),
                            int(quota.max[i]), int(short[i]), quota.price, quota.price * short[i]))
    return pd.DataFrame(records, columns=["rule", "startup_id", "mentors", "min", "max", "violation",
                                          "price", "cost"])


def price_rules(soft: Any, quotas: list[Quota], load_penalty: float | None, has_min_load: bool,
                problems: list[InputProblem]) -> tuple[list[Quota], float | None]:
    """The quotas with the prices ``soft`` sets, and the minimum load's penalty.

    ``soft`` maps a quota's name (``coverage`` for domain coverage) or ``min_load`` to a price per
    mentor short or over; a name that is no rule of the problem is refused.

    >>> q = [Quota("a", np.array([True, False]), np.array([1]), np.array([2]))]
    >>> quotas, penalty = price_rules({"a": 0.3}, q, None, False, [])
    >>> quotas[0].price, penalty
    (0.3, None)
    """
    if soft is None:
        return quotas, load_penalty
    if not isinstance(soft, Mapping):
        problems.append(arg_problem("soft", f"{soft!r} is not a mapping of rule to price",
                                    "give e.g. {'academic': 0.3}"))
        return quotas, load_penalty
    names = {q.name for q in quotas}
    prices = {}
    for name, price in soft.items():
        if name not in names and not (name == SOFT_LOAD and has_min_load):
            known = sorted(names | ({SOFT_LOAD} if has_min_load else set()))
            problems.append(arg_problem("soft", f"names {name!r}, which is no rule here",
                                        f"name one of {', '.join(known) or 'no rule (none is set)'}"))
            continue
        try:
            prices[name] = real_number(price, high=MAX_SCORE)
        except ValueError as exc:
            problems.append(arg_problem("soft", f"{name}: {exc}", "give a price of 0 or more"))
    quotas = [dataclasses.replace(q, price=prices[q.name]) if q.name in prices else q for q in quotas]
    return quotas, prices.get(SOFT_LOAD, load_penalty)
