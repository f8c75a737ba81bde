"""The discrete osmosis operator of Vogel et al. (2013): conservation, steady state, symmetry,
and the zero-drift case against a Laplacian built another way (Kronecker products)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from driftscale.osmosis import (
    DriftField,
    canonical_drift,
    explicit_step_bound,
    noise_guidance,
    osmosis_operator,
    symmetrised_operator,
)

# Tolerances: the entries of A are O(1/h^2) and each row/column sum adds at most 5 of them, so
# round-off is a few ulps of 1/h^2; 1e-13 leaves a factor ~100 to double-precision epsilon.
EPS = 1e-13


def _random_drift(rng, H, W, h=1.0):
    # |d| h <= 1.9 < 2: inside the positivity bound
    return rng.uniform(-0.95, 0.95, (H - 1, W)) * 2 / h, rng.uniform(
        -0.95, 0.95, (H, W - 1)
    ) * 2 / h


@pytest.mark.parametrize("h", [1.0, 0.5])
def test_columns_sum_to_zero_for_any_drift(rng, h):
    d1, d2 = _random_drift(rng, 7, 9, h)
    A = osmosis_operator(d1, d2, h=h)
    assert A.shape == (63, 63) and A.dtype == np.float64
    assert np.max(np.abs(np.asarray(A.sum(axis=0)))) <= EPS / h**2
    off = A - sp.diags(A.diagonal())
    assert off.min() >= 0  # Metzler matrix: exp(tA) preserves positivity


def test_guidance_is_an_exact_discrete_steady_state(rng):
    v = noise_guidance((12, 15), rng=rng)
    A = osmosis_operator(*canonical_drift(v))
    # A v = 0 to round-off: each face flux of v vanishes
    assert np.max(np.abs(A @ v.ravel())) <= EPS * v.max()


def test_canonical_drift_formula_and_shapes(rng):
    v = rng.uniform(1, 5, (4, 5))
    d = canonical_drift(v, h=0.5)
    assert d.d1.shape == (3, 5) and d.d2.shape == (4, 4) and d.image_shape == (4, 5)
    assert d.d1[1, 2] == pytest.approx(2 * (v[2, 2] - v[1, 2]) / (0.5 * (v[2, 2] + v[1, 2])))
    d1, d2 = d  # unpacks like a pair
    assert d1 is d.d1 and d2 is d.d2
    assert np.max(np.abs(d.d1)) * 0.5 < 2  # always inside the positivity bound


def _neumann_laplacian_1d(m):
    main = -2.0 * np.ones(m)
    main[[0, -1]] = -1.0
    return sp.diags([np.ones(m - 1), main, np.ones(m - 1)], [-1, 0, 1])


def test_zero_drift_is_the_five_point_neumann_laplacian():
    H, W, h = 5, 6, 0.5
    A = osmosis_operator(np.zeros((H - 1, W)), np.zeros((H, W - 1)), h=h)
    ref = sp.kron(_neumann_laplacian_1d(H), sp.eye(W)) + sp.kron(
        sp.eye(H), _neumann_laplacian_1d(W)
    )
    np.testing.assert_allclose(A.toarray(), ref.toarray() / h**2, atol=0, rtol=1e-15)


def test_symmetrised_operator_is_similar_symmetric_and_semidefinite(rng):
    v = noise_guidance((6, 7), offset=3.0, rng=rng)
    A = osmosis_operator(*canonical_drift(v)).toarray()
    S = symmetrised_operator(v)
    assert (S - S.T).nnz == 0  # symmetric to the last bit, by construction
    root = np.sqrt(v.ravel())
    # S = D^{-1/2} A D^{1/2}: the two constructions agree to round-off
    np.testing.assert_allclose(S.toarray(), A * root[None, :] / root[:, None], atol=EPS)
    eig = np.linalg.eigvalsh(S.toarray())
    assert eig.max() <= EPS and eig.max() >= -EPS  # negative semi-definite, one zero eigenvalue
    assert eig[-2] < -1e-3  # ... and only one (the 6x7 grid is connected)
    assert np.max(np.abs(S @ root)) <= EPS * root.max()


def test_explicit_step_bound_is_one_over_the_largest_diagonal(rng):
    A = osmosis_operator(*_random_drift(rng, 5, 5))
    tau = explicit_step_bound(A)
    assert tau == pytest.approx(1 / np.max(-A.diagonal()))
    assert (sp.eye(25) + tau * A).toarray().min() >= -EPS


# ----------------------------------------------------------------------------- bad input
def test_non_positive_guidance_names_the_fix():
    v = np.ones((3, 3))
    v[1, 1] = 0.0
    with pytest.raises(ValueError, match=r"`v` must be strictly positive.*kind='positive'"):
        canonical_drift(v)


def test_nan_guidance_is_rejected():
    v = np.ones((3, 3))
    v[0, 0] = np.nan
    with pytest.raises(ValueError, match="`v` must hold finite values"):
        canonical_drift(v)


def test_bad_grid_size():
    with pytest.raises(ValueError, match="`h` must be a positive finite grid size, got -1"):
        canonical_drift(np.ones((2, 2)), h=-1.0)
    with pytest.raises(TypeError, match="`h` must be a positive number"):
        canonical_drift(np.ones((2, 2)), h="1")


def test_drift_shape_mismatch():
    with pytest.raises(ValueError, match=r"d1 of shape \(H - 1, W\[, C\]\).*got d1 \(3, 3\)"):
        osmosis_operator(np.zeros((3, 3)), np.zeros((3, 2)))


def test_drift_beyond_positivity_bound():
    with pytest.raises(ValueError, match=r"h\*\|d\| <= 2.*max \|d\| = 3"):
        osmosis_operator(np.full((1, 2), 3.0), np.zeros((2, 1)))


def test_drift_must_be_a_pair():
    from driftscale.osmosis.operator import check_drift

    with pytest.raises(TypeError, match="`drift` must be a pair"):
        check_drift(np.zeros(3), h=1.0)


def test_colour_drift_needs_one_operator_per_channel():
    field = canonical_drift(np.ones((3, 4, 2)))
    assert isinstance(field, DriftField) and field.d1.shape == (2, 4, 2)
    with pytest.raises(ValueError, match="single-channel"):
        osmosis_operator(field.d1, field.d2)
