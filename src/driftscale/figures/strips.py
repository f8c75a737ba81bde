"""Film strips: a row of frames of a trajectory, each labelled underneath (the paper's Fig. 1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftscale.data import ValueScale
from driftscale.typing import FloatArray

__all__ = ["StripRow", "film_strip", "show_frame", "strip_grid"]


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


def _display(
    frame: FloatArray,
    value_scale: ValueScale | None,
    display_range: tuple[float, float] | None,
) -> tuple[FloatArray, float, float]:
    raw = value_scale.invert(frame) if value_scale is not None else np.asarray(frame)
    if display_range is not None:
        lo, hi = display_range
    elif value_scale is not None:
        lo, hi = value_scale.data_range
    else:
        lo, hi = float(np.min(raw)), float(np.max(raw))
    raw = np.clip(raw, lo, hi)
    if raw.ndim == 3:  # colour: imshow wants [0, 1]
        raw = (raw - lo) / (hi - lo if hi > lo else 1.0)
        return raw, 0.0, 1.0
    return raw, lo, hi


def show_frame(
    frame: FloatArray,
    *,
    value_scale: ValueScale | None = None,
    display_range: tuple[float, float] | None = None,
    label: str = "",
    ax: Any = None,
) -> Any:
    """Draw one frame as an image without ticks, its label underneath; returns the ``Figure``.

    Parameters
    ----------
    frame : ndarray of shape (H, W) or (H, W, C)
        Scaled values (e.g. ``[-1, 1]``).
    value_scale : ValueScale, optional
        Maps the frame back to raw values for display; display clips to its ``data_range``
        (the array itself is never clipped).
    display_range : (float, float), optional
        Raw range shown black to white, instead of ``value_scale.data_range`` (default: the
        frame's own range when there is no value scale).
    label : str
        Text under the frame.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    ax.set_xticks([])
    ax.set_yticks([])
    img, lo, hi = _display(frame, value_scale, display_range)
    ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_xlabel(label, fontsize=8)
    return ax.figure


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
            if c >= len(row.frames):
                ax.set_xticks([])
                ax.set_yticks([])
                ax.axis("off")
                continue
            show_frame(
                row.frames[c],
                value_scale=row.value_scale,
                display_range=row.display_range,
                label=row.labels[c],
                ax=ax,
            )
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
