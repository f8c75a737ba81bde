"""`driftscale memorization`: learned versus exact reverse process -- copies, held-out distance,
Frechet distance in a digit classifier's features (the experiment
:func:`driftscale.experiments.memorization_run.run_memorization`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    MAX_SAMPLES,
    ForceOption,
    JsonOption,
    SeedOption,
    check_clip,
    check_limit,
    check_outputs,
    check_T,
    flag_errors,
    print_json,
    renamed_option,
    save_figure,
)
from driftscale.cli.train import Threads, set_threads

FLAGS = {
    "data": "--data",
    "checkpoint": "--checkpoint",
    "sampler": "--sampler",
    "num_samples": "--num-samples",
    "num_steps": "--num-steps",
    "clip": "--clip",
    "threshold": "--threshold",
}
CheckpointOption = Annotated[Path, typer.Option(help="Run folder (or checkpoint.pt) of `train`.")]
DataOption = Annotated[
    str | None, typer.Option(help="Data of the run (default: the checkpoint's; checked).")
]
NumSamplesOption = Annotated[
    int | None,
    typer.Option("--num-samples", help="Samples per denoiser.", show_default="256"),
]
OldNumSamples = Annotated[int | None, typer.Option("--n", hidden=True)]  # the old spelling
ClipOption = Annotated[
    float, typer.Option(help="Clip the learned u0 to [-clip, clip] (DDPM practice); 0: off.")
]


def memorization_command(
    checkpoint: CheckpointOption = Path("driftscale-run"),
    data: DataOption = None,
    sampler: Annotated[str, typer.Option(help="ddpm | ddim | sde | ode, the same for both.")] = (
        "ddim"
    ),
    num_samples: NumSamplesOption = None,
    n: OldNumSamples = None,
    num_steps: Annotated[int | None, typer.Option(help="Reverse steps (evenly spaced).")] = 100,
    clip: ClipOption = 1.0,
    threshold: Annotated[float, typer.Option(help="Copy when d1/d2 < threshold.")] = 1.0 / 3.0,
    threads: Threads = None,
    seed: SeedOption = 0,
    out: Annotated[Path, typer.Option(help="Figure: samples and nearest training images.")] = Path(
        "memorization.png"
    ),
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Learned versus exact reverse process: copies, held-out distance, Frechet distance.

    Both denoisers are sampled with the same sampler and seed. Printed: the fraction of samples
    that copy a training image (d1/d2 < 1/3), the median distance to the held-out images, and the
    Frechet distance to the held-out images in the hidden layer of a digit classifier trained on
    the training split, beside the floor (real training images versus held-out).

    Example: driftscale memorization --checkpoint run/ --data digits --out memorization.png
    """
    from driftscale.experiments.memorization_run import run_memorization
    from driftscale.figures.samples import denoiser_comparison_figure

    check_outputs({"--out": (out, "figure")}, force=force)
    check_clip(clip)
    count = renamed_option(num_samples, n, default=256, flag="--num-samples", old="--n")
    check_limit(count, option="--num-samples", limit=MAX_SAMPLES, what="samples", fix="draw fewer")
    if num_steps is not None:
        check_T(num_steps, option="--num-steps")
    with flag_errors(FLAGS):
        set_threads(threads)
        res = run_memorization(
            checkpoint,
            data=data,
            sampler=sampler,
            num_samples=count,
            num_steps=num_steps,
            clip=clip,
            threshold=threshold,
            seed=seed,
            progress=not json_out,
        )
    title = f"Learned (step {res.step}) vs exact denoiser, {res.sampler} {res.num_steps} steps"
    figure = denoiser_comparison_figure(
        {name: run.samples for name, run in res.runs.items()},
        {name: run.report for name, run in res.runs.items()},
        res.train,
        value_scale=res.value_scale,
        title=title,
    )
    save_figure(figure, out)
    summary = res.to_dict() | {"out": str(out)}
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}")
    _echo(summary, threshold)


def _echo(summary: dict[str, Any], threshold: float) -> None:
    for name in ("learned", "exact"):
        m = summary[name]
        line = (
            f"  {name:8s} copies (d1/d2 < {threshold:.3g}): {100 * m['fraction_memorised']:5.1f}%"
            f", median d1 to train {m['d1_median']:.3f}"
        )
        if "heldout_d1_median" in m:
            line += f", to held-out {m['heldout_d1_median']:.3f}"
        typer.echo(line)
    if "frechet" in summary:
        fr = summary["frechet"]
        typer.echo(f"  Frechet distance to held-out, in the {fr['feature_space']}:")
        typer.echo(
            f"    learned {fr['learned_vs_heldout']:.3f}   exact {fr['exact_vs_heldout']:.3f}"
            f"   floor (train vs held-out) {fr['floor_train_vs_heldout']:.3f}"
        )
