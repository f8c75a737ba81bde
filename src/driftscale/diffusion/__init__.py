"""Probabilistic diffusion (Sections 2 and 3 of Peter 2023).

- :mod:`~driftscale.diffusion.forward` -- the forward Markov chain, Eq. (3)-(5), trajectories by
  exact semigroup jumps (:class:`ProbabilisticDiffusion`).
- :mod:`~driftscale.diffusion.permutations` -- pixel permutations of Property 4
  (:class:`Permutation`).
"""

from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.diffusion.permutations import Permutation

__all__ = ["Permutation", "ProbabilisticDiffusion"]
