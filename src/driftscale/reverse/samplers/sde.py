r"""Euler-Maruyama on the reverse VP-SDE (Song et al. 2021, Eq. 6) in the clock ``B``.

References
----------
.. [1] Y. Song, J. Sohl-Dickstein, D. P. Kingma, A. Kumar, S. Ermon, B. Poole, "Score-based
       generative modeling through stochastic differential equations", ICLR 2021.
"""

from __future__ import annotations

import math

import numpy as np

from driftscale.reverse.posterior import PosteriorCoefficients
from driftscale.reverse.samplers.base import PredictionRule
from driftscale.typing import FloatArray

__all__ = ["SDERule"]


class SDERule(PredictionRule):
    r"""Euler-Maruyama on the reverse VP-SDE (Song et al. 2021, Eq. 6) in the clock ``B``:
    :math:`u_s = u_t + \Delta B\,(\tfrac12 u_t + \nabla\ln p_t(u_t)) + \sqrt{\Delta B}\,z`."""

    name = "sde"

    def move(
        self,
        x: FloatArray,
        u0: FloatArray,
        levels: PosteriorCoefficients,
        rng: np.random.Generator,
    ) -> FloatArray:
        score = -(x - math.sqrt(levels.alpha_bar_t) * u0) / levels.one_minus_t  # Tweedie
        dB = levels.delta_B
        # reverse SDE du = [-1/2 beta u - beta score] dt + sqrt(beta) dW, run backwards by dB
        return x + dB * (0.5 * x + score) + math.sqrt(dB) * rng.standard_normal(x.shape)
