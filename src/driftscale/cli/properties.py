"""`driftscale properties`: measure the scale-space properties of Section 3.1 (and Eq. 28) for
probabilistic diffusion, osmosis and homogeneous diffusion, side by side (Sections 4.3, 4.4).

Parses the options, calls :func:`driftscale.experiments.properties_run.run_properties`, draws the
Lyapunov sequences with :func:`driftscale.figures.lyapunov_figure`, writes and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    ForceOption,
    JsonOption,
    SeedOption,
    check_limit,
    check_output_folder,
    check_T,
    error,
    flag_errors,
    parse_list,
    print_json,
    save_figure,
    save_text,
)

DEFAULT_STEPS = "1,2,5,10,20,50,100,200,300,500,1000"
DEFAULT_TIMES = "1,10,100,1000,10000"
FLAGS = {
    "process": "--process",
    "scale": "--scale",
    "data": "--data",
    "schedule": "--schedule",
    "steps": "--steps",
    "times": "--times",
    "num_samples": "--samples",
    "num_test_samples": "--test-samples",
    "level": "--level",
    "T": "--T",
}
ProcessOption = Annotated[
    str, typer.Option(help="diffusion, osmosis, homogeneous, or all (side by side).")
]
DataOption = Annotated[
    str, typer.Option(help="digits (default), cat, an image file or a folder of images.")
]
ScaleOption = Annotated[
    str, typer.Option(help="Value scale for diffusion: unit ([-1, 1]), raw, zscore.")
]
StepsOption = Annotated[
    str | None, typer.Option(help=f"Diffusion steps (default {DEFAULT_STEPS}, up to T).")
]
TimesOption = Annotated[str | None, typer.Option(help=f"Osmosis times (default {DEFAULT_TIMES}).")]
OutOption = Annotated[
    Path | None, typer.Option(help="Folder for lyapunov.png and properties.json.")
]


def properties_command(
    process: ProcessOption = "diffusion",
    data: DataOption = "digits",
    scale: ScaleOption = "unit",
    schedule: Annotated[
        str, typer.Option(help="Beta schedule of the diffusion.")
    ] = "constant:0.02",
    T: Annotated[int | None, typer.Option("--T", "-T", help="Steps of the schedule.")] = None,
    steps: StepsOption = None,
    times: TimesOption = None,
    shape: Annotated[str, typer.Option(help="H,W for the cat / image data (grey).")] = "12,18",
    samples: Annotated[int, typer.Option(help="Monte-Carlo paths per step.")] = 1000,
    test_samples: Annotated[int, typer.Option(help="Samples per side of each test.")] = 300,
    level: Annotated[float, typer.Option(help="Level of each two-sample test.")] = 0.01,
    seed: SeedOption = 0,
    out: OutOption = None,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Measure the scale-space properties (Sec. 3.1 and Eq. 28) and report where they hold.

    Prints a table (property, holds, claim, evidence); --process all puts probabilistic
    diffusion, osmosis and homogeneous diffusion side by side (Sec. 4.3, 4.4). With --out,
    writes the Lyapunov curves (lyapunov.png) and the report (properties.json).

    Example: driftscale properties --process all --data digits --scale raw --out props
    """
    from driftscale.experiments.properties_run import run_properties

    step_list = parse_list(steps, option="--steps", kind=int) if steps else None
    time_list = parse_list(times, option="--times") if times else None
    shape_list = parse_list(shape, option="--shape", kind=int)
    if len(shape_list) != 2 or min(shape_list) < 2:
        raise error(f"`--shape` must be H,W with sizes >= 2, got {shape!r}")
    paths = _output_paths(out, force=force)
    check_T(T)
    for value, flag, limit in (
        (samples, "--samples", 10**6),
        (test_samples, "--test-samples", 10**5),
    ):
        check_limit(value, option=flag, limit=limit, what="samples", fix="use fewer")
    with flag_errors(FLAGS):
        result = run_properties(
            process,
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
            rng=seed,
            progress=not json_out,
        )
    payload = result.to_dict()
    if paths:
        save_figure(_lyapunov(result.reports, seed), paths["lyapunov.png"])
        save_text(paths["properties.json"], json.dumps(payload, indent=2))
    if json_out:
        print_json(payload)
        return
    typer.echo(result.format_table())
    if paths:
        typer.echo(f"wrote {paths['lyapunov.png']} and {paths['properties.json']}")


def _output_paths(out: Path | None, *, force: bool) -> dict[str, Path]:
    """``lyapunov.png`` and ``properties.json`` in the folder ``--out``, checked; none without."""
    if out is None:
        return {}
    files = {"lyapunov.png": "figure", "properties.json": "json"}
    check_output_folder(out, force=force, files=files)
    return {name: out / name for name in files}


def _lyapunov(reports: Any, seed: int) -> Any:
    from driftscale.figures.lyapunov import lyapunov_figure

    return lyapunov_figure(list(reports), title=f"Lyapunov sequences, seed {seed}")


def demo_files(out: Path, reports: Any, *, seed: int) -> list[str]:
    """Write the demo's property reports: properties.json, properties.txt and the Lyapunov plot."""
    from driftscale.experiments.properties_run import format_table

    payload = {"process": "demo", "reports": [r.to_dict() for r in reports]}
    save_text(out / "properties.json", json.dumps(payload, indent=2))
    tables = [format_table(list(reports)), *(format_table([r]) for r in reports)]
    save_text(out / "properties.txt", "\n\n".join(tables) + "\n")
    save_figure(_lyapunov(reports, seed), out / "properties-lyapunov.png", dpi=80)
    return ["properties.json", "properties.txt", "properties-lyapunov.png"]
