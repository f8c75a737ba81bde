"""`driftscale fokker-planck`: 1-D density of the chain by the Fokker-Planck equation (Eq. 24),
against the closed form (Eq. 5) and Monte Carlo of the chain (Eq. 4), with L1 errors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from driftscale.cli._common import (
    FORCE_HELP,
    JSON_HELP,
    SEED_HELP,
    check_output,
    parse_list,
    print_json,
    progress,
    save_figure,
    save_npz,
    user_errors,
)

DEFAULT_DATA = "mixture:-2,2;0.3"
DEFAULT_STEPS = "0,50,100,200,500,1000"


def load_data(spec: str) -> tuple[Any, str]:
    """``mixture:MEANS;STDS[;WEIGHTS]`` or ``image:cat`` / ``image:PATH`` (grey values rounded to
    8 bits, scaled to [-1, 1], one point mass per grey level) -> (Mixture1D, description)."""
    from driftscale.pde.grid import Mixture1D, parse_data_spec

    if isinstance(spec, str) and spec.startswith("image:"):
        from driftscale.data import ValueScale, load_image

        # grey values rounded to the 256 levels of an 8-bit image: at most 256 point masses, so
        # the closed form (a mixture with one component per level) stays cheap
        raw = np.round(load_image(spec[len("image:") :] or "cat", grey=True))
        values = ValueScale.fit(raw, kind="unit").apply(raw)
        return Mixture1D.from_values(values), f"grey values of {spec[6:] or 'cat'} in [-1, 1]"
    return parse_data_spec(spec), spec


def fokker_planck_run(
    data: str,
    *,
    schedule: str,
    T: int | None,
    steps: list[int],
    cells: int,
    half_width: float | None,
    method: str,
    flux: str,
    samples: int,
    seed: int,
    refine: bool,
    quiet: bool = True,
) -> dict[str, Any]:
    """Compute the comparison (and optionally the refinement study) and the figure(s)."""
    from driftscale._validation import check_steps
    from driftscale.figures.fokker_planck import convergence_figure, density_snapshots
    from driftscale.pde.grid import Grid1D
    from driftscale.pde.verification import (
        compare_fokker_planck,
        default_grid,
        refinement_study,
    )
    from driftscale.schedules import Schedule

    sched = Schedule.from_string(schedule, T=T)
    steps_arr = check_steps(steps, T=sched.T, name="--steps")
    mixture, described = load_data(data)
    base = default_grid(mixture, num_cells=cells)
    grid = base if half_width is None else Grid1D(-half_width, half_width, cells)
    start = time.perf_counter()
    with progress(1, "Fokker-Planck (Eq. 24)", quiet=quiet) as bar:
        comp = compare_fokker_planck(
            mixture,
            sched,
            steps_arr,
            grid=grid,
            method=method,
            flux=flux,
            num_samples=samples,
            rng=seed,
        )
        bar.update(1)
    seconds = time.perf_counter() - start
    fig = density_snapshots(
        comp,
        title=f"{described}, {sched.to_string()} (T = {sched.T}): Fokker-Planck vs closed form "
        f"vs {samples} chains (seed {seed})",
    )
    summary = {
        "command": "fokker-planck",
        "data": data,
        "schedule": sched.to_dict(),
        "seed": seed,
        "seconds": seconds,
        **comp.summary(),
    }
    out: dict[str, Any] = {"figure": fig, "comparison": comp, "summary": summary}
    if refine:
        study = refinement_study(mixture, sched, max(1, sched.T // 5), flux=flux)
        summary["refinement"] = study.summary()
        out["convergence_figure"] = convergence_figure(study)
    return out


def fokker_planck(
    data: Annotated[
        str,
        typer.Option(
            help="1-D data distribution: 'mixture:MEANS;STDS[;WEIGHTS]' (comma lists) or "
            "'image:cat' / 'image:PATH' (the image's grey values scaled to [-1, 1])."
        ),
    ] = DEFAULT_DATA,
    schedule: Annotated[
        str, typer.Option(help="Beta schedule: constant:BETA, linear:START,END, cosine, ...")
    ] = "linear:1e-4,0.02",
    T: Annotated[
        int | None,
        typer.Option("--T", "-T", help="Number of steps of the schedule (default 1000)."),
    ] = None,
    steps: Annotated[
        str,
        typer.Option(
            "--steps", "--times", help="Sorted steps i (SDE time t = i/T), comma separated."
        ),
    ] = DEFAULT_STEPS,
    cells: Annotated[int, typer.Option(help="Number of grid cells.")] = 400,
    half_width: Annotated[
        float | None,
        typer.Option(help="Domain [-L, L]; default max|mu| + 8 max(sigma, 1)."),
    ] = None,
    method: Annotated[
        str, typer.Option(help="Time integration: exact, implicit (backward Euler), tr-bdf2.")
    ] = "exact",
    flux: Annotated[
        str, typer.Option(help="Face flux: scharfetter-gummel, central or cell-average.")
    ] = "scharfetter-gummel",
    samples: Annotated[int, typer.Option(help="Monte-Carlo chains for the histograms.")] = 100_000,
    refine: Annotated[
        bool, typer.Option("--refine", help="Also measure the convergence orders (space, time).")
    ] = False,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    out: Annotated[Path, typer.Option(help="Density snapshots PNG to write.")] = Path("fp.png"),
    npz: Annotated[
        Path | None, typer.Option(help="Also save the densities (pde, closed_form, monte_carlo).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Fokker-Planck density of the forward chain (Eq. 24) vs closed form (Eq. 5) vs Monte Carlo.

    Solves d/dt p = -d/dx(m1 p) + 1/2 d2/dx2(m2 p) with the VP-SDE's moments m1 = -beta(t) x/2,
    m2 = beta(t) (Eq. 23) by a Scharfetter-Gummel finite-volume scheme (mass, positivity and the
    N(0, 1) steady state exact) and prints the L1 errors; with --refine also the convergence
    orders at step T/5, plotted beside --out as *-convergence.png.

    Example: driftscale fokker-planck --data "mixture:-2,2;0.3" --steps 0,100,300,1000 --out fp.png
    """
    step_list = parse_list(steps, option="--steps", kind=int)
    check_output(out, force=force)
    check_output(npz, force=force, option="--npz")
    conv_path = out.with_name(out.stem + "-convergence.png") if refine else None
    check_output(conv_path, force=force, option="--out (convergence figure)")
    with user_errors():
        from driftscale._validation import check_choice, check_positive_int
        from driftscale.pde.fokker_planck import METHODS
        from driftscale.pde.operator import FLUXES

        check_choice(method, name="--method", choices=METHODS)
        check_choice(flux, name="--flux", choices=FLUXES)
        check_positive_int(samples, name="--samples")
        result = fokker_planck_run(
            data,
            schedule=schedule,
            T=T,
            steps=step_list,
            cells=cells,
            half_width=half_width,
            method=method,
            flux=flux,
            samples=samples,
            seed=seed,
            refine=refine,
            quiet=json_out,
        )
    save_figure(result["figure"], out)
    summary = result["summary"] | {"out": str(out)}
    if conv_path is not None:
        save_figure(result["convergence_figure"], conv_path)
        summary["convergence_out"] = str(conv_path)
    if npz is not None:
        c = result["comparison"]
        save_npz(
            npz,
            x=c.grid.centres,
            steps=c.steps,
            pde=c.pde,
            closed_form=c.closed_form,
            monte_carlo=c.monte_carlo,
        )
        summary["npz"] = str(npz)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {conv_path}" if conv_path else ""))
    typer.echo(
        f"  grid [{summary['grid']['lower']:g}, {summary['grid']['upper']:g}] with "
        f"{summary['grid']['cells']} cells, method {method}, flux {flux}"
    )
    for i, a, e_pde, e_mc, noise, dm in zip(
        summary["steps"],
        summary["alpha_bar"],
        summary["l1_pde_vs_closed_form"],
        summary["l1_monte_carlo_vs_closed_form"],
        summary["expected_monte_carlo_noise"],
        summary["mass_minus_one"],
        strict=True,
    ):
        typer.echo(
            f"  step {i:>5}  alpha_bar {a:.4g}  L1(PDE, closed) {e_pde:.2e}  "
            f"L1(MC, closed) {e_mc:.2e} (noise ~{noise:.2e})  mass-1 {dm:+.1e}"
        )
    if "refinement" in summary:
        r = summary["refinement"]
        orders = ", ".join(
            f"{m} {r['time_refinement'][m]['order']:.2f}"
            for m in r["time_refinement"]
            if isinstance(r["time_refinement"][m], dict)
        )
        typer.echo(f"  measured order in space {r['space']['order']:.2f}; in time: {orders}")


def demo_part(out: Path, seed: int) -> dict[str, Any]:
    """The PDE view for `driftscale demo`: Fokker-Planck snapshots of a two-component mixture
    (PDE vs closed form vs 100k chains) and the convergence plot, with the L1 errors and orders."""
    res = fokker_planck_run(
        DEFAULT_DATA,
        schedule="linear:1e-4,0.02",
        T=1000,
        steps=[int(s) for s in DEFAULT_STEPS.split(",")],
        cells=400,
        half_width=None,
        method="exact",
        flux="scharfetter-gummel",
        samples=100_000,
        seed=seed,
        refine=True,
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = ["fokker-planck.png", "fokker-planck-convergence.png"]
    save_figure(res["figure"], out / names[0])
    save_figure(res["convergence_figure"], out / names[1])
    s = res["summary"]
    summary = {
        "steps": s["steps"],
        "l1_pde_vs_closed_form": s["l1_pde_vs_closed_form"],
        "l1_monte_carlo_vs_closed_form": s["l1_monte_carlo_vs_closed_form"],
        "expected_monte_carlo_noise": s["expected_monte_carlo_noise"],
        "max_abs_mass_error": float(np.max(np.abs(s["mass_minus_one"]))),
        "min_density": s["min_density"],
        "order_space": s["refinement"]["space"]["order"],
        "order_time_implicit": s["refinement"]["time_refinement"]["implicit"]["order"],
        "order_time_tr_bdf2": s["refinement"]["time_refinement"]["tr-bdf2"]["order"],
        "seconds": s["seconds"],
    }
    return {"files": names, "summary": summary}
