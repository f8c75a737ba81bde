"""The shared numerics of ``driftscale._kernels``: blocked squared distances against naive
broadcasting, and the floored log-sum-exp against scipy and its floor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from driftscale._kernels import (
    EXP_FLOOR,
    floored_exp,
    logsumexp_rows,
    sq_distance_blocks,
    sq_distances,
    squared_norms,
)

EPS = np.finfo(float).eps


def _naive(x, f, scale=1.0):
    return np.sum((x[:, None, :] - scale * f[None, :, :]) ** 2, axis=2)


def _cancellation_bound(x, f, scale=1.0):
    # the expansion |x|^2 - 2 s x.f + s^2 |f|^2 loses accuracy to cancellation: its rounding error
    # is a few eps (times the length n of the dot products) of |x|^2 + s^2 |f|^2
    scale_sq = squared_norms(x)[:, None] + scale**2 * squared_norms(f)[None, :]
    return 8 * x.shape[1] * EPS * scale_sq


@pytest.mark.parametrize("scale", [1.0, 0.37, 0.0])
@pytest.mark.parametrize("block_entries", [4_000_000, 97, 1])
def test_sq_distances_match_naive_broadcasting(rng, scale, block_entries):
    x, f = rng.standard_normal((23, 7)) + 3.0, rng.standard_normal((31, 7))
    ours = sq_distances(x, f, scale=scale, block_entries=block_entries)
    ref = _naive(x, f, scale)
    # the points are ~3 apart: no cancellation worth the name, so 1e-12 relative holds
    assert ref.min() > 1.0
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=0)
    assert ours.dtype == np.float64 and ours.shape == (23, 31)


def test_sq_distances_error_is_bounded_by_the_cancellation_bound(rng):
    # near-duplicates: distances far below the norms, where the expansion is least accurate
    f = rng.standard_normal((20, 16)) * 10.0
    x = f[:15] + 1e-4 * rng.standard_normal((15, 16))
    ours = sq_distances(x, f)
    assert np.all(np.abs(ours - _naive(x, f)) <= _cancellation_bound(x, f))


def test_blocks_cover_every_row_once_in_order(rng):
    x, f = rng.standard_normal((10, 3)), rng.standard_normal((4, 3))
    whole = sq_distances(x, f)
    spans = []
    for start, stop, block in sq_distance_blocks(x, f, block_entries=9):  # 2 rows of 4
        assert block.shape == (stop - start, 4)
        np.testing.assert_allclose(block, whole[start:stop], rtol=1e-13)
        spans.append((start, stop))
    assert spans == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]


def test_ranking_without_x_norms(rng):
    x, f = rng.standard_normal((12, 5)), rng.standard_normal((40, 5))
    ((_, _, partial),) = list(sq_distance_blocks(x, f, with_x_norms=False, clip=False))
    # dropping |x|^2 shifts each row by a constant: the same ranking, the same differences
    np.testing.assert_allclose(partial + squared_norms(x)[:, None], _naive(x, f), rtol=1e-12)
    np.testing.assert_array_equal(np.argsort(partial, axis=1), np.argsort(_naive(x, f), axis=1))


def test_clipping_removes_the_negative_rounding_of_exact_zeros(rng):
    f = rng.standard_normal((200, 9)) * 3.0
    ((_, _, raw),) = list(sq_distance_blocks(f, f, clip=False))
    clipped = sq_distances(f, f)
    diag = np.diag(raw)
    # the true distance of a point to itself is 0: the expansion rounds it to +-eps |f|^2
    assert np.any(diag < 0), "this seed must show a negative rounding (else the test is void)"
    assert np.all(np.abs(diag) <= np.diag(_cancellation_bound(f, f)))
    assert clipped.min() == 0.0 and np.all(np.diag(clipped) >= 0.0)


def test_squared_norms(rng):
    x = rng.standard_normal((6, 11))
    np.testing.assert_allclose(squared_norms(x), np.sum(x * x, axis=1), rtol=1e-14)


def test_logsumexp_matches_scipy(rng):
    z = rng.standard_normal((8, 50)) * 30.0
    ref = logsumexp(z, axis=1)
    np.testing.assert_allclose(logsumexp_rows(z.copy()), ref, rtol=1e-12, atol=1e-12)
    # shift invariance without overflow: logsumexp(z + c) = logsumexp(z) + c
    big = logsumexp_rows(z + 1e5)
    np.testing.assert_allclose(big, ref + 1e5, rtol=1e-14)


def test_logsumexp_overwrites_its_input():
    z = np.array([[0.0, math.log(3.0)]])
    assert logsumexp_rows(z)[0] == pytest.approx(math.log(4.0), rel=1e-15)
    np.testing.assert_allclose(z, [[1.0 / 3.0, 1.0]], rtol=1e-15)  # exp(z - max), in place


def test_the_floor_keeps_exp_off_subnormals_and_leaves_sums_unchanged():
    z = np.array([[0.0, -650.0, -1e6, -np.inf], [5.0, 5.0, -800.0, 4.0]])
    w = floored_exp(z.copy(), z.max(axis=1))
    floor = math.exp(EXP_FLOOR)
    # entries more than 600 below the row maximum become exactly e^-600 (a normal number)
    np.testing.assert_array_equal(w[0], [1.0, floor, floor, floor])
    assert w[1, 2] == floor and np.all(w >= np.finfo(float).tiny)
    # a term of e^-600 beside a maximum term of 1 is below float64 resolution: same sums
    out = logsumexp_rows(z.copy())
    assert out[0] == 0.0  # ln(1 + 3 e^-600) rounds to 0, like ln(1) exactly
    assert out[1] == pytest.approx(logsumexp(z[1]), rel=1e-15)
