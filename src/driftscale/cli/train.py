"""`driftscale train`: learn a U-Net denoiser (:func:`driftscale.learned.training.train`).

The one training command: ``python -m driftscale train`` runs it too, and
``torchrun --nproc_per_node=K -m driftscale train ...`` runs it in K processes with
DistributedDataParallel, so there is one set of flags.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    SEED_HELP,
    ForceOption,
    JsonOption,
    check_limit,
    check_output_folder,
    check_seed,
    check_T,
    flag_errors,
    parse_list,
    print_json,
    renamed_option,
)
from driftscale.learned.config import TrainConfig

# the defaults of a training run: one set for the library and the command (read from the
# dataclass fields, without building a TrainConfig: that would load NumPy at `driftscale --help`)
_D = SimpleNamespace(**{f.name: f.default for f in fields(TrainConfig)})

DataOption = Annotated[
    str, typer.Option(help="'digits' (8x8, embedded), 'cat', an image file or a folder.")
]
TrainSteps = Annotated[
    int | None,
    typer.Option(
        "--train-steps",
        help="Total optimizer steps (with --resume: the new total).",
        show_default=str(_D.steps),
    ),
]
OldTrainSteps = Annotated[int | None, typer.Option("--steps", hidden=True)]  # the old spelling
RunFolder = Annotated[Path, typer.Option(help="Run folder (checkpoint.pt, config.json).")]
Budget = Annotated[float | None, typer.Option(help="Stop after this wall-clock time (seconds).")]
Threads = Annotated[int | None, typer.Option(help="torch CPU threads (1 is fastest when busy).")]
Width = Annotated[int, typer.Option(help="U-Net channels at full resolution.")]
Mults = Annotated[str, typer.Option(help="Channel factor per resolution.")]
Attention = Annotated[bool, typer.Option(help="Self-attention at the lowest resolution.")]
Prediction = Annotated[str, typer.Option(help="epsilon | u0: what the network predicts.")]
Every = Annotated[int, typer.Option(help="Steps between checkpoints.")]
Seed = Annotated[
    int, typer.Option(help=SEED_HELP + " Also seeds the held-out split.", callback=check_seed)
]


def set_threads(threads: int | None) -> None:
    """``torch.set_num_threads(threads)`` when given (``--threads``)."""
    if threads is not None:
        import torch

        if threads < 1:
            raise ValueError(f"`--threads` must be a positive integer, got {threads}")
        torch.set_num_threads(threads)


# the TrainConfig field of each option (the settings a resumed run must not change)
SETTINGS = {
    "batch": "batch_size",
    "lr": "learning_rate",
    "base_channels": "base_channels",
    "channel_mults": "channel_mults",
    "attention": "attention",
    "prediction": "prediction",
    "schedule": "schedule",
    "T": "T",
    "ema_decay": "ema_decay",
    "checkpoint_every": "checkpoint_every",
    "dtype": "dtype",
    "seed": "seed",
}
FLAGS = {
    "steps": "--train-steps",
    "batch_size": "--batch",
    "learning_rate": "--lr",
    "max_seconds": "--max-seconds",
    "heldout": "--heldout",
    "data": "--data",
    "schedule": "--schedule",
    "checkpoint_every": "--checkpoint-every",
    "ema_decay": "--ema-decay",
    "resume": "--resume",
    "out": "--out",
}
MAX_BATCH = 65_536


def _given(ctx: typer.Context) -> list[str]:
    """The settings whose options were typed on the command line (compared on --resume)."""
    sources = {option: ctx.get_parameter_source(option) for option in SETTINGS}
    return [
        field for option, field in SETTINGS.items()
        if getattr(sources[option], "name", None) == "COMMANDLINE"
    ]  # fmt: skip


def _check_run(out: Path, *, force: bool, resume: bool, T: int, batch: int) -> None:
    """The run folder and the sizes, before anything is loaded or trained."""
    files = {} if resume else {"checkpoint.pt": "checkpoint", "config.json": "json"}
    check_output_folder(out, force=True, files=files)
    check_T(T)
    check_limit(batch, option="--batch", limit=MAX_BATCH, what="images per step", fix="use fewer")


def _interrupted(exc: Any) -> typer.Exit:
    where = f"; checkpoint at step {exc.step} in {exc.checkpoint}" if exc.checkpoint else ""
    typer.secho(
        f"Error: interrupted (signal {exc.signum}) after step {exc.step}{where}; continue with "
        "--resume",
        err=True,
        fg=typer.colors.RED,
    )
    return typer.Exit(128 + exc.signum)


def train_command(
    ctx: typer.Context,
    data: DataOption = "digits",
    train_steps: TrainSteps = None,
    steps: OldTrainSteps = None,
    batch: Annotated[int, typer.Option(help="Images per step and process.")] = _D.batch_size,
    out: RunFolder = Path("driftscale-run"),
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out.")] = False,
    lr: Annotated[float, typer.Option(help="AdamW learning rate.")] = _D.learning_rate,
    base_channels: Width = _D.base_channels,
    channel_mults: Mults = ",".join(map(str, _D.channel_mults)),
    attention: Attention = _D.attention,
    prediction: Prediction = _D.prediction,
    schedule: Annotated[str, typer.Option(help="Beta schedule, as for `forward`.")] = _D.schedule,
    T: Annotated[int, typer.Option("--T", "-T", help="Steps of the schedule.")] = _D.T,
    heldout: Annotated[float, typer.Option(help="Fraction held out (never trained on).")] = 0.1,
    ema_decay: Annotated[float, typer.Option(help="EMA decay of the weights.")] = _D.ema_decay,
    checkpoint_every: Every = _D.checkpoint_every,
    dtype: Annotated[str, typer.Option(help="float32 | float64 (for verification).")] = _D.dtype,
    max_seconds: Budget = None,
    threads: Threads = None,
    grey: Annotated[bool, typer.Option("--grey", help="Convert colour images to grey.")] = False,
    seed: Seed = _D.seed,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Train a U-Net denoiser with the DDPM loss (AdamW, EMA, atomic checkpoints, exact --resume).

    CUDA is used when available. Under `torchrun --nproc_per_node=K -m driftscale train ...` it
    runs with DistributedDataParallel (gloo on CPU, nccl on GPU); --batch is per process. With
    --resume the stored settings are used and only --train-steps changes.

    Example: driftscale train --data digits --train-steps 2000 --batch 64 --out run/
    """
    from driftscale.data import load_split
    from driftscale.learned.distributed import close_distributed, init_distributed
    from driftscale.learned.training import TrainingInterrupted, train

    total = renamed_option(
        train_steps, steps, default=_D.steps, flag="--train-steps", old="--steps"
    )
    _check_run(out, force=force, resume=resume, T=T, batch=batch)
    mults = tuple(parse_list(channel_mults, option="--channel-mults", kind=int))
    options = dict(steps=total, batch_size=batch, learning_rate=lr, seed=seed, schedule=schedule)
    options |= dict(T=T, base_channels=base_channels, channel_mults=mults, attention=attention)
    options |= dict(prediction=prediction, ema_decay=ema_decay, checkpoint_every=checkpoint_every)
    with flag_errors(FLAGS):
        set_threads(threads)
        config = TrainConfig(**options, dtype=dtype)
        rank, _ = init_distributed()
        try:
            split = load_split(data, heldout=heldout, seed=seed, grey=grey)
            result = train(
                split.train, config=config, run_dir=out, resume=resume, force=force,
                data_spec=split.spec, max_seconds=max_seconds, progress=not json_out,
                resume_check=_given(ctx),
            )  # fmt: skip
        except TrainingInterrupted as exc:
            raise _interrupted(exc) from None
        finally:
            close_distributed()
    if rank == 0:
        _report(
            {"command": "train", "data": split.name, **result.summary(), "out": str(out)},
            json_out=json_out,
        )


def _report(summary: dict[str, Any], *, json_out: bool) -> None:
    if json_out:
        print_json(summary)
        return
    typer.echo(
        f"trained steps {summary['start_step']}..{summary['step']} on {summary['world_size']} "
        f"process(es) ({summary['device']}), {summary['images_per_second']:.0f} images/s, "
        f"{summary['seconds']:.1f} s; {summary['num_parameters']} parameters"
    )
    typer.echo(
        f"  loss: first {summary['first_loss']:.4f}, last {summary['final_loss_mean']:.4f} "
        f"(mean of the last steps); checkpoint {Path(summary['out']) / 'checkpoint.pt'}"
    )
