"""Figures: every function returns a matplotlib ``Figure`` and never writes files or shows it.

- :mod:`driftscale.figures.strips` -- film strips of trajectories (the paper's Fig. 1).
"""

from driftscale.figures.strips import StripRow, film_strip, strip_grid

__all__ = ["StripRow", "film_strip", "strip_grid"]
