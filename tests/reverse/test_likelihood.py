"""Likelihood of the reverse process: the variational bound and the probability-flow ODE.

Truth sources: closed-form Gaussian densities (the ODE is exact for the exact score), the true
NLL of a quantised Gaussian law, ln N for the exact denoiser of N images, the exact trace for
Hutchinson, and the I-MMSE form of the bound for two points.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm

from driftscale.data import load_split as load_training_data
from driftscale.reverse.denoisers import ExactDenoiser, GaussianDenoiser, PointDenoiser
from driftscale.reverse.likelihood import likelihood
from driftscale.reverse.quantisation import Quantisation, QuantisationError
from driftscale.reverse.variational_bound import _log_gaussian_bin
from driftscale.schedules import Schedule

Q256 = Quantisation.uniform_levels(256)


class FullGaussianDenoiser:
    r"""E[u0 | u_i = x] for u0 ~ N(mu, Sigma): mu + a Sigma (a^2 Sigma + sigma^2 I)^{-1} (x - a mu).

    No closed-form Jacobian is registered for it: the likelihood uses finite differences."""

    def __init__(self, mean: np.ndarray, cov: np.ndarray, schedule: str) -> None:
        self.mean, self.cov = mean, cov
        self.schedule = Schedule.coerce(schedule)
        self.image_shape = (mean.size,)
        self.eig, self.vecs = np.linalg.eigh(cov)

    def __call__(self, x: np.ndarray, i: int) -> np.ndarray:
        ab = self.schedule.alpha_bar[i]
        a = math.sqrt(ab)
        gain = a * self.eig / (ab * self.eig + (1.0 - ab))
        return self.mean + (((x - a * self.mean) @ self.vecs) * gain) @ self.vecs.T


def _log_normal(y: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (y - mean).T)
    return (
        -0.5 * (z**2).sum(axis=0)
        - np.log(np.diag(chol)).sum()
        - 0.5 * mean.size * math.log(2 * math.pi)
    )


def _gaussian_law(rng: np.random.Generator, *, centred: bool) -> tuple[np.ndarray, np.ndarray]:
    d = 6
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    cov = (q * np.linspace(0.05, 0.5, d)) @ q.T
    mean = np.zeros(d) if centred else rng.uniform(-0.3, 0.3, d)
    return mean, cov


def _quantised_samples(rng, mean, cov, n=20, q=Q256):
    raw = rng.multivariate_normal(mean, cov, size=n)
    return q.grid()[np.clip(np.rint((raw - q.low) / q.bin_width), 0, q.levels - 1).astype(int)]


@pytest.mark.parametrize(("num_steps", "rtol"), [(None, 1e-6), (200, 1e-4)])
def test_ode_equals_the_closed_form_density_of_the_gaussian_model(rng, num_steps, rtol):
    """For Gaussian data and its exact denoiser the flow is linear and the model's density at
    the start step is closed form: N(0, I) at T pushed back through the exact flow,
    N(a_s mu - M a_T mu, A_s A_T^{-1}) with A_i = ab_i Sigma + (1-ab_i) I, M = (A_s/A_T)^{1/2}.
    Measured: 1.7e-7 relative on every step, 2.0e-5 on 200 steps (integrator error)."""
    mean, cov = _gaussian_law(rng, centred=False)
    x = _quantised_samples(rng, mean, cov)
    den = FullGaussianDenoiser(mean, cov, "linear:1e-4,0.02")
    est = likelihood(den, x, route="ode", quantisation=Q256, rng=1, num_steps=num_steps)
    y = Q256.dequantise(x, rng=np.random.default_rng(1))  # the same dequantisation draw
    ab, s, T = den.schedule.alpha_bar, 1, den.schedule.T
    a_s, a_T = ab[s] * den.eig + 1 - ab[s], ab[T] * den.eig + 1 - ab[T]
    M = (den.vecs * np.sqrt(a_s / a_T)) @ den.vecs.T
    model_mean = math.sqrt(ab[s]) * mean - M @ (math.sqrt(ab[T]) * mean)
    model_cov = (den.vecs * (a_s / a_T)) @ den.vecs.T
    log_p = _log_normal(y, model_mean, model_cov)
    np.testing.assert_allclose(-est.terms["neg_log_density"], log_p, rtol=rtol)
    assert est.settings["jacobian"] == "finite-difference"
    assert est.nll.dtype == np.float64 and est.nll.shape == (20,)
    np.testing.assert_allclose(est.nll, est.terms["neg_log_density"] - 6 * math.log(2 / 255))


def test_ode_equals_the_data_law_when_prior_and_start_offset_are_negligible(rng):
    """With centred data (the N(0, I) prior then differs from the true step-T law only by
    ab_T ~ 5e-5 in variance) and beta_1 = 1e-6 (the step-1 law is the data law to ~1e-5), the
    ODE gives the data law N(0, Sigma) itself: measured 2.4e-5 relative; asserted 1e-4."""
    mean, cov = _gaussian_law(rng, centred=True)
    x = _quantised_samples(rng, mean, cov)
    den = FullGaussianDenoiser(mean, cov, "linear:1e-6,0.02")
    est = likelihood(den, x, route="ode", quantisation=Q256, rng=1)
    y = Q256.dequantise(x, rng=np.random.default_rng(1))
    np.testing.assert_allclose(-est.terms["neg_log_density"], _log_normal(y, mean, cov), rtol=1e-4)


def test_ode_is_exact_for_a_point_mass():
    """D constant: the exponential integrator is exact and the model's step-1 law is
    N(a_1 f - (sigma_1/sigma_T) a_T f, (sigma_1/sigma_T)^2 I) (the prior pushed back)."""
    f = np.array([0.5, -0.25, 0.0])
    den = PointDenoiser(f, "linear:1e-4,0.02")
    x = Q256.grid()[[[140, 90, 128], [200, 30, 1]]]
    est = likelihood(den, x, route="ode", quantisation=Q256, rng=0, num_steps=37)
    y = Q256.dequantise(x, rng=np.random.default_rng(0))
    ab = den.schedule.alpha_bar
    ratio = math.sqrt((1 - ab[1]) / (1 - ab[1000]))
    mean = math.sqrt(ab[1]) * f - ratio * math.sqrt(ab[1000]) * f
    log_p = _log_normal(y, mean, ratio**2 * np.eye(3))
    np.testing.assert_allclose(-est.terms["neg_log_density"], log_p, rtol=1e-10)
    assert est.num_function_evaluations == 2 * 37  # no corrector iterations: nothing moves


def _mixture_log_density(train: np.ndarray, y: np.ndarray, schedule: Schedule) -> np.ndarray:
    """ln of the exact model's step-1 marginal: (1/N) sum_k N(y; a_1 f_k, (1 - ab_1) I)."""
    from scipy.special import logsumexp

    ab = schedule.alpha_bar[1]
    sq = ((y[:, None, :] - math.sqrt(ab) * train[None]) ** 2).sum(axis=2)
    d = y.shape[1]
    return (
        logsumexp(-sq / (2 * (1 - ab)), axis=1)
        - math.log(train.shape[0])
        - 0.5 * d * math.log(2 * math.pi * (1 - ab))
    )


def test_ode_of_the_exact_denoiser_is_its_mixture_density():
    """The exact score of N images: the flow's density at step 1 is the mixture
    (1/N) sum_k N(a_1 f_k, sigma_1^2 I), up to the prior's mismatch (ab_T = 2e-9 with this
    schedule: negligible). The stiff solver (bdf, the default for closed forms) at tolerance 1e-8:
    measured 1.2e-6 relative on held-out digits (~25000 nats), 4.8e-6 on training ones."""
    split = load_training_data("digits", heldout=0.1, seed=0)
    q = Quantisation.uniform_levels(17)
    train = split.train[:200]
    den = ExactDenoiser(train, "linear:1e-4,0.04")
    for images in (split.heldout[:3], train[:3]):
        est = likelihood(den, images, route="ode", quantisation=q, rng=0, ode_tolerance=1e-8)
        assert est.settings["solver"] == "bdf" and est.settings["jacobian"] == "exact-data"
        y = q.dequantise(images.reshape(3, -1), rng=np.random.default_rng(0))
        log_p = _mixture_log_density(train.reshape(200, -1), y, den.schedule)
        np.testing.assert_allclose(-est.terms["neg_log_density"], log_p, rtol=2e-5)


def test_grid_solver_reports_where_the_exact_flow_is_too_stiff():
    """On the integer steps the exact model's flow between two training images is too stiff for
    the predictor-corrector: the steps where it did not converge are counted, not hidden."""
    points = np.array([[-1.0], [1.0]])
    den = ExactDenoiser(points, "linear:1e-4,0.02")
    q = Quantisation.uniform_levels(9)
    held = q.grid()[[3, 5]][:, None]  # -0.25, 0.25: between the two training points
    est = likelihood(den, held, route="ode", quantisation=q, rng=0, ode_solver="grid")
    assert est.settings["unconverged_steps"] > 0
    assert np.all(est.terms["unconverged_steps"] > 0)


def test_vlb_bounds_the_true_nll_and_tightens_as_T_grows(rng):
    """Data drawn from a quantised Gaussian law (64 levels; the extreme bins take the tails), so
    the true NLL -ln P(x) is closed form; the GaussianDenoiser of the continuous law. The mean
    bound over 400 images exceeds the mean true NLL (cross-entropy >= entropy, and the bound
    exceeds the model NLL) and decreases with T (schedules scaled so that B_T ~ 10 throughout).
    Measured mean gaps: 6.6, 3.1, 2.1 nats (d = 4, standard errors 0.24, 0.13, 0.08)."""
    q = Quantisation.uniform_levels(64)
    mean, s = 0.1, 0.3
    raw = mean + s * rng.standard_normal((400, 4))
    x = q.grid()[np.clip(np.rint((raw + 1) / q.bin_width), 0, 63).astype(int)]
    lower, upper = q.bin_edges(x)
    true_nll = -np.log(norm.cdf((upper - mean) / s) - norm.cdf((lower - mean) / s)).sum(axis=1)
    gaps = []
    for T in (50, 200, 1000):
        schedule = Schedule.from_string(f"linear:{0.1 / T},{20 / T}", T=T)
        den = GaussianDenoiser(mean, s**2, schedule, image_shape=(4,))
        est = likelihood(den, x, route="vlb", quantisation=q, rng=0)
        gap = est.nll - true_nll
        se = gap.std(ddof=1) / math.sqrt(gap.size)
        assert gap.mean() > 3.29 * se  # z-test, false-alarm rate 0.05%
        gaps.append((gap.mean(), se))
    for (g1, s1), (g2, s2) in itertools.pairwise(gaps):
        assert g1 - g2 > 3.29 * math.hypot(s1, s2)


def test_vlb_of_two_points_matches_the_i_mmse_sum():
    """For u0 uniform on {-1, 1} the bound's diffusion terms are sum_t (snr_{t-1} - snr_t)
    mmse(snr_t) / 2 (the I-MMSE form), with mmse(snr) = 1 - E tanh(snr + sqrt(snr) z) by
    Gauss-Hermite quadrature: 0.6979 nats (ln 2 = 0.6931). 400 draws per term; 3.29 SE."""
    schedule = Schedule.from_string("linear:1e-4,0.02", T=1000)
    z, wz = np.polynomial.hermite_e.hermegauss(200)
    wz = wz / wz.sum()
    ab = schedule.alpha_bar
    snr = ab[1:] / -np.expm1(schedule.log_alpha_bar[1:])
    mmse = np.array([1 - np.sum(wz * np.tanh(r + math.sqrt(r) * z)) for r in snr])
    expected = 0.5 * np.sum((snr[:-1] - snr[1:]) * mmse[1:])
    points = np.array([[-1.0], [1.0]])
    est = likelihood(ExactDenoiser(points, schedule), points, rng=0, num_samples=400)
    assert np.all(np.abs(est.terms["diffusion"] - expected) < 3.29 * est.nll_se)
    assert np.all(est.terms["decoder"] < 1e-12)  # sigma_1 = 0.01 against bins of width 2


def test_exact_denoiser_vlb_of_its_training_images_is_about_ln_n():
    """The exact model is at best uniform over its N training images: the mean bound over all
    of them is at least ln N (Jensen: sum_k P(f_k) <= 1), minus Monte Carlo noise (3.29 standard
    errors). Measured for N = 64 digits, linear schedule, T = 1000: 4.183 +- 0.024 nats against
    ln 64 = 4.159; asserted within 0.15 nats. A held-out digit costs far more: measured at least
    669 bits/dim (mean 2219) against 0.094 for the training digits; asserted 100x."""
    split = load_training_data("digits", heldout=0.1, seed=0)
    train, held = split.train[:64], split.heldout[:8]
    q = Quantisation.uniform_levels(17)
    den = ExactDenoiser(train, "linear:1e-4,0.02")
    est = likelihood(den, train, route="vlb", quantisation=q, rng=0)
    se = est.nll.std(ddof=1) / math.sqrt(64)
    ln_n = math.log(64)
    assert est.nll.mean() >= ln_n - 3.29 * se
    assert est.nll.mean() - ln_n < 0.15
    out = likelihood(den, held, route="vlb", quantisation=q, rng=0)
    assert out.bits_per_dim.min() > 100 * est.bits_per_dim.max()


def test_importance_sampled_vlb_agrees_with_every_term(rng):
    """Importance sampling over t is unbiased: per image, the difference to the all-terms bound
    within 3.29 combined standard errors, for 10 images (a Bonferroni bound on 1% false alarm)."""
    den = GaussianDenoiser(0.0, 0.2, "linear:1e-4,0.02", image_shape=(5,))
    x = Quantisation.uniform_levels(64).grid()[rng.integers(20, 44, size=(10, 5))]
    q = Quantisation.uniform_levels(64)
    full = likelihood(den, x, quantisation=q, rng=0, num_samples=4)
    sampled = likelihood(den, x, quantisation=q, rng=1, timesteps=300)
    z = (sampled.nll - full.nll) / np.hypot(sampled.nll_se, full.nll_se)
    assert np.all(np.abs(z) < 3.29), z
    assert sampled.num_function_evaluations == 300


def test_hutchinson_ode_is_unbiased_for_the_exact_trace_ode(rng):
    """The same trajectory with Hutchinson traces (8 probes): per image within 3.29 of its own
    standard error of the exact-trace value; the mean over images z-tested likewise."""
    mean, cov = _gaussian_law(rng, centred=False)
    x = _quantised_samples(rng, mean, cov, n=12)
    den = FullGaussianDenoiser(mean, cov, "linear:1e-4,0.02")
    exact = likelihood(den, x, route="ode", quantisation=Q256, rng=3, num_steps=100)
    hutch = likelihood(
        den,
        x,
        route="ode",
        quantisation=Q256,
        rng=3,
        num_steps=100,
        divergence="hutchinson",
        num_probes=8,
    )
    np.testing.assert_array_equal(exact.nll_se, 0.0)
    z = (hutch.nll - exact.nll) / hutch.nll_se
    assert np.all(np.abs(z) < 3.29 * 1.5), z  # se from 8 probes: Student t, 7 dof (1.5x wider)
    assert abs(z.sum() / math.sqrt(z.size)) < 3.29 * 1.5


def test_decoder_bin_probability_is_accurate_in_both_tails():
    """ln(Phi(b) - Phi(a)) against scipy.stats.norm where that is accurate, and far out in the
    tails against log Phi of the nearer edge (the bin's mass is dominated by it)."""
    lower = np.array([-np.inf, -0.2, 0.1, 30.0, -np.inf, -40.0])
    upper = np.array([0.3, 0.1, np.inf, 30.1, -35.0, -39.9])
    got = _log_gaussian_bin(lower, upper, np.zeros(6), 1.0)
    ref = np.log(norm.cdf(upper[:3]) - norm.cdf(lower[:3]))
    np.testing.assert_allclose(got[:3], ref, rtol=1e-12)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[3], norm.logsf(30.0) + np.log1p(-np.exp(-3.005)), rtol=1e-6)
    np.testing.assert_allclose(got[4], norm.logcdf(-35.0), rtol=1e-12)


def test_same_seed_gives_the_same_bytes():
    den = GaussianDenoiser(0.0, 0.2, "linear:1e-4,0.02", image_shape=(3,))
    x = Quantisation.uniform_levels(17).grid()[[[3, 8, 9], [1, 16, 0]]]
    for route in ("vlb", "ode"):
        a = likelihood(den, x, route=route, rng=5, num_steps=20 if route == "ode" else None)
        b = likelihood(den, x, route=route, rng=5, num_steps=20 if route == "ode" else None)
        assert a.nll.tobytes() == b.nll.tobytes()


def test_bad_input_is_refused_before_computing():
    den = GaussianDenoiser(0.0, 0.2, "linear:1e-4,0.02", image_shape=(3,))
    x = Quantisation.uniform_levels(17).grid()[[[3, 8, 9]]]
    with pytest.raises(ValueError, match="`route` must be one of 'vlb', 'ode'"):
        likelihood(den, x, route="elbo")
    with pytest.raises(ValueError, match=r"`data` must have shape \(num_images, 3\)"):
        likelihood(den, x.reshape(3, 1))
    with pytest.raises(QuantisationError, match="`data` must lie on the grid"):
        likelihood(den, x + 0.01, quantisation=Quantisation.uniform_levels(17))
    with pytest.raises(ValueError, match=r"`start_step` must be an integer in 1\.\.T-1"):
        likelihood(den, x, route="ode", start_step=0)
    with pytest.raises(ValueError, match="`timesteps` must be at least 2"):
        likelihood(den, x, timesteps=1)
    with pytest.raises(ValueError, match="`variance` must be one of"):
        likelihood(den, x, variance="learned")
    with pytest.raises(ValueError, match="`divergence` must be one of 'exact', 'hutchinson'"):
        likelihood(den, x, route="ode", divergence="skilling")
    with pytest.raises(TypeError, match="`denoiser` must be a Denoiser"):
        likelihood(lambda x, i: x, x)
    with pytest.raises(TypeError, match="`quantisation` must be a Quantisation"):
        likelihood(den, x, quantisation=17)
    with pytest.raises(ValueError, match="`ode_solver` must be one of 'auto', 'grid', 'bdf'"):
        likelihood(den, x, route="ode", ode_solver="rk45")
    with pytest.raises(ValueError, match="`ode_tolerance` must lie in"):
        likelihood(den, x, route="ode", ode_tolerance=0.0)
    with pytest.raises(ValueError, match="needs a denoiser with a closed form at every noise"):
        likelihood(den, x, route="ode", ode_solver="bdf", divergence="hutchinson")
    black_box = FullGaussianDenoiser(np.zeros(3), np.eye(3), "linear:1e-4,0.02")
    with pytest.raises(ValueError, match="got Jacobians by finite-difference"):
        likelihood(black_box, x, route="ode", ode_solver="bdf")
