"""A long-lived child process that solves the problems a test sends it (``python -m tests.solve_worker``).

A native failure inside OR-Tools (a failed CHECK, a segfault) kills the process it runs in and
cannot be caught, so the tests of :mod:`tests.test_never_abort` solve in this child: if it dies,
the parent sees how (signal or exit code), reports the problem that killed it and starts another.
One child serves many problems, so the cost of importing the library is paid once.

Protocol, in both directions: a 4-byte big-endian length, then a pickle. The parent sends a list
of tasks (dicts) and the child answers with one outcome (a dict) per task, in order; an empty
message (length 0) asks it to exit. The child writes nothing else to the protocol stream: its own
file descriptor 1 is pointed at stderr before the library is imported.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import sys
import traceback
from types import SimpleNamespace

import numpy as np


def _read(stream) -> bytes | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return stream.read(size) if size else None


def _write(stream, payload: bytes) -> None:
    stream.write(struct.pack(">I", len(payload)) + payload)
    stream.flush()


def _assign(task: dict) -> dict:
    import matcher

    result = matcher.assign(**task["kwargs"])
    return {"rows": result.rows, "cols": result.cols, "status": result.status,
            "solver": result.solver}


def _cpsat_hinted_twice(task: dict) -> dict:
    """The fair objective's pattern at the CP-SAT level: a hinted max-min model solved, hinted
    again (``clear_hints`` then a new hint) and solved again on the same model object, then a
    hinted total model with every startup held at the worst total found."""
    from ortools.sat.python import cp_model

    from matcher.solve.arguments import make_problem
    from matcher.solve.cpsat_model import build_model, run_cpsat, set_hint

    problem = make_problem(**task["kwargs"])
    rng = np.random.default_rng(task["hint_seed"])
    candidates = problem.allowed | problem.pinned
    parts = build_model(problem, candidates, objective="worst")
    statuses = []
    chosen = rng.random(problem.shape) < 0.5  # a hint that may break any rule
    for _ in range(2):
        set_hint(parts, chosen)
        solver, status = run_cpsat(parts, time_limit=task["time_limit"], seed=0,
                                   num_workers=task["num_workers"])
        statuses.append(solver.status_name(status))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = np.zeros(problem.shape, dtype=bool)
            chosen[parts.rows, parts.cols] = solver.boolean_values(parts.x).to_numpy(dtype=bool)
        else:
            chosen = rng.random(problem.shape) < 0.5
    # Hold every startup at (or, to make it infeasible at times, just above) the worst total.
    ints = np.rint(problem.scores * parts.weights.scale).astype(np.int64)
    held = int(np.where(chosen, ints, 0).sum(axis=1).min(initial=0)) + task["raise_held"]
    total = build_model(problem, candidates, objective="total", min_totals=held)
    set_hint(total, chosen)
    solver, status = run_cpsat(total, time_limit=task["time_limit"], seed=0,
                               num_workers=task["num_workers"])
    statuses.append(solver.status_name(status))
    return {"statuses": statuses}


def _cpsat_file(task: dict) -> dict:
    """A saved model (text proto) solved through ``run_cpsat``."""
    from ortools.sat.python import cp_model

    from matcher.solve.cpsat_model import run_cpsat

    model = cp_model.CpModel()
    with open(task["path"]) as f:
        model.proto.parse_text_format(f.read())
    solver, status = run_cpsat(SimpleNamespace(model=model), time_limit=task["time_limit"],
                               seed=0, num_workers=task["num_workers"])
    return {"statuses": [solver.status_name(status)]}


def _abort(task: dict) -> dict:
    """Die as a failed native CHECK does (for the test of the harness itself)."""
    os.abort()


KINDS = {"assign": _assign, "cpsat_hinted_twice": _cpsat_hinted_twice, "cpsat_file": _cpsat_file,
         "abort": _abort}


@contextlib.contextmanager
def _without_presolve():
    """Every CpSolver made inside skips presolve, so that an infeasible model is found infeasible
    only when a subsolver loads it: the condition of the abort of OR-Tools issue #5025, which a
    presolve that misses (or wrongly finds, issue #5274) an infeasibility also creates."""
    from ortools.sat.python import cp_model

    original = cp_model.CpSolver

    class CpSolver(original):
        def __init__(self) -> None:
            super().__init__()
            self.parameters.cp_model_presolve = False

    cp_model.CpSolver = CpSolver
    try:
        yield
    finally:
        cp_model.CpSolver = original


def _run(task: dict) -> dict:
    from matcher.errors import MatcherError

    try:
        with _without_presolve() if task.get("presolve") is False else contextlib.nullcontext():
            return {"outcome": "ok", **KINDS[task["kind"]](task)}
    except MatcherError as exc:  # a refusal the library means to give (bad input, infeasible)
        return {"outcome": type(exc).__name__, "message": str(exc)[:300]}
    except Exception:  # noqa: BLE001 - reported to the parent, which fails the test
        return {"outcome": "exception", "message": traceback.format_exc()[-2000:]}


def main() -> None:
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the library or OR-Tools prints goes to stderr, not the protocol
    sys.stdout = sys.stderr
    import matcher  # noqa: F401 - pay the import before the first problem arrives

    _write(answers, b"ready")
    while True:
        payload = _read(requests)
        if payload is None:
            return
        tasks = pickle.loads(payload)
        _write(answers, pickle.dumps([_run(task) for task in tasks]))


if __name__ == "__main__":
    main()
