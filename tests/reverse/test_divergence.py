"""Jacobians of denoisers: the posterior-covariance closed form, finite differences, Hutchinson."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.reverse.denoisers import ExactDenoiser, GaussianDenoiser
from driftscale.reverse.divergence import (
    EmpiricalPosterior,
    hutchinson_trace,
    jacobian_oracle,
    rademacher,
)

SCHEDULE = "linear:1e-4,0.02"


@pytest.fixture
def exact(rng) -> ExactDenoiser:
    return ExactDenoiser(rng.uniform(-1, 1, size=(30, 3, 3)), SCHEDULE)


@pytest.mark.parametrize("step", [60, 300, 900])
def test_jacobian_is_sqrt_ab_over_one_minus_ab_times_posterior_covariance(exact, rng, step):
    """d E[u0|x]/dx = sqrt(ab)/(1-ab) Cov[u0|x]: the closed form against central differences
    of the denoiser itself (float64, h = 1e-4 sigma_i: truncation and rounding near 1e-8)."""
    x = rng.standard_normal((5, 9))
    closed = jacobian_oracle(exact)
    fd = jacobian_oracle(exact, jacobian="finite-difference")
    assert (closed.kind, fd.kind) == ("exact-data", "finite-difference")
    mean_c, tr_c = closed.trace(x, step)
    mean_f, tr_f = fd.trace(x, step)
    np.testing.assert_allclose(mean_c, mean_f, rtol=1e-10, atol=1e-12)  # same posterior mean
    np.testing.assert_allclose(tr_c, tr_f, rtol=1e-6, atol=1e-8)
    v = rng.standard_normal((5, 2, 9))
    np.testing.assert_allclose(closed.jvp(x, step, v), fd.jvp(x, step, v), rtol=1e-6, atol=1e-7)


def test_posterior_trace_is_the_weighted_spread_of_the_training_images(exact, rng):
    """tr Cov = sum_k w_k |f_k - D|^2 computed directly from the dense weights."""
    x = rng.standard_normal((4, 3, 3))
    step = 250
    w = exact.weights(x, step)
    f = exact.train_data.reshape(30, -1)
    D = w @ f
    direct = np.einsum("bk,bk->b", w, ((f[None] - D[:, None]) ** 2).sum(axis=2))
    mean, trace = EmpiricalPosterior(exact.train_data).moments(
        x.reshape(4, -1), exact.schedule.log_alpha_bar[step]
    )
    np.testing.assert_allclose(mean, D, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trace, direct, rtol=1e-9)
    # on a training image at small noise the posterior is one image: trace ~ 0, not negative
    _, tiny = EmpiricalPosterior(exact.train_data).moments(f[:3], exact.schedule.log_alpha_bar[1])
    assert np.all(tiny >= 0) and np.all(tiny < 1e-12)


def test_gaussian_closed_form_matches_finite_differences(rng):
    den = GaussianDenoiser(0.2, 0.3, SCHEDULE, image_shape=(6,))
    x = rng.standard_normal((3, 6))
    _, tr_closed = jacobian_oracle(den).trace(x, 400)
    _, tr_fd = jacobian_oracle(den, jacobian="finite-difference").trace(x, 400)
    np.testing.assert_allclose(tr_closed, tr_fd, rtol=1e-8)


def test_hutchinson_is_unbiased_and_its_variance_falls_like_one_over_k(rng):
    """Rademacher probes: E[e'Ae] = tr A, Var = 2 (|A_s|_F^2 - sum A_ii^2) / K (A_s: the symmetric
    part). 4000 repetitions per K; z-test of the mean at false-alarm rate 0.1% (|z| < 3.29); the
    sample variance within 15% of the analytic one (its relative standard error is ~3%)."""
    d = 10
    A = rng.standard_normal((d, d))
    sym = 0.5 * (A + A.T)
    var_one = 2.0 * (np.sum(sym**2) - np.sum(np.diag(A) ** 2))
    reps = 4000
    for K in (1, 4, 16):
        est = np.array(
            [
                hutchinson_trace(lambda V: V @ A.T, d, num_probes=K, rng=rng).mean()
                for _ in range(reps)
            ]
        )
        z = (est.mean() - np.trace(A)) / (est.std(ddof=1) / np.sqrt(reps))
        assert abs(z) < 3.29, (K, z)
        assert abs(est.var(ddof=1) / (var_one / K) - 1.0) < 0.15, K


def test_hutchinson_through_finite_difference_jvps_matches_the_exact_trace(exact, rng):
    """A black-box route (finite-difference JVPs along probes) against the closed form: the mean
    of 3000 single-probe estimates within 3.29 standard errors (false-alarm rate 0.1%)."""
    fd = jacobian_oracle(exact, jacobian="finite-difference")
    x = rng.standard_normal((1, 9))
    _, exact_trace = jacobian_oracle(exact).trace(x, 300)
    probes = rademacher((1, 3000, 9), rng=rng)
    est = np.einsum("bkj,bkj->bk", probes, fd.jvp(x, 300, probes))[0]
    z = (est.mean() - exact_trace[0]) / (est.std(ddof=1) / np.sqrt(est.size))
    assert abs(z) < 3.29


def test_evaluations_are_counted_per_image(exact, rng):
    fd = jacobian_oracle(exact, jacobian="finite-difference")
    fd.trace(rng.standard_normal((2, 9)), 100)
    assert fd.evaluations == 2 * (2 * 9) + 2  # 2d perturbed copies and the mean, per image


def test_bad_options_are_refused(exact):
    with pytest.raises(ValueError, match="`jacobian` must be one of 'auto', 'finite-difference'"):
        jacobian_oracle(exact, jacobian="autograd")
    with pytest.raises(ValueError, match="`fd_step` must be a positive number"):
        jacobian_oracle(exact, fd_step=0.0)
