"""`driftscale demo`: the main job on the embedded data, written to one output folder.

Parses the options, runs :func:`driftscale.experiments.demo.run_demo` and writes each part's
figures as soon as the part is done (through the ``demo_files`` writer of the command that owns
it) with its record ``results/<part>.json`` and arrays ``results/<part>.npz``; then
``results/run.json`` (seed, settings, versions, wall time), ``summary.json`` with every number
the figures show, and last the HTML report ``index.html`` (rendered from those files alone, as
``driftscale report`` does), whose path it prints as its last line.
"""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale.cli._common import (
    ForceOption,
    SeedOption,
    check_output_folder,
    error,
    save_npz,
    save_text,
    to_jsonable,
    user_errors,
    versions,
)

# part -> (command module with its ``demo_files`` writer, extra keyword arguments of the writer)
WRITERS: dict[str, str] = {
    "forward": "driftscale.cli.forward",
    "compare": "driftscale.cli.compare",
    "scales": "driftscale.cli.report",
    "properties": "driftscale.cli.properties",
    "fokker-planck": "driftscale.cli.fokker_planck",
    "reverse": "driftscale.cli.sample",
}


def _check_out(out: Path, *, force: bool) -> None:
    check_output_folder(out, force=force)
    if out.exists() and any(out.iterdir()) and not force:
        raise error(f"`--out` folder {str(out)!r} is not empty; pass --force to overwrite it")


def _write_record(out: Path, part: Any) -> list[str]:
    """``results/<part>.json`` (the result's numbers) and, if any, ``results/<part>.npz``."""
    from driftscale.report import record_file

    (out / record_file(part.name)).parent.mkdir(parents=True, exist_ok=True)
    save_text(out / record_file(part.name), json.dumps(to_jsonable(part.record()), indent=1))
    names = [record_file(part.name)]
    arrays = part.arrays()
    if arrays:
        save_npz(out / record_file(part.name, ".npz"), **arrays)
        names.append(record_file(part.name, ".npz"))
    return names


def _finish(out: Path, seed: int, result: Any, files: dict[str, list[str]], seconds: float) -> None:
    """``results/run.json``, ``summary.json``, then the report; prints the report's path last."""
    from driftscale.cli.report import write_report
    from driftscale.experiments.demo import demo_settings
    from driftscale.report import REPORT_NAME
    from driftscale.report.results import RUN_FILE

    run = {
        "command": f"driftscale demo --out {out} --seed {seed}",
        "seed": seed,
        "settings": demo_settings(),
        "versions": versions(),
        "seconds": round(seconds, 2),
    }
    save_text(out / RUN_FILE, json.dumps(to_jsonable(run), indent=1))
    summary = result.to_dict()
    for name, part in summary["parts"].items():
        summary["parts"][name] = {"files": files[name], **part}
    save_text(out / "summary.json", json.dumps(to_jsonable(summary), indent=2))
    typer.echo(f"done: {out}/ (numbers in {out}/summary.json, results in {out}/results/)")
    typer.echo(write_report(out, out / REPORT_NAME))
    typer.echo(str(out / REPORT_NAME))


def _writer(out: Path, seed: int, files: dict[str, list[str]]) -> Any:
    def write(part: Any) -> None:
        module = importlib.import_module(WRITERS[part.name])
        extra = {"seed": seed} if part.name == "properties" else {}
        files[part.name] = module.demo_files(out, part.result, **extra) + _write_record(out, part)
        names = files[part.name]
        shown = ", ".join(names if len(names) <= 6 else [*names[:2], f"... ({len(names)} files)"])
        typer.echo(f"[{part.name}] wrote {shown} ({part.seconds:.2f} s)")

    return write


def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("driftscale-out"),
    seed: SeedOption = 0,
    force: ForceOption = False,
) -> None:
    """Run the main job on the embedded data and write every figure to one folder.

    Writes the forward film strip of the cat with the paper's beta = 0.02; the paper's Fig. 1
    (probabilistic diffusion above osmosis) and the same at 40 log-spaced scales; the property
    report (Properties 1-5, measured); the Fokker-Planck solution against the closed form and
    Monte Carlo; the exact reverse process on the digits with its memorisation report;
    summary.json with every number the figures show, results/ with every result; and last
    index.html, the report of all of it (offline; rebuild it with `driftscale report`), whose
    path it prints as its last line.

    Example: driftscale demo --out driftscale-out --force
    """
    from driftscale.experiments.demo import run_demo

    _check_out(out, force=force)
    with user_errors():
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, list[str]] = {}
        start = time.perf_counter()
        result = run_demo(seed=seed, on_part=_writer(out, seed, files))
        _finish(out, seed, result, files, time.perf_counter() - start)
