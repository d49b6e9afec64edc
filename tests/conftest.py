"""Shared fixtures: the sample data and writable copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

# Derandomised in CI so a red run can be reproduced exactly.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci")


@pytest.fixture
def spring() -> Path:
    return DATA / "spring-2026"


@pytest.fixture
def cohort_copy(tmp_path, spring) -> Path:
    """A writable copy of the spring cohort folder."""
    target = tmp_path / "cohort"
    shutil.copytree(spring, target)
    return target


@pytest.fixture(autouse=True)
def _run_from_root(monkeypatch):
    # Doctests and examples use paths relative to the repository root.
    monkeypatch.chdir(ROOT)


# ---------------------------------------------------------------- history store databases

@pytest.fixture(scope="session")
def postgres_server():
    """URL of a PostgreSQL server (CI's, or one started for the tests); skips, saying why, if none."""
    from tests import pgserver

    try:
        with pgserver.server() as url:
            yield url
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty history database: a SQLite file, and a database on a real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'matcher.db'}"
        return
    from tests import pgserver

    with pgserver.database(request.getfixturevalue("postgres_server")) as url:
        yield url
