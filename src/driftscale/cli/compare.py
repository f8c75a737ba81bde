"""`driftscale compare`: the paper's Fig. 1, probabilistic diffusion above osmosis (Peter 2023).

Parses its options, calls :func:`driftscale.experiments.fig1.run_fig1`, draws both rows with
:func:`driftscale.figures.comparison_figure`, writes the files and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    ForceOption,
    GreyOption,
    ImageArgument,
    JsonOption,
    SeedOption,
    check_frames,
    check_outputs,
    flag_errors,
    parse_list,
    print_json,
    save_figure,
    write_outputs,
)
from driftscale.cli.osmosis import MethodOption, OffsetOption

FLAGS = {
    "steps": "--steps",
    "times": "--times",
    "beta": "--beta",
    "offset": "--offset",
    "method": "--method",
    "image": "IMAGE",
}
CompareNpzOption = Annotated[
    Path | None, typer.Option(help="Also save the arrays (diffusion, osmosis frames).")
]


def compare_command(
    image: ImageArgument = "cat",
    steps: Annotated[
        str, typer.Option(help="Diffusion steps i, comma separated (row a).")
    ] = "0,10,50,100,250,500",
    times: Annotated[
        str, typer.Option(help="Osmosis times t, comma separated (row b).")
    ] = "0,10,100,1000,10000,100000",
    beta: Annotated[
        float, typer.Option(help="Constant beta of the diffusion (paper: 0.02).")
    ] = 0.02,
    offset: OffsetOption = 6.0,
    method: MethodOption = "exact",
    grey: GreyOption = False,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option(help="Figure PNG to write.")] = Path("compare.png"),
    npz: CompareNpzOption = None,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """The paper's Fig. 1: probabilistic diffusion (beta = 0.02) above osmosis, same image.

    Row (a): the forward chain, Eq. (4). Row (b): osmosis, Eq. (26), with the canonical drift
    of positive Gaussian noise v = OFFSET + N(0, 1); the offset is in the caption and --json.

    Example: driftscale compare --offset 6 --seed 0 --out compare.png
    """
    from driftscale.experiments.fig1 import run_fig1

    step_list = parse_list(steps, option="--steps", kind=int)
    time_list = parse_list(times, option="--times")
    check_outputs({"--out": (out, "figure"), "--npz": (npz, "npz")}, force=force)
    check_frames(step_list, option="--steps")
    check_frames(time_list, option="--times")
    with flag_errors(FLAGS):
        result = run_fig1(
            image,
            steps=step_list,
            times=time_list,
            beta=beta,
            offset=offset,
            method=method,
            grey=grey,
            rng=seed,
            progress=not json_out,
        )
    arrays = {
        "diffusion": result.diffusion,
        "osmosis": result.osmosis.frames,
        "steps": result.steps,
        "times": result.osmosis.times,
    }
    summary = write_outputs(result.to_dict(), _fig1(result), out=out, npz=npz, arrays=arrays)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {npz}" if npz else ""))
    typer.echo(summary["caption"])


def _fig1(result: Any) -> Any:
    from driftscale.figures import comparison_figure

    return comparison_figure(*result.rows(), title=result.title, caption=result.caption)


def demo_files(out: Path, result: Any) -> list[str]:
    """Write the demo's Fig. 1 of the cat (a :class:`~driftscale.experiments.fig1.Fig1Result`)."""
    save_figure(_fig1(result), out / "compare-cat.png", dpi=100)
    return ["compare-cat.png"]
