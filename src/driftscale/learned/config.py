"""Settings and results of a training run: :class:`TrainConfig` (stored in every checkpoint,
round-trips through ``to_dict``/``from_dict``), :class:`TrainResult`, and the data fingerprint
that tells other data at resume. Used by :mod:`driftscale.learned.training`."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from driftscale._validation import check_choice, check_positive_int
from driftscale.learned.checkpoints import CheckpointError
from driftscale.learned.unet import PREDICTIONS, NetworkDenoiser, UNet, UNetConfig
from driftscale.schedules import Schedule

__all__ = ["DTYPES", "TrainConfig", "TrainResult", "data_fingerprint"]

DTYPES = ("float32", "float64")


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Settings of a training run (stored in its checkpoint; ``to_dict``/``from_dict`` round-trip).

    ``batch_size`` is per process (the global batch is ``world_size * batch_size``). ``dtype``
    ``"float64"`` is for verification (exact comparisons), ``"float32"`` for use.
    """

    steps: int = 2000
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    ema_decay: float = 0.999
    grad_clip: float | None = 1.0
    seed: int = 0
    schedule: str = "linear:1e-4,0.02"
    T: int = 1000
    base_channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2)
    num_res_blocks: int = 1
    attention: bool = True
    prediction: str = "epsilon"
    checkpoint_every: int = 500
    dtype: str = "float32"

    def __post_init__(self) -> None:
        check_positive_int(self.steps, name="steps")
        check_positive_int(self.batch_size, name="batch_size")
        check_positive_int(self.checkpoint_every, name="checkpoint_every")
        check_choice(self.prediction, name="prediction", choices=PREDICTIONS)
        check_choice(self.dtype, name="dtype", choices=DTYPES)
        object.__setattr__(self, "channel_mults", tuple(int(m) for m in self.channel_mults))
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"`learning_rate` must be positive, got {self.learning_rate!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"`ema_decay` must lie in [0, 1), got {self.ema_decay!r}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"`grad_clip` must be positive or None, got {self.grad_clip!r}")
        Schedule.from_string(self.schedule, T=self.T)  # raises ScheduleError on a bad spec

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        out = asdict(self)
        out["channel_mults"] = list(self.channel_mults)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are an error)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointError(f"training config has unknown keys {unknown}")
        return cls(**data)

    def network_config(self, image_shape: tuple[int, ...]) -> UNetConfig:
        """The :class:`UNetConfig` for images of ``image_shape``."""
        return UNetConfig(
            image_shape=image_shape,
            base_channels=self.base_channels,
            channel_mults=self.channel_mults,
            num_res_blocks=self.num_res_blocks,
            attention=self.attention,
            prediction=self.prediction,
        )


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


def data_fingerprint(images: np.ndarray) -> str:
    """SHA-256 of the float64 bytes of the training images (to tell other data at resume)."""
    arr = np.ascontiguousarray(images, dtype=np.float64)
    return hashlib.sha256(repr(arr.shape).encode() + arr.tobytes()).hexdigest()
