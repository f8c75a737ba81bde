"""The learned reverse process: a U-Net denoiser and its training (PyTorch only here).

- :mod:`~driftscale.learned.config` -- :class:`UNetConfig`, :class:`TrainConfig` (no torch).
- :mod:`~driftscale.learned.unet` -- :class:`UNet`, the network.
- :mod:`~driftscale.learned.denoiser` -- :class:`NetworkDenoiser` (the network as a Denoiser)
  and :func:`load_denoiser`.
- :mod:`~driftscale.learned.training` -- :func:`train` (DDPM loss, EMA, atomic checkpoints, DDP)
  and :class:`TrainResult`.
- :mod:`~driftscale.learned.checkpoints` -- the checkpoint format.
- :mod:`~driftscale.learned.distributed` -- joining torchrun's process group.

The command is ``driftscale train`` (also ``python -m driftscale train`` and, for several
processes, ``torchrun --nproc_per_node=K -m driftscale train``). Everything that needs torch is
imported on first access, so ``import driftscale.learned`` is light.
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
    "NetworkDenoiser": "driftscale.learned.denoiser",
    "load_denoiser": "driftscale.learned.denoiser",
    "UNet": "driftscale.learned.unet",
    "UNetConfig": "driftscale.learned.config",
    "TrainConfig": "driftscale.learned.config",
    "TrainResult": "driftscale.learned.training",
    "train": "driftscale.learned.training",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'driftscale.learned' has no attribute {name!r}")
