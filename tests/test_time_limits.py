"""Every backend keeps its time limit on a model large enough that the limit binds.

A CP-SAT limit bounds the search, not the building of the model nor its presolve (FACTS.md #9),
so the ``cpsat`` and ``fair`` backends keep their own clock; the flow-based backends finish well
within it. Each case runs in a child process (:mod:`tests.limit_child`): wall time at most
``limit * 1.1 + 1`` s, an answer that keeps every rule, and a finite bound at or above it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: (case, seconds): 2,000 x 600 with overlapping quotas for cpsat (1.2 M pairs would take some
#: 15 s to build alone), the fair benchmark's size for fair.
CASES = [("flow", 3.0), ("pruned", 3.0), ("stable", 3.0), ("cpsat-total", 4.0),
         ("cpsat-blend", 4.0), ("cpsat-coverage", 4.0), ("fair", 5.0)]


def timed_solve(case: str, limit: float) -> dict:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "-m", "tests.limit_child", case, str(limit)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": path})
    assert done.returncode == 0, f"the child died ({done.returncode}):\n{done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("case", "limit"), CASES)
def test_backend_keeps_its_time_limit(case, limit):
    outcome = timed_solve(case, limit)
    assert outcome["wall"] <= limit * 1.1 + 1.0, outcome
    assert outcome["keeps_rules"], outcome
    assert outcome["status"] in ("optimal", "feasible", "time_limit"), outcome
    bound, objective = outcome["bound"], outcome["objective"]
    assert bound < float("inf") and bound >= objective - 1e-6 * max(1.0, abs(objective)), outcome
    if case.startswith("cpsat"):
        assert outcome["gap"] < 0.1, outcome  # the relaxation's bound is tight at this size
