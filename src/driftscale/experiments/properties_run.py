"""Scale-space properties measured on data: Section 3.1 (Properties 1-5) and Eq. (28) of
Peter 2023, for probabilistic diffusion, osmosis and homogeneous diffusion side by side
(Sections 4.3, 4.4).

:func:`run_properties` builds each process and its data, runs
:func:`driftscale.properties.engine.check_properties` and returns a :class:`PropertiesResult`:
the :class:`~driftscale.properties.report.PropertyReport` objects, their ``--json`` payload
(``to_dict()``) and the terminal table (``format_table()``). ``driftscale properties`` prints
them; :func:`driftscale.figures.lyapunov_figure` draws the reports' Lyapunov sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscale._progress import progress_bar
from driftscale._validation import check_choice
from driftscale.data import Dataset, ValueScale, load_dataset, load_digits
from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.experiments._inputs import Seed, recorded_seed, resolve_seed, schedule_input
from driftscale.osmosis import HomogeneousDiffusion, Osmosis, noise_guidance
from driftscale.properties.engine import check_properties
from driftscale.properties.report import PropertyReport, PropertyResult
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "DEFAULT_SHAPE",
    "DEFAULT_STEPS",
    "DEFAULT_TIMES",
    "PROCESSES",
    "PropertiesResult",
    "format_table",
    "load_property_data",
    "run_properties",
]

PROCESSES: tuple[str, ...] = ("diffusion", "osmosis", "homogeneous")
DEFAULT_STEPS: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000)
DEFAULT_TIMES: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0, 10000.0)
DEFAULT_SHAPE: tuple[int, int] = (12, 18)
SCALES = ("unit", "raw", "zscore")


def load_property_data(
    source: str | Path | Dataset, *, shape: tuple[int, int] = DEFAULT_SHAPE
) -> tuple[FloatArray, tuple[float, float], str]:
    """Raw data ``(N, H, W)``, its value range and a name.

    ``"digits"`` (8x8, ``[0, 16]``) and a :class:`~driftscale.data.Dataset` are used as they
    are; the cat, an image file or a folder are loaded in grey and resized to ``shape`` (kept
    small: every pixel is a dimension of the distribution).
    """
    if isinstance(source, Dataset):
        return source.values, source.data_range, source.name
    if isinstance(source, str) and source == "digits":
        ds = load_digits()
        return ds.values, ds.data_range, "digits"
    ds = load_dataset(source, grey=True)
    values = ds.values
    if values.shape[1:3] != tuple(shape):
        from skimage.transform import resize

        values = np.stack(
            [resize(v, shape, anti_aliasing=True, preserve_range=True) for v in values]
        )
    return values, ds.data_range, f"{ds.name} {shape[0]}x{shape[1]} grey"


def _mark(holds: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[holds]


def _evidence_line(result: PropertyResult) -> str:
    """The one number of the evidence that the table shows for a property."""
    ev = result.evidence
    if result.holds is None:
        return result.method.removeprefix("not applicable: ")[:60]
    pick = {
        "initial_state": lambda: f"max |u0 - f| = {ev['max_abs_difference']:.3g}",
        "semigroup": lambda: (
            "min p = {:.3g}".format(min(t["p_value"] for t in ev["tests"]))
            if "tests" in ev
            else f"rel. diff {ev['relative_max_difference']:.2g}"
        ),
        "differential_entropy_increasing": lambda: (
            f"max at i = {ev['max_at_step']:g}; {len(ev['significant_decreases'])} significant "
            f"decreases; Eq.(10) all beta ok: {ev.get('eq10_all_betas_admissible', 'n/a')}"
        ),
        "conditional_entropy_increasing": lambda: f"min z = {ev['min_z']:.3g}",
        "relative_entropy_decreasing": lambda: f"last KL = {ev['values'][-1]:.3g}",
        "permutation_invariance": lambda: (
            f"coupled exact: {ev['coupled_noise_exact']}; p = {ev['in_distribution_p_value']:.3g}"
            if "coupled_noise_exact" in ev
            else f"random P: rel. diff {ev['random_permutation_relative_difference']:.2g}; "
            f"180 deg: {ev['rotation180_relative_difference']:.2g}"
        ),
        "steady_state": lambda: (
            f"energy p = {ev['energy_p_value']:.3g}; KL p = {ev['moment_matched_kl_p_value']}"
            if "energy_p_value" in ev
            else f"final/initial distance {ev['final_fraction_of_initial_distance']:.2g}"
        ),
        "mass_conservation": lambda: f"max rel. dev. {max(ev['relative_deviation']):.2g}",
        "positivity": lambda: f"min u = {min(ev['min_per_time']):.4g}",
        "relative_entropy_increasing": lambda: (
            f"L: {ev['values'][0]:.4g} -> {ev['values'][-1]:.2g}"
        ),
    }
    return pick[result.id]()


def format_table(reports: Sequence[PropertyReport]) -> str:
    """The terminal table: one report in detail (claim and evidence), or several side by side."""
    if len(reports) == 1:
        rep = reports[0]
        lines = [
            f"{rep.process} on {rep.data}",
            f"{'property':34} {'holds':5}  {'claim':40} evidence",
        ]
        for r in rep.properties:
            lines.append(f"{r.id:34} {_mark(r.holds):5}  {r.claim[:40]:40} {_evidence_line(r)}")
        return "\n".join(lines)
    names = [r.process for r in reports]
    labels = [n if names.count(n) == 1 else f"{n}-{k + 1}" for k, n in enumerate(names)]
    head = f"{'property':34} " + " ".join(f"{lab:>13}" for lab in labels)
    lines = [", ".join(f"{lab}: {r.data}" for lab, r in zip(labels, reports, strict=True)), head]
    for k, first in enumerate(reports[0].properties):
        cells = " ".join(f"{_mark(r.properties[k].holds):>13}" for r in reports)
        lines.append(f"{first.id:34} {cells}")
    return "\n".join(lines)


@dataclass(frozen=True)
class PropertiesResult:
    """The property reports of one run, in the order of the processes.

    Attributes
    ----------
    process : str
        What was asked for: ``"diffusion"``, ``"osmosis"``, ``"homogeneous"``, ``"all"``, or the
        names joined by commas.
    seed : int or None
        The seed of every process (``None`` when a Generator was passed).
    reports : tuple of PropertyReport
        One report per process: every property with its evidence, and the Lyapunov sequences.
    """

    process: str
    seed: int | None
    reports: tuple[PropertyReport, ...]

    @property
    def title(self) -> str:
        """Title of the Lyapunov figure."""
        return f"Lyapunov sequences, seed {self.seed}"

    def format_table(self) -> str:
        """The terminal table of :func:`format_table`."""
        return format_table(self.reports)

    def to_dict(self) -> dict[str, Any]:
        """The ``driftscale properties --json`` payload: one report, or the reports side by side."""
        if len(self.reports) == 1:
            return self.reports[0].to_dict()
        return {
            "process": self.process,
            "data": self.reports[0].data,
            "reports": [r.to_dict() for r in self.reports],
        }


def _processes(process: str | Sequence[str]) -> tuple[str, list[str]]:
    """The label of the run and the processes to check, validated."""
    if isinstance(process, str):
        check_choice(process, name="process", choices=(*PROCESSES, "all"))
        return process, list(PROCESSES) if process == "all" else [process]
    names = list(process)
    if not names:
        raise ValueError(f"`process` must name at least one of {', '.join(PROCESSES)}, got []")
    for p in names:
        check_choice(p, name="process", choices=PROCESSES)
    return ",".join(names), names


def _diffusion_report(
    raw: FloatArray,
    data_range: tuple[float, float],
    name: str,
    *,
    sched: Schedule,
    scale: str,
    steps: Sequence[int] | None,
    seed: Seed,
    **test_options: Any,
) -> PropertyReport:
    chosen = steps if steps is not None else [s for s in DEFAULT_STEPS if s <= sched.T]
    values = ValueScale.fit(raw, kind=scale, data_range=data_range).apply(raw)
    return check_properties(
        ProbabilisticDiffusion(sched),
        values,
        chosen,
        rng=seed,
        data_name=f"{name}, scale {scale}",
        **test_options,
    )


def _deterministic_report(
    process: str,
    raw: FloatArray,
    data_range: tuple[float, float],
    name: str,
    *,
    times: Sequence[float] | None,
    seed: Seed,
) -> PropertyReport:
    # osmosis needs positive values: [lo, hi] -> [1, 256] whatever the scale of the diffusion
    values = ValueScale.fit(raw, kind="positive", data_range=data_range).apply(raw)
    space = (
        Osmosis(guidance=noise_guidance(values.shape[1:], rng=seed))
        if process == "osmosis"
        else HomogeneousDiffusion()
    )
    chosen = times if times is not None else list(DEFAULT_TIMES)
    return check_properties(
        space, values, chosen, rng=seed, data_name=f"{name} (first image), scale positive"
    )


def run_properties(
    process: str | Sequence[str] = "diffusion",
    *,
    data: str | Path | Dataset = "digits",
    scale: str = "unit",
    schedule: Schedule | str = "constant:0.02",
    T: int | None = None,
    steps: Sequence[int] | None = None,
    times: Sequence[float] | None = None,
    shape: tuple[int, int] = DEFAULT_SHAPE,
    num_samples: int = 1000,
    num_test_samples: int = 300,
    level: float = 0.01,
    rng: RNGLike = None,
    progress: bool = False,
) -> PropertiesResult:
    """Measure the scale-space properties of one or several processes on a data set.

    Parameters
    ----------
    process : str or sequence of str
        ``"diffusion"``, ``"osmosis"``, ``"homogeneous"``, ``"all"`` (the three side by side),
        or a list of those names.
    data : str, path or Dataset
        ``"digits"`` (default), ``"cat"``, an image file or a folder (grey, resized to
        ``shape``), or a :class:`~driftscale.data.Dataset` of raw values.
    scale : {"unit", "raw", "zscore"}
        Value scale of the diffusion's data; osmosis and homogeneous diffusion always use the
        positive scale ``[1, 256]``.
    schedule : Schedule or str
        Beta schedule of the diffusion; ``T`` sets the length of a string spec.
    steps : sequence of int, optional
        Diffusion steps (default ``DEFAULT_STEPS`` up to ``T``).
    times : sequence of float, optional
        Osmosis / homogeneous diffusion times (default ``DEFAULT_TIMES``).
    shape : (int, int)
        ``(H, W)`` the cat, an image file or a folder are resized to.
    num_samples, num_test_samples, level
        Monte-Carlo paths per step, samples per side of each two-sample test, and its level
        (diffusion only).
    rng : {numpy.random.Generator, int, None}, optional
        Seed of every process (and of the osmosis noise guidance); ``None`` draws a seed and
        records it in the result.
    progress : bool
        Show a progress bar (one step per process) on stderr.

    Returns
    -------
    PropertiesResult
    """
    label, processes = _processes(process)
    check_choice(scale, name="scale", choices=SCALES)
    if len(shape) != 2 or min(shape) < 2:
        raise ValueError(f"`shape` must be (H, W) with sizes >= 2, got {shape!r}")
    sched = schedule_input(schedule, T=T) if "diffusion" in processes else None
    seed = resolve_seed(rng)
    raw, data_range, name = load_property_data(data, shape=shape)
    reports = []
    with progress_bar(len(processes), "properties", quiet=not progress) as bar:
        for p in processes:
            if p == "diffusion":
                tests = {"num_samples": num_samples, "num_test_samples": num_test_samples}
                rep = _diffusion_report(
                    raw,
                    data_range,
                    name,
                    sched=sched,
                    scale=scale,
                    steps=steps,
                    seed=seed,
                    level=level,
                    **tests,
                )
            else:
                rep = _deterministic_report(p, raw, data_range, name, times=times, seed=seed)
            reports.append(rep)
            bar.update(1)
    return PropertiesResult(process=label, seed=recorded_seed(seed), reports=tuple(reports))
