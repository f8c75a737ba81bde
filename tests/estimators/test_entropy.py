"""Closed-form entropies (Gaussian, conditional entropy of Prop. 2, EPI bound, Eq. 28), each
against a reference computed another way: scipy, Monte Carlo, analytic identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.distributions.gaussian import IsotropicGaussian
from driftscale.estimators.entropy import (
    conditional_entropy,
    entropy_power_bound,
    gaussian_entropy,
    gaussian_kl_to_standard_normal,
    osmosis_relative_entropy,
)
from driftscale.schedules import Schedule

# Monte-Carlo checks accept |estimate - truth| < Z * stderr: two-sided false-alarm rate 6.3e-5
# per comparison under a normal approximation of the mean (the seeds are fixed anyway).
Z = 4.0


def _random_cov(rng, n):
    a = rng.standard_normal((n, n))
    return a @ a.T / n + 0.5 * np.eye(n)


def test_gaussian_entropy_matches_scipy(rng):
    for n in (1, 3, 10):
        cov = _random_cov(rng, n)
        ref = stats.multivariate_normal(np.zeros(n), cov).entropy()
        # both are 1/2 ln det(2 pi e cov) up to rounding of the determinant
        assert gaussian_entropy(cov) == pytest.approx(ref, rel=1e-12, abs=1e-12)
    assert gaussian_entropy(0.3, dim=7) == pytest.approx(
        IsotropicGaussian((7,), variance=0.3).entropy(), rel=1e-14
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((1.0,), {}, "`dim` is required"),
        ((-1.0,), {"dim": 2}, "`covariance` must be positive"),
        ((np.ones((2, 3)),), {}, "must be square"),
        ((np.ones((2, 2)),), {}, "positive definite"),
        ((np.array([[1.0, np.nan], [0.0, 1.0]]),), {}, "finite values"),
    ],
)
def test_gaussian_entropy_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gaussian_entropy(*args, **kwargs)


def test_conditional_entropy_closed_form_and_eq18_factor():
    sched = Schedule.from_string("linear:1e-4,0.02")
    steps = np.array([1, 2, 10, 100, 1000])
    n = 64
    h = conditional_entropy(sched, steps, n=n)
    for i, value in zip(steps, h, strict=True):
        # the Gaussian p(u_i | u_0) of Eq. (5) has covariance (1 - alpha_bar_i) I
        ref = IsotropicGaussian((n,), variance=1.0 - sched.alpha_bar[i]).entropy()
        assert value == pytest.approx(ref, rel=1e-12)
        # Eq. (18) of the paper: ln((2 pi e)^n (1 - alpha_bar)^n), exactly twice the true value
        paper = n * math.log(2 * math.pi * math.e * (1.0 - sched.alpha_bar[i]))
        assert value == pytest.approx(paper / 2, rel=1e-12)
    assert np.all(np.diff(h) > 0)  # Prop. 2: strictly increasing for every beta in (0, 1)


def test_conditional_entropy_matches_monte_carlo(rng):
    # -E ln p(u_i | u_0) over samples drawn by the forward process itself
    process = ProbabilisticDiffusion("constant:0.02")
    f = rng.uniform(-1, 1, size=(4, 4))
    i, m = 30, 4000
    ab = process.schedule.alpha_bar[i]
    u = process.marginal(np.broadcast_to(f, (m, 4, 4)), i, rng=rng).reshape(m, -1)
    logp = stats.multivariate_normal(np.sqrt(ab) * f.ravel(), (1 - ab) * np.eye(16)).logpdf(u)
    est, se = -logp.mean(), logp.std(ddof=1) / math.sqrt(m)
    assert abs(est - conditional_entropy(process.schedule, i, n=16)[0]) < Z * se


@pytest.mark.parametrize(
    ("steps", "kwargs", "exc", "match"),
    [
        ([0, 1], {"n": 4}, ValueError, "at step 0 the conditional law"),
        ([1, 5000], {"n": 4}, ValueError, "must lie in 1..T = 1000"),
        ([1.5], {"n": 4}, ValueError, "`steps` must be integers"),
        ([1], {"n": 0}, ValueError, "`n` must be a positive integer"),
    ],
)
def test_conditional_entropy_errors(steps, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        conditional_entropy("constant:0.02", steps, **kwargs)
    with pytest.raises(TypeError, match="`schedule` must be a Schedule"):
        conditional_entropy(0.02, [1], n=1)


def test_gaussian_kl_to_standard_normal_matches_sum_of_1d(rng):
    var = rng.uniform(0.2, 3.0, size=5)
    m = rng.standard_normal(5)
    # KL of independent coordinates is the sum of 1-D KLs: 1/2 (var + m^2 - 1 - ln var)
    ref = float(np.sum(0.5 * (var + m**2 - 1 - np.log(var))))
    assert gaussian_kl_to_standard_normal(m, np.diag(var)) == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="`covariance` must have shape"):
        gaussian_kl_to_standard_normal(m, np.eye(3))
    with pytest.raises(ValueError, match="positive definite"):
        gaussian_kl_to_standard_normal(np.zeros(2), np.zeros((2, 2)))


def test_entropy_power_bound_is_attained_by_isotropic_gaussians_and_errors():
    # U ~ N(0, s2 I): sqrt(k) U + sqrt(1 - k) G ~ N(0, (k s2 + 1 - k) I), EPI with equality
    for s2, k in [(0.01, 0.98), (4.0, 0.5), (30.0, 1e-6)]:
        h = gaussian_entropy(s2, dim=64)
        bound = entropy_power_bound(h, k, n=64)
        assert bound == pytest.approx(gaussian_entropy(k * s2 + 1 - k, dim=64), rel=1e-12)
    # keep = 0 forgets U entirely: the bound is H(N(0, I)), even for H(U) = -1e4
    assert entropy_power_bound(-1e4, 0.0, n=2) == pytest.approx(math.log(2 * math.pi * math.e))
    with pytest.raises(ValueError, match=r"`keep` must lie in \[0, 1\]"):
        entropy_power_bound(1.0, 1.5, n=2)


def test_osmosis_relative_entropy_is_minus_kl(rng):
    u = rng.uniform(1, 256, size=(6, 7))
    w = rng.uniform(1, 256, size=(6, 7))
    w *= u.sum() / w.sum()  # equal mass, as along an osmosis evolution
    # for equal mass, L = -sum u ln(u/w) = -mass * KL(u/mass || w/mass) (scipy.stats.entropy)
    mass = u.sum()
    ref = -mass * stats.entropy(u.ravel() / mass, w.ravel() / mass)
    assert osmosis_relative_entropy(u, w) == pytest.approx(ref, rel=1e-10)
    assert osmosis_relative_entropy(u, w) < 0  # Gibbs' inequality
    assert osmosis_relative_entropy(w, w) == 0.0
    stack = osmosis_relative_entropy(np.stack([u, w]), w)
    assert stack.shape == (2,) and stack[0] == pytest.approx(ref, rel=1e-10)


def test_osmosis_relative_entropy_errors():
    with pytest.raises(ValueError, match=r"`u` must be strictly positive.*kind='positive'"):
        osmosis_relative_entropy(np.zeros((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="`u` must have the shape of `w`"):
        osmosis_relative_entropy(np.ones((3, 3)), np.ones((2, 2)))
