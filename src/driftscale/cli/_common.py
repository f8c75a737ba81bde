"""Shared plumbing of the CLI: path checks (no overwrite without --force), atomic writes, JSON,
progress bars, list parsing, and turning library errors into one-line messages."""

from __future__ import annotations

import contextlib
import json
import platform
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

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


def parse_list(text: str, *, option: str, kind: Callable[[str], Any] = float) -> list[Any]:
    """Parse ``"0,10,50"`` into numbers, naming the option when it fails."""
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        noun = "integers" if kind is int else "numbers"
        raise error(f"`{option}` must be {noun} separated by commas, got {text!r}") from None
    if not values:
        raise error(f"`{option}` must list at least one value, got {text!r}")
    return values


def check_output(path: Path | None, *, force: bool, option: str = "--out") -> Path | None:
    """Refuse to overwrite an existing file unless ``--force``; create missing parent folders."""
    if path is None:
        return None
    if path.exists() and path.is_dir():
        raise error(f"`{option}` {str(path)!r} is a folder; give a file name")
    if path.exists() and not force:
        raise error(f"`{option}` {str(path)!r} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def save_figure(fig: Any, path: Path, *, dpi: int = 120) -> None:
    """Write a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)


def save_npz(path: Path, **arrays: Any) -> None:
    """Write arrays to ``.npz`` atomically."""
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
SeedOption = Annotated[int, typer.Option(help=SEED_HELP)]
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
