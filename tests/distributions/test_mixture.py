"""Forward-mixture entropy (Eq. 5, 9): chunked log-density against the naive broadcast and scipy,
Monte Carlo against closed forms and between the Kolchinsky-Tracey bounds, and the energy-distance
two-sample test (level and power)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import cdist

from driftscale.data import load_digits
from driftscale.distributions.mixture import (
    _log_density_naive,
    mixture_entropy,
    mixture_entropy_bounds,
    mixture_log_density,
    mixture_relative_entropy,
    sample_mixture,
)
from driftscale.estimators.entropy import conditional_entropy, gaussian_kl_to_standard_normal
from driftscale.estimators.two_sample import energy_test
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


# -- two-sample test ----------------------------------------------------------------------------
def test_energy_statistic_matches_cdist(rng):
    x, y = rng.standard_normal((30, 3)), rng.standard_normal((20, 3)) + 0.5
    ref = 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()
    assert energy_test(x, y, rng=0).statistic == pytest.approx(ref, rel=1e-10)


def test_energy_test_level_under_the_null(rng):
    # 100 null tests at level 0.05: rejections ~ Binomial(100, 0.05) if the p-value is valid;
    # P(X >= 13) = 1.1e-3 is the false-alarm rate of this check
    rejections = sum(
        energy_test(
            rng.standard_normal((40, 4)), rng.standard_normal((40, 4)), level=0.05, rng=rng
        ).reject
        for _ in range(100)
    )
    assert rejections <= 12


def test_energy_test_has_power(rng):
    x, y = rng.standard_normal((60, 8)), rng.standard_normal((60, 8))
    assert energy_test(x, y + 0.6, rng=1).reject  # mean shift of norm 1.7
    assert energy_test(x, 1.6 * y, rng=1).reject  # variance change


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (np.zeros((3, 2)), np.zeros((10, 2)), {}, "`x` must hold at least 5 samples"),
        (np.zeros((10, 2)), np.zeros((10, 3)), {}, "same number of entries"),
        (np.zeros((10, 2)), np.zeros((10, 2)), {"level": 1.5}, "`level` must lie in"),
        (np.zeros((10, 2)), np.zeros((10, 2)), {"num_permutations": 20}, "cannot reach p-values"),
    ],
)
def test_energy_test_errors(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        energy_test(x, y, **kwargs)


@settings(max_examples=25, deadline=None)
@given(
    shift=st.floats(-50, 50),
    m=st.integers(5, 30),
    k=st.integers(5, 30),
    seed=st.integers(0, 2**16),
)
def test_energy_test_invariants(shift, m, k, seed):
    # the energy distance is a V-statistic of a conditionally negative definite kernel: >= 0;
    # it is invariant under a common translation; p-values lie in [1/(B+1), 1]
    g = np.random.default_rng(seed)
    x, y = g.standard_normal((m, 2)), g.standard_normal((k, 2))
    a = energy_test(x, y, rng=0)
    b = energy_test(x + shift, y + shift, rng=0)
    assert a.statistic >= -1e-12
    assert b.statistic == pytest.approx(a.statistic, rel=1e-6, abs=1e-9)
    assert 1 / 200 <= a.p_value <= 1.0
