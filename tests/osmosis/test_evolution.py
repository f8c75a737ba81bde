"""Osmosis as a scale-space (Sec. 4 of Peter 2023): mass, positivity, steady states, the
Lyapunov functional of Eq. (28), agreement of the three methods, colour, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale import ScaleSpace
from driftscale.osmosis import HomogeneousDiffusion, Osmosis, noise_guidance

METHODS = ["exact", "exact-lanczos", "implicit", "explicit"]
TIMES = [0.0, 1.0, 4.0, 20.0]


def run(process, f, times, method, **options):
    """Evolve with a method name; "exact-lanczos" forces the Lanczos solver of "exact"."""
    if method == "exact-lanczos":
        return process.trajectory(f, times, method="exact", solver="lanczos", **options)
    return process.trajectory(f, times, method=method, **options)


@pytest.fixture
def setup(rng):
    v = noise_guidance((14, 17), offset=3.0, rng=rng)  # offset 3: a strong drift
    f = rng.uniform(1, 256, v.shape)  # the osmosis scaling's range [1, 256]
    return Osmosis(guidance=v), f, v


def test_is_a_deterministic_scale_space(setup):
    process, f, _ = setup
    assert isinstance(process, ScaleSpace) and isinstance(HomogeneousDiffusion(), ScaleSpace)
    assert process.name == "osmosis" and HomogeneousDiffusion().name == "homogeneous"
    assert process.stochastic is False
    before = f.copy()
    a = process.trajectory(f, TIMES, rng=1)
    b = process.trajectory(f, TIMES, rng=2)  # rng is ignored: deterministic
    assert a.tobytes() == b.tobytes() and a.dtype == np.float64 and a.shape == (4, *f.shape)
    np.testing.assert_array_equal(a[0], f)
    np.testing.assert_array_equal(f, before)  # the caller's array is untouched


@pytest.mark.parametrize("method", METHODS)
def test_mass_is_conserved(setup, method):
    process, f, _ = setup
    u = run(process, f, [0.0, 5.0, 50.0, 500.0], method)
    # sums of 238 values of O(100): round-off ~ n * eps relative; 1e-12 as the issue asks
    np.testing.assert_allclose(u.sum(axis=(1, 2)), f.sum(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("method", METHODS)
def test_positivity_is_preserved_even_from_a_nearly_zero_image(setup, method):
    process, f, _ = setup
    g = f.copy()
    g[::2] = 1e-6  # half the rows almost empty: the hardest case for positivity
    u = run(process, g, [0.0, 0.01, 0.1, 1.0, 10.0], method)
    assert u.min() > 0


@pytest.mark.parametrize("method", METHODS)
def test_guidance_is_a_steady_state(setup, method):
    process, _, v = setup
    u = run(process, v, [0.0, 3.0, 30.0], method)
    # A v = 0 to round-off, so v stays v up to a few ulps per step (30 / tau steps)
    np.testing.assert_allclose(u, np.broadcast_to(v, u.shape), rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_relative_entropy_eq28_increases(setup, method):
    process, f, _ = setup
    w = process.steady_state(f)
    times = [0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0]
    u = run(process, f, times, method)
    L = np.array([-np.sum(x * np.log(x / w)) for x in u])  # Eq. (28), discrete sum
    assert np.all(np.diff(L) > 0)  # strictly increasing (Schmidt's Lyapunov functional) ...
    assert L[-1] <= 0 and L[0] < L[-1]  # ... towards its maximum 0 at u = w (equal masses)


def test_methods_agree_and_the_stepping_error_is_first_order(setup):
    process, f, _ = setup
    t = [2.0]
    exact = process.trajectory(f, t)[0]
    for method, taus in (("implicit", (0.02, 0.01)), ("explicit", (0.02, 0.01))):
        err = [
            np.max(np.abs(process.trajectory(f, t, method=method, tau=s)[0] - exact)) for s in taus
        ]
        # Euler is first order: halving tau halves the error (ratio 2 up to O(tau) terms)
        assert 1.8 < err[0] / err[1] < 2.2, (method, err)
        assert err[1] < 1e-2 * np.max(np.abs(exact - f))  # and small against the change itself


def test_times_between_steps_use_a_shorter_last_step(setup):
    process, f, _ = setup
    a = process.trajectory(f, [2.5], method="implicit", tau=1.0)[0]
    b = process.trajectory(f, [2.0, 2.5], method="implicit", tau=1.0)[1]
    np.testing.assert_allclose(a, b, rtol=1e-9)  # the same steps 1, 1, 0.5 either way


@pytest.mark.parametrize("method", METHODS)
def test_colour_is_channel_wise_grey(rng, method):
    v = noise_guidance((9, 10, 3), rng=rng)
    f = rng.uniform(1, 256, v.shape)
    colour = run(Osmosis(guidance=v), f, TIMES, method)
    for c in range(3):
        grey = run(Osmosis(guidance=v[..., c]), f[..., c], TIMES, method)
        np.testing.assert_array_equal(colour[..., c], grey)
    # a grey guidance guides every channel
    shared = run(Osmosis(guidance=v[..., 0]), f, TIMES, method)
    grey1 = run(Osmosis(guidance=v[..., 0]), f[..., 1], TIMES, method)
    np.testing.assert_array_equal(shared[..., 1], grey1)
    w = Osmosis(guidance=v).steady_state(f)
    np.testing.assert_allclose(w[..., 2], f[..., 2].mean() / v[..., 2].mean() * v[..., 2])


def test_general_drift_steady_state_is_the_positive_null_vector(rng):
    d1, d2 = rng.uniform(-1.5, 1.5, (7, 9)), rng.uniform(-1.5, 1.5, (8, 8))  # not a gradient
    process = Osmosis(drift=(d1, d2))
    f = rng.uniform(1, 2, (8, 9))
    w = process.steady_state(f)
    assert w.min() > 0 and w.sum() == pytest.approx(f.sum(), rel=1e-12)
    assert np.max(np.abs(process.operator() @ w.ravel())) <= 1e-12 * w.max()
    u = process.trajectory(f, [0.0, 1e3], method="exact")  # expm_multiply path
    np.testing.assert_allclose(u[1], w, rtol=1e-8)
    assert u[1].sum() == pytest.approx(f.sum(), rel=1e-12)


@pytest.mark.parametrize("shape", [(1, 30), (25, 1)])
def test_one_pixel_thick_images_are_1d_osmosis(rng, shape):
    v = noise_guidance(shape, rng=rng)
    f = rng.uniform(1, 256, shape)
    process = Osmosis(guidance=v)
    exact = process.trajectory(f, [0.0, 3.0])
    explicit = process.trajectory(f, [0.0, 3.0], method="explicit", tau=1e-3)
    # explicit Euler with tau = 1e-3 is first order: its error is ~1e-3 of the change itself
    assert np.max(np.abs(explicit - exact)) <= 1e-2 * np.max(np.abs(exact[1] - f))
    assert exact[1].sum() == pytest.approx(f.sum(), rel=1e-13)


# ----------------------------------------------------------------------------- bad input
def test_non_positive_data_names_the_fix(setup):
    process, f, _ = setup
    g = f.copy()
    g[0, 0] = -1.0
    with pytest.raises(ValueError, match=r"`f` must be strictly positive.*\[1, 256\]"):
        process.trajectory(g, TIMES)
    with pytest.raises(ValueError, match=r"`guidance` must be strictly positive.*shift the data"):
        Osmosis(guidance=g)


def test_shape_mismatch_between_image_and_guidance(setup):
    process, f, _ = setup
    with pytest.raises(ValueError, match=r"`f` of shape \(14, 16\) does not match the guidance"):
        process.trajectory(f[:, :-1], TIMES)
    colour = Osmosis(guidance=np.ones((14, 17, 2)))
    with pytest.raises(ValueError, match=r"does not match the guidance of image shape \(14, 17, 2"):
        colour.trajectory(np.ones((14, 17, 3)), TIMES)


def test_nan_input(setup):
    process, f, _ = setup
    g = f.copy()
    g[1, 1] = np.nan
    with pytest.raises(ValueError, match="`f` must hold finite values only, got 1 NaN/Inf"):
        process.trajectory(g, TIMES)


def test_negative_or_unsorted_times(setup):
    process, f, _ = setup
    with pytest.raises(ValueError, match=r"`times` must be non-negative, got -1\.0"):
        process.trajectory(f, [-1.0, 2.0])
    with pytest.raises(ValueError, match="`times` must be sorted"):
        process.trajectory(f, [2.0, 1.0])


def test_tau_beyond_the_explicit_bound(setup):
    process, f, _ = setup
    bound = process.explicit_step_bound()
    with pytest.raises(
        ValueError, match=r"exceeds the explicit stability bound .*method='implicit'"
    ):
        process.trajectory(f, [1.0], method="explicit", tau=1.01 * bound)
    with pytest.raises(ValueError, match="`tau` must be a positive finite step size, got -1"):
        process.trajectory(f, [1.0], method="implicit", tau=-1.0)


def test_unknown_method_and_bad_rtol(setup):
    process, f, _ = setup
    with pytest.raises(ValueError, match="`method` must be one of 'exact', 'implicit', 'explicit'"):
        process.trajectory(f, TIMES, method="crank")
    with pytest.raises(ValueError, match=r"`rtol` must lie in \(0, 1\), got 2"):
        process.trajectory(f, TIMES, rtol=2)


def test_guidance_xor_drift():
    with pytest.raises(ValueError, match="pass exactly one of `guidance`"):
        Osmosis()
    with pytest.raises(ValueError, match="pass exactly one of `guidance`"):
        Osmosis(guidance=np.ones((2, 2)), drift=(np.zeros((1, 2)), np.zeros((2, 1))))


def test_noise_guidance_offset_errors():
    with pytest.raises(ValueError, match=r"`offset` must be a positive finite number, got -1"):
        noise_guidance((4, 4), offset=-1.0)
    # offset 0.5: P(g <= -0.5) = 0.31 per pixel, so 400 pixels hold ~120 non-positive ones
    with pytest.raises(ValueError, match=r"non-positive guidance pixels.*raise `offset`"):
        noise_guidance((20, 20), offset=0.5, rng=0)
    with pytest.raises(ValueError, match=r"`shape` must be \(H, W\) or \(H, W, C\)"):
        noise_guidance((4,))
    a, b = noise_guidance((5, 6), rng=3), noise_guidance((5, 6), rng=3)
    assert a.tobytes() == b.tobytes()
