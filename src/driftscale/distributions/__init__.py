"""Distributions that the scale-spaces start from, pass through and converge to.

- :mod:`~driftscale.distributions.gaussian` -- :class:`IsotropicGaussian`, the steady state of
  probabilistic diffusion (Prop. 4 of Peter 2023).
- :mod:`~driftscale.distributions.mixture` -- :class:`GaussianMixture`, the forward marginal of a
  finite data set (Eq. 5): exact log-density, sampling, Monte-Carlo entropy (Eq. 9) and KL to
  N(0, I), and the Kolchinsky-Tracey bounds (also as the free functions ``mixture_*``).
- :mod:`~driftscale.distributions.mixture1d` -- :class:`Mixture1D`, 1-D data distributions
  (Gaussian mixtures, point masses) with the closed-form marginal of Eq. (5), for the
  Fokker-Planck verification.
"""

from driftscale.distributions.estimate import LOG_2PI_E, EntropyEstimate
from driftscale.distributions.gaussian import IsotropicGaussian
from driftscale.distributions.mixture import (
    GaussianMixture,
    MixtureEntropyBounds,
    mixture_entropy,
    mixture_entropy_bounds,
    mixture_log_density,
    mixture_relative_entropy,
    sample_mixture,
)
from driftscale.distributions.mixture1d import Mixture1D

__all__ = [
    "LOG_2PI_E",
    "EntropyEstimate",
    "GaussianMixture",
    "IsotropicGaussian",
    "Mixture1D",
    "MixtureEntropyBounds",
    "mixture_entropy",
    "mixture_entropy_bounds",
    "mixture_log_density",
    "mixture_relative_entropy",
    "sample_mixture",
]
