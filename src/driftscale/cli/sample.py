"""`driftscale sample`: the reverse process with an exact or learned denoiser, and its memorisation
report (the experiment :func:`driftscale.experiments.reverse_sampling.run_sampling`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    MAX_SAMPLES,
    ForceOption,
    JsonOption,
    SeedOption,
    check_limit,
    check_outputs,
    check_T,
    flag_errors,
    print_json,
    renamed_option,
    save_figure,
    save_npz,
)

# the experiment's arguments that the messages name, as this command's flags
FLAGS = {
    "data": "--data",
    "denoiser": "--denoiser",
    "heldout": "--heldout",
    "inpaint": "--inpaint",
    "point_index": "--point-index",
    "num_samples": "--num-samples",
    "num_steps": "--num-steps",
    "sampler": "--sampler",
    "eta": "--eta",
    "schedule": "--schedule",
    "threshold": "--threshold",
    "T": "--T",
}
DenoiserOption = Annotated[
    str,
    typer.Option(
        help="'exact': the finite data set's posterior mean; 'point': one image; or the run "
        "folder / checkpoint of `driftscale train` (a learned U-Net; its own schedule)."
    ),
]
DataOption = Annotated[
    str, typer.Option(help="'digits' (8x8, embedded), 'cat', an image file or a folder.")
]
NumSamplesOption = Annotated[
    int | None, typer.Option("--num-samples", help="Number of samples.", show_default="64")
]
OldNumSamples = Annotated[int | None, typer.Option("--n", hidden=True)]  # the old spelling
StepsOption = Annotated[
    int | None, typer.Option(help="Reverse steps (evenly spaced); default every step.")
]
InpaintOption = Annotated[
    str, typer.Option(help="none | top | left: known half taken from held-out images.")
]


def sample_command(
    denoiser: DenoiserOption = "exact",
    data: DataOption = "digits",
    sampler: Annotated[str, typer.Option(help="ddpm | ddim | sde | ode (Heun on the ODE).")] = (
        "ddpm"
    ),
    num_samples: NumSamplesOption = None,
    n: OldNumSamples = None,
    num_steps: StepsOption = None,
    eta: Annotated[float, typer.Option(help="DDIM noise scale in [0, 1] (ddim only).")] = 0.0,
    schedule: Annotated[str, typer.Option(help="Beta schedule, as for `forward`.")] = (
        "linear:1e-4,0.02"
    ),
    T: Annotated[int | None, typer.Option("--T", "-T", help="Steps of the schedule.")] = None,
    heldout: Annotated[float, typer.Option(help="Fraction held out (never seen).")] = 0.1,
    point_index: Annotated[int, typer.Option(help="Training image of --denoiser point.")] = 0,
    inpaint: InpaintOption = "none",
    threshold: Annotated[float, typer.Option(help="Copy when d1/d2 < threshold.")] = 1.0 / 3.0,
    grey: Annotated[bool, typer.Option("--grey", help="Convert colour images to grey.")] = False,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option(help="Grid of the samples (PNG).")] = Path("samples.png"),
    nn_out: Annotated[Path | None, typer.Option(help="Samples beside nearest training images.")] = (
        None
    ),
    npz: Annotated[Path | None, typer.Option(help="Samples, d1, d2, ratio, nearest index.")] = None,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Sample the reverse process (DDPM/DDIM/SDE/ODE) with an exact or learned denoiser.

    The exact denoiser of a finite data set (the minimiser of the training loss) regenerates the
    training images (arXiv:2501.17054): the summary gives the fraction of samples that are copies
    (nearest/second-nearest training distance d1/d2 < 1/3), beside the same number for held-out
    real images. A learned denoiser (`--denoiser run/`) samples with the schedule it was trained
    with; `driftscale memorization` compares it with the exact one.

    Example: driftscale sample --denoiser exact --data digits --sampler ddim --num-samples 64
    --out grid.png
    """
    from driftscale.experiments.reverse_sampling import run_sampling

    outputs = {"--out": (out, "figure"), "--nn-out": (nn_out, "figure"), "--npz": (npz, "npz")}
    check_outputs(outputs, force=force)
    count = renamed_option(num_samples, n, default=64, flag="--num-samples", old="--n")
    check_T(T)
    check_limit(count, option="--num-samples", limit=MAX_SAMPLES, what="samples", fix="draw fewer")
    with flag_errors(FLAGS):
        res = run_sampling(
            data,
            denoiser=denoiser,
            sampler=sampler,
            num_samples=count,
            num_steps=num_steps,
            eta=eta,
            schedule=schedule,
            T=T,
            heldout=heldout,
            point_index=point_index,
            inpaint=inpaint,
            threshold=threshold,
            seed=seed,
            grey=grey,
            progress=not json_out,
        )
    summary = res.to_dict() | _write(res, out=out, nn_out=nn_out, npz=npz, seed=seed)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {', '.join(str(p) for p in (out, nn_out, npz) if p is not None)}")
    _echo(summary, threshold)


def _write(res: Any, *, out: Path, nn_out: Path | None, npz: Path | None, seed: int) -> dict:
    """Draw and save the outputs; returns their paths for the summary."""
    import numpy as np  # imported on first use: the CLI starts without NumPy

    from driftscale.figures.samples import nearest_neighbour_figure, sample_grid

    rep, s = res.memorization, res.sample
    frac = rep.fraction_memorised if rep is not None else math.nan
    title = f"{res.denoiser} denoiser, {s.sampler}, {s.num_steps} steps, seed {seed}"
    grid_title = f"{title}: {100 * frac:.1f}% copies"
    save_figure(sample_grid(res.samples, value_scale=res.value_scale, title=grid_title), out)
    paths = {"out": str(out)}
    if nn_out is not None and rep is not None:
        figure = nearest_neighbour_figure(
            res.samples, res.train, rep, value_scale=res.value_scale, title=title
        )
        save_figure(figure, nn_out)
        paths["nn_out"] = str(nn_out)
    if npz is not None:
        arrays: dict[str, Any] = {"samples": res.samples, "steps": np.asarray(s.steps)}
        if rep is not None:
            arrays |= {"d1": rep.d1, "d2": rep.d2, "ratio": rep.ratio}
            arrays["nearest_index"] = rep.nearest_index
        save_npz(npz, **arrays)
        paths["npz"] = str(npz)
    return paths


def _echo(summary: dict[str, Any], threshold: float) -> None:
    s = summary["sample"]
    typer.echo(
        f"  {s['sampler']}: {s['num_samples']} samples, {s['num_steps']} steps, "
        f"{s['num_evaluations']} denoiser calls, {summary['seconds']:.2f} s; "
        f"{summary['num_train']} training images"
    )
    mem = summary["memorization"]
    if mem is None:
        typer.echo(f"  {summary['note']}")
        return
    typer.echo(
        f"  copies (d1/d2 < {threshold:.3g}): {100 * mem['fraction_memorised']:.1f}% "
        f"({mem['num_memorised']}/{mem['num_samples']}); median d1 {mem['d1_median']:.3g}, "
        f"median d1/d2 {mem['ratio_median']:.3g}"
    )
    if "baseline_heldout_vs_train" in summary:
        base = summary["baseline_heldout_vs_train"]
        typer.echo(
            f"  held-out real images flagged as copies: {100 * base['fraction_memorised']:.1f}%;"
            f" median distance of samples to the held-out set {mem['heldout_d1_median']:.3g}"
        )


def demo_files(out: Path, runs: Any) -> list[str]:
    """Write the demo's exact reverse process: samples over their nearest training images and
    the d1/d2 histogram (``runs``: sampler label -> SamplingResult)."""
    from driftscale.figures.samples import denoiser_comparison_figure, ratio_histogram

    first = next(iter(runs.values()))
    reports = {label: r.memorization for label, r in runs.items()}
    title = "Exact reverse process on digits: samples above their nearest training images"
    grid = denoiser_comparison_figure(
        {label: r.samples for label, r in runs.items()},
        reports,
        first.train,
        value_scale=first.value_scale,
        title=title,
    )
    names = ["reverse-exact-samples.png", "reverse-exact-memorisation.png"]
    save_figure(grid, out / names[0], dpi=80)
    reports["held-out real digits"] = first.baseline
    num = next(iter(runs.values())).samples.shape[0]
    hist_title = f"d1/d2 of {num} samples per sampler ({first.train.shape[0]} training digits)"
    save_figure(ratio_histogram(reports, title=hist_title), out / names[1], dpi=80)
    return names
