"""`driftscale demo`: the main job on the embedded data, written to one output folder."""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    FORCE_HELP,
    SEED_HELP,
    error,
    save_figure,
    save_text,
    to_jsonable,
    user_errors,
)


def _forward_part(out: Path, seed: int) -> dict[str, Any]:
    from driftscale.cli.forward import forward_strip

    result = forward_strip(
        "cat",
        schedule="constant:0.02",
        T=1000,
        steps=[0, 10, 50, 100, 250, 500],
        seed=seed,
        grey=False,
        method="jump",
    )
    path = out / "forward-cat.png"
    save_figure(result["figure"], path)
    return {"files": [path.name], "summary": result["summary"]}


def _part_of(module: str) -> Any:
    """The ``demo_part(out, seed)`` of a command module, imported only when the part runs."""

    def part(out: Path, seed: int) -> dict[str, Any]:
        return importlib.import_module(module).demo_part(out, seed)

    return part


# Each part: (name, function(out_dir, seed) -> {"files": [...], "summary": {...}}).
DEMO_PARTS: list[tuple[str, Any]] = [
    ("forward", _forward_part),
    ("compare", _part_of("driftscale.cli.osmosis")),
    ("properties", _part_of("driftscale.cli.properties")),
    ("fokker-planck", _part_of("driftscale.cli.fokker_planck")),
    ("reverse", _part_of("driftscale.cli.sample")),
]


def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("driftscale-out"),
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
) -> None:
    """Run the main job on the embedded data and write every figure to one folder.

    Writes the forward film strip of the cat with the paper's beta = 0.02; the paper's Fig. 1
    (probabilistic diffusion above osmosis); the property report (Properties 1-5, measured);
    the Fokker-Planck solution against the closed form and Monte Carlo; the exact reverse
    process on the digits with its memorisation report; and summary.json with every number
    the figures show.

    Example: driftscale demo --out driftscale-out --force
    """
    if out.exists() and not out.is_dir():
        raise error(f"`--out` {str(out)!r} is a file; give a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise error(f"`--out` folder {str(out)!r} is not empty; pass --force to overwrite it")
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"seed": seed, "parts": {}}
    for name, part in DEMO_PARTS:
        start = time.perf_counter()
        typer.echo(f"[{name}] ...", err=True)
        with user_errors():
            result = part(out, seed)
        result["seconds"] = round(time.perf_counter() - start, 2)
        summary["parts"][name] = result
        typer.echo(f"[{name}] wrote {', '.join(result['files'])} ({result['seconds']} s)")
    save_text(out / "summary.json", json.dumps(to_jsonable(summary), indent=2))
    typer.echo(f"done: {out}/ (numbers in {out}/summary.json)")
