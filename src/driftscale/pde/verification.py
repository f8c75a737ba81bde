r"""Verification of the Fokker-Planck view (Eq. 24) against Eq. (5) and the Markov chain Eq. (4).

:func:`compare_fokker_planck` evolves a 1-D data distribution (a Gaussian mixture or the values of
an image) by the Fokker-Planck solver of the VP-SDE and compares, at the requested steps ``i``
(SDE time ``t = i/T``), (a) the closed-form marginal Eq. (5) and (b) a Monte-Carlo histogram of
the chain Eq. (4), in discrete L1 distance :math:`h\sum_i|p_i - q_i|` on exact cell averages.
:func:`refinement_study` measures the convergence order in space (grid refinement, exact time
integration) and in time (step refinement against the exact-in-time solution on the same grid).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._validation import as_rng, check_positive_int, check_steps
from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.diffusion.sde import VPSDE
from driftscale.pde.fokker_planck import FokkerPlanck1D, Method
from driftscale.pde.grid import Grid1D, Mixture1D
from driftscale.pde.operator import Flux
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "FokkerPlanckComparison",
    "RefinementStudy",
    "compare_fokker_planck",
    "convergence_order",
    "default_grid",
    "refinement_study",
]


@dataclass(frozen=True)
class FokkerPlanckComparison:
    """Densities at ``steps`` on ``grid``: ``pde`` (solver), ``closed_form`` (Eq. 5, exact cell
    averages), ``monte_carlo`` (histogram of ``num_samples`` chains); their L1 distances;
    ``mc_noise`` is the expected L1 of a histogram of that many exact samples,
    :math:`\\sum_i\\sqrt{2q_i(1-q_i)/(\\pi n)}`, the floor that ``l1_monte_carlo`` should sit at."""

    grid: Grid1D
    steps: np.ndarray
    times: FloatArray
    alpha_bar: FloatArray
    pde: FloatArray
    closed_form: FloatArray
    monte_carlo: FloatArray
    l1_pde: FloatArray
    l1_monte_carlo: FloatArray
    l1_pde_monte_carlo: FloatArray
    mc_noise: FloatArray
    mass: FloatArray
    min_density: float
    mass_outside_domain: float
    num_samples: int
    method: str
    flux: str

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers (no density arrays)."""
        return {
            "grid": {
                "lower": self.grid.lower,
                "upper": self.grid.upper,
                "cells": self.grid.num_cells,
            },
            "method": self.method,
            "flux": self.flux,
            "num_samples": self.num_samples,
            "steps": self.steps.tolist(),
            "times": self.times.tolist(),
            "alpha_bar": self.alpha_bar.tolist(),
            "l1_pde_vs_closed_form": self.l1_pde.tolist(),
            "l1_monte_carlo_vs_closed_form": self.l1_monte_carlo.tolist(),
            "l1_pde_vs_monte_carlo": self.l1_pde_monte_carlo.tolist(),
            "expected_monte_carlo_noise": self.mc_noise.tolist(),
            "mass_minus_one": (self.mass - 1.0).tolist(),
            "min_density": self.min_density,
            "closed_form_mass_outside_domain": self.mass_outside_domain,
        }


def default_grid(data: Mixture1D, *, num_cells: int = 400) -> Grid1D:
    """A symmetric domain holding every forward marginal of ``data`` to about 8 standard
    deviations: ``[-L, L]``, ``L = max |mu_k| + 8 max(max sigma_k, 1)``."""
    mu, sd = np.abs(np.asarray(data.means)), np.asarray(data.stds)
    half = float(mu.max() + 8.0 * max(float(sd.max()), 1.0))
    return Grid1D(-half, half, check_positive_int(num_cells, name="num_cells"))


def compare_fokker_planck(
    data: Mixture1D,
    schedule: Schedule | str,
    steps: Sequence[int],
    *,
    grid: Grid1D | None = None,
    method: Method = "exact",
    flux: Flux = "scharfetter-gummel",
    step_size: float = 0.01,
    num_samples: int = 100_000,
    rng: RNGLike = None,
    callback: Callable[[int], None] | None = None,
) -> FokkerPlanckComparison:
    """Fokker-Planck density vs closed form (Eq. 5) vs Monte Carlo of the chain (Eq. 4).

    Parameters
    ----------
    data : Mixture1D
        Initial distribution (``Mixture1D.from_values`` for the values of an image).
    schedule : Schedule or str
    steps : sequence of int
        Sorted steps ``0 <= i <= T``.
    grid : Grid1D, optional
        Default :func:`default_grid`.
    method, flux, step_size
        Passed to :class:`~driftscale.pde.fokker_planck.FokkerPlanck1D`.
    num_samples : int
        Chains simulated for the histograms.
    rng : {numpy.random.Generator, int, None}

    Returns
    -------
    FokkerPlanckComparison
    """
    if not isinstance(data, Mixture1D):
        raise TypeError(f"`data` must be a Mixture1D, got {type(data).__name__}")
    sched = Schedule.coerce(schedule)
    steps_arr = check_steps(steps, T=sched.T)
    n = check_positive_int(num_samples, name="num_samples")
    rng = as_rng(rng)
    grid = default_grid(data) if grid is None else grid
    sde = VPSDE(sched)
    times = sched.time(steps_arr)
    fp = FokkerPlanck1D.from_sde(sde, grid, flux=flux)
    sol = fp.solve(
        data.cell_averages(grid), times, method=method, step_size=step_size, callback=callback
    )
    alpha_bar = sched.alpha_bar[steps_arr]
    marginals = [data.diffused(float(a)) for a in alpha_bar]
    closed = np.stack([m.cell_averages(grid) for m in marginals])
    u0 = data.sample(n, rng=rng)[:, None]  # (n, 1): the chain acts on every entry independently
    chains = ProbabilisticDiffusion(sched).trajectory(u0, steps_arr, rng=rng, method="jump")
    mc = np.stack([grid.histogram(c) for c in chains])
    q = np.clip(closed * grid.h, 0.0, 1.0)  # cell probabilities
    noise = np.sum(np.sqrt(2.0 * q * (1.0 - q) / (math.pi * n)), axis=1)
    outside = max(m.mass_outside(grid) for m in marginals)
    return FokkerPlanckComparison(
        grid=grid,
        steps=steps_arr,
        times=times,
        alpha_bar=np.asarray(alpha_bar, dtype=np.float64),
        pde=sol.density,
        closed_form=closed,
        monte_carlo=mc,
        l1_pde=grid.l1(sol.density, closed),
        l1_monte_carlo=grid.l1(mc, closed),
        l1_pde_monte_carlo=grid.l1(sol.density, mc),
        mc_noise=noise,
        mass=sol.mass,
        min_density=sol.min_density,
        mass_outside_domain=outside,
        num_samples=n,
        method=method,
        flux=flux,
    )


def convergence_order(sizes: Any, errors: Any) -> float:
    """Least-squares slope of ``log(errors)`` against ``log(sizes)``: the measured order."""
    x, y = np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(errors, dtype=float))
    if x.size < 2 or not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
        raise ValueError("`sizes` and `errors` must hold at least two positive finite values")
    return float(np.polyfit(x, y, 1)[0])


@dataclass(frozen=True)
class RefinementStudy:
    """Errors and measured orders: ``space_*`` over ``num_cells`` (exact in time, L1 against the
    closed form), ``time_*`` over ``step_sizes`` (L1 against the exact-in-time solution on a grid
    of ``time_num_cells``), one row per method in ``time_methods``."""

    time: float
    num_cells: np.ndarray
    h: FloatArray
    space_errors: FloatArray
    space_order: float
    step_sizes: FloatArray
    time_methods: tuple[str, ...]
    time_errors: FloatArray
    time_orders: tuple[float, ...]
    time_num_cells: int
    flux: str

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {
            "time": self.time,
            "flux": self.flux,
            "space": {
                "num_cells": self.num_cells.tolist(),
                "h": self.h.tolist(),
                "l1": self.space_errors.tolist(),
                "order": self.space_order,
            },
            "time_refinement": {
                "num_cells": self.time_num_cells,
                "step_sizes": self.step_sizes.tolist(),
                **{
                    m: {"l1": e.tolist(), "order": o}
                    for m, e, o in zip(
                        self.time_methods, self.time_errors, self.time_orders, strict=True
                    )
                },
            },
        }


def refinement_study(
    data: Mixture1D,
    schedule: Schedule | str,
    step: int,
    *,
    num_cells: Sequence[int] = (50, 100, 200, 400),
    num_time_steps: Sequence[int] = (4, 8, 16, 32),
    methods: Sequence[str] = ("implicit", "tr-bdf2"),
    time_num_cells: int = 200,
    flux: Flux = "scharfetter-gummel",
) -> RefinementStudy:
    """Measure the convergence orders of the solver at step ``step`` (see :class:`RefinementStudy`).

    The time interval ``[0, t]`` is split into ``num_time_steps`` equal steps in operational time
    :math:`B(t)` (see :meth:`FokkerPlanck1D.solve`); ``step_sizes`` reports them.
    """
    sched = Schedule.coerce(schedule)
    t = float(sched.time(check_steps([step], T=sched.T)[0]))
    sde = VPSDE(sched)
    exact = data.diffused(float(sched.alpha_bar[step]))
    base = default_grid(data)
    cells = np.asarray([check_positive_int(int(c), name="num_cells") for c in num_cells])
    errors = []
    for c in cells:
        grid = Grid1D(base.lower, base.upper, int(c))
        sol = FokkerPlanck1D.from_sde(sde, grid, flux=flux).solve(data.cell_averages(grid), [t])
        errors.append(float(grid.l1(sol.density[0], exact.cell_averages(grid))))
    h = (base.upper - base.lower) / cells
    grid = Grid1D(base.lower, base.upper, check_positive_int(time_num_cells, name="time_num_cells"))
    fp = FokkerPlanck1D.from_sde(sde, grid, flux=flux)
    p0 = data.cell_averages(grid)
    ref = fp.solve(p0, [t]).density[0]
    total = float(sde.integrated_beta(t))
    steps_n = [check_positive_int(int(k), name="num_time_steps") for k in num_time_steps]
    dts = total / np.asarray(steps_n, dtype=np.float64)
    time_errors = np.array(
        [
            [grid.l1(fp.solve(p0, [t], method=m, step_size=dt).density[0], ref) for dt in dts]
            for m in methods
        ]
    )
    return RefinementStudy(
        time=t,
        num_cells=cells,
        h=h,
        space_errors=np.asarray(errors),
        space_order=convergence_order(h, errors),
        step_sizes=dts,
        time_methods=tuple(methods),
        time_errors=time_errors,
        time_orders=tuple(convergence_order(dts, e) for e in time_errors),
        time_num_cells=grid.num_cells,
        flux=flux,
    )
