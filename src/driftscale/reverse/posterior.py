r"""The DDPM forward posterior :math:`q(u_s \mid u_t, u_0)`, Eq. (5) of Peter 2023 and Bayes.

For ``s < t`` the forward chain of Eq. (3)-(5) gives, with :math:`\alpha_{t|s} =
\bar\alpha_t / \bar\alpha_s` (Ho et al. 2020, Eq. 6-7, for any ``s < t``),

.. math::
    q(u_s \mid u_t, u_0) = \mathcal N\Big(c_0\,u_0 + c_t\,u_t,\; v\,I\Big), \qquad
    c_0 = \frac{\sqrt{\bar\alpha_s}\,(1-\alpha_{t|s})}{1-\bar\alpha_t},\quad
    c_t = \frac{\sqrt{\alpha_{t|s}}\,(1-\bar\alpha_s)}{1-\bar\alpha_t},\quad
    v = \frac{(1-\bar\alpha_s)(1-\alpha_{t|s})}{1-\bar\alpha_t}.

This is the one implementation of these coefficients: DDPM's ancestral step and DDIM
(:mod:`driftscale.reverse.samplers`) use them with a predicted :math:`\hat u_0`, and the explicit
reverse law of one starting point (:mod:`driftscale.reverse.point_law`) is this very posterior
with :math:`u_0 = f`. Steps may be fractional: step ``t`` is continuous time ``t / T`` on the
VP-SDE clock :math:`B(t) = -\ln\bar\alpha(t)` of :meth:`Schedule.integrated_beta`, which equals
the chain's :math:`\bar\alpha` at integer steps.

References
----------
.. [1] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
.. [2] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from driftscale.schedules import Schedule

__all__ = ["PosteriorCoefficients", "log_alpha_bar_at", "posterior_coefficients"]


def log_alpha_bar_at(schedule: Schedule, step: float) -> float:
    r""":math:`\ln\bar\alpha` at ``step``: the chain's value at an integer step (Eq. 5), the
    VP-SDE clock :math:`-B(t / T)` (piecewise linear, :meth:`Schedule.integrated_beta`) between.

    Examples
    --------
    >>> s = Schedule.from_string("constant:0.02", T=10)
    >>> log_alpha_bar_at(s, 3) == float(s.log_alpha_bar[3])
    True
    """
    step = float(step)
    if step.is_integer():
        return float(schedule.log_alpha_bar[int(step)])
    return -float(schedule.integrated_beta(step / schedule.T))


@dataclass(frozen=True)
class PosteriorCoefficients:
    r"""Noise levels of a step pair ``t > s`` and the posterior :math:`q(u_s \mid u_t, u_0) =
    \mathcal N(c_0 u_0 + c_t u_t, v I)`.

    Attributes
    ----------
    c0, ct, variance : float
        :math:`c_0`, :math:`c_t` and :math:`v` of the module docstring.
    alpha_bar_t, alpha_bar_s : float
        :math:`\bar\alpha` at ``t`` and ``s``.
    one_minus_t, one_minus_s : float
        :math:`1-\bar\alpha_t` and :math:`1-\bar\alpha_s` (computed with ``expm1``).
    log_ratio : float
        :math:`\ln\alpha_{t|s} = \ln(\bar\alpha_t/\bar\alpha_s) \le 0`.
    """

    c0: float
    ct: float
    variance: float
    alpha_bar_t: float
    alpha_bar_s: float
    one_minus_t: float
    one_minus_s: float
    log_ratio: float

    @classmethod
    def from_log_alpha_bar(
        cls, log_alpha_bar_t: float, log_alpha_bar_s: float
    ) -> PosteriorCoefficients:
        r"""The coefficients from :math:`\ln\bar\alpha_t` and :math:`\ln\bar\alpha_s`
        (``log_alpha_bar_t < log_alpha_bar_s <= 0``)."""
        la_t, la_s = float(log_alpha_bar_t), float(log_alpha_bar_s)
        ab_s = math.exp(la_s)
        one_minus_t, one_minus_s = -math.expm1(la_t), -math.expm1(la_s)
        log_ratio = la_t - la_s  # ln alpha_{t|s}
        one_minus_ratio = -math.expm1(log_ratio)  # 1 - alpha_{t|s}
        return cls(
            c0=math.sqrt(ab_s) * one_minus_ratio / one_minus_t,  # Ho et al. Eq. (7)
            ct=math.exp(0.5 * log_ratio) * one_minus_s / one_minus_t,  # Ho et al. Eq. (7)
            variance=one_minus_s * one_minus_ratio / one_minus_t,  # Ho et al. Eq. (7)
            alpha_bar_t=math.exp(la_t),
            alpha_bar_s=ab_s,
            one_minus_t=one_minus_t,
            one_minus_s=one_minus_s,
            log_ratio=log_ratio,
        )

    @property
    def delta_B(self) -> float:
        r"""Clock increment :math:`\Delta B = B(t) - B(s) = -\ln\alpha_{t|s} > 0` of the VP-SDE."""
        return -self.log_ratio


def posterior_coefficients(schedule: Schedule, t: float, s: float) -> PosteriorCoefficients:
    r"""The coefficients of :math:`q(u_s \mid u_t, u_0)` for ``0 <= s < t <= T`` (see the module
    docstring); fractional steps are continuous time on the VP-SDE clock.

    Examples
    --------
    >>> p = posterior_coefficients(Schedule.from_string("constant:0.02"), 10, 9)
    >>> round(p.variance, 6) == round(0.02 * (1 - 0.98**9) / (1 - 0.98**10), 6)
    True
    >>> posterior_coefficients(Schedule.from_string("constant:0.02"), 10, 0).variance
    0.0
    """
    return PosteriorCoefficients.from_log_alpha_bar(
        log_alpha_bar_at(schedule, t), log_alpha_bar_at(schedule, s)
    )
