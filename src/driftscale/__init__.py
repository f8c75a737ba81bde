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
  :func:`noise_guidance`; its steady state :func:`solve_steady_state` and the editing tools
  :func:`remove_shadow`, :func:`clone`, :func:`inpaint`
- the PDE view: :class:`VPSDE`, :class:`FokkerPlanck1D`
- properties: :func:`check_properties`, :class:`PropertyReport`
- distributions: :class:`IsotropicGaussian`
- protocols: :class:`ScaleSpace`, :class:`Distribution`

Names are imported on first access (PEP 562): ``import driftscale`` loads nothing but this index,
and a name loads only the modules it needs, so ``driftscale --help`` starts fast. torch,
matplotlib, typer, scikit-learn and ``scipy.stats`` are never loaded by ``import driftscale``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: The version of driftscale (PEP 440), the ``version`` of its ``pyproject.toml``.
__version__ = "0.1.0"

# public name -> the module that implements it
_EXPORTS: dict[str, str] = {
    "admissibility_bounds": "driftscale.schedules",
    "canonical_drift": "driftscale.osmosis",
    "clone": "driftscale.osmosis",
    "check_properties": "driftscale.properties",
    "Dataset": "driftscale.data",
    "Denoiser": "driftscale.reverse",
    "EquivariantLocalDenoiser": "driftscale.reverse.local",
    "Distribution": "driftscale.typing",
    "entropy_admissibility": "driftscale.schedules",
    "ExactDenoiser": "driftscale.reverse",
    "FokkerPlanck1D": "driftscale.pde",
    "GaussianDenoiser": "driftscale.reverse",
    "HomogeneousDiffusion": "driftscale.osmosis",
    "inpaint": "driftscale.osmosis",
    "IsotropicGaussian": "driftscale.distributions",
    "likelihood": "driftscale.reverse.likelihood",
    "LikelihoodEstimate": "driftscale.reverse.likelihood",
    "load_dataset": "driftscale.data",
    "load_denoiser": "driftscale.learned",
    "load_digits": "driftscale.data",
    "load_faces": "driftscale.data",
    "load_image": "driftscale.data",
    "LocalDenoiser": "driftscale.reverse.local",
    "memorization_report": "driftscale.evaluation.memorization",
    "MemorizationReport": "driftscale.evaluation.memorization",
    "NetworkDenoiser": "driftscale.learned",
    "noise_guidance": "driftscale.osmosis",
    "Osmosis": "driftscale.osmosis",
    "Permutation": "driftscale.diffusion",
    "PointDenoiser": "driftscale.reverse",
    "ProbabilisticDiffusion": "driftscale.diffusion",
    "PropertyReport": "driftscale.properties",
    "Quantisation": "driftscale.reverse.quantisation",
    "remove_shadow": "driftscale.osmosis",
    "run_disjoint_halves": "driftscale.experiments.generalization_run",
    "run_generalization": "driftscale.experiments.generalization_run",
    "sample": "driftscale.reverse",
    "SampleResult": "driftscale.reverse",
    "scale": "driftscale.data",
    "ScaleSpace": "driftscale.typing",
    "Schedule": "driftscale.schedules",
    "ScheduleError": "driftscale.schedules",
    "solve_steady_state": "driftscale.osmosis",
    "SmoothedExactDenoiser": "driftscale.reverse.smoothed",
    "ValueScale": "driftscale.data",
    "VPSDE": "driftscale.diffusion",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'driftscale' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
