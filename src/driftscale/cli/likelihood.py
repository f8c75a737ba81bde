"""`driftscale likelihood`: bits/dim of training and held-out images under the exact or a learned
reverse process, by the variational bound and the probability-flow ODE."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    FORCE_HELP,
    JSON_HELP,
    SEED_HELP,
    check_output,
    error,
    print_json,
    save_figure,
    user_errors,
)

ROUTE_CHOICES = {"vlb": ("vlb",), "ode": ("ode",), "both": ("vlb", "ode")}


def _threads(threads: int | None) -> None:
    if threads is None:
        return
    if threads < 1:
        raise ValueError(f"`--threads` must be a positive integer, got {threads}")
    import torch

    torch.set_num_threads(threads)


def _table(summary: dict[str, Any]) -> list[str]:
    q = summary["quantisation"]
    lines = [
        f"{summary['data']}: {q['raw_levels']} levels on [{q['raw_low']:g}, {q['raw_high']:g}] "
        f"(bin width {q['bin_width']:g} in [{q['low']:g}, {q['high']:g}], "
        f"offset {q['bits_offset']:g} bits/dim); denoiser {summary['denoiser']}, "
        f"{summary['num_train']} training / {summary['num_heldout']} held-out images",
        f"  {'route':<5} {'split':<8} {'n':>4} {'bits/dim':>11} {'± se':>9} {'median':>10} "
        f"{'NFE':>7} {'seconds':>8}",
    ]
    for route, r in summary["routes"].items():
        for split in ("train", "heldout"):
            s = r[split]
            lines.append(
                f"  {route:<5} {split:<8} {s['num_images']:>4} {s['bits_per_dim_mean']:>11.4f} "
                f"{s['bits_per_dim_se']:>9.3g} {s['bits_per_dim_median']:>10.4f} "
                f"{r['num_function_evaluations'][split]:>7.0f} {r['seconds']:>8.1f}"
            )
        lines.append(
            f"  {route:<5} held-out minus train: {r['gap_bits_per_dim']:.4f} ± {r['gap_se']:.3g} "
            f"bits/dim (ratio {r['ratio']:.3g})"
        )
    ref = summary["reference_bits_per_dim"]
    lines.append(
        f"  reference: a model uniform over the {summary['num_train']} training images "
        f"{ref['uniform_over_training_images']:.4f} bits/dim; uniform over the {q['levels']} "
        f"levels {ref['uniform_over_levels']:.4f} bits/dim"
    )
    return lines


DenoiserOption = Annotated[
    str,
    typer.Option(
        help="'exact': the training split's posterior mean; or the run folder / checkpoint of "
        "`driftscale train` (its EMA network, schedule and split)."
    ),
]
DataOption = Annotated[
    str | None,
    typer.Option(help="'digits' (default), 'cat', an image file or a folder (quantised)."),
]
RouteOption = Annotated[
    str, typer.Option(help="vlb (variational bound) | ode (probability flow) | both.")
]
ImagesOption = Annotated[int, typer.Option("--n", help="Images per split (0: all of them).")]
HeldoutOption = Annotated[
    float, typer.Option(help="Fraction held out (the split of `driftscale train`).")
]
ScheduleOption = Annotated[str, typer.Option(help="Beta schedule of the exact denoiser.")]
StepsOption = Annotated[int | None, typer.Option("--T", "-T", help="Steps of the schedule.")]
DrawsOption = Annotated[int, typer.Option(help="vlb: draws of u_t per term and image.")]
TimestepsOption = Annotated[
    int | None, typer.Option(help="vlb: importance-sample this many steps (default: all).")
]
NumStepsOption = Annotated[
    int | None,
    typer.Option(help="ode, networks: integrator steps (evenly spaced); default all."),
]
DivergenceOption = Annotated[
    str, typer.Option(help="ode: exact (Jacobian trace) | hutchinson (random probes).")
]
ProbesOption = Annotated[int, typer.Option(help="ode: Hutchinson probes per image.")]
ThreadsOption = Annotated[int | None, typer.Option(help="torch CPU threads.")]
SeedOption = Annotated[int, typer.Option(help=SEED_HELP + " Also seeds the split.")]
OutOption = Annotated[
    Path, typer.Option(help="Figure: per-image bits/dim, train vs held-out (PNG).")
]
ForceOption = Annotated[bool, typer.Option("--force", help=FORCE_HELP)]
JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def _figure(result: Any, summary: dict[str, Any], title: str) -> Any:
    from driftscale.figures.likelihood import likelihood_histograms

    refs = summary["reference_bits_per_dim"]
    bits = {r: {s: result.bits_per_dim(r, s) for s in ("train", "heldout")} for r in result.gaps}
    return likelihood_histograms(
        bits,
        references={
            "uniform over training images": refs["uniform_over_training_images"],
            f"uniform over {result.quantisation.levels} levels": refs["uniform_over_levels"],
        },
        title=title,
    )


def likelihood_command(
    denoiser: DenoiserOption = "exact",
    data: DataOption = None,
    route: RouteOption = "both",
    n: ImagesOption = 64,
    heldout: HeldoutOption = 0.1,
    schedule: ScheduleOption = "linear:1e-4,0.02",
    T: StepsOption = None,
    draws: DrawsOption = 2,
    timesteps: TimestepsOption = None,
    num_steps: NumStepsOption = None,
    divergence: DivergenceOption = "exact",
    probes: ProbesOption = 1,
    threads: ThreadsOption = None,
    seed: SeedOption = 0,
    out: OutOption = Path("likelihood.png"),
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Negative log-likelihood in bits/dim of training and held-out images, by the DDPM
    variational bound and by the probability-flow ODE, over the data's own quantisation.

    The exact denoiser of a finite data set puts its mass on the training images: about
    log2(N)/d bits/dim on them, hundreds on a held-out image (arXiv:2501.17054's memorisation in
    bits/dim). A learned network shows a small gap.

    Example: driftscale likelihood --denoiser exact --data digits --route both --out ll.png
    """
    if route not in ROUTE_CHOICES:
        raise error(f"`--route` must be one of vlb, ode, both, got {route!r}")
    if n < 0:
        raise error(f"`--n` must be a number of images >= 0 (0: all), got {n}")
    if divergence not in ("exact", "hutchinson"):
        raise error(f"`--divergence` must be one of exact, hutchinson, got {divergence!r}")
    check_output(out, force=force)
    from driftscale.experiments.likelihood_run import run_likelihood

    with user_errors():
        _threads(threads)
        result = run_likelihood(
            denoiser=denoiser,
            data=data,
            routes=ROUTE_CHOICES[route],
            num_images=n or None,
            heldout=heldout,
            schedule=schedule,
            T=T,
            num_samples=draws,
            timesteps=timesteps,
            num_steps=num_steps,
            divergence=divergence,
            num_probes=probes,
            seed=seed,
            progress=not json_out,
        )
    summary = {"command": "likelihood", **result.to_dict()}
    save_figure(_figure(result, summary, f"{summary['data']}, {denoiser}, seed {seed}"), out)
    summary["out"] = str(out)
    if json_out:
        print_json(summary)
        return
    for line in _table(summary):
        typer.echo(line)
    typer.echo(f"wrote {out}")
