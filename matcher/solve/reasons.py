"""How diagnoses name things: lists of ids, k in words, why a startup may not have a mentor.

Shared by the counting checks (:mod:`matcher.solve.counting`, :mod:`matcher.solve.quota_counting`)
and the deeper diagnosis (:mod:`matcher.solve.diagnose`), so that every message words them alike.
"""

from __future__ import annotations

import numpy as np

from matcher.solve.problem import Problem

__all__ = ["MOST_NAMED", "listed", "k_text", "why_not"]

#: Startups or mentors named one by one in the checks that go through them.
MOST_NAMED = 10


def listed(ids, limit: int = 6) -> str:
    """The first ``limit`` ids, comma-separated, and how many more there are.

    >>> listed(range(8))
    '0, 1, 2, 3, 4, 5 and 2 more'
    """
    ids = [str(x) for x in ids]
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def k_text(problem: Problem, i: int) -> str:
    lo, hi = int(problem.k_min[i]), int(problem.k_max[i])
    return f"{lo}" if lo == hi else f"at least {lo}"


def why_not(problem: Problem, i: int, among: np.ndarray) -> list[str]:
    """Why mentors of ``among`` may not be paired with startup ``i``: counts by reason."""
    repeats = (
        problem.repeats[i]
        if problem.repeats is not None
        else np.zeros(problem.shape[1], dtype=bool)
    )
    reasons = []
    n_repeat = int((repeats & among).sum())
    n_forbidden = int((problem.forbidden[i] & ~repeats & among).sum())
    full = int(((problem.capacity == 0) & among & ~problem.forbidden[i]).sum())
    reasons.append(f"{n_forbidden} forbidden (conflicts, language or rules)")
    if n_repeat:
        reasons.append(f"{n_repeat} already paired with it in an earlier cohort")
    if full:
        reasons.append(f"{full} with no capacity")
    return reasons
