"""The reverse process (Section 3.2 of Peter 2023; arXiv:2501.17054).

- :mod:`~driftscale.reverse.denoisers` -- the :class:`Denoiser` interface E[u_0 | u_i = x] and the
  closed-form denoisers of a finite data set, one point and Gaussian data.
- :mod:`~driftscale.reverse.samplers` -- :func:`sample` with the DDPM, DDIM, reverse-SDE and
  probability-flow ODE samplers over any :class:`Denoiser`.
- :mod:`~driftscale.reverse.point_law` -- the explicit reverse law for one starting point.
"""

from driftscale.reverse.denoisers import (
    Denoiser,
    DenoiserError,
    ExactDenoiser,
    GaussianDenoiser,
    PointDenoiser,
)
from driftscale.reverse.point_law import PointReverseLaw, reverse_point_law
from driftscale.reverse.samplers import SAMPLERS, SampleResult, sample, time_grid

__all__ = [
    "SAMPLERS",
    "Denoiser",
    "DenoiserError",
    "ExactDenoiser",
    "GaussianDenoiser",
    "PointDenoiser",
    "PointReverseLaw",
    "SampleResult",
    "reverse_point_law",
    "sample",
    "time_grid",
]
