"""Benchmark: driftscale's U-Net training against diffusers' UNet2DModel + DDPMScheduler.

Reference: ``diffusers.UNet2DModel`` (blocks (16, 32), one layer per block, attention at the 4x4
level and in the middle; 176,849 parameters against driftscale's 163,985: +8 %) trained with
``diffusers.DDPMScheduler.add_noise`` and the same loss, optimizer (AdamW, lr 1e-3), batch (64),
gradient clipping (1.0), EMA (0.999 with the same warm-up), data (the digits' training split) and
the same CPU wall-clock budget, one after the other in this process, on the same number of torch
threads. Both trained networks are then sampled by the *same* sampler (driftscale's DDIM, 100
steps, u0 clipped to [-1, 1], same seed) so that the comparison is of the training alone, and
scored by the Frechet distance to the held-out digits in the hidden layer of an MLP digit
classifier trained on the training split (floor: training digits versus held-out digits).

Timings on a shared machine are noisy: run it when the machine is quiet, and compare ratios.

    python benchmarks/bench_learned_vs_diffusers.py [--budget 300] [--threads 1] [--json]

Needs the benchmark extra: ``pip install diffusers`` (``bench-diffusers`` in pyproject.toml).
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import numpy as np
import torch

from driftscale.data import load_split
from driftscale.evaluation.frechet import classifier_features, frechet_distance
from driftscale.learned.config import TrainConfig
from driftscale.learned.training import train
from driftscale.reverse.samplers import sample
from driftscale.schedules import Schedule

SCHEDULE = Schedule.from_string("linear:1e-4,0.02", T=1000)


class DiffusersDenoiser:
    """A diffusers epsilon-UNet as a driftscale Denoiser: diffusers' timestep t = our step i - 1
    (its alpha_cumprod[t] is our alpha_bar[t + 1]); u0 = (x - sqrt(1 - ab) eps) / sqrt(ab)."""

    def __init__(self, model, schedule):
        self.model, self.schedule, self.image_shape = model, schedule, (8, 8)

    @torch.no_grad()
    def __call__(self, x, i):
        steps = np.broadcast_to(np.asarray(i), (x.shape[0],)).astype(np.int64)
        xt = torch.as_tensor(x, dtype=torch.float32)[:, None]
        eps = self.model(xt, torch.as_tensor(steps - 1)).sample[:, 0].double().numpy()
        ab = self.schedule.alpha_bar[steps][:, None, None]
        u0 = (x - np.sqrt(1 - ab) * eps) / np.sqrt(ab)  # Eq. (5) solved for u0
        return np.where(steps[:, None, None] == 0, x, np.clip(u0, -1.0, 1.0))


def train_diffusers(train_images, *, budget, seed, batch=64, lr=1e-3, ema_decay=0.999):
    from diffusers import DDPMScheduler, UNet2DModel

    torch.manual_seed(seed)
    model = UNet2DModel(
        sample_size=8,
        in_channels=1,
        out_channels=1,
        block_out_channels=(16, 32),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=8,
    )
    scheduler = DDPMScheduler(
        num_train_timesteps=1000, beta_schedule="linear", beta_start=1e-4, beta_end=0.02
    )
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    x_all = torch.as_tensor(train_images, dtype=torch.float32)[:, None]
    gen = torch.Generator().manual_seed(seed)
    n, step, losses = x_all.shape[0], 0, []
    order = torch.randperm(n, generator=gen)
    pos = 0
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        if pos + batch > n:
            order, pos = torch.randperm(n, generator=gen), 0
        x0 = x_all[order[pos : pos + batch]]
        pos += batch
        t = torch.randint(0, 1000, (batch,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        noisy = scheduler.add_noise(x0, noise, t)
        loss = torch.mean((model(noisy, t).sample - noise) ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        d = min(ema_decay, (1.0 + step) / (10.0 + step))  # the same EMA as driftscale's
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), model.parameters(), strict=True):
                pe.mul_(d).add_(p, alpha=1 - d)
        losses.append(float(loss.detach()))
    seconds = time.perf_counter() - start
    ema.eval()
    return {
        "denoiser": DiffusersDenoiser(ema, SCHEDULE),
        "steps": step,
        "seconds": seconds,
        "images_per_second": step * batch / seconds,
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "final_loss": float(np.mean(losses[-100:])),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=300.0, help="training seconds for each")
    p.add_argument("--threads", type=int, default=1, help="torch threads for both")
    p.add_argument("--n", type=int, default=256, help="samples for the Frechet distance")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    data = load_split("digits", heldout=0.1, seed=args.seed)
    feats = classifier_features(
        data.train, data.train_labels, seed=args.seed, check=(data.heldout, data.heldout_labels)
    )
    fh = feats(data.heldout)
    pick = np.random.default_rng([args.seed, 2]).choice(data.train.shape[0], args.n, replace=False)
    floor = frechet_distance(feats(data.train[pick]), fh)

    cfg = TrainConfig(steps=10**9, batch_size=64, base_channels=16, seed=args.seed)
    ours = train(data.train, config=cfg, max_seconds=args.budget)
    ref = train_diffusers(data.train, budget=args.budget, seed=args.seed)
    rows = {
        "driftscale": {
            "denoiser": ours.denoiser(clip=1.0),
            "steps": ours.step,
            "seconds": ours.seconds,
            "images_per_second": ours.images_per_second,
            "num_parameters": ours.model.num_parameters,
            "final_loss": float(ours.losses[-100:].mean()),
        },
        "diffusers": ref,
    }
    for row in rows.values():
        res = sample(row["denoiser"], num_samples=args.n, sampler="ddim", num_steps=100, rng=1)
        row["frechet_vs_heldout"] = frechet_distance(feats(res.samples), fh)
        del row["denoiser"]
    ours_r, ref_r = rows["driftscale"], rows["diffusers"]
    result = {
        "benchmark": "learned_vs_diffusers",
        "budget_seconds": args.budget,
        "threads": args.threads,
        "num_samples": args.n,
        "floor_train_vs_heldout": floor,
        "classifier_heldout_accuracy": feats.accuracy,
        **rows,
        "throughput_ratio": ours_r["images_per_second"] / ref_r["images_per_second"],
        "frechet_ratio": ours_r["frechet_vs_heldout"] / ref_r["frechet_vs_heldout"],
        "parameter_ratio": ours_r["num_parameters"] / ref_r["num_parameters"],
    }
    print(f"digits {data.train.shape}, budget {args.budget:.0f} s each, {args.threads} thread(s)")
    print(f"{'':12s}{'params':>9s}{'steps':>8s}{'images/s':>10s}{'loss':>8s}{'Frechet':>9s}")
    for name, row in rows.items():
        print(
            f"{name:12s}{row['num_parameters']:9d}{row['steps']:8d}"
            f"{row['images_per_second']:10.0f}{row['final_loss']:8.4f}"
            f"{row['frechet_vs_heldout']:9.3f}"
        )
    print(f"floor (train vs held-out digits) Frechet {floor:.3f}")
    print(
        f"ratios driftscale/diffusers: throughput {result['throughput_ratio']:.2f}x, "
        f"Frechet {result['frechet_ratio']:.2f} (< 1 is better), params "
        f"{result['parameter_ratio']:.2f}"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
