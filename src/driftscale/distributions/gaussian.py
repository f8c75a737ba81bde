"""Closed-form distributions that stochastic scale-spaces converge to (Property 5, Eq. 22)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from driftscale._validation import as_rng, check_array
from driftscale.typing import FloatArray, RNGLike

__all__ = ["IsotropicGaussian"]


@dataclass(frozen=True)
class IsotropicGaussian:
    r"""The Gaussian :math:`\mathcal N(\mu, \sigma^2 I)` over images of a given ``shape``.

    ``mean`` is a scalar or an array of ``shape``; the steady state of probabilistic diffusion is
    ``IsotropicGaussian(shape, mean=0.0, variance=1.0)`` (Prop. 4).
    """

    shape: tuple[int, ...]
    mean: float | FloatArray = 0.0
    variance: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.variance) and self.variance > 0):
            raise ValueError(f"`variance` must be positive and finite, got {self.variance!r}")
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if not isinstance(self.mean, float | int):
            mean = check_array(self.mean, name="mean")
            if mean.shape != self.shape:
                raise ValueError(f"`mean` must have shape {self.shape}, got {mean.shape}")

    @property
    def dim(self) -> int:
        """Number of pixels ``n`` (all channels)."""
        return int(np.prod(self.shape))

    def sample(self, num_samples: int | None = None, *, rng: RNGLike = None) -> FloatArray:
        """Draw ``num_samples`` images of ``shape`` (one image without a batch axis if ``None``)."""
        rng = as_rng(rng)
        size = self.shape if num_samples is None else (int(num_samples), *self.shape)
        return self.mean + math.sqrt(self.variance) * rng.standard_normal(size)

    def entropy(self) -> float:
        r"""Differential entropy :math:`\tfrac n2 \ln(2\pi e \sigma^2)` in nats."""
        return 0.5 * self.dim * math.log(2.0 * math.pi * math.e * self.variance)

    def logpdf(self, x: FloatArray) -> FloatArray:
        """Log-density of images ``x`` of shape ``(..., *shape)``; returns shape ``(...)``."""
        x = check_array(x, name="x")
        if x.shape[x.ndim - len(self.shape) :] != self.shape:
            raise ValueError(f"`x` must end in shape {self.shape}, got {x.shape}")
        axes = tuple(range(x.ndim - len(self.shape), x.ndim))
        sq = np.sum((x - self.mean) ** 2, axis=axes)
        return -0.5 * sq / self.variance - 0.5 * self.dim * math.log(2 * math.pi * self.variance)
