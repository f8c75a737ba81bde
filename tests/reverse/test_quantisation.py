"""The quantisation of the data: derived levels, bins, dequantisation and the bits/dim offset."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftscale.data import load_digits
from driftscale.reverse.quantisation import Quantisation, QuantisationError


def test_digits_have_17_levels_raw_and_scaled():
    ds = load_digits()
    raw = Quantisation.from_data(ds.values, data_range=ds.data_range)
    assert (raw.levels, raw.bin_width) == (17, 1.0)
    scaled = Quantisation.from_data(ds.scaled("unit"), data_range=(-1.0, 1.0))
    assert (scaled.levels, scaled.bin_width) == (17, 0.125)


def test_8bit_values_with_missing_levels_still_give_256_levels():
    # only even grey values and 255 present: the grid is still every integer (255 is odd)
    values = np.array([0.0, 2.0, 4.0, 100.0, 255.0])
    q = Quantisation.from_data(values, data_range=(0.0, 255.0))
    assert q.levels == 256
    scaled = Quantisation.from_data(values / 127.5 - 1.0, data_range=(-1.0, 1.0))
    assert scaled.levels == 256
    assert math.isclose(scaled.bin_width, 2.0 / 255.0)


@pytest.mark.parametrize("levels", [17, 256])
def test_bits_offset_is_exact_for_the_uniform_discrete_law(levels, rng):
    """Analytic check: the uniform law over L levels, dequantised, is uniform on a box of side
    L * Delta per dimension, so -ln p(y) = d ln(L Delta) and bits/dim = log2 L exactly."""
    q = Quantisation.uniform_levels(levels)
    d = 64
    x = q.grid()[rng.integers(0, levels, size=(50, d))]
    y = q.dequantise(x, rng=rng)
    lo, hi = q.low - q.bin_width / 2, q.high + q.bin_width / 2
    assert np.all((y >= lo) & (y < hi))  # inside the box where the density is 1 / (L Delta)^d
    neg_log_density = np.full(x.shape[0], d * math.log(levels * q.bin_width))
    np.testing.assert_allclose(q.bits_per_dim(neg_log_density, d), math.log2(levels), rtol=1e-13)


def test_dequantisation_stays_in_each_bin_and_is_uniform(rng):
    q = Quantisation.uniform_levels(17)
    x = np.repeat(q.grid()[None, :], 4000, axis=0)
    y = q.dequantise(x, rng=rng)
    u = (y - x) / q.bin_width + 0.5
    assert np.all((u >= 0) & (u < 1))
    # Kolmogorov-Smirnov against U[0, 1): false-alarm rate 0.1%
    from scipy.stats import kstest

    assert kstest(u.ravel(), "uniform").pvalue > 1e-3


def test_bin_edges_extend_the_outer_bins_to_infinity():
    q = Quantisation.uniform_levels(5)  # -1, -0.5, 0, 0.5, 1
    lower, upper = q.bin_edges(np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(lower, [-np.inf, -0.25, 0.75])
    np.testing.assert_array_equal(upper, [-0.75, 0.25, np.inf])


def test_same_seed_same_bytes():
    q = Quantisation.uniform_levels(17)
    x = q.grid()[None, :]
    assert q.dequantise(x, rng=3).tobytes() == q.dequantise(x, rng=3).tobytes()


def test_off_grid_and_continuous_data_are_refused():
    q = Quantisation.uniform_levels(17)
    with pytest.raises(QuantisationError, match="must lie on the grid of 17 values"):
        q.index(np.array([0.01]))
    with pytest.raises(QuantisationError, match="regular grid"):
        Quantisation.from_data(np.random.default_rng(0).random(100))
    with pytest.raises(QuantisationError, match="at least two distinct values"):
        Quantisation.from_data(np.ones(5))
    with pytest.raises(QuantisationError, match="must contain the data"):
        Quantisation.from_data(np.array([0.0, 2.0]), data_range=(0.0, 1.0))
    with pytest.raises(QuantisationError, match="integer >= 2"):
        Quantisation(levels=1, low=0.0, high=1.0)
