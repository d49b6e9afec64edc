"""Start-up cost: ``import matcher`` and ``matcher --help`` load no heavy library.

Each check runs a fresh interpreter with ``-X importtime`` and reads which modules it imported.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

#: Libraries that take a second or more to import together; only a command that needs them loads them.
HEAVY = {"sklearn", "pandas", "scipy", "ortools"}
#: What the command line must not load to show its help either (its help is plain text: no rich).
HEAVY_FOR_HELP = HEAVY | {"numpy", "matplotlib", "sqlalchemy", "alembic", "jinja2", "dask", "distributed",
                          "rich"}
COMMANDS = ["validate", "screen", "match", "assign", "explain", "rematch", "evaluate", "report", "batch",
            "history"]


def imported_modules(*args: str) -> set[str]:
    """The modules a fresh ``python -X importtime ARGS`` imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {parts[2].strip() for parts in lines if len(parts) == 3}


def imported_packages(*args: str) -> set[str]:
    """The top-level packages a fresh ``python -X importtime ARGS`` imports."""
    return {name.split(".")[0] for name in imported_modules(*args)}


def test_import_matcher_loads_no_heavy_library():
    loaded = imported_packages("-c", "import matcher")
    assert "matcher" in loaded
    assert not loaded & HEAVY, f"import matcher loads {sorted(loaded & HEAVY)}"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_loads_no_heavy_library(command):
    loaded = imported_packages("-m", "matcher", *([command] if command else []), "--help")
    assert "typer" in loaded
    assert not loaded & HEAVY_FOR_HELP, f"--help loads {sorted(loaded & HEAVY_FOR_HELP)}"


#: What matching a cohort whose objective a min-cost flow solves never needs: scikit-learn (the
#: TF-IDF is matcher's own) and CP-SAT.
NOT_FOR_A_FLOW_MATCH = ("sklearn", "ortools.sat")


def _loaded(modules: set[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in modules)


@pytest.mark.parametrize("how", ["command", "python"])
def test_matching_the_sample_cohort_loads_no_scikit_learn_nor_cp_sat(how, tmp_path):
    assert "objective: total" in (ROOT / "data" / "spring-2026" / "programme.yaml").read_text()
    if how == "command":
        args = ["-m", "matcher", "match", "data/spring-2026", "--out", str(tmp_path)]
    else:
        args = ["-c", "from matcher.data.io import load_cohort\nfrom matcher.pipeline import match_cohort\n"
                      "result = match_cohort(load_cohort('data/spring-2026'))\n"
                      "assert result.assignment.solver == 'flow'"]
    loaded = imported_modules(*args)
    assert "matcher.scoring.affinity" in loaded and "ortools.graph.python.min_cost_flow" in loaded
    heavy = [prefix for prefix in NOT_FOR_A_FLOW_MATCH if _loaded(loaded, prefix)]
    assert not heavy, f"matching the sample cohort loads {heavy}"
