"""Run the hostile corpus: every case, every way it is run, each in a child process with limits.

``python -m tests.hostile.runner ROOT RESULTS.json`` builds every case of
:mod:`tests.hostile.cases` under ROOT, imports matcher once, then forks one child per run (two at
a time). Each child gets an address-space limit (:data:`MEMORY_LIMIT` beyond what the parent
already maps), its own stdout and stderr files, and :data:`TIME_LIMIT` seconds before it is
killed; it runs the command line's ``main`` in-process (exactly what ``python -m matcher`` runs)
or the API call, and exits with the status the command line would give. Spawning a fresh
interpreter per run would cost about 1.5 s each; a fork of the prepared parent costs a few ms.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

from tests.hostile.cases import Case, all_cases, cohort_path, runs_of, write_jobs

TIME_LIMIT = 60.0
MEMORY_LIMIT = 2 * 1024**3
WORKERS = 2
KEEP = 4000  # characters of stdout / stderr kept in the results


def _prepare() -> None:
    """Import everything the runs need, once, before forking."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import sklearn.feature_extraction.text  # noqa: F401

    import matcher  # noqa: F401
    import matcher.app.batch  # noqa: F401
    import matcher.app.cli  # noqa: F401
    import matcher.app.store  # noqa: F401
    import matcher.data.checks  # noqa: F401
    import matcher.pipeline  # noqa: F401
    import matcher.solve  # noqa: F401

    # what typer, the store and the consoles import on first use: 0.2-0.4 s a run otherwise
    for name in ("typer._adapters", "alembic.command", "alembic.config", "alembic.runtime.migration",
                 "rich.console", "rich.table", "rich.progress"):
        with contextlib.suppress(ImportError):
            __import__(name)


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _api(case: Case, run: str, folder: Path) -> int:
    from matcher.errors import InfeasibleError, InputError

    try:
        if case.kind == "cohort":
            import matcher

            matcher.match_cohort(cohort_path(case, folder))
        elif case.kind == "scores":
            import matcher
            from matcher.data.io import read_capacity, read_scores

            matcher.assign(read_scores(folder / "scores.csv"), k=1,
                           capacity=read_capacity(folder / "capacity.csv"))
        else:
            case.call(folder)
    except InputError as exc:
        print(f"InputError: {exc}", file=sys.stderr)
        return 2
    except InfeasibleError as exc:
        print(f"InfeasibleError: {exc}", file=sys.stderr)
        return 3
    return 0


def _argv(case: Case, run: str, folder: Path) -> list[str]:
    if run == "validate":
        return ["validate", str(cohort_path(case, folder))]
    if run == "match":
        return ["match", str(cohort_path(case, folder)), "--out", str(folder / "out")]
    if run == "assign":
        return ["assign", "--scores", str(folder / "scores.csv"), "--capacity", str(folder / "capacity.csv"),
                "--k", "1", "--out", str(folder / "out" / "pairs.csv")]
    if run == "batch":
        jobs = folder / "jobs.yaml" if case.kind == "jobs" else write_jobs(folder, cohort_path(case, folder))
        return ["batch", str(jobs), "--db", str(folder / "batch-out" / "matcher.db")]
    raise ValueError(run)


def _child(case: Case, run: str, folder: Path, log: Path, limit: int) -> None:
    """In the forked child: limits, redirected output, the run; never returns."""
    code = 1
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        for fd, name in ((1, "stdout"), (2, "stderr")):
            target = os.open(log / f"{run}.{name}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
            os.close(target)
        os.environ.update(case.env)
        os.environ["COLUMNS"] = "200"
        os.chdir(folder)
        if run == "api":
            code = _api(case, run, folder)
        else:
            from matcher.app.cli import main

            code = main(_argv(case, run, folder))
    except BaseException:  # what the interpreter would print for an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text if len(text) <= KEEP else text[:KEEP // 2] + "\n…\n" + text[-KEEP // 2:]


def _outcome(case: Case, run: str, folder: Path, log: Path, status: int | None, seconds: float) -> dict:
    out = folder / ("batch-out" if run == "batch" else "out")
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) if out.exists() else []
    record = {"case": case.name, "run": run, "status": status, "seconds": round(seconds, 3),
              "stdout": _read(log / f"{run}.stdout"), "stderr": _read(log / f"{run}.stderr"),
              "written": written}
    summary = out / "batch.json"
    if run == "batch" and summary.exists():
        record["jobs"] = [{"state": j.get("state"), "error": j.get("error")}
                          for j in json.loads(summary.read_text()).get("jobs", [])]
    return record


def run_all(root: Path, only: set[str] | None = None) -> list[dict]:
    cases = [c for c in all_cases() if only is None or c.name in only]
    todo = []
    for case in cases:
        folder = root / case.name
        folder.mkdir(parents=True)
        case.build(folder)
        (folder / "logs").mkdir()
        todo += [(case, run, folder) for run in runs_of(case)]
    _prepare()
    limit = _vm_size() + MEMORY_LIMIT
    running: dict[int, tuple[Case, str, Path, float]] = {}
    results = []
    while todo or running:
        while todo and len(running) < WORKERS:
            case, run, folder = todo.pop(0)
            pid = os.fork()
            if pid == 0:
                _child(case, run, folder, folder / "logs", limit)
            running[pid] = (case, run, folder, time.monotonic())
        pid, wait_status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for child, (*_, began) in list(running.items()):
                if now - began > TIME_LIMIT:
                    os.kill(child, signal.SIGKILL)
            time.sleep(0.005)
            continue
        case, run, folder, began = running.pop(pid)
        seconds = time.monotonic() - began
        # None: killed, out of time or by a signal
        status = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None
        record = _outcome(case, run, folder, folder / "logs", status, seconds)
        record["killed"] = None if status is not None else os.WTERMSIG(wait_status)
        record["timed_out"] = status is None and seconds > TIME_LIMIT
        results.append(record)
    return results


def main(argv: list[str]) -> int:
    root, target = Path(argv[0]), Path(argv[1])
    only = set(argv[2].split(",")) if len(argv) > 2 and argv[2] else None
    start = time.monotonic()
    results = run_all(root, only)
    target.write_text(json.dumps({"seconds": time.monotonic() - start, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
