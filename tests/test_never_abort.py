"""No input may abort the process: every solve runs in a child process, which must not die.

OR-Tools CP-SAT 9.15 can fail a native CHECK (``heuristics.fixed_search != nullptr``, OR-Tools
issue #5025) and abort the whole interpreter, which no ``try`` can catch: it happens when a model
with a solution hint is searched by two or more interleaved workers and a subsolver finds the
model infeasible while loading it. The fair-abort cohort (tests/data/cases/fair-abort, committed
so that the tests do not depend on anything outside the repository) did exactly that through the
fair objective's last stage; :func:`matcher.solve.cpsat.run_cpsat` now avoids the combination.

The property test sends many small random problems, through every objective and every backend,
to one long-lived child (:mod:`tests.solve_worker`); if the child dies, the test fails and names
the problem and how the child died (signal or exit code), and a new child takes over.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import BACKENDS, OBJECTIVES, check_rules, effective, solve_requests, team_keywords

ROOT = Path(__file__).resolve().parent.parent
CASE = Path(__file__).resolve().parent / "data" / "cases" / "fair-abort"
#: The fair objective's last CP-SAT model on the fair-abort cohort: feasible (it carries a feasible
#: hint), but CP-SAT 9.15's presolve proves it infeasible (OR-Tools issue #5274), and then two
#: interleaved workers aborted on it.
TOTAL_STAGE = CASE.parent / "fair-abort-total-stage.pbtxt"

ACADEMIC, INDUSTRY = {"professor", "scientist"}, {"engineer", "entrepreneur"}


def _env() -> dict[str, str]:
    """The environment of a child: this tree's ``matcher`` first on the path."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _how(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


# ---------------------------------------------------------------- the fair-abort cohort, by CLI


def matcher_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "matcher", *args], capture_output=True, text=True,
                          cwd=ROOT, env=_env(), timeout=300)


def assert_quotas_hold(assignments: Path) -> None:
    """Each matched startup has k = 2 mentors: one academic and one from industry."""
    kinds = pd.read_csv(CASE / "mentors.csv").set_index("id")["kind"]
    pairs = pd.read_csv(assignments)
    startups = pd.read_csv(CASE / "startups.csv")["id"]
    assert set(pairs["startup_id"]) <= set(startups) and len(pairs) > 0
    for startup, group in pairs.groupby("startup_id"):
        mentor_kinds = kinds.loc[group["mentor_id"]].tolist()
        assert group["mentor_id"].is_unique, startup
        assert len(mentor_kinds) == 2, (startup, mentor_kinds)
        assert sum(k in ACADEMIC for k in mentor_kinds) == 1, (startup, mentor_kinds)
        assert sum(k in INDUSTRY for k in mentor_kinds) == 1, (startup, mentor_kinds)


# total on auto is the flow; total on cpsat, fair and blend (auto picks cpsat for them) use hints
@pytest.mark.parametrize(("objective", "solver"),
                         [("total", "auto"), ("total", "cpsat"), ("fair", "auto"),
                          ("blend", "auto")])
def test_fair_abort_cohort_is_matched(objective, solver, tmp_path):
    done = matcher_cli("match", str(CASE), "--objective", objective, "--solver", solver,
                       "--out", str(tmp_path))
    assert done.returncode == 0, f"{_how(done.returncode)}\n{done.stderr[-2000:]}"
    assert_quotas_hold(tmp_path / "assignments.csv")


def test_fair_abort_cohort_report(tmp_path):
    done = matcher_cli("report", str(CASE), "--objective", "fair", "--out", str(tmp_path))
    assert done.returncode == 0, f"{_how(done.returncode)}\n{done.stderr[-2000:]}"
    assert (tmp_path / "report.html").exists()
    assert_quotas_hold(tmp_path / "assignments.csv")


# ---------------------------------------------------------------- one long-lived child solver


class WorkerDied(AssertionError):
    pass


class Worker:
    """A ``tests.solve_worker`` child; :meth:`solve` restarts it after it dies or hangs."""

    def __init__(self, timeout: float = 120.0):
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.stderr = None

    def start(self) -> None:
        # the child's stderr, read back when it dies; closed with the child
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.solve_worker"], cwd=ROOT,
                                     env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        if self._read() != b"ready":
            raise WorkerDied(self._death("starting"))

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.write(struct.pack(">I", 0))
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.stderr is not None:
            self.stderr.close()

    def _read_exact(self, size: int) -> bytes | None:
        fd, data = self.proc.stdout.fileno(), b""
        while len(data) < size:
            ready, _, _ = select.select([fd], [], [], self.timeout)
            if not ready:
                self.proc.kill()
                self.proc.wait()
                self.stderr.close()
                raise WorkerDied(f"the child gave no answer within {self.timeout:g} s (killed)")
            chunk = os.read(fd, size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _read(self) -> bytes | None:
        head = self._read_exact(4)
        if head is None:
            return None
        return self._read_exact(struct.unpack(">I", head)[0])

    def _death(self, doing: str) -> str:
        code = self.proc.wait()
        self.stderr.seek(0)
        tail = self.stderr.read().decode(errors="replace")[-1500:]
        self.stderr.close()
        self.proc = None
        return f"the child process died ({_how(code)}) {doing}; its stderr ended with:\n{tail}"

    def solve(self, task: dict) -> dict:
        """The outcome of one task; raises WorkerDied (and restarts later) if the child dies."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        payload = pickle.dumps([task])
        try:
            self.proc.stdin.write(struct.pack(">I", len(payload)) + payload)
            self.proc.stdin.flush()
            answer = self._read()
        except BrokenPipeError:
            answer = None
        except WorkerDied:
            self.proc = None
            raise
        if answer is None:
            raise WorkerDied(self._death(f"solving {describe(task)}"))
        return pickle.loads(answer)[0]


def describe(task: dict) -> str:
    kwargs = task.get("kwargs", {})
    shape = np.shape(kwargs.get("scores"))
    rules = sorted(k for k in kwargs if k not in ("scores", "objective", "solver", "time_limit"))
    what = {k: kwargs[k] for k in ("objective", "solver", "time_limit") if k in kwargs}
    extra = {k: v for k, v in task.items() if k not in ("kind", "kwargs")}
    return f"{task['kind']} {shape} {what} {extra} with {rules}"


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


def test_worker_reports_a_native_abort_and_recovers(worker):
    """The harness itself: a child killed by SIGABRT is reported as such, and replaced."""
    with pytest.raises(WorkerDied, match="SIGABRT"):
        worker.solve({"kind": "abort"})
    outcome = worker.solve({"kind": "assign", "kwargs": {"scores": np.eye(2), "k": 1}})
    assert outcome["outcome"] == "ok" and outcome["status"] == "optimal"


def test_the_model_that_aborted_solves(worker):
    outcome = worker.solve({"kind": "cpsat_file", "path": str(TOTAL_STAGE), "time_limit": 5.0,
                            "num_workers": 2})
    assert outcome["outcome"] == "ok", outcome
    # INFEASIBLE while OR-Tools issue #5274 lasts; OPTIMAL (the hint's value) once it is fixed
    assert outcome["statuses"][0] in ("INFEASIBLE", "OPTIMAL")


def test_run_cpsat_gives_one_worker_interleaved_only_when_hinted():
    from ortools.sat.python import cp_model

    from matcher.solve.arguments import make_problem
    from matcher.solve.cpsat_model import build_model, run_cpsat, set_hint

    problem = make_problem(np.array([[0.9, 0.5], [0.4, 0.8]]), k=1, capacity=1)
    parts = build_model(problem, problem.allowed, objective="total")
    solver, status = run_cpsat(parts, time_limit=5, seed=0, num_workers=2)
    assert status == cp_model.OPTIMAL
    # unhinted: one worker, not interleaved (two interleaved workers aborted on infeasible models)
    assert (solver.parameters.num_workers, solver.parameters.interleave_search) == (1, False)
    set_hint(parts, np.eye(2, dtype=bool))
    solver, status = run_cpsat(parts, time_limit=5, seed=0, num_workers=2)
    assert status == cp_model.OPTIMAL
    assert (solver.parameters.num_workers, solver.parameters.interleave_search) == (1, True)


def _check(task: dict, outcome: dict) -> None:
    """A refusal (bad input for the backend, infeasible, out of time) is fine; a traceback is not;
    an assignment must keep every hard rule."""
    assert outcome["outcome"] in ("ok", "InputError", "InfeasibleError", "SolverError"), (
        f"{describe(task)} raised:\n{outcome.get('message')}")
    if outcome["outcome"] != "ok" or task["kind"] != "assign":
        return
    kwargs = task["kwargs"]
    scores, forbidden = effective(kwargs)
    n_s, n_m = scores.shape

    class Result:  # what check_rules reads from an Assignment
        rows, cols = outcome["rows"], outcome["cols"]
        matrix = np.zeros((n_s, n_m), dtype=bool)
        matrix[rows, cols] = True

    hard_min = None if kwargs.get("min_load_soft", True) else kwargs.get("min_load")
    soft = kwargs.get("soft") or {}
    hard = [q for q in kwargs.get("quotas") or [] if q["name"] not in soft]
    check_rules(Result, kwargs["k"], kwargs["capacity"], forbidden, kwargs["pinned"],
                quotas=hard or None, covers=kwargs.get("covers"), min_load=hard_min)
    for a, b in kwargs.get("tandems") or []:
        assert (Result.matrix[:, a] == Result.matrix[:, b]).all(), "a tandem was split"


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(solve_requests(max_startups=8, max_mentors=8), st.sampled_from([0.5, 2.0]),
       st.booleans(), st.integers(0, 2**16))
def test_no_problem_kills_the_process(worker, instance, time_limit, presolve, hint_seed):
    """Every objective and backend on one problem. Without presolve (half the examples), CP-SAT
    finds an infeasible model infeasible only while loading it, the condition of the abort."""
    tasks = [{"kind": "assign", "presolve": presolve,
              "kwargs": {**instance, "objective": objective, "solver": solver,
                         "time_limit": time_limit,
                         **(team_keywords(instance) if objective == "team" else {})}}
             for objective in OBJECTIVES for solver in BACKENDS]
    # soft prices on the quotas and a tandem, on the backends that take them
    linked = {"tandems": [(0, 1)]} if np.shape(instance["scores"])[1] >= 2 else {}
    priced = {"soft": {q["name"]: 0.3 for q in instance.get("quotas", [])}} \
        if instance.get("quotas") else {}
    tasks += [{"kind": "assign", "presolve": presolve,
               "kwargs": {**instance, **linked, **priced, "objective": objective, "solver": "auto",
                          "time_limit": time_limit,
                          **(team_keywords(instance) if objective == "team" else {})}}
              for objective in ("total", "team")]
    # the fair objective's pattern, directly: hinted solves, again on the same model, then the
    # total with every startup held at the worst total (or just above it: often infeasible)
    tasks += [{"kind": "cpsat_hinted_twice", "kwargs": instance, "presolve": presolve,
               "hint_seed": hint_seed, "time_limit": time_limit, "num_workers": 2,
               "raise_held": raise_held}
              for raise_held in (0, 1)]
    for task in tasks:
        _check(task, worker.solve(task))
