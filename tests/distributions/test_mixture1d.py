"""1-D data distributions (distributions/mixture1d.py): closed form, cell averages, sampling, the
closed-form marginal of Eq. (5), and the data-spec parser."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftscale.distributions.mixture1d import Mixture1D, parse_data_spec
from driftscale.pde import Grid1D
from driftscale.pde import Mixture1D as PdeMixture1D


def test_pde_keeps_the_old_import_path():
    from driftscale.pde.grid import Mixture1D as GridMixture1D
    from driftscale.pde.grid import parse_data_spec as grid_parse

    assert PdeMixture1D is Mixture1D and GridMixture1D is Mixture1D
    assert grid_parse is parse_data_spec


def test_mixture_closed_form_and_sampling(rng):
    m = Mixture1D(means=(-1.0, 3.0), stds=(0.5, 2.0), weights=(1.0, 3.0))
    grid = Grid1D(-20.0, 20.0, 4000)
    # cell averages integrate the pdf: midpoint rule is O(h^2) = 1e-4
    np.testing.assert_allclose(m.cell_averages(grid), m.pdf(grid.centres), atol=1e-4)
    x = m.sample(200_000, rng=rng)
    # mean 0.25 * -1 + 0.75 * 3 = 2; std of the sample mean ~ 1.9 / sqrt(2e5) = 0.0043:
    # 5 sigma (false alarm 6e-7)
    assert x.mean() == pytest.approx(2.0, abs=5 * 0.0043)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("gauss:0;1", "`data` must look like 'mixture:-2,2;0.3'"),
        ("mixture:1,2", "2 or 3 ';'-separated lists"),
        ("mixture:a;1", "lists must hold numbers"),
        ("mixture:0,1;1,2,3", "`stds` must have one entry or one per mean"),
        ("mixture:0;-1", "`stds` must be non-negative"),
        ("mixture:0,1;1;1,-1", "`weights` must be 2 non-negative numbers"),
        ("mixture:0,nan;1", "`means` must hold finite values"),
    ],
)
def test_data_spec_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        parse_data_spec(spec)


def test_diffused_marginal_matches_the_chain_in_distribution(rng):
    # Eq. (5) by sampling: sqrt(ab) u0 + sqrt(1 - ab) xi against the closed-form cdf; KS test at
    # level 1e-3 (false-alarm rate 0.1 %, fixed seed)
    m = Mixture1D(means=(-2.0, 1.0), stds=(0.3, 0.0), weights=(1.0, 2.0))
    ab = 0.3
    u0 = m.sample(4000, rng=rng)
    ui = np.sqrt(ab) * u0 + np.sqrt(1 - ab) * rng.standard_normal(u0.size)
    assert stats.kstest(ui, m.diffused(ab).cdf).pvalue > 1e-3


def test_errors():
    with pytest.raises(ValueError, match="`stds` must be positive to evaluate a pdf"):
        Mixture1D.from_values([0.0, 1.0]).pdf(0.5)
    with pytest.raises(ValueError, match="`alpha_bar` must lie in \\[0, 1\\]"):
        parse_data_spec("mixture:0;1").diffused(1.5)
    with pytest.raises(TypeError, match="`grid` must be a Grid1D"):
        Mixture1D(means=(0.0,), stds=(1.0,)).cell_averages(np.linspace(0, 1, 5))
    assert Mixture1D(means=(0.0,), stds=(1.0,)).mass_outside(Grid1D(-8.0, 8.0, 4)) < 1e-14


def test_a_point_mass_on_a_cell_face_is_binned_like_a_histogram():
    # half-open cells [a, b) as numpy.histogram: the closed form and a histogram of samples of
    # point masses sitting exactly on faces (and on the upper boundary) agree to round-off
    grid = Grid1D(-2.0, 2.0, 8)  # faces at -2, -1.5, ..., 2
    m = Mixture1D(means=(-1.0, 0.0, 2.0), stds=(0.0, 0.0, 0.0), weights=(1.0, 2.0, 1.0))
    exact = m.cell_averages(grid)
    hist = grid.histogram(m.sample(4000, rng=0))
    counts = hist * grid.h * 4000
    assert grid.mass(exact) == pytest.approx(1.0, abs=1e-15)
    # the same cells hold the mass: the cells right of -1 and 0, and the last (closed) cell
    assert np.flatnonzero(exact).tolist() == np.flatnonzero(counts).tolist() == [2, 4, 7]
