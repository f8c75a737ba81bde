"""The forward mixture (Eq. 5, 9), GaussianMixture and its free functions: chunked log-density
against the naive broadcast and scipy, sampling against Mixture1D (KS), Monte Carlo against closed
forms and between the Kolchinsky-Tracey bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from driftscale.data import load_digits
from driftscale.distributions.mixture import (
    GaussianMixture,
    _log_density_naive,
    mixture_entropy,
    mixture_entropy_bounds,
    mixture_log_density,
    mixture_relative_entropy,
    sample_mixture,
)
from driftscale.distributions.mixture1d import Mixture1D
from driftscale.estimators.entropy import conditional_entropy, gaussian_kl_to_standard_normal
from driftscale.schedules import Schedule

# |estimate - truth| < Z * stderr: two-sided false-alarm rate 6.3e-5 per comparison.
Z = 4.0


@pytest.fixture(scope="module")
def digits_unit():
    return load_digits().scaled("unit").reshape(1797, -1)


@pytest.mark.parametrize("block_entries", [4_000_000, 97, 1])
def test_chunked_log_density_matches_naive(rng, block_entries):
    data = rng.standard_normal((40, 6))
    x = sample_mixture(data, 0.7, 25, rng=rng)
    # same formula, different summation order: agreement to rounding
    np.testing.assert_allclose(
        mixture_log_density(x, data, 0.7, block_entries=block_entries),
        _log_density_naive(x, data, 0.7),
        rtol=1e-11,
        atol=1e-9,
    )


def test_log_density_of_two_components_matches_scipy(rng):
    data = rng.standard_normal((2, 3))
    ab = 0.4
    x = rng.standard_normal((10, 3))
    comps = [stats.multivariate_normal(math.sqrt(ab) * f, (1 - ab) * np.eye(3)) for f in data]
    ref = np.log(0.5 * comps[0].pdf(x) + 0.5 * comps[1].pdf(x))
    np.testing.assert_allclose(mixture_log_density(x, data, ab), ref, rtol=1e-12)


def test_single_image_mixture_equals_conditional_entropy(rng):
    # with N = 1 the marginal is one Gaussian: H(U_i) = H(U_i | U_0) = n/2 ln(2 pi e (1 - ab))
    sched = Schedule.from_string("constant:0.02")
    f = rng.uniform(-1, 1, size=(1, 16))
    for i in (1, 20, 300):
        ab = sched.alpha_bar[i]
        est = mixture_entropy(f, ab, num_samples=3000, rng=rng)
        truth = conditional_entropy(sched, i, n=16)[0]
        assert abs(est.value - truth) < Z * est.stderr
        b = mixture_entropy_bounds(f, ab)
        # every bound is exact for one component
        for v in (b.lower_bhattacharyya, b.upper_kl, b.lower_conditional, b.upper_gaussian):
            assert v == pytest.approx(truth, rel=1e-12, abs=1e-12)
        kl = mixture_relative_entropy(f, ab, num_samples=3000, rng=rng)
        ref = gaussian_kl_to_standard_normal(math.sqrt(ab) * f[0], (1 - ab) * np.eye(16))
        assert abs(kl.value - ref) < Z * kl.stderr + 1e-12


@pytest.mark.parametrize("i", [1, 5, 20, 100])
def test_digits_entropy_lies_between_kolchinsky_tracey_bounds(digits_unit, i):
    # n = 64: at i = 1 the mixture is very peaked (s^2 = 0.02); the log-density is exact, so the
    # estimate stays finite and lies between the pairwise bounds within its sampling error
    ab = Schedule.from_string("constant:0.02").alpha_bar[i]
    est = mixture_entropy(digits_unit, ab, num_samples=1500, rng=i)
    b = mixture_entropy_bounds(digits_unit, ab)
    assert np.isfinite(est.value) and est.stderr < 0.2
    assert b.lower_conditional <= b.lower_bhattacharyya <= b.upper_kl + 1e-9
    assert b.lower_bhattacharyya - Z * est.stderr <= est.value <= b.upper_kl + Z * est.stderr
    assert est.value <= b.upper_gaussian + Z * est.stderr


def test_relative_entropy_is_nonnegative_and_decreasing_on_digits(digits_unit):
    # data-processing inequality: KL(p_i || N(0, I)) >= 0 and never increases along the chain
    sched = Schedule.from_string("constant:0.02")
    values = []
    for i in (5, 50, 300):
        kl = mixture_relative_entropy(digits_unit, sched.alpha_bar[i], num_samples=800, rng=1)
        assert kl.value > -Z * kl.stderr
        values.append(kl.value)
    assert values[0] > values[1] > values[2]


def test_mixture_errors(rng):
    data = rng.standard_normal((5, 3))
    with pytest.raises(ValueError, match=r"`alpha_bar` must lie in \[0, 1\).*no density"):
        mixture_entropy(data, 1.0)
    with pytest.raises(ValueError, match="`x` must have n = 3 entries"):
        mixture_log_density(np.zeros((2, 4)), data, 0.5)
    with pytest.raises(ValueError, match="`data` must be a stack of N images"):
        mixture_entropy(np.zeros(3), 0.5)
    with pytest.raises(ValueError, match="`data` must hold finite values"):
        mixture_entropy(np.full((2, 3), np.nan), 0.5)
    with pytest.raises(ValueError, match="`num_samples` must be at least 2"):
        mixture_entropy(data, 0.5, num_samples=1)
    with pytest.raises(ValueError, match="`data` must not be empty"):
        mixture_entropy(np.zeros((0, 3)), 0.5)


# -- GaussianMixture ----------------------------------------------------------------------------
def test_free_functions_delegate_to_the_class(rng):
    data = rng.standard_normal((30, 4, 3))
    p = GaussianMixture(data, 0.6, block_entries=50)
    x = p.sample(40, rng=1)
    assert x.shape == (40, 4, 3) and x.dtype == np.float64
    np.testing.assert_array_equal(sample_mixture(data, 0.6, 40, rng=1), x.reshape(40, -1))
    # image-shaped and flat points give the same log-density; the free function the same bytes
    flat = x.reshape(40, -1)
    np.testing.assert_array_equal(p.log_density(x), p.log_density(flat))
    np.testing.assert_array_equal(
        p.log_density(x), mixture_log_density(x, data, 0.6, block_entries=50)
    )
    q = GaussianMixture(data, 0.6)  # the default blocks of the free functions
    assert q.entropy(300, rng=2) == mixture_entropy(data, 0.6, num_samples=300, rng=2)
    assert q.relative_entropy(samples=x) == mixture_relative_entropy(data, 0.6, samples=x)
    assert q.entropy_bounds() == mixture_entropy_bounds(data, 0.6)
    assert (p.dim, p.num_components, p.event_shape) == (12, 30, (4, 3))


def test_one_dimensional_mixture_matches_mixture1d(rng):
    # the same distribution built two ways: N point masses f_k diffused by Eq. (5) in Mixture1D
    f = rng.uniform(-2, 2, size=(5, 1))
    ab = 0.35
    p = GaussianMixture(f, ab)
    ref = Mixture1D(means=tuple(f[:, 0]), stds=(0.0,)).diffused(ab)
    x = np.linspace(-4, 4, 81)
    np.testing.assert_allclose(np.exp(p.log_density(x[:, None])), ref.pdf(x), rtol=1e-12)
    # sampling: KS test against the closed-form cdf at level 1e-3 (false-alarm rate 0.1 %)
    assert stats.kstest(p.sample(5000, rng=rng)[:, 0], ref.cdf).pvalue > 1e-3


def test_at_step_uses_the_schedule_and_keeps_the_data_unchanged(rng):
    sched = Schedule.from_string("linear:1e-4,0.02")
    data = rng.standard_normal((6, 2, 2))
    before = data.copy()
    p = GaussianMixture.at_step(data, sched, 40)
    assert p.alpha_bar == sched.alpha_bar[40] and p.variance == 1.0 - sched.alpha_bar[40]
    assert GaussianMixture.at_step(data, "linear:1e-4,0.02", 40).alpha_bar == p.alpha_bar
    # a read-only view of the caller's array: no copy, and the caller's array stays writeable
    assert np.shares_memory(p.data, data) and not p.data.flags.writeable
    assert data.flags.writeable
    p.log_density(p.sample(3, rng=0))
    np.testing.assert_array_equal(data, before)
    with pytest.raises(ValueError, match="`i` must be at least 1"):
        GaussianMixture.at_step(data, sched, 0)
    with pytest.raises(ValueError, match="must not exceed the schedule's T = 1000"):
        GaussianMixture.at_step(data, sched, 1001)


def test_gaussian_mixture_errors(rng):
    data = rng.standard_normal((5, 3))
    with pytest.raises(ValueError, match="`block_entries` must be a positive integer"):
        GaussianMixture(data, 0.5, block_entries=0)
    with pytest.raises(ValueError, match="`num_samples` must be at least 2"):
        GaussianMixture(data, 0.5).relative_entropy(1)
    with pytest.raises(ValueError, match="`samples` must have n = 3 entries"):
        GaussianMixture(data, 0.5).entropy(samples=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"`alpha_bar` must lie in \[0, 1\)"):
        GaussianMixture(data, -0.1)
