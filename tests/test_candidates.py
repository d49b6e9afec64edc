"""Candidate generation: top-L per startup and per mentor, block by block, from matrices or vectors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.solve.candidates import DenseScores, VectorScores, nonzero_2d, top_candidates, top_l_dense


def _reference_top(values: np.ndarray, width: int, blocked: np.ndarray) -> set[tuple[int, int]]:
    """Each row's ``width`` best allowed entries, by a full sort (ties broken by column)."""
    out = set()
    for i, row in enumerate(values):
        cols = [j for j in np.lexsort((np.arange(len(row)), -row)) if not blocked[i, j]]
        out.update((i, j) for j in cols[:width])
    return out


@settings(max_examples=60, deadline=None)
@given(n_s=st.integers(1, 30), n_m=st.integers(1, 70), width=st.integers(1, 12),
       block=st.sampled_from([8, 64, 10_000]), seed=st.integers(0, 2**16))
def test_row_candidates_are_each_rows_best(n_s, n_m, width, block, seed):
    rng = np.random.default_rng(seed)
    values = rng.random((n_s, n_m))
    forbidden = rng.random((n_s, n_m)) < 0.2
    ex = np.nonzero(forbidden)
    cand = top_candidates(values, width, excluded=ex, block_entries=block * max(n_m, 1))
    got = set(zip(cand.rows.tolist(), cand.cols.tolist()))
    assert got == _reference_top(values, width, forbidden)
    assert np.array_equal(cand.weights, values[cand.rows, cand.cols])
    keys = cand.rows * n_m + cand.cols
    assert (np.diff(keys) > 0).all(), "candidates must be sorted and unique"


def test_blocks_do_not_change_the_answer():
    rng = np.random.default_rng(3)
    values = rng.random((101, 37))
    whole = top_candidates(values, 5, column_width=4)
    for entries in (37 * 8, 37 * 16, 37 * 40):
        part = top_candidates(values, 5, column_width=4, block_entries=entries)
        assert np.array_equal(part.rows, whole.rows) and np.array_equal(part.cols, whole.cols)


def test_column_candidates_give_every_mentor_startups():
    # every startup prefers mentor 0, so row candidates alone never reach mentors 5..9
    rng = np.random.default_rng(0)
    values = rng.random((200, 10)) * 0.1
    values[:, :5] += np.linspace(1.0, 0.5, 5)
    rows_only = top_candidates(values, 3)
    assert set(rows_only.cols.tolist()) <= {0, 1, 2, 3, 4}
    with_cols = top_candidates(values, 3, column_width=6)
    per_mentor = np.bincount(with_cols.cols, minlength=10)
    assert (per_mentor[5:] >= 6).all()
    # exact on small inputs (the threshold sample is the whole matrix): the 6 best rows
    for j in range(5, 10):
        best = set(np.argsort(-values[:, j], kind="stable")[:6].tolist())
        assert best <= set(with_cols.rows[with_cols.cols == j].tolist())


def test_inactive_rows_and_columns_get_no_candidates():
    values = np.random.default_rng(1).random((6, 5))
    active_rows = np.array([True, False, True, True, False, True])
    active_cols = np.array([True, True, False, True, True])
    c = top_candidates(values, 3, active_rows=active_rows, active_cols=active_cols, column_width=2)
    assert not np.isin(c.rows, [1, 4]).any()
    assert not (c.cols == 2).any()


def test_vector_scores_match_their_dense_matrix():
    rng = np.random.default_rng(2)
    s, m = rng.standard_normal((40, 16)), rng.standard_normal((25, 16))
    vs = VectorScores(s, m, scale=0.5, offset=1.0)
    dense = 0.5 * (s @ m.T) + 1.0
    np.testing.assert_allclose(vs.dense(), dense)
    np.testing.assert_allclose(vs.exact(np.array([3, 7]), np.array([1, 24])), dense[[3, 7], [1, 24]])
    values, err = vs.blocks(5, 9)
    assert (np.abs(values - dense[5:9]) <= err[:, None]).all(), "the float32 error bound must hold"
    cosine = VectorScores(s, m, metric="cosine").dense()
    assert np.abs(cosine).max() <= 1 + 1e-12
    a = top_candidates(vs, 4)
    b = top_candidates(dense, 4)
    assert np.array_equal(a.rows, b.rows) and np.array_equal(a.cols, b.cols)


def test_vector_scores_validate_their_input():
    with pytest.raises(ValueError, match="same"):
        VectorScores(np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="metric"):
        VectorScores(np.ones((3, 2)), np.ones((3, 2)), metric="euclid")
    with pytest.raises(ValueError, match="mentor_ids"):
        VectorScores(np.ones((3, 2)), np.ones((3, 2)), mentor_ids=["a"])


def test_top_l_dense_and_nonzero_2d():
    rows, cols = top_l_dense(np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3]]), 2)
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 1), (0, 2), (1, 0), (1, 2)]
    mask = np.random.default_rng(0).random((13, 7)) < 0.3
    r, c = nonzero_2d(mask)
    rr, cc = np.nonzero(mask)
    assert np.array_equal(r, rr) and np.array_equal(c, cc)


def test_assign_accepts_vector_scores_with_ids_and_pairs():
    rng = np.random.default_rng(5)
    s, m = rng.random((30, 6)), rng.random((12, 6))
    ids_s = [f"s{i}" for i in range(30)]
    ids_m = [f"m{j}" for j in range(12)]
    vs = VectorScores(s, m, startup_ids=ids_s, mentor_ids=ids_m)
    pinned = [("s0", "m11"), ("s3", "m4")]
    forbidden = [("s1", "m0"), ("s2", "m0")]
    got = matcher.assign(vs, k=2, capacity=6, pinned=pinned, forbidden=forbidden)
    dense = matcher.assign(
        __import__("pandas").DataFrame(vs.dense(), index=ids_s, columns=ids_m),
        k=2, capacity=6, pinned=pinned, forbidden=forbidden, solver="flow")
    assert got.certified is True and got.solver == "pruned"
    assert got.objective == pytest.approx(dense.objective, rel=1e-9)
    pairs = set(map(tuple, got.pairs[["startup_id", "mentor_id"]].to_numpy().tolist()))
    assert set(pinned) <= pairs and not (set(forbidden) & pairs)
    # an explicit dense backend still works on small vector scores
    again = matcher.assign(vs, k=2, capacity=6, pinned=pinned, forbidden=forbidden, solver="flow")
    assert again.objective == pytest.approx(dense.objective, rel=1e-12)


def test_assign_vector_scores_names_bad_pairs():
    vs = VectorScores(np.ones((3, 2)), np.ones((4, 2)))
    with pytest.raises(matcher.InputError, match="pinned"):
        matcher.assign(vs, k=1, capacity=1, pinned=[(0, 99)])


def test_dense_source_is_exact():
    values = np.arange(12.0).reshape(3, 4)
    src = DenseScores(values)
    block, err = src.blocks(1, 3)
    assert np.array_equal(block, values[1:3]) and not err.any()
