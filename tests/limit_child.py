"""One timed solve in a child process (``python -m tests.limit_child CASE LIMIT``).

Prints one JSON line: the seconds ``matcher.assign`` took, the result's status, objective, bound
and gap, and whether the pairs keep every rule. Run by :mod:`tests.test_time_limits`, in a child so
that a native failure inside OR-Tools cannot take the test runner down.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

KINDS = np.array(["professor", "scientist", "engineer", "entrepreneur", "investor"])


def instance(n_s: int, n_m: int, distribution: str = "uniform", *, overlapping: bool = True,
             covers: bool = False, quotas: bool = True) -> dict:
    """A synthetic programme, k = 3, with kind quotas (overlapping: not a flow) and coverage."""
    from matcher.data.synth import synthetic_capacities, synthetic_scores

    rng = np.random.default_rng(1)
    kinds = KINDS[rng.integers(0, len(KINDS), n_m)]
    case = {"scores": synthetic_scores(n_s, n_m, distribution, seed=0), "k": 3,
            "capacity": synthetic_capacities(n_s, n_m, k=3, seed=0)}
    groups = [{"name": "academic", "mentors": np.isin(kinds, ["professor", "scientist"]),
               "min": 1},
              {"name": "industry", "mentors": np.isin(kinds, ["engineer", "entrepreneur"]),
               "min": 1}]
    if overlapping:  # shares the entrepreneurs with "industry"
        groups.append({"name": "business", "mentors": np.isin(kinds, ["entrepreneur", "investor"]),
                       "max": 1})
    if quotas:
        case["quotas"] = groups
    if covers:
        case["covers"] = rng.random((n_s, n_m)) < 0.1
    return case


CASES = {
    "flow": (dict(n_s=2000, n_m=600, overlapping=False), {"solver": "flow"}),
    "pruned": (dict(n_s=2000, n_m=600, quotas=False), {"solver": "pruned"}),
    "stable": (dict(n_s=1000, n_m=300, quotas=False), {"solver": "stable"}),
    "cpsat-total": (dict(n_s=2000, n_m=600), {"solver": "cpsat"}),
    "cpsat-blend": (dict(n_s=2000, n_m=600), {"solver": "cpsat", "objective": "blend"}),
    "cpsat-coverage": (dict(n_s=2000, n_m=600, covers=True), {"solver": "cpsat"}),
    "fair": (dict(n_s=1000, n_m=300, distribution="correlated"),
             {"solver": "fair", "objective": "fair"}),
}


def main(name: str, limit: float) -> None:
    import matcher
    from matcher.solve.arguments import make_problem
    from matcher.solve.feasible import satisfies

    shape, options = CASES[name]
    case = instance(**shape)
    start = time.perf_counter()
    result = matcher.assign(**case, **options, time_limit=limit)
    wall = time.perf_counter() - start
    problem = make_problem(**case, objective=options.get("objective", "total"))
    chosen = np.zeros(problem.shape, dtype=bool)
    chosen[result.rows, result.cols] = True
    print(json.dumps({"wall": wall, "status": result.status, "objective": result.objective,
                      "bound": result.bound, "gap": result.gap,
                      "keeps_rules": satisfies(problem, chosen), "load": os.getloadavg()[0]}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
