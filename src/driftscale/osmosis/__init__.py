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
- :mod:`~driftscale.osmosis.steady` -- the steady state for any drift field by one sparse solve
  (:func:`solve_steady_state`: pinned-pixel LU or AMG; fixed pixels for local editing).
- :mod:`~driftscale.osmosis.editing` -- osmosis for visual computing: :func:`remove_shadow`,
  :func:`clone` (global / local), :func:`inpaint` from a sparse drift (Weickert et al. 2013).
"""

from driftscale.osmosis.chebyshev import ChebyshevExpm
from driftscale.osmosis.editing import EditResult, clone, inpaint, remove_shadow
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
from driftscale.osmosis.steady import SteadyState, solve_steady_state

__all__ = [
    "DEFAULT_NOISE_OFFSET",
    "ChebyshevExpm",
    "ConvergenceError",
    "DriftField",
    "EditResult",
    "ExpmResult",
    "HomogeneousDiffusion",
    "Osmosis",
    "ShiftInvertExpm",
    "SteadyState",
    "canonical_drift",
    "clone",
    "explicit_step_bound",
    "inpaint",
    "noise_guidance",
    "osmosis_operator",
    "remove_shadow",
    "solve_steady_state",
    "symmetrised_operator",
]
