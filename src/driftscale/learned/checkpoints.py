"""Run folders and checkpoints of the learned reverse process: atomic writes, checked reads.

A run folder holds ``checkpoint.pt`` (model, EMA and optimizer states, the noise generator's
state, the step, the loss curve so far, and the configuration: image shape, channels, schedule,
data spec, seed) and ``config.json`` (the same configuration, human-readable). Both are written
to a temporary file in the folder and moved into place with :func:`os.replace`, so a crash never
leaves a half-written checkpoint. Reading checks what it can and raises a named error:

- :class:`RunNotFoundError` (a ``FileNotFoundError``): the folder or its checkpoint is missing;
- :class:`CheckpointError` (a ``ValueError``): unreadable, not a driftscale checkpoint, or
  incompatible with the data (another image size, other data);
- :class:`RunExistsError` (a ``FileExistsError``): a new run would overwrite an existing one.

Every check happens before anything is written.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from driftscale._io import atomic_path

__all__ = [
    "CHECKPOINT_NAME",
    "CONFIG_NAME",
    "CheckpointError",
    "RunExistsError",
    "RunNotFoundError",
    "check_new_run",
    "checkpoint_path",
    "load_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_NAME = "checkpoint.pt"
CONFIG_NAME = "config.json"
FORMAT = "driftscale-unet-checkpoint"
VERSION = 1
REQUIRED = ("format", "version", "step", "config", "network", "schedule", "data", "model", "ema")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the data it is used with."""


class RunExistsError(FileExistsError):
    """A new training run would overwrite an existing run folder."""


class RunNotFoundError(FileNotFoundError):
    """A run folder (or its checkpoint) that should exist does not."""


def checkpoint_path(path: str | os.PathLike[str]) -> Path:
    """The checkpoint file of a run folder (or the file itself); it must exist."""
    p = Path(path)
    if not p.exists():
        raise RunNotFoundError(
            f"`checkpoint` run folder {str(p)!r} does not exist; train one first with "
            f"`driftscale train --out {p}` (or check the path)"
        )
    if p.is_dir():
        p = p / CHECKPOINT_NAME
        if not p.is_file():
            raise RunNotFoundError(
                f"`checkpoint` run folder {str(p.parent)!r} holds no {CHECKPOINT_NAME}; it is not "
                "a driftscale run (or training stopped before its first checkpoint)"
            )
    return p


def check_new_run(run_dir: str | os.PathLike[str], *, force: bool) -> Path:
    """Refuse to start a new run in a folder that already holds one, unless ``force``."""
    p = Path(run_dir)
    if p.exists() and not p.is_dir():
        raise RunExistsError(f"`out` {str(p)!r} is a file; a run needs a folder")
    taken = [n for n in (CHECKPOINT_NAME, CONFIG_NAME) if (p / n).exists()]
    if taken and not force:
        raise RunExistsError(
            f"`out` run folder {str(p)!r} already holds a run ({', '.join(taken)}); pass "
            "resume=True (--resume) to continue it or force=True (--force) to start over"
        )
    return p


def _atomic_write(path: Path, write: Any) -> None:
    with atomic_path(path, suffix=".tmp") as tmp:
        write(str(tmp))


def save_checkpoint(state: dict[str, Any], run_dir: str | os.PathLike[str]) -> Path:
    """Write ``state`` to ``run_dir/checkpoint.pt`` and its configuration to ``config.json``,
    each atomically (temporary file + :func:`os.replace`). Returns the checkpoint path."""
    import torch

    p = Path(run_dir)
    p.mkdir(parents=True, exist_ok=True)
    full = {"format": FORMAT, "version": VERSION, **state}
    buffer = io.BytesIO()  # torch.save names the archive after a file; a buffer's is fixed,
    torch.save(full, buffer)  # so the same state gives the same bytes (comparable by hash)
    data = buffer.getvalue()
    _atomic_write(p / CHECKPOINT_NAME, lambda tmp: Path(tmp).write_bytes(data))
    meta = {k: full[k] for k in ("format", "version", "step", "config", "network", "schedule")}
    meta["data"] = full["data"]
    text = json.dumps(meta, indent=2)
    _atomic_write(p / CONFIG_NAME, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return p / CHECKPOINT_NAME


def load_checkpoint(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint (a run folder or the file) with ``torch.load(weights_only=True)``.

    Raises
    ------
    RunNotFoundError
        The folder or file is missing.
    CheckpointError
        The file is unreadable (truncated, corrupt) or not a driftscale checkpoint.
    """
    import torch

    p = checkpoint_path(path)
    try:
        state = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged file
        raise CheckpointError(
            f"`checkpoint` {str(p)!r} is not a readable checkpoint ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:120] if str(exc) else 'no detail'}); it may be "
            "truncated or corrupt: retrain, or resume from a good copy"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"`checkpoint` {str(p)!r} is not a driftscale U-Net checkpoint (format "
            f"{state.get('format') if isinstance(state, dict) else type(state).__name__!r}, "
            f"expected {FORMAT!r})"
        )
    missing = [k for k in REQUIRED if k not in state]
    if missing or state["version"] != VERSION:
        raise CheckpointError(
            f"`checkpoint` {str(p)!r} is incomplete or of another version (missing "
            f"{missing}, version {state.get('version')!r}, expected {VERSION})"
        )
    return state
