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


def imported_packages(*args: str) -> set[str]:
    """The top-level packages a fresh ``python -X importtime ARGS`` imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {parts[2].strip().split(".")[0] for parts in lines if len(parts) == 3}


def test_import_matcher_loads_no_heavy_library():
    loaded = imported_packages("-c", "import matcher")
    assert "matcher" in loaded
    assert not loaded & HEAVY, f"import matcher loads {sorted(loaded & HEAVY)}"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_loads_no_heavy_library(command):
    loaded = imported_packages("-m", "matcher", *([command] if command else []), "--help")
    assert "typer" in loaded
    assert not loaded & HEAVY_FOR_HELP, f"--help loads {sorted(loaded & HEAVY_FOR_HELP)}"
