"""Finite-volume operator (pde/operator.py): mass, positivity, exact equilibrium, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from driftscale.pde import Grid1D, Mixture1D, drift_diffusion_operator
from driftscale.pde.operator import bernoulli


def test_bernoulli_matches_definition_and_symmetry():
    z = np.array([-30.0, -1.0, -1e-9, 0.0, 1e-9, 0.5, 30.0, 800.0, -800.0])
    ref = np.array([v / np.expm1(v) if v != 0 else 1.0 for v in z[:-2]])
    np.testing.assert_allclose(bernoulli(z[:-2]), ref, rtol=1e-14)  # round-off only
    # B(-z) = B(z) + z (exact identity of z / (e^z - 1))
    # B(-z) = B(z) + z (exact identity); the right side cancels for z << 0, so compare absolutely
    # at the scale 1 + |z| of its terms
    zz = z[:-2]
    err = np.abs(bernoulli(-zz) - (bernoulli(zz) + zz))
    assert np.all(err <= 1e-14 * (1.0 + np.abs(zz)))
    assert bernoulli(z)[-2] == 0.0 and bernoulli(z)[-1] == pytest.approx(800.0)


@pytest.mark.parametrize("flux", ["scharfetter-gummel", "central", "cell-average"])
def test_columns_sum_to_zero_and_offdiagonals_positive(flux):
    grid = Grid1D(-4.0, 4.0, 60)
    op = drift_diffusion_operator(grid, lambda x: np.sin(x) - 0.5 * x, diffusivity=0.7, flux=flux)
    A = op.to_sparse().toarray()
    # no-flux boundaries: each column sums to zero -> mass conserved exactly (round-off)
    np.testing.assert_allclose(A.sum(axis=0), 0.0, atol=1e-12 * np.abs(A).max())
    off = A - np.diag(np.diag(A))
    assert np.all(off >= 0)  # Metzler: exp(tA) >= 0
    p = np.random.default_rng(0).random(60)
    # a row sums three terms: round-off is a few eps of sum |A_ij p_j| (not of the result, which
    # may cancel to ~1e-4 of its terms)
    bound = 8 * np.finfo(float).eps
    assert np.all(np.abs(op.matvec(p) - A @ p) <= bound * (np.abs(A) @ p))
    assert np.all(np.abs(op.matvec(p, transpose=True) - A.T @ p) <= bound * (np.abs(A.T) @ p))


def test_scharfetter_gummel_equilibrium_is_the_sampled_gaussian():
    # drift -x/2, D = 1/2: P h = -x_{i+1/2} h = -(x_{i+1}^2 - x_i^2)/2 exactly, so the discrete
    # equilibrium is exp(-x_i^2 / 2) at the cell centres to round-off
    grid = Grid1D(-7.0, 7.0, 141)
    op = drift_diffusion_operator(grid, lambda x: -0.5 * x, diffusivity=0.5)
    x = grid.centres
    gauss = np.exp(-0.5 * x**2) / grid.mass(np.exp(-0.5 * x**2))
    np.testing.assert_allclose(op.equilibrium(), gauss, rtol=1e-12)
    A = op.to_sparse()
    # A gauss = 0 up to round-off of sums of terms of size |A| * max(gauss)
    np.testing.assert_allclose(op.matvec(gauss), 0.0, atol=1e-14 * abs(A).max() * gauss.max())


def test_expm_apply_matches_dense_expm():
    grid = Grid1D(-3.0, 3.0, 40)
    op = drift_diffusion_operator(grid, lambda x: np.cos(2 * x), diffusivity=0.3)
    p = np.random.default_rng(1).random(40)
    A = op.to_sparse().toarray()
    for s in (0.0, 0.3, 2.0):
        ref = scipy.linalg.expm(s * A) @ p  # reference computed another way (Pade)
        np.testing.assert_allclose(op.expm_apply(p, [s])[0], ref, rtol=1e-10, atol=1e-13)
        ref_t = scipy.linalg.expm(s * A.T) @ p
        np.testing.assert_allclose(
            op.expm_apply(p, [s], transpose=True)[0], ref_t, rtol=1e-10, atol=1e-13
        )


def test_exact_route_stays_accurate_where_the_equilibrium_spans_many_decades():
    # mass at x = 30 where pi ~ e^{-450}: the eigen route would amplify round-off by e^{225}; the
    # a-priori bound sends it to expm_multiply. Reference: dense Pade expm of the same matrix.
    grid = Grid1D(-40.0, 40.0, 400)
    op = drift_diffusion_operator(grid, lambda x: -0.5 * x, diffusivity=0.5)
    p0 = Mixture1D(means=(30.0,), stds=(0.5,)).cell_averages(grid)
    out = op.expm_apply(p0, [0.5, 1.0])
    A = op.to_sparse().toarray()
    for k, s in enumerate((0.5, 1.0)):
        # both are accurate to ~1e-13 relative to max p0 = 0.8; 1e-10 leaves room for conditioning
        np.testing.assert_allclose(out[k], scipy.linalg.expm(s * A) @ p0, rtol=0, atol=1e-10)
    assert grid.mass(out[1]) == pytest.approx(1.0, abs=1e-12)


def test_operator_errors():
    grid = Grid1D(0.0, 1.0, 10)
    with pytest.raises(ValueError, match="`flux` must be one of"):
        drift_diffusion_operator(grid, 0.0, flux="upwind")
    with pytest.raises(ValueError, match="grid Péclet number"):
        drift_diffusion_operator(grid, 30.0, diffusivity=1.0, flux="central")
    with pytest.raises(ValueError, match="`diffusivity` must be positive"):
        drift_diffusion_operator(grid, 0.0, diffusivity=-1.0)
    with pytest.raises(ValueError, match="`log_ratio` must have num_cells - 1 = 9"):
        drift_diffusion_operator(grid, 0.0, log_ratio=np.zeros(3))
    with pytest.raises(ValueError, match="`log_ratio` needs flux='scharfetter-gummel'"):
        drift_diffusion_operator(grid, 0.0, log_ratio=np.zeros(9), flux="central")
    with pytest.raises(TypeError, match="`grid` must be a Grid1D"):
        drift_diffusion_operator((0, 1, 10), 0.0)
    with pytest.raises(ValueError, match="`drift` must hold finite values"):
        drift_diffusion_operator(grid, np.full(9, np.nan))


def test_grid_errors():
    with pytest.raises(ValueError, match="lower < upper"):
        Grid1D(1.0, 0.0, 10)
    with pytest.raises(ValueError, match="`num_cells` must be at least 3"):
        Grid1D(0.0, 1.0, 2)
    with pytest.raises(ValueError, match="`num_cells` must be a positive integer"):
        Grid1D(0.0, 1.0, 2.5)
