"""The main job: every demo experiment on the embedded data, with one seed.

:func:`run_demo` runs, in this order, the forward film strip of the cat (Peter 2023, Eq. 4-5,
beta = 0.02), the paper's Fig. 1 (probabilistic diffusion above osmosis), the same two processes
at 40 log-spaced scales for the report's slider (:mod:`driftscale.experiments.scales`), the
property report (Properties 1-5, Prop. 1-4, Eq. 28), the Fokker-Planck solution against its
closed form and Monte Carlo (Eq. 24), and the exact reverse process on the digits with its
memorisation report (arXiv:2501.17054). Each part returns the typed result of its experiment and
the summary that ``driftscale demo`` writes into ``summary.json``; :meth:`DemoPart.record` and
:meth:`DemoPart.arrays` are what it writes into ``results/`` for the HTML report
(:mod:`driftscale.report`), which is rendered from those files alone. Nothing here writes files.

Examples
--------
>>> from driftscale.experiments.demo import DEMO_PARTS
>>> DEMO_PARTS
('forward', 'compare', 'scales', 'properties', 'fokker-planck', 'reverse')
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DEMO_PARTS", "DemoPart", "DemoResult", "demo_settings", "run_demo", "run_demo_part"]

DEMO_PARTS = ("forward", "compare", "scales", "properties", "fokker-planck", "reverse")

FORWARD_STEPS = (0, 10, 50, 100, 250, 500)
NUM_SCALES = 40  # frames per process under the report's slider
PROPERTY_SHAPE = (24, 36)  # the grey cat for osmosis and homogeneous diffusion
NUM_REVERSE_SAMPLES = 128
# (label, sampler, number of steps; None = all T steps)
REVERSE_SAMPLERS: tuple[tuple[str, str, int | None], ...] = (
    ("ddpm", "ddpm", None),
    ("ddim", "ddim", None),
    ("sde", "sde", None),
    ("ode", "ode", None),
    ("ddim, 5 steps", "ddim", 5),
)


@dataclass(frozen=True)
class DemoPart:
    """One part of the demo: its experiment's result and the numbers of ``summary.json``.

    Attributes
    ----------
    name : str
        One of :data:`DEMO_PARTS`.
    result : object
        The experiment's frozen result (for ``"properties"`` a tuple of
        :class:`~driftscale.properties.PropertyReport`, for ``"reverse"`` a dict from sampler
        label to :class:`~driftscale.experiments.reverse_sampling.SamplingResult`).
    summary : dict
        The part's numbers as written to ``summary.json``.
    seconds : float
        Wall-clock time of the part.
    """

    name: str
    result: Any
    summary: dict[str, Any]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """``{"summary": ..., "seconds": ...}`` (the files are added by the writer)."""
        return {"summary": self.summary, "seconds": round(self.seconds, 2)}

    def record(self) -> dict[str, Any]:
        """Every number of the part's result: its ``to_dict()`` (the ``--json`` schema of the
        command that owns it), ``{"reports": [...]}`` for ``"properties"`` and
        ``{"samplers": {label: ...}}`` for ``"reverse"``. The report reads it from
        ``results/<name>.json``."""
        if self.name == "properties":
            return {"reports": [r.to_dict() for r in self.result]}
        if self.name == "reverse":
            return {"samplers": {label: r.to_dict() for label, r in self.result.items()}}
        return self.result.to_dict()

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays the report draws that :meth:`record` does not hold (``results/<name>.npz``):
        for ``"fokker-planck"`` the densities on the grid; empty for the other parts (their
        images are the PNG files of the part)."""
        if self.name != "fokker-planck":
            return {}
        c = self.result.comparison
        return {
            "steps": c.steps,
            "alpha_bar": c.alpha_bar,
            "x": c.grid.centres,
            "faces": c.grid.faces,
            "pde": c.pde,
            "closed_form": c.closed_form,
            "monte_carlo": c.monte_carlo,
        }


@dataclass(frozen=True)
class DemoResult:
    """All parts of the demo, in the order they ran."""

    seed: int
    parts: tuple[DemoPart, ...]

    def __getitem__(self, name: str) -> DemoPart:
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(f"no demo part {name!r}; the parts are {[p.name for p in self.parts]}")

    def to_dict(self) -> dict[str, Any]:
        """The content of ``summary.json`` without the file lists."""
        return {"seed": self.seed, "parts": {p.name: p.to_dict() for p in self.parts}}


def _forward(seed: int) -> tuple[Any, dict[str, Any]]:
    from driftscale.experiments.forward_strip import run_forward_strip

    result = run_forward_strip(
        "cat", schedule="constant:0.02", T=1000, steps=list(FORWARD_STEPS), rng=seed
    )
    return result, result.to_dict()


def _compare(seed: int) -> tuple[Any, dict[str, Any]]:
    from driftscale.experiments.fig1 import run_fig1

    result = run_fig1("cat", rng=seed)
    return result, result.to_dict()


def _scales(seed: int) -> tuple[Any, dict[str, Any]]:
    from driftscale.experiments.scales import run_scales

    result = run_scales("cat", num_scales=NUM_SCALES, rng=seed)
    return result, result.summary()


def _properties(seed: int) -> tuple[Any, dict[str, Any]]:
    from driftscale.experiments.properties_run import run_properties

    reports = (
        *run_properties("diffusion", data="digits", scale="unit", rng=seed).reports,
        *run_properties("diffusion", data="digits", scale="raw", rng=seed).reports,
        *run_properties(
            ["osmosis", "homogeneous"], data="cat", shape=PROPERTY_SHAPE, rng=seed
        ).reports,
    )
    summary: dict[str, Any] = {
        f"{r.process} ({r.data})": {p.id: p.holds for p in r.properties} for r in reports
    }
    prop1 = reports[1]["differential_entropy_increasing"]  # raw digits on [0, 16]
    summary["prop1_raw_digits"] = {
        "holds": prop1.holds,
        "max_at_step": prop1.evidence["max_at_step"],
        "eq10_all_betas_admissible": prop1.evidence["eq10_all_betas_admissible"],
        "entropy_values": [round(float(v), 3) for v in prop1.evidence["values"]],
    }
    return reports, summary


def _fokker_planck(seed: int) -> tuple[Any, dict[str, Any]]:
    from driftscale.experiments.fokker_planck_run import DEFAULT_DATA, run_fokker_planck

    result = run_fokker_planck(DEFAULT_DATA, T=1000, refine=True, rng=seed)
    s = result.to_dict()
    refinement = s["refinement"]
    summary = {
        key: s[key]
        for key in (
            "steps",
            "l1_pde_vs_closed_form",
            "l1_monte_carlo_vs_closed_form",
            "expected_monte_carlo_noise",
        )
    }
    summary["max_abs_mass_error"] = float(np.max(np.abs(s["mass_minus_one"])))
    summary["min_density"] = s["min_density"]
    summary["order_space"] = refinement["space"]["order"]
    summary["order_time_implicit"] = refinement["time_refinement"]["implicit"]["order"]
    summary["order_time_tr_bdf2"] = refinement["time_refinement"]["tr-bdf2"]["order"]
    summary["seconds"] = s["seconds"]
    return result, summary


def _reverse(seed: int) -> tuple[Any, dict[str, Any]]:
    from driftscale.experiments.reverse_sampling import run_sampling

    runs = {
        label: run_sampling(
            "digits", sampler=name, num_samples=NUM_REVERSE_SAMPLES, num_steps=steps, seed=seed
        )
        for label, name, steps in REVERSE_SAMPLERS
    }
    first = next(iter(runs.values()))
    samplers = {
        label: r.memorization.summary()
        | {"num_steps": r.sample.num_steps, "num_evaluations": r.sample.num_evaluations}
        | {"seconds": r.seconds}
        for label, r in runs.items()
    }
    summary = {"schedule": first.sample.schedule, "num_train": int(first.train.shape[0])}
    summary |= {"num_heldout": int(first.heldout.shape[0]), "num_samples": NUM_REVERSE_SAMPLES}
    summary |= {"samplers": samplers, "baseline_heldout_vs_train": first.baseline.summary()}
    return runs, summary


_RUNNERS: dict[str, Callable[[int], tuple[Any, dict[str, Any]]]] = {
    "forward": _forward,
    "compare": _compare,
    "scales": _scales,
    "properties": _properties,
    "fokker-planck": _fokker_planck,
    "reverse": _reverse,
}


def demo_settings() -> dict[str, Any]:
    """The demo's fixed choices (its only option is the seed); every other setting of a part is
    in the part's :meth:`DemoPart.record` (schedules, steps, times, shapes, seeds).

    Examples
    --------
    >>> demo_settings()["num_scales"]
    40
    """
    return {
        "forward_steps": list(FORWARD_STEPS),
        "num_scales": NUM_SCALES,
        "property_shape": list(PROPERTY_SHAPE),
        "num_reverse_samples": NUM_REVERSE_SAMPLES,
        "reverse_samplers": [
            {"label": label, "sampler": name, "num_steps": steps}
            for label, name, steps in REVERSE_SAMPLERS
        ],
    }


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer, got {seed!r}")
    return int(seed)


def run_demo_part(name: str, *, seed: int = 0) -> DemoPart:
    """Run one part of the demo (one of :data:`DEMO_PARTS`) and time it."""
    if name not in _RUNNERS:
        raise ValueError(f"`name` must be one of {', '.join(DEMO_PARTS)}, got {name!r}")
    seed = _check_seed(seed)
    start = time.perf_counter()
    result, summary = _RUNNERS[name](seed)
    return DemoPart(name, result, summary, time.perf_counter() - start)


def run_demo(
    *,
    seed: int = 0,
    parts: Sequence[str] = DEMO_PARTS,
    on_part: Callable[[DemoPart], Any] | None = None,
) -> DemoResult:
    """Run the demo parts in order, as ``driftscale demo`` does, and return their results.

    Parameters
    ----------
    seed : int
        Seed of every part (the same seed gives the same numbers).
    parts : sequence of str
        Which of :data:`DEMO_PARTS` to run, in this order.
    on_part : callable, optional
        Called with each :class:`DemoPart` as soon as it is done (the CLI writes its files there).

    Returns
    -------
    DemoResult
    """
    seed = _check_seed(seed)
    unknown = [p for p in parts if p not in _RUNNERS]
    if unknown:
        raise ValueError(f"`parts` must be among {', '.join(DEMO_PARTS)}, got {unknown}")
    done = []
    for name in parts:
        part = run_demo_part(name, seed=seed)
        if on_part is not None:
            on_part(part)
        done.append(part)
    return DemoResult(seed, tuple(done))
