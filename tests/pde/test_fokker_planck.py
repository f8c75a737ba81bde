"""Fokker-Planck solver (pde/fokker_planck.py): mass, positivity, steady state N(0, 1), closed-form
marginals, measured convergence orders, and the backward equation Eq. (25)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from driftscale.diffusion.sde import VPSDE
from driftscale.pde import FokkerPlanck1D, Grid1D, Mixture1D, refinement_study
from driftscale.schedules import Schedule

SCHEDULE = Schedule.from_string("linear:1e-4,0.02", T=1000)
DATA = Mixture1D(means=(-2.0, 2.0), stds=(0.3,))


@pytest.fixture(scope="module")
def fp():
    return FokkerPlanck1D.from_sde(VPSDE(SCHEDULE), Grid1D(-10.0, 10.0, 400))


@pytest.mark.parametrize("method", ["exact", "implicit", "tr-bdf2"])
def test_mass_is_conserved_to_round_off(fp, method):
    p0 = DATA.cell_averages(fp.grid)
    sol = fp.solve(p0, [0.0, 0.05, 0.2, 1.0], method=method, step_size=0.05)
    # mass h * sum(p) is a sum of 400 terms: round-off of order 400 * eps
    np.testing.assert_allclose(sol.mass, fp.grid.mass(p0), rtol=0, atol=1e-12)
    assert sol.density.dtype == np.float64 and sol.density.shape == (4, 400)


def test_positivity(fp):
    # a spiky start (a point mass in one cell) is the hardest case for positivity
    p0 = np.zeros(400)
    p0[123] = 1.0 / fp.grid.h
    impl = fp.solve(p0, [0.001, 0.01, 0.5], method="implicit", step_size=0.1)
    assert impl.min_density >= 0.0  # (I - dt A)^{-1} of an M-matrix is non-negative: exactly
    exact = fp.solve(p0, [0.001, 0.01, 0.5])
    # exp(sA) >= 0 in exact arithmetic; the eigen route is accepted only when its a-priori
    # round-off bound is below 1e-10 of the result (operator.expm_apply), so that is the bound
    assert exact.min_density >= -1e-10 * exact.density.max()


def test_steady_state_is_standard_normal(fp):
    p0 = DATA.cell_averages(fp.grid)
    sol = fp.solve(p0, [1.0])  # alpha_bar(1) = 4e-5 for DDPM's linear schedule
    gauss = Mixture1D(means=(0.0,), stds=(1.0,)).cell_averages(fp.grid)
    # the remaining distance to N(0,1) is the closed form's (sqrt(alpha_bar) ~ 6e-3 shift of the
    # means) plus the O(h^2) grid error; compare with the closed-form distance, 2e-3 margin
    closed = DATA.diffused(float(SCHEDULE.alpha_bar[-1])).cell_averages(fp.grid)
    assert fp.grid.l1(sol.density[0], gauss) <= fp.grid.l1(closed, gauss) + 2e-3
    # the discrete equilibrium is N(0,1) sampled at the cell centres (SG flux), to round-off
    pi = fp.equilibrium()
    x = fp.grid.centres
    np.testing.assert_allclose(pi, np.exp(-0.5 * x**2) / fp.grid.mass(np.exp(-0.5 * x**2)))
    late = FokkerPlanck1D(fp.grid, drift=lambda x: -0.5 * x).solve(p0, [60.0])
    # after 60 units of OU time the e^{-t/2} decay of the slowest mode is far below round-off
    np.testing.assert_allclose(late.density[0], pi, atol=1e-12)


@pytest.mark.parametrize("step", [50, 200, 600])
def test_matches_closed_form_marginal(fp, step):
    t = SCHEDULE.time(step)
    sol = fp.solve(DATA.cell_averages(fp.grid), [t])
    closed = DATA.diffused(float(SCHEDULE.alpha_bar[step])).cell_averages(fp.grid)
    # second-order scheme: the L1 error is below h^2 = 2.5e-3 (the refinement study gives
    # C h^2 with C ~ 0.25 for this data)
    assert fp.grid.l1(sol.density[0], closed) < fp.grid.h**2
    # the clock is right: exp(-B(i/T)) is Eq. (5)'s alpha_bar at the step
    assert sol.operational_times[0] == pytest.approx(-SCHEDULE.log_alpha_bar[step], rel=1e-12)


def test_measured_convergence_orders():
    study = refinement_study(DATA, SCHEDULE, 200, num_cells=(50, 100, 200, 400))
    # promised: second order in space (SG flux on smooth data), first order in time for
    # backward Euler, second for TR-BDF2; +-0.25 absorbs pre-asymptotic curvature
    assert study.space_order == pytest.approx(2.0, abs=0.25)
    orders = dict(zip(study.time_methods, study.time_orders, strict=True))
    assert orders["implicit"] == pytest.approx(1.0, abs=0.25)
    assert orders["tr-bdf2"] == pytest.approx(2.0, abs=0.25)
    assert np.all(np.diff(study.space_errors) < 0) and np.all(np.diff(study.time_errors) < 0)


def test_stepping_methods_match_dense_expm_in_the_limit():
    grid = Grid1D(-6.0, 6.0, 60)
    fp = FokkerPlanck1D(grid, drift=lambda x: -0.5 * x)
    p0 = DATA.cell_averages(grid)
    ref = scipy.linalg.expm(0.4 * fp.operator.to_sparse().toarray()) @ p0  # Pade reference
    np.testing.assert_allclose(fp.solve(p0, [0.4]).density[0], ref, atol=1e-12)
    coarse = grid.l1(fp.solve(p0, [0.4], method="tr-bdf2", step_size=0.02).density[0], ref)
    fine = grid.l1(fp.solve(p0, [0.4], method="tr-bdf2", step_size=0.01).density[0], ref)
    assert fine < coarse / 3.0  # second order: halving the step divides the error by ~4


def test_backward_equation_against_closed_form_expectation(fp):
    # phi(u) = exp(-(u - c)^2 / (2 s2)); with u_t | u_s = x ~ N(sqrt(a) x, 1 - a), a = ab_t / ab_s:
    # E[phi(u_t) | u_s = x] = sqrt(s2 / (s2 + 1 - a)) exp(-(sqrt(a) x - c)^2 / (2 (s2 + 1 - a)))
    c, s2 = 0.7, 0.5
    x = fp.grid.centres
    t_end, s = 0.4, np.array([0.0, 0.1, 0.3, 0.4])
    sol = fp.backward(lambda u: np.exp(-((u - c) ** 2) / (2 * s2)), t_end, s)
    ab = np.exp(-VPSDE(SCHEDULE).integrated_beta(np.append(s, t_end)))
    inner = np.abs(x) < 4.0  # away from the truncated domain's no-flux boundary
    for k in range(s.size):
        a = ab[-1] / ab[k]
        ref = np.sqrt(s2 / (s2 + 1 - a)) * np.exp(-((np.sqrt(a) * x - c) ** 2) / (2 * (s2 + 1 - a)))
        # second order in h = 0.05: pointwise error well below h^2 = 2.5e-3
        assert np.max(np.abs(sol.density[k] - ref)[inner]) < fp.grid.h**2
    np.testing.assert_array_equal(sol.density[-1], np.exp(-((x - c) ** 2) / (2 * s2)))


@pytest.mark.parametrize("method", ["exact", "implicit", "tr-bdf2"])
def test_backward_is_the_adjoint_of_forward(fp, method):
    # E[phi(u_t)] two ways: h phi . p(t) = h g(0) . p(0), to round-off for every method
    p0 = DATA.cell_averages(fp.grid)
    phi = np.tanh(fp.grid.centres)
    fwd = fp.solve(p0, [0.3], method=method, step_size=0.05).density[0]
    g0 = fp.backward(phi, 0.3, [0.0], method=method, step_size=0.05).density[0]
    assert fp.grid.h * phi @ fwd == pytest.approx(fp.grid.h * g0 @ p0, abs=1e-12)
    ones = fp.backward(np.ones(400), 0.3, [0.0, 0.2], method=method, step_size=0.05)
    np.testing.assert_allclose(ones.density, 1.0, rtol=1e-12)  # constants are preserved


def test_solver_errors(fp):
    p0 = DATA.cell_averages(fp.grid)
    with pytest.raises(ValueError, match="`method` must be one of 'exact', 'implicit'"):
        fp.solve(p0, [0.1], method="euler")
    with pytest.raises(ValueError, match="`p0` must have one value per cell \\(400\\)"):
        fp.solve(p0[:10], [0.1])
    with pytest.raises(ValueError, match="`times` must be sorted"):
        fp.solve(p0, [0.2, 0.1])
    with pytest.raises(ValueError, match="`p0` must hold finite values"):
        fp.solve(np.full(400, np.nan), [0.1])
    with pytest.raises(ValueError, match="`step_size` must be positive"):
        fp.solve(p0, [0.1], method="implicit", step_size=0.0)
    with pytest.raises(ValueError, match="`t` must lie in \\[0, 1\\]"):
        fp.solve(p0, [2.0])
    with pytest.raises(ValueError, match="`final_time` must be finite and at least"):
        fp.backward(np.ones(400), 0.1, [0.2])
    with pytest.raises(ValueError, match="`diffusion` must be positive"):
        FokkerPlanck1D(fp.grid, drift=0.0, diffusion=0.0)
    with pytest.raises(TypeError, match="`integrated_rate` must be a function"):
        FokkerPlanck1D(fp.grid, drift=0.0, integrated_rate=3.0)
    with pytest.raises(TypeError, match="`sde` must be a VPSDE"):
        FokkerPlanck1D.from_sde("linear")
