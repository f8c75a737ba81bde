r"""DDPM's ancestral step (Ho et al. 2020, Eq. 6-7): the forward posterior with the predicted
:math:`\hat u_0`, :math:`u_s \sim q(u_s \mid u_t, \hat u_0)`, strided for ``s < t - 1``.

References
----------
.. [1] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

import math

import numpy as np

from driftscale.reverse.posterior import PosteriorCoefficients
from driftscale.reverse.samplers.base import PredictionRule
from driftscale.typing import FloatArray

__all__ = ["DDPMRule"]


class DDPMRule(PredictionRule):
    r"""Ancestral sampling (Ho et al. 2020): :math:`u_s \sim q(u_s \mid u_t, \hat u_0)`, the forward
    posterior with the predicted :math:`\hat u_0` (Ho et al. Eq. 6-7; strided for ``s < t - 1``)."""

    name = "ddpm"

    def move(
        self,
        x: FloatArray,
        u0: FloatArray,
        levels: PosteriorCoefficients,
        rng: np.random.Generator,
    ) -> FloatArray:
        # Ho et al. Eq. (7): mean c0 u0 + ct u_t, variance (1-ab_s)(1-ab_t/ab_s)/(1-ab_t)
        noise = math.sqrt(levels.variance) * rng.standard_normal(x.shape)
        return levels.c0 * u0 + levels.ct * x + noise
