r"""The reverse process (Section 3.2 of Peter 2023; arXiv:2501.17054).

- :mod:`~driftscale.reverse.denoisers` -- the :class:`Denoiser` interface E[u_0 | u_i = x] and the
  closed-form denoisers of a finite data set, one point and Gaussian data.
- :mod:`~driftscale.reverse.posterior` -- the DDPM posterior coefficients of
  :math:`q(u_s \mid u_t, u_0)`, the one copy that the samplers and the point law use.
- :mod:`~driftscale.reverse.samplers` -- :func:`sample` with the DDPM, DDIM, reverse-SDE and
  probability-flow ODE samplers (one file per rule, registry :data:`SAMPLERS`) over any
  :class:`Denoiser`.
- :mod:`~driftscale.reverse.point_law` -- the explicit reverse law for one starting point.
- :mod:`~driftscale.reverse.local` -- the local (LS) and equivariant local (ELS) score machines of
  Kamb & Ganguli (arXiv:2412.20292) as denoisers; :mod:`~driftscale.reverse.patch_size` -- their
  patch-size rules and calibration to a network.
- :mod:`~driftscale.reverse.likelihood` -- negative log-likelihood and bits/dim of any denoiser's
  reverse process: the variational bound (:mod:`~driftscale.reverse.variational_bound`, Ho et al.
  2020) and the probability-flow ODE (:mod:`~driftscale.reverse.probability_flow`, Song et al.
  2021) with exact or Hutchinson divergences (:mod:`~driftscale.reverse.divergence`) over the
  data's quantisation (:mod:`~driftscale.reverse.quantisation`).
- :mod:`~driftscale.reverse.smoothed` -- the smoothed exact denoiser (Scarvelis et al.,
  arXiv:2310.12395).
"""

from driftscale.reverse.denoisers import (
    Denoiser,
    DenoiserError,
    ExactDenoiser,
    GaussianDenoiser,
    PointDenoiser,
)
from driftscale.reverse.point_law import PointReverseLaw, reverse_point_law
from driftscale.reverse.posterior import PosteriorCoefficients, posterior_coefficients
from driftscale.reverse.samplers import SAMPLERS, SampleResult, sample, time_grid

__all__ = [
    "SAMPLERS",
    "Denoiser",
    "DenoiserError",
    "ExactDenoiser",
    "GaussianDenoiser",
    "PointDenoiser",
    "PointReverseLaw",
    "PosteriorCoefficients",
    "SampleResult",
    "posterior_coefficients",
    "reverse_point_law",
    "sample",
    "time_grid",
]
