"""`driftscale osmosis` (osmosis film strip, Eq. 26) and `driftscale compare` (the paper's Fig. 1).

Both parse their options, call one experiment of :mod:`driftscale.experiments.fig1`
(:func:`~driftscale.experiments.fig1.run_osmosis`, :func:`~driftscale.experiments.fig1.run_fig1`),
draw its frames with :mod:`driftscale.figures`, write the files and print. The default guidance
is positive Gaussian noise ``v = offset + N(0, 1)``; its offset is in the caption and ``--json``.
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
    check_output,
    flag_errors,
    parse_list,
    print_json,
    save_figure,
    save_npz,
    user_errors,
)

METHOD_HELP = (
    "'exact': exp(tA) f at every time without time stepping (Chebyshev / shift-and-invert "
    "Lanczos, tolerance 1e-10); 'implicit': implicit Euler + BiCGSTAB with step --tau "
    "(the paper's); 'explicit': explicit Euler (tau <= its stability bound)."
)
OFFSET_HELP = (
    "Noise guidance v = OFFSET + N(0, 1): the offset keeps v positive and sets the drift and "
    "the contrast of the steady state (about 1/OFFSET)."
)
MethodOption = Annotated[str, typer.Option(help=METHOD_HELP)]
OffsetOption = Annotated[float, typer.Option(help=OFFSET_HELP)]
OsmosisNpzOption = Annotated[
    Path | None, typer.Option(help="Also save the arrays (frames, times, f, guidance v).")
]
CompareNpzOption = Annotated[
    Path | None, typer.Option(help="Also save the arrays (diffusion, osmosis frames).")
]


def osmosis_command(
    image: ImageArgument = "cat",
    guidance: Annotated[
        str, typer.Option(help="'noise' (positive Gaussian noise) or a guidance image file.")
    ] = "noise",
    offset: OffsetOption = 6.0,
    times: Annotated[
        str, typer.Option(help="Sorted times t >= 0, comma separated (0 is the image).")
    ] = "0,10,100,1000,10000",
    method: MethodOption = "exact",
    tau: Annotated[
        float | None,
        typer.Option(help="Step of implicit (default 1) / explicit (default: its bound)."),
    ] = None,
    grey: GreyOption = False,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option(help="Film strip PNG to write.")] = Path("osmosis.png"),
    npz: OsmosisNpzOption = None,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Film strip of linear osmosis du/dt = Laplace u - div(d u) (Eq. 26), d = grad v / v.

    Prints per frame the mean (conserved), the minimum (positive), the relative entropy
    L(t) = -sum u ln(u/w) of Eq. (28) (increasing) and the distance to the steady state
    w = (mu_f / mu_v) v.

    Example: driftscale osmosis --grey --times 0,10,100,1000,100000 --out osmosis.png
    """
    from driftscale.experiments.fig1 import run_osmosis

    time_list = parse_list(times, option="--times")
    check_output(out, force=force)
    check_output(npz, force=force, option="--npz")
    with user_errors():
        result = run_osmosis(
            image,
            guidance=guidance,
            offset=offset,
            times=time_list,
            method=method,
            tau=tau,
            grey=grey,
            rng=seed,
            progress=not json_out,
        )
    summary = _write_osmosis(result, out=out, npz=npz)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {npz}" if npz else ""))
    typer.echo(result.format_table())


def _write_osmosis(result: Any, *, out: Path, npz: Path | None) -> dict[str, Any]:
    from driftscale.figures import film_strip

    fig = film_strip(
        result.frames, result.labels, value_scale=result.value_scale, title=result.caption
    )
    arrays = {"frames": result.frames, "times": result.times, "f": result.f, "v": result.v}
    return _write(result.to_dict(), fig, out=out, npz=npz, arrays=arrays)


def _write(
    summary: dict[str, Any], fig: Any, *, out: Path, npz: Path | None, arrays: dict[str, Any]
) -> dict[str, Any]:
    """Write the figure (and the arrays); the summary with the paths written."""
    save_figure(fig, out)
    summary = summary | {"out": str(out)}
    if npz is not None:
        save_npz(npz, **arrays)
        summary["npz"] = str(npz)
    return summary


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
    check_output(out, force=force)
    check_output(npz, force=force, option="--npz")
    with flag_errors({"steps": "--steps"}):
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
    summary = _write(result.to_dict(), _fig1(result), out=out, npz=npz, arrays=arrays)
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
