"""`driftscale shadow | clone | inpaint`: osmosis for visual computing (Weickert et al. 2013).

Each command parses its options, checks the output paths, calls one experiment of
:mod:`driftscale.experiments.editing_run`, draws the before/after figure
(:func:`driftscale.figures.editing.before_after`) and writes it (``--out``), optionally the
edited image (``--save``, 8-bit PNG, clipped to [0, 255]) and the arrays (``--npz``). Without an
image the embedded example with ground truth is used. Nothing is random: ``--seed`` is accepted
for the CLI contract and recorded in ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from driftscale._io import atomic_path
from driftscale.cli._common import (
    FORCE_HELP,
    JSON_HELP,
    SEED_HELP,
    check_outputs,
    check_seed,
    error,
    parse_list,
    print_json,
    save_figure,
    save_npz,
    user_errors,
)

if TYPE_CHECKING:
    import numpy as np

MASK_HELP = "Mask image file: pixels brighter than 127 are masked (white on black)."
REFERENCE_HELP = "Reference image file (ground truth): adds PSNR numbers to the output."
OFFSET_VALUE_HELP = (
    "Added to the values [0, 255] before osmosis (positivity) and removed after; larger "
    "values weaken the drift in dark, noisy regions."
)
SOLVER_HELP = "Steady-state solver: 'direct' (sparse LU), 'amg' (pyamg multigrid) or 'auto'."
SHAPE_HELP = "H,W: resize the embedded example (quick runs); not for your own images."
SEED_EDIT_HELP = SEED_HELP + " (Nothing here is random; the seed is recorded in --json.)"

Out = Annotated[Path, typer.Option(help="Before/after figure (PNG) to write.")]
Save = Annotated[Path | None, typer.Option(help="Also write the edited image (8-bit PNG).")]
Npz = Annotated[Path | None, typer.Option(help="Also save the arrays (input, result, masks).")]
Force = Annotated[bool, typer.Option("--force", help=FORCE_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
Seed = Annotated[int, typer.Option(help=SEED_EDIT_HELP, callback=check_seed)]
Grey = Annotated[bool, typer.Option("--grey", help="Convert the images to grey.")]
Solver = Annotated[str, typer.Option(help=SOLVER_HELP)]
ValueOffset = Annotated[float, typer.Option(help=OFFSET_VALUE_HELP)]
Shape = Annotated[str | None, typer.Option(help=SHAPE_HELP)]
Reference = Annotated[Path | None, typer.Option(help=REFERENCE_HELP)]


def _check_outputs(out: Path, save: Path | None, npz: Path | None, force: bool) -> None:
    """Every output checked (format, folder, overwrite, no two on one path) before computing."""
    outputs = {"--out": (out, "figure"), "--save": (save, "image"), "--npz": (npz, "npz")}
    check_outputs(outputs, force=force)


def _shape(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    values = parse_list(text, option="--shape", kind=int)
    if len(values) != 2 or min(values) < 8:
        raise error(f"`--shape` must be H,W with both at least 8, got {text!r}")
    return values[0], values[1]


def _save_image(path: Path, image: np.ndarray) -> None:
    import numpy as np  # imported on first use: the CLI starts without NumPy
    from skimage import io

    pixels = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    with atomic_path(path) as tmp:
        io.imsave(tmp, pixels, check_contrast=False)


def _caption(info: dict[str, Any]) -> str:
    s = info["solver"]
    return (
        f"steady state by {s['method']} solve in {info['seconds']:.2f} s; relative residual "
        f"{s['residual']:.1e}, mass error "
        + ("n/a (Dirichlet)" if s["mass_error"] is None else f"{s['mass_error']:.1e}")
    )


def _finish(result: Any, title: str, summary: dict[str, Any], paths: dict[str, Any]) -> None:
    """Figure, files, then JSON or a human summary."""
    from driftscale.figures.editing import before_after

    caption = _caption(summary) + "".join(f"; {line}" for line in _quality_lines(summary))
    fig = before_after(result.panels(), title=title, caption=caption)
    save_figure(fig, paths["out"])
    summary["out"] = str(paths["out"])
    if paths["save"] is not None:
        _save_image(paths["save"], result.result)
        summary["save"] = str(paths["save"])
    if paths["npz"] is not None:
        save_npz(paths["npz"], **result.arrays())
        summary["npz"] = str(paths["npz"])
    if paths["json"]:
        print_json(summary)
        return
    written = [str(p) for k, p in paths.items() if k != "json" and p is not None]
    typer.echo(f"wrote {', '.join(written)}")
    typer.echo(f"  {_caption(summary)}")
    for line in _quality_lines(summary):
        typer.echo(f"  {line}")


def _quality_lines(summary: dict[str, Any]) -> list[str]:
    q = summary["quality"]
    if summary["task"] == "clone":
        lines = []
        for key in ("copy_paste", "osmosis"):
            m = q[key]
            text = f"{key}: seam jump {m['seam_jump']:.2f}, seam ratio {m['seam_ratio']:.2f}"
            if "psnr" in m:
                text += f", PSNR {m['psnr']:.2f} dB (region {m['psnr_region']:.2f} dB)"
            lines.append(text)
        return lines
    return [", ".join(f"{k} {v:.2f}" for k, v in q.items() if v is not None)] if q else []


def shadow_command(
    image: Annotated[
        Path | None, typer.Argument(help="Image with a shadow; default: the embedded example.")
    ] = None,
    mask: Annotated[
        Path | None, typer.Option(help=MASK_HELP + " The shadow boundary band.")
    ] = None,
    reference: Reference = None,
    value_offset: ValueOffset = 1.0,
    solver: Solver = "auto",
    grey: Grey = False,
    shape: Shape = None,
    seed: Seed = 0,
    out: Out = Path("shadow.png"),
    save: Save = None,
    npz: Npz = None,
    force: Force = False,
    json_out: Json = False,
) -> None:
    """Remove a shadow: osmosis with the image's own drift, set to zero on the boundary band.

    One linear solve gives the steady state (no time stepping). Without IMAGE: a known smooth
    shadow on scikit-image's Chelsea, with the ground truth for PSNR.

    Example: driftscale shadow photo.png --mask band.png --out shadow.png --save clean.png
    """
    _check_outputs(out, save, npz, force)
    size = _shape(shape)
    from driftscale.experiments.editing_run import run_shadow

    with user_errors():
        result = run_shadow(
            image, mask, reference=reference, value_offset=value_offset, solver=solver,
            grey=grey, shape=size, progress=not json_out,
        )  # fmt: skip
    summary = {"command": "shadow", "seed": seed, **result.to_dict()}
    paths = {"out": out, "save": save, "npz": npz, "json": json_out}
    _finish(result, "Shadow removal by osmosis (Weickert et al. 2013)", summary, paths)


def clone_command(
    source: Annotated[
        Path | None, typer.Argument(help="Source image; default: the embedded example.")
    ] = None,
    target: Annotated[Path | None, typer.Argument(help="Target image.")] = None,
    mask: Annotated[
        Path | None, typer.Option(help=MASK_HELP + " On the source: the pixels to clone.")
    ] = None,
    offset: Annotated[
        str | None,
        typer.Option(help="DY,DX: source pixel (y, x) lands on target pixel (y+DY, x+DX)."),
    ] = None,
    mode: Annotated[
        str,
        typer.Option(help="'global' (whole image, mass kept) or 'local' (target kept outside)."),
    ] = "global",
    reference: Reference = None,
    value_offset: ValueOffset = 1.0,
    solver: Solver = "auto",
    grey: Grey = False,
    shape: Shape = None,
    seed: Seed = 0,
    out: Out = Path("clone.png"),
    save: Save = None,
    npz: Npz = None,
    force: Force = False,
    json_out: Json = False,
) -> None:
    """Seamless cloning: the source's drift inside the pasted region, the target's outside.

    Prints the seam (mean jump across the region's boundary, and its ratio to the gradients
    nearby) for copy-paste and for osmosis. Without SOURCE and TARGET: a patch of Chelsea
    cloned into a brightness- and colour-shifted copy of itself (the ideal result is known).

    Example: driftscale clone face.png wall.png --mask face-mask.png --offset 40,60 --mode local
    """
    _check_outputs(out, save, npz, force)
    size = _shape(shape)
    pair = None
    if offset is not None:
        values = parse_list(offset, option="--offset", kind=int)
        if len(values) != 2:
            raise error(f"`--offset` must be DY,DX (two integers), got {offset!r}")
        pair = (values[0], values[1])
    from driftscale.experiments.editing_run import run_clone

    with user_errors():
        result = run_clone(
            source, target, mask, offset=pair, mode=mode, reference=reference,
            value_offset=value_offset, solver=solver, grey=grey, shape=size,
            progress=not json_out,
        )  # fmt: skip
    summary = {"command": "clone", "seed": seed, **result.to_dict()}
    paths = {"out": out, "save": save, "npz": npz, "json": json_out}
    _finish(result, f"Seamless cloning by osmosis ({mode})", summary, paths)


def inpaint_command(
    image: Annotated[
        Path | None, typer.Argument(help="Image to encode; default: the embedded photo.")
    ] = None,
    mask: Annotated[
        Path | None, typer.Option(help=MASK_HELP + " The pixels whose drift is kept.")
    ] = None,
    edges: Annotated[
        bool, typer.Option("--edges", help="Keep the drift on Canny edges (the default).")
    ] = False,
    sigma: Annotated[float, typer.Option(help="Canny smoothing scale (with --edges).")] = 1.0,
    dilate: Annotated[int, typer.Option(help="Dilations of the Canny edges (with --edges).")] = 1,
    reference: Reference = None,
    value_offset: ValueOffset = 1.0,
    solver: Solver = "auto",
    grey: Grey = False,
    shape: Shape = None,
    seed: Seed = 0,
    out: Out = Path("inpaint.png"),
    save: Save = None,
    npz: Npz = None,
    force: Force = False,
    json_out: Json = False,
) -> None:
    """Inpainting: rebuild an image from its drift on a sparse mask and its mean grey value.

    The compact representation of Weickert et al. (2013): the drift is kept on the pixels of
    --mask or on the Canny edges (--edges, default) and is zero elsewhere.

    Example: driftscale inpaint photo.png --edges --sigma 2 --out inpaint.png --json
    """
    if mask is not None and edges:
        raise error("give either `--mask` or `--edges`, not both")
    _check_outputs(out, save, npz, force)
    size = _shape(shape)
    from driftscale.experiments.editing_run import run_inpaint

    with user_errors():
        result = run_inpaint(
            image, mask, sigma=sigma, dilate=dilate, reference=reference,
            value_offset=value_offset, solver=solver, grey=grey, shape=size,
            progress=not json_out,
        )  # fmt: skip
    summary = {"command": "inpaint", "seed": seed, **result.to_dict()}
    paths = {"out": out, "save": save, "npz": npz, "json": json_out}
    _finish(result, "Inpainting from a sparse drift by osmosis", summary, paths)
