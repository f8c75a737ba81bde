"""The forward process of probabilistic diffusion (Sections 2 and 4.1 of Peter 2023).

- :mod:`~driftscale.diffusion.forward` -- the forward Markov chain, Eq. (3)-(5), trajectories by
  exact semigroup jumps (:class:`ProbabilisticDiffusion`).
- :mod:`~driftscale.diffusion.permutations` -- pixel permutations of Property 4
  (:class:`Permutation`).
- :mod:`~driftscale.diffusion.sde` -- the chain as a variance-preserving SDE (Eq. 21-22,
  :class:`VPSDE`) and its per-step Feller moments (:func:`feller_moments`, Eq. 23).

The reverse process is in :mod:`driftscale.reverse`, the learned one in :mod:`driftscale.learned`.
"""

from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.diffusion.permutations import Permutation
from driftscale.diffusion.sde import VPSDE, FellerMoments, feller_moments

__all__ = ["VPSDE", "FellerMoments", "Permutation", "ProbabilisticDiffusion", "feller_moments"]
