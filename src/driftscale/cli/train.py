"""`driftscale train` (learn a U-Net denoiser) and `driftscale memorization` (learned versus exact
reverse process: copies, held-out distance, Frechet distance in a digit classifier's features)."""

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
    user_errors,
)


def _threads(threads: int | None) -> None:
    if threads is not None:
        import torch

        if threads < 1:
            raise ValueError(f"`--threads` must be a positive integer, got {threads}")
        torch.set_num_threads(threads)


def train_command(
    data: Annotated[
        str, typer.Option(help="'digits' (8x8, embedded), 'cat', an image file or a folder.")
    ] = "digits",
    steps: Annotated[
        int, typer.Option(help="Total optimizer steps (with --resume: new total).")
    ] = 2000,
    batch: Annotated[int, typer.Option(help="Images per step and process.")] = 64,
    out: Annotated[Path, typer.Option(help="Run folder (checkpoint.pt, config.json).")] = Path(
        "driftscale-run"
    ),
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out.")] = False,
    lr: Annotated[float, typer.Option(help="AdamW learning rate.")] = 1e-3,
    base_channels: Annotated[int, typer.Option(help="U-Net channels at full resolution.")] = 16,
    channel_mults: Annotated[str, typer.Option(help="Channel factor per resolution.")] = "1,2",
    attention: Annotated[
        bool, typer.Option(help="Self-attention at the lowest resolution.")
    ] = True,
    prediction: Annotated[str, typer.Option(help="epsilon | u0: what the network predicts.")] = (
        "epsilon"
    ),
    schedule: Annotated[str, typer.Option(help="Beta schedule, as for `forward`.")] = (
        "linear:1e-4,0.02"
    ),
    T: Annotated[int, typer.Option("--T", "-T", help="Steps of the schedule.")] = 1000,
    heldout: Annotated[float, typer.Option(help="Fraction held out (never trained on).")] = 0.1,
    ema_decay: Annotated[float, typer.Option(help="EMA decay of the weights.")] = 0.999,
    checkpoint_every: Annotated[int, typer.Option(help="Steps between checkpoints.")] = 500,
    max_seconds: Annotated[
        float | None, typer.Option(help="Stop after this wall-clock budget (seconds).")
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="torch CPU threads (1 is fastest on a busy machine).")
    ] = None,
    grey: Annotated[bool, typer.Option("--grey", help="Convert colour images to grey.")] = False,
    seed: Annotated[int, typer.Option(help=SEED_HELP + " Also seeds the held-out split.")] = 0,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Train a U-Net denoiser with the DDPM loss (AdamW, EMA, atomic checkpoints, exact --resume).

    CUDA is used when available. Under `torchrun --nproc_per_node=K $(which driftscale) train ...`
    it runs with DistributedDataParallel (gloo on CPU, nccl on GPU); --batch is per process.
    With --resume the stored settings are used and only --steps changes.

    Example: driftscale train --data digits --steps 2000 --batch 64 --out run/
    """
    from driftscale.learned.distributed import init_distributed, load_training_data
    from driftscale.learned.training import TrainConfig, train

    with user_errors():
        _threads(threads)
        rank, world = init_distributed()
        split = load_training_data(data, heldout=heldout, seed=seed, grey=grey)
        mults = tuple(int(v) for v in channel_mults.split(",") if v.strip())
        config = TrainConfig(
            steps=steps,
            batch_size=batch,
            learning_rate=lr,
            seed=seed,
            schedule=schedule,
            T=T,
            base_channels=base_channels,
            channel_mults=mults,
            attention=attention,
            prediction=prediction,
            ema_decay=ema_decay,
            checkpoint_every=checkpoint_every,
        )
        with progress(steps, "train", quiet=json_out or rank != 0) as bar:

            def report(step: int, loss: float) -> None:
                bar.update(step - bar.n)
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

            result = train(
                split.train,
                config=config,
                run_dir=out,
                resume=resume,
                force=force,
                data_spec=split.spec,
                max_seconds=max_seconds,
                progress=report,
            )
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    if rank != 0:
        return
    summary = {"command": "train", "data": split.name, **result.summary(), "out": str(out)}
    if json_out:
        print_json(summary)
        return
    typer.echo(
        f"trained steps {result.start_step}..{result.step} on {world} process(es) "
        f"({result.device}), "
        f"{result.images_per_second:.0f} images/s, {result.seconds:.1f} s; "
        f"{summary['num_parameters']} parameters"
    )
    typer.echo(
        f"  loss: first {summary['first_loss']:.4f}, last {summary['final_loss_mean']:.4f} "
        f"(mean of the last steps); checkpoint {out / 'checkpoint.pt'}"
    )


def run_memorization(
    *,
    checkpoint: Path,
    data: str | None,
    sampler: str,
    num_samples: int,
    num_steps: int | None,
    clip: float,
    threshold: float,
    seed: int,
    quiet: bool = True,
) -> dict[str, Any]:
    """Sample the learned (EMA) and the exact denoiser with the same sampler and seed; compare."""
    from driftscale.evaluation.frechet import classifier_features, frechet_distance
    from driftscale.evaluation.memorization import memorization_report
    from driftscale.learned.checkpoints import CheckpointError, load_checkpoint
    from driftscale.learned.distributed import load_training_data
    from driftscale.learned.training import data_fingerprint, load_denoiser
    from driftscale.reverse.denoisers import ExactDenoiser
    from driftscale.reverse.samplers import sample, time_grid

    state = load_checkpoint(checkpoint)
    spec = state["data"]
    if (
        data is not None
        and data != spec.get("source")
        and Path(data).resolve() != Path(str(spec.get("source")))
    ):
        raise CheckpointError(
            f"`--data` {data!r} is not the data the checkpoint was trained on "
            f"({spec.get('source')!r}); leave --data out to use the checkpoint's"
        )
    split = load_training_data(
        spec["source"], heldout=spec["heldout"], seed=spec["split_seed"], grey=spec["grey"]
    )
    if data_fingerprint(split.train) != spec.get("sha256"):
        raise CheckpointError(
            f"the training split rebuilt from {spec['source']!r} differs from the checkpoint's "
            "(the data changed since training)"
        )
    learned = load_denoiser(checkpoint, clip=clip if clip > 0 else None)
    exact = ExactDenoiser(split.train, learned.schedule)
    runs: dict[str, Any] = {}
    total = len(time_grid(learned.schedule.T, num_steps)) - 1
    for name, den in (("learned", learned), ("exact", exact)):
        start = time.perf_counter()
        with progress(total, f"{name} {sampler}", quiet=quiet) as bar:
            res = sample(
                den,
                num_samples=num_samples,
                sampler=sampler,
                rng=seed,
                num_steps=num_steps,
                progress=lambda done, bar=bar: bar.update(done - bar.n),
            )
        rep = memorization_report(
            res.samples, split.train, heldout=split.heldout, threshold=threshold
        )
        runs[name] = {"samples": res.samples, "report": rep, "seconds": time.perf_counter() - start}
    held = split.heldout
    summary: dict[str, Any] = {
        "command": "memorization",
        "checkpoint": str(checkpoint),
        "step": int(state["step"]),
        "data": split.name,
        "num_train": int(split.train.shape[0]),
        "num_heldout": 0 if held is None else int(held.shape[0]),
        "sampler": sampler,
        "num_steps": total,
        "num_samples": num_samples,
        "seed": seed,
        "clip": clip if clip > 0 else None,
    }
    for name, run in runs.items():
        summary[name] = run["report"].summary() | {"seconds": run["seconds"]}
    if held is not None and held.shape[0] >= 2:
        summary["baseline_heldout_vs_train"] = memorization_report(
            held, split.train, threshold=threshold
        ).summary()
        if split.train_labels is not None:
            feats = classifier_features(
                split.train, split.train_labels, seed=seed, check=(held, split.heldout_labels)
            )
            space = f"hidden layer ({feats.hidden} ReLU units) of an MLP digit classifier"
            summary["classifier_heldout_accuracy"] = feats.accuracy
        else:
            feats = lambda x: np.asarray(x).reshape(len(x), -1)  # noqa: E731
            space = "pixels (no labels to train a classifier on these data)"
        fh = feats(held)
        pick = np.random.default_rng([seed, 2]).choice(
            split.train.shape[0], num_samples, replace=num_samples > split.train.shape[0]
        )
        summary["frechet"] = {
            "feature_space": space,
            "learned_vs_heldout": frechet_distance(feats(runs["learned"]["samples"]), fh),
            "exact_vs_heldout": frechet_distance(feats(runs["exact"]["samples"]), fh),
            # the floor: real training images (as many as samples) against the held-out ones
            "floor_train_vs_heldout": frechet_distance(feats(split.train[pick]), fh),
        }
    return {
        "summary": summary,
        "runs": runs,
        "train": split.train,
        "value_scale": split.value_scale,
    }


def memorization_figure(result: dict[str, Any], *, num: int = 8) -> Any:
    """Learned samples, their nearest training images, exact samples, theirs."""
    from driftscale.figures.samples import memorisation_rows
    from driftscale.figures.strips import strip_grid

    rows = []
    vs, train = result["value_scale"], result["train"]
    for name, run in result["runs"].items():
        rows += memorisation_rows(
            run["samples"], train, run["report"], label=name, num=num, value_scale=vs
        )
    s = result["summary"]
    title = f"Learned (step {s['step']}) vs exact denoiser, {s['sampler']} {s['num_steps']} steps"
    return strip_grid(rows, title=title, frame_width=1.0)


def memorization_command(
    checkpoint: Annotated[
        Path, typer.Option(help="Run folder (or checkpoint.pt) of `train`.")
    ] = Path("driftscale-run"),
    data: Annotated[
        str | None, typer.Option(help="Data of the run (default: the checkpoint's; checked).")
    ] = None,
    sampler: Annotated[
        str, typer.Option(help="ddpm | ddim | sde | ode, the same for both.")
    ] = "ddim",
    n: Annotated[int, typer.Option("--n", help="Samples per denoiser.")] = 256,
    num_steps: Annotated[int | None, typer.Option(help="Reverse steps (evenly spaced).")] = 100,
    clip: Annotated[
        float, typer.Option(help="Clip the learned u0 to [-clip, clip] (DDPM practice); 0: off.")
    ] = 1.0,
    threshold: Annotated[float, typer.Option(help="Memorised when d1/d2 < threshold.")] = 1.0 / 3.0,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    out: Annotated[Path, typer.Option(help="Figure: samples and nearest training images.")] = Path(
        "memorization.png"
    ),
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Learned versus exact reverse process: copies, held-out distance, Frechet distance.

    Both denoisers are sampled with the same sampler and seed. Printed: the fraction of samples
    that copy a training image (d1/d2 < 1/3), the median distance to the held-out images, and the
    Frechet distance to the held-out images in the hidden layer of a digit classifier trained on
    the training split, beside the floor (real training images versus held-out).

    Example: driftscale memorization --checkpoint run/ --data digits --out memorization.png
    """
    check_output(out, force=force)
    with user_errors():
        _threads(threads)
        result = run_memorization(
            checkpoint=checkpoint,
            data=data,
            sampler=sampler,
            num_samples=n,
            num_steps=num_steps,
            clip=clip,
            threshold=threshold,
            seed=seed,
            quiet=json_out,
        )
    save_figure(memorization_figure(result), out)
    summary = result["summary"] | {"out": str(out)}
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}")
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
