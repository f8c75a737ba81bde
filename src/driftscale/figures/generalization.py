"""Figures of the generalisation experiments: one row of samples per denoiser from the same
noise, and the memorisation-to-generalisation transition of networks trained on disjoint halves
(see :mod:`driftscale.experiments.generalization_run`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from driftscale.figures.strips import StripRow, strip_grid

__all__ = ["generalization_figure", "halves_samples_figure", "transition_figure"]


def generalization_figure(result: Any, *, num: int = 8, title: str | None = None) -> Any:
    """One row per denoiser, the first ``num`` samples, each drawn from the same noise as the
    network's above it; labelled with the sample's :math:`r^2` to the network's sample and
    "copy" where it copies a training image. ``result`` is a ``GeneralizationResult``.
    Returns the matplotlib ``Figure``."""
    rows = []
    for run in result.runs:
        k = max(1, min(int(num), run.samples.shape[0]))
        rep = run.copies.report
        copy = rep.memorised[:k] if rep is not None else np.zeros(k, dtype=bool)
        if run.agreement is None:
            labels = ["copy" if c else "" for c in copy]
            head = f"{run.name}\n{100 * run.copies.fraction:.0f}% copies"
        else:
            r2 = run.agreement.r2[:k]
            labels = [f"r2={v:.2f}" + (" copy" if c else "") for v, c in zip(r2, copy, strict=True)]
            med = run.agreement.summary()["r2"]["median"]
            head = f"{run.name}\n{100 * run.copies.fraction:.0f}% copies\nmedian r2 {med:.2f}"
        rows.append(
            StripRow(
                frames=run.samples[:k], labels=labels, title=head, value_scale=result.value_scale
            )
        )
    s = result.settings
    default = (
        f"Same noise, {s['sampler']} {s['num_steps']} steps: closed-form denoisers vs the "
        f"network ({s['data']}, N = {s['num_train']})"
    )
    return strip_grid(rows, title=title or default, frame_width=1.1)


def transition_figure(result: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Against the training-set size ``N`` (log axis): the median similarity of the two
    networks' samples from the same noise, and each network's fraction of copies with its
    bootstrap interval. ``result`` is a ``DisjointHalvesResult``. Returns the ``Figure``."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.8), layout="constrained")
    else:
        fig = ax.figure
    sizes = np.array([p.size for p in result.pairs], dtype=float)
    cos = [p.agreement.summary()["cosine"]["median"] for p in result.pairs]
    r2 = [p.agreement.summary()["r2"]["median"] for p in result.pairs]
    ax.plot(sizes, cos, "o-", color="C0", label="cosine A vs B (centred), median")
    ax.plot(sizes, r2, "s--", color="C2", label="r$^2$ A vs B, median")
    for half, color, shift in (("a", "C3", 0.95), ("b", "C1", 1.05)):
        cf = [getattr(p, f"copies_{half}") for p in result.pairs]
        frac = np.array([c.fraction for c in cf])
        err = np.array([[c.fraction - c.low for c in cf], [c.high - c.fraction for c in cf]])
        ax.errorbar(
            sizes * shift, frac, yerr=err, fmt="^:", color=color, capsize=3,
            label=f"copies of network {half.upper()} (95% CI)",
        )  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("training images per network N")
    ax.set_ylabel("similarity / fraction")
    ax.set_ylim(min(-0.05, float(np.nanmin(r2)) - 0.05), 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(title or f"Memorisation to generalisation ({result.settings['data']})", fontsize=9)
    return fig


def halves_samples_figure(result: Any, *, num: int = 8, title: str | None = None) -> Any:
    """For each training-set size ``N``, the first ``num`` samples of network A above those of
    network B from the same noise, labelled with the pair's :math:`r^2` and "copy" where a
    sample copies its network's training images. ``result`` is a ``DisjointHalvesResult``."""
    rows = []
    for p in result.pairs:
        k = max(1, min(int(num), p.samples_a.shape[0]))
        for half in ("a", "b"):
            cf = getattr(p, f"copies_{half}")
            copy = cf.report.memorised[:k] if cf.report is not None else np.zeros(k, bool)
            if half == "a":
                labels = ["copy" if c else "" for c in copy]
            else:
                r2 = p.agreement.r2[:k]
                labels = [
                    f"r2={v:.2f}" + (" copy" if c else "") for v, c in zip(r2, copy, strict=True)
                ]
            rows.append(
                StripRow(
                    frames=getattr(p, f"samples_{half}")[:k],
                    labels=labels,
                    title=f"N={p.size} {half.upper()}\n{100 * cf.fraction:.0f}% copies",
                    value_scale=result.value_scale,
                )
            )
    default = f"Networks on disjoint subsets, same noise ({result.settings['data']})"
    return strip_grid(rows, title=title or default, frame_width=1.0)
