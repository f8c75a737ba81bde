"""Settings of the learned reverse process, free of torch: :class:`UNetConfig` (the network's
architecture), :class:`TrainConfig` (a training run's settings, stored in every checkpoint; both
round-trip through ``to_dict``/``from_dict``) and the data fingerprint that tells other data at
resume. ``import driftscale.learned.config`` loads no torch (tested), so settings can be built,
checked and stored without it."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from driftscale.learned.checkpoints import CheckpointError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "DTYPES",
    "PREDICTIONS",
    "NetworkShapeError",
    "TrainConfig",
    "UNetConfig",
    "data_fingerprint",
]

DTYPES = ("float32", "float64")
PREDICTIONS: tuple[str, ...] = ("epsilon", "u0")


class NetworkShapeError(ValueError):
    """An image size the U-Net cannot take (not divisible by its down-sampling factor)."""


@dataclass(frozen=True, kw_only=True)
class UNetConfig:
    """Architecture of a :class:`UNet`; :meth:`to_dict` / :meth:`from_dict` round-trip it.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` (grey) or ``(H, W, C)`` (colour), driftscale's layout.
    base_channels : int
        Channels at full resolution; level ``k`` has ``base_channels * channel_mults[k]``.
    channel_mults : tuple of int
        One entry per resolution; ``len - 1`` down-samplings by 2.
    num_res_blocks : int
        Residual blocks per resolution (down path; the up path has one more, as in DDPM).
    attention : bool
        Self-attention at the lowest resolution.
    groups : int
        Groups of the group norm (reduced to a divisor of each block's channels).
    prediction : {"epsilon", "u0"}
        What the network outputs.
    """

    image_shape: tuple[int, ...]
    base_channels: int = 16
    channel_mults: tuple[int, ...] = (1, 2)
    num_res_blocks: int = 1
    attention: bool = True
    groups: int = 8
    prediction: str = "epsilon"

    def __post_init__(self) -> None:
        # imported here, not at the top: `driftscale --help` (which shows these defaults) starts
        # without NumPy

        from driftscale._validation import check_choice, check_positive_int

        shape = tuple(int(s) for s in self.image_shape)
        if len(shape) not in (2, 3) or min(shape) <= 0:
            raise NetworkShapeError(
                f"`image_shape` must be (H, W) or (H, W, C) with positive sizes, got "
                f"{self.image_shape!r}"
            )
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "channel_mults", tuple(int(m) for m in self.channel_mults))
        check_positive_int(self.base_channels, name="base_channels")
        check_positive_int(self.num_res_blocks, name="num_res_blocks")
        check_positive_int(self.groups, name="groups")
        if not self.channel_mults or min(self.channel_mults) <= 0:
            raise ValueError(
                f"`channel_mults` must be positive integers, one per resolution, got "
                f"{self.channel_mults!r}"
            )
        check_choice(self.prediction, name="prediction", choices=PREDICTIONS)
        f = self.downsampling_factor
        H, W = shape[:2]
        if H % f or W % f:
            raise NetworkShapeError(
                f"`image_shape` {shape} must have H and W divisible by the U-Net's down-sampling "
                f"factor {f} (= 2 ** (len(channel_mults) - 1) with channel_mults="
                f"{self.channel_mults}); resize the images or use fewer levels"
            )

    @property
    def downsampling_factor(self) -> int:
        """``2 ** (len(channel_mults) - 1)``: H and W must be multiples of it."""
        return 2 ** (len(self.channel_mults) - 1)

    @property
    def channels(self) -> int:
        """Image channels (1 for grey images)."""
        return self.image_shape[2] if len(self.image_shape) == 3 else 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (lists for tuples)."""
        out = asdict(self)
        out["image_shape"] = list(self.image_shape)
        out["channel_mults"] = list(self.channel_mults)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UNetConfig:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["image_shape"] = tuple(data["image_shape"])
        data["channel_mults"] = tuple(data.get("channel_mults", (1, 2)))
        return cls(**data)


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
    base_channels: int = 16
    channel_mults: tuple[int, ...] = (1, 2)
    num_res_blocks: int = 1
    attention: bool = True
    prediction: str = "epsilon"
    checkpoint_every: int = 500
    dtype: str = "float32"

    def __post_init__(self) -> None:
        # imported here, not at the top: `driftscale --help` (which shows these defaults) starts
        # without NumPy
        import numpy as np

        from driftscale._validation import check_choice, check_positive_int
        from driftscale.schedules import Schedule

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


def data_fingerprint(images: np.ndarray) -> str:
    """SHA-256 of the float64 bytes of the training images (to tell other data at resume)."""
    import numpy as np

    arr = np.ascontiguousarray(images, dtype=np.float64)
    return hashlib.sha256(repr(arr.shape).encode() + arr.tobytes()).hexdigest()
