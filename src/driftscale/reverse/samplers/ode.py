r"""Heun's method on the probability-flow ODE (Song et al. 2021, Eq. 13) in the clock ``B``.

References
----------
.. [1] Y. Song, J. Sohl-Dickstein, D. P. Kingma, A. Kumar, S. Ermon, B. Poole, "Score-based
       generative modeling through stochastic differential equations", ICLR 2021.
"""

from __future__ import annotations

import math

import numpy as np

from driftscale.reverse.posterior import PosteriorCoefficients
from driftscale.reverse.samplers.base import Predict, ReverseRule
from driftscale.typing import FloatArray

__all__ = ["ODERule"]


class ODERule(ReverseRule):
    r"""Heun's method on the probability-flow ODE (Song et al. 2021, Eq. 13) in the clock ``B``:
    :math:`du/dB = -\tfrac12 u - \tfrac12\nabla\ln p_B(u)`; two denoiser calls a step."""

    name = "ode"
    stochastic = False

    def _velocity(self, x: FloatArray, i: int, predict: Predict) -> FloatArray:
        la = self.schedule.log_alpha_bar[i]
        score = -(x - math.exp(0.5 * la) * predict(x, i)) / -math.expm1(la)
        return -0.5 * x - 0.5 * score  # Song et al. Eq. (13) with beta dt = dB

    def update(
        self,
        x: FloatArray,
        t: int,
        s: int,
        levels: PosteriorCoefficients,
        predict: Predict,
        rng: np.random.Generator,
    ) -> FloatArray:
        dB = levels.delta_B
        k1 = self._velocity(x, t, predict)
        euler = x - dB * k1  # B decreases by dB
        k2 = self._velocity(euler, s, predict)
        return x - dB * 0.5 * (k1 + k2)  # Heun (trapezoidal predictor-corrector)
