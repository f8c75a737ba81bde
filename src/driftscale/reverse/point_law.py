r"""The explicit solution of the reverse SDE for one fixed starting point (arXiv:2501.17054).

If the forward process starts at one image, :math:`p(u_0) = \delta_f`, its marginals are the
Gaussians of Eq. (5), :math:`p_t = \mathcal N(a_t f, \sigma_t^2 I)` with
:math:`a_t = \sqrt{\bar\alpha_t}`, :math:`\sigma_t^2 = 1 - \bar\alpha_t`, and the score is linear:
:math:`\nabla\ln p_t(u) = -(u - a_t f)/\sigma_t^2`. The reverse VP-SDE (Song et al. 2021, Eq. 6)
on the clock :math:`B(t) = -\ln\bar\alpha_t`,

.. math:: du = \big[-\tfrac12 u - \nabla\ln p_t(u)\big]\,dB + d\bar W_B
   \qquad (B \text{ decreasing}),

is therefore a linear SDE with Gaussian solutions. Its law from :math:`u_t = y` to an earlier
:math:`s < t` is

.. math::
    u_s \mid u_t = y \;\sim\; \mathcal N\Big(
    \frac{\sqrt{\bar\alpha_s}\,(1-\alpha_{t|s})}{1-\bar\alpha_t}\,f
    + \frac{\sqrt{\alpha_{t|s}}\,(1-\bar\alpha_s)}{1-\bar\alpha_t}\,y,\;
    \frac{(1-\bar\alpha_s)(1-\alpha_{t|s})}{1-\bar\alpha_t}\,I\Big),
    \qquad \alpha_{t|s} = \bar\alpha_t/\bar\alpha_s .

Derivation. Write :math:`b = B(s) \le B(t)` and :math:`m(b), v(b)` for the mean and variance of
:math:`u_s`. A step :math:`\delta > 0` back in the clock maps
:math:`u \mapsto u + \delta(\tfrac12 u - (u - a f)/\sigma^2) + \sqrt\delta\,z`, so
:math:`-dm/db = \tfrac12 m - (m - a f)/\sigma^2` and :math:`-dv/db = v - 2v/\sigma^2 + 1` with
:math:`a = e^{-b/2}`, :math:`\sigma^2 = 1 - e^{-b}`, and :math:`m = y`, :math:`v = 0` at
:math:`b = B(t)`. Substituting the formulas above (with
:math:`\bar\alpha_s = e^{-b}`) satisfies both equations and the end conditions; by uniqueness of
linear ODE solutions they are the solution. Equivalently: the reverse SDE realises the time
reversal of the forward process, whose transition is the forward posterior
:math:`q(u_s \mid u_t, u_0 = f)` by Bayes and the Markov property (Eq. 1) -- the very formula of
DDPM's ancestral step (Ho et al. 2020, Eq. 7). This is arXiv:2501.17054's link between the discrete
("stable diffusion") and continuous (score-based) views: for a point mass, DDPM's ancestral step
with :class:`~driftscale.reverse.denoisers.PointDenoiser` samples the exact reverse law, with no
discretisation error, while Euler-Maruyama on the SDE only converges to it (both checked in
``tests/reverse/test_samplers.py``).

As :math:`s \to 0` the variance vanishes and the mean tends to ``f``: every reverse path ends at
the starting point, the one-point case of the memorisation result of arXiv:2501.17054.

References
----------
.. [1] "Generative diffusion models from a PDE perspective", arXiv:2501.17054 (2025).
.. [2] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from driftscale._validation import as_rng, check_array
from driftscale.reverse.posterior import (
    PosteriorCoefficients,
    log_alpha_bar_at,
    posterior_coefficients,
)
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["PointReverseLaw", "reverse_point_law", "reverse_point_moment_residual"]


@dataclass(frozen=True)
class PointReverseLaw:
    r"""The Gaussian law :math:`\mathcal N(c_f f + c_y y, v I)` of :math:`u_s` given
    :math:`u_t = y` under the reverse SDE for :math:`p(u_0) = \delta_f`.

    Attributes
    ----------
    mean : ndarray of float64, the shape of ``y``
    variance : float
        Per-pixel variance ``v``.
    factor_f, factor_y : float
        ``c_f`` and ``c_y``.
    t, s : float
        Start and end, in steps (``0 <= s < t <= T``; fractional steps are continuous time).
    """

    mean: FloatArray
    variance: float
    factor_f: float
    factor_y: float
    t: float
    s: float

    def marginal_variance(self, y_variance: float = 1.0) -> float:
        r"""Variance of :math:`u_s` when :math:`u_t` is itself random with per-pixel variance
        ``y_variance`` (e.g. ``1`` for a start drawn from the steady state N(0, I)):
        :math:`c_y^2\,\mathrm{Var}(y) + v`."""
        return self.factor_y**2 * float(y_variance) + self.variance

    def sample(self, num_samples: int | None = None, *, rng: RNGLike = None) -> FloatArray:
        """Draw from the law: ``num_samples`` images (one without a batch axis if ``None``)."""
        rng = as_rng(rng)
        size = self.mean.shape if num_samples is None else (int(num_samples), *self.mean.shape)
        return self.mean + math.sqrt(self.variance) * rng.standard_normal(size)


def reverse_point_law(
    f: Any, y: Any, *, schedule: Schedule | str, t: float, s: float
) -> PointReverseLaw:
    r"""Closed-form law of the reverse SDE from :math:`u_t = y` to step ``s``, for
    :math:`p(u_0) = \delta_f` (see the module docstring for the derivation).

    Parameters
    ----------
    f : ndarray
        The fixed starting point of the forward process.
    y : ndarray
        The state at step ``t``; the shape of ``f``, or a batch ``(B, *f.shape)``.
    schedule : Schedule or str
    t, s : float
        Steps with ``0 <= s < t <= T``; fractional values are continuous time ``t / T`` on the
        VP-SDE clock of :meth:`Schedule.integrated_beta`.

    Returns
    -------
    PointReverseLaw

    Examples
    --------
    >>> import numpy as np
    >>> law = reverse_point_law(np.ones(2), np.zeros(2), schedule="constant:0.02", t=100, s=0)
    >>> law.mean.tolist(), law.variance
    ([1.0, 1.0], 0.0)
    """
    f = check_array(f, name="f")
    y = check_array(y, name="y")
    if y.shape != f.shape and y.shape[1:] != f.shape:
        raise ValueError(
            f"`y` must have the shape of `f` {f.shape} or (B, *{f.shape}), got {y.shape}"
        )
    schedule = Schedule.coerce(schedule)
    t, s = float(t), float(s)
    if not (0.0 <= s < t <= schedule.T):
        raise ValueError(
            f"`s` and `t` must satisfy 0 <= s < t <= T = {schedule.T} (reverse time runs from t "
            f"down to s), got t={t}, s={s}"
        )
    # the reverse law is the forward posterior q(u_s | u_t = y, u_0 = f) (module docstring)
    post = posterior_coefficients(schedule, t, s)
    return PointReverseLaw(
        mean=post.c0 * f + post.ct * y,
        variance=post.variance,
        factor_f=post.c0,
        factor_y=post.ct,
        t=t,
        s=s,
    )


def reverse_point_moment_residual(
    schedule: Schedule | str, t: float, s: float, *, h: float = 1e-4
) -> tuple[float, float]:
    r"""Residuals of the moment ODEs of the module docstring at ``s``, by central differences.

    For the factors :math:`c_f(b), c_y(b)` (the mean is linear in ``f`` and ``y``) and the
    variance :math:`v(b)` on the clock :math:`b = B(s)`, returns
    ``(mean residual, variance residual)``; both vanish (up to O(h^2)) if the closed form solves
    the reverse SDE. Used by the tests as a check independent of any simulation.
    """
    schedule = Schedule.coerce(schedule)
    la_t = log_alpha_bar_at(schedule, t)
    b0 = -log_alpha_bar_at(schedule, s)

    def parts(b: float) -> tuple[float, float, float]:
        post = PosteriorCoefficients.from_log_alpha_bar(la_t, -b)  # clock b = B(s) = -ln ab_s
        return post.c0, post.ct, post.variance

    (cf_p, cy_p, v_p), (cf_m, cy_m, v_m), (cf, cy, v) = parts(b0 + h), parts(b0 - h), parts(b0)
    a, sigma2 = math.exp(-0.5 * b0), -math.expm1(-b0)
    # mean with f = y = 1 as a test vector: m = c_f + c_y; -dm/db = m/2 - (m - a f)/sigma^2
    m, dm = cf + cy, (cf_p + cy_p - cf_m - cy_m) / (2 * h)
    mean_residual = -dm - (0.5 * m - (m - a) / sigma2)
    # -dv/db = v - 2 v / sigma^2 + 1
    variance_residual = -(v_p - v_m) / (2 * h) - (v - 2 * v / sigma2 + 1.0)
    return float(mean_residual), float(variance_residual)
