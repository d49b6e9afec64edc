"""The documentation site builds without a warning, and every public name has a numpydoc docstring.

The build is the one ``make docs`` runs (Sphinx, numpydoc, MyST), with warnings as errors and every
cross-reference checked (``-n``): a broken reference, a docstring that is not valid reStructuredText
or a documented object without a docstring fails it. The docstring checks below say which name is at
fault faster than the build does, and also cover names added to ``matcher.__all__`` later.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from numpydoc.validate import validate

import matcher

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: The site builds in about 12 s on a quiet 2-core machine; this leaves room for a busy one.
BUILD_BUDGET_SECONDS = 120

#: numpydoc checks every public name must pass: a docstring (GL08), known sections (GL06) in the
#: usual order (GL07), only parameters that exist (PR02), "name : type" spacing (PR10).
VALIDITY = {"GL08", "GL06", "GL07", "PR02", "PR10"}


def documented_modules() -> list[str]:
    """The modules whose members the API reference lists (``automodule`` without ``:no-members:``)."""
    found = []
    for page in sorted((DOCS / "api").glob("*.rst")):
        for match in re.finditer(r"^\.\. automodule:: (\S+)\n((?:   :.*\n)*)", page.read_text(), re.M):
            if ":no-members:" not in match.group(2):
                found.append(match.group(1))
    return found


def public_objects(module_name: str):
    """Each class and function a module exports, and the public methods and properties of each class."""
    module = importlib.import_module(module_name)
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        yield f"{module_name}.{name}", obj
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                target = value.fget if isinstance(value, property) else value
                if not attr.startswith("_") and inspect.isfunction(target):
                    yield f"{module_name}.{name}.{attr}", target


def problems_of(obj, checks: set[str]) -> list[str]:
    report = validate(f"{obj.__module__}.{obj.__qualname__}")
    return [f"{code}: {message}" for code, message in report["errors"] if code in checks]


def test_the_api_reference_covers_the_package():
    modules = documented_modules()
    assert "matcher" in modules
    for floor in ("matcher.data.models", "matcher.pipeline", "matcher.solve", "matcher.insight.whatif",
                  "matcher.app.plots", "matcher.app.report", "matcher.errors"):
        assert floor in modules, f"{floor} is missing from docs/api"


@pytest.mark.parametrize("name", matcher.__all__)
def test_every_public_name_has_a_numpydoc_docstring_with_an_example(name):
    obj = getattr(matcher, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        assert not callable(obj), f"matcher.{name} is callable but neither a class nor a function"
        return  # data such as SOLVERS is described where it is defined
    problems = problems_of(obj, VALIDITY | {"EX01"})
    assert not problems, f"matcher.{name}: " + "; ".join(problems)


def test_every_member_of_the_documented_modules_has_a_valid_docstring():
    seen, faults = set(), []
    for module_name in documented_modules():
        for label, obj in public_objects(module_name):
            key = (obj.__module__, obj.__qualname__)
            if key in seen:
                continue
            seen.add(key)
            faults += [f"{label}: {p}" for p in problems_of(obj, VALIDITY)]
    assert len(seen) > 200, f"only {len(seen)} public objects found: is docs/api read right?"
    assert not faults, "\n".join(faults)


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    out = tmp_path / "html"
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "MATCHER_DOCS_EXECUTE": "off"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", "-q",
                           "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=BUILD_BUDGET_SECONDS * 2)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-6000:] or done.stdout[-6000:]
    assert seconds < BUILD_BUDGET_SECONDS, f"the docs took {seconds:.0f} s to build"
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    for page in ("index.html", "getting-started.html", "how-to/rules.html", "how-to/fairness.html",
                 "how-to/what-if.html", "how-to/batch.html", "how-to/store.html",
                 "tutorials/01_explore_cohort.html", "tutorials/02_rules_and_scenarios.html",
                 "tutorials/03_scale.html", "api/matcher.html", "architecture.html"):
        assert page in pages, f"{page} was not built"
    reference = (out / "api" / "matcher.html").read_text(encoding="utf-8")
    for name in matcher.__all__:
        assert f'id="matcher.{name}"' in reference, f"matcher.{name} is not in the API reference"
    cohort_page = (out / "api" / "data.html").read_text(encoding="utf-8")
    assert 'id="matcher.data.models.Cohort.with_capacity"' in cohort_page


HOW_TO = sorted((DOCS / "how-to").glob("*.md"))


@pytest.mark.parametrize("page", HOW_TO, ids=lambda p: p.stem)
def test_the_python_of_each_how_to_page_runs_as_written(page, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    if page.stem == "index":
        return
    assert blocks, f"{page.name} shows no Python"
    monkeypatch.chdir(ROOT)  # the pages use the sample data's paths, from the repository root
    names: dict = {}
    for n, code in enumerate(blocks):
        exec(compile(code, f"{page.name}, Python block {n + 1}", "exec"), names)  # noqa: S102 - the page's own code
