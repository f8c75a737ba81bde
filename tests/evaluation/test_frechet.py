"""Frechet distance: Gaussian closed forms, symmetry, zero for equal sets; classifier features."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from driftscale.evaluation.frechet import classifier_features, frechet_distance


def test_one_dimensional_closed_form(rng):
    x = rng.normal(1.0, 2.0, (500, 1))
    y = rng.normal(-0.5, 0.5, (400, 1))
    # 1-D: d^2 = (m1 - m2)^2 + (s1 - s2)^2 with the sample moments (ddof 1)
    ref = (x.mean() - y.mean()) ** 2 + (x.std(ddof=1) - y.std(ddof=1)) ** 2
    assert frechet_distance(x, y) == pytest.approx(ref, rel=1e-10)  # float64 rounding only


def test_matches_sqrtm_formula_and_is_symmetric(rng):
    x = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 5))
    y = rng.standard_normal((200, 5)) + 0.3
    sa, sb = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    mu = x.mean(0) - y.mean(0)
    ref = mu @ mu + np.trace(sa + sb - 2 * np.real(scipy.linalg.sqrtm(sa @ sb)))
    # a reference computed another way (scipy's sqrtm of the product; full-rank here)
    assert frechet_distance(x, y) == pytest.approx(ref, rel=1e-9)
    assert frechet_distance(y, x) == pytest.approx(frechet_distance(x, y), rel=1e-9)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)  # eigenvalue rounding of tr


def test_bad_input():
    with pytest.raises(ValueError, match=r"`x` must hold at least 2 samples"):
        frechet_distance(np.zeros((1, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"same dimension, got 3 and 2"):
        frechet_distance(np.zeros((4, 3)), np.zeros((4, 2)))


def test_classifier_features_separate_digits():
    from driftscale.data import load_split

    d = load_split("digits", heldout=0.1, seed=0)
    f = classifier_features(d.train, d.train_labels, check=(d.heldout, d.heldout_labels))
    # 10 classes: chance is 10%; a one-hidden-layer MLP reaches > 90% on held-out 8x8 digits
    assert f.accuracy > 0.9
    assert f(d.heldout).shape == (d.heldout.shape[0], 64)
    with pytest.raises(ValueError, match=r"`labels` must have shape \(10,\)"):
        classifier_features(d.train[:10], d.train_labels[:9])
    with pytest.raises(ValueError, match=r"`images` must have 64 values each"):
        f(np.zeros((2, 4, 4)))
