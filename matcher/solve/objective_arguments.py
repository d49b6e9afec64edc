"""The objective's own arguments of :func:`matcher.assign`, checked as they enter.

:func:`objective_arguments` is called once, by :func:`~matcher.solve.arguments.make_problem`: the
objective's name, the blend weight and the randomised objective's probability cap.
"""

from __future__ import annotations

from typing import Any

from matcher.data.values import real_number
from matcher.data.vocabulary import DEFAULT_MAX_PROBABILITY, OBJECTIVES
from matcher.errors import InputProblem

__all__ = ["objective_arguments", "arg_problem"]


def arg_problem(name: str, message: str, hint: str = "") -> InputProblem:
    """An :class:`~matcher.errors.InputProblem` naming the argument ``name`` of :func:`matcher.assign`.

    >>> print(arg_problem("k", "is missing"))
    argument 'k': is missing
    """
    return InputProblem(source=f"argument '{name}'", row=None, field=None, message=message, hint=hint)


def objective_arguments(objective: Any, fairness: Any, max_probability: Any,
                        problems: list[InputProblem]) -> tuple[float, float]:
    """``(fairness weight, probability cap)`` for ``objective``; refused values go to ``problems``.

    Examples
    --------
    >>> found = []
    >>> objective_arguments("blend", 0.25, None, found), objective_arguments("randomised", None, None, found)
    ((0.25, 1.0), (0.0, 0.5))
    >>> _ = objective_arguments("total", None, 0.5, found); print(found[0])
    argument 'max_probability': is 0.5 but the objective is 'total' (pass objective='randomised' \
with it, or leave it out)
    """
    return (_objective_weight(objective, fairness, problems),
            _max_probability(objective, max_probability, problems))


def _objective_weight(objective: Any, fairness: Any, problems: list[InputProblem]) -> float:
    if objective not in OBJECTIVES:
        problems.append(arg_problem("objective", f"is {objective!r}",
                                    f"choose one of {', '.join(OBJECTIVES)}"))
        return 0.0
    if objective != "blend":
        return 1.0 if objective == "fair" else 0.0
    try:
        return real_number(0.5 if fairness is None else fairness, low=0.0, high=1.0)
    except ValueError as exc:
        problems.append(arg_problem("fairness", str(exc), "give a blend weight between 0 and 1"))
        return 0.0


def _max_probability(objective: Any, value: Any, problems: list[InputProblem]) -> float:
    """The cap on a pair's probability: only under the randomised objective, in (0, 1]."""
    if objective != "randomised":
        if value is not None:
            problems.append(arg_problem("max_probability", f"is {value!r} but the objective is {objective!r}",
                                 "pass objective='randomised' with it, or leave it out"))
        return 1.0
    try:
        q = real_number(DEFAULT_MAX_PROBABILITY if value is None else value, low=0.0, high=1.0)
    except ValueError as exc:
        problems.append(arg_problem("max_probability", str(exc), "give a probability above 0, at most 1"))
        return 1.0
    if q < 0.001:
        problems.append(arg_problem("max_probability", f"{q!r} is below 0.001",
                             "give a probability above 0, at most 1, e.g. 0.5"))
        return 1.0
    return q
