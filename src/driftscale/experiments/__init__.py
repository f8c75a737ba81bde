"""Experiments: one module per job, each a ``run_*`` function returning a frozen result.

Every result has ``to_dict()`` (the ``--json`` payload of its command) and the arrays that its
figures need; the CLI and a notebook call the same function.

- :mod:`~driftscale.experiments.forward_strip` -- :func:`run_forward_strip`, the forward chain
  (Eq. 4) on one image (``driftscale forward``).
- :mod:`~driftscale.experiments.fig1` -- :func:`run_osmosis`, osmosis (Eq. 26) on one image
  (``driftscale osmosis``), and :func:`run_fig1`, the paper's Fig. 1 (``driftscale compare``).
- :mod:`~driftscale.experiments.properties_run` -- :func:`run_properties`, the scale-space
  properties of Sec. 3.1 measured on data (``driftscale properties``).
- :mod:`~driftscale.experiments.fokker_planck_run` -- :func:`run_fokker_planck`, the
  Fokker-Planck equation (Eq. 24) against the closed form and Monte Carlo
  (``driftscale fokker-planck``).
"""

from driftscale.experiments.fig1 import Fig1Result, OsmosisResult, run_fig1, run_osmosis
from driftscale.experiments.fokker_planck_run import FokkerPlanckResult, run_fokker_planck
from driftscale.experiments.forward_strip import ForwardStripResult, run_forward_strip
from driftscale.experiments.properties_run import PropertiesResult, run_properties

__all__ = [
    "Fig1Result",
    "FokkerPlanckResult",
    "ForwardStripResult",
    "OsmosisResult",
    "PropertiesResult",
    "run_fig1",
    "run_fokker_planck",
    "run_forward_strip",
    "run_osmosis",
    "run_properties",
]
