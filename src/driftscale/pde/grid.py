r"""Cell-centred 1-D grids for the Fokker-Planck solver.

A :class:`Grid1D` splits the truncated domain ``[lower, upper]`` into ``num_cells`` cells of width
``h``; a density on it is the vector of **cell averages** ``p_i``, so its mass is
:math:`h \sum_i p_i`. The 1-D data distributions of the verification (:class:`Mixture1D`,
:func:`parse_data_spec`) live in :mod:`driftscale.distributions.mixture1d` and are re-exported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._validation import check_array, check_positive_int
from driftscale.distributions.mixture1d import Mixture1D, parse_data_spec
from driftscale.typing import FloatArray

__all__ = ["Grid1D", "Mixture1D", "parse_data_spec"]


@dataclass(frozen=True)
class Grid1D:
    """``num_cells`` equal cells on ``[lower, upper]``: centres ``x_i``, faces, width ``h``.

    Examples
    --------
    >>> g = Grid1D(-1.0, 1.0, 4)
    >>> g.h, g.centres.tolist()
    (0.5, [-0.75, -0.25, 0.25, 0.75])
    """

    lower: float
    upper: float
    num_cells: int

    def __post_init__(self) -> None:
        lo, hi = float(self.lower), float(self.upper)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(
                f"`lower` and `upper` must be finite with lower < upper, got ({lo!r}, {hi!r})"
            )
        n = check_positive_int(self.num_cells, name="num_cells")
        if n < 3:
            raise ValueError(f"`num_cells` must be at least 3, got {n}")
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)
        object.__setattr__(self, "num_cells", n)

    @property
    def h(self) -> float:
        """Cell width ``(upper - lower) / num_cells``."""
        return (self.upper - self.lower) / self.num_cells

    @property
    def faces(self) -> FloatArray:
        """The ``num_cells + 1`` cell boundaries, ``faces[0] = lower``, ``faces[-1] = upper``."""
        return np.linspace(self.lower, self.upper, self.num_cells + 1)

    @property
    def interior_faces(self) -> FloatArray:
        """The ``num_cells - 1`` faces between cells (the boundary faces carry no flux)."""
        return self.faces[1:-1]

    @property
    def centres(self) -> FloatArray:
        """Cell centres ``lower + (i + 1/2) h``."""
        return self.lower + (np.arange(self.num_cells) + 0.5) * self.h

    def mass(self, p: Any) -> FloatArray:
        r"""Mass :math:`h\sum_i p_i` of densities ``p`` of shape ``(..., num_cells)``."""
        return self.h * np.sum(np.asarray(p, dtype=np.float64), axis=-1)

    def l1(self, p: Any, q: Any) -> FloatArray:
        r"""Discrete L1 distance :math:`h\sum_i |p_i - q_i|` along the last axis."""
        diff = np.asarray(p, dtype=np.float64) - np.asarray(q, dtype=np.float64)
        return self.h * np.sum(np.abs(diff), axis=-1)

    def histogram(self, samples: Any) -> FloatArray:
        """Density histogram of ``samples`` on the cells; mass outside the domain is lost
        (and is therefore visible as a mass below one)."""
        x = check_array(samples, name="samples").ravel()
        counts, _ = np.histogram(x, bins=self.faces)
        return counts / (x.size * self.h)
