"""Shared plumbing of the CLI: path checks (no overwrite without --force), atomic writes, JSON,
progress bars, list parsing, and turning library errors into one-line messages."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import tempfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from driftscale._io import atomic_path, atomic_write_text, to_jsonable
from driftscale._progress import progress_bar

EXIT_USAGE = 2


def error(message: str) -> typer.Exit:
    """Print ``Error: message`` on stderr and return the exit to raise."""
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(EXIT_USAGE)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's validation errors into a one-line message and exit code 2."""
    try:
        yield
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as exc:
        raise error(str(exc)) from None


MAX_LIST_VALUE = 2**53  # larger integers would wrap around in int64 or lose digits in float64


def parse_list(text: str, *, option: str, kind: Callable[[str], Any] = float) -> list[Any]:
    """Parse ``"0,10,50"`` into finite numbers, naming the option when it fails."""
    noun = "integers" if kind is int else "numbers"
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise error(f"`{option}` must be {noun} separated by commas, got {text!r}") from None
    if not values:
        raise error(f"`{option}` must list at least one value, got {text!r}")
    for v in values:
        if not math.isfinite(v) or abs(v) > MAX_LIST_VALUE:
            raise error(f"`{option}` must be finite {noun} of magnitude at most 2**53, got {v!r}")
    return values


# Named limits of the size/work estimates (each message says which one and how to stay below it).
MAX_T = 100_000  # steps of a schedule
MAX_FRAMES = 40  # frames of a film strip / snapshots of one figure
MAX_TIME_STEPS = 1_000_000  # time steps of a stepping method
MAX_SAMPLES = 10_000  # samples drawn by the reverse process
MAX_CHAIN_WORK = 2e9  # Monte-Carlo chains x steps


def check_T(T: int | None, *, option: str = "--T") -> None:
    """``--T`` at most :data:`MAX_T` steps."""
    if T is not None:
        check_limit(T, option=option, limit=MAX_T, what="schedule steps", fix="use fewer steps")


def check_frames(values: list[Any], *, option: str) -> None:
    """At most :data:`MAX_FRAMES` frames in one figure."""
    check_limit(
        len(values), option=option, limit=MAX_FRAMES, what="frames",
        fix="list fewer values (the figure would be too wide to read)",
    )  # fmt: skip


def check_time_steps(times: list[float], *, method: str, tau: float | None) -> None:
    """Time steps of osmosis by a stepping method: at most :data:`MAX_TIME_STEPS`.

    ``implicit`` takes ``max(times) / tau`` steps (``tau`` 1 by default); ``explicit`` at least
    ``4 max(times)`` (its stable step is below 1/4 on the pixel grid); ``exact`` does not step.
    """
    if method not in ("implicit", "explicit") or (tau is not None and not tau > 0):
        return  # the experiment names a bad method or tau
    step = (1.0 if tau is None else tau) if method == "implicit" else min(tau or 0.25, 0.25)
    check_limit(
        max(times) / step, option="--times", limit=MAX_TIME_STEPS, what=f"{method} time steps",
        fix="use shorter times, a larger --tau (implicit), or --method exact (no time steps)",
    )  # fmt: skip


def check_clip(clip: float) -> None:
    """``--clip``: 0 (off) or a positive bound; a negative value is refused, not read as off."""
    if not clip >= 0:
        raise error(f"`--clip` must be 0 (off) or a positive bound, got {clip!r}")


def check_limit(value: float, *, option: str, limit: float, what: str, fix: str) -> None:
    """Refuse a run whose estimated size or work ``value`` exceeds ``limit``, before computing.

    The message names the option, the estimate, the limit and the fix.
    """
    if not value <= limit:
        raise error(
            f"`{option}` asks for {what} of {value:.3g}, above the limit of {limit:.3g}; {fix}"
        )


def check_seed(value: int) -> int:
    """Typer callback of ``--seed``: a non-negative integer (NumPy's seeds)."""
    if value is not None and value < 0:
        raise typer.BadParameter(f"must be a non-negative integer (0, 1, 2, ...), got {value}")
    return value


class PlainErrorGroup(TyperGroup):
    """The command group; errors of the option parser are printed as click does (one
    ``Error: ...`` line naming the option, exit code 2), not in a rich panel."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from typer.core import _main

        kwargs.setdefault("standalone_mode", True)
        names = ("args", "prog_name", "complete_var", "standalone_mode", "windows_expand_args")
        kwargs |= dict(zip(names, args, strict=False))
        return _main(self, rich_markup_mode=None, **kwargs)


# What each writer accepts: the extension of the file decides the format.
FIGURE_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg", "tif", "tiff", "webp", "eps", "ps")
FORMATS: dict[str, tuple[str, ...]] = {
    "figure": FIGURE_FORMATS,
    "npz": ("npz",),
    "json": ("json",),
    "text": ("txt",),
    "image": ("png", "jpg", "jpeg", "tif", "tiff", "bmp"),
    "checkpoint": ("pt",),
    "html": ("html", "htm"),
}
TEMP_NAME_EXTRA = 10  # atomic_path's temporary file is "." + name + "." + 8 characters + suffix
NAME_MAX, PATH_MAX = 255, 4096


def check_output(
    path: Path | None, *, force: bool, option: str = "--out", kind: str = "figure"
) -> Path | None:
    """Check an output file before anything is computed: a supported extension for its writer
    (``kind``, a key of :data:`FORMATS`), a name short enough, not a folder, no overwrite
    without ``--force``, and a writable folder (missing folders are created only when writing).
    """
    if path is None:
        return None
    suffix = path.suffix.lower().lstrip(".")
    accepted = FORMATS[kind]
    if suffix and suffix not in accepted:
        raise error(
            f"`{option}` {str(path)!r} has the extension .{suffix}; accepted for this output: "
            + ", ".join(f".{ext}" for ext in accepted)
        )
    if path.is_dir():
        raise error(f"`{option}` {str(path)!r} is a folder; give a file name")
    if path.exists() and not force:
        raise error(f"`{option}` {str(path)!r} exists; pass --force to overwrite it")
    _check_name_length(path, option=option)
    check_writable_folder(path.parent, option=option)
    return path


def _check_name_length(path: Path, *, option: str) -> None:
    longest = NAME_MAX - TEMP_NAME_EXTRA - len(path.suffix.encode())
    if len(path.name.encode()) > longest:
        raise error(
            f"`{option}` file name is {len(path.name.encode())} bytes long; at most {longest} "
            "bytes are accepted (the file system's limit, less the temporary file's extra)"
        )
    if len(str(path.absolute()).encode()) + TEMP_NAME_EXTRA > PATH_MAX:
        raise error(f"`{option}` path is longer than {PATH_MAX - TEMP_NAME_EXTRA} bytes")


def check_writable_folder(folder: Path, *, option: str) -> None:
    """The nearest existing folder of ``folder`` must be a folder in which files can be created
    (probed with a hidden file, removed at once); nothing is created."""
    existing = folder if str(folder) else Path(".")
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise error(
            f"`{option}` needs the folder {str(folder)!r}, but {str(existing)!r} is a file; "
            "give a path inside a folder"
        )
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".driftscale-probe.")
    except OSError as exc:
        raise error(
            f"`{option}`: cannot write in the folder {str(existing)!r} ({exc.strerror}); "
            "give a path in a writable folder"
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_outputs(outputs: dict[str, tuple[Path | None, str]], *, force: bool) -> None:
    """:func:`check_output` for every output of one run (``flag -> (path, kind)``), and refuse
    two outputs on the same path; call it before computing."""
    seen: dict[Path, str] = {}
    for option, (path, kind) in outputs.items():
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            raise error(f"`{option}` and `{seen[key]}` name the same file {str(path)!r}")
        seen[key] = option
        check_output(path, force=force, option=option, kind=kind)


def check_output_folder(
    folder: Path, *, force: bool, option: str = "--out", files: dict[str, str] | None = None
) -> None:
    """Check an output folder before computing: not a file, writable, and each of ``files``
    (``name -> kind``) writable in it (no overwrite without ``--force``); nothing is created."""
    if folder.exists() and not folder.is_dir():
        raise error(f"`{option}` {str(folder)!r} is a file; give a folder")
    _check_name_length(folder / "x", option=option)
    check_writable_folder(folder, option=option)
    for name, kind in (files or {}).items():
        check_output(folder / name, force=force, option=option, kind=kind)


def save_figure(fig: Any, path: Path, *, dpi: int = 120) -> None:
    """Write a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)


def save_npz(path: Path, **arrays: Any) -> None:
    """Write arrays to ``.npz`` atomically."""
    import numpy as np  # imported on first use: `driftscale --help` starts without NumPy

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def save_text(path: Path, text: str) -> None:
    """Write text atomically."""
    atomic_write_text(path, text)


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (nothing else goes to stdout with --json)."""
    typer.echo(json.dumps(to_jsonable(obj), indent=2))


def progress(total: int, desc: str, *, quiet: bool = False) -> Any:
    """A tqdm progress bar on stderr, hidden when stderr is not a terminal or ``quiet``."""
    return progress_bar(total, desc, quiet=quiet)


# the distributions whose versions `driftscale env` prints and the demo records for its report
VERSIONED = (
    "driftscale",
    "numpy",
    "scipy",
    "scikit-image",
    "scikit-learn",
    "matplotlib",
    "typer",
    "tqdm",
    "jinja2",
    "torch",
)


def versions() -> dict[str, str]:
    """``{"python": "3.11.9 (Linux-...)", "numpy": "2.1.0", ...}``: what ``driftscale env``
    prints ("not installed" for a missing distribution)."""
    out = {"python": f"{platform.python_version()} ({platform.platform()})"}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


SEED_HELP = "Seed of the random generator: the same seed gives the same bytes."
FORCE_HELP = "Overwrite existing output files."
JSON_HELP = "Print what was computed as JSON on stdout (and nothing else there)."


@contextlib.contextmanager
def flag_errors(flags: dict[str, str]) -> Iterator[None]:
    """:func:`user_errors` that names the command's flags instead of the Python arguments.

    The experiments name their arguments (`` `num_samples` must be ...``); inside this context
    each `` `argument` `` of ``flags`` becomes its flag (`` `--samples` must be ...``).
    """
    try:
        yield
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as exc:
        message = str(exc)
        for argument, flag in flags.items():
            message = message.replace(f"`{argument}`", f"`{flag}`")
        raise error(message) from None


# Options spelled the same way in several commands (short signatures; one help text each).
ImageArgument = Annotated[
    str, typer.Argument(help="Image file (PNG/JPEG/TIFF) or 'cat' for the embedded default.")
]
GreyOption = Annotated[bool, typer.Option("--grey", help="Convert the image to grey.")]
SeedOption = Annotated[int, typer.Option(help=SEED_HELP, callback=check_seed)]
ForceOption = Annotated[bool, typer.Option("--force", help=FORCE_HELP)]
JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def renamed_option(value: Any, old_value: Any, *, default: Any, flag: str, old: str) -> Any:
    """The value of an option renamed to ``flag`` whose old spelling ``old`` is still accepted
    (a second, hidden option; both default to ``None``): either one, or ``default``."""
    if value is not None and old_value is not None and value != old_value:
        raise error(
            f"`{flag}` and its old spelling `{old}` disagree ({value!r} and {old_value!r}); "
            f"pass {flag} only"
        )
    if value is not None:
        return value
    return default if old_value is None else old_value


def write_outputs(
    summary: dict[str, Any], fig: Any, *, out: Path, npz: Path | None, arrays: dict[str, Any]
) -> dict[str, Any]:
    """Write the figure (and the arrays); the summary with the paths written."""
    save_figure(fig, out)
    summary = summary | {"out": str(out)}
    if npz is not None:
        save_npz(npz, **arrays)
        summary["npz"] = str(npz)
    return summary
