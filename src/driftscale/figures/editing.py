"""Before/after figures of osmosis image editing (shadow removal, cloning, inpainting).

:func:`before_after` draws a row of :class:`Panel` s (an image, a label, optionally a mask drawn
as an outline or as the shown image). The experiments' results build their panels
(``result.panels()`` in :mod:`driftscale.experiments.editing_run`); this module only draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale.typing import FloatArray

__all__ = ["Panel", "before_after"]


@dataclass(frozen=True)
class Panel:
    """One image of a before/after row.

    ``image`` is on ``[0, 255]`` (clipped for display only); ``outline`` is a boolean mask whose
    boundary is drawn over it in ``colour``.
    """

    image: FloatArray
    label: str
    outline: np.ndarray | None = None
    colour: str = "yellow"


def _show(ax: Any, panel: Panel) -> None:
    img = np.clip(np.asarray(panel.image, dtype=np.float64), 0.0, 255.0) / 255.0
    if img.ndim == 2:
        ax.imshow(img, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(img, interpolation="nearest")
    if panel.outline is not None and panel.outline.any():
        ax.contour(panel.outline.astype(float), levels=[0.5], colors=panel.colour, linewidths=0.8)
    ax.set_title(panel.label, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


def before_after(
    panels: Sequence[Panel],
    *,
    title: str = "",
    caption: str = "",
    axes: Sequence[Any] | None = None,
) -> Any:
    """A row of images, e.g. input, mask, result and reference.

    Parameters
    ----------
    panels : sequence of Panel
        The images, left to right.
    title, caption : str
        Figure title and a caption under the row (e.g. the measured numbers).
    axes : sequence of matplotlib Axes, optional
        Draw into these (one per panel) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("`panels` must hold at least one Panel, got none")
    if axes is None:
        height = 3.0 * max(p.image.shape[0] / p.image.shape[1] for p in panels) + 0.9
        fig, ax_arr = plt.subplots(1, len(panels), figsize=(2.9 * len(panels), height))
        axes = list(np.atleast_1d(ax_arr))
    elif len(axes) != len(panels):
        raise ValueError(f"`axes` must hold one Axes per panel ({len(panels)}), got {len(axes)}")
    for ax, panel in zip(axes, panels, strict=True):
        _show(ax, panel)
    fig = axes[0].figure
    if title:
        fig.suptitle(title, fontsize=10)
    if caption:
        fig.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize=7, wrap=True)
    fig.tight_layout(rect=(0, 0.08 if caption else 0, 1, 0.95 if title else 1))
    return fig
