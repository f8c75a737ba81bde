r"""1-D Fokker-Planck solver, forward (Eq. 24) and backward (Kolmogorov, Eq. 25), of Peter 2023.

The density of a 1-D diffusion :math:`du = m_1\,dt + \sqrt{m_2}\,dW` solves

.. math:: \partial_t p = -\partial_x(m_1 p) + \tfrac12\partial_{xx}(m_2 p).

Eq. (24) of the paper prints the drift term as :math:`+\partial_x(m_1 p)`; that sign is wrong (with
it the VP-SDE's density would run away from the origin instead of converging to
:math:`\mathcal N(0, 1)`); we implement the standard sign, and the tests check the result
against the closed-form marginal Eq. (5). The backward equation for
:math:`g(x, s) = E[\varphi(u_t) \mid u_s = x]`, :math:`s \le t`, is

.. math:: -\partial_s g = m_1\,\partial_x g + \tfrac12 m_2\,\partial_{xx} g,
          \qquad g(\cdot, t) = \varphi,

which is Eq. (25) read in the remaining time :math:`\tau = t - s` (Eq. 25 writes
:math:`+\partial_\tau` with respect to the earlier time, without the minus sign).

Coefficients must factor as :math:`m_1 = \rho(t)\,a(x)`, :math:`m_2 = \rho(t)\,b` with a constant
``b``: true for the VP-SDE (:math:`\rho = \beta(t)`, :math:`a = -x/2`, ``b = 1``), the
Ornstein-Uhlenbeck process and 1-D osmosis (:math:`\rho = 1`, ``a = d``, ``b = 2``). The
operator is then :math:`\rho(t) A` with one tridiagonal ``A`` (:mod:`driftscale.pde.operator`), and
the solver works in the operational time :math:`\sigma = R(t) = \int_0^t\rho`:

``method="exact"``
    :math:`p(t) = e^{R(t) A} p_0` by the eigendecomposition of the symmetrised ``A``: no time
    error; non-negative up to round-off.
``method="implicit"``
    Backward Euler in :math:`\sigma`, first order; unconditionally positive and mass conserving
    (``I - \Delta A`` is an M-matrix with unit column sums).
``method="tr-bdf2"``
    TR-BDF2 (Bank et al. 1985), second order and L-stable, mass conserving; positivity is not
    guaranteed for large steps (its BDF2 stage has a negative weight), and ``min_density`` of the
    result reports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.linalg import lapack

from driftscale._validation import check_array, check_choice, check_times
from driftscale.pde.grid import Grid1D
from driftscale.pde.operator import (
    DriftDiffusionOperator,
    Flux,
    drift_diffusion_operator,
)
from driftscale.typing import FloatArray

__all__ = ["METHODS", "FokkerPlanck1D", "FokkerPlanckSolution"]

Method = Literal["exact", "implicit", "tr-bdf2"]
METHODS = ("exact", "implicit", "tr-bdf2")
GAMMA = 2.0 - math.sqrt(2.0)  # TR-BDF2's stage fraction; makes both stages share one matrix


@dataclass(frozen=True)
class FokkerPlanckSolution:
    """Densities ``density[k]`` (cell averages on ``grid``) at ``times[k]``.

    ``operational_times`` are :math:`R(t)`; ``mass[k] = h sum density[k]``; ``min_density`` is the
    smallest value over all times (negative only through round-off or a non-positive scheme).
    For the backward equation ``density`` holds :math:`g(\\cdot, s)` at the times ``s``.
    """

    grid: Grid1D
    times: FloatArray
    operational_times: FloatArray
    density: FloatArray
    method: str
    flux: str
    num_steps: int
    mass: FloatArray = field(init=False)
    min_density: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mass", self.grid.mass(self.density))
        object.__setattr__(self, "min_density", float(self.density.min()))


class _Tridiagonal:
    """LU factors of ``I - c A`` (or of its transpose) for repeated solves (LAPACK gttrf)."""

    def __init__(self, op: DriftDiffusionOperator, c: float, transpose: bool) -> None:
        lo, up = (op.upper, op.lower) if transpose else (op.lower, op.upper)
        *self.factors, info = lapack.dgttrf(-c * lo, 1.0 - c * op.diag, -c * up)
        if info != 0:  # cannot happen: I - cA is column diagonally dominant for c >= 0
            raise np.linalg.LinAlgError(f"tridiagonal factorisation failed (info={info})")

    def solve(self, b: FloatArray) -> FloatArray:
        x, _ = lapack.dgttrs(*self.factors, b[:, None])
        return x[:, 0]


class FokkerPlanck1D:
    r"""Solve :math:`\partial_t p = \rho(t)[-\partial_x(a p) + \tfrac b2 \partial_{xx} p]` on a
    truncated 1-D domain with no-flux boundaries (Eq. 24; Eq. 27 with ``b = 2``).

    Parameters
    ----------
    grid : Grid1D
        The truncated domain and its cells.
    drift : callable or ndarray
        Spatial part ``a(x)`` of :math:`m_1`, as a function or its values at the interior faces.
    diffusion : float, optional
        Spatial part ``b > 0`` of :math:`m_2` (constant); the diffusivity is ``b / 2``.
    integrated_rate : callable, optional
        :math:`R(t) = \int_0^t \rho`, non-decreasing; default ``R(t) = t`` (autonomous).
    flux : {"scharfetter-gummel", "central", "cell-average"}
        Face flux, see :mod:`driftscale.pde.operator`. ``"cell-average"`` makes the cell averages
        of the continuous equilibrium of ``a`` the exact discrete steady state; since
        :math:`\rho(t)` only rescales time, that equilibrium (``N(0, 1)`` for the VP-SDE) and the
        face weights do not depend on ``t``: they are computed once, for ``A``.

    Examples
    --------
    >>> fp = FokkerPlanck1D(Grid1D(-6, 6, 120), drift=lambda x: -x / 2)   # OU, N(0, 1) at rest
    >>> sol = fp.solve(fp.equilibrium(), [0.0, 1.0])
    >>> bool(np.allclose(sol.density[1], sol.density[0], atol=1e-12))
    True
    """

    def __init__(
        self,
        grid: Grid1D,
        *,
        drift: Callable[[FloatArray], Any] | Any,
        diffusion: float = 1.0,
        integrated_rate: Callable[[FloatArray], Any] | None = None,
        flux: Flux = "scharfetter-gummel",
        log_ratio: Any = None,
    ) -> None:
        b = float(diffusion)
        if not (math.isfinite(b) and b > 0):
            raise ValueError(f"`diffusion` must be positive and finite, got {diffusion!r}")
        if integrated_rate is not None and not callable(integrated_rate):
            raise TypeError(
                f"`integrated_rate` must be a function t -> R(t), got {type(integrated_rate)}"
            )
        self.grid = grid
        self.diffusion = b
        self.integrated_rate = integrated_rate
        self.operator = drift_diffusion_operator(
            grid, drift, diffusivity=b / 2.0, flux=flux, log_ratio=log_ratio
        )

    @classmethod
    def from_sde(
        cls,
        sde: Any,
        grid: Grid1D | None = None,
        *,
        flux: Flux = "scharfetter-gummel",
    ) -> FokkerPlanck1D:
        r"""The Fokker-Planck equation of the VP-SDE ``sde`` (a
        :class:`~driftscale.diffusion.sde.VPSDE`):
        Eq. (23): :math:`m_1 = -\beta(t)x/2`, :math:`m_2 = \beta(t)`. Default grid: 400 cells
        on ``[-8, 8]``."""
        if not hasattr(sde, "integrated_beta"):
            raise TypeError(f"`sde` must be a VPSDE, got {type(sde).__name__}")
        grid = Grid1D(-8.0, 8.0, 400) if grid is None else grid
        # Eq. (23) for Eq. (4): m1 = -beta(t) u / 2, m2 = beta(t)  (rho = beta, a = -x/2, b = 1)
        return cls(
            grid,
            drift=lambda x: -0.5 * x,
            diffusion=1.0,
            integrated_rate=sde.integrated_beta,
            flux=flux,
        )

    def equilibrium(self) -> FloatArray:
        """The discrete steady state (``A pi = 0``, mass 1)."""
        return self.operator.equilibrium()

    def _sigma(self, t: FloatArray) -> FloatArray:
        if self.integrated_rate is None:
            return t.copy()
        sigma = np.asarray(self.integrated_rate(t), dtype=np.float64)
        if sigma.shape != t.shape or not np.all(np.isfinite(sigma)) or np.any(np.diff(sigma) < 0):
            raise ValueError("`integrated_rate` must return finite non-decreasing values of t")
        return sigma - float(np.asarray(self.integrated_rate(np.zeros(1)))[0])

    def _check_initial(self, p0: Any, name: str) -> FloatArray:
        p = check_array(p0, name=name, ndim=1)
        if p.size != self.grid.num_cells:
            raise ValueError(
                f"`{name}` must have one value per cell ({self.grid.num_cells}), got {p.size}"
            )
        return p

    def solve(
        self,
        p0: Any,
        times: Any,
        *,
        method: Method = "exact",
        step_size: float = 0.01,
        callback: Callable[[int], None] | None = None,
    ) -> FokkerPlanckSolution:
        r"""Evolve the density ``p0`` (cell averages) forward to the sorted ``times`` (Eq. 24).

        Parameters
        ----------
        p0 : ndarray of shape (num_cells,)
            Initial density, e.g. ``Mixture1D.cell_averages(grid)``; need not be normalised.
        times : sequence of float
            Sorted times ``t >= 0`` (SDE time; step ``i`` of a schedule is ``t = i / T``).
        method : {"exact", "implicit", "tr-bdf2"}
        step_size : float
            Largest step in operational time :math:`\sigma = R(t)` for the stepping methods; each
            interval between requested times is split into equal steps no longer than this.
        callback : callable, optional
            Called with the number of steps done.

        Returns
        -------
        FokkerPlanckSolution
            ``density`` of float64, shape ``(len(times), num_cells)``.
        """
        p = self._check_initial(p0, "p0")
        return self._run(p, times, method, step_size, callback, transpose=False)

    def backward(
        self,
        phi: Any,
        final_time: float,
        times: Any,
        *,
        method: Method = "exact",
        step_size: float = 0.01,
    ) -> FokkerPlanckSolution:
        r"""Solve the backward equation (Eq. 25): :math:`g(x, s) = E[\varphi(u_t) \mid u_s = x]`.

        Discretely :math:`g(s) = e^{(R(t) - R(s)) A^T}\varphi`, the adjoint of the forward solver,
        so :math:`h\,\varphi\cdot p(t) = h\,g(0)\cdot p(0)` holds to round-off.

        Parameters
        ----------
        phi : callable or ndarray of shape (num_cells,)
            Terminal function at ``final_time``, as values at the cell centres or a function.
        final_time : float
            The time ``t`` of :math:`\varphi(u_t)`.
        times : sequence of float
            Sorted earlier times ``0 <= s <= final_time`` at which ``g`` is returned.

        Returns
        -------
        FokkerPlanckSolution
            ``density[k]`` holds ``g(., times[k])``.
        """
        values = phi(self.grid.centres) if callable(phi) else phi
        g = self._check_initial(values, "phi")
        s = check_times(times)
        t_end = float(final_time)
        if not (math.isfinite(t_end) and t_end >= s[-1]):
            raise ValueError(
                f"`final_time` must be finite and at least max(times) = {s[-1]!r}, got "
                f"{final_time!r}"
            )
        sig_all = self._sigma(np.concatenate([s, [t_end]]))
        remaining = sig_all[-1] - sig_all[:-1]  # operational time left: tau of Eq. (25)
        order = np.argsort(remaining, kind="stable")
        sol = self._run(g, remaining[order], method, step_size, None, True, operational=True)
        density = np.empty_like(sol.density)
        density[order] = sol.density
        return FokkerPlanckSolution(
            grid=self.grid,
            times=s,
            operational_times=sig_all[:-1],
            density=density,
            method=method,
            flux=self.operator.flux,
            num_steps=sol.num_steps,
        )

    def _run(
        self,
        p: FloatArray,
        times: Any,
        method: str,
        step_size: float,
        callback: Callable[[int], None] | None,
        transpose: bool,
        operational: bool = False,
    ) -> FokkerPlanckSolution:
        t = check_times(times)
        check_choice(method, name="method", choices=METHODS)
        if not (math.isfinite(step_size) and step_size > 0):
            raise ValueError(f"`step_size` must be positive and finite, got {step_size!r}")
        sigma = t.copy() if operational else self._sigma(t)
        op = self.operator
        num_steps = 0
        if method == "exact":
            density = op.expm_apply(p, sigma, transpose=transpose)
            if callback is not None:
                callback(1)
        else:
            density = np.empty((t.size, p.size))
            current, last = p.copy(), 0.0
            solvers: dict[float, tuple[_Tridiagonal, ...]] = {}
            for k, target in enumerate(sigma):
                span = target - last
                n = math.ceil(span / step_size - 1e-9) if span > 0 else 0
                if n:
                    dt = span / n
                    if dt not in solvers:
                        solvers[dt] = self._factor(dt, method, transpose)
                    for _ in range(n):
                        current = self._step(current, dt, method, solvers[dt], transpose)
                    num_steps += n
                    if callback is not None:
                        callback(n)
                density[k] = current
                last = target
        return FokkerPlanckSolution(
            grid=self.grid,
            times=t,
            operational_times=sigma,
            density=density,
            method=method,
            flux=op.flux,
            num_steps=num_steps,
        )

    def _factor(self, dt: float, method: str, transpose: bool) -> tuple[_Tridiagonal, ...]:
        op = self.operator
        if method == "implicit":
            return (_Tridiagonal(op, dt, transpose),)
        # TR-BDF2: trapezoidal stage over gamma*dt, then BDF2; with gamma = 2 - sqrt(2) both
        # implicit matrices are I - (gamma/2) dt A = I - (1-gamma)/(2-gamma) dt A.
        return (_Tridiagonal(op, 0.5 * GAMMA * dt, transpose),)

    def _step(
        self,
        p: FloatArray,
        dt: float,
        method: str,
        solvers: tuple[_Tridiagonal, ...],
        transpose: bool,
    ) -> FloatArray:
        if method == "implicit":
            return solvers[0].solve(p)  # backward Euler: (I - dt A) p_{n+1} = p_n
        op = self.operator
        # stage 1, trapezoidal rule: (I - g dt/2 A) y = (I + g dt/2 A) p_n
        y = solvers[0].solve(p + 0.5 * GAMMA * dt * op.matvec(p, transpose=transpose))
        # stage 2, BDF2: (I - w dt A) p_{n+1} = (y - (1-g)^2 p_n) / (g (2-g)), w = (1-g)/(2-g)
        scale = GAMMA * (2.0 - GAMMA)
        return solvers[0].solve((y - (1.0 - GAMMA) ** 2 * p) / scale)
