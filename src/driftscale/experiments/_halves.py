"""Plumbing of the disjoint-halves experiment: the data, the nested disjoint subsets, and trained
networks kept in a run folder and reused when the experiment is run again.

A network's folder ``run_dir/N{size}-{half}/`` holds the checkpoint of
:func:`driftscale.learned.train` and, once training has finished, ``done.json`` (written
atomically) with the settings and the data fingerprint it was trained with. A folder whose
``done.json`` matches the current settings is loaded instead of trained; anything else (no
``done.json``: an interrupted run; other settings or data) is trained afresh, overwriting it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from driftscale._io import atomic_write_text
from driftscale.data import Dataset, load_dataset, load_digits, load_faces
from driftscale.typing import FloatArray

__all__ = ["disjoint_subsets", "load_source", "trained_network"]

DONE_NAME = "done.json"


def load_source(source: str) -> Dataset:
    """``"digits"``, ``"faces"`` (scikit-image's 200 25x25 LFW subset), an image file or folder."""
    if source == "digits":
        return load_digits()
    if source == "faces":
        return load_faces()
    return load_dataset(source)


def disjoint_subsets(
    num_images: int, sizes: tuple[int, ...], seed: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """For each size ``N``: index sets ``A_N`` and ``B_N`` of ``N`` images each, disjoint, and
    nested (``A_N`` grows with ``N``), from one permutation seeded by ``[seed, 3]``.

    Examples
    --------
    >>> sub = disjoint_subsets(10, (2, 4), seed=0)
    >>> a, b = sub[4]
    >>> len(set(a) | set(b)), set(sub[2][0]) <= set(a)
    (8, True)
    """
    top = max(sizes)
    if 2 * top > num_images:
        raise ValueError(
            f"`sizes` up to {top} need 2 x {top} = {2 * top} images (two disjoint subsets), but "
            f"the data hold {num_images}; use sizes up to {num_images // 2}"
        )
    order = np.random.default_rng([seed, 3]).permutation(num_images)
    half_a, half_b = order[:top], order[top : 2 * top]
    return {n: (np.sort(half_a[:n]), np.sort(half_b[:n])) for n in sizes}


def trained_network(
    images: FloatArray,
    run_dir: Path,
    *,
    config: Any,
    max_seconds: float | None,
    data_spec: dict[str, Any],
    clip: float | None,
    progress: bool,
) -> tuple[Any, dict[str, Any]]:
    """The network trained on ``images`` in ``run_dir``: loaded when ``done.json`` there matches
    these settings and data, else trained (a fresh run) and marked done.

    Returns the ``NetworkDenoiser`` (EMA weights) and ``{"steps", "seconds", "reused"}``.
    """
    from driftscale.learned.config import data_fingerprint
    from driftscale.learned.denoiser import NetworkDenoiser, load_denoiser
    from driftscale.learned.training import train

    key = {
        "config": config.to_dict(),
        "max_seconds": max_seconds,
        "sha256": data_fingerprint(images),
    }
    marker = run_dir / DONE_NAME
    if marker.is_file() and (run_dir / "checkpoint.pt").is_file():
        done = json.loads(marker.read_text(encoding="utf-8"))
        if done.get("key") == key:
            info = {"steps": done["steps"], "seconds": done["seconds"], "reused": True}
            return load_denoiser(run_dir, clip=clip), info
    if marker.exists():
        marker.unlink()  # other settings: this folder is retrained from scratch
    res = train(
        images,
        config=config,
        run_dir=run_dir,
        force=True,
        data_spec=data_spec,
        max_seconds=max_seconds,
        progress=progress,
    )
    info = {"steps": int(res.step), "seconds": float(res.seconds), "reused": False}
    atomic_write_text(marker, json.dumps({"key": key, **info}, indent=2))
    return NetworkDenoiser(res.ema_model, res.schedule, clip=clip), info
