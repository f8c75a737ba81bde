r"""Training the learned reverse process: the DDPM loss, AdamW, EMA, checkpoints, resume and DDP.

The network :math:`\epsilon_\theta` of :mod:`driftscale.learned.unet` is trained on the
standard DDPM objective (Ho et al. 2020, Eq. (14) of [2]_): draw a training image :math:`u_0`,
a step :math:`i \sim U\{1..T\}` and noise :math:`\epsilon \sim \mathcal N(0, I)`, form the forward
marginal :math:`u_i = \sqrt{\bar\alpha_i}\,u_0 + \sqrt{1-\bar\alpha_i}\,\epsilon` (Eq. (5) of
Peter 2023 [1]_) and minimise :math:`|\epsilon - \epsilon_\theta(u_i, i)|^2` (or
:math:`|u_0 - \hat u_\theta(u_i, i)|^2` with ``prediction="u0"``).

Reproducibility is by construction, so that ``resume`` continues *exactly*:

- the order of the training images is DistributedSampler's: a permutation seeded by
  ``seed + epoch`` (so it needs no saved state), split over processes as ``perm[rank::K]``;
- steps and noise come from one torch generator seeded by ``seed``, drawn for the *global* batch
  (``K * batch_size`` images) on every process, each process taking its rows ``rank::K``; its
  state is in the checkpoint. Hence K processes with ``batch_size`` B see the very images, steps
  and noise of one process with ``batch_size`` K*B, and DDP's gradient average equals the
  gradient of that one process (tested in ``tests/diffusion/test_training.py``).

Several processes: ``torchrun --nproc_per_node=K -m driftscale.learned.training --data digits
--steps N --out run/`` (or ``torchrun ... $(which driftscale) train ...``): gloo on CPU, nccl on
GPU; ``--batch`` is per process.

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from driftscale._progress import progress_callback
from driftscale._validation import check_array
from driftscale.learned.checkpoints import (
    CheckpointError,
    check_new_run,
    load_checkpoint,
    save_checkpoint,
)
from driftscale.learned.config import DTYPES, TrainConfig, TrainResult, data_fingerprint
from driftscale.learned.distributed import TrainingData, load_training_data
from driftscale.learned.unet import NetworkDenoiser, UNet, UNetConfig
from driftscale.schedules import Schedule

__all__ = [
    "DTYPES",
    "TrainConfig",
    "TrainResult",
    "TrainingData",
    "data_fingerprint",
    "load_denoiser",
    "load_training_data",
    "train",
]


def _dist_info() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _default_device(rank: int) -> torch.device:
    if torch.cuda.is_available():
        return torch.device(
            "cuda", int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count()
        )
    return torch.device("cpu")


class _BatchPlan:
    """DistributedSampler's order (permutation seeded by seed + epoch), cut into batches."""

    def __init__(self, n: int, batch: int, seed: int, rank: int, world: int) -> None:
        from torch.utils.data.distributed import DistributedSampler

        self.sampler = DistributedSampler(
            range(n), num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=False
        )
        self.batch = batch
        self.per_epoch = len(self.sampler) // batch
        if self.per_epoch == 0:
            raise ValueError(
                f"`batch_size` {batch} per process exceeds the {len(self.sampler)} images each of "
                f"the {world} process(es) gets from {n} training images; use --batch "
                f"{max(1, len(self.sampler))} or less"
            )
        self._epoch, self._order = -1, None

    def indices(self, step: int) -> list[int]:
        epoch, j = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._epoch, self._order = epoch, list(iter(self.sampler))
        return self._order[j * self.batch : (j + 1) * self.batch]


def _check_resume(
    state: dict[str, Any], image_shape: tuple[int, ...], digest: str, path: Any
) -> None:
    stored = tuple(state["network"]["image_shape"])
    if stored != image_shape:
        raise CheckpointError(
            f"`checkpoint` {str(path)!r} was trained on images of shape {stored}, but the data "
            f"have shape {image_shape}; resume with the same data or start a new run (--out)"
        )
    if state["data"].get("sha256") != digest:
        raise CheckpointError(
            f"`checkpoint` {str(path)!r} was trained on other data (fingerprint "
            f"{str(state['data'].get('sha256'))[:12]}..., these data {digest[:12]}...); resume "
            "with the same data, split and seed, or start a new run"
        )


def train(
    data: Any,
    *,
    config: TrainConfig | None = None,
    run_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    force: bool = False,
    data_spec: dict[str, Any] | None = None,
    device: str | torch.device | None = None,
    max_seconds: float | None = None,
    progress: bool | Callable[[int, float], Any] = False,
) -> TrainResult:
    r"""Train a U-Net denoiser on ``data`` with the DDPM loss (Ho et al. 2020, Eq. 14; Eq. 5).

    Parameters
    ----------
    data : ndarray of shape (N, H, W) or (N, H, W, C)
        Training images, already scaled (``[-1, 1]``, see :mod:`driftscale.data`). Not modified.
    config : TrainConfig, optional
        Settings; default ``TrainConfig()``. With ``resume`` the stored settings are used and
        only ``config.steps`` (the new total) is taken from here.
    run_dir : path, optional
        Folder for ``checkpoint.pt`` and ``config.json`` (written atomically every
        ``checkpoint_every`` steps and at the end, by process 0). ``None``: nothing is written.
    resume : bool
        Continue the run in ``run_dir`` exactly where its checkpoint stopped.
    force : bool
        Start a new run in a ``run_dir`` that already holds one (overwriting it).
    data_spec : dict, optional
        How the data were made (source, split, seed...), stored in the checkpoint.
    device : str or torch.device, optional
        Default: CUDA when available (``LOCAL_RANK``'s GPU under torchrun), else CPU.
    max_seconds : float, optional
        Stop after this much wall-clock time (checked each step; all processes stop together).
    progress : bool or callable
        ``True``: a tqdm bar with the loss; a callable gets ``(step, loss)`` after each step.

    Returns
    -------
    TrainResult

    Raises
    ------
    RunExistsError
        ``run_dir`` holds a run and neither ``resume`` nor ``force`` is set.
    RunNotFoundError
        ``resume`` without a run (folder or checkpoint) in ``run_dir``.
    CheckpointError
        A corrupt checkpoint, or one of another image size or other data.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(config).__name__}")
    images = check_array(data, name="data", ndim=(3, 4))
    image_shape = tuple(int(s) for s in images.shape[1:])
    digest = data_fingerprint(images)
    if resume and run_dir is None:
        raise ValueError("`resume=True` needs `run_dir`, the folder of the run to continue")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"`max_seconds` must be positive or None, got {max_seconds!r}")
    state = None
    if resume:
        state = load_checkpoint(run_dir)  # RunNotFoundError / CheckpointError
        _check_resume(state, image_shape, digest, run_dir)
        config = TrainConfig.from_dict({**state["config"], "steps": config.steps})
    elif run_dir is not None:
        check_new_run(run_dir, force=force)
    net_config = config.network_config(image_shape)  # NetworkShapeError before any write
    schedule = Schedule.from_string(config.schedule, T=config.T)
    rank, world = _dist_info()
    plan = _BatchPlan(images.shape[0], config.batch_size, config.seed, rank, world)
    if state is not None and int(state.get("world_size", world)) != world:
        raise CheckpointError(
            f"`checkpoint` was written by {state['world_size']} process(es), this run has {world}; "
            "resume with the same number of processes (the batch order depends on it)"
        )
    dev = torch.device(device) if device is not None else _default_device(rank)
    dtype = torch.float64 if config.dtype == "float64" else torch.float32

    with torch.random.fork_rng(devices=[]):  # leave the caller's global torch RNG alone
        torch.manual_seed(config.seed)  # the same initial weights on every process
        model = UNet(net_config).to(dev, dtype)
    ema_model = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    gen = torch.Generator().manual_seed(config.seed)  # steps and noise, on CPU for any device
    losses: list[float] = []
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        ema_model.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["rng"]["noise"])
        losses = [float(v) for v in state["losses"].tolist()]
        start = int(state["step"])
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[dev.index] if dev.type == "cuda" else None
        )
    x_all = torch.as_tensor(images, dtype=dtype)
    sqrt_ab = torch.as_tensor(np.exp(0.5 * schedule.log_alpha_bar), dtype=dtype)
    sqrt_1mab = torch.as_tensor(np.sqrt(-np.expm1(schedule.log_alpha_bar)), dtype=dtype)
    spec = {**(data_spec or {}), "sha256": digest, "num_train": int(images.shape[0])}
    spec["image_shape"], spec["channels"] = list(image_shape), net_config.channels

    def checkpoint(step: int) -> None:
        if run_dir is None or rank != 0:
            return
        save_checkpoint(
            {
                "step": step,
                "world_size": world,
                "config": config.to_dict(),
                "network": net_config.to_dict(),
                "schedule": schedule.to_dict(),
                "data": spec,
                "model": model.state_dict(),
                "ema": ema_model.state_dict(),
                "optimizer": opt.state_dict(),
                "rng": {"noise": gen.get_state()},
                "losses": torch.tensor(losses, dtype=torch.float64),
            },
            run_dir,
        )

    bar = progress_callback(
        progress if rank == 0 else None, config.steps, "train", initial=start, values=("loss",)
    )
    G = world * config.batch_size  # the global batch
    shape = (-1,) + (1,) * len(image_shape)
    t0 = time.perf_counter()
    step = start
    model.train()
    try:
        while step < config.steps:
            idx = plan.indices(step)
            # global draws, this process's rows rank::K (see the module docstring)
            i_all = torch.randint(1, schedule.T + 1, (G,), generator=gen)
            eps_all = torch.randn((G, *image_shape), generator=gen, dtype=dtype)
            i, eps = i_all[rank::world], eps_all[rank::world]
            u0 = x_all[idx]
            # Eq. (5): u_i = sqrt(ab_i) u_0 + sqrt(1 - ab_i) eps
            u_i = sqrt_ab[i].reshape(shape) * u0 + sqrt_1mab[i].reshape(shape) * eps
            target = eps if config.prediction == "epsilon" else u0
            u_i, target, i_dev = u_i.to(dev), target.to(dev), i.to(dev)
            pred = net(_channels_first(u_i, image_shape), i_dev)
            loss = torch.mean((pred - _channels_first(target, image_shape)) ** 2)  # Ho Eq. (14)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # DDP averages the gradients over the processes
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            opt.step()
            step += 1
            _ema_update(ema_model, model, config.ema_decay, step)
            logged = loss.detach()
            if world > 1:
                dist.all_reduce(logged)  # the global-batch mean, as one process would log
                logged = logged / world
            losses.append(float(logged))
            if bar is not None:
                bar(step, losses[-1])
            if step % config.checkpoint_every == 0 and step < config.steps:
                checkpoint(step)
            if max_seconds is not None and _stop_all(time.perf_counter() - t0 > max_seconds, dev):
                break
    finally:
        if bar is not None and hasattr(bar, "close"):
            bar.close()
    seconds = time.perf_counter() - t0
    checkpoint(step)
    if world > 1:
        dist.barrier()
    done = step - start
    return TrainResult(
        model=model,
        ema_model=ema_model,
        losses=np.asarray(losses, dtype=np.float64),
        step=step,
        start_step=start,
        seconds=seconds,
        images_per_second=done * G / seconds if seconds > 0 else float("nan"),
        world_size=world,
        device=str(dev),
        run_dir=None if run_dir is None else str(run_dir),
        schedule=schedule,
        config=config,
        data=spec,
    )


def _channels_first(x: torch.Tensor, image_shape: tuple[int, ...]) -> torch.Tensor:
    return x[:, None] if len(image_shape) == 2 else x.permute(0, 3, 1, 2)


@torch.no_grad()
def _ema_update(ema: UNet, model: UNet, decay: float, step: int) -> None:
    d = min(decay, (1.0 + step) / (10.0 + step))  # warm-up: early weights are averaged less
    for pe, p in zip(ema.parameters(), model.parameters(), strict=True):
        pe.mul_(d).add_(p.detach(), alpha=1.0 - d)  # ema <- d ema + (1 - d) theta


def _stop_all(local: bool, dev: torch.device) -> bool:
    if not (dist.is_available() and dist.is_initialized()):
        return local
    flag = torch.tensor([1.0 if local else 0.0], device=dev)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)  # stop when any process is out of time
    return bool(flag.item() > 0)


def load_denoiser(
    path: str | os.PathLike[str],
    *,
    ema: bool = True,
    device: str | torch.device | None = None,
    clip: float | None = None,
) -> NetworkDenoiser:
    """A :class:`NetworkDenoiser` from a run folder or checkpoint file (EMA weights by default).

    Raises :class:`~driftscale.learned.checkpoints.RunNotFoundError` or
    :class:`~driftscale.learned.checkpoints.CheckpointError` (see :func:`load_checkpoint`).
    """
    state = load_checkpoint(path)
    try:
        net_config = UNetConfig.from_dict(state["network"])
        model = UNet(net_config)
        model.load_state_dict(state["ema" if ema else "model"])
        schedule = Schedule.from_dict(state["schedule"])
    except (KeyError, TypeError, RuntimeError, ValueError) as exc:
        raise CheckpointError(
            f"`checkpoint` {str(path)!r} does not hold a consistent U-Net ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160]})"
        ) from None
    dev = torch.device(device) if device is not None else _default_device(0)
    dtype = state["model"][next(iter(state["model"]))].dtype
    return NetworkDenoiser(model.to(dev, dtype), schedule, clip=clip)


if __name__ == "__main__":  # torchrun --nproc_per_node=K -m driftscale.learned.training ...
    from driftscale.learned.distributed import main

    raise SystemExit(main())
