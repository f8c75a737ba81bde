"""Schedules against their defining formulas, Eq. (5) and Eq. (10); parsing and round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftscale.schedules import (
    ArraySchedule,
    Schedule,
    ScheduleError,
    admissibility_bounds,
    entropy_admissibility,
)

SCHEDULES = [
    "constant:0.02",
    "linear:1e-4,0.02",
    "cosine",
    "sigmoid",
    "array:0.1,0.2,0.3",
]


@pytest.mark.parametrize("spec", SCHEDULES)
def test_round_trip_dict_and_string(spec):
    s = Schedule.from_string(spec, T=None)
    assert Schedule.from_dict(s.to_dict()) == s
    assert Schedule.from_string(s.to_string(), T=s.T if s.name != "array" else None) == s


@pytest.mark.parametrize("spec", SCHEDULES)
def test_alpha_bar_is_the_product_of_eq5(spec):
    s = Schedule.from_string(spec)
    assert s.alpha_bar[0] == 1.0 and s.beta[0] == 0.0
    assert s.beta.shape == (s.T + 1,)
    direct = np.cumprod(1.0 - s.beta)
    np.testing.assert_allclose(s.alpha_bar, direct, rtol=1e-12)
    assert np.all(np.diff(s.alpha_bar) < 0)


def test_linear_matches_ddpm_definition():
    s = Schedule.from_string("linear:1e-4,0.02", T=1000)
    np.testing.assert_allclose(s.beta[1:], 1e-4 + (0.02 - 1e-4) * np.arange(1000) / 999, rtol=1e-12)


def test_cosine_matches_closed_form_alpha_bar():
    # Nichol & Dhariwal (2021) Eq. (17): alpha_bar(t) = f(t)/f(0); away from the clipped end the
    # product of (1 - beta) must reproduce it to round-off.
    s = Schedule.from_string("cosine", T=1000)
    t = np.arange(1001) / 1000
    f = np.cos((t + 0.008) / 1.008 * np.pi / 2) ** 2
    np.testing.assert_allclose(s.alpha_bar[:990], (f / f[0])[:990], rtol=1e-10)
    assert s.beta[-1] == pytest.approx(0.999)


def test_sigmoid_is_monotone_between_its_ends():
    s = Schedule.from_string("sigmoid:1e-4,0.02", T=500)
    b = s.beta[1:]
    assert np.all(np.diff(b) > 0) and 1e-4 < b[0] < b[-1] < 0.02
    x = np.linspace(-6, 6, 500)
    np.testing.assert_allclose(b, 1e-4 + (0.02 - 1e-4) / (1 + np.exp(-x)), rtol=1e-12)


def test_constant_T_option_and_jump_coefficients():
    s = Schedule.constant(0.1, T=7)
    assert s.T == 7
    factor, var = s.jump_coefficients(2, 5)
    assert factor == pytest.approx(0.9**1.5) and var == pytest.approx(1 - 0.9**3)


def test_continuous_time_mapping_reproduces_alpha_bar():
    s = Schedule.from_string("linear:1e-4,0.02", T=1000)
    i = np.arange(0, 1001, 37)
    np.testing.assert_allclose(np.exp(-s.integrated_beta(s.time(i))), s.alpha_bar[i], rtol=1e-12)
    # beta(t) integrates to -ln(1 - beta_i) over each step's interval of length 1/T
    assert s.beta_continuous(0.5005) / s.T == pytest.approx(-math.log1p(-s.beta[501]))


def test_eq10_bounds_for_one_pixel_solve_the_quadratic():
    b = admissibility_bounds(1)
    eps = 1 / (2 * math.pi * math.e)
    for beta in (b["lower"], b["upper"]):
        assert beta**2 - beta + eps == pytest.approx(0.0, abs=1e-15)


def test_eq10_in_log_space_does_not_underflow_for_real_images():
    n = 300 * 451 * 3
    b = admissibility_bounds(n)
    assert b["lower"] == 0.0 and b["log_lower"] == pytest.approx(
        -n * math.log(2 * math.pi * math.e)
    )
    assert entropy_admissibility(np.array([1e-300, 0.5]), n).all()
    assert not entropy_admissibility(np.array([1e-3]), 1).any()
    s = Schedule.from_string("constant:0.02")
    assert s.entropy_admissible(64).all()


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("foo", r"Unknown schedule 'foo'\. Known: array, constant, cosine, linear, sigmoid"),
        ("constant:1.5", r"`beta` must lie strictly inside \(0, 1\), got 1.5"),
        ("constant:0", r"`beta` must lie strictly inside \(0, 1\), got 0.0"),
        ("linear:1e-4,x", r"parameters must be numbers"),
        ("constant:0.1,0.2", r"takes at most 1 parameters"),
        ("array", r"needs its betas"),
        ("", r"must be a string such as"),
    ],
)
def test_bad_schedule_strings_are_named(spec, match):
    with pytest.raises(ScheduleError, match=match):
        Schedule.from_string(spec)


def test_bad_T_is_named():
    with pytest.raises(ValueError, match=r"`T` must be a positive integer, got 0"):
        Schedule.constant(0.02, T=0)
    with pytest.raises(ValueError, match=r"`T` must equal len\(betas\)"):
        ArraySchedule(betas=[0.1, 0.2], T=3)


@given(st.floats(min_value=1e-6, max_value=0.999), st.integers(min_value=1, max_value=2000))
def test_constant_schedules_parse_round_trip(beta, T):
    s = Schedule.from_string(f"constant:{beta!r}", T=T)
    assert s.beta[1] == beta and s.T == T
    assert Schedule.from_string(s.to_string(), T=T) == s


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("cosine:-1", r"`s` \(cosine offset\) must lie in \[0, 1\]"),
        ("cosine:0.008,1.5", "`max_beta` must lie strictly inside"),
    ],
)
def test_bad_cosine_parameters_are_named_before_any_numpy_warning(spec, match):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (division by zero) would fail here
        with pytest.raises(ScheduleError, match=match):
            Schedule.from_string(spec)
