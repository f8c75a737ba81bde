"""Entry point of ``python -m driftscale.learned.training`` (also under ``torchrun``), the
training data split shared with the CLI, and the set-up of ``torch.distributed`` from torchrun's
environment (gloo on CPU, nccl on GPU)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscale.data import ValueScale, load_dataset

__all__ = ["TrainingData", "init_distributed", "load_training_data", "main"]


@dataclass(frozen=True)
class TrainingData:
    """Training and held-out images scaled to ``[-1, 1]``, and the spec that rebuilds them."""

    train: np.ndarray
    heldout: np.ndarray | None
    value_scale: ValueScale
    name: str
    spec: dict[str, Any]
    train_labels: np.ndarray | None = None
    heldout_labels: np.ndarray | None = None


def load_training_data(
    source: str = "digits", *, heldout: float = 0.1, seed: int = 0, grey: bool = False
) -> TrainingData:
    """Load ``source`` (``"digits"``, ``"cat"``, an image file or folder), scale it to ``[-1, 1]``
    and hold out a fraction by a permutation seeded by ``[seed, 1]``: the split of
    ``driftscale sample`` (``cli.sample.load_split``), so exact and learned denoisers see the
    same training images."""
    if not 0.0 <= heldout < 1.0:
        raise ValueError(f"`heldout` must be a fraction in [0, 1), got {heldout}")
    dataset = load_dataset(source, grey=grey)
    vs = dataset.value_scale("unit")
    images = vs.apply(dataset.values)
    num_held = round(heldout * images.shape[0])
    if images.shape[0] - num_held < 1:
        raise ValueError(f"`heldout` {heldout} leaves no training images of {images.shape[0]}")
    order = np.random.default_rng([seed, 1]).permutation(images.shape[0])
    src = source if source in ("digits", "cat") else str(Path(source).resolve())
    spec = {"source": src, "heldout": heldout, "split_seed": seed, "grey": grey, "scale": "unit"}
    labels = None
    if source == "digits":  # the class of each digit (for classifier features)
        from sklearn.datasets import load_digits

        labels = load_digits().target.astype(np.int64)
    return TrainingData(
        train=images[order[num_held:]],
        heldout=images[order[:num_held]] if num_held else None,
        value_scale=vs,
        name=dataset.name,
        spec=spec,
        train_labels=None if labels is None else labels[order[num_held:]],
        heldout_labels=None if labels is None or not num_held else labels[order[:num_held]],
    )


def init_distributed() -> tuple[int, int]:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1); returns (rank, world).

    Backend: nccl when CUDA is available, gloo otherwise. Without torchrun: (0, 1).
    """
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m driftscale.learned.training",
        description="Train a U-Net denoiser (DDPM loss); run under torchrun for several "
        "processes. Example: torchrun --nproc_per_node=2 -m driftscale.learned.training "
        "--data digits --steps 2000 --batch 32 --out run/",
    )
    p.add_argument("--data", default="digits")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=64, help="per process")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--heldout", type=float, default=0.1)
    p.add_argument("--schedule", default="linear:1e-4,0.02")
    p.add_argument("--T", type=int, default=1000)
    p.add_argument("--base-channels", type=int, default=32)
    p.add_argument("--channel-mults", default="1,2")
    p.add_argument("--no-attention", action="store_true")
    p.add_argument("--prediction", default="epsilon")
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--max-seconds", type=float, default=None)
    p.add_argument("--grey", action="store_true")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--force", action="store_true")
    p.add_argument("--json", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, train, print a summary (JSON with ``--json``) on process 0."""
    from driftscale.learned.training import TrainConfig, train

    args = _parser().parse_args(argv)
    rank, world = init_distributed()
    try:
        data = load_training_data(args.data, heldout=args.heldout, seed=args.seed, grey=args.grey)
        config = TrainConfig(
            steps=args.steps,
            batch_size=args.batch,
            learning_rate=args.lr,
            seed=args.seed,
            schedule=args.schedule,
            T=args.T,
            base_channels=args.base_channels,
            channel_mults=tuple(int(v) for v in args.channel_mults.split(",")),
            attention=not args.no_attention,
            prediction=args.prediction,
            ema_decay=args.ema_decay,
            checkpoint_every=args.checkpoint_every,
            dtype=args.dtype,
        )
        result = train(
            data.train,
            config=config,
            run_dir=args.out,
            resume=args.resume,
            force=args.force,
            data_spec=data.spec,
            max_seconds=args.max_seconds,
            progress=not args.json,
        )
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    finally:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
    if rank == 0:
        summary = result.summary()
        if args.json:
            print(json.dumps(summary))
        else:
            print(
                f"trained {summary['step']} steps on {world} process(es), "
                f"{summary['images_per_second']:.0f} images/s; final loss "
                f"{summary['final_loss_mean']:.4f}; checkpoint in {args.out}"
            )
    return 0
