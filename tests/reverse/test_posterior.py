"""The DDPM posterior coefficients against Bayes' rule written out for the two Gaussians, against
Ho et al.'s one-step variance, and as the one source of the samplers' and point law's values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftscale.reverse.point_law import reverse_point_law
from driftscale.reverse.posterior import (
    PosteriorCoefficients,
    log_alpha_bar_at,
    posterior_coefficients,
)
from driftscale.schedules import Schedule

SPECS = ["constant:0.02", "linear:1e-4,0.02", "cosine", "sigmoid"]
PAIRS = [(1000, 999), (1000, 1), (500, 250), (2, 1), (300, 299.5), (10.25, 3.5)]


def bayes(schedule, t, s):
    """q(u_s | u_t, u_0) from q(u_t | u_s) q(u_s | u_0) (Markov property, Eq. 1 and Eq. 5):
    the product of two Gaussians in u_s, its precision the sum of theirs."""
    ab_t = math.exp(-float(schedule.integrated_beta(t / schedule.T)))
    ab_s = math.exp(-float(schedule.integrated_beta(s / schedule.T)))
    a_ts = ab_t / ab_s  # q(u_t | u_s) = N(sqrt(a_ts) u_s, 1 - a_ts)
    precision = a_ts / (1 - a_ts) + 1 / (1 - ab_s)
    var = 1 / precision
    return var * math.sqrt(ab_s) / (1 - ab_s), var * math.sqrt(a_ts) / (1 - a_ts), var


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize(("t", "s"), PAIRS)
def test_coefficients_are_bayes_rule(spec, t, s):
    schedule = Schedule.from_string(spec)
    post = posterior_coefficients(schedule, t, s)
    c0, ct, var = bayes(schedule, t, s)
    # two algebraic forms of one number; the Bayes form divides by 1 - a_ts, which loses digits
    # when t - s is small (1 - a_ts ~ 1e-4 for one step of linear at t = 1): 1e-9 relative
    np.testing.assert_allclose([post.c0, post.ct, post.variance], [c0, ct, var], rtol=1e-9)
    assert post.delta_B == pytest.approx(-math.log(post.alpha_bar_t / post.alpha_bar_s), rel=1e-12)


@pytest.mark.parametrize("spec", SPECS)
def test_one_step_variance_is_ho_beta_tilde(spec):
    # Ho et al. Eq. (7): beta_tilde_t = (1 - ab_{t-1}) / (1 - ab_t) * beta_t
    schedule = Schedule.from_string(spec)
    ab, beta = schedule.alpha_bar, schedule.beta
    for t in (2, 10, 500, 1000):
        post = posterior_coefficients(schedule, t, t - 1)
        assert post.variance == pytest.approx((1 - ab[t - 1]) / (1 - ab[t]) * beta[t], rel=1e-12)


def test_end_of_the_chain_and_integer_steps():
    schedule = Schedule.from_string("linear:1e-4,0.02")
    post = posterior_coefficients(schedule, 40, 0)  # s = 0: u_0 is known, no noise left
    assert post.variance == 0.0 and post.c0 == 1.0 and post.ct == 0.0
    for i in (0, 1, 17, 1000):  # integer steps read the chain's own ln alpha_bar (Eq. 5)
        assert log_alpha_bar_at(schedule, i) == schedule.log_alpha_bar[i]
        assert log_alpha_bar_at(schedule, float(i)) == schedule.log_alpha_bar[i]
    half = log_alpha_bar_at(schedule, 16.5)  # between steps: the clock is linear
    assert half == pytest.approx(0.5 * (schedule.log_alpha_bar[16] + schedule.log_alpha_bar[17]))


def test_the_point_law_is_the_posterior_with_u0_f():
    schedule = Schedule.from_string("cosine")
    f, y = np.array([0.4, -0.1]), np.array([1.0, 0.5])
    for t, s in PAIRS:
        law = reverse_point_law(f, y, schedule=schedule, t=t, s=s)
        post = posterior_coefficients(schedule, t, s)
        assert (law.factor_f, law.factor_y, law.variance) == (post.c0, post.ct, post.variance)
        np.testing.assert_array_equal(law.mean, post.c0 * f + post.ct * y)


def test_from_log_alpha_bar_is_the_one_formula():
    post = PosteriorCoefficients.from_log_alpha_bar(math.log(0.25), math.log(0.5))
    # alpha_{t|s} = 1/2: c0 = sqrt(1/2) (1/2) / (3/4), ct = sqrt(1/2) (1/2) / (3/4), v = 1/3
    assert post.c0 == pytest.approx(math.sqrt(0.5) * 2 / 3, rel=1e-15)
    assert post.ct == pytest.approx(math.sqrt(0.5) * 2 / 3, rel=1e-15)
    assert post.variance == pytest.approx(1 / 3, rel=1e-15)
