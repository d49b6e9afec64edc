"""The names matcher's rules are written in, each defined here and nowhere else.

Files, flags, keywords, validation messages, solvers and reports all read these tuples, so a name
added here is known everywhere at once.
"""

from __future__ import annotations

__all__ = ["OBJECTIVES", "HISTORY_MODES", "SOLVER_NAMES", "COMPONENTS", "STATUSES", "MENTOR_KINDS",
           "MISSING_SCORES"]

#: What the solver maximises: the total score; the worst-served startup's total, then the total;
#: or a blend of the mean and the worst startup's total.
OBJECTIVES = ("total", "fair", "blend")

#: What to do with pairs made in earlier cohorts.
HISTORY_MODES = ("forbid", "prefer", "ignore")

#: Backends by name; ``auto`` picks among them. :func:`matcher.solve.register_solver` adds more.
SOLVER_NAMES: list[str] = ["auto", "flow", "cpsat", "fair", "pruned", "stable", "stable-mentors"]

#: The named components of an affinity score, in the order they are summed.
COMPONENTS = ("text", "domain", "needs", "language", "preference")

#: The statuses an assignment can carry.
STATUSES = ("optimal", "feasible", "infeasible", "time_limit")

#: Mentor kinds the sample programme uses; other kinds are accepted as given.
MENTOR_KINDS = ("professor", "scientist", "engineer", "entrepreneur", "investor")

#: What a missing score (NaN, a blank cell) means: an error, or a forbidden pair.
MISSING_SCORES = ("error", "forbid")
