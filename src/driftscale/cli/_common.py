"""Shared plumbing of the CLI: path checks (no overwrite without --force), atomic writes, JSON,
progress bars, list parsing, and turning library errors into one-line messages."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import typer

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


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, NumPy scalars/arrays and paths to JSON-ready values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (nothing else goes to stdout with --json)."""
    typer.echo(json.dumps(to_jsonable(obj), indent=2))


def progress(total: int, desc: str, *, quiet: bool = False) -> Any:
    """A tqdm progress bar on stderr, hidden when stderr is not a terminal or ``quiet``."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc=desc, unit="step", file=sys.stderr, disable=quiet or None, leave=False
    )


SEED_HELP = "Seed of the random generator: the same seed gives the same bytes."
FORCE_HELP = "Overwrite existing output files."
JSON_HELP = "Print what was computed as JSON on stdout (and nothing else there)."
