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
- :mod:`~driftscale.diffusion.network` and :mod:`~driftscale.diffusion.training` -- the learned
  denoiser: a U-Net (:class:`UNet`, :class:`NetworkDenoiser`) and its training loop
  (:func:`train`, :func:`load_denoiser`); they need PyTorch and are imported on first use.
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
    "NetworkDenoiser",
    "Permutation",
    "PointDenoiser",
    "PointReverseLaw",
    "ProbabilisticDiffusion",
    "SampleResult",
    "TrainConfig",
    "UNet",
    "UNetConfig",
    "feller_moments",
    "load_denoiser",
    "reverse_point_law",
    "sample",
    "time_grid",
    "train",
]

# The learned denoiser needs torch: imported on first access so `import driftscale` stays light.
_LAZY = {
    "NetworkDenoiser": "driftscale.diffusion.network",
    "UNet": "driftscale.diffusion.network",
    "UNetConfig": "driftscale.diffusion.network",
    "TrainConfig": "driftscale.diffusion.training",
    "load_denoiser": "driftscale.diffusion.training",
    "train": "driftscale.diffusion.training",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'driftscale.diffusion' has no attribute {name!r}")
