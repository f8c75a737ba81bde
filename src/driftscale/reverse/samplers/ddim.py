r"""DDIM (Song, Meng, Ermon 2021, Eq. 12): deterministic for ``eta = 0``, DDPM for ``eta = 1``.

References
----------
.. [1] J. Song, C. Meng, S. Ermon, "Denoising diffusion implicit models", ICLR 2021.
"""

from __future__ import annotations

import math

import numpy as np

from driftscale.reverse.posterior import PosteriorCoefficients
from driftscale.reverse.samplers.base import PredictionRule
from driftscale.typing import FloatArray

__all__ = ["DDIMRule"]


class DDIMRule(PredictionRule):
    r"""DDIM (Song, Meng, Ermon 2021, Eq. 12): :math:`u_s = \sqrt{\bar\alpha_s}\hat u_0 +
    \sqrt{1-\bar\alpha_s-\sigma^2}\,\hat\epsilon + \sigma z` with
    :math:`\sigma = \eta\sqrt{v}` (``v`` the DDPM posterior variance); ``eta = 0`` is
    deterministic, ``eta = 1`` is DDPM."""

    name = "ddim"

    def move(
        self,
        x: FloatArray,
        u0: FloatArray,
        levels: PosteriorCoefficients,
        rng: np.random.Generator,
    ) -> FloatArray:
        lv = levels
        eps = (x - math.sqrt(lv.alpha_bar_t) * u0) / math.sqrt(lv.one_minus_t)  # Tweedie: noise
        sigma2 = self.eta**2 * lv.variance
        out = math.sqrt(lv.alpha_bar_s) * u0 + math.sqrt(max(lv.one_minus_s - sigma2, 0.0)) * eps
        if self.eta > 0:
            out += math.sqrt(sigma2) * rng.standard_normal(x.shape)
        return out
