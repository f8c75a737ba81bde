"""driftscale: compute, verify and compare drift-diffusion scale-spaces.

The public API, re-exported from the modules that implement it:

- schedules: :class:`Schedule` and its registered families (Eq. 5, Eq. 10)
- data: :func:`load_image`, :func:`load_dataset`, :func:`load_digits`, :class:`ValueScale`
- probabilistic diffusion: :class:`ProbabilisticDiffusion`, :class:`Permutation`
- the reverse process: :class:`Denoiser`, :class:`ExactDenoiser`, :class:`PointDenoiser`,
  :class:`GaussianDenoiser`, :func:`sample`, :class:`SampleResult`; the learned
  :class:`NetworkDenoiser` and :func:`load_denoiser` (PyTorch, imported on first use)
- memorisation: :func:`memorization_report`, :class:`MemorizationReport`
- likelihood: :func:`likelihood` (variational bound and probability-flow ODE, in bits/dim),
  :class:`LikelihoodEstimate`, :class:`Quantisation`
- osmosis: :class:`Osmosis`, :class:`HomogeneousDiffusion`, :func:`canonical_drift`,
  :func:`noise_guidance`
- the PDE view: :class:`VPSDE`, :class:`FokkerPlanck1D`
- properties: :func:`check_properties`, :class:`PropertyReport`
- distributions: :class:`IsotropicGaussian`
- protocols: :class:`ScaleSpace`, :class:`Distribution`
"""

from driftscale.data import Dataset, ValueScale, load_dataset, load_digits, load_image, scale
from driftscale.diffusion import VPSDE, Permutation, ProbabilisticDiffusion
from driftscale.distributions import IsotropicGaussian
from driftscale.evaluation.memorization import MemorizationReport, memorization_report
from driftscale.osmosis import HomogeneousDiffusion, Osmosis, canonical_drift, noise_guidance
from driftscale.pde import FokkerPlanck1D
from driftscale.properties import PropertyReport, check_properties
from driftscale.reverse import (
    Denoiser,
    ExactDenoiser,
    GaussianDenoiser,
    PointDenoiser,
    SampleResult,
    sample,
)
from driftscale.reverse.likelihood import LikelihoodEstimate, likelihood
from driftscale.reverse.quantisation import Quantisation
from driftscale.schedules import (
    Schedule,
    ScheduleError,
    admissibility_bounds,
    entropy_admissibility,
)
from driftscale.typing import Distribution, ScaleSpace

__version__ = "0.1.0"

__all__ = [
    "VPSDE",
    "Dataset",
    "Denoiser",
    "Distribution",
    "ExactDenoiser",
    "FokkerPlanck1D",
    "GaussianDenoiser",
    "HomogeneousDiffusion",
    "IsotropicGaussian",
    "LikelihoodEstimate",
    "MemorizationReport",
    "NetworkDenoiser",
    "Osmosis",
    "Permutation",
    "PointDenoiser",
    "ProbabilisticDiffusion",
    "PropertyReport",
    "Quantisation",
    "SampleResult",
    "ScaleSpace",
    "Schedule",
    "ScheduleError",
    "ValueScale",
    "__version__",
    "admissibility_bounds",
    "canonical_drift",
    "check_properties",
    "entropy_admissibility",
    "likelihood",
    "load_dataset",
    "load_denoiser",
    "load_digits",
    "load_image",
    "memorization_report",
    "noise_guidance",
    "sample",
    "scale",
]


def __getattr__(name: str) -> object:
    # The learned denoiser needs torch; it is imported on first access only.
    if name in ("NetworkDenoiser", "load_denoiser"):
        from driftscale import learned

        return getattr(learned, name)
    raise AttributeError(f"module 'driftscale' has no attribute {name!r}")
