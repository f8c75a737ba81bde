"""`driftscale demo`: the main job on the embedded data, written to one output folder.

Parses the options, runs :func:`driftscale.experiments.demo.run_demo` and writes each part's
figures as soon as the part is done (through the ``demo_files`` writer of the command that owns
it), then ``summary.json`` with every number the figures show.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    ForceOption,
    SeedOption,
    check_output_folder,
    error,
    save_text,
    to_jsonable,
    user_errors,
)

# part -> (command module with its ``demo_files`` writer, extra keyword arguments of the writer)
WRITERS: dict[str, str] = {
    "forward": "driftscale.cli.forward",
    "compare": "driftscale.cli.compare",
    "properties": "driftscale.cli.properties",
    "fokker-planck": "driftscale.cli.fokker_planck",
    "reverse": "driftscale.cli.sample",
}


def _check_out(out: Path, *, force: bool) -> None:
    check_output_folder(out, force=force)
    if out.exists() and any(out.iterdir()) and not force:
        raise error(f"`--out` folder {str(out)!r} is not empty; pass --force to overwrite it")


def _writer(out: Path, seed: int, files: dict[str, list[str]]) -> Any:
    def write(part: Any) -> None:
        module = importlib.import_module(WRITERS[part.name])
        extra = {"seed": seed} if part.name == "properties" else {}
        files[part.name] = module.demo_files(out, part.result, **extra)
        typer.echo(f"[{part.name}] wrote {', '.join(files[part.name])} ({part.seconds:.2f} s)")

    return write


def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("driftscale-out"),
    seed: SeedOption = 0,
    force: ForceOption = False,
) -> None:
    """Run the main job on the embedded data and write every figure to one folder.

    Writes the forward film strip of the cat with the paper's beta = 0.02; the paper's Fig. 1
    (probabilistic diffusion above osmosis); the property report (Properties 1-5, measured);
    the Fokker-Planck solution against the closed form and Monte Carlo; the exact reverse
    process on the digits with its memorisation report; and summary.json with every number
    the figures show.

    Example: driftscale demo --out driftscale-out --force
    """
    from driftscale.experiments.demo import run_demo

    _check_out(out, force=force)
    with user_errors():
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, list[str]] = {}
        result = run_demo(seed=seed, on_part=_writer(out, seed, files))
    summary = result.to_dict()
    for name, part in summary["parts"].items():
        summary["parts"][name] = {"files": files[name], **part}
    save_text(out / "summary.json", json.dumps(to_jsonable(summary), indent=2))
    typer.echo(f"done: {out}/ (numbers in {out}/summary.json)")
