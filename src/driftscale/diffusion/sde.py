r"""Continuous view of the forward chain: the VP-SDE and the Feller moments, Eq. (23) of Peter 2023.

The chain Eq. (4), :math:`u_i = \sqrt{1-\beta_i}\,u_{i-1} + \sqrt{\beta_i}\,g`, is the exact
time-``1/T`` transition of the variance-preserving SDE

.. math:: du = -\tfrac12\beta(t)\,u\,dt + \sqrt{\beta(t)}\,dW, \qquad t = i/T,

when :math:`\beta(t) = -T\ln(1-\beta_i)` on step ``i``'s interval: then
:math:`\int_0^{i/T}\beta = -\ln\bar\alpha_i` and the SDE's marginal
:math:`\mathcal N(e^{-B/2}u_0, 1 - e^{-B})` is Eq. (5) exactly at every step
(:class:`VPSDE`; ``VPSDE(schedule).to_schedule()`` returns the betas back). The Feller moments
Eq. (23) of the SDE are :math:`m_1 = -\beta(t)u/2` and :math:`m_2 = \beta(t)`;
:func:`feller_moments` estimates them from simulated transitions of the chain, with confidence
intervals, beside the exact finite-step values and the SDE limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.schedules import ArraySchedule, Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["VPSDE", "FellerMoments", "feller_moments"]


@dataclass(frozen=True)
class VPSDE:
    r"""Variance-preserving SDE :math:`du = -\tfrac12\beta(t)u\,dt + \sqrt{\beta(t)}\,dW`,
    ``t`` in ``[0, 1]``.

    Either from a discrete ``schedule`` (piecewise-constant :math:`\beta(t)`, exact at steps), or,
    with ``schedule=None``, the continuous linear rate
    :math:`\beta(t) = \beta_{min} + t(\beta_{max} - \beta_{min})` of Song et al. (2021).

    Examples
    --------
    >>> sde = VPSDE(Schedule.constant(0.02, T=100))
    >>> bool(np.isclose(sde.alpha_bar(0.5), 0.98 ** 50))
    True
    >>> np.allclose(sde.to_schedule().beta, sde.schedule.beta)
    True
    """

    schedule: Schedule | None = None
    beta_min: float = 0.1
    beta_max: float = 20.0

    def __post_init__(self) -> None:
        if self.schedule is not None:
            object.__setattr__(self, "schedule", Schedule.coerce(self.schedule))
        lo, hi = float(self.beta_min), float(self.beta_max)
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
            raise ValueError(
                f"`beta_min`, `beta_max` must satisfy 0 < beta_min <= beta_max, got {lo!r}, {hi!r}"
            )

    @staticmethod
    def _t(t: Any) -> FloatArray:
        arr = np.asarray(t, dtype=np.float64)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
            raise ValueError(
                f"`t` must lie in [0, 1] (t = i / T), got {np.ravel(arr)[:5].tolist()}"
            )
        return arr

    def beta(self, t: Any) -> FloatArray:
        r"""The rate :math:`\beta(t)`."""
        t = self._t(t)
        if self.schedule is not None:
            return self.schedule.beta_continuous(t)  # -T ln(1 - beta_i) on step i
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def integrated_beta(self, t: Any) -> FloatArray:
        r""":math:`B(t) = \int_0^t \beta(s)\,ds`."""
        t = self._t(t)
        if self.schedule is not None:
            return self.schedule.integrated_beta(t)  # -ln alpha_bar, exact at steps
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2

    def alpha_bar(self, t: Any) -> FloatArray:
        r""":math:`\bar\alpha(t) = e^{-B(t)}`, Eq. (5)'s ``alpha_bar[i]`` at ``t = i/T``."""
        return np.exp(-self.integrated_beta(t))

    def drift(self, u: Any, t: Any) -> FloatArray:
        r"""Drift :math:`m_1(u, t) = -\beta(t)u/2` (Eq. 23 of the SDE)."""
        return -0.5 * self.beta(t) * np.asarray(u, dtype=np.float64)

    def diffusion(self, t: Any) -> FloatArray:
        r"""Squared diffusion :math:`m_2(t) = \beta(t)` (Eq. 23 of the SDE)."""
        return self.beta(t)

    def marginal_coefficients(self, t: Any) -> tuple[FloatArray, FloatArray]:
        r"""Mean factor :math:`e^{-B/2}` and variance :math:`1 - e^{-B}` of :math:`u_t \mid u_0`."""
        B = self.integrated_beta(t)
        return np.exp(-0.5 * B), -np.expm1(-B)

    def to_schedule(self, T: int | None = None) -> Schedule:
        r"""The discrete chain with the same marginals at ``t = i/T``:
        :math:`\beta_i = 1 - e^{-(B(i/T) - B((i-1)/T))}`.

        ``T`` defaults to the schedule's own (an exact round trip) or 1000.
        """
        if T is None:
            T = self.schedule.T if self.schedule is not None else 1000
        T = check_positive_int(T, name="T")
        B = self.integrated_beta(np.arange(T + 1) / T)
        return ArraySchedule(betas=-np.expm1(-np.diff(B)))


@dataclass(frozen=True)
class FellerMoments:
    r"""Monte-Carlo estimates of the Feller moments Eq. (23) for step ``i`` at the states ``u``.

    ``m1``, ``m2``: estimates of :math:`E[\Delta]/h` and :math:`E[\Delta^2]/h`,
    :math:`\Delta = u_i - u_{i-1}`, ``h = 1/T``, with ``*_low``/``*_high`` the two-sided
    ``confidence`` intervals (normal approximation, standard error from the samples).
    ``m1_step``, ``m2_step``: the exact finite-``h`` values
    :math:`T(\sqrt{1-\beta_i}-1)u` and :math:`T[(\sqrt{1-\beta_i}-1)^2u^2 + \beta_i]`.
    ``m1_sde``, ``m2_sde``: the limit :math:`-\beta(t)u/2`, :math:`\beta(t)` of the VP-SDE.
    """

    step: int
    u: FloatArray
    num_samples: int
    confidence: float
    m1: FloatArray
    m1_low: FloatArray
    m1_high: FloatArray
    m2: FloatArray
    m2_low: FloatArray
    m2_high: FloatArray
    m1_step: FloatArray
    m2_step: FloatArray
    m1_sde: FloatArray
    m2_sde: FloatArray

    def coverage(self) -> dict[str, float]:
        """Fraction of states whose interval contains the exact finite-step moment."""
        c1 = (self.m1_low <= self.m1_step) & (self.m1_step <= self.m1_high)
        c2 = (self.m2_low <= self.m2_step) & (self.m2_step <= self.m2_high)
        return {"m1": float(c1.mean()), "m2": float(c2.mean())}


def feller_moments(
    schedule: Schedule | str,
    step: int,
    u: Any,
    *,
    num_samples: int = 10_000,
    confidence: float = 0.95,
    rng: RNGLike = None,
) -> FellerMoments:
    r"""Estimate the stochastic moments of Eq. (23) from simulated transitions of the chain.

    For each state ``u`` (a value of :math:`u_{i-1}`) draws ``num_samples`` steps of Eq. (4) and
    averages :math:`\Delta/h` and :math:`\Delta^2/h` with ``h = 1/T`` (the time of one step).

    Parameters
    ----------
    schedule : Schedule or str
    step : int
        The step ``i`` in ``1..T`` (transition ``i - 1 -> i``).
    u : array_like
        States :math:`u_{i-1}` (any shape; flattened).
    num_samples : int
        Transitions per state.
    confidence : float
        Two-sided confidence level of the intervals, in (0, 1).
    rng : {numpy.random.Generator, int, None}

    Returns
    -------
    FellerMoments
    """
    schedule = Schedule.coerce(schedule)
    if (
        isinstance(step, bool)
        or not isinstance(step, int | np.integer)
        or not 1 <= step <= schedule.T
    ):
        raise ValueError(f"`step` must be an integer in 1..T = {schedule.T}, got {step!r}")
    x = check_array(u, name="u").ravel()
    n = check_positive_int(num_samples, name="num_samples")
    if n < 2:
        raise ValueError(f"`num_samples` must be at least 2 for a confidence interval, got {n}")
    if not (isinstance(confidence, float | int) and 0 < confidence < 1):
        raise ValueError(f"`confidence` must lie in (0, 1), got {confidence!r}")
    rng = as_rng(rng)
    beta = float(schedule.beta[step])
    T = schedule.T
    z = float(ndtri(0.5 + confidence / 2.0))  # the standard normal quantile
    g = rng.standard_normal((x.size, n))
    # Eq. (4): u_i - u_{i-1} = (sqrt(1 - beta_i) - 1) u_{i-1} + sqrt(beta_i) g
    delta = (math.sqrt(1.0 - beta) - 1.0) * x[:, None] + math.sqrt(beta) * g
    stats = []
    for values in (delta * T, delta**2 * T):  # Eq. (23) with h = 1/T
        mean = values.mean(axis=1)
        half = z * values.std(axis=1, ddof=1) / math.sqrt(n)
        stats.append((mean, mean - half, mean + half))
    c = math.sqrt(1.0 - beta) - 1.0
    beta_t = float(schedule.beta_continuous((step - 0.5) / T))
    return FellerMoments(
        step=int(step),
        u=x,
        num_samples=n,
        confidence=float(confidence),
        m1=stats[0][0],
        m1_low=stats[0][1],
        m1_high=stats[0][2],
        m2=stats[1][0],
        m2_low=stats[1][1],
        m2_high=stats[1][2],
        m1_step=T * c * x,
        m2_step=T * (c**2 * x**2 + beta),
        m1_sde=-0.5 * beta_t * x,  # Eq. (23) of the VP-SDE: m1 = -beta(t) u / 2
        m2_sde=np.full(x.size, beta_t),  # m2 = beta(t)
    )
