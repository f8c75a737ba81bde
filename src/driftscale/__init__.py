"""driftscale: compute, verify and compare drift-diffusion scale-spaces.

The public API, re-exported from the modules that implement it:

- schedules: :class:`Schedule` and its registered families (Eq. 5, Eq. 10)
- data: :func:`load_image`, :func:`load_dataset`, :func:`load_digits`, :class:`ValueScale`
- probabilistic diffusion: :class:`ProbabilisticDiffusion`, :class:`Permutation`
- the reverse process: :class:`Denoiser`, :class:`ExactDenoiser`, :class:`PointDenoiser`,
  :class:`GaussianDenoiser`, :func:`sample`, :class:`SampleResult`
- memorisation: :func:`memorization_report`, :class:`MemorizationReport`
- distributions: :class:`IsotropicGaussian`
- protocols: :class:`ScaleSpace`, :class:`Distribution`
"""

from driftscale.analysis.memorization import MemorizationReport, memorization_report
from driftscale.data import Dataset, ValueScale, load_dataset, load_digits, load_image, scale
from driftscale.diffusion import (
    Denoiser,
    ExactDenoiser,
    GaussianDenoiser,
    Permutation,
    PointDenoiser,
    ProbabilisticDiffusion,
    SampleResult,
    sample,
)
from driftscale.distributions import IsotropicGaussian
from driftscale.schedules import (
    Schedule,
    ScheduleError,
    admissibility_bounds,
    entropy_admissibility,
)
from driftscale.typing import Distribution, ScaleSpace

__version__ = "0.1.0"

__all__ = [
    "Dataset",
    "Denoiser",
    "Distribution",
    "ExactDenoiser",
    "GaussianDenoiser",
    "IsotropicGaussian",
    "MemorizationReport",
    "Permutation",
    "PointDenoiser",
    "ProbabilisticDiffusion",
    "SampleResult",
    "ScaleSpace",
    "Schedule",
    "ScheduleError",
    "ValueScale",
    "__version__",
    "admissibility_bounds",
    "entropy_admissibility",
    "load_dataset",
    "load_digits",
    "load_image",
    "memorization_report",
    "sample",
    "scale",
]
