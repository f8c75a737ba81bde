r"""Homogeneous diffusion :math:`\partial_t u = \Delta u`: Eq. (26) of Peter 2023 with zero drift.

The classical reference scale-space (reflecting boundaries), computed as :class:`Osmosis` with a
constant guidance image, so every osmosis method (``exact``, ``implicit``, ``explicit``) applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftscale._validation import check_image
from driftscale.osmosis.evolution import Osmosis
from driftscale.osmosis.operator import check_grid_size
from driftscale.typing import FloatArray, RNGLike

__all__ = ["HomogeneousDiffusion"]


class HomogeneousDiffusion:
    r"""Homogeneous diffusion :math:`\partial_t u = \Delta u`: osmosis with zero drift.

    The classical reference scale-space (Eq. 26 with :math:`\mathbf d = 0`), with reflecting
    boundaries; it is the canonical drift of a constant guidance, so every :class:`Osmosis`
    method applies. The steady state is the mean of ``f`` (per channel). Being linear without
    drift, it accepts data of any sign.

    Examples
    --------
    >>> u = HomogeneousDiffusion().trajectory(np.array([[1.0, 3.0]]), [0.0, 50.0])
    >>> np.round(u[-1], 6)
    array([[2., 2.]])
    """

    name = "homogeneous"
    stochastic = False
    drift_free = True  # Eq. (26) with d = 0: the steady state is the flat image of mean f

    def __init__(self, *, h: float = 1.0) -> None:
        self.h = check_grid_size(h)
        self._cache: dict[tuple[int, int], Osmosis] = {}

    def __repr__(self) -> str:
        return f"HomogeneousDiffusion(h={self.h:g})"

    def osmosis(self, shape: tuple[int, ...]) -> Osmosis:
        """The equivalent :class:`Osmosis` (constant guidance) for images of ``shape``."""
        key = (int(shape[0]), int(shape[1]))
        if key not in self._cache:
            process = Osmosis(guidance=np.ones(key), h=self.h)
            process._positive_data = False
            self._cache[key] = process
        return self._cache[key]

    def trajectory(
        self, f: FloatArray, times: Sequence[float], *, rng: RNGLike = None, **options: Any
    ) -> FloatArray:
        """Evolution at ``times``; options as :meth:`Osmosis.trajectory` (``method=``, ...)."""
        f = check_image(f, name="f")
        return self.osmosis(f.shape).trajectory(f, times, rng=rng, **options)

    def steady_state(self, f: FloatArray) -> FloatArray:
        """The mean grey value of ``f`` everywhere (per channel)."""
        f = check_image(f, name="f")
        return self.osmosis(f.shape).steady_state(f)
