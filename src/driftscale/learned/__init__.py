"""The learned reverse process: a U-Net denoiser and its training (PyTorch only here).

- :mod:`~driftscale.learned.config` -- :class:`TrainConfig`, :class:`TrainResult` (no torch).
- :mod:`~driftscale.learned.unet` -- :class:`UNet`, :class:`UNetConfig`, :class:`NetworkDenoiser`.
- :mod:`~driftscale.learned.training` -- :func:`train` (DDPM loss, EMA, atomic checkpoints, DDP)
  and :func:`load_denoiser`.
- :mod:`~driftscale.learned.checkpoints` -- the checkpoint format.

Everything that needs torch is imported on first access, so ``import driftscale.learned`` is light.
"""

__all__ = [
    "NetworkDenoiser",
    "TrainConfig",
    "TrainResult",
    "UNet",
    "UNetConfig",
    "load_denoiser",
    "train",
]

_LAZY = {
    "NetworkDenoiser": "driftscale.learned.unet",
    "UNet": "driftscale.learned.unet",
    "UNetConfig": "driftscale.learned.unet",
    "TrainConfig": "driftscale.learned.config",
    "TrainResult": "driftscale.learned.config",
    "load_denoiser": "driftscale.learned.training",
    "train": "driftscale.learned.training",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'driftscale.learned' has no attribute {name!r}")
