"""Figures of the reverse process: sample grids, samples beside their nearest training images,
and histograms of the memorisation ratio d1/d2 (see :mod:`driftscale.evaluation.memorization`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftscale.data import ValueScale
from driftscale.evaluation.memorization import MemorizationReport
from driftscale.figures.strips import StripRow, strip_grid
from driftscale.typing import FloatArray

__all__ = [
    "denoiser_comparison_figure",
    "memorisation_rows",
    "nearest_neighbour_figure",
    "ratio_histogram",
    "sample_grid",
]


def _images(x: Any, name: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim not in (3, 4):
        raise ValueError(
            f"`{name}` must be a batch of images (N, H, W) or (N, H, W, C), got shape {arr.shape}"
        )
    return arr


def sample_grid(
    samples: Any,
    *,
    value_scale: ValueScale | None = None,
    ncols: int = 8,
    title: str | None = None,
    cell: float = 0.9,
) -> Any:
    """All ``samples`` in a grid of ``ncols`` columns; returns the matplotlib ``Figure``.

    ``value_scale`` maps values back to the raw range for display (display clips to it).
    """
    import matplotlib.pyplot as plt

    x = _images(samples, "samples")
    ncols = max(1, min(int(ncols), x.shape[0]))
    nrows = -(-x.shape[0] // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(cell * ncols, cell * nrows + (0.4 if title else 0.1)),
        squeeze=False,
        layout="constrained",
    )
    raw = value_scale.invert(x) if value_scale is not None else x
    lo, hi = value_scale.data_range if value_scale is not None else (raw.min(), raw.max())
    span = hi - lo if hi > lo else 1.0
    shown = (np.clip(raw, lo, hi) - lo) / span  # display only: the arrays are never clipped
    for k, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= x.shape[0]:
            ax.axis("off")
            continue
        ax.imshow(shown[k], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def memorisation_rows(
    samples: Any,
    train: Any,
    report: MemorizationReport,
    *,
    label: str,
    num: int = 8,
    value_scale: ValueScale | None = None,
) -> list[StripRow]:
    """Two film-strip rows: the first ``num`` samples labelled with ``d1/d2`` (row title
    ``label`` and the fraction of copies) above their nearest training images labelled with
    ``d1``; for stacking several samplers or denoisers in one :func:`strip_grid`.
    """
    x = _images(samples, "samples")[:num]
    t = _images(train, "train")
    return [
        StripRow(
            frames=x,
            labels=[f"d1/d2={r:.2f}" for r in report.ratio[: len(x)]],
            title=f"{label}\n{100 * report.fraction_memorised:.0f}% copies",
            value_scale=value_scale,
        ),
        StripRow(
            frames=t[report.nearest_index[: len(x)]],
            labels=[f"d1={d:.2f}" for d in report.d1[: len(x)]],
            title="nearest\ntraining",
            value_scale=value_scale,
        ),
    ]


def denoiser_comparison_figure(
    samples: Mapping[str, Any],
    reports: Mapping[str, MemorizationReport],
    train: Any,
    *,
    num: int = 8,
    value_scale: ValueScale | None = None,
    title: str | None = None,
) -> Any:
    """Several denoisers' samples, each above their nearest training images: two rows per
    label of ``samples`` (see :func:`memorisation_rows`). Returns the matplotlib ``Figure``.
    """
    if not samples:
        raise ValueError("`samples` must hold at least one label -> samples")
    missing = sorted(set(samples) - set(reports))
    if missing:
        raise ValueError(
            f"`reports` must have a report for every label of `samples`, not {missing}"
        )
    rows: list[StripRow] = []
    for label, x in samples.items():
        rows += memorisation_rows(
            x, train, reports[label], label=label, num=num, value_scale=value_scale
        )
    return strip_grid(rows, title=title, frame_width=1.0)


def nearest_neighbour_figure(
    samples: Any,
    train: Any,
    report: MemorizationReport,
    *,
    num: int = 8,
    value_scale: ValueScale | None = None,
    title: str | None = None,
    row_titles: Sequence[str] = ("sample", "nearest\ntraining"),
) -> Any:
    """The first ``num`` samples (top row) above their nearest training images (bottom row).

    Each sample is labelled with ``d1`` and ``d1/d2``, and "copy" where it is memorised
    (``d1/d2 < threshold``). Returns the matplotlib ``Figure``.
    """
    x = _images(samples, "samples")
    t = _images(train, "train")
    if report.d1.shape[0] != x.shape[0]:
        raise ValueError(
            f"`report` describes {report.d1.shape[0]} samples but `samples` holds {x.shape[0]}; "
            "pass the report computed for these samples"
        )
    num = max(1, min(int(num), x.shape[0]))
    idx = report.nearest_index[:num]
    labels = [
        f"d1={report.d1[k]:.2f}\nd1/d2={report.ratio[k]:.2f}"
        + ("\ncopy" if report.ratio[k] < report.threshold else "")
        for k in range(num)
    ]
    rows = [
        StripRow(frames=x[:num], labels=labels, title=row_titles[0], value_scale=value_scale),
        StripRow(
            frames=t[idx],
            labels=[f"train #{i}" for i in idx],
            title=row_titles[1],
            value_scale=value_scale,
        ),
    ]
    return strip_grid(rows, title=title, frame_width=1.25)


def ratio_histogram(
    reports: MemorizationReport | Mapping[str, MemorizationReport],
    *,
    bins: int = 40,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Histograms of ``d1/d2`` for one report or several (a mapping label -> report), with the
    memorisation threshold and each fraction memorised in the legend. Returns the ``Figure``."""
    import matplotlib.pyplot as plt

    if isinstance(reports, MemorizationReport):
        reports = {"samples": reports}
    if not reports:
        raise ValueError("`reports` must hold at least one MemorizationReport")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.2), layout="constrained")
    else:
        fig = ax.figure
    edges = np.linspace(0.0, 1.0, int(bins) + 1)
    for label, rep in reports.items():
        ax.hist(
            rep.ratio,
            bins=edges,
            histtype="step",
            linewidth=1.4,
            label=f"{label}: {100 * rep.fraction_memorised:.1f}% copies",
        )
    threshold = next(iter(reports.values())).threshold
    ax.axvline(threshold, color="k", linestyle="--", linewidth=1)
    ax.text(threshold, ax.get_ylim()[1] * 0.95, f" d1/d2 = {threshold:.2g}", fontsize=8, va="top")
    ax.set_xlabel("d1 / d2 (nearest / second-nearest training distance)")
    ax.set_ylabel("samples")
    ax.legend(fontsize=7, loc="upper center")
    if title:
        ax.set_title(title, fontsize=9)
    return fig
