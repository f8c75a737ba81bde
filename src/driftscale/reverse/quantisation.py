r"""The quantisation of image data: its levels, bin width, bins and uniform dequantisation.

A likelihood of image data is a probability of *discrete* values: the digits take the 17 values
``0..16``, 8-bit images 256. :class:`Quantisation` is derived from the data (never assumed) and
states the grid the likelihood refers to: ``levels`` equally spaced values from ``low`` to
``high`` (in the units the denoiser works in, e.g. ``[-1, 1]``) with spacing
:math:`\Delta = (\text{high} - \text{low}) / (\text{levels} - 1)`, the bin width.

Two uses:

- the discretised decoder of the variational bound (Ho et al. 2020, Eq. 13) integrates a Gaussian
  over the bin :math:`[x - \Delta/2, x + \Delta/2]` of each value, the outermost bins extended to
  :math:`\pm\infty` (:meth:`Quantisation.bin_edges`);
- a continuous density :math:`p` is turned into a bound on the discrete probability by uniform
  dequantisation, :math:`y = x + \Delta(U - \tfrac12)`, :math:`U \sim \mathcal U[0, 1)^d`:
  :math:`P(x) = \int_{\text{bin}(x)} p = \Delta^d\,E_U[p(y)]`, so by Jensen
  :math:`-\ln P(x) \le E_U[-\ln p(y)] - d\ln\Delta` and in bits per dimension

  .. math:: \text{bits/dim} = \frac{-\ln p(y)}{d\ln 2} - \log_2\Delta

  (:meth:`Quantisation.bits_per_dim`). For the uniform law over the ``L`` levels the dequantised
  density is uniform on an interval of length :math:`L\Delta` per dimension and this gives
  exactly :math:`\log_2 L` (17 levels: 4.087 bits, 256 levels: 8 bits).

References
----------
.. [1] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
.. [2] L. Theis, A. van den Oord, M. Bethge, "A note on the evaluation of generative models",
       ICLR 2016 (uniform dequantisation as a bound on the discrete log-likelihood).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._validation import as_rng, check_array
from driftscale.typing import FloatArray, RNGLike

__all__ = ["Quantisation", "QuantisationError"]

# A value is on the grid when it is within this fraction of a bin width of a grid value: float64
# scaling (e.g. (x - 0) * 2/16 - 1) moves grid values by a few ulps, never by 1e-6 of a bin.
_GRID_TOLERANCE = 1e-6
# The finest grid tried is the smallest gap between distinct values divided by this (a grid whose
# levels are not all present in the data, e.g. 8-bit images with missing grey values).
_MAX_SUBDIVISION = 64


class QuantisationError(ValueError):
    """Data that do not lie on a regular grid of values, or a grid that does not hold them."""


@dataclass(frozen=True)
class Quantisation:
    """A regular grid of ``levels`` values from ``low`` to ``high``: what a likelihood counts.

    Attributes
    ----------
    levels : int
        Number of values, ``>= 2`` (17 for the digits, 256 for 8-bit images).
    low, high : float
        The first and last value, in the units of the data handed to the likelihood.

    Examples
    --------
    >>> q = Quantisation.from_data(np.array([0.0, 3.0, 16.0]), data_range=(0.0, 16.0))
    >>> q.levels, q.bin_width
    (17, 1.0)
    >>> q = Quantisation.from_data(np.array([-1.0, -0.625, 1.0]))  # digits scaled to [-1, 1]
    >>> q.levels, q.bin_width, q.bits_offset   # bits offset: -log2 of the bin width
    (17, 0.125, 3.0)
    """

    levels: int
    low: float
    high: float

    def __post_init__(self) -> None:
        if int(self.levels) != self.levels or self.levels < 2:
            raise QuantisationError(f"`levels` must be an integer >= 2, got {self.levels!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.high > self.low):
            raise QuantisationError(
                f"`low` < `high` must be finite, got low={self.low!r}, high={self.high!r}"
            )

    @property
    def bin_width(self) -> float:
        r"""Spacing :math:`\Delta` of the values (the width of every bin)."""
        return (self.high - self.low) / (self.levels - 1)

    @property
    def bits_offset(self) -> float:
        r"""The bits per dimension added to a continuous density's: :math:`-\log_2\Delta`."""
        return -math.log2(self.bin_width)

    @classmethod
    def from_data(cls, data: Any, *, data_range: tuple[float, float] | None = None) -> Quantisation:
        """The coarsest regular grid that holds every value of ``data``.

        Parameters
        ----------
        data : array_like
            Quantised values (raw or scaled), at least two distinct ones.
        data_range : (float, float), optional
            The first and last grid value (e.g. the scaled ``(-1, 1)`` of the whole data set);
            default the smallest and largest value of ``data``. Must lie on the grid.

        Raises
        ------
        QuantisationError
            When the values do not lie on one regular grid (continuous data have no discrete
            likelihood; quantise them first).
        """
        values = np.unique(check_array(data, name="data").ravel())
        if values.size < 2:
            raise QuantisationError(
                f"`data` must hold at least two distinct values to derive a quantisation, got "
                f"{values.size}"
            )
        lo, hi = (values[0], values[-1]) if data_range is None else map(float, data_range)
        if lo > values[0] or hi < values[-1]:
            raise QuantisationError(
                f"`data_range` {(lo, hi)} must contain the data's values "
                f"[{values[0]:g}, {values[-1]:g}]"
            )
        step = _grid_step(np.concatenate([[lo], values, [hi]]))
        levels = round((hi - lo) / step) + 1
        return cls(levels=int(levels), low=float(lo), high=float(hi))

    @classmethod
    def uniform_levels(cls, levels: int, *, low: float = -1.0, high: float = 1.0) -> Quantisation:
        """``levels`` values spread evenly over ``[low, high]`` (for tests and synthetic data)."""
        return cls(levels=int(levels), low=float(low), high=float(high))

    def grid(self) -> FloatArray:
        """The ``levels`` values, float64, ascending."""
        return self.low + self.bin_width * np.arange(self.levels)

    def index(self, x: Any, *, name: str = "x") -> np.ndarray:
        """The level index (int64, shape of ``x``) of every value; raises off the grid."""
        arr = check_array(x, name=name)
        pos = (arr - self.low) / self.bin_width
        idx = np.rint(pos)
        if np.any(np.abs(pos - idx) > _GRID_TOLERANCE) or idx.min() < 0 or idx.max() >= self.levels:
            raise QuantisationError(
                f"`{name}` must lie on the grid of {self.levels} values from {self.low:g} to "
                f"{self.high:g} (bin width {self.bin_width:g}); pass data quantised like the data "
                "the quantisation was derived from"
            )
        return idx.astype(np.int64)

    def bin_edges(self, x: Any, *, name: str = "x") -> tuple[FloatArray, FloatArray]:
        r"""Lower and upper edges of each value's bin, :math:`x \mp \Delta/2`, with the lowest
        bin extended to :math:`-\infty` and the highest to :math:`+\infty` (Ho et al. Eq. 13)."""
        idx = self.index(x, name=name)
        centre = self.low + self.bin_width * idx
        lower = np.where(idx == 0, -np.inf, centre - 0.5 * self.bin_width)
        upper = np.where(idx == self.levels - 1, np.inf, centre + 0.5 * self.bin_width)
        return lower, upper

    def dequantise(self, x: Any, *, rng: RNGLike = None) -> FloatArray:
        r"""Uniform dequantisation :math:`y = x + \Delta(U - \tfrac12)`, a new float64 array."""
        arr = check_array(x, name="x")
        self.index(arr)
        u = as_rng(rng).random(arr.shape)
        return arr + self.bin_width * (u - 0.5)

    def bits_per_dim(self, neg_log_density: Any, dims: int) -> FloatArray:
        r"""Bits per dimension of dequantised values from their continuous NLL in nats,
        :math:`-\ln p(y) / (d\ln 2) - \log_2\Delta` (an upper bound in expectation over the
        dequantisation noise on the discrete bits/dim)."""
        nll = np.asarray(neg_log_density, dtype=np.float64)
        return nll / (dims * math.log(2.0)) + self.bits_offset

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, with the derived bin width and bits offset."""
        return {
            "levels": self.levels,
            "low": self.low,
            "high": self.high,
            "bin_width": self.bin_width,
            "bits_offset": self.bits_offset,
        }


def _grid_step(values: FloatArray) -> float:
    """The largest spacing ``s`` such that every value is ``values[0] + k s`` for an integer k."""
    gaps = np.diff(np.unique(values))
    smallest = float(gaps.min())
    offsets = values - values[0]
    for k in range(1, _MAX_SUBDIVISION + 1):
        step = smallest / k
        pos = offsets / step
        if np.all(np.abs(pos - np.rint(pos)) <= _GRID_TOLERANCE * max(1.0, float(pos.max()))):
            return step
    raise QuantisationError(
        f"`data` values do not lie on a regular grid (tried spacings down to 1/{_MAX_SUBDIVISION} "
        f"of the smallest gap {smallest:g}); a discrete likelihood needs quantised data"
    )
