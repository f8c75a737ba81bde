r"""One step ``t -> s`` (``t > s``) of each reverse sampler, written with a predicted :math:`u_0`.

Every rule gets ``predict(x, i)``, the denoiser :math:`\hat u_0 = E[u_0 \mid u_i = x]`, and the
schedule's :math:`\bar\alpha` (Eq. 5 of Peter 2023). Through Tweedie's formula the same
prediction gives the noise :math:`\hat\epsilon = (x - \sqrt{\bar\alpha_t}\hat u_0)/
\sqrt{1-\bar\alpha_t}` and the score :math:`\nabla\ln p_t(x) = -\hat\epsilon/\sqrt{1-\bar\alpha_t}`.

The continuous samplers use the VP-SDE :math:`du = -\tfrac12\beta(t)u\,dt + \sqrt{\beta(t)}\,dW`
on the clock :math:`B(t) = \int_0^t\beta = -\ln\bar\alpha(t)` (so that its marginals are Eq. 5
at every step, see :meth:`Schedule.integrated_beta`); a step from ``t`` to ``s`` advances the
clock by :math:`\Delta B = \ln\bar\alpha_s - \ln\bar\alpha_t > 0`.

Every rule ends the same way: the last step, to ``s = 0``, returns the prediction
:math:`\hat u_0 = D(x, t)` itself. For DDPM and DDIM this *is* their update at ``s = 0``; for the
reverse SDE and the ODE it is the usual noise-free final denoising step (Song et al. 2021), since
the score is singular at ``t = 0``.

References
----------
.. [1] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
.. [2] J. Song, C. Meng, S. Ermon, "Denoising diffusion implicit models", ICLR 2021.
.. [3] Y. Song, J. Sohl-Dickstein, D. P. Kingma, A. Kumar, S. Ermon, B. Poole, "Score-based
       generative modeling through stochastic differential equations", ICLR 2021.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

Predict = Callable[[FloatArray, int], FloatArray]


@dataclass(frozen=True)
class Levels:
    """Noise levels of a step pair: :math:`\\bar\\alpha` and :math:`1 - \\bar\\alpha` at t and s."""

    ab_t: float
    ab_s: float
    one_minus_t: float
    one_minus_s: float
    log_ratio: float  # ln(alpha_bar_t / alpha_bar_s) <= 0

    @classmethod
    def of(cls, schedule: Schedule, t: int, s: int) -> Levels:
        la = schedule.log_alpha_bar
        return cls(
            ab_t=math.exp(la[t]),
            ab_s=math.exp(la[s]),
            one_minus_t=-math.expm1(la[t]),
            one_minus_s=-math.expm1(la[s]),
            log_ratio=float(la[t] - la[s]),
        )

    @property
    def delta_B(self) -> float:
        """Clock increment :math:`\\Delta B = B(t) - B(s) = -\\ln(\\bar\\alpha_t /
        \\bar\\alpha_s)`."""
        return -self.log_ratio

    def posterior(self) -> tuple[float, float, float]:
        r"""Coefficients of :math:`q(u_s \mid u_t, u_0) = \mathcal N(c_0 u_0 + c_t u_t, v I)`.

        With :math:`\alpha_{t|s} = \bar\alpha_t/\bar\alpha_s` (Ho et al. Eq. 7, for any
        ``s < t``): :math:`c_0 = \sqrt{\bar\alpha_s}(1-\alpha_{t|s})/(1-\bar\alpha_t)`,
        :math:`c_t = \sqrt{\alpha_{t|s}}(1-\bar\alpha_s)/(1-\bar\alpha_t)`,
        :math:`v = (1-\bar\alpha_s)(1-\alpha_{t|s})/(1-\bar\alpha_t)`.
        """
        one_minus_ratio = -math.expm1(self.log_ratio)
        c0 = math.sqrt(self.ab_s) * one_minus_ratio / self.one_minus_t
        ct = math.exp(0.5 * self.log_ratio) * self.one_minus_s / self.one_minus_t
        var = self.one_minus_s * one_minus_ratio / self.one_minus_t
        return c0, ct, var


class ReverseRule:
    """A reverse sampler's update rule; subclasses register under ``name``."""

    name: ClassVar[str] = ""
    stochastic: ClassVar[bool] = True
    registry: ClassVar[dict[str, type[ReverseRule]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            ReverseRule.registry[cls.name] = cls

    def __init__(self, schedule: Schedule, *, eta: float = 0.0) -> None:
        self.schedule = schedule
        self.eta = eta

    def step(
        self, x: FloatArray, t: int, s: int, predict: Predict, rng: np.random.Generator
    ) -> FloatArray:
        """Return :math:`u_s` from :math:`u_t = x`."""
        raise TypeError("ReverseRule is abstract; use a registered sampler")


class DDPMRule(ReverseRule):
    r"""Ancestral sampling [1]_: :math:`u_s \sim q(u_s \mid u_t, \hat u_0)`, the forward
    posterior with the predicted :math:`\hat u_0` (Ho et al. Eq. 6-7; strided for ``s < t - 1``)."""

    name = "ddpm"

    def step(
        self, x: FloatArray, t: int, s: int, predict: Predict, rng: np.random.Generator
    ) -> FloatArray:
        u0 = predict(x, t)
        if s == 0:
            return u0
        c0, ct, var = Levels.of(self.schedule, t, s).posterior()
        # Ho et al. Eq. (7): mean c0 u0 + ct u_t, variance (1-ab_s)(1-ab_t/ab_s)/(1-ab_t)
        return c0 * u0 + ct * x + math.sqrt(var) * rng.standard_normal(x.shape)


class DDIMRule(ReverseRule):
    r"""DDIM [2]_ (their Eq. 12): :math:`u_s = \sqrt{\bar\alpha_s}\hat u_0 +
    \sqrt{1-\bar\alpha_s-\sigma^2}\,\hat\epsilon + \sigma z` with
    :math:`\sigma = \eta\sqrt{v}` (``v`` the DDPM posterior variance); ``eta = 0`` is
    deterministic, ``eta = 1`` is DDPM."""

    name = "ddim"

    def step(
        self, x: FloatArray, t: int, s: int, predict: Predict, rng: np.random.Generator
    ) -> FloatArray:
        u0 = predict(x, t)
        if s == 0:
            return u0
        lv = Levels.of(self.schedule, t, s)
        eps = (x - math.sqrt(lv.ab_t) * u0) / math.sqrt(lv.one_minus_t)  # Tweedie: predicted noise
        sigma2 = self.eta**2 * lv.posterior()[2]
        out = math.sqrt(lv.ab_s) * u0 + math.sqrt(max(lv.one_minus_s - sigma2, 0.0)) * eps
        if self.eta > 0:
            out += math.sqrt(sigma2) * rng.standard_normal(x.shape)
        return out


class SDERule(ReverseRule):
    r"""Euler-Maruyama on the reverse VP-SDE [3]_ (their Eq. 6) in the clock ``B``:
    :math:`u_s = u_t + \Delta B\,(\tfrac12 u_t + \nabla\ln p_t(u_t)) + \sqrt{\Delta B}\,z`."""

    name = "sde"

    def step(
        self, x: FloatArray, t: int, s: int, predict: Predict, rng: np.random.Generator
    ) -> FloatArray:
        u0 = predict(x, t)
        if s == 0:
            return u0
        lv = Levels.of(self.schedule, t, s)
        score = -(x - math.sqrt(lv.ab_t) * u0) / lv.one_minus_t  # Tweedie
        dB = lv.delta_B
        # reverse SDE du = [-1/2 beta u - beta score] dt + sqrt(beta) dW, run backwards by dB
        return x + dB * (0.5 * x + score) + math.sqrt(dB) * rng.standard_normal(x.shape)


class ODERule(ReverseRule):
    r"""Heun's method on the probability-flow ODE [3]_ (their Eq. 13) in the clock ``B``:
    :math:`du/dB = -\tfrac12 u - \tfrac12\nabla\ln p_B(u)`; two denoiser calls a step."""

    name = "ode"
    stochastic = False

    def _velocity(self, x: FloatArray, i: int, predict: Predict) -> FloatArray:
        la = self.schedule.log_alpha_bar[i]
        score = -(x - math.exp(0.5 * la) * predict(x, i)) / -math.expm1(la)
        return -0.5 * x - 0.5 * score  # Song et al. Eq. (13) with beta dt = dB

    def step(
        self, x: FloatArray, t: int, s: int, predict: Predict, rng: np.random.Generator
    ) -> FloatArray:
        if s == 0:
            return predict(x, t)
        dB = Levels.of(self.schedule, t, s).delta_B
        k1 = self._velocity(x, t, predict)
        euler = x - dB * k1  # B decreases by dB
        k2 = self._velocity(euler, s, predict)
        return x - dB * 0.5 * (k1 + k2)  # Heun (trapezoidal predictor-corrector)


def evaluations_per_step(name: str, s: int) -> int:
    """Denoiser calls of one step of sampler ``name`` towards step ``s``."""
    return 2 if name == "ode" and s > 0 else 1
