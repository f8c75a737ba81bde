"""r^2, cosine similarity and copy fractions on constructed cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.evaluation.generalization import (
    bootstrap_fraction,
    copy_fraction,
    cosine_similarity,
    paired_agreement,
    r_squared,
)


def test_identical_samples_agree_perfectly(rng):
    a = rng.standard_normal((20, 8, 8))
    agree = paired_agreement(a, a.copy())
    np.testing.assert_allclose(agree.r2, 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(agree.cosine, 1.0, rtol=0, atol=1e-15)
    assert agree.summary()["r2"]["median"] == pytest.approx(1.0, abs=1e-15)


def test_independent_samples_closed_forms(rng):
    # independent N(0, I) images of n = 4096 pixels:
    # cosine = a.b / (|a||b|) ~ N(0, 1/n): |cos| < 5/sqrt(n) fails with probability 6e-7 a
    # pair (1e-4 for the 200 pairs); r^2 = 1 - |b - a|^2 / |a - mean a|^2 -> 1 - 2 = -1, with
    # standard deviation about sqrt(8/n) = 0.044 per pair (delta method): its median over 200
    # pairs (standard error about 0.004) lies within 0.03 of -1
    n = 4096
    a, b = rng.standard_normal((2, 200, 64, 64))
    cos = cosine_similarity(a, b)
    assert np.abs(cos).max() < 5 / np.sqrt(n)
    assert abs(np.median(cos)) < 1 / np.sqrt(n)
    assert np.median(r_squared(a, b)) == pytest.approx(-1.0, abs=0.03)


def test_r2_reference_values(rng):
    a = rng.standard_normal((5, 16))
    mean_image = np.broadcast_to(a.mean(axis=1, keepdims=True), a.shape)
    np.testing.assert_allclose(r_squared(a, mean_image), 0.0, rtol=0, atol=1e-14)
    # b = 2a: r^2 = 1 - |a|^2 / |a - mean a|^2, by hand
    expected = 1.0 - (a**2).sum(1) / ((a - a.mean(1, keepdims=True)) ** 2).sum(1)
    np.testing.assert_allclose(r_squared(a, 2 * a), expected, rtol=1e-13)
    assert np.isnan(r_squared(np.ones((1, 4)), np.zeros((1, 4))))[0]


def test_centred_cosine_ignores_a_shared_background(rng):
    background = np.full((8, 8), -1.0)
    a = background + 0.1 * rng.standard_normal((50, 8, 8))
    b = background + 0.1 * rng.standard_normal((50, 8, 8))
    assert np.median(cosine_similarity(a, b)) > 0.95  # raw: dominated by the background
    centred = cosine_similarity(a, b, center=background)
    assert abs(np.median(centred)) < 0.2  # independent once the background is removed
    assert paired_agreement(a, b, center=background).summary()["cosine_centered"]


def test_bootstrap_fraction_matches_the_normal_interval(rng):
    mask = np.arange(400) < 200  # p = 0.5, n = 400: normal interval 0.5 +- 1.96 * 0.025
    cf = bootstrap_fraction(mask, rng=rng, num_bootstrap=20000)
    assert cf.fraction == 0.5
    assert cf.low == pytest.approx(0.5 - 0.049, abs=0.006)
    assert cf.high == pytest.approx(0.5 + 0.049, abs=0.006)
    none = bootstrap_fraction(np.zeros(10, dtype=bool), rng=0)
    assert (none.fraction, none.low, none.high) == (0.0, 0.0, 0.0)
    assert cf.to_dict()["ci"] == [cf.low, cf.high]


def test_copy_fraction_of_copies_and_of_new_points(rng):
    train = rng.standard_normal((30, 4, 4))
    copies = train[:10] + 1e-6 * rng.standard_normal((10, 4, 4))
    new = rng.standard_normal((10, 4, 4)) * 3
    cf = copy_fraction(np.concatenate([copies, new]), train, rng=0)
    assert cf.fraction == pytest.approx(0.5)  # the ten copies, not the ten new points
    assert cf.report is not None and cf.report.memorised[:10].all()
    assert cf.low < 0.5 < cf.high


def test_bad_input_is_named(rng):
    with pytest.raises(ValueError, match="same shape"):
        r_squared(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="`mask` must be a non-empty 1-D boolean"):
        bootstrap_fraction(np.array([0, 1]))
    with pytest.raises(ValueError, match="`confidence` must lie in"):
        bootstrap_fraction(np.array([True]), confidence=1.5)
