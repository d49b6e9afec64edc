"""Synthetic programmes: shapes, columns, determinism and the structure each distribution promises."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.data.synth import (
    DISTRIBUTIONS,
    synthetic_capacities,
    synthetic_programme,
    synthetic_scores,
    synthetic_vectors,
)
from matcher.data.taxonomy import DEFAULT_TAXONOMY, LANGUAGES, SUPPORT_AREAS


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_scores_are_deterministic_and_bounded(distribution):
    a = synthetic_scores(50, 20, distribution, seed=3)
    b = synthetic_scores(50, 20, distribution, seed=3)
    c = synthetic_scores(50, 20, distribution, seed=4)
    assert a.shape == (50, 20) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert (a >= 0).all() and (a <= 1).all()


def test_correlated_scores_have_star_mentors():
    s = synthetic_scores(400, 100, "correlated", seed=0)
    favourite = np.bincount(s.argmax(axis=1), minlength=100)
    assert favourite.max() > 0.2 * 400  # one mentor is the first choice of many
    u = synthetic_scores(400, 100, "uniform", seed=0)
    assert np.bincount(u.argmax(axis=1), minlength=100).max() < 0.05 * 400


def test_clustered_scores_have_blocks():
    s = synthetic_scores(300, 60, "clustered", seed=0)
    high = s > 0.6
    # rows sharing a cluster share the same set of high columns
    patterns = {tuple(row) for row in high}
    assert len(patterns) <= 12


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_vectors(distribution):
    s, m = synthetic_vectors(60, 30, distribution, dim=16, seed=1)
    assert s.shape == (60, 16) and m.shape == (30, 16) and s.dtype == np.float32
    s2, m2 = synthetic_vectors(60, 30, distribution, dim=16, seed=1)
    assert np.array_equal(s, s2) and np.array_equal(m, m2)
    scores = s.astype(float) @ m.T.astype(float)
    assert np.abs(scores).max() <= 1 + 1e-5
    if distribution == "correlated":
        assert np.bincount(scores.argmax(axis=1), minlength=30).max() > 0.3 * 60


def test_vectors_reject_bad_arguments():
    with pytest.raises(ValueError, match="distribution"):
        synthetic_vectors(3, 3, "zipf")
    with pytest.raises(ValueError, match="dim"):
        synthetic_vectors(3, 3, dim=1)


@pytest.mark.parametrize(("n_s", "n_m"), [(10, 40), (1000, 500), (100_000, 10_000)])
def test_capacities_cover_demand(n_s, n_m):
    cap = synthetic_capacities(n_s, n_m, 3, slack=1.25, seed=2)
    assert cap.shape == (n_m,) and cap.min() >= 1 and cap.sum() >= 1.25 * 3 * n_s
    if n_m * 2 >= n_s * 3:
        assert cap.max() <= 4


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_programme_tables(distribution):
    startups, mentors = synthetic_programme(30, 40, distribution, seed=5)
    assert list(startups.columns) == ["id", "name", "domains", "description", "needs", "languages"]
    assert list(mentors.columns) == ["id", "name", "kind", "organisation", "domains", "expertise",
                                     "offers", "capacity", "languages", "conflicts"]
    assert startups.id.is_unique and mentors.id.is_unique
    for table in (startups, mentors):
        for cell in table.domains:
            assert all(d in DEFAULT_TAXONOMY for d in cell.split(";"))
        for cell in table.languages:
            assert set(cell.split(";")) <= set(LANGUAGES)
    for cell in startups.needs:
        assert set(cell.split(";")) <= set(SUPPORT_AREAS)
    known = set(startups.id)
    for cell in mentors.conflicts:
        assert cell == "" or set(cell.split(";")) <= known
    assert (startups.description.str.split().str.len() >= 10).all()
    again = synthetic_programme(30, 40, distribution, seed=5)
    assert again[0].equals(startups) and again[1].equals(mentors)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_programmes_load_as_written(distribution, seed):
    """What the generator writes passes the loader's own checks (star mentors included)."""
    import matcher

    startups, mentors = synthetic_programme(60, 40, distribution, seed=seed)
    cohort = matcher.load_cohort(startups=startups, mentors=mentors, k=3)
    assert len(cohort.startups) == 60 and len(cohort.mentors) == 40
