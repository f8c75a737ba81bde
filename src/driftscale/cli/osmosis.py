"""`driftscale osmosis` (osmosis film strip, Eq. 26) and `driftscale compare` (the paper's Fig. 1).

Osmosis works on the osmosis scaling ``ValueScale(kind="positive")`` ([0, 255] -> [1, 256]). The
default guidance is positive Gaussian noise ``v = offset + N(0, 1)``
(:func:`driftscale.osmosis.noise_guidance`); its offset is printed in the caption and ``--json``.
Seeds: ``--seed`` seeds one ``numpy.random.SeedSequence``; its first child draws the diffusion
noise, its second the guidance noise, so both rows of `compare` are reproducible.
"""

from __future__ import annotations

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
from driftscale.estimators.entropy import osmosis_relative_entropy

METHOD_HELP = (
    "'exact': exp(tA) f at every time without time stepping (Chebyshev / shift-and-invert "
    "Lanczos, tolerance 1e-10); 'implicit': implicit Euler + BiCGSTAB with step --tau "
    "(the paper's); 'explicit': explicit Euler (tau <= its stability bound)."
)
OFFSET_HELP = (
    "Noise guidance v = OFFSET + N(0, 1): the offset keeps v positive and sets the drift and "
    "the contrast of the steady state (about 1/OFFSET)."
)


def _seeds(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    diffusion_seq, guidance_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(diffusion_seq), np.random.default_rng(guidance_seq)


def osmosis_frames(
    image: str,
    *,
    guidance: str,
    offset: float,
    times: list[float],
    method: str,
    tau: float | None,
    seed: int,
    grey: bool,
    quiet: bool = True,
) -> dict[str, Any]:
    """Osmosis evolution of an image at ``times`` with its summary (shared by the commands)."""
    from driftscale.data import ValueScale, load_image
    from driftscale.osmosis import Osmosis, noise_guidance
    from driftscale.osmosis.evolution import _bands

    raw = load_image(image, grey=grey)
    value_scale = ValueScale.fit(raw, kind="positive")
    f = value_scale.apply(raw)
    if guidance == "noise":
        v = noise_guidance(f.shape, offset=offset, rng=_seeds(seed)[1])
        guidance_info: dict[str, Any] = {"kind": "noise", "offset": offset, "seed": seed}
    else:
        graw = load_image(guidance, grey=grey or f.ndim == 2)
        v = ValueScale.fit(graw, kind="positive").apply(graw)
        guidance_info = {"kind": "image", "path": guidance, "scale": "positive"}
    process = Osmosis(guidance=v)
    channels = 1 if f.ndim == 2 else f.shape[2]
    positive = [t for t in times if t > 0]
    step = tau if tau is not None else 1.0
    # exact: one Chebyshev group plus at most one Lanczos band per factor 100 of times
    units = 1 + len(_bands(np.unique(positive))) if method == "exact" and positive else 0
    if method != "exact" and positive:
        units = int(np.ceil(max(positive) / step)) if method == "implicit" else 0
    bar_total = units * channels
    with progress(bar_total, f"osmosis ({method})", quiet=quiet or bar_total == 0) as bar:
        frames = process.trajectory(
            f, times, method=method, tau=tau, callback=lambda k: bar.update(1)
        )
    w = process.steady_state(f)
    summary = {
        "image": str(image),
        "shape": list(f.shape),
        "scale": value_scale.to_dict(),
        "guidance": guidance_info,
        "method": method,
        "tau": tau,
        "exact_rtol": 1e-10 if method == "exact" else None,
        "seed": seed,
        "times": list(times),
        "mass": float(f.sum()),
        "frames": [
            {
                "time": float(t),
                "mean": float(u.mean()),
                "relative_mass_error": float(abs(u.sum() - f.sum()) / f.sum()),
                "min": float(u.min()),
                "max": float(u.max()),
                "relative_entropy_eq28": float(osmosis_relative_entropy(u, w)),
                "distance_to_steady_state": float(np.linalg.norm(u - w) / np.linalg.norm(w)),
            }
            for t, u in zip(times, frames, strict=True)
        ],
    }
    return {
        "frames": frames,
        "f": f,
        "v": v,
        "w": w,
        "value_scale": value_scale,
        "summary": summary,
    }


def _time_label(t: float) -> str:
    return f"t = {t:g}" if t < 1e4 or t != int(t) else f"t = {t:.0e}".replace("e+0", "e")


def _osmosis_caption(info: dict[str, Any]) -> str:
    g = info["guidance"]
    if g["kind"] == "noise":
        what = (
            f"canonical drift of Gaussian noise v = {g['offset']:g} + N(0, 1) (offset "
            f"{g['offset']:g}, seed {g['seed']})"
        )
    else:
        what = f"canonical drift of the guidance image {g['path']}"
    tau = "default" if info["tau"] is None else f"{info['tau']:g}"
    how = (
        "exact exp(tA) f, rtol 1e-10"
        if info["method"] == "exact"
        else f"{info['method']} Euler, tau = {tau}"
    )
    return f"osmosis (Eq. 26), {what}; {how}; values [1, 256] shown as [0, 255]"


def osmosis_command(
    image: Annotated[
        str, typer.Argument(help="Image file (PNG/JPEG/TIFF) or 'cat' for the embedded default.")
    ] = "cat",
    guidance: Annotated[
        str, typer.Option(help="'noise' (positive Gaussian noise) or a guidance image file.")
    ] = "noise",
    offset: Annotated[float, typer.Option(help=OFFSET_HELP)] = 6.0,
    times: Annotated[
        str, typer.Option(help="Sorted times t >= 0, comma separated (0 is the image).")
    ] = "0,10,100,1000,10000",
    method: Annotated[str, typer.Option(help=METHOD_HELP)] = "exact",
    tau: Annotated[
        float | None,
        typer.Option(help="Step of implicit (default 1) / explicit (default: its bound)."),
    ] = None,
    grey: Annotated[bool, typer.Option("--grey", help="Convert the image to grey.")] = False,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    out: Annotated[Path, typer.Option(help="Film strip PNG to write.")] = Path("osmosis.png"),
    npz: Annotated[
        Path | None, typer.Option(help="Also save the arrays (frames, times, f, guidance v).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Film strip of linear osmosis du/dt = Laplace u - div(d u) (Eq. 26), d = grad v / v.

    Prints per frame the mean (conserved), the minimum (positive), the relative entropy
    L(t) = -sum u ln(u/w) of Eq. (28) (increasing) and the distance to the steady state
    w = (mu_f / mu_v) v.

    Example: driftscale osmosis --grey --times 0,10,100,1000,100000 --out osmosis.png
    """
    time_list = parse_list(times, option="--times")
    check_output(out, force=force)
    check_output(npz, force=force, option="--npz")
    with user_errors():
        result = osmosis_frames(
            image,
            guidance=guidance,
            offset=offset,
            times=time_list,
            method=method,
            tau=tau,
            seed=seed,
            grey=grey,
            quiet=json_out,
        )
        from driftscale.figures import film_strip

        summary = {"command": "osmosis", **result["summary"]}
        fig = film_strip(
            result["frames"],
            [_time_label(t) for t in time_list],
            value_scale=result["value_scale"],
            title=_osmosis_caption(summary),
        )
    save_figure(fig, out)
    summary["out"] = str(out)
    if npz is not None:
        save_npz(
            npz, frames=result["frames"], times=np.asarray(time_list), f=result["f"], v=result["v"]
        )
        summary["npz"] = str(npz)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {npz}" if npz else ""))
    for fr in summary["frames"]:
        typer.echo(
            f"  t {fr['time']:>9g}  mean {fr['mean']:.10g}  min {fr['min']:8.4f}  "
            f"L(t) {fr['relative_entropy_eq28']:+.5g}  "
            f"|u-w|/|w| {fr['distance_to_steady_state']:.4f}"
        )


def compare_frames(
    image: str,
    *,
    steps: list[int],
    times: list[float],
    beta: float,
    offset: float,
    method: str,
    seed: int,
    grey: bool,
    quiet: bool = True,
) -> dict[str, Any]:
    """The paper's Fig. 1: a diffusion trajectory and an osmosis evolution of the same image."""
    from driftscale._validation import check_steps
    from driftscale.data import ValueScale, load_image
    from driftscale.diffusion.forward import ProbabilisticDiffusion
    from driftscale.figures.comparison import comparison_figure
    from driftscale.figures.strips import StripRow
    from driftscale.schedules import Schedule

    schedule = Schedule.constant(beta, T=max(1000, max(steps)))
    check_steps(steps, T=schedule.T, name="--steps")
    raw = load_image(image, grey=grey)
    unit = ValueScale.fit(raw, kind="unit")
    diffusion = ProbabilisticDiffusion(schedule).trajectory(
        unit.apply(raw), steps, rng=_seeds(seed)[0]
    )
    osm = osmosis_frames(
        image,
        guidance="noise",
        offset=offset,
        times=times,
        method=method,
        tau=None,
        seed=seed,
        grey=grey,
        quiet=quiet,
    )
    alpha_bar = schedule.alpha_bar[np.asarray(steps)]
    rows = [
        StripRow(diffusion, [f"i = {s}" for s in steps], "(a) probabilistic diffusion", unit),
        StripRow(osm["frames"], [_time_label(t) for t in times], "(b) osmosis", osm["value_scale"]),
    ]
    summary = {
        "command": "compare",
        "image": str(image),
        "seed": seed,
        "diffusion": {
            "schedule": schedule.to_dict(),
            "steps": list(steps),
            "alpha_bar": alpha_bar.tolist(),
            "frame_std": [float(x.std()) for x in diffusion],
        },
        "osmosis": osm["summary"],
    }
    caption = (
        f"(a) forward chain Eq. (4) with beta = {beta:g}, i = number of steps (exact jumps, "
        f"seed {seed}); (b) {_osmosis_caption(osm['summary'])}."
    )
    fig = comparison_figure(
        rows[0],
        rows[1],
        title="Probabilistic diffusion and osmosis (Peter 2023, Fig. 1)",
        caption=caption,
    )
    summary["caption"] = caption
    return {"figure": fig, "diffusion": diffusion, "osmosis": osm["frames"], "summary": summary}


def compare_command(
    image: Annotated[
        str, typer.Argument(help="Image file (PNG/JPEG/TIFF) or 'cat' for the embedded default.")
    ] = "cat",
    steps: Annotated[
        str, typer.Option(help="Diffusion steps i, comma separated (row a).")
    ] = "0,10,50,100,250,500",
    times: Annotated[
        str, typer.Option(help="Osmosis times t, comma separated (row b).")
    ] = "0,10,100,1000,10000,100000",
    beta: Annotated[
        float, typer.Option(help="Constant beta of the diffusion (paper: 0.02).")
    ] = 0.02,
    offset: Annotated[float, typer.Option(help=OFFSET_HELP)] = 6.0,
    method: Annotated[str, typer.Option(help=METHOD_HELP)] = "exact",
    grey: Annotated[bool, typer.Option("--grey", help="Convert the image to grey.")] = False,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    out: Annotated[Path, typer.Option(help="Figure PNG to write.")] = Path("compare.png"),
    npz: Annotated[
        Path | None, typer.Option(help="Also save the arrays (diffusion, osmosis frames).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """The paper's Fig. 1: probabilistic diffusion (beta = 0.02) above osmosis, same image.

    Row (a): the forward chain, Eq. (4). Row (b): osmosis, Eq. (26), with the canonical drift
    of positive Gaussian noise v = OFFSET + N(0, 1); the offset is in the caption and --json.

    Example: driftscale compare --offset 6 --seed 0 --out compare.png
    """
    step_list = parse_list(steps, option="--steps", kind=int)
    time_list = parse_list(times, option="--times")
    check_output(out, force=force)
    check_output(npz, force=force, option="--npz")
    with user_errors():
        result = compare_frames(
            image,
            steps=step_list,
            times=time_list,
            beta=beta,
            offset=offset,
            method=method,
            seed=seed,
            grey=grey,
            quiet=json_out,
        )
    save_figure(result["figure"], out)
    summary = result["summary"] | {"out": str(out)}
    if npz is not None:
        save_npz(
            npz,
            diffusion=result["diffusion"],
            osmosis=result["osmosis"],
            steps=np.asarray(step_list),
            times=np.asarray(time_list),
        )
        summary["npz"] = str(npz)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {npz}" if npz else ""))
    typer.echo(summary["caption"])


def demo_part(out: Path, seed: int) -> dict[str, Any]:
    """`driftscale demo`: the Fig. 1 comparison of the cat, written to ``out/compare-cat.png``."""
    result = compare_frames(
        "cat",
        steps=[0, 10, 50, 100, 250, 500],
        times=[0.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0],
        beta=0.02,
        offset=6.0,
        method="exact",
        seed=seed,
        grey=False,
    )
    path = out / "compare-cat.png"
    save_figure(result["figure"], path, dpi=100)
    return {"files": [path.name], "summary": result["summary"]}
