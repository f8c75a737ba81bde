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
  gradient of that one process (tested in ``tests/learned/test_training.py``).

Several processes: ``torchrun --nproc_per_node=K -m driftscale train --data digits
--train-steps N --out run/`` (the one ``train`` command, see :mod:`driftscale.learned.distributed`):
gloo on CPU, nccl on GPU; ``--batch`` is per process.

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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
from driftscale.learned.config import TrainConfig, UNetConfig, data_fingerprint
from driftscale.learned.denoiser import NetworkDenoiser, load_denoiser
from driftscale.learned.distributed import default_device, dist_info, stop_all
from driftscale.learned.unet import UNet, to_channels_first
from driftscale.schedules import Schedule

# load_denoiser lives in learned.denoiser; it stays importable from here, its former home
__all__ = ["TrainResult", "TrainingInterrupted", "load_denoiser", "train"]


@dataclass(frozen=True)
class TrainResult:
    """A finished (or resumed and finished) training run.

    Attributes
    ----------
    model, ema_model : UNet
        Final weights and their exponential moving average (use the EMA for sampling).
    losses : ndarray of float64, shape (step,)
        The loss of every step since the start of the run (global-batch mean), resumed runs
        included.
    step : int
        Steps done in total.
    start_step : int
        Step the run started (or resumed) from in this call.
    seconds : float
        Wall-clock seconds of this call's training loop.
    images_per_second : float
        Training throughput of this call (global images per second).
    world_size : int
    device : str
    run_dir : str or None
    schedule : Schedule
    config : TrainConfig
    """

    model: UNet
    ema_model: UNet
    losses: np.ndarray
    step: int
    start_step: int
    seconds: float
    images_per_second: float
    world_size: int
    device: str
    run_dir: str | None
    schedule: Schedule
    config: TrainConfig
    data: dict[str, Any] = field(default_factory=dict)

    def denoiser(self, *, ema: bool = True, clip: float | None = None) -> NetworkDenoiser:
        """The trained network as a Denoiser (EMA weights by default)."""
        return NetworkDenoiser(self.ema_model if ema else self.model, self.schedule, clip=clip)

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers (no weights)."""
        tail = self.losses[-max(1, min(100, self.losses.size // 10)) :] if self.losses.size else []
        return {
            "step": self.step,
            "start_step": self.start_step,
            "seconds": self.seconds,
            "images_per_second": self.images_per_second,
            "world_size": self.world_size,
            "device": self.device,
            "run_dir": self.run_dir,
            "num_parameters": self.model.num_parameters,
            "first_loss": float(self.losses[0]) if self.losses.size else None,
            "final_loss_mean": float(np.mean(tail)) if len(tail) else None,
            "config": self.config.to_dict(),
            "schedule": self.schedule.to_dict(),
            "data": self.data,
        }


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


@dataclass
class _Run:
    """The state of one training run while it trains (weights, optimizer, noise, losses)."""

    config: TrainConfig
    net_config: UNetConfig
    schedule: Schedule
    model: UNet
    ema_model: UNet
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    rank: int
    world: int
    device: torch.device
    dtype: torch.dtype
    spec: dict[str, Any]
    run_dir: str | os.PathLike[str] | None
    losses: list[float] = field(default_factory=list)
    start: int = 0

    def checkpoint(self, step: int) -> None:
        """Write the run's checkpoint at ``step`` (process 0 only, when there is a run folder)."""
        if self.run_dir is None or self.rank != 0:
            return
        state = {
            "step": step,
            "world_size": self.world,
            "config": self.config.to_dict(),
            "network": self.net_config.to_dict(),
            "schedule": self.schedule.to_dict(),
            "data": self.spec,
            "model": self.model.state_dict(),
            "ema": self.ema_model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": {"noise": self.generator.get_state()},
            "losses": torch.tensor(self.losses, dtype=torch.float64),
        }
        save_checkpoint(state, self.run_dir)


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped training between two steps; the checkpoint holds ``step``."""

    def __init__(self, step: int, signum: int, checkpoint: str | None) -> None:
        super().__init__(f"interrupted by signal {signum} at step {step}")
        self.step, self.signum, self.checkpoint = step, signum, checkpoint


@contextlib.contextmanager
def _deferred_signals() -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM (in the main thread) instead of acting at once: the loop stops
    after the step in progress, so the checkpoint holds a consistent state."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, lambda signum, frame: received.append(signum))
    try:
        yield received
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _check_resume_settings(
    config: TrainConfig, stored: TrainConfig, state: dict[str, Any], compare: Sequence[str] | None
) -> None:
    """Refuse a resumed run whose settings differ from the stored ones, or which would end
    before the step already reached."""
    names = [f for f in config.to_dict() if f != "steps"] if compare is None else compare
    changed = [n for n in names if getattr(config, n) != getattr(stored, n)]
    if changed:
        pairs = ", ".join(f"{n} {getattr(stored, n)!r} -> {getattr(config, n)!r}" for n in changed)
        raise CheckpointError(
            f"`resume` continues the stored run with its settings, but these differ: {pairs}; "
            "drop them (only `steps` may change) or start a new run"
        )
    if config.steps < int(state["step"]):
        raise ValueError(
            f"`steps` must be at least the step already reached ({int(state['step'])}) to "
            f"resume, got {config.steps}; give the new total"
        )


def _resolve(
    images: np.ndarray,
    config: TrainConfig,
    digest: str,
    *,
    run_dir: Any,
    resume: bool,
    force: bool,
    max_seconds: float | None,
    compare: Sequence[str] | None = None,
) -> tuple[TrainConfig, dict[str, Any] | None]:
    """Check the options and the run folder; with ``resume`` the stored settings (new steps)."""
    if resume and run_dir is None:
        raise ValueError("`resume=True` needs `run_dir`, the folder of the run to continue")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"`max_seconds` must be positive or None, got {max_seconds!r}")
    if not resume:
        if run_dir is not None:
            check_new_run(run_dir, force=force)
        return config, None
    state = load_checkpoint(run_dir)  # RunNotFoundError / CheckpointError
    _check_resume(state, tuple(images.shape[1:]), digest, run_dir)
    stored = TrainConfig.from_dict(state["config"])
    _check_resume_settings(config, stored, state, compare)
    return TrainConfig.from_dict({**state["config"], "steps": config.steps}), state


def _start_run(
    config: TrainConfig,
    net_config: UNetConfig,
    state: dict[str, Any] | None,
    *,
    device: Any,
    spec: dict[str, Any],
    run_dir: Any,
) -> _Run:
    """Seeded initial weights, EMA copy, AdamW and the noise generator; restored on resume."""
    rank, world = dist_info()
    dev = torch.device(device) if device is not None else default_device(rank)
    dtype = torch.float64 if config.dtype == "float64" else torch.float32
    with torch.random.fork_rng(devices=[]):  # leave the caller's global torch RNG alone
        torch.manual_seed(config.seed)  # the same initial weights on every process
        model = UNet(net_config).to(dev, dtype)
    ema_model = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    gen = torch.Generator().manual_seed(config.seed)  # steps and noise, on CPU for any device
    schedule = Schedule.from_string(config.schedule, T=config.T)
    run = _Run(
        config,
        net_config,
        schedule,
        model,
        ema_model,
        opt,
        gen,
        rank,
        world,
        dev,
        dtype,
        spec,
        run_dir,
    )
    if state is not None:
        model.load_state_dict(state["model"])
        ema_model.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["rng"]["noise"])
        run.losses = [float(v) for v in state["losses"].tolist()]
        run.start = int(state["step"])
    return run


class _Step:
    """One optimiser step of the DDPM loss on this process's rows of the global batch."""

    def __init__(self, run: _Run, images: np.ndarray, plan: _BatchPlan) -> None:
        self.run, self.plan = run, plan
        self.net: torch.nn.Module = run.model
        if run.world > 1:
            dev = run.device
            self.net = torch.nn.parallel.DistributedDataParallel(
                run.model, device_ids=[dev.index] if dev.type == "cuda" else None
            )
        la = run.schedule.log_alpha_bar
        self.x_all = torch.as_tensor(images, dtype=run.dtype)
        self.sqrt_ab = torch.as_tensor(np.exp(0.5 * la), dtype=run.dtype)
        self.sqrt_1mab = torch.as_tensor(np.sqrt(-np.expm1(la)), dtype=run.dtype)
        self.image_shape = tuple(images.shape[1:])
        self.G = run.world * run.config.batch_size  # the global batch

    def __call__(self, step: int) -> float:
        """Train on step ``step``'s batch; returns the global-batch mean loss."""
        run, cfg, shape = self.run, self.run.config, (-1,) + (1,) * len(self.image_shape)
        idx = self.plan.indices(step)
        # global draws, this process's rows rank::K (see the module docstring)
        i_all = torch.randint(1, run.schedule.T + 1, (self.G,), generator=run.generator)
        eps_all = torch.randn((self.G, *self.image_shape), generator=run.generator, dtype=run.dtype)
        i, eps = i_all[run.rank :: run.world], eps_all[run.rank :: run.world]
        u0 = self.x_all[idx]
        # Eq. (5): u_i = sqrt(ab_i) u_0 + sqrt(1 - ab_i) eps
        u_i = self.sqrt_ab[i].reshape(shape) * u0 + self.sqrt_1mab[i].reshape(shape) * eps
        target = eps if cfg.prediction == "epsilon" else u0
        u_i, target, i_dev = u_i.to(run.device), target.to(run.device), i.to(run.device)
        pred = self.net(to_channels_first(u_i, self.image_shape), i_dev)
        loss = torch.mean((pred - to_channels_first(target, self.image_shape)) ** 2)  # Ho (14)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients over the processes
        if cfg.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(run.model.parameters(), cfg.grad_clip)
        run.optimizer.step()
        _ema_update(run.ema_model, run.model, cfg.ema_decay, step + 1)
        logged = loss.detach()
        if run.world > 1:
            dist.all_reduce(logged)  # the global-batch mean, as one process would log
            logged = logged / run.world
        return float(logged)


def _loop(
    run: _Run, one_step: _Step, *, max_seconds: float | None, progress: Any
) -> tuple[int, float]:
    """Steps from ``run.start`` to ``config.steps`` (or the time budget); (last step, seconds)."""
    cfg = run.config
    bar = progress_callback(
        progress if run.rank == 0 else None,
        cfg.steps,
        "train",
        initial=run.start,
        values=("loss",),
    )
    t0 = time.perf_counter()
    step = run.start
    run.model.train()
    try:
        with _deferred_signals() as received:
            while step < cfg.steps:
                run.losses.append(one_step(step))
                step += 1
                if bar is not None:
                    bar(step, run.losses[-1])
                if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                    run.checkpoint(step)
                if _should_stop(run, t0, max_seconds, received):
                    break
            if received:
                run.checkpoint(step)
                where = None if run.run_dir is None else str(run.run_dir)
                raise TrainingInterrupted(step, received[0], where)
    finally:
        if bar is not None and hasattr(bar, "close"):
            bar.close()
    return step, time.perf_counter() - t0


def _should_stop(run: _Run, t0: float, max_seconds: float | None, received: list[int]) -> bool:
    """Out of time or interrupted (on any process: all stop together)."""
    late = max_seconds is not None and time.perf_counter() - t0 > max_seconds
    if max_seconds is None and run.world == 1:
        return bool(received)
    return stop_all(late or bool(received), run.device)


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
    resume_check: Sequence[str] | None = None,
) -> TrainResult:
    r"""Train a U-Net denoiser on ``data`` with the DDPM loss (Ho et al. 2020, Eq. 14; Eq. 5).

    Parameters
    ----------
    data : ndarray of shape (N, H, W) or (N, H, W, C)
        Training images, already scaled (``[-1, 1]``, see :mod:`driftscale.data`). Not modified.
    config : TrainConfig, optional
        Settings; default ``TrainConfig()``. With ``resume`` the stored settings are used and
        only ``config.steps`` (the new total, at least the step reached) is taken from here;
        any other setting of ``config`` that differs from the stored one is refused.
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
    resume_check : sequence of str, optional
        With ``resume``: the settings of ``config`` compared with the stored ones (default:
        all but ``steps``; none when ``config`` is ``None``). The CLI passes the flags given.

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
        A corrupt checkpoint, or one of another image size or other data, or ``resume`` with
        changed settings.
    TrainingInterrupted
        SIGINT or SIGTERM arrived: the checkpoint at the step reached was written first.
    """
    if config is None and resume_check is None:
        resume_check = ()
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(config).__name__}")
    images = check_array(data, name="data", ndim=(3, 4))
    image_shape = tuple(int(s) for s in images.shape[1:])
    digest = data_fingerprint(images)
    config, state = _resolve(
        images, config, digest, run_dir=run_dir, resume=resume, force=force,
        max_seconds=max_seconds, compare=resume_check,
    )  # fmt: skip
    net_config = config.network_config(image_shape)  # NetworkShapeError before any write
    rank, world = dist_info()
    plan = _BatchPlan(images.shape[0], config.batch_size, config.seed, rank, world)
    if state is not None and int(state.get("world_size", world)) != world:
        raise CheckpointError(
            f"`checkpoint` was written by {state['world_size']} process(es), this run has {world}; "
            "resume with the same number of processes (the batch order depends on it)"
        )
    spec = {**(data_spec or {}), "sha256": digest}
    spec |= {"num_train": int(images.shape[0]), "image_shape": list(image_shape)}
    spec["channels"] = net_config.channels
    run = _start_run(config, net_config, state, device=device, spec=spec, run_dir=run_dir)
    step, seconds = _loop(run, _Step(run, images, plan), max_seconds=max_seconds, progress=progress)
    run.checkpoint(step)
    if world > 1:
        dist.barrier()
    return TrainResult(
        model=run.model,
        ema_model=run.ema_model,
        losses=np.asarray(run.losses, dtype=np.float64),
        step=step,
        start_step=run.start,
        seconds=seconds,
        images_per_second=(step - run.start) * world * config.batch_size / seconds
        if seconds > 0
        else float("nan"),
        world_size=world,
        device=str(run.device),
        run_dir=None if run_dir is None else str(run_dir),
        schedule=run.schedule,
        config=config,
        data=spec,
    )


@torch.no_grad()
def _ema_update(ema: UNet, model: UNet, decay: float, step: int) -> None:
    d = min(decay, (1.0 + step) / (10.0 + step))  # warm-up: early weights are averaged less
    for pe, p in zip(ema.parameters(), model.parameters(), strict=True):
        pe.mul_(d).add_(p.detach(), alpha=1.0 - d)  # ema <- d ema + (1 - d) theta
