"""Figures of the PDE view (Eq. 24): Fokker-Planck density snapshots against the closed form
Eq. (5) and the chain's Monte-Carlo histogram, and the convergence plot of a refinement study."""

from __future__ import annotations

from typing import Any

from driftscale.pde.verification import FokkerPlanckComparison, RefinementStudy

__all__ = ["convergence_figure", "density_panel", "density_snapshots"]


def _check_comparison(comparison: Any) -> FokkerPlanckComparison:
    if not isinstance(comparison, FokkerPlanckComparison):
        raise TypeError(
            f"`comparison` must be a FokkerPlanckComparison, got {type(comparison).__name__}"
        )
    return comparison


def _default_xlim(c: FokkerPlanckComparison) -> tuple[float, float]:
    """Where the closed form holds mass (above 1e-4 of its peak), plus half a unit each side."""
    x = c.grid.centres
    mass = c.closed_form.max(axis=0) > 1e-4 * c.closed_form.max()
    return (float(x[mass].min()) - 0.5, float(x[mass].max()) + 0.5)


def density_panel(
    comparison: FokkerPlanckComparison,
    index: int,
    *,
    xlim: tuple[float, float] | None = None,
    ax: Any = None,
) -> Any:
    """One step of a comparison: PDE density (line), closed form (dashed), Monte-Carlo histogram
    (shaded), titled with the step, alpha_bar and both L1 errors.

    Parameters
    ----------
    comparison : FokkerPlanckComparison
        The densities (:func:`driftscale.pde.verification.compare_fokker_planck`).
    index : int
        Which of ``comparison.steps`` to draw.
    xlim : (float, float), optional
        Horizontal range; default where the closed form holds mass.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    c = _check_comparison(comparison)
    j = int(index)
    if not -c.steps.size <= j < c.steps.size:
        raise ValueError(f"`index` must be below the {c.steps.size} steps, got {index!r}")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(3.4, 2.6), layout="constrained")
    x, faces = c.grid.centres, c.grid.faces
    ax.stairs(c.monte_carlo[j], faces, fill=True, color="0.8", label="Monte Carlo (Eq. 4)")
    ax.plot(x, c.closed_form[j], "k--", lw=1.2, label="closed form (Eq. 5)")
    ax.plot(x, c.pde[j], color="C3", lw=1.0, label="Fokker-Planck (Eq. 24)")
    ax.set_xlim(*(_default_xlim(c) if xlim is None else xlim))
    ax.set_title(
        f"i = {int(c.steps[j])}, ᾱ = {c.alpha_bar[j]:.3g}\n"
        f"L1 PDE {c.l1_pde[j]:.1e}, MC {c.l1_monte_carlo[j]:.1e}",
        fontsize=8,
    )
    ax.tick_params(labelsize=7)
    return ax.figure


def density_snapshots(
    comparison: FokkerPlanckComparison,
    *,
    title: str | None = None,
    ncols: int | None = None,
    xlim: tuple[float, float] | None = None,
) -> Any:
    """One panel per step (:func:`density_panel`), a legend in the first; returns the
    matplotlib ``Figure`` (never written here)."""
    import matplotlib.pyplot as plt

    c = _check_comparison(comparison)
    k = c.steps.size
    ncols = min(k, 3) if ncols is None else max(1, int(ncols))
    nrows = -(-k // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.4 * ncols, 2.6 * nrows + 0.5), squeeze=False, layout="constrained"
    )
    xlim = _default_xlim(c) if xlim is None else xlim
    for j, ax in enumerate(axes.ravel()):
        if j >= k:
            ax.axis("off")
            continue
        density_panel(c, j, xlim=xlim, ax=ax)
    axes.ravel()[0].legend(fontsize=6, loc="upper left")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def convergence_figure(study: RefinementStudy, *, title: str | None = None) -> Any:
    """Log-log error curves of a refinement study in space (vs ``h``) and time (vs step), with
    the measured slopes in the legend. Returns the matplotlib ``Figure``."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    if not isinstance(study, RefinementStudy):
        raise TypeError(f"`study` must be a RefinementStudy, got {type(study).__name__}")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.0, 2.8), layout="constrained")
    a1.loglog(study.h, study.space_errors, "o-", label=f"slope {study.space_order:.2f}")
    ref = study.space_errors[-1] * (study.h / study.h[-1]) ** 2
    a1.loglog(study.h, ref, "k:", lw=0.8, label="h²")
    a1.set_xlabel("cell width h")
    a1.set_ylabel("L1 error vs closed form")
    a1.set_title(f"space ({study.flux}, exact in time)", fontsize=8)
    a1.legend(fontsize=7)
    for m, err, order in zip(study.time_methods, study.time_errors, study.time_orders, strict=True):
        a2.loglog(study.step_sizes, err, "o-", label=f"{m}: slope {order:.2f}")
    a2.set_xlabel("step in operational time B(t)")
    a2.set_ylabel("L1 error vs exact in time")
    a2.set_title(f"time ({study.time_num_cells} cells)", fontsize=8)
    a2.legend(fontsize=7)
    for ax in (a1, a2):
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels of log axes overlap
        ax.tick_params(labelsize=7)
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
