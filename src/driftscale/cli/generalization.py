"""`driftscale generalization`: where does generalisation come from? Closed-form local denoisers
against a trained network from the same noise, or networks trained on disjoint halves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    FORCE_HELP,
    JSON_HELP,
    MAX_SAMPLES,
    SEED_HELP,
    check_clip,
    check_limit,
    check_outputs,
    check_seed,
    check_T,
    error,
    parse_list,
    print_json,
    renamed_option,
    save_figure,
    user_errors,
)
from driftscale.cli.train import set_threads


def _print_comparison(summary: dict[str, Any]) -> None:
    typer.echo(
        f"  {summary['data']}: N = {summary['num_train']} training images, {summary['sampler']} "
        f"{summary['num_steps']} steps, {summary['num_samples']} samples from one noise"
    )
    typer.echo("  denoiser          copies [95% CI]        r2 to net  cos to net  Frechet  sec")
    for name, d in summary["denoisers"].items():
        c = d["copies"]
        agree = d.get("to_network")
        r2 = f"{agree['r2']['median']:9.3f}" if agree else "        -"
        cos = f"{agree['cosine']['median']:10.3f}" if agree else "         -"
        fr = d["frechet_to_heldout"]
        typer.echo(
            f"  {name:16s} {100 * c['fraction']:5.1f}% [{100 * c['ci'][0]:5.1f}, "
            f"{100 * c['ci'][1]:5.1f}]  {r2}  {cos}  {'-' if fr is None else f'{fr:7.2f}'}"
            f"  {d['seconds']:5.1f}"
        )
    if summary.get("frechet_floor_train_vs_heldout") is not None:
        typer.echo(
            f"  Frechet floor (training vs held-out images): "
            f"{summary['frechet_floor_train_vs_heldout']:.2f}; in the {summary['feature_space']}"
        )
    if summary.get("calibration"):
        cal = summary["calibration"]
        pairs = ", ".join(f"{t}: {p}" for t, p in zip(cal["steps"], cal["sizes"], strict=True))
        typer.echo(f"  calibrated ELS patch size per step (step: size): {pairs}")
    typer.echo("  published median r2 of the calibrated ELS machine to a network (Kamb & Ganguli):")
    typer.echo(
        "    "
        + ", ".join(f"{k} {v}" for k, v in summary["published_median_r2_els_to_network"].items())
    )


def _print_halves(summary: dict[str, Any]) -> None:
    typer.echo(f"  {summary['data']}: networks on disjoint subsets of N images, same noise")
    typer.echo("      N   r2 A vs B  cos A vs B  copies A  copies B  train steps (A, B)")
    for p in summary["pairs"]:
        steps = ", ".join(f"{t['steps']}{' reused' if t['reused'] else ''}" for t in p["training"])
        typer.echo(
            f"  {p['size']:5d}  {p['a_vs_b']['r2']['median']:9.3f}  "
            f"{p['a_vs_b']['cosine']['median']:10.3f}  {100 * p['copies_a']['fraction']:7.1f}%"
            f"  {100 * p['copies_b']['fraction']:7.1f}%  {steps}"
        )


def _halves(
    data: str, sizes: str, out: Path, samples_out: Path | None, options: dict[str, Any]
) -> dict[str, Any]:
    from driftscale.experiments.generalization_run import run_disjoint_halves
    from driftscale.figures.generalization import halves_samples_figure, transition_figure

    size_list = tuple(parse_list(sizes, option="--sizes", kind=int))
    mults = tuple(parse_list(options.pop("channel_mults"), option="--channel-mults", kind=int))
    with user_errors():
        result = run_disjoint_halves(data, sizes=size_list, channel_mults=mults, **options)
    save_figure(transition_figure(result), out)
    summary = result.to_dict() | {"out": str(out)}
    if samples_out is not None:
        save_figure(halves_samples_figure(result), samples_out)
        summary["samples_out"] = str(samples_out)
    return summary


def _comparison(checkpoint: Path, data: str | None, out: Path, options: dict[str, Any]) -> Any:
    from driftscale.experiments.generalization_run import run_generalization
    from driftscale.figures.generalization import generalization_figure

    with user_errors():
        result = run_generalization(checkpoint, data=data, **options)
    save_figure(generalization_figure(result), out)
    return result.to_dict() | {"out": str(out)}


# the options of each experiment, by their parameter names in the command
_SHARED = ("sampler", "num_steps", "seed")
_HALVES = (*_SHARED, "run_dir", "train_seconds", "train_steps", "base_channels", "channel_mults")
_HALVES += ("attention", "schedule", "T")
_COMPARE = (*_SHARED, "smoothing", "padding", "calibration_samples", "calibration_steps")

Opt = typer.Option
CheckpointOpt = Annotated[Path, Opt(help="Run folder (or checkpoint.pt) of `train`: the network.")]
DataOpt = Annotated[
    str | None,
    Opt(
        help="Data: with --checkpoint the checkpoint's (checked); with --disjoint-halves "
        "'digits' (default), 'faces' (25x25, embedded), an image file or a folder."
    ),
]
HalvesOpt = Annotated[
    bool, Opt("--disjoint-halves", help="Train pairs of networks on disjoint subsets instead.")
]
SizesOpt = Annotated[str, Opt(help="--disjoint-halves: subset sizes N.")]
RunDirOpt = Annotated[Path, Opt(help="--disjoint-halves: folder of the networks (reused).")]
TrainSecondsOpt = Annotated[float, Opt(help="--disjoint-halves: seconds of training a network.")]
TrainStepsOpt = Annotated[int, Opt(help="--disjoint-halves: most training steps per network.")]
ChannelsOpt = Annotated[int, Opt(help="--disjoint-halves: U-Net channels.")]
MultsOpt = Annotated[str, Opt(help="--disjoint-halves: channel factor per resolution.")]
AttentionOpt = Annotated[bool, Opt(help="--disjoint-halves: self-attention at the lowest level.")]
ScheduleOpt = Annotated[str, Opt(help="--disjoint-halves: beta schedule of the networks.")]
TOpt = Annotated[int, Opt("--T", "-T", help="--disjoint-halves: steps of the schedule.")]
SamplerOpt = Annotated[str, Opt(help="ddpm | ddim | sde | ode, the same for all.")]
NOpt = Annotated[
    int | None,
    Opt("--num-samples", help="Samples per denoiser (or network).", show_default="64"),
]
OldNOpt = Annotated[int | None, Opt("--n", hidden=True)]  # the old spelling
StepsOpt = Annotated[int | None, Opt(help="Reverse steps (evenly spaced).")]
SmoothingOpt = Annotated[float, Opt(help="Perturbation scale of the smoothed denoiser.")]
PaddingOpt = Annotated[str, Opt(help="ELS border: none | zero | circular.")]
CalSamplesOpt = Annotated[int, Opt(help="Network trajectories for the ELS patch calibration.")]
CalStepsOpt = Annotated[int, Opt(help="Steps of the grid calibrated.")]
ClipOpt = Annotated[float, Opt(help="Clip the network's u0 to [-clip, clip]; 0: off.")]
ThreadsOpt = Annotated[int | None, Opt(help="torch CPU threads.")]
SeedOpt = Annotated[
    int, Opt(help=SEED_HELP + " The initial noise shared by all.", callback=check_seed)
]
OutOpt = Annotated[Path, Opt(help="Figure: a row of samples per denoiser (or the transition).")]
SamplesOutOpt = Annotated[Path | None, Opt(help="--disjoint-halves: the samples of each pair.")]
ForceOpt = Annotated[bool, Opt("--force", help=FORCE_HELP)]
JsonOpt = Annotated[bool, Opt("--json", help=JSON_HELP)]


def generalization_command(
    checkpoint: CheckpointOpt = Path("driftscale-run"),
    data: DataOpt = None,
    disjoint_halves: HalvesOpt = False,
    sizes: SizesOpt = "8,32,128,512",
    run_dir: RunDirOpt = Path("driftscale-halves"),
    train_seconds: TrainSecondsOpt = 120.0,
    train_steps: TrainStepsOpt = 20000,
    base_channels: ChannelsOpt = 16,
    channel_mults: MultsOpt = "1,2",
    attention: AttentionOpt = True,
    schedule: ScheduleOpt = "linear:1e-4,0.02",
    T: TOpt = 1000,
    sampler: SamplerOpt = "ddim",
    num_samples: NOpt = None,
    n: OldNOpt = None,
    num_steps: StepsOpt = 50,
    smoothing: SmoothingOpt = 0.3,
    padding: PaddingOpt = "none",
    calibration_samples: CalSamplesOpt = 16,
    calibration_steps: CalStepsOpt = 10,
    clip: ClipOpt = 1.0,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    out: OutOpt = Path("generalization.png"),
    samples_out: SamplesOutOpt = None,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Where does generalisation come from? Closed-form denoisers against a trained network.

    From the same initial noise and sampler, the exact, Gaussian (linear), smoothed (Scarvelis et
    al.), LS and ELS machines (Kamb & Ganguli; ELS with the default patch size and with the size
    calibrated to the network) and the network draw samples. Printed per denoiser: the fraction
    of copies of training images (d1/d2 < 1/3, bootstrap 95% interval), the Frechet distance to
    the held-out images, and the median r2 and cosine similarity of its samples to the network's.

    With --disjoint-halves: pairs of networks are trained on disjoint subsets of N images (kept
    in --run-dir and reused when re-run), and their similarity from the same noise and their
    copy fractions are plotted against N: memorisation to generalisation (Kadkhodaie et al.).

    Example: driftscale generalization --checkpoint run/ --out generalization.png

    Example: driftscale generalization --disjoint-halves --sizes 8,32,128,512 --out transition.png
    """
    given = dict(locals())
    check_outputs({"--out": (out, "figure"), "--samples-out": (samples_out, "figure")}, force=force)
    check_T(T)
    check_clip(clip)
    if samples_out is not None and not disjoint_halves:
        raise error("`--samples-out` belongs to --disjoint-halves; the figure is --out")
    if samples_out is not None and samples_out.resolve() == out.resolve():
        raise error(f"`--samples-out` and `--out` are one path ({str(out)!r}); give two")
    with user_errors():
        set_threads(threads)
    count = renamed_option(num_samples, n, default=64, flag="--num-samples", old="--n")
    check_limit(count, option="--num-samples", limit=MAX_SAMPLES, what="samples", fix="draw fewer")
    common = {"num_samples": count, "clip": clip if clip > 0 else None, "progress": not json_out}
    if disjoint_halves:
        options = common | {k: given[k] for k in _HALVES}
        summary = _halves(data or "digits", sizes, out, samples_out, options)
    else:
        options = common | {k: given[k] for k in _COMPARE}
        summary = _comparison(checkpoint, data, out, options)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f", {samples_out}" if samples_out else ""))
    (_print_halves if disjoint_halves else _print_comparison)(summary)
