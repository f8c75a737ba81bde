"""The exact-in-time method against references computed other ways: dense ``scipy.linalg.expm``
(tiny image), ``scipy.sparse.linalg.expm_multiply`` (small image), the DCT diagonalisation of
homogeneous diffusion, and the closed-form steady state."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from driftscale.osmosis import HomogeneousDiffusion, Osmosis, ShiftInvertExpm, noise_guidance
from driftscale.osmosis.chebyshev import ChebyshevExpm
from driftscale.osmosis.expm import ConvergenceError

# Guaranteed tolerance: the Lanczos stopping rule estimates the error in the diag(v)^(-1/2)
# weighted 2-norm relative to ||diag(v)^(-1/2) f|| and stops at rtol = 1e-10. An estimate is not
# a bound, so the tests allow 10x rtol in that norm; per pixel (relative to the pixel value) we
# allow 100x rtol: weighting by sqrt(v) and dividing by u_p can amplify it by
# sqrt(max v / min v) * ||b|| / (sqrt(n) min b), about 3-10 here.
RTOL = 1e-10


def _weighted_error(u, ref, v, f):
    root = np.sqrt(v.ravel())
    return np.linalg.norm((u.ravel() - ref.ravel()) / root) / np.linalg.norm(f.ravel() / root)


SOLVERS = ["auto", "chebyshev", "lanczos"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_exact_matches_dense_expm_on_a_tiny_image(rng, solver):
    v = noise_guidance((12, 14), offset=3.0, rng=rng)  # strong drift: contrast 1/3
    f = rng.uniform(1, 256, v.shape)
    process = Osmosis(guidance=v)
    times = [0.0, 0.3, 3.0, 30.0, 300.0, 3000.0]
    u = process.trajectory(f, times, solver=solver)
    A = process.operator().toarray()
    for k, t in enumerate(times):
        ref = (sla.expm(t * A) @ f.ravel()).reshape(f.shape)
        assert _weighted_error(u[k], ref, v, f) <= 10 * RTOL
        assert np.max(np.abs(u[k] - ref) / ref) <= 100 * RTOL


@pytest.mark.parametrize("solver", SOLVERS)
def test_exact_matches_expm_multiply_on_a_small_image(rng, solver):
    v = np.exp(0.7 * rng.standard_normal((30, 40)))  # log-normal guidance: max/min ~ 50
    f = rng.uniform(1, 256, v.shape)
    process = Osmosis(guidance=v)
    times = [5.0, 50.0, 500.0]
    u = process.trajectory(f, times, solver=solver)
    ref = spla.expm_multiply(process.operator(), f.ravel(), start=0, stop=500, num=101)
    for k, i in enumerate([1, 10, 100]):
        assert _weighted_error(u[k], ref[i], v, f) <= 10 * RTOL
        assert np.max(np.abs(u[k].ravel() - ref[i]) / ref[i]) <= 100 * RTOL


def _dct_heat(f, t, h=1.0):
    """Homogeneous diffusion with reflecting boundaries, diagonalised by the DCT-II."""
    H, W = f.shape
    lam = (2 - 2 * np.cos(np.pi * np.arange(H) / H))[:, None] + (
        2 - 2 * np.cos(np.pi * np.arange(W) / W)
    )[None, :]
    coef = scipy.fft.dctn(f, type=2, norm="ortho")
    return scipy.fft.idctn(coef * np.exp(-t * lam / h**2), type=2, norm="ortho")


@pytest.mark.parametrize("h", [1.0, 2.0])
def test_homogeneous_diffusion_matches_the_dct_solution(rng, h):
    f = rng.normal(size=(20, 27))  # any sign: homogeneous diffusion is linear without drift
    times = [0.0, 1.0, 10.0, 1000.0]
    u = HomogeneousDiffusion(h=h).trajectory(f, times)
    for k, t in enumerate(times):
        ref = _dct_heat(f, t, h)
        # weights are 1 here, so the weighted error is the plain relative 2-norm error
        assert np.linalg.norm(u[k] - ref) <= 10 * RTOL * np.linalg.norm(f)


def test_zero_drift_osmosis_equals_homogeneous_diffusion(rng):
    f = rng.uniform(1, 2, (9, 11))
    zero = Osmosis(drift=(np.zeros((8, 11)), np.zeros((9, 10))))  # general-drift code path
    times = [0.0, 2.0, 20.0]
    for method in ("exact", "implicit", "explicit"):
        a = zero.trajectory(f, times, method=method)
        b = HomogeneousDiffusion().trajectory(f, times, method=method)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=0)  # same scheme, solver tolerances


def test_large_time_reaches_the_closed_form_steady_state(rng):
    v = noise_guidance((10, 12), rng=rng)
    f = rng.uniform(1, 256, v.shape)
    process = Osmosis(guidance=v)
    w = process.steady_state(f)
    np.testing.assert_allclose(w, f.mean() / v.mean() * v, rtol=1e-15)  # (mu_f / mu_v) v
    # the slowest mode of a 10x12 grid decays like exp(-t * ~0.05): at t = 1e4 it is gone
    u = process.trajectory(f, [1e4, 1e5])
    np.testing.assert_allclose(u, np.stack([w, w]), rtol=1e-9)


def test_one_band_and_several_bands_agree(rng):
    v = noise_guidance((15, 16), rng=rng)
    f = rng.uniform(1, 256, v.shape)
    process = Osmosis(guidance=v)
    together = process.trajectory(f, [1.0, 1e3, 1e5])  # three bands (ratio > 100)
    alone = np.stack([process.trajectory(f, [t])[0] for t in (1.0, 1e3, 1e5)])
    np.testing.assert_allclose(together, alone, rtol=100 * RTOL)


def test_chebyshev_error_bound_holds_and_is_reported(rng):
    v = noise_guidance((8, 9), offset=3.0, rng=rng)
    process = Osmosis(guidance=v)
    S = process._operator(0, "S")
    b = rng.uniform(1, 2, 72)
    # the spectral bound a is rigorous: every eigenvalue of S lies in [-a, 0]
    cheb = ChebyshevExpm(S, diagonal_bound=2 * np.max(-S.diagonal()))
    assert np.linalg.eigvalsh(S.toarray()).min() >= -cheb.a
    for rtol in (1e-3, 1e-6):  # loose tolerances, so the truncation error dominates round-off
        res = cheb.apply(b, np.array([7.0, 70.0]), rtol=rtol)
        assert res.error_estimate <= rtol * np.linalg.norm(b)
        for t, x in zip([7.0, 70.0], res.values, strict=True):
            err = np.linalg.norm(x - sla.expm(t * S.toarray()) @ b)
            assert err <= res.error_estimate  # a bound, not an estimate: it must hold
    assert cheb.num_terms(70.0, 1e-6) > cheb.num_terms(7.0, 1e-6)


def test_one_pixel_image_has_nothing_to_do():
    for solver in SOLVERS:
        u = HomogeneousDiffusion().trajectory(np.array([[3.0]]), [0.0, 5.0], solver=solver)
        np.testing.assert_array_equal(u, [[[3.0]], [[3.0]]])


def test_unknown_solver(rng):
    with pytest.raises(ValueError, match="`solver` must be one of 'auto', 'chebyshev', 'lanczos'"):
        HomogeneousDiffusion().trajectory(np.ones((3, 3)), [1.0], solver="pade")


def test_lanczos_reports_non_convergence(rng):
    v = noise_guidance((20, 20), rng=rng)
    process = Osmosis(guidance=v)
    solver = ShiftInvertExpm(process._operator(0, "S"), gamma=10.0)
    b = rng.uniform(1, 2, 400)
    with pytest.raises(ConvergenceError, match=r"did not reach rtol=1e-10 in 2 iterations"):
        solver.apply(b, np.array([100.0]), rtol=1e-10, max_iter=2)
    assert solver.apply(np.zeros(400), np.array([1.0])).values.max() == 0.0
