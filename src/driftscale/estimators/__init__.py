"""Estimators: closed-form entropies, entropy from samples, two-sample tests.

- :mod:`~driftscale.estimators.entropy` -- closed forms: Gaussian entropy, the conditional entropy
  of Prop. 2 (Eq. 18 corrected), KL to N(0, I), the osmosis Lyapunov functional Eq. (28) of
  Peter 2023.
- :mod:`~driftscale.estimators.knn` -- Kozachenko-Leonenko k-NN entropy of arbitrary samples.
- :mod:`~driftscale.estimators.two_sample` -- energy-distance two-sample test (permutation p-value).
"""

from driftscale.estimators.entropy import (
    EntropyEstimate,
    conditional_entropy,
    entropy_power_bound,
    gaussian_entropy,
    gaussian_kl_to_standard_normal,
    osmosis_relative_entropy,
)
from driftscale.estimators.knn import knn_entropy
from driftscale.estimators.two_sample import TwoSampleResult, energy_test

__all__ = [
    "EntropyEstimate",
    "TwoSampleResult",
    "conditional_entropy",
    "energy_test",
    "entropy_power_bound",
    "gaussian_entropy",
    "gaussian_kl_to_standard_normal",
    "knn_entropy",
    "osmosis_relative_entropy",
]
