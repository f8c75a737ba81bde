"""Figures: every function returns a matplotlib ``Figure`` and never writes files or shows it.

- :mod:`driftscale.figures.strips` -- film strips of trajectories (the paper's Fig. 1).
- :mod:`driftscale.figures.samples` -- sample grids, samples beside their nearest training images,
  histograms of the memorisation ratio d1/d2.
"""

from driftscale.figures.samples import nearest_neighbour_figure, ratio_histogram, sample_grid
from driftscale.figures.strips import StripRow, film_strip, strip_grid

__all__ = [
    "StripRow",
    "film_strip",
    "nearest_neighbour_figure",
    "ratio_histogram",
    "sample_grid",
    "strip_grid",
]
