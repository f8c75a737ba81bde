"""`driftscale forward`: film strip of the forward probabilistic diffusion process (Eq. 4, 5).

Parses the options, calls :func:`driftscale.experiments.forward_strip.run_forward_strip`, draws
the frames with :func:`driftscale.figures.film_strip`, writes the files and prints.
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
    check_T,
    flag_errors,
    parse_list,
    print_json,
    save_figure,
    write_outputs,
)

FLAGS = {
    "steps": "--steps",
    "T": "--T",
    "schedule": "--schedule",
    "method": "--method",
    "image": "IMAGE",
}


def _figure(result: Any) -> Any:
    from driftscale.figures import film_strip

    return film_strip(
        result.frames, result.labels, value_scale=result.value_scale, title=result.title
    )


def demo_files(out: Path, result: Any) -> list[str]:
    """Write the demo's forward film strip of the cat."""
    save_figure(_figure(result), out / "forward-cat.png")
    return ["forward-cat.png"]


def forward(
    image: ImageArgument = "cat",
    schedule: Annotated[
        str,
        typer.Option(
            help="Beta schedule: constant:BETA, linear:START,END, cosine[:S], sigmoid[:START,END], "
            "array:B1,B2,..."
        ),
    ] = "constant:0.02",
    T: Annotated[
        int | None,
        typer.Option("--T", "-T", help="Number of steps of the schedule (default 1000)."),
    ] = None,
    steps: Annotated[
        str, typer.Option(help="Sorted steps to show, comma separated (0 is the image).")
    ] = "0,10,50,100,250,500",
    method: Annotated[
        str,
        typer.Option(help="'jump': exact semigroup jumps (fast); 'step': Eq. (4) step by step."),
    ] = "jump",
    grey: GreyOption = False,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option(help="Film strip PNG to write.")] = Path("forward.png"),
    npz: Annotated[
        Path | None, typer.Option(help="Also save the raw arrays (frames, steps, alpha_bar).")
    ] = None,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Film strip of the forward process u_i = sqrt(1-beta_i) u_(i-1) + sqrt(beta_i) g (Eq. 4).

    Each frame is labelled with its step i and alpha_bar_i (Eq. 5); values are mapped from
    [-1, 1] back to [0, 255] for display.

    Example: driftscale forward --schedule linear:1e-4,0.02 --steps 0,100,300,1000 --out lin.png
    """
    from driftscale.experiments.forward_strip import run_forward_strip

    step_list = parse_list(steps, option="--steps", kind=int)
    check_outputs({"--out": (out, "figure"), "--npz": (npz, "npz")}, force=force)
    check_T(T)
    check_frames(step_list, option="--steps")
    with flag_errors(FLAGS):
        result = run_forward_strip(
            image,
            schedule=schedule,
            T=T,
            steps=step_list,
            method=method,
            grey=grey,
            rng=seed,
            progress=not json_out,
        )
    _write_and_print(result, out=out, npz=npz, json_out=json_out)


def _write_and_print(result: Any, *, out: Path, npz: Path | None, json_out: bool) -> None:
    arrays = {"frames": result.frames, "steps": result.steps, "alpha_bar": result.alpha_bar}
    arrays["f"] = result.f
    summary = write_outputs(result.to_dict(), _figure(result), out=out, npz=npz, arrays=arrays)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {npz}" if npz else ""))
    typer.echo(result.format_table())
