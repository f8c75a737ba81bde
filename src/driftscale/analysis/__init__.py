"""Analysis: measure what the paper claims.

- :mod:`~driftscale.analysis.entropy` -- closed forms: Gaussian entropy, the conditional entropy
  of Prop. 2 (Eq. 18 corrected), KL to N(0, I), the osmosis Lyapunov functional Eq. (28).
- :mod:`~driftscale.analysis.mixture` -- the forward marginal of a finite data set (a Gaussian
  mixture, Eq. 5): exact log-density, Monte-Carlo entropy (Eq. 9) and KL to N(0, I), and the
  Kolchinsky-Tracey bounds.
- :mod:`~driftscale.analysis.knn` -- Kozachenko-Leonenko k-NN entropy of arbitrary samples.
- :mod:`~driftscale.analysis.two_sample` -- energy-distance two-sample test (permutation p-value).
- :mod:`~driftscale.analysis.properties` -- :func:`check_properties`, the property engine
  (Properties 1-5, Prop. 1-4, Eq. 28) returning a :class:`PropertyReport`.
- :mod:`~driftscale.analysis.memorization` -- nearest-neighbour memorisation analysis.
"""

from driftscale.analysis._report import (
    PROPERTY_IDS,
    LyapunovSequence,
    PropertyReport,
    PropertyResult,
)
from driftscale.analysis.entropy import (
    EntropyEstimate,
    conditional_entropy,
    gaussian_entropy,
    gaussian_kl_to_standard_normal,
    osmosis_relative_entropy,
)
from driftscale.analysis.knn import knn_entropy
from driftscale.analysis.memorization import MemorizationReport, memorization_report
from driftscale.analysis.mixture import (
    MixtureEntropyBounds,
    mixture_entropy,
    mixture_entropy_bounds,
    mixture_log_density,
    mixture_relative_entropy,
    sample_mixture,
)
from driftscale.analysis.properties import check_properties
from driftscale.analysis.two_sample import TwoSampleResult, energy_test

__all__ = [
    "PROPERTY_IDS",
    "EntropyEstimate",
    "LyapunovSequence",
    "MemorizationReport",
    "MixtureEntropyBounds",
    "PropertyReport",
    "PropertyResult",
    "TwoSampleResult",
    "check_properties",
    "conditional_entropy",
    "energy_test",
    "gaussian_entropy",
    "gaussian_kl_to_standard_normal",
    "knn_entropy",
    "memorization_report",
    "mixture_entropy",
    "mixture_entropy_bounds",
    "mixture_log_density",
    "mixture_relative_entropy",
    "osmosis_relative_entropy",
    "sample_mixture",
]
