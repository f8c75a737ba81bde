"""`driftscale properties`: measure the scale-space properties of Section 3.1 (and Eq. 28) for
probabilistic diffusion, osmosis and homogeneous diffusion, side by side (Sections 4.3, 4.4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from driftscale.cli._common import (
    FORCE_HELP,
    JSON_HELP,
    SEED_HELP,
    check_output,
    error,
    parse_list,
    print_json,
    progress,
    save_figure,
    save_text,
    user_errors,
)

PROCESSES = ("diffusion", "osmosis", "homogeneous")
DEFAULT_STEPS = "1,2,5,10,20,50,100,200,300,500,1000"
DEFAULT_TIMES = "1,10,100,1000,10000"
DEFAULT_SHAPE = (12, 18)


def load_property_data(source: str, *, shape: tuple[int, int]) -> tuple[np.ndarray, tuple, str]:
    """Raw data ``(N, H, W)``, its value range and a name: digits (8x8, [0, 16]) as they are;
    the cat, an image file or a folder in grey, resized to ``shape`` (kept small: every
    pixel is a dimension of the distribution)."""
    from driftscale.data import load_dataset, load_digits

    if source == "digits":
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


def run_properties(
    processes: list[str],
    *,
    data: str = "digits",
    scale: str = "unit",
    schedule: str = "constant:0.02",
    T: int | None = None,
    steps: list[int] | None = None,
    times: list[float] | None = None,
    shape: tuple[int, int] = DEFAULT_SHAPE,
    num_samples: int = 1000,
    num_test_samples: int = 300,
    level: float = 0.01,
    seed: int = 0,
    quiet: bool = True,
) -> list[Any]:
    """Build each process and its data and run ``check_properties`` (shared with ``demo``)."""
    from driftscale._validation import check_choice
    from driftscale.data import ValueScale
    from driftscale.diffusion.forward import ProbabilisticDiffusion
    from driftscale.osmosis import HomogeneousDiffusion, Osmosis, noise_guidance
    from driftscale.properties.engine import check_properties
    from driftscale.schedules import Schedule

    for p in processes:
        check_choice(p, name="--process", choices=(*PROCESSES, "all"))
    check_choice(scale, name="--scale", choices=("unit", "raw", "zscore"))
    raw, data_range, name = load_property_data(data, shape=shape)
    reports = []
    with progress(len(processes), "properties", quiet=quiet) as bar:
        for p in processes:
            if p == "diffusion":
                sched = Schedule.from_string(schedule, T=T)
                chosen = (
                    steps
                    if steps is not None
                    else [
                        s
                        for s in parse_list(DEFAULT_STEPS, option="--steps", kind=int)
                        if s <= sched.T
                    ]
                )
                values = ValueScale.fit(raw, kind=scale, data_range=data_range).apply(raw)
                rep = check_properties(
                    ProbabilisticDiffusion(sched),
                    values,
                    chosen,
                    rng=seed,
                    num_samples=num_samples,
                    num_test_samples=num_test_samples,
                    level=level,
                    data_name=f"{name}, scale {scale}",
                )
            else:
                # osmosis needs positive values: [lo, hi] -> [1, 256] whatever --scale says
                values = ValueScale.fit(raw, kind="positive", data_range=data_range).apply(raw)
                chosen_t = (
                    times if times is not None else parse_list(DEFAULT_TIMES, option="--times")
                )
                space = (
                    Osmosis(guidance=noise_guidance(values.shape[1:], rng=seed))
                    if p == "osmosis"
                    else HomogeneousDiffusion()
                )
                rep = check_properties(
                    space,
                    values,
                    chosen_t,
                    rng=seed,
                    data_name=f"{name} (first image), scale positive",
                )
            reports.append(rep)
            bar.update(1)
    return reports


def _mark(holds: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[holds]


def _evidence_line(result: Any) -> str:
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


def format_table(reports: list[Any]) -> str:
    """The terminal table: one report in detail, or several side by side."""
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


def properties_command(
    process: Annotated[
        str, typer.Option(help="diffusion, osmosis, homogeneous, or all (side by side).")
    ] = "diffusion",
    data: Annotated[
        str, typer.Option(help="digits (default), cat, an image file or a folder of images.")
    ] = "digits",
    scale: Annotated[
        str, typer.Option(help="Value scale for diffusion: unit ([-1, 1]), raw, zscore.")
    ] = "unit",
    schedule: Annotated[
        str, typer.Option(help="Beta schedule of the diffusion.")
    ] = "constant:0.02",
    T: Annotated[int | None, typer.Option("--T", "-T", help="Steps of the schedule.")] = None,
    steps: Annotated[
        str | None, typer.Option(help=f"Diffusion steps (default {DEFAULT_STEPS}, up to T).")
    ] = None,
    times: Annotated[
        str | None, typer.Option(help=f"Osmosis times (default {DEFAULT_TIMES}).")
    ] = None,
    shape: Annotated[str, typer.Option(help="H,W for the cat / image data (grey).")] = "12,18",
    samples: Annotated[int, typer.Option(help="Monte-Carlo paths per step.")] = 1000,
    test_samples: Annotated[int, typer.Option(help="Samples per side of each test.")] = 300,
    level: Annotated[float, typer.Option(help="Level of each two-sample test.")] = 0.01,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Folder for lyapunov.png and properties.json.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Measure the scale-space properties (Sec. 3.1 and Eq. 28) and report where they hold.

    Prints a table (property, holds, claim, evidence); --process all puts probabilistic
    diffusion, osmosis and homogeneous diffusion side by side (Sec. 4.3, 4.4). With --out,
    writes the Lyapunov curves (lyapunov.png) and the report (properties.json).

    Example: driftscale properties --process all --data digits --scale raw --out props
    """
    processes = list(PROCESSES) if process == "all" else [process]
    step_list = parse_list(steps, option="--steps", kind=int) if steps else None
    time_list = parse_list(times, option="--times") if times else None
    shape_list = parse_list(shape, option="--shape", kind=int)
    if len(shape_list) != 2 or min(shape_list) < 2:
        raise error(f"`--shape` must be H,W with sizes >= 2, got {shape!r}")
    paths = {}
    if out is not None:
        if out.exists() and not out.is_dir():
            raise error(f"`--out` {str(out)!r} is a file; give a folder")
        for name in ("lyapunov.png", "properties.json"):
            paths[name] = check_output(out / name, force=force)
    with user_errors():
        reports = run_properties(
            processes,
            data=data,
            scale=scale,
            schedule=schedule,
            T=T,
            steps=step_list,
            times=time_list,
            shape=(shape_list[0], shape_list[1]),
            num_samples=samples,
            num_test_samples=test_samples,
            level=level,
            seed=seed,
            quiet=json_out,
        )
    payload = _payload(process, reports)
    if out is not None:
        from driftscale.figures.lyapunov import lyapunov_figure

        save_figure(
            lyapunov_figure(reports, title=f"Lyapunov sequences, seed {seed}"),
            paths["lyapunov.png"],
        )
        save_text(paths["properties.json"], json.dumps(payload, indent=2))
    if json_out:
        print_json(payload)
        return
    typer.echo(format_table(reports))
    if out is not None:
        typer.echo(f"wrote {paths['lyapunov.png']} and {paths['properties.json']}")


def _payload(process: str, reports: list[Any]) -> dict[str, Any]:
    if len(reports) == 1:
        return reports[0].to_dict()
    return {"process": process, "data": reports[0].data, "reports": [r.to_dict() for r in reports]}


def demo_part(out: Path, seed: int) -> dict[str, Any]:
    """Property report of the demo: diffusion on the digits ([-1, 1] and raw [0, 16]), osmosis
    and homogeneous diffusion on the grey cat (24 x 36). Writes properties.json,
    properties.txt and properties-lyapunov.png into ``out``."""
    from driftscale.figures.lyapunov import lyapunov_figure

    reports = [
        *run_properties(["diffusion"], data="digits", scale="unit", seed=seed),
        *run_properties(["diffusion"], data="digits", scale="raw", seed=seed),
        *run_properties(["osmosis", "homogeneous"], data="cat", shape=(24, 36), seed=seed),
    ]
    payload = {"process": "demo", "reports": [r.to_dict() for r in reports]}
    save_text(out / "properties.json", json.dumps(payload, indent=2))
    save_text(
        out / "properties.txt",
        format_table(reports) + "\n\n" + "\n\n".join(format_table([r]) for r in reports) + "\n",
    )
    save_figure(
        lyapunov_figure(reports, title=f"Lyapunov sequences, seed {seed}"),
        out / "properties-lyapunov.png",
        dpi=80,
    )
    summary = {f"{r.process} ({r.data})": {p.id: p.holds for p in r.properties} for r in reports}
    raw = reports[1]["differential_entropy_increasing"].evidence
    summary["prop1_raw_digits"] = {
        "holds": reports[1]["differential_entropy_increasing"].holds,
        "max_at_step": raw["max_at_step"],
        "eq10_all_betas_admissible": raw["eq10_all_betas_admissible"],
        "entropy_values": [round(float(v), 3) for v in raw["values"]],
    }
    return {
        "files": ["properties.json", "properties.txt", "properties-lyapunov.png"],
        "summary": summary,
    }
