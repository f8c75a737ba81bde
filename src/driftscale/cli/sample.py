"""`driftscale sample`: the reverse process with an exact denoiser, and its memorisation report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from driftscale.cli._common import (
    FORCE_HELP,
    JSON_HELP,
    SEED_HELP,
    check_output,
    print_json,
    progress,
    save_figure,
    save_npz,
    user_errors,
)

DENOISERS = ("exact", "point")
INPAINT = ("none", "top", "left")


def load_split(data: str, *, heldout: float, seed: int, grey: bool = False) -> dict[str, Any]:
    """Load ``data`` scaled to [-1, 1] and split off a held-out fraction: the split of
    `driftscale train` (:func:`driftscale.learned.training.load_training_data`), so exact and
    learned denoisers see the same training images."""
    from driftscale.learned.distributed import load_training_data

    if not 0.0 <= heldout < 1.0:
        raise ValueError(f"`--heldout` must be a fraction in [0, 1), got {heldout}")
    split = load_training_data(data, heldout=heldout, seed=seed, grey=grey)
    return {
        "name": split.name,
        "train": split.train,
        "heldout": split.heldout,
        "value_scale": split.value_scale,
    }


def _inpaint_mask(kind: str, shape: tuple[int, ...]) -> np.ndarray | None:
    if kind == "none":
        return None
    mask = np.zeros(shape, dtype=bool)
    if kind == "top":
        mask[: shape[0] // 2] = True
    else:
        mask[:, : shape[1] // 2] = True
    return mask


def _network_denoiser(path: str, *, image_shape: tuple[int, ...]) -> Any:
    """The EMA network of a `driftscale train` run (its own schedule; u0 clipped to [-1, 1])."""
    if not Path(path).exists():
        raise ValueError(
            f"`--denoiser` must be 'exact', 'point' or the run folder / checkpoint of "
            f"`driftscale train`, got {path!r} (no such file or folder)"
        )
    try:
        from driftscale.learned.training import load_denoiser
    except ImportError:
        raise ValueError(
            "`--denoiser CHECKPOINT` needs PyTorch: pip install 'driftscale[torch]'"
        ) from None
    model = load_denoiser(path, clip=1.0)
    if tuple(model.image_shape) != tuple(image_shape):
        raise ValueError(
            f"`--denoiser` {path!r} was trained on images of shape {tuple(model.image_shape)}, "
            f"but `--data` gives {tuple(image_shape)}; pass the data the network was trained on"
        )
    return model


def run_sample(
    *,
    data: str,
    denoiser: str,
    sampler: str,
    num_samples: int,
    num_steps: int | None,
    eta: float,
    schedule: str,
    T: int | None,
    heldout: float,
    point_index: int,
    inpaint: str,
    threshold: float,
    seed: int,
    grey: bool = False,
    quiet: bool = True,
) -> dict[str, Any]:
    """Sample the reverse process and analyse memorisation (shared by `sample` and `demo`)."""
    from driftscale._validation import check_choice
    from driftscale.evaluation.memorization import memorization_report
    from driftscale.reverse.denoisers import ExactDenoiser, PointDenoiser
    from driftscale.reverse.samplers import sample, time_grid
    from driftscale.schedules import Schedule

    check_choice(inpaint, name="--inpaint", choices=INPAINT)
    sched = Schedule.from_string(schedule, T=T)
    split = load_split(data, heldout=heldout, seed=seed, grey=grey)
    train, held = split["train"], split["heldout"]
    if denoiser not in DENOISERS:
        model: Any = _network_denoiser(denoiser, image_shape=train.shape[1:])
    elif denoiser == "exact":
        model = ExactDenoiser(train, sched)
    else:
        if not 0 <= point_index < train.shape[0]:
            raise ValueError(
                f"`--point-index` must lie in 0..{train.shape[0] - 1} (training images), "
                f"got {point_index}"
            )
        model = PointDenoiser(train[point_index], sched)
    mask = _inpaint_mask(inpaint, model.image_shape)
    known = None
    if mask is not None:
        source = held if held is not None else train
        known = source[np.arange(num_samples) % source.shape[0]]
    total = len(time_grid(model.schedule.T, num_steps)) - 1
    start = time.perf_counter()
    with progress(total, f"reverse {sampler}", quiet=quiet) as bar:
        result = sample(
            model,
            num_samples=num_samples,
            sampler=sampler,
            rng=seed,
            num_steps=num_steps,
            eta=eta,
            known=known,
            mask=mask,
            progress=lambda done: bar.update(done - bar.n),
        )
    seconds = time.perf_counter() - start
    summary: dict[str, Any] = {
        "command": "sample",
        "data": split["name"],
        "num_train": int(train.shape[0]),
        "num_heldout": 0 if held is None else int(held.shape[0]),
        "denoiser": denoiser,
        "inpaint": inpaint,
        "seconds": seconds,
        "sample": result.summary(),
    }
    report = None
    if train.shape[0] >= 2:
        report = memorization_report(result.samples, train, heldout=held, threshold=threshold)
        summary["memorization"] = report.summary()
        if held is not None:
            # the yardstick: how often a real image the denoiser never saw is flagged as a copy
            summary["baseline_heldout_vs_train"] = memorization_report(
                held, train, threshold=threshold
            ).summary()
    else:
        summary["memorization"] = None
        summary["note"] = "memorisation needs at least 2 training images (d2); skipped"
    return {
        "result": result,
        "report": report,
        "train": train,
        "heldout": held,
        "value_scale": split["value_scale"],
        "summary": summary,
    }


def _grid_figure(run: dict[str, Any], title: str) -> Any:
    from driftscale.figures.samples import sample_grid

    return sample_grid(run["result"].samples, value_scale=run["value_scale"], title=title)


def sample_command(
    denoiser: Annotated[
        str,
        typer.Option(
            help="'exact': the finite data set's posterior mean; 'point': one image; or the run "
            "folder / checkpoint of `driftscale train` (a learned U-Net; its own schedule)."
        ),
    ] = "exact",
    data: Annotated[
        str, typer.Option(help="'digits' (8x8, embedded), 'cat', an image file or a folder.")
    ] = "digits",
    sampler: Annotated[
        str, typer.Option(help="ddpm | ddim | sde | ode (Heun on the probability-flow ODE).")
    ] = "ddpm",
    n: Annotated[int, typer.Option("--n", help="Number of samples.")] = 64,
    num_steps: Annotated[
        int | None, typer.Option(help="Reverse steps (evenly spaced); default every step.")
    ] = None,
    eta: Annotated[float, typer.Option(help="DDIM noise scale in [0, 1] (ddim only).")] = 0.0,
    schedule: Annotated[str, typer.Option(help="Beta schedule, as for `forward`.")] = (
        "linear:1e-4,0.02"
    ),
    T: Annotated[int | None, typer.Option("--T", "-T", help="Steps of the schedule.")] = None,
    heldout: Annotated[
        float, typer.Option(help="Fraction of the data held out (never seen by the denoiser).")
    ] = 0.1,
    point_index: Annotated[int, typer.Option(help="Training image used by --denoiser point.")] = 0,
    inpaint: Annotated[
        str, typer.Option(help="none | top | left: known half taken from held-out images.")
    ] = "none",
    threshold: Annotated[float, typer.Option(help="Memorised when d1/d2 < threshold.")] = 1.0 / 3.0,
    grey: Annotated[bool, typer.Option("--grey", help="Convert colour images to grey.")] = False,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    out: Annotated[Path, typer.Option(help="Grid of the samples (PNG).")] = Path("samples.png"),
    nn_out: Annotated[
        Path | None, typer.Option(help="Also draw samples beside their nearest training images.")
    ] = None,
    npz: Annotated[
        Path | None, typer.Option(help="Also save samples, d1, d2, ratio, nearest index.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Sample the reverse process (DDPM/DDIM/SDE/ODE) with an exact or learned denoiser.

    The exact denoiser of a finite data set (the minimiser of the training loss) regenerates the
    training images (seed 002): the summary gives the fraction of samples that are copies
    (nearest/second-nearest training distance d1/d2 < 1/3), beside the same number for held-out
    real images. A learned denoiser (`--denoiser run/`) samples with the schedule it was trained
    with; `driftscale memorization` compares it with the exact one.

    Example: driftscale sample --denoiser exact --data digits --sampler ddim --n 64 --out grid.png
    """
    check_output(out, force=force)
    check_output(nn_out, force=force, option="--nn-out")
    check_output(npz, force=force, option="--npz")
    with user_errors():
        run = run_sample(
            data=data,
            denoiser=denoiser,
            sampler=sampler,
            num_samples=n,
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
            quiet=json_out,
        )
    res, report, summary = run["result"], run["report"], run["summary"]
    frac = report.fraction_memorised if report is not None else float("nan")
    title = f"{denoiser} denoiser, {sampler}, {res.num_steps} steps, seed {seed}"
    save_figure(_grid_figure(run, f"{title}: {100 * frac:.1f}% copies"), out)
    summary["out"] = str(out)
    if nn_out is not None and report is not None:
        from driftscale.figures.samples import nearest_neighbour_figure

        fig = nearest_neighbour_figure(
            res.samples, run["train"], report, value_scale=run["value_scale"], title=title
        )
        save_figure(fig, nn_out)
        summary["nn_out"] = str(nn_out)
    if npz is not None:
        arrays: dict[str, Any] = {"samples": res.samples, "steps": np.asarray(res.steps)}
        if report is not None:
            arrays |= {
                "d1": report.d1,
                "d2": report.d2,
                "ratio": report.ratio,
                "nearest_index": report.nearest_index,
            }
        save_npz(npz, **arrays)
        summary["npz"] = str(npz)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {', '.join(str(p) for p in (out, nn_out, npz) if p is not None)}")
    typer.echo(
        f"  {res.sampler}: {n} samples, {res.num_steps} steps, {res.num_evaluations} denoiser "
        f"calls, {summary['seconds']:.2f} s; {summary['num_train']} training images"
    )
    if report is not None:
        mem = summary["memorization"]
        typer.echo(
            f"  copies (d1/d2 < {threshold:.3g}): {100 * mem['fraction_memorised']:.1f}% "
            f"({mem['num_memorised']}/{mem['num_samples']}); median d1 {mem['d1_median']:.3g}, "
            f"median d1/d2 {mem['ratio_median']:.3g}"
        )
        if "baseline_heldout_vs_train" in summary:
            base = summary["baseline_heldout_vs_train"]
            typer.echo(
                f"  held-out real images flagged as copies: "
                f"{100 * base['fraction_memorised']:.1f}%; median distance of samples to the "
                f"held-out set {mem['heldout_d1_median']:.3g}"
            )
    else:
        typer.echo(f"  {summary['note']}")


DEMO_SAMPLERS: list[tuple[str, str, int | None]] = [
    ("ddpm", "ddpm", None),
    ("ddim", "ddim", None),
    ("sde", "sde", None),
    ("ode", "ode", None),
    ("ddim, 5 steps", "ddim", 5),
]


def demo_part(out: Path, seed: int) -> dict[str, Any]:
    """The reverse process on digits for `driftscale demo`: the exact denoiser through every
    sampler, samples beside their nearest training images, and the d1/d2 histograms."""
    from driftscale.evaluation.memorization import memorization_report
    from driftscale.figures.samples import memorisation_rows, ratio_histogram
    from driftscale.figures.strips import strip_grid
    from driftscale.reverse.denoisers import ExactDenoiser
    from driftscale.reverse.samplers import sample
    from driftscale.schedules import Schedule

    schedule = Schedule.from_string("linear:1e-4,0.02", T=1000)
    split = load_split("digits", heldout=0.1, seed=seed)
    train, held, vs = split["train"], split["heldout"], split["value_scale"]
    denoiser = ExactDenoiser(train, schedule)
    rows, reports, per_sampler = [], {}, {}
    for label, name, steps in DEMO_SAMPLERS:
        start = time.perf_counter()
        res = sample(denoiser, num_samples=128, sampler=name, rng=seed, num_steps=steps)
        rep = memorization_report(res.samples, train, heldout=held)
        reports[label] = rep
        per_sampler[label] = rep.summary() | {
            "num_steps": res.num_steps,
            "num_evaluations": res.num_evaluations,
            "seconds": time.perf_counter() - start,
        }
        rows += memorisation_rows(res.samples, train, rep, label=label, num=8, value_scale=vs)
    baseline = memorization_report(held, train)
    reports["held-out real digits"] = baseline
    grid = strip_grid(
        rows,
        title="Exact reverse process on digits (seed 002): samples above their nearest training "
        "images",
        frame_width=1.0,
    )
    names = ["reverse-exact-samples.png", "reverse-exact-memorisation.png"]
    save_figure(grid, out / names[0], dpi=80)
    hist = ratio_histogram(
        reports, title=f"d1/d2 of 128 samples per sampler ({train.shape[0]} training digits)"
    )
    save_figure(hist, out / names[1], dpi=80)
    return {
        "files": names,
        "summary": {
            "schedule": schedule.to_dict(),
            "num_train": int(train.shape[0]),
            "num_heldout": int(held.shape[0]),
            "num_samples": 128,
            "samplers": per_sampler,
            "baseline_heldout_vs_train": baseline.summary(),
        },
    }
