"""The PDE view of Peter 2023 (Section 3.2, Eq. 23-25; Section 4.1, Eq. 27): one 1-D
drift-diffusion core serving probabilistic diffusion and osmosis.

- :mod:`~driftscale.pde.grid` -- :class:`Grid1D` (cell-centred, truncated domain); re-exports
  :class:`Mixture1D` (1-D data distributions with the closed-form marginal of Eq. 5, defined in
  :mod:`driftscale.distributions.mixture1d`).
- :mod:`~driftscale.pde.operator` -- the conservative finite-volume operator with a
  Scharfetter-Gummel (or central, or cell-average) flux: mass, positivity, exact discrete
  equilibrium.
- :mod:`~driftscale.pde.fokker_planck` -- :class:`FokkerPlanck1D`: forward (Eq. 24) and backward
  (Eq. 25) equations; ``exact``, ``implicit`` (backward Euler) and ``tr-bdf2`` time integration.
- :mod:`~driftscale.pde.osmosis1d` -- 1-D osmosis (Eq. 27) on the same core.
- :mod:`~driftscale.pde.verification` -- PDE vs closed form vs Monte Carlo of the chain, and the
  grid/time refinement study.
"""

from driftscale.pde.fokker_planck import METHODS, FokkerPlanck1D, FokkerPlanckSolution
from driftscale.pde.grid import Grid1D, Mixture1D, parse_data_spec
from driftscale.pde.operator import FLUXES, DriftDiffusionOperator, drift_diffusion_operator
from driftscale.pde.osmosis1d import canonical_drift_1d, osmosis_1d, vp_sde_as_osmosis
from driftscale.pde.verification import (
    FokkerPlanckComparison,
    RefinementStudy,
    compare_fokker_planck,
    convergence_order,
    default_grid,
    refinement_study,
)

__all__ = [
    "FLUXES",
    "METHODS",
    "DriftDiffusionOperator",
    "FokkerPlanck1D",
    "FokkerPlanckComparison",
    "FokkerPlanckSolution",
    "Grid1D",
    "Mixture1D",
    "RefinementStudy",
    "canonical_drift_1d",
    "compare_fokker_planck",
    "convergence_order",
    "default_grid",
    "drift_diffusion_operator",
    "osmosis_1d",
    "parse_data_spec",
    "refinement_study",
    "vp_sde_as_osmosis",
]
