"""VP-SDE and the Feller moments of Eq. (23) (diffusion/sde.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from driftscale.diffusion.sde import VPSDE, feller_moments
from driftscale.schedules import Schedule

SCHEDULES = ["constant:0.02", "linear:1e-4,0.02", "cosine"]


@pytest.mark.parametrize("spec", SCHEDULES)
def test_sde_marginal_is_eq5_at_every_step_and_round_trips(spec):
    sched = Schedule.from_string(spec, T=200)
    sde = VPSDE(sched)
    t = np.arange(201) / 200
    np.testing.assert_allclose(sde.alpha_bar(t), sched.alpha_bar, rtol=1e-12)
    mean, var = sde.marginal_coefficients(t)
    np.testing.assert_allclose(mean**2 + var, 1.0, rtol=1e-12)  # variance preserving
    # schedule -> SDE -> schedule gives the betas back (exp/log round-off only)
    np.testing.assert_allclose(sde.to_schedule().beta, sched.beta, rtol=1e-9, atol=1e-15)
    # beta(t) integrates to B(t): midpoint values times 1/T summed = B(1) exactly (piecewise const)
    mid = (np.arange(200) + 0.5) / 200
    assert sde.beta(mid).sum() / 200 == pytest.approx(float(sde.integrated_beta(1.0)), rel=1e-12)


def test_continuous_linear_sde_discretises_to_ddpm_linear():
    # Song et al.'s beta(t) = 0.1 + 19.9 t is DDPM's linear 1e-4..0.02 for T = 1000: the betas
    # differ by the quadratic term of 1 - e^{-x} (<= 0.02^2 / 2 = 2e-4) plus O(beta_max / T)
    ours = VPSDE(beta_min=0.1, beta_max=20.0).to_schedule(1000).beta[1:]
    ddpm = Schedule.linear(1e-4, 0.02, T=1000).beta[1:]
    np.testing.assert_allclose(ours, ddpm, rtol=0, atol=2e-4 + 0.02 / 1000)
    sde = VPSDE()
    assert float(sde.integrated_beta(1.0)) == pytest.approx(0.1 + 19.9 / 2)
    assert float(sde.drift(2.0, 0.5)) == pytest.approx(-0.5 * (0.1 + 19.9 * 0.5) * 2.0)
    assert float(sde.diffusion(0.0)) == pytest.approx(0.1)


def test_feller_moment_intervals_cover_the_exact_moments():
    sched = Schedule.linear(1e-4, 0.02, T=1000)
    u = np.linspace(-3.0, 3.0, 200)
    fm = feller_moments(sched, 500, u, num_samples=10_000, confidence=0.95, rng=11)
    # each of the 200 independent 95% intervals covers the exact finite-step moment with
    # probability ~0.95: the number that do is Binomial(200, 0.95). Accept the central
    # 99.9% range (false-alarm rate 1e-3 per moment; the normal-approximation intervals of
    # n = 1e4 samples are accurate far beyond that resolution)
    lo, hi = binom.ppf(5e-4, 200, 0.95), binom.isf(5e-4, 200, 0.95)
    for name, frac in fm.coverage().items():
        assert lo <= frac * 200 <= hi, (name, frac)
    assert fm.m1.shape == (200,) and fm.m2_low.dtype == np.float64


@pytest.mark.parametrize("T", [100, 1000, 10000])
def test_finite_step_moments_converge_to_the_sde(T):
    # Eq. (23) is a limit h -> 0: T (sqrt(1 - beta) - 1) u -> -beta(t) u / 2 with relative gap
    # ~ beta / 4, and T (c^2 u^2 + beta) -> beta(t) with gap ~ beta (1 + u^2) / 2; beta ~ 2 / T
    sched = Schedule.constant(2.0 / T, T=T)
    u = np.linspace(-3.0, 3.0, 7)
    fm = feller_moments(sched, T // 2, u, num_samples=2, rng=0)
    beta = 2.0 / T
    nz = u != 0
    assert np.all(np.abs(fm.m1_step[nz] / fm.m1_sde[nz] - 1.0) <= beta)
    assert np.all(np.abs(fm.m2_step / fm.m2_sde - 1.0) <= beta * (1.0 + u**2))


def test_sde_and_feller_errors():
    with pytest.raises(TypeError, match="`schedule` must be a Schedule"):
        VPSDE(schedule=3)
    with pytest.raises(ValueError, match="0 < beta_min <= beta_max"):
        VPSDE(beta_min=0.0)
    with pytest.raises(ValueError, match="`t` must lie in \\[0, 1\\]"):
        VPSDE().beta(1.5)
    with pytest.raises(ValueError, match="`T` must be a positive integer"):
        VPSDE().to_schedule(0)
    sched = Schedule.constant(0.02, T=10)
    with pytest.raises(ValueError, match=r"`step` must be an integer in 1\.\.T = 10"):
        feller_moments(sched, 0, [0.0])
    with pytest.raises(ValueError, match="`num_samples` must be at least 2"):
        feller_moments(sched, 1, [0.0], num_samples=1)
    with pytest.raises(ValueError, match="`confidence` must lie in \\(0, 1\\)"):
        feller_moments(sched, 1, [0.0], confidence=95)
    with pytest.raises(ValueError, match="`u` must hold finite values"):
        feller_moments(sched, 1, [np.nan])
    with pytest.raises(TypeError, match="`schedule` must be a Schedule or a string"):
        feller_moments(0.02, 1, [0.0])
    with pytest.raises(TypeError, match=r"`rng` must be a numpy\.random\.Generator"):
        feller_moments(sched, 1, [0.0], rng="seed")
