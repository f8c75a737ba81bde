"""`driftscale report DIR`: rebuild the HTML report of a `driftscale demo` folder from its results.

The page is rendered by :func:`driftscale.report.render_report` from the folder's files alone
(``summary.json``, ``results/``, the PNG figures): nothing is recomputed. This module also writes
the demo's frames of the scale slider (:func:`demo_files`, the writer of the ``"scales"`` part)
and the report at the end of ``driftscale demo`` (:func:`write_report`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscale._io import atomic_path
from driftscale.cli._common import ForceOption, check_output, error, flag_errors, save_text


def _save_png(path: Path, pixels: Any) -> None:
    """An 8-bit grey or RGB PNG of ``pixels`` (uint8), written atomically."""
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")


def demo_files(out: Path, result: Any) -> list[str]:
    """Write the demo's scale-slider frames (a :class:`~driftscale.experiments.scales.
    ScalesResult`): ``scales/diffusion-KK.png`` and ``scales/osmosis-KK.png``."""
    from driftscale.report import frame_file

    names = []
    for process, frames in zip(("diffusion", "osmosis"), result.display_frames(), strict=True):
        for k, pixels in enumerate(frames):
            name = frame_file(process, k)
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            _save_png(out / name, pixels)
            names.append(name)
    return names


def write_report(folder: Path, target: Path) -> str:
    """Render the report of ``folder`` into ``target`` (atomically); returns the line to print
    before the page's path: its size, the folder's size, the time it took."""
    from driftscale.report import load_results, render_report

    start = time.perf_counter()
    save_text(target, render_report(folder, location=target))
    seconds = time.perf_counter() - start
    page = target.stat().st_size
    rest = load_results(folder).total_bytes
    return (
        f"report: {page / 1e3:.0f} kB page + {rest / 1e6:.1f} MB of figures and results "
        f"({(page + rest) / 1e6:.1f} MB in all), rendered in {seconds:.2f} s; open it in a browser:"
    )


def report_command(
    folder: Annotated[Path, typer.Argument(help="Results folder written by `driftscale demo`.")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Page to write (default DIR/index.html); its links to the folder's files are "
            "relative to it."
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Rebuild the HTML report of a `driftscale demo` folder from its results, recomputing nothing.

    The page shows the scale slider (diffusion step i and osmosis time t on the same image),
    the property tables with their evidence, the Lyapunov and Fokker-Planck curves (hover for
    values), the reverse samples and the findings; it works offline. Prints the page's path last.

    Example: driftscale report driftscale-out --force
    """
    from driftscale.report import REPORT_NAME

    if not folder.is_dir():
        raise error(f"`DIR` must be the folder of a `driftscale demo` run, got {str(folder)!r}")
    target = folder / REPORT_NAME if out is None else out
    check_output(target, force=force, kind="html")
    with flag_errors({"folder": "DIR"}):
        line = write_report(folder, target)
    typer.echo(line)
    typer.echo(str(target))
