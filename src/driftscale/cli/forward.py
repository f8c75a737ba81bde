"""`driftscale forward`: film strip of the forward probabilistic diffusion process (Eq. 4, 5)."""

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


def forward_strip(
    image: str,
    *,
    schedule: str,
    T: int | None,
    steps: list[int],
    seed: int,
    grey: bool,
    method: str,
    quiet: bool = True,
) -> dict[str, Any]:
    """Compute a forward trajectory of an image and its film strip (shared with `demo`)."""
    from driftscale._validation import check_steps
    from driftscale.data import ValueScale, load_image
    from driftscale.diffusion.forward import ProbabilisticDiffusion
    from driftscale.figures import film_strip
    from driftscale.schedules import Schedule

    sched = Schedule.from_string(schedule, T=T)
    check_steps(steps, T=sched.T, name="--steps")
    process = ProbabilisticDiffusion(sched)
    raw = load_image(image, grey=grey)
    value_scale = ValueScale.fit(raw, kind="unit")
    f = value_scale.apply(raw)
    with progress(max(steps), "forward (Eq. 4)", quiet=quiet or method == "jump") as bar:
        frames = process.trajectory(
            f, steps, rng=seed, method=method, callback=lambda i: bar.update(1)
        )
    alpha_bar = sched.alpha_bar[np.asarray(steps)]
    labels = [f"i = {s}\nᾱ = {a:.3g}" for s, a in zip(steps, alpha_bar, strict=True)]
    fig = film_strip(
        frames,
        labels,
        value_scale=value_scale,
        title=f"Probabilistic diffusion, {sched.to_string()} (T = {sched.T}), seed {seed}",
    )
    summary = {
        "command": "forward",
        "image": str(image),
        "shape": list(f.shape),
        "scale": value_scale.to_dict(),
        "schedule": sched.to_dict(),
        "method": method,
        "seed": seed,
        "steps": list(steps),
        "alpha_bar": alpha_bar.tolist(),
        "frames": [
            {
                "step": int(s),
                "alpha_bar": float(a),
                "mean": float(fr.mean()),
                "expected_mean": float(np.sqrt(a) * f.mean()),
                "std": float(fr.std()),
            }
            for s, a, fr in zip(steps, alpha_bar, frames, strict=True)
        ],
    }
    return {"figure": fig, "frames": frames, "f": f, "summary": summary}


def forward(
    image: Annotated[
        str, typer.Argument(help="Image file (PNG/JPEG/TIFF) or 'cat' for the embedded default.")
    ] = "cat",
    schedule: Annotated[
        str,
        typer.Option(
            help="Beta schedule: constant:BETA, linear:START,END, cosine[:S], sigmoid[:START,END], "
            "array:B1,B2,..."
        ),
    ] = "constant:0.02",
    T: Annotated[
        int | None,
        typer.Option("--T", "-T", help="Number of steps of the schedule (default 1000)."),
    ] = None,
    steps: Annotated[
        str, typer.Option(help="Sorted steps to show, comma separated (0 is the image).")
    ] = "0,10,50,100,250,500",
    method: Annotated[
        str,
        typer.Option(help="'jump': exact semigroup jumps (fast); 'step': Eq. (4) step by step."),
    ] = "jump",
    grey: Annotated[bool, typer.Option("--grey", help="Convert the image to grey.")] = False,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    out: Annotated[Path, typer.Option(help="Film strip PNG to write.")] = Path("forward.png"),
    npz: Annotated[
        Path | None, typer.Option(help="Also save the raw arrays (frames, steps, alpha_bar).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
    json_out: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Film strip of the forward process u_i = sqrt(1-beta_i) u_(i-1) + sqrt(beta_i) g (Eq. 4).

    Each frame is labelled with its step i and alpha_bar_i (Eq. 5); values are mapped from
    [-1, 1] back to [0, 255] for display.

    Example: driftscale forward --schedule linear:1e-4,0.02 --steps 0,100,300,1000 --out lin.png
    """
    step_list = parse_list(steps, option="--steps", kind=int)
    check_output(out, force=force)
    check_output(npz, force=force, option="--npz")
    with user_errors():
        result = forward_strip(
            image,
            schedule=schedule,
            T=T,
            steps=step_list,
            seed=seed,
            grey=grey,
            method=method,
            quiet=json_out,
        )
    save_figure(result["figure"], out)
    summary = result["summary"] | {"out": str(out)}
    if npz is not None:
        save_npz(
            npz,
            frames=result["frames"],
            steps=np.asarray(step_list),
            alpha_bar=np.asarray(summary["alpha_bar"]),
            f=result["f"],
        )
        summary["npz"] = str(npz)
    if json_out:
        print_json(summary)
        return
    typer.echo(f"wrote {out}" + (f" and {npz}" if npz else ""))
    for fr in summary["frames"]:
        typer.echo(
            f"  step {fr['step']:>5}  alpha_bar {fr['alpha_bar']:.4g}  mean {fr['mean']:+.4f} "
            f"(expected {fr['expected_mean']:+.4f})  std {fr['std']:.4f}"
        )
