"""The PDE view of the forward chain: the Fokker-Planck equation, Eq. (24) of Peter 2023, for a
1-D data distribution, against the closed form of Eq. (5) and Monte Carlo of the chain (Eq. 4).

:func:`run_fokker_planck` solves the Fokker-Planck equation of the VP-SDE (moments of Eq. 23) on
a grid, compares it with the exact marginal and with a histogram of simulated chains (L1 errors),
and optionally measures the convergence orders in space and time. It returns a
:class:`FokkerPlanckResult`; ``driftscale fokker-planck`` prints its ``to_dict()`` and draws it
with :func:`driftscale.figures.density_snapshots` and
:func:`driftscale.figures.convergence_figure`.

Examples
--------
>>> from driftscale.experiments.fokker_planck_run import run_fokker_planck
>>> res = run_fokker_planck("mixture:-2,2;0.3", T=100, steps=[0, 100], num_cells=200,
...                         num_samples=2000, rng=0)
>>> bool(res.comparison.l1_pde.max() < 1e-2)
True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._progress import progress_bar
from driftscale._validation import check_choice, check_positive_int, check_steps
from driftscale.data import ValueScale, load_image
from driftscale.distributions.mixture1d import Mixture1D, parse_data_spec
from driftscale.experiments._inputs import recorded_seed, resolve_seed, schedule_input
from driftscale.pde.fokker_planck import METHODS
from driftscale.pde.grid import Grid1D
from driftscale.pde.operator import FLUXES
from driftscale.pde.verification import (
    FokkerPlanckComparison,
    RefinementStudy,
    compare_fokker_planck,
    default_grid,
    refinement_study,
)
from driftscale.schedules import Schedule
from driftscale.typing import RNGLike

__all__ = [
    "DEFAULT_DATA",
    "DEFAULT_STEPS",
    "FokkerPlanckResult",
    "load_mixture",
    "run_fokker_planck",
]

DEFAULT_DATA = "mixture:-2,2;0.3"
DEFAULT_STEPS: tuple[int, ...] = (0, 50, 100, 200, 500, 1000)


def load_mixture(data: str | Mixture1D) -> tuple[Mixture1D, str, str]:
    """The 1-D data distribution, its spec and a description for titles.

    ``data`` is a :class:`~driftscale.distributions.mixture1d.Mixture1D`,
    ``"mixture:MEANS;STDS[;WEIGHTS]"``,
    or ``"image:cat"`` / ``"image:PATH"``: the image's grey values rounded to 8 bits, scaled to
    ``[-1, 1]``, one point mass per grey level.
    """
    if isinstance(data, Mixture1D):
        lists = [data.means, data.stds, data.weights]
        spec = "mixture:" + ";".join(",".join(repr(v) for v in values) for values in lists)
        return data, spec, spec
    if isinstance(data, str) and data.startswith("image:"):
        source = data[len("image:") :] or "cat"
        # grey values rounded to the 256 levels of an 8-bit image: at most 256 point masses, so
        # the closed form (a mixture with one component per level) stays cheap
        raw = np.round(load_image(source, grey=True))
        values = ValueScale.fit(raw, kind="unit").apply(raw)
        return Mixture1D.from_values(values), data, f"grey values of {source} in [-1, 1]"
    return parse_data_spec(data), data, data


@dataclass(frozen=True)
class FokkerPlanckResult:
    """Fokker-Planck densities (Eq. 24) against the closed form (Eq. 5) and Monte Carlo (Eq. 4).

    Attributes
    ----------
    data : str
        The data spec (``"mixture:..."`` or ``"image:..."``).
    description : str
        The data in words, for titles.
    mixture : Mixture1D
        The data distribution.
    schedule : Schedule
        The beta schedule; SDE time ``t = i / T``.
    seed : int or None
        Seed of the Monte-Carlo chains (``None`` when a Generator was passed).
    seconds : float
        Wall time of the comparison (solver, closed form and chains).
    comparison : FokkerPlanckComparison
        The densities on the grid, their L1 errors, masses and the Monte-Carlo noise floor.
    refinement : RefinementStudy or None
        The convergence study in space and time at step ``T / 5`` (``refine=True``).
    """

    data: str
    description: str
    mixture: Mixture1D
    schedule: Schedule
    seed: int | None
    seconds: float
    comparison: FokkerPlanckComparison
    refinement: RefinementStudy | None = None

    @property
    def title(self) -> str:
        """Title of the density snapshots: data, schedule, number of chains, seed."""
        return (
            f"{self.description}, {self.schedule.to_string()} (T = {self.schedule.T}): "
            f"Fokker-Planck vs closed form vs {self.comparison.num_samples} chains "
            f"(seed {self.seed})"
        )

    def format_table(self) -> str:
        """The terminal report: the grid, per step the L1 errors and the mass error, and the
        measured convergence orders."""
        s = self.to_dict()
        g = s["grid"]
        lines = [
            f"  grid [{g['lower']:g}, {g['upper']:g}] with {g['cells']} cells, "
            f"method {s['method']}, flux {s['flux']}"
        ]
        for i, a, e_pde, e_mc, noise, dm in zip(
            s["steps"],
            s["alpha_bar"],
            s["l1_pde_vs_closed_form"],
            s["l1_monte_carlo_vs_closed_form"],
            s["expected_monte_carlo_noise"],
            s["mass_minus_one"],
            strict=True,
        ):
            lines.append(
                f"  step {i:>5}  alpha_bar {a:.4g}  L1(PDE, closed) {e_pde:.2e}  "
                f"L1(MC, closed) {e_mc:.2e} (noise ~{noise:.2e})  mass-1 {dm:+.1e}"
            )
        if "refinement" in s:
            r = s["refinement"]
            orders = ", ".join(
                f"{m} {r['time_refinement'][m]['order']:.2f}"
                for m in r["time_refinement"]
                if isinstance(r["time_refinement"][m], dict)
            )
            lines.append(f"  measured order in space {r['space']['order']:.2f}; in time: {orders}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The ``driftscale fokker-planck --json`` payload (without the output paths)."""
        out = {
            "command": "fokker-planck",
            "data": self.data,
            "schedule": self.schedule.to_dict(),
            "seed": self.seed,
            "seconds": self.seconds,
            **self.comparison.summary(),
        }
        if self.refinement is not None:
            out["refinement"] = self.refinement.summary()
        return out


def run_fokker_planck(
    data: str | Mixture1D = DEFAULT_DATA,
    *,
    schedule: Schedule | str = "linear:1e-4,0.02",
    T: int | None = None,
    steps: Sequence[int] = DEFAULT_STEPS,
    num_cells: int = 400,
    half_width: float | None = None,
    method: str = "exact",
    flux: str = "scharfetter-gummel",
    num_samples: int = 100_000,
    refine: bool = False,
    rng: RNGLike = None,
    progress: bool = False,
) -> FokkerPlanckResult:
    """Solve the Fokker-Planck equation (Eq. 24) and compare it with Eq. (5) and the chain.

    Parameters
    ----------
    data : str or Mixture1D
        ``"mixture:MEANS;STDS[;WEIGHTS]"`` (comma lists), ``"image:cat"`` / ``"image:PATH"``, or
        a :class:`~driftscale.distributions.mixture1d.Mixture1D`.
    schedule : Schedule or str
        Beta schedule; ``T`` sets the length of a string spec (default 1000).
    steps : sequence of int
        Sorted steps ``i`` (SDE time ``t = i / T``).
    num_cells : int
        Grid cells.
    half_width : float, optional
        Domain ``[-L, L]``; default ``max |mu| + 8 max(sigma, 1)``.
    method : {"exact", "implicit", "tr-bdf2"}
        Time integration of the semi-discrete equation.
    flux : {"scharfetter-gummel", "central", "cell-average"}
        Face flux of the finite-volume scheme.
    num_samples : int
        Monte-Carlo chains for the histograms.
    refine : bool
        Also measure the convergence orders in space and time at step ``T / 5``.
    rng : {numpy.random.Generator, int, None}, optional
        Seed of the chains; ``None`` draws a seed and records it in the result.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    FokkerPlanckResult
    """
    check_choice(method, name="method", choices=METHODS)
    check_choice(flux, name="flux", choices=FLUXES)
    check_positive_int(num_samples, name="num_samples")
    sched = schedule_input(schedule, T=T)
    steps_arr = check_steps(steps, T=sched.T, name="steps")
    mixture, spec, description = load_mixture(data)
    base = default_grid(mixture, num_cells=num_cells)
    grid = base if half_width is None else Grid1D(-half_width, half_width, num_cells)
    seed = resolve_seed(rng)
    start = time.perf_counter()
    with progress_bar(1, "Fokker-Planck (Eq. 24)", quiet=not progress) as bar:
        comparison = compare_fokker_planck(
            mixture,
            sched,
            steps_arr,
            grid=grid,
            method=method,
            flux=flux,
            num_samples=num_samples,
            rng=seed,
        )
        bar.update(1)
    seconds = time.perf_counter() - start
    study = refinement_study(mixture, sched, max(1, sched.T // 5), flux=flux) if refine else None
    return FokkerPlanckResult(
        data=spec,
        description=description,
        mixture=mixture,
        schedule=sched,
        seed=recorded_seed(seed),
        seconds=seconds,
        comparison=comparison,
        refinement=study,
    )
