"""Fokker-Planck figures (Agg backend): one panel per step holding the densities passed (PDE,
closed form, Monte-Carlo histogram), one panel on a given axes, and the convergence plot of a
refinement study drawing its errors."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.figures.fokker_planck import convergence_figure, density_panel, density_snapshots
from driftscale.pde.grid import Grid1D, parse_data_spec
from driftscale.pde.verification import compare_fokker_planck, refinement_study
from driftscale.schedules import Schedule

MIXTURE = parse_data_spec("mixture:-2,2;0.3")
SCHEDULE = Schedule.from_string("linear:1e-4,0.02", T=100)


@pytest.fixture(scope="module")
def comparison():
    grid = Grid1D(-8.0, 8.0, 120)
    return compare_fokker_planck(
        MIXTURE, SCHEDULE, [0, 10, 50, 100], grid=grid, num_samples=2000, rng=0
    )


def test_one_panel_per_step_with_the_densities_passed(comparison):
    c = comparison
    fig = density_snapshots(c, title="fp")
    assert len(fig.axes) == 6  # 4 steps on a 2 x 3 grid
    assert [ax.axison for ax in fig.axes] == [True] * 4 + [False] * 2
    for j, ax in enumerate(fig.axes[:4]):
        closed, pde = ax.lines
        np.testing.assert_array_equal(closed.get_xdata(), c.grid.centres)
        np.testing.assert_array_equal(closed.get_ydata(), c.closed_form[j])
        np.testing.assert_array_equal(pde.get_ydata(), c.pde[j])
        (stairs,) = ax.patches
        np.testing.assert_array_equal(stairs.get_data().values, c.monte_carlo[j])
        assert ax.get_title().startswith(f"i = {int(c.steps[j])}, ")
    assert fig.axes[0].get_legend() is not None and fig.get_suptitle() == "fp"


def test_one_panel_on_the_axes_given(comparison):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert density_panel(comparison, 2, xlim=(-3.0, 3.0), ax=ax) is fig
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), comparison.pde[2])
    assert ax.get_xlim() == (-3.0, 3.0)
    with pytest.raises(ValueError, match="`index` must be below the 4 steps"):
        density_panel(comparison, 4)
    with pytest.raises(TypeError, match="`comparison` must be a FokkerPlanckComparison"):
        density_snapshots({"pde": []})


def test_convergence_figure_draws_the_errors():
    study = refinement_study(MIXTURE, SCHEDULE, 20, num_cells=(25, 50), num_time_steps=(2, 4))
    fig = convergence_figure(study)
    space, time = fig.axes
    np.testing.assert_array_equal(space.lines[0].get_ydata(), study.space_errors)
    for k in range(len(study.time_methods)):
        np.testing.assert_array_equal(time.lines[k].get_ydata(), study.time_errors[k])
    with pytest.raises(TypeError, match="`study` must be a RefinementStudy"):
        convergence_figure(None)
