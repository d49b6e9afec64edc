"""The exception hierarchy of matcher.

Every error a user can cause is a :class:`MatcherError` carrying structured details and a message
that a programme manager can act on. The input and infeasibility errors also subclass
:class:`ValueError`, so generic handlers keep working.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Diagnosis",
    "MatcherError",
    "InputError",
    "InputProblem",
    "InfeasibleError",
    "SolverError",
]


class MatcherError(Exception):
    """Base class of every error raised on purpose by matcher.

    Examples
    --------
    >>> import matcher
    >>> try:
    ...     matcher.load_cohort("no/such/folder")
    ... except MatcherError as err:
    ...     print(type(err).__name__)
    InputError
    """


@dataclass(frozen=True)
class InputProblem:
    """One problem found in the input: where it is and how to fix it.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it (the header is line 1),
    or ``None`` when the problem is not tied to one row.
    """

    source: str
    row: int | None
    field: str | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.field is not None:
            where += f", field '{self.field}'"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(MatcherError, ValueError):
    """Bad input: lists every problem found, each naming the file, row and field.

    Examples
    --------
    >>> err = InputError([InputProblem("mentors.csv", 4, "capacity", "'-1' is negative",
    ...                                "use a whole number of startups, 0 or more")])
    >>> print(err)
    1 problem in the input:
      - mentors.csv, row 4, field 'capacity': '-1' is negative (use a whole number of startups, 0 or more)
    """

    def __init__(self, problems: list[InputProblem] | str):
        if isinstance(problems, str):
            problems = [InputProblem("input", None, None, problems)]
        self.problems: list[InputProblem] = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Diagnosis:
    """Why a set of rules cannot all hold: the rule, the shortfall, and what to relax.

    Examples
    --------
    >>> d = Diagnosis("capacity", "9 startups need 27 places; the mentors offer 21.", 6,
    ...               ("raise capacity by 6", "lower k to 2"))
    >>> print(d)
    [capacity] 9 startups need 27 places; the mentors offer 21. To fix: raise capacity by 6; or lower k to 2.
    """

    rule: str
    message: str
    shortfall: float = 0.0
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    startups: tuple = field(default_factory=tuple)
    mentors: tuple = field(default_factory=tuple)

    def __str__(self) -> str:
        text = f"[{self.rule}] {self.message}"
        if self.suggestions:
            text += " To fix: " + "; or ".join(self.suggestions) + "."
        return text


class InfeasibleError(MatcherError, ValueError):
    """The rules cannot all hold; ``diagnoses`` says which, by how much, and what to relax.

    Examples
    --------
    >>> import numpy as np
    >>> import matcher
    >>> try:
    ...     matcher.assign(np.ones((3, 2)), k=2, capacity=2)
    ... except InfeasibleError as err:
    ...     print(err.diagnoses[0].rule, err.diagnoses[0].shortfall)
    total capacity 2
    """

    def __init__(self, diagnoses: list[Diagnosis] | str):
        if isinstance(diagnoses, str):
            diagnoses = [Diagnosis(rule="rules", message=diagnoses)]
        self.diagnoses: list[Diagnosis] = list(diagnoses)
        lines = ["The rules cannot all hold:"]
        lines += [f"  - {d}" for d in self.diagnoses]
        super().__init__("\n".join(lines))


class SolverError(MatcherError, RuntimeError):
    """A solver failed for a reason that is not the user's rules (a bug or a resource limit).

    Examples
    --------
    >>> issubclass(SolverError, RuntimeError), issubclass(SolverError, MatcherError)
    (True, True)
    """
