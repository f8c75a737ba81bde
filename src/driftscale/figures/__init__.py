"""Figures: every function returns a matplotlib ``Figure`` and never writes files or shows it.

- :mod:`driftscale.figures.strips` -- film strips of trajectories (the paper's Fig. 1), one frame
  on a given axes.
- :mod:`driftscale.figures.comparison` -- probabilistic diffusion above osmosis (Fig. 1).
- :mod:`driftscale.figures.lyapunov` -- the measured Lyapunov sequences of a property report (all
  panels, or one on a given axes).
- :mod:`driftscale.figures.fokker_planck` -- Fokker-Planck densities against the closed form and
  Monte Carlo (every step, or one on a given axes); convergence orders of a refinement study.
- :mod:`driftscale.figures.samples` -- sample grids, samples beside their nearest training images,
  histograms of the memorisation ratio d1/d2.
"""

from driftscale.figures.comparison import comparison_figure
from driftscale.figures.fokker_planck import convergence_figure, density_panel, density_snapshots
from driftscale.figures.lyapunov import lyapunov_figure, lyapunov_panel
from driftscale.figures.samples import (
    memorisation_rows,
    nearest_neighbour_figure,
    ratio_histogram,
    sample_grid,
)
from driftscale.figures.strips import StripRow, film_strip, show_frame, strip_grid

__all__ = [
    "StripRow",
    "comparison_figure",
    "convergence_figure",
    "density_panel",
    "density_snapshots",
    "film_strip",
    "lyapunov_figure",
    "lyapunov_panel",
    "memorisation_rows",
    "nearest_neighbour_figure",
    "ratio_histogram",
    "sample_grid",
    "show_frame",
    "strip_grid",
]
