"""`driftscale osmosis`: film strip of linear osmosis, Eq. (26) of Peter 2023.

Parses its options, calls :func:`driftscale.experiments.fig1.run_osmosis`, draws its frames with
:mod:`driftscale.figures`, writes the files and prints. The default guidance is positive Gaussian
noise ``v = offset + N(0, 1)``; its offset is in the caption and ``--json``.
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
    check_time_steps,
    flag_errors,
    parse_list,
    print_json,
    write_outputs,
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
FLAGS = {
    "times": "--times",
    "method": "--method",
    "tau": "--tau",
    "offset": "--offset",
    "guidance": "--guidance",
    "image": "IMAGE",
}
MethodOption = Annotated[str, typer.Option(help=METHOD_HELP)]
OffsetOption = Annotated[float, typer.Option(help=OFFSET_HELP)]
OsmosisNpzOption = Annotated[
    Path | None, typer.Option(help="Also save the arrays (frames, times, f, guidance v).")
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
    check_outputs({"--out": (out, "figure"), "--npz": (npz, "npz")}, force=force)
    check_frames(time_list, option="--times")
    check_time_steps(time_list, method=method, tau=tau)
    with flag_errors(FLAGS):
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
    return write_outputs(result.to_dict(), fig, out=out, npz=npz, arrays=arrays)
