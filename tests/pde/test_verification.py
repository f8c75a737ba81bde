"""PDE vs closed form vs Monte Carlo of the chain (pde/verification.py); the 1-D data
distributions themselves are tested in tests/distributions/test_mixture1d.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftscale.pde import (
    Grid1D,
    Mixture1D,
    compare_fokker_planck,
    convergence_order,
    default_grid,
    parse_data_spec,
)
from driftscale.schedules import Schedule

STEPS = [0, 50, 200, 1000]


@pytest.fixture(scope="module")
def comparison():
    return compare_fokker_planck(
        parse_data_spec("mixture:-2,2;0.3"), "linear:1e-4,0.02", STEPS, num_samples=50_000, rng=7
    )


def test_pde_matches_closed_form_and_monte_carlo(comparison):
    c = comparison
    assert c.pde.shape == c.closed_form.shape == c.monte_carlo.shape == (4, c.grid.num_cells)
    # second-order scheme on h = 0.05: L1 to the closed form below h^2 (see test_fokker_planck)
    assert np.all(c.l1_pde < c.grid.h**2)
    # Monte Carlo: L1 of a histogram of n exact samples changes by at most 2/n when one sample
    # moves, so by McDiarmid P(L1 > E L1 + eps) <= exp(-n eps^2 / 2) = 4.5e-5 for eps = 0.02,
    # n = 5e4; and E L1 <= sum sqrt(q (1 - q) / n) = sqrt(pi/2) * mc_noise (Jensen).
    # False-alarm rate <= 4 * 4.5e-5 over the four steps; fixed seed.
    bound = math.sqrt(math.pi / 2.0) * c.mc_noise + 0.02
    assert np.all(c.l1_monte_carlo <= bound)
    # and the PDE sits as close to the chain's histogram as the closed form does (triangle ineq.)
    assert np.all(c.l1_pde_monte_carlo <= c.l1_monte_carlo + c.l1_pde + 1e-12)
    np.testing.assert_allclose(c.mass, 1.0, atol=1e-12)
    assert c.summary()["steps"] == STEPS and c.alpha_bar[0] == 1.0


def test_monte_carlo_is_seeded():
    data = parse_data_spec("mixture:0;1")
    a = compare_fokker_planck(data, "constant:0.02", [0, 10], num_samples=1000, rng=3)
    b = compare_fokker_planck(data, "constant:0.02", [0, 10], num_samples=1000, rng=3)
    np.testing.assert_array_equal(a.monte_carlo, b.monte_carlo)


def test_image_values_as_initial_distribution(rng):
    values = rng.integers(0, 256, size=(20, 30)) / 127.5 - 1.0  # grey values in [-1, 1]
    data = Mixture1D.from_values(values)
    assert len(data.means) <= 256 and sum(data.weights) == pytest.approx(1.0)
    grid = Grid1D(-6.0, 6.0, 240)
    c = compare_fokker_planck(data, "constant:0.02", [0, 20, 100], grid=grid, num_samples=2000)
    # step 0: the point masses fall into cells, so PDE and closed form are the same histogram
    assert c.l1_pde[0] < 1e-12
    # later the PDE smooths within-cell positions: an O(h) effect at early times, h = 0.05
    assert np.all(c.l1_pde[1:] < grid.h)


def test_convergence_order_on_known_power_law():
    h = np.array([0.4, 0.2, 0.1])
    assert convergence_order(h, 3.0 * h**2) == pytest.approx(2.0, abs=1e-12)
    with pytest.raises(ValueError, match="at least two positive finite values"):
        convergence_order([0.1], [0.2])


def test_default_grid_covers_every_marginal():
    data = parse_data_spec("mixture:-2,5;0.3,2;1,3")
    grid = default_grid(data)
    assert grid.lower == -grid.upper == -(5 + 16)
    assert data.mass_outside(grid) < 1e-14
    assert data.diffused(0.5).mass_outside(grid) < 1e-14


def test_comparison_errors():
    data = parse_data_spec("mixture:0;1")
    with pytest.raises(TypeError, match="`data` must be a Mixture1D"):
        compare_fokker_planck([0.0], "constant:0.02", [0, 1])
    with pytest.raises(ValueError, match="must not exceed the schedule's T = 10"):
        compare_fokker_planck(data, Schedule.constant(0.02, T=10), [0, 20])


def test_figures_return_figures_and_reject_other_input(comparison):
    from matplotlib.figure import Figure

    from driftscale.figures.fokker_planck import convergence_figure, density_snapshots
    from driftscale.pde import refinement_study

    fig = density_snapshots(comparison, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 6  # 4 panels + 2 blank in a 2x3 grid
    study = refinement_study(
        parse_data_spec("mixture:0;0.5"),
        "constant:0.02",
        20,
        num_cells=(40, 80),
        num_time_steps=(2, 4),
    )
    assert isinstance(convergence_figure(study), Figure)
    with pytest.raises(TypeError, match="`comparison` must be a FokkerPlanckComparison"):
        density_snapshots({"pde": []})
    with pytest.raises(TypeError, match="`study` must be a RefinementStudy"):
        convergence_figure(comparison)
