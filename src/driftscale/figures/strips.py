"""Film strips: a row of frames of a trajectory, each labelled underneath (the paper's Fig. 1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftscale.data import ValueScale
from driftscale.typing import FloatArray

__all__ = ["StripRow", "film_strip", "strip_grid"]


@dataclass(frozen=True)
class StripRow:
    """One row of a film strip: frames ``(K, H, W[, C])``, a label per frame, a row title.

    ``value_scale`` maps the frames back to raw values for display; display clips to the raw
    ``data_range`` (the arrays themselves are never clipped).
    """

    frames: FloatArray
    labels: Sequence[str]
    title: str = ""
    value_scale: ValueScale | None = None
    display_range: tuple[float, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _display(frame: FloatArray, row: StripRow) -> tuple[FloatArray, float, float]:
    raw = row.value_scale.invert(frame) if row.value_scale is not None else np.asarray(frame)
    if row.display_range is not None:
        lo, hi = row.display_range
    elif row.value_scale is not None:
        lo, hi = row.value_scale.data_range
    else:
        lo, hi = float(np.min(raw)), float(np.max(raw))
    raw = np.clip(raw, lo, hi)
    if raw.ndim == 3:  # colour: imshow wants [0, 1]
        raw = (raw - lo) / (hi - lo if hi > lo else 1.0)
        return raw, 0.0, 1.0
    return raw, lo, hi


def strip_grid(
    rows: Sequence[StripRow], *, title: str | None = None, frame_width: float = 2.2
) -> Any:
    """Draw several film strips as one figure, a row each; returns the matplotlib ``Figure``."""
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("`rows` must hold at least one StripRow")
    ncols = max(len(r.frames) for r in rows)
    aspect = rows[0].frames.shape[1] / rows[0].frames.shape[2]
    fig, axes = plt.subplots(
        len(rows),
        ncols,
        figsize=(frame_width * ncols, (frame_width * aspect + 0.45) * len(rows) + 0.3),
        squeeze=False,
        layout="constrained",
    )
    for r, row in enumerate(rows):
        if len(row.labels) != len(row.frames):
            raise ValueError(f"row {r} has {len(row.frames)} frames but {len(row.labels)} labels")
        for c in range(ncols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(row.frames):
                ax.axis("off")
                continue
            img, lo, hi = _display(row.frames[c], row)
            ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_xlabel(row.labels[c], fontsize=8)
        if row.title:
            axes[r, 0].set_ylabel(row.title, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def film_strip(
    frames: FloatArray,
    labels: Sequence[str],
    *,
    value_scale: ValueScale | None = None,
    title: str | None = None,
    row_title: str = "",
) -> Any:
    """One film strip: the frames of a trajectory with a label under each; returns the Figure."""
    return strip_grid(
        [StripRow(frames=frames, labels=labels, title=row_title, value_scale=value_scale)],
        title=title,
    )
