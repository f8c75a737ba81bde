"""Probabilistic diffusion (Sections 2 and 3 of Peter 2023).

- :mod:`~driftscale.diffusion.forward` -- the forward Markov chain, Eq. (3)-(5), trajectories by
  exact semigroup jumps (:class:`ProbabilisticDiffusion`).
- :mod:`~driftscale.diffusion.permutations` -- pixel permutations of Property 4
  (:class:`Permutation`).
- :mod:`~driftscale.diffusion.denoisers` -- the :class:`Denoiser` interface E[u_0 | u_i = x] and
  the exact denoisers of a finite data set, one point and Gaussian data (Section 3.2).
- :mod:`~driftscale.diffusion.samplers` -- :func:`sample` with the DDPM, DDIM, reverse-SDE and
  probability-flow ODE samplers over any :class:`Denoiser`.
- :mod:`~driftscale.diffusion.reverse_point` -- the explicit reverse law for one starting point
  (seed 002).
- :mod:`~driftscale.diffusion.sde` -- the chain as a variance-preserving SDE (Eq. 21-22,
  :class:`VPSDE`) and its per-step Feller moments (:func:`feller_moments`).
"""

from driftscale.diffusion.denoisers import (
    Denoiser,
    DenoiserError,
    ExactDenoiser,
    GaussianDenoiser,
    PointDenoiser,
)
from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.diffusion.permutations import Permutation
from driftscale.diffusion.reverse_point import PointReverseLaw, reverse_point_law
from driftscale.diffusion.samplers import SAMPLERS, SampleResult, sample, time_grid
from driftscale.diffusion.sde import VPSDE, FellerMoments, feller_moments

__all__ = [
    "SAMPLERS",
    "VPSDE",
    "Denoiser",
    "DenoiserError",
    "ExactDenoiser",
    "FellerMoments",
    "GaussianDenoiser",
    "Permutation",
    "PointDenoiser",
    "PointReverseLaw",
    "ProbabilisticDiffusion",
    "SampleResult",
    "feller_moments",
    "reverse_point_law",
    "sample",
    "time_grid",
]
