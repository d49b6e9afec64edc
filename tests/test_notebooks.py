"""The notebooks in notebooks/: each runs top to bottom on the sample data, and is stored clean.

They run in a real Jupyter kernel (nbclient, kernel ``python3`` from ipykernel in this interpreter's
environment), from the notebooks folder as a person opening them in Jupyter would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Each notebook must run on the sample data well within a minute (on a busy 2-core machine).
BUDGET_SECONDS = 60


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_explore_cohort.ipynb", "02_rules_and_scenarios.ipynb",
                                           "03_scale.ipynb", "04_matching_week.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "a notebook without code"
    dirty = [n for n, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"cells {dirty} keep outputs or execution counts: clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    # the kernel is a separate process: it must import this checkout's matcher
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=BUDGET_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    seconds = time.perf_counter() - start
    assert seconds < BUDGET_SECONDS, f"{path.name} took {seconds:.0f} s"
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # every notebook shows plots: a figure that failed to render leaves no PNG
    assert any("image/png" in o.get("data", {}) for o in outputs)
    tracebacks = [o.text for o in outputs if o.output_type == "stream" and "Traceback" in o.text]
    assert not tracebacks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_says_what_it_teaches_and_what_to_try_next(path):
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].cell_type == "markdown" and "What this notebook teaches" in cells[0].source
    assert cells[-1].cell_type == "markdown" and cells[-1].source.startswith("## What to try next")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_draws_and_changes_cohorts_with_the_library(path):
    """Plots come from matcher.plots and scenarios from the library's what-if helpers: a notebook that
    redraws the report's figures or copies dataclasses by hand teaches the wrong way to do it."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "plots." in code and "from matcher.app import plots" in code
    for by_hand in ("imshow(", "nx.draw", "draw_networkx", "dataclasses.replace", "def with_capacity"):
        assert by_hand not in code, f"{path.name} does by hand what the library does: {by_hand}"
