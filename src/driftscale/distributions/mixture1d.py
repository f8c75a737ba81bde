r"""One-dimensional data distributions: a Gaussian mixture (or point masses) with the closed-form
forward marginal of Eq. (5) of Peter 2023.

:class:`Mixture1D` is the initial data distribution of the Fokker-Planck verification
(:mod:`driftscale.pde`): a Gaussian mixture, or the point masses of an image's values. Under
Eq. (5) a component :math:`\mathcal N(\mu_k, \sigma_k^2)` becomes
:math:`\mathcal N(\sqrt{\bar\alpha}\,\mu_k, \bar\alpha\sigma_k^2 + 1 - \bar\alpha)`.
Its exact cell averages (:meth:`Mixture1D.cell_averages`) are taken on a
:class:`driftscale.pde.Grid1D`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.typing import FloatArray, RNGLike

__all__ = ["Mixture1D", "parse_data_spec"]


def _check_grid(grid: Any) -> None:
    # duck-typed: Grid1D lives in driftscale.pde, a layer above this one
    if not all(hasattr(grid, a) for a in ("lower", "upper", "faces", "h")):
        raise TypeError(
            f"`grid` must be a Grid1D (lower, upper, faces, h), got {type(grid).__name__}"
        )


@dataclass(frozen=True)
class Mixture1D:
    r"""A 1-D Gaussian mixture :math:`\sum_k w_k \mathcal N(\mu_k, \sigma_k^2)`.

    ``stds`` may be zero: a component is then a point mass (the values of an image). Weights are
    normalised to sum to one.

    Examples
    --------
    >>> m = Mixture1D(means=(-2.0, 2.0), stds=(0.3, 0.3))
    >>> round(float(m.diffused(0.5).stds[0] ** 2), 6)   # 0.5 * 0.09 + 0.5
    0.545
    """

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        mu = check_array(self.means, name="means", ndim=1)
        sd = check_array(self.stds, name="stds", ndim=1)
        if sd.size == 1 and mu.size > 1:
            sd = np.full(mu.size, sd[0])
        if sd.shape != mu.shape:
            raise ValueError(
                f"`stds` must have one entry or one per mean ({mu.size}), got {sd.size}"
            )
        if np.any(sd < 0):
            raise ValueError(f"`stds` must be non-negative, got {sd.tolist()}")
        w = np.ones(mu.size) if self.weights is None else check_array(self.weights, name="weights")
        if w.shape != mu.shape or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                f"`weights` must be {mu.size} non-negative numbers with a positive sum, "
                f"got {np.asarray(self.weights).tolist()}"
            )
        object.__setattr__(self, "means", tuple(mu.tolist()))
        object.__setattr__(self, "stds", tuple(sd.tolist()))
        object.__setattr__(self, "weights", tuple((w / w.sum()).tolist()))

    @classmethod
    def from_values(cls, values: Any) -> Mixture1D:
        """Point masses at the (unique) ``values``, weighted by how often each occurs."""
        x = check_array(values, name="values").ravel()
        uniq, counts = np.unique(x, return_counts=True)
        return cls(means=tuple(uniq), stds=(0.0,) * uniq.size, weights=tuple(counts.astype(float)))

    def _arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        return np.asarray(self.means), np.asarray(self.stds), np.asarray(self.weights)

    def diffused(self, alpha_bar: float) -> Mixture1D:
        r"""The closed-form forward marginal, Eq. (5): means :math:`\sqrt{\bar\alpha}\mu_k`,
        variances :math:`\bar\alpha\sigma_k^2 + 1 - \bar\alpha`."""
        a = float(alpha_bar)
        if not (0.0 <= a <= 1.0):
            raise ValueError(f"`alpha_bar` must lie in [0, 1], got {alpha_bar!r}")
        mu, sd, w = self._arrays()
        # Eq. (5): u_i = sqrt(alpha_bar) u_0 + sqrt(1 - alpha_bar) xi
        var = a * sd**2 + (1.0 - a)
        return Mixture1D(means=tuple(math.sqrt(a) * mu), stds=tuple(np.sqrt(var)), weights=tuple(w))

    def pdf(self, x: Any) -> FloatArray:
        """Density at points ``x`` (needs every ``std > 0``)."""
        mu, sd, w = self._arrays()
        if np.any(sd <= 0):
            raise ValueError("`stds` must be positive to evaluate a pdf; use cell_averages instead")
        x = np.asarray(x, dtype=np.float64)[..., None]
        z = (x - mu) / sd
        return np.sum(w * np.exp(-0.5 * z**2) / (sd * math.sqrt(2.0 * math.pi)), axis=-1)

    def cdf(self, x: Any, *, left: bool = False) -> FloatArray:
        """Cumulative distribution ``P(X <= x)`` at ``x`` (point masses count from their location
        on); with ``left=True`` the left limit ``P(X < x)`` (a point mass at ``x`` not counted)."""
        from scipy.special import ndtr  # imported on first use: `import driftscale` stays light

        mu, sd, w = self._arrays()
        x = np.asarray(x, dtype=np.float64)[..., None]
        safe = np.where(sd > 0, sd, 1.0)
        atom = (x > mu) if left else (x >= mu)
        out = np.where(sd > 0, ndtr((x - mu) / safe), atom.astype(np.float64))
        return np.sum(w * out, axis=-1)

    def cell_averages(self, grid: Any) -> FloatArray:
        """Exact cell averages ``(F(x_{i+1/2}^-) - F(x_{i-1/2}^-)) / h`` on ``grid`` (a Grid1D).

        Cells are half-open, ``[x_{i-1/2}, x_{i+1/2})``, and the last one closed, as in
        :func:`numpy.histogram` (and :meth:`Grid1D.histogram`): a point mass on a face belongs to
        the cell on its right, so the closed form and a histogram of samples agree exactly.
        """
        _check_grid(grid)
        faces = np.asarray(grid.faces, dtype=np.float64)
        upper = self.cdf(faces, left=True)
        upper[-1] = self.cdf(faces[-1])  # the last cell is closed: a mass on the upper face counts
        return np.diff(upper) / grid.h

    def mass_outside(self, grid: Any) -> float:
        """Probability mass outside ``[grid.lower, grid.upper]`` (the truncation error)."""
        _check_grid(grid)
        c = self.cdf(np.array([grid.lower, grid.upper]))
        return float(c[0] + 1.0 - c[1])

    def sample(self, num_samples: int, *, rng: RNGLike = None) -> FloatArray:
        """Draw ``num_samples`` values."""
        num_samples = check_positive_int(num_samples, name="num_samples")
        rng = as_rng(rng)
        mu, sd, w = self._arrays()
        k = rng.choice(mu.size, size=num_samples, p=w)
        return mu[k] + sd[k] * rng.standard_normal(num_samples)


def parse_data_spec(spec: str) -> Mixture1D:
    """Parse ``"mixture:MEANS;STDS[;WEIGHTS]"`` (lists comma separated) into a :class:`Mixture1D`.

    Examples
    --------
    >>> parse_data_spec("mixture:-2,2;0.3").means
    (-2.0, 2.0)
    """
    if not isinstance(spec, str) or not spec.startswith("mixture:"):
        raise ValueError(
            f"`data` must look like 'mixture:-2,2;0.3' (means; stds[; weights]), got {spec!r}"
        )
    parts = spec[len("mixture:") :].split(";")
    if not 2 <= len(parts) <= 3:
        raise ValueError(
            f"`data` must have 2 or 3 ';'-separated lists (means; stds[; weights]), got {spec!r}"
        )
    try:
        lists = [[float(v) for v in part.split(",") if v.strip()] for part in parts]
    except ValueError as exc:
        raise ValueError(f"`data` lists must hold numbers, got {spec!r}") from exc
    weights = tuple(lists[2]) if len(lists) == 3 else None
    return Mixture1D(means=tuple(lists[0]), stds=tuple(lists[1]), weights=weights)
