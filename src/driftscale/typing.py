"""Type aliases and the two core protocols (``ScaleSpace``, ``Distribution``) of driftscale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
RNGLike: TypeAlias = np.random.Generator | int | None

__all__ = ["Distribution", "FloatArray", "RNGLike", "ScaleSpace"]


@runtime_checkable
class Distribution(Protocol):
    """A probability distribution over images: what a stochastic scale-space converges to."""

    shape: tuple[int, ...]

    def sample(self, num_samples: int | None = None, *, rng: RNGLike = None) -> FloatArray:
        """Draw ``num_samples`` images (one image, without a batch axis, when ``None``)."""
        ...

    def entropy(self) -> float:
        """Differential entropy in nats."""
        ...


@runtime_checkable
class ScaleSpace(Protocol):
    """A family of ever simpler versions of an input: the interface every process implements.

    ``trajectory`` returns an array of shape ``(len(times), *f.shape)``; ``times`` are steps ``i``
    for probabilistic diffusion and times ``t >= 0`` for osmosis. ``steady_state`` returns an image
    (deterministic processes) or a :class:`Distribution` (stochastic ones).
    """

    name: str
    stochastic: bool

    def trajectory(
        self, f: FloatArray, times: Sequence[float], *, rng: RNGLike = None
    ) -> FloatArray: ...

    def steady_state(self, f: FloatArray) -> FloatArray | Distribution: ...
