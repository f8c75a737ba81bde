"""1-D osmosis (Eq. 27) on the Fokker-Planck core against driftscale.osmosis and a dense expm."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from driftscale.diffusion.sde import VPSDE
from driftscale.pde import FokkerPlanck1D, Grid1D, Mixture1D, osmosis_1d, vp_sde_as_osmosis
from driftscale.pde.osmosis1d import canonical_drift_1d

TIMES = [0.0, 0.5, 5.0, 50.0]


@pytest.fixture
def signals(rng):
    return rng.uniform(1.0, 256.0, 48), rng.uniform(1.0, 256.0, 48)


def _vogel_matrix(v, h):
    # Vogel et al. (2013), written out here independently of the library: flux between i, i+1 is
    # (u_{i+1} - u_i)/h - d (u_i + u_{i+1})/2 with d = 2 (v_{i+1} - v_i) / (h (v_{i+1} + v_i))
    n = v.size
    A = np.zeros((n, n))
    for i in range(n - 1):
        d = 2 * (v[i + 1] - v[i]) / (h * (v[i + 1] + v[i]))
        flux_coeff_left = (-1 / h - d / 2) / h  # d(flux)/du_i, divided by h
        flux_coeff_right = (1 / h - d / 2) / h  # d(flux)/du_{i+1}
        A[i, i] += flux_coeff_left
        A[i, i + 1] += flux_coeff_right
        A[i + 1, i] -= flux_coeff_left
        A[i + 1, i + 1] -= flux_coeff_right
    return A


@pytest.mark.parametrize("h", [1.0, 0.5])
def test_central_flux_is_vogel_osmosis_dense_expm(signals, h):
    f, v = signals
    A = _vogel_matrix(v, h)
    sol = osmosis_1d(f, TIMES, guidance=v, h=h)
    for k, t in enumerate(TIMES):
        ref = scipy.linalg.expm(t * A) @ f  # Pade reference, another route
        # values up to 256: 1e-9 relative is far above both methods' round-off (~1e-13)
        np.testing.assert_allclose(sol.density[k], ref, rtol=1e-9, atol=1e-9)


def test_reproduces_the_osmosis_module_on_a_1d_image(signals):
    from driftscale.osmosis import Osmosis

    f, v = signals
    ours = osmosis_1d(f, TIMES, guidance=v).density
    theirs = Osmosis(guidance=v[None, :]).trajectory(f[None, :], TIMES, method="exact")[:, 0, :]
    # both evaluate exp(tA) f of the same matrix (eigen route vs shift-invert Lanczos with
    # rtol 1e-10): agreement to 1e-8 of the signal's scale
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-8 * f.max())
    np.testing.assert_allclose(
        canonical_drift_1d(v), np.asarray(Osmosis(guidance=v[None, :]).drift.d2)[0], rtol=1e-14
    )


@pytest.mark.parametrize("flux", ["central", "scharfetter-gummel"])
@pytest.mark.parametrize("method", ["exact", "implicit"])
def test_mass_positivity_and_steady_state(signals, flux, method):
    f, v = signals
    sol = osmosis_1d(f, [0.0, 10.0, 1e5], guidance=v, flux=flux, method=method, step_size=50.0)
    # sum conserved to round-off, which accumulates over the implicit steps (2000 here)
    np.testing.assert_allclose(sol.mass, f.sum(), rtol=1e-12 + 1e-14 * sol.num_steps)
    assert sol.min_density > 0  # positive data stay positive
    # Weickert et al.: steady state (mu_f / mu_v) v; at t = 1e5 the slowest mode (rate ~
    # (pi/W)^2 ~ 4e-3) has decayed by e^{-400}
    np.testing.assert_allclose(sol.density[-1], f.sum() / v.sum() * v, rtol=1e-9)


def test_vp_sde_is_osmosis_in_operational_time():
    # Eq. (24) for the VP-SDE divided by beta/2 is Eq. (27) with d = -x: same density at s = B/2
    sde = VPSDE("linear:1e-4,0.02")
    grid = Grid1D(-8.0, 8.0, 200)
    p0 = Mixture1D(means=(-2.0, 2.0), stds=(0.3,)).cell_averages(grid)
    t = np.array([0.1, 0.3])
    fp = FokkerPlanck1D.from_sde(sde, grid).solve(p0, t).density
    osm = vp_sde_as_osmosis(grid).solve(p0, 0.5 * sde.integrated_beta(t)).density
    np.testing.assert_allclose(osm, fp, rtol=0, atol=1e-12)


def test_osmosis_1d_errors(signals):
    f, v = signals
    with pytest.raises(ValueError, match=r"`f` must be strictly positive.*add 1"):
        osmosis_1d(f - 300.0, [1.0], guidance=v)
    with pytest.raises(ValueError, match="`guidance` must be strictly positive"):
        osmosis_1d(f, [1.0], guidance=-v)
    with pytest.raises(ValueError, match="`guidance` must have the shape of `f`"):
        osmosis_1d(f, [1.0], guidance=v[:10])
    with pytest.raises(ValueError, match="`f` must be an array of rank 1"):
        osmosis_1d(f[None, :], [1.0], guidance=v)
    with pytest.raises(ValueError, match="`h` must be positive"):
        osmosis_1d(f, [1.0], guidance=v, h=0.0)
    with pytest.raises(ValueError, match="`flux` must be one of"):
        osmosis_1d(f, [1.0], guidance=v, flux="upwind")
