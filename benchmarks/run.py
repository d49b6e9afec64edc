"""Scale benchmarks: candidates + flow + certificate against dense baselines, in one run.

Every case runs in its own process, so that peak memory (RSS) is the case's own. Results go
to ``benchmarks/results.json``, the table between the markers of ``benchmarks/README.md`` and
the plot ``benchmarks/time_vs_size.png``.

    python benchmarks/run.py              # every case (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick      # sizes up to 1,000 x 500
    python benchmarks/run.py --only 'vectors-*-100000x10000'   # names are shell patterns
    python benchmarks/run.py --list
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import aims
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

DISTRIBUTIONS = ("uniform", "correlated", "clustered")
SIZES = ((10, 40), (1_000, 500), (10_000, 3_000), (100_000, 10_000))
K = 3
SEED = 0
DIM = 256
CASE_TIMEOUT = 900
PAIRED_SIZES = ((4_000, 1_500), (10_000, 3_000))
PAIRED_ROUNDS = 3


@dataclass(frozen=True)
class Case:
    name: str
    method: str  # auto | vectors | dense-flow | lsa-slots | networkx | cohort | paired | fair | startup
    n_startups: int
    n_mentors: int
    distribution: str
    note: str = ""

    @property
    def pairs(self) -> int:
        return self.n_startups * self.n_mentors


def all_cases() -> list[Case]:
    cases = []
    for n_s, n_m in SIZES:
        for dist in DISTRIBUTIONS:
            size = f"{n_s}x{n_m}"
            if n_s * n_m <= 10**8:  # a dense matrix of 10^9 pairs (8 GB) is the point not to make
                cases.append(Case(f"matrix-{dist}-{size}", "auto", n_s, n_m, dist,
                                  "assign(score matrix), solver auto"))
                cases.append(Case(f"dense-flow-{dist}-{size}", "dense-flow", n_s, n_m, dist,
                                  "baseline: OR-Tools min-cost flow on every pair"))
            cases.append(Case(f"vectors-{dist}-{size}", "vectors", n_s, n_m, dist,
                              f"end to end from {DIM}-dim vectors"))
            if n_s * n_m <= 500_000:
                cases.append(Case(f"lsa-slots-{dist}-{size}", "lsa-slots", n_s, n_m, dist,
                                  "baseline: scipy linear_sum_assignment on slots (not valid)"))
            if n_s * n_m <= 400:
                cases.append(Case(f"networkx-{dist}-{size}", "networkx", n_s, n_m, dist,
                                  "baseline: networkx min_cost_flow"))
    # issue 2's first benchmark: the flow backend on random matrices, beside a baseline
    for n_s, n_m in ((1_000, 500), (5_000, 2_000)):
        size = f"{n_s}x{n_m}"
        cases.append(Case(f"issue2-flow-{size}", "dense-flow", n_s, n_m, "uniform",
                          "assign(solver='flow') on random scores"))
        cases.append(Case(f"issue2-auto-{size}", "auto", n_s, n_m, "uniform",
                          "assign(solver='auto') on the same scores"))
    cases.append(Case("issue2-lsa-slots-1000x500", "lsa-slots", 1_000, 500, "uniform",
                      "baseline: linear_sum_assignment on slots (not valid)"))
    # one cohort through the whole API, warm: a synthetic 10 × 40 and the sample programme's rules
    cases.append(Case("cohort-warm-10x40", "cohort", 10, 40, "clustered",
                      "match_cohort, warm: median of 20 calls (profiles → scores → flow)"))
    cases.append(Case("cohort-warm-spring-2026", "cohort", 11, 36, "sample",
                      "match_cohort on data/spring-2026 (screening, quotas), warm: median of 20"))
    # pruned against dense, back to back in one process: the only source of speed-up ratios
    for n_s, n_m in PAIRED_SIZES:
        for dist in DISTRIBUTIONS:
            cases.append(Case(f"paired-{dist}-{n_s}x{n_m}", "paired", n_s, n_m, dist,
                              f"pruned and dense flow alternating, {PAIRED_ROUNDS} rounds each"))
    # the aims that are not about scale: the fair objective, the command line's start-up
    cases += [Case(**fields) for fields in aims.cases()]
    # de-duplicate by name, keeping the first
    seen: dict[str, Case] = {}
    for case in cases:
        seen.setdefault(case.name, case)
    return list(seen.values())


# -- one case, in a child process ---------------------------------------------------------


def run_case(case: Case) -> dict:
    from matcher.data.synth import synthetic_capacities, synthetic_scores, synthetic_vectors

    if case.method == "cohort":
        return _warm_cohort(case)
    if case.method == "paired":
        return _paired(case)
    if case.method == "fair":
        return aims.run_fair(case.n_startups, case.n_mentors, case.distribution)
    if case.method == "startup":
        return aims.run_startup(case.name)
    import matcher
    import matcher.solve  # loaded before the clock starts: `import matcher` itself is lazy
    from matcher.scoring.sources import VectorScores

    capacity = synthetic_capacities(case.n_startups, case.n_mentors, K, seed=SEED)
    start = time.perf_counter()
    if case.method == "vectors":
        s, m = synthetic_vectors(case.n_startups, case.n_mentors, case.distribution, dim=DIM,
                                 seed=SEED)
    else:
        scores = synthetic_scores(case.n_startups, case.n_mentors, case.distribution, seed=SEED)
    generate = time.perf_counter() - start
    out: dict = {"generate_s": generate}
    start = time.perf_counter()
    if case.method in ("auto", "dense-flow", "vectors"):
        source = VectorScores(s, m) if case.method == "vectors" else scores
        solver = "flow" if case.method == "dense-flow" else "auto"
        result = matcher.assign(source, k=K, capacity=capacity, solver=solver)
        out.update(objective=result.objective, bound=result.bound, status=result.status,
                   solver=result.solver, certified=result.certified,
                   stages={k: round(v, 3) for k, v in result.timings.items()},
                   rounds=result.info.get("rounds"), repaired=result.info.get("repaired"),
                   pairs_added=result.info.get("pairs_added"),
                   candidates=result.info.get("candidates"),
                   violations=result.info.get("violations"), widened=result.info.get("widened"))
    elif case.method == "lsa-slots":
        out.update(_lsa_slots(scores, capacity))
    elif case.method == "networkx":
        out.update(_networkx(scores, capacity))
    out["wall_s"] = time.perf_counter() - start
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _warm_cohort(case: Case) -> dict:
    """match_cohort on one cohort, after a first call has loaded every module: the median of 20."""
    import matcher
    from matcher.data.synth import synthetic_programme

    if case.distribution == "sample":
        cohort = matcher.load_cohort(ROOT / "data" / "spring-2026")
    else:
        startups, mentors = synthetic_programme(case.n_startups, case.n_mentors, case.distribution,
                                                seed=SEED)
        cohort = matcher.load_cohort(startups=startups, mentors=mentors, k=K)
    result = matcher.match_cohort(cohort)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        result = matcher.match_cohort(cohort)
        times.append(time.perf_counter() - start)
    a = result.assignment
    return {"wall_s": float(np.median(times)), "objective": a.objective, "bound": a.bound,
            "status": a.status, "solver": a.solver, "certified": a.certified,
            "stages": {k: round(v, 4) for k, v in a.timings.items()},
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _paired(case: Case) -> dict:
    """The pruned path and the dense flow on the same matrix, back to back, in alternating order.

    Each timing carries the load average read just before it, so that a ratio is only ever
    taken between runs that shared the machine's state.
    """
    import matcher
    import matcher.solve  # loaded before any clock starts
    from matcher.data.synth import synthetic_capacities, synthetic_scores

    capacity = synthetic_capacities(case.n_startups, case.n_mentors, K, seed=SEED)
    scores = synthetic_scores(case.n_startups, case.n_mentors, case.distribution, seed=SEED)
    runs: dict = {"pruned": [], "flow": []}
    results = {}
    for i in range(PAIRED_ROUNDS):
        order = ("pruned", "flow") if i % 2 == 0 else ("flow", "pruned")
        for solver in order:
            load = os.getloadavg()[0]
            start = time.perf_counter()
            results[solver] = matcher.assign(scores, k=K, capacity=capacity, solver=solver)
            runs[solver].append({"wall_s": time.perf_counter() - start, "load": load})
    pruned, dense = results["pruned"], results["flow"]
    ratios = [f["wall_s"] / p["wall_s"] for p, f in zip(runs["pruned"], runs["flow"], strict=True)]
    return {"wall_s": float(np.median([r["wall_s"] for r in runs["pruned"]])),
            "dense_s": float(np.median([r["wall_s"] for r in runs["flow"]])),
            "ratio": float(np.median(ratios)), "runs": runs,
            "loads": [round(r["load"], 2) for r in runs["pruned"] + runs["flow"]],
            "objective": pruned.objective, "bound": pruned.bound, "status": pruned.status,
            "solver": "pruned vs flow", "certified": pruned.certified,
            "same_objective": bool(abs(pruned.objective - dense.objective)
                                   <= 1e-6 * max(1.0, abs(dense.objective))),
            "rounds": pruned.info.get("rounds"),
            "stages": {k: round(v, 3) for k, v in pruned.timings.items()},
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _lsa_slots(scores: np.ndarray, capacity: np.ndarray) -> dict:
    """scipy on the slot expansion: each startup k times, each mentor capacity times.

    It may give a startup the same mentor twice, so its value is an upper bound, not an
    answer (see FACTS): we report it with the number of duplicated pairs.
    """
    from scipy.optimize import linear_sum_assignment

    rows = np.repeat(np.arange(scores.shape[0]), K)
    cols = np.repeat(np.arange(scores.shape[1]), capacity)
    r, c = linear_sum_assignment(scores[rows][:, cols], maximize=True)
    pairs = rows[r] * scores.shape[1] + cols[c]
    duplicates = len(pairs) - len(np.unique(pairs))
    return {"objective": None, "bound": float(scores[rows[r], cols[c]].sum()),
            "status": f"invalid: {duplicates} duplicate pairs", "solver": "lsa-slots"}


def _networkx(scores: np.ndarray, capacity: np.ndarray) -> dict:
    import networkx as nx

    n_s, n_m = scores.shape
    g = nx.DiGraph()
    for i in range(n_s):
        g.add_node(("s", i), demand=-K)
    g.add_node("t", demand=K * n_s)
    for j in range(n_m):
        g.add_edge(("m", j), "t", capacity=int(capacity[j]), weight=0)
    w = np.rint(scores * 10**6).astype(int)
    for i in range(n_s):
        for j in range(n_m):
            g.add_edge(("s", i), ("m", j), capacity=1, weight=-int(w[i, j]))
    flow = nx.min_cost_flow(g)
    total = sum(scores[i, j] for i in range(n_s) for j in range(n_m) if flow[("s", i)][("m", j)])
    return {"objective": float(total), "bound": float(total), "status": "optimal",
            "solver": "networkx"}


# -- the parent: run cases, write the table and the plot --------------------------------


def run_in_child(case: Case) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", case.name]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"did not finish in {CASE_TIMEOUT} s", "wall_s": None}
    if proc.returncode != 0:
        return {"status": "failed: " + proc.stderr.strip().splitlines()[-1][:200],
                "wall_s": time.perf_counter() - start}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes up to 1,000 x 500 only")
    parser.add_argument("--only", action="append", default=[],
                        help="run the cases whose name matches this shell pattern (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite README.md and the plot from results.json")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # the child's entry point
    args = parser.parse_args(argv)
    if args.report:
        rewrite()
        return 0
    cases = {c.name: c for c in all_cases()}
    if args.case:
        print(json.dumps(run_case(cases[args.case])))
        return 0
    chosen = [c for c in cases.values()
              if (not args.only or any(fnmatch.fnmatch(c.name, p) for p in args.only))
              and (not args.quick or c.pairs <= 500_000)]
    if args.list:
        print("\n".join(c.name for c in chosen))
        return 0
    results = _load()
    for case in chosen:
        print(f"{case.name:38s}", end=" ", flush=True)
        res = run_in_child(case)
        results[case.name] = {**asdict(case), **res, "machine": _machine()}
        wall = res.get("wall_s")
        print(f"{wall:8.2f} s" if wall is not None else "       -", res.get("status"),
              f"{_fmt(res.get('peak_rss_mib'), 0):>8s} MiB", flush=True)
        _save(results)
    write_readme(results)
    plot(results)
    return 0


def rewrite(argv: list[str] | None = None) -> None:
    """Rewrite README.md and the plot from results.json without running anything."""
    results = _load()
    write_readme(results)
    plot(results)


def _machine() -> str:
    return f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"


def _load() -> dict:
    path = HERE / "results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save(results: dict) -> None:
    (HERE / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


START, END = "<!-- results: start -->", "<!-- results: end -->"


def _fmt(x, digits=2) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def table(results: dict) -> str:
    order = {c.name: i for i, c in enumerate(all_cases())}
    head = ("| case | size | method | wall s | peak RSS MiB | objective | bound | status | certified "
            "| rounds | stages (s) | command |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for name in sorted(results, key=lambda n: order.get(n, 10**6)):
        r = results[name]
        stages = ", ".join(f"{k} {v:.2f}" for k, v in (r.get("stages") or {}).items()
                           if k in ("candidates", "flow", "potentials", "certificate", "solve"))
        size = f"{r['n_startups']:,}×{r['n_mentors']:,}" if r["n_startups"] else "–"
        lines.append(
            f"| {name} | {size} | {r.get('solver') or r['method']} "
            f"| {_fmt(r.get('wall_s'))} | {_fmt(r.get('peak_rss_mib'), 0)} | {_fmt(r.get('objective'))} "
            f"| {_fmt(r.get('bound'))} | {r.get('status')} | {_fmt(r.get('certified'))} "
            f"| {_fmt(r.get('rounds'))} | {stages} | `python benchmarks/run.py --only {name}` |")
    return "\n".join(lines)


def targets(results: dict) -> str:
    """The issue's targets, each with the measured figure from ``results``."""
    lines = ["| target | distribution | measured | met |", "|---|---|---|---|"]
    for name, label in (("cohort-warm-10x40", "clustered"), ("cohort-warm-spring-2026", "sample data")):
        wall = results.get(name, {}).get("wall_s")
        ok = wall is not None and wall < 0.05
        shown = f"{wall * 1000:.1f} ms" if wall is not None else "–"
        lines.append(f"| one cohort, `match_cohort` warm: < 50 ms | {label} | {shown} | "
                     f"{'yes' if ok else 'no'} |")
    for dist in DISTRIBUTIONS:
        r = results.get(f"vectors-{dist}-100000x10000", {})
        wall, rss = r.get("wall_s"), r.get("peak_rss_mib")
        ok = wall is not None and rss is not None and wall < 60 and rss < 6 * 1024 \
            and r.get("certified") is True
        lines.append(f"| 100,000×10,000, k=3, 256-dim vectors, end to end: < 60 s, < 6 GiB, "
                     f"certified | {dist} | {_fmt(wall)} s, {_fmt(rss, 0)} MiB, certified "
                     f"{_fmt(r.get('certified'))}, {r.get('machine', 'load –')} | {aims.met_text(ok)} |")
    for dist in DISTRIBUTIONS:
        r = results.get(f"paired-{dist}-10000x3000", {})
        wall = r.get("wall_s")
        ok = wall is not None and wall < 1.5 and r.get("certified") is True
        lines.append(f"| 10,000×3,000, k=3, score matrix: < 1.5 s, certified (median of "
                     f"{PAIRED_ROUNDS}) | {dist} | {_fmt(wall)} s, certified "
                     f"{_fmt(r.get('certified'))}, {aims.load_range(r)} | {aims.met_text(ok)} |")
    for dist in DISTRIBUTIONS:
        r = results.get(f"paired-{dist}-4000x1500", {})
        ratio = r.get("ratio")
        ok = ratio is not None and ratio >= 10 and r.get("same_objective") is True
        shown = (f"{ratio:.1f}× (pruned {r['wall_s']:.2f} s, dense {r['dense_s']:.2f} s), "
                 f"{aims.load_range(r)}" if ratio is not None else "–")
        lines.append(f"| 4,000×1,500, k=3: dense flow / pruned ≥ 10×, same process, alternating "
                     f"(median of {PAIRED_ROUNDS}) | {dist} | {shown} | {aims.met_text(ok)} |")
    return "\n".join(lines + aims.target_rows(results))


T_START, T_END = "<!-- targets: start -->", "<!-- targets: end -->"


def write_readme(results: dict) -> None:
    path = HERE / "README.md"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{T_START}\n{T_END}\n\n{START}\n{END}\n"
    for start, end, body in ((START, END, table(results)), (T_START, T_END, targets(results))):
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = f"{before}{start}\n{body}\n{end}{after}"
    path.write_text(text)


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"auto": "o-", "vectors": "s-", "dense-flow": "x--", "lsa-slots": "^:", "networkx": "v:"}
    for method, style in styles.items():
        for dist in DISTRIBUTIONS:
            pts = sorted((r["n_startups"] * r["n_mentors"], r["wall_s"]) for n, r in results.items()
                         if r["method"] == method and r["distribution"] == dist
                         and r.get("wall_s") and not n.startswith("issue2"))
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, style, label=f"{method} ({dist})", alpha=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("pairs (startups × mentors)")
    ax.set_ylabel("wall time (s)")
    ax.set_title(f"assign, k={K}: time vs size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(HERE / "time_vs_size.png", dpi=120)


if __name__ == "__main__":
    sys.exit(main())
