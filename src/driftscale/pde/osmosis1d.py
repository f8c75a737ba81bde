r"""1-D osmosis, Eq. (27) of Peter 2023, run by the Fokker-Planck core of :mod:`driftscale.pde`.

Eq. (27), :math:`\partial_t u = \partial_{xx}u - \partial_x(d\,u)`, is the Fokker-Planck equation
Eq. (24) with :math:`m_1 = d` and :math:`m_2 = 2`: the signal ``u`` plays the density ``p``.
For a positive guidance signal ``v`` the canonical drift :math:`d = v'/v` makes ``v`` stationary.

``flux="central"`` uses the discrete canonical drift of Vogel et al. (2013),
:math:`d_{i+1/2} = 2(v_{i+1} - v_i)/(h(v_{i+1} + v_i))`, and the central flux: exactly the operator
of :mod:`driftscale.osmosis` on a ``(1, W)`` image, so both give the same evolution (tested).
``flux="scharfetter-gummel"`` prescribes the equilibrium ratio :math:`\ln(v_{i+1}/v_i)` instead,
which is positive for any ``v``. Both keep :math:`\sum_i u_i` and reach
:math:`(\sum f / \sum v)\,v`, the osmosis steady state :math:`\frac{\mu_f}{\mu_v}v`.

Conversely the VP-SDE is 1-D osmosis in the operational time :math:`s = B(t)/2`: dividing Eq. (24)
by :math:`\beta(t)/2` gives :math:`\partial_s p = \partial_{xx}p - \partial_x(-x\,p)`, the
canonical drift of the guidance :math:`v = e^{-x^2/2}` (:func:`vp_sde_as_osmosis`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from driftscale._validation import check_array, check_positive_array
from driftscale.pde.fokker_planck import FokkerPlanck1D, FokkerPlanckSolution, Method
from driftscale.pde.grid import Grid1D
from driftscale.pde.operator import Flux

__all__ = ["canonical_drift_1d", "osmosis_1d", "vp_sde_as_osmosis"]

POSITIVE_FIX = "osmosis needs strictly positive values; shift the signal (e.g. add 1)"


def canonical_drift_1d(v: Any, *, h: float = 1.0) -> np.ndarray:
    r"""Discrete canonical drift :math:`d_{i+1/2} = 2(v_{i+1} - v_i) / (h(v_{i+1} + v_i))` of a
    positive 1-D signal (Vogel et al. 2013), length ``len(v) - 1``.

    Examples
    --------
    >>> canonical_drift_1d([1.0, 3.0]).tolist()
    [1.0]
    """
    v = check_positive_array(check_array(v, name="v", ndim=1), name="v", fix=POSITIVE_FIX)
    return 2.0 * np.diff(v) / (float(h) * (v[1:] + v[:-1]))


def osmosis_1d(
    f: Any,
    times: Any,
    *,
    guidance: Any,
    h: float = 1.0,
    flux: Flux = "central",
    method: Method = "exact",
    step_size: float = 1.0,
) -> FokkerPlanckSolution:
    r"""Evolve a positive 1-D signal ``f`` by 1-D osmosis (Eq. 27) with the canonical drift of
    ``guidance``, through :class:`~driftscale.pde.fokker_planck.FokkerPlanck1D`.

    Parameters
    ----------
    f, guidance : ndarray of shape (W,)
        Strictly positive signals of the same length ``W >= 3``.
    times : sequence of float
        Sorted times ``t >= 0``.
    h : float
        Grid size (pixel width).
    flux : {"central", "scharfetter-gummel"}
        ``"central"`` reproduces :class:`driftscale.osmosis.Osmosis` on a ``(1, W)`` image.
    method, step_size
        As in :meth:`FokkerPlanck1D.solve` (``step_size`` in units of ``t``).

    Returns
    -------
    FokkerPlanckSolution
        ``density`` of shape ``(len(times), W)``; ``mass`` is :math:`h\sum_i u_i`.

    Examples
    --------
    >>> sol = osmosis_1d([1.0, 2.0, 3.0], [0.0, 1e3], guidance=[1.0, 1.0, 4.0])
    >>> np.round(sol.density[-1], 6).tolist()   # (sum f / sum v) v = v
    [1.0, 1.0, 4.0]
    """
    f = check_positive_array(check_array(f, name="f", ndim=1), name="f", fix=POSITIVE_FIX)
    v = check_positive_array(
        check_array(guidance, name="guidance", ndim=1), name="guidance", fix=POSITIVE_FIX
    )
    if v.shape != f.shape:
        raise ValueError(f"`guidance` must have the shape of `f` {f.shape}, got {v.shape}")
    h = float(h)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"`h` must be positive and finite, got {h!r}")
    grid = Grid1D(0.0, h * f.size, f.size)
    if flux == "scharfetter-gummel":
        # exact discrete equilibrium v: pi_{i+1} / pi_i = v_{i+1} / v_i
        fp = FokkerPlanck1D(grid, drift=0.0, diffusion=2.0, flux=flux, log_ratio=np.diff(np.log(v)))
    else:
        # Eq. (27) = Eq. (24) with m1 = d (canonical drift), m2 = 2 (unit diffusivity)
        fp = FokkerPlanck1D(grid, drift=canonical_drift_1d(v, h=h), diffusion=2.0, flux=flux)
    return fp.solve(f, times, method=method, step_size=step_size)


def vp_sde_as_osmosis(grid: Grid1D, *, flux: Flux = "scharfetter-gummel") -> FokkerPlanck1D:
    r"""The VP-SDE's Fokker-Planck operator written as 1-D osmosis (Eq. 27) in the operational
    time :math:`s = B(t)/2`: unit diffusivity and the canonical drift :math:`v'/v = -x` of the
    guidance :math:`v = e^{-x^2/2}`. Solving it to ``s`` equals
    ``FokkerPlanck1D.from_sde(sde, grid)`` at any ``t`` with :math:`B(t) = 2s`."""
    return FokkerPlanck1D(grid, drift=lambda x: -x, diffusion=2.0, flux=flux)
