"""Figures of the likelihood: per-image bits/dim of training and held-out images, one panel per
route (see :mod:`driftscale.evaluation.likelihood` for the numbers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["likelihood_histograms"]

_COLOURS = {"train": "tab:blue", "heldout": "tab:orange"}
_LABELS = {"train": "training images", "heldout": "held-out images"}


def _bins(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """40 bins, logarithmic when the values are positive and span more than a factor 20."""
    lo, hi = float(values.min()), float(values.max())
    if lo > 0 and hi / lo > 20:
        return np.geomspace(lo, hi, 41), True
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, 41), False


def likelihood_histograms(
    bits_per_dim: Mapping[str, Mapping[str, Any]],
    *,
    references: Mapping[str, float] | None = None,
    axes: Sequence[Any] | None = None,
    title: str | None = None,
) -> Any:
    """Histograms of per-image bits/dim, training against held-out, one panel per route.

    Parameters
    ----------
    bits_per_dim : mapping
        ``bits_per_dim[route][split]``: per-image values, ``split`` in ``("train", "heldout")``.
    references : mapping of str to float, optional
        Labelled vertical lines (e.g. the bits/dim of a model uniform over the training images).
    axes : sequence of matplotlib Axes, optional
        One per route; default a new figure.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    routes = list(bits_per_dim)
    if not routes:
        raise ValueError("`bits_per_dim` must hold at least one route, got none")
    if axes is None:
        fig, grid = plt.subplots(
            1, len(routes), figsize=(4.4 * len(routes), 3.4), squeeze=False, layout="constrained"
        )
        axes = list(grid[0])
    elif len(axes) != len(routes):
        raise ValueError(f"`axes` must hold one Axes per route ({len(routes)}), got {len(axes)}")
    fig = axes[0].figure
    for ax, route in zip(axes, routes, strict=True):
        splits = {s: np.asarray(v, dtype=np.float64) for s, v in bits_per_dim[route].items()}
        edges, log = _bins(np.concatenate(list(splits.values())))
        for split, values in splits.items():
            se = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else np.nan
            ax.hist(
                values,
                bins=edges,
                alpha=0.6,
                color=_COLOURS.get(split),
                label=f"{_LABELS.get(split, split)} (n={values.size}): "
                f"{values.mean():.4g} ± {se:.3g}",
            )
        for k, (name, value) in enumerate((references or {}).items()):
            ax.axvline(value, color="0.3", ls=("--", ":", "-.")[k % 3], lw=1, label=name)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel("bits/dim")
        ax.set_ylabel("images")
        ax.set_title(route)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
