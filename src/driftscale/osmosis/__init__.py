"""Osmosis filtering (Section 4 of Peter 2023): the deterministic drift-diffusion scale-space.

- :mod:`~driftscale.osmosis.operator` -- drift fields on the staggered grid, the canonical drift
  of a positive guidance image (:func:`canonical_drift`), the sparse operator ``A`` of Vogel et
  al. (2013) (:func:`osmosis_operator`) and its symmetric form (:func:`symmetrised_operator`).
- :mod:`~driftscale.osmosis.evolution` -- :class:`Osmosis` (Eq. 26; ``exact``, ``implicit``
  BiCGSTAB as in the paper, ``explicit``).
- :mod:`~driftscale.osmosis.homogeneous` -- :class:`HomogeneousDiffusion` (zero drift), the
  classical reference scale-space.
- :mod:`~driftscale.osmosis.chebyshev` and :mod:`~driftscale.osmosis.expm` -- the exact-in-time
  solvers for ``exp(tA) f``: a Chebyshev expansion with an error bound (short times) and
  shift-and-invert Lanczos with one sparse factorisation per band of times (long times).
- :mod:`~driftscale.osmosis.guidance` -- the positive Gaussian noise guidance of Fig. 1
  (:func:`noise_guidance`, explicit ``offset``).
"""

from driftscale.osmosis.chebyshev import ChebyshevExpm
from driftscale.osmosis.evolution import ConvergenceError, Osmosis
from driftscale.osmosis.expm import ExpmResult, ShiftInvertExpm
from driftscale.osmosis.guidance import DEFAULT_NOISE_OFFSET, noise_guidance
from driftscale.osmosis.homogeneous import HomogeneousDiffusion
from driftscale.osmosis.operator import (
    DriftField,
    canonical_drift,
    explicit_step_bound,
    osmosis_operator,
    symmetrised_operator,
)

__all__ = [
    "DEFAULT_NOISE_OFFSET",
    "ChebyshevExpm",
    "ConvergenceError",
    "DriftField",
    "ExpmResult",
    "HomogeneousDiffusion",
    "Osmosis",
    "ShiftInvertExpm",
    "canonical_drift",
    "explicit_step_bound",
    "noise_guidance",
    "osmosis_operator",
    "symmetrised_operator",
]
