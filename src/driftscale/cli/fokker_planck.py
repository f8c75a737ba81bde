"""`driftscale fokker-planck`: 1-D density of the chain by the Fokker-Planck equation (Eq. 24),
against the closed form (Eq. 5) and Monte Carlo of the chain (Eq. 4), with L1 errors.

Parses the options, calls :func:`driftscale.experiments.fokker_planck_run.run_fokker_planck`,
draws the densities (and the convergence study) with :mod:`driftscale.figures`, writes, prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    MAX_CHAIN_WORK,
    ForceOption,
    JsonOption,
    SeedOption,
    check_frames,
    check_limit,
    check_outputs,
    check_T,
    flag_errors,
    parse_list,
    print_json,
    save_figure,
    save_npz,
)

DEFAULT_DATA = "mixture:-2,2;0.3"
DEFAULT_STEPS = "0,50,100,200,500,1000"
FLAGS = {
    "steps": "--steps",
    "method": "--method",
    "flux": "--flux",
    "num_samples": "--samples",
    "num_cells": "--cells",
    "half_width": "--half-width",
    "schedule": "--schedule",
    "data": "--data",
    "T": "--T",
}
MAX_CELLS = 100_000
DataOption = Annotated[
    str,
    typer.Option(
        help="1-D data distribution: 'mixture:MEANS;STDS[;WEIGHTS]' (comma lists) or "
        "'image:cat' / 'image:PATH' (the image's grey values scaled to [-1, 1])."
    ),
]
StepsOption = Annotated[
    str,
    typer.Option("--steps", "--times", help="Sorted steps i (SDE time t = i/T), comma separated."),
]
HalfWidthOption = Annotated[
    float | None, typer.Option(help="Domain [-L, L]; default max|mu| + 8 max(sigma, 1).")
]
MethodOption = Annotated[
    str, typer.Option(help="Time integration: exact, implicit (backward Euler), tr-bdf2.")
]
FluxOption = Annotated[
    str, typer.Option(help="Face flux: scharfetter-gummel, central or cell-average.")
]
RefineOption = Annotated[
    bool, typer.Option("--refine", help="Also measure the convergence orders (space, time).")
]
NpzOption = Annotated[
    Path | None, typer.Option(help="Also save the densities (pde, closed_form, monte_carlo).")
]


def fokker_planck(
    data: DataOption = DEFAULT_DATA,
    schedule: Annotated[
        str, typer.Option(help="Beta schedule: constant:BETA, linear:START,END, cosine, ...")
    ] = "linear:1e-4,0.02",
    T: Annotated[
        int | None,
        typer.Option("--T", "-T", help="Number of steps of the schedule (default 1000)."),
    ] = None,
    steps: StepsOption = DEFAULT_STEPS,
    cells: Annotated[int, typer.Option(help="Number of grid cells.")] = 400,
    half_width: HalfWidthOption = None,
    method: MethodOption = "exact",
    flux: FluxOption = "scharfetter-gummel",
    samples: Annotated[int, typer.Option(help="Monte-Carlo chains for the histograms.")] = 100_000,
    refine: RefineOption = False,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option(help="Density snapshots PNG to write.")] = Path("fp.png"),
    npz: NpzOption = None,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Fokker-Planck density of the forward chain (Eq. 24) vs closed form (Eq. 5) vs Monte Carlo.

    Solves d/dt p = -d/dx(m1 p) + 1/2 d2/dx2(m2 p) with the VP-SDE's moments m1 = -beta(t) x/2,
    m2 = beta(t) (Eq. 23) by a Scharfetter-Gummel finite-volume scheme (mass, positivity and the
    N(0, 1) steady state exact) and prints the L1 errors; with --refine also the convergence
    orders at step T/5, plotted beside --out as *-convergence.png.

    Example: driftscale fokker-planck --data "mixture:-2,2;0.3" --steps 0,100,300,1000 --out fp.png
    """
    from driftscale.experiments.fokker_planck_run import run_fokker_planck

    step_list = parse_list(steps, option="--steps", kind=int)
    conv_path = out.with_name(out.stem + "-convergence.png") if refine else None
    outputs = {"--out": (out, "figure"), "--npz": (npz, "npz")}
    check_outputs(outputs | {"--out (convergence figure)": (conv_path, "figure")}, force=force)
    _check_work(T, step_list, cells=cells, samples=samples)
    with flag_errors(FLAGS):
        result = run_fokker_planck(
            data,
            schedule=schedule,
            T=T,
            steps=step_list,
            num_cells=cells,
            half_width=half_width,
            method=method,
            flux=flux,
            num_samples=samples,
            refine=refine,
            rng=seed,
            progress=not json_out,
        )
    summary = _write(result, out=out, conv_path=conv_path, npz=npz)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {conv_path}" if conv_path else ""))
    typer.echo(result.format_table())


def _check_work(T: int | None, steps: list[int], *, cells: int, samples: int) -> None:
    """The size/work estimate: schedule length, frames, cells, Monte-Carlo chains x steps."""
    check_T(T)
    check_frames(steps, option="--steps")
    check_limit(cells, option="--cells", limit=MAX_CELLS, what="grid cells", fix="use fewer")
    check_limit(
        max(samples, 1) * max(max(steps), 1), option="--samples", limit=MAX_CHAIN_WORK,
        what="Monte-Carlo chain steps (samples x last step)", fix="use fewer --samples",
    )  # fmt: skip


def _figures(result: Any) -> tuple[Any, Any]:
    """The density snapshots and, with a refinement study, the convergence figure."""
    from driftscale.figures import convergence_figure, density_snapshots

    study = result.refinement
    conv = convergence_figure(study) if study is not None else None
    return density_snapshots(result.comparison, title=result.title), conv


def _write(result: Any, *, out: Path, conv_path: Path | None, npz: Path | None) -> dict[str, Any]:
    fig, conv = _figures(result)
    save_figure(fig, out)
    summary = result.to_dict() | {"out": str(out)}
    if conv_path is not None:
        save_figure(conv, conv_path)
        summary["convergence_out"] = str(conv_path)
    if npz is not None:
        c = result.comparison
        save_npz(
            npz,
            x=c.grid.centres,
            steps=c.steps,
            pde=c.pde,
            closed_form=c.closed_form,
            monte_carlo=c.monte_carlo,
        )
        summary["npz"] = str(npz)
    return summary


def demo_files(out: Path, result: Any) -> list[str]:
    """Write the demo's Fokker-Planck figures (density snapshots and convergence)."""
    names = ["fokker-planck.png", "fokker-planck-convergence.png"]
    for fig, name in zip(_figures(result), names, strict=True):
        save_figure(fig, out / name)
    return names
