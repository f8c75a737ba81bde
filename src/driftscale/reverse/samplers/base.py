r"""The interface of a reverse sampler's update rule and the registry of rules by name.

Every rule gets ``predict(x, i)``, the denoiser :math:`\hat u_0 = E[u_0 \mid u_i = x]`, and the
schedule's :math:`\bar\alpha` (Eq. 5 of Peter 2023). Through Tweedie's formula the same
prediction gives the noise :math:`\hat\epsilon = (x - \sqrt{\bar\alpha_t}\hat u_0)/
\sqrt{1-\bar\alpha_t}` and the score :math:`\nabla\ln p_t(x) = -\hat\epsilon/\sqrt{1-\bar\alpha_t}`.

The continuous samplers use the VP-SDE :math:`du = -\tfrac12\beta(t)u\,dt + \sqrt{\beta(t)}\,dW`
on the clock :math:`B(t) = \int_0^t\beta = -\ln\bar\alpha(t)` (so that its marginals are Eq. 5
at every step, see :meth:`Schedule.integrated_beta`); a step from ``t`` to ``s`` advances the
clock by :math:`\Delta B = \ln\bar\alpha_s - \ln\bar\alpha_t > 0`.

Every rule ends the same way, in :meth:`ReverseRule.step`: the last step, to ``s = 0``, returns
the prediction :math:`\hat u_0 = D(x, t)` itself. For DDPM and DDIM this *is* their update at
``s = 0``; for the reverse SDE and the ODE it is the usual noise-free final denoising step
(Song et al. 2021), since the score is singular at ``t = 0``. Other steps get the noise levels
of the pair (:func:`~driftscale.reverse.posterior.posterior_coefficients`) and call the rule's
:meth:`ReverseRule.update`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import ClassVar

import numpy as np

from driftscale._validation import check_choice
from driftscale.reverse.posterior import PosteriorCoefficients, posterior_coefficients
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = ["SAMPLERS", "Predict", "PredictionRule", "ReverseRule", "rule_class"]

Predict = Callable[[FloatArray, int], FloatArray]

_REGISTRY: dict[str, type[ReverseRule]] = {}

#: The registered update rules by name, in registration order (``ddpm, ddim, sde, ode``).
SAMPLERS: Mapping[str, type[ReverseRule]] = MappingProxyType(_REGISTRY)


def rule_class(name: str) -> type[ReverseRule]:
    """The registered rule called ``name``; an unknown name lists the known ones.

    Examples
    --------
    >>> rule_class("ddim").__name__
    'DDIMRule'
    """
    check_choice(name, name="sampler", choices=tuple(_REGISTRY))
    return _REGISTRY[name]


class ReverseRule:
    """A reverse sampler's update rule ``t -> s``; subclasses register under ``name``."""

    name: ClassVar[str] = ""
    stochastic: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls

    def __init__(self, schedule: Schedule, *, eta: float = 0.0) -> None:
        self.schedule = schedule
        self.eta = eta

    def step(
        self, x: FloatArray, t: int, s: int, predict: Predict, rng: np.random.Generator
    ) -> FloatArray:
        """Return :math:`u_s` from :math:`u_t = x` (``t > s``); ``s = 0`` gives the prediction."""
        if s == 0:
            return predict(x, t)  # the final, noise-free step (module docstring)
        return self.update(x, t, s, posterior_coefficients(self.schedule, t, s), predict, rng)

    def update(
        self,
        x: FloatArray,
        t: int,
        s: int,
        levels: PosteriorCoefficients,
        predict: Predict,
        rng: np.random.Generator,
    ) -> FloatArray:
        """One step ``t -> s > 0`` with the noise levels of the pair."""
        raise TypeError(f"{type(self).__name__} is abstract; use a registered sampler")


class PredictionRule(ReverseRule):
    r"""A rule that asks the denoiser once per step, at ``t``, and moves with :math:`\hat u_0`."""

    def update(
        self,
        x: FloatArray,
        t: int,
        s: int,
        levels: PosteriorCoefficients,
        predict: Predict,
        rng: np.random.Generator,
    ) -> FloatArray:
        return self.move(x, predict(x, t), levels, rng)

    def move(
        self,
        x: FloatArray,
        u0: FloatArray,
        levels: PosteriorCoefficients,
        rng: np.random.Generator,
    ) -> FloatArray:
        r""":math:`u_s` from :math:`u_t = x` and the prediction :math:`\hat u_0`."""
        raise TypeError(f"{type(self).__name__} is abstract; use a registered sampler")
