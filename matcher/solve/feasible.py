"""Whether a set of pairs keeps every hard rule of a :class:`~matcher.solve.problem.Problem`.

The ``cpsat`` and ``fair`` backends both start from heuristic assignments (the flow optimum of a
relaxation, Lagrangian flows, local search); a start is worth keeping, and may be returned when
time runs out, only when :func:`satisfies` says it keeps every rule.
"""

from __future__ import annotations

import numpy as np

from matcher.solve.problem import Problem

__all__ = ["satisfies", "keeps_links"]


def satisfies(problem: Problem, chosen: np.ndarray) -> bool:
    """True when the bool mask ``chosen`` obeys every hard rule of ``problem``.

    Examples
    --------
    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((2, 2)), k=1, capacity=1)
    >>> satisfies(p, np.eye(2, dtype=bool)), satisfies(p, np.ones((2, 2), dtype=bool))
    (True, False)
    """
    n_s = problem.shape[0]
    per_startup, per_mentor = chosen.sum(axis=1), chosen.sum(axis=0)
    ok = (
        (per_startup >= problem.k_min).all()
        and (per_startup <= problem.k_max).all()
        and (per_mentor <= problem.capacity).all()
        and not (chosen & problem.forbidden).any()
        and chosen[problem.pinned].all()
    )
    if problem.min_load is not None and problem.min_load_penalty is None:
        ok = ok and bool((per_mentor >= problem.min_load).all())
    for quota in problem.quotas:
        if quota.soft:
            continue  # breaking it costs its price
        inside = (chosen & quota.mask(n_s)).sum(axis=1)
        ok = ok and bool((inside >= quota.min).all() and (inside <= quota.max).all())
    return bool(ok) and keeps_links(problem, chosen)


def keeps_links(problem: Problem, chosen: np.ndarray) -> bool:
    """True when ``chosen`` keeps the problem's tandems, circles and mentors kept apart.

    >>> from matcher.solve.arguments import make_problem
    >>> p = make_problem(np.ones((2, 3)), k=2, capacity=2, tandems=[(0, 1)], circles=[(0, 1)])
    >>> keeps_links(p, np.array([[1, 1, 0], [1, 1, 0]], bool))
    True
    >>> keeps_links(p, np.array([[1, 0, 1], [0, 1, 1]], bool))  # mentor 0 without mentor 1
    False
    """
    links = problem.links
    if links is None:
        return True
    a, b = links.tandems[:, 0], links.tandems[:, 1]
    if (chosen[:, a] != chosen[:, b]).any():
        return False
    a, b = links.apart[:, 0], links.apart[:, 1]
    if (chosen[:, a] & chosen[:, b]).any():
        return False
    return all(chosen[circle].all(axis=0).any() for circle in links.circles if len(circle))
