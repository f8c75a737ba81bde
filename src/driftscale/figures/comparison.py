"""The paper's Fig. 1: a probabilistic diffusion trajectory above an osmosis evolution.

Peter 2023, Fig. 1: (a) the forward chain with beta = 0.02, labelled by the step i; (b) osmosis
with the canonical drift of a (positive) Gaussian noise image, labelled by the time t. Both rows
are drawn by :func:`driftscale.figures.strips.strip_grid`; a caption underneath says how each
row was made (schedule, noise offset, method, seed), so the figure documents itself.
"""

from __future__ import annotations

import textwrap
from typing import Any

from driftscale.figures.strips import StripRow, strip_grid

__all__ = ["comparison_figure"]


def comparison_figure(
    diffusion: StripRow,
    osmosis: StripRow,
    *,
    title: str | None = None,
    caption: str | None = None,
    frame_width: float = 2.0,
) -> Any:
    """Fig. 1 of Peter 2023: the diffusion strip above the osmosis strip, with a caption.

    Parameters
    ----------
    diffusion, osmosis : StripRow
        The two rows (frames, labels, row title and the value scale used for display).
    title : str, optional
        Figure title.
    caption : str, optional
        Text under the figure (wrapped), e.g. the schedule, the noise offset and the seed.
    frame_width : float
        Width of one frame in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(diffusion, StripRow) or not isinstance(osmosis, StripRow):
        raise TypeError(
            "`diffusion` and `osmosis` must be driftscale.figures.StripRow objects, got "
            f"{type(diffusion).__name__} and {type(osmosis).__name__}"
        )
    fig = strip_grid([diffusion, osmosis], title=title, frame_width=frame_width)
    if caption:
        ncols = max(len(diffusion.frames), len(osmosis.frames))
        width = max(60, int(ncols * frame_width * 14))  # ~14 characters per inch at 8 pt
        fig.get_layout_engine().set(h_pad=0.02, rect=(0.0, 0.06, 1.0, 0.94))
        fig.text(0.5, 0.005, textwrap.fill(caption, width), ha="center", va="bottom", fontsize=8)
    return fig
