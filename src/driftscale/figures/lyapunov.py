"""Lyapunov curves of the property engine: entropies of Prop. 1-2, KL to N(0, I), Eq. (28).

One panel per kind of sequence, error bars of two standard errors, the paper's claimed direction
in each panel's title, and the limit (e.g. n/2 ln(2 pi e)) as a dashed line. Returns the
matplotlib ``Figure``; never writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftscale.properties.report import LyapunovSequence, PropertyReport

__all__ = ["lyapunov_figure", "lyapunov_panel"]

_PANELS = (
    ("entropy", ("differential_entropy", "conditional_entropy"), "entropy (nats)"),
    ("entropy_zoom", ("differential_entropy",), "H(U_i), zoom near n/2 ln(2πe) (nats)"),
    ("relative_entropy", ("relative_entropy",), "KL(p(u_i) || N(0, I)) (nats)"),
    ("osmosis", ("osmosis_relative_entropy",), "-L(t), Eq. (28) (nats)"),
)
_LABELS = {
    "differential_entropy": "H(U_i), Prop. 1",
    "conditional_entropy": "H(U_i | U_0), Prop. 2",
    "relative_entropy": "KL to N(0, I)",
    "osmosis_relative_entropy": "-L(t) = sum u ln(u/w)",
}


def _reports(reports: PropertyReport | Sequence[PropertyReport]) -> list[PropertyReport]:
    reps = [reports] if isinstance(reports, PropertyReport) else list(reports)
    if not reps or not all(isinstance(r, PropertyReport) for r in reps):
        raise TypeError("`reports` must be a PropertyReport or a non-empty list of them")
    return reps


def _items(reps: list[PropertyReport], ids: tuple[str, ...]) -> list[tuple[PropertyReport, Any]]:
    return [(r, s) for r in reps for s in r.lyapunov if s.id in ids]


def lyapunov_panel(
    reports: PropertyReport | Sequence[PropertyReport], panel: str = "entropy", *, ax: Any = None
) -> Any:
    """One panel of :func:`lyapunov_figure` on one axes; returns the ``Figure``.

    Parameters
    ----------
    reports : PropertyReport or sequence of PropertyReport
        The reports whose sequences are drawn (one curve per report and sequence).
    panel : {"entropy", "entropy_zoom", "relative_entropy", "osmosis"}
        The entropies of Prop. 1-2 (with ``n/2 ln(2 pi e)`` dashed), the same zoomed near that
        limit, the KL divergence to N(0, I), or :math:`-L(t)` of Eq. (28).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = {key: (ids, ylabel) for key, ids, ylabel in _PANELS}
    if panel not in panels:
        known = ", ".join(repr(k) for k in panels)
        raise ValueError(f"`panel` must be one of {known}, got {panel!r}")
    ids, ylabel = panels[panel]
    items = _items(_reports(reports), ids)
    if not items:
        raise ValueError(f"the reports hold no Lyapunov sequence of the panel {panel!r}")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.2, 3.8))
    limits = set()
    for rep, seq in items:
        _draw(ax, rep, seq, positive=not panel.startswith("entropy"))
        if panel.startswith("entropy") and seq.limit is not None:
            limits.add(round(seq.limit, 6))
    for lim in limits:
        ax.axhline(lim, color="0.4", ls="--", lw=1, label=f"n/2 ln(2πe) = {lim:.2f}")
    if panel == "entropy_zoom" and limits:
        # where the paper's Prop. 1 can fail: H above n/2 ln(2 pi e) and falling back to it
        top = max(max(s.values) for _, s in items)
        ax.set_ylim(min(limits) - 8.0, max(top, max(limits)) + 2.0)
    elif not panel.startswith("entropy"):
        ax.set_yscale("log")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(left=0.0)
    ax.set_xlabel("step i" if panel != "osmosis" else "time t")
    ax.set_ylabel(ylabel)
    claimed = {s.expected for _, s in items}
    ax.set_title(f"claimed {' / '.join(sorted(claimed))}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6)
    return ax.figure


def lyapunov_figure(
    reports: PropertyReport | Sequence[PropertyReport], *, title: str | None = None
) -> Any:
    """Draw every Lyapunov sequence of one or several reports; returns the ``Figure``.

    One :func:`lyapunov_panel` per kind of sequence the reports hold. Entropies are drawn on a
    linear axis with ``n/2 ln(2 pi e)`` dashed; the relative entropies (KL and :math:`-L(t)`,
    both non-negative, tending to 0) on a logarithmic axis. The step or time axis is
    symmetric-logarithmic so that step 0 / t = 0 stays visible.
    """
    import matplotlib.pyplot as plt

    reps = _reports(reports)
    panels = [key for key, ids, _ in _PANELS if _items(reps, ids)]
    if not panels:
        raise ValueError("the reports hold no Lyapunov sequences to draw")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, key in zip(axes[0], panels, strict=True):
        lyapunov_panel(reps, key, ax=ax)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _draw(ax: Any, rep: PropertyReport, seq: LyapunovSequence, *, positive: bool) -> None:
    steps = np.asarray(seq.steps, dtype=float)
    values = np.asarray(seq.values, dtype=float)
    err = 2.0 * np.asarray(seq.stderr, dtype=float)
    if seq.id == "osmosis_relative_entropy":
        values = -values  # -L(t) >= 0, decreasing to 0
    label = f"{_LABELS.get(seq.id, seq.id)} [{rep.process}, {rep.data}]"
    if positive:
        keep = values > 0  # a log axis cannot show exact zeros (the steady state itself)
        steps, values, err = steps[keep], values[keep], err[keep]
    ax.errorbar(steps, values, yerr=err, marker="o", ms=3, capsize=2, lw=1.2, label=label)
