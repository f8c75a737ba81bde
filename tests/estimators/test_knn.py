"""The Kozachenko-Leonenko k-NN entropy estimator (estimators/knn.py) against scipy's spacing
estimator and Gaussian closed forms, its exact scale equivariance, and named errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from driftscale.estimators.entropy import gaussian_entropy
from driftscale.estimators.knn import knn_entropy

# |estimate - truth| < Z * stderr: two-sided false-alarm rate 6.3e-5 per comparison under a
# normal approximation of the mean (the seeds are fixed anyway).
Z = 4.0


def _random_cov(rng, n):
    a = rng.standard_normal((n, n))
    return a @ a.T / n + 0.5 * np.eye(n)


def test_knn_agrees_with_scipy_in_1d(rng):
    x = rng.standard_normal(5000) * 2.0
    ours = knn_entropy(x)
    ref = stats.differential_entropy(x)  # Vasicek spacing estimator on the same sample
    truth = 0.5 * math.log(2 * math.pi * math.e * 4.0)
    # two consistent estimators on one sample differ by much less than one sampling error each
    assert abs(ours.value - ref) < Z * ours.stderr
    assert abs(ours.value - truth) < Z * ours.stderr


@pytest.mark.parametrize("n", [2, 3, 5])
def test_knn_matches_gaussian_closed_form(rng, n):
    cov = _random_cov(rng, n)
    x = rng.multivariate_normal(np.zeros(n), cov, size=4000)
    est = knn_entropy(x, k=3)
    # bias of the KL estimator for a 5-D Gaussian at M = 4000 is ~0.02 nats (Kraskov et al.
    # 2004, Fig. 3), well below Z * stderr ~ 0.1 here
    assert abs(est.value - gaussian_entropy(cov)) < Z * est.stderr


def test_knn_is_scale_equivariant(rng):
    x = rng.standard_normal((500, 4))
    # H(aX) = H(X) + n ln a holds exactly for the estimator (distances scale by a)
    a = 0.37
    assert knn_entropy(a * x).value == pytest.approx(knn_entropy(x).value + 4 * math.log(a))
    assert knn_entropy(x.reshape(500, 2, 2)).value == knn_entropy(x).value


@pytest.mark.parametrize(
    ("samples", "k", "match"),
    [
        (np.zeros((3, 2)) + np.arange(3)[:, None], 3, "more than k = 3 samples"),
        (np.ones((10, 2)), 1, "duplicates"),
        (np.full((10, 2), np.nan), 1, "finite values"),
    ],
)
def test_knn_errors(samples, k, match):
    with pytest.raises(ValueError, match=match):
        knn_entropy(samples, k=k)
    with pytest.raises(ValueError, match="`k` must be a positive integer"):
        knn_entropy(np.arange(10.0), k=0)
