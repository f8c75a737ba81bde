"""Files and JSON: atomic writes and the one JSON encoding of results.

Every file driftscale writes goes through :func:`atomic_path`: it is written to a hidden temporary
file beside its destination and moved into place with :func:`os.replace`, so a crash or an
interrupt leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "atomic_write_text", "to_jsonable"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    ``suffix`` of the temporary file defaults to that of ``path`` (writers that choose a format by
    the extension, such as matplotlib, need it). Missing parent folders are created here, at
    write time (never while options are checked). On an exception, and on SIGTERM during the
    write (turned into :class:`SystemExit` with code 143 while the write runs), the temporary
    file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix if suffix is None else suffix
    )
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        with _sigterm_as_exit():
            yield Path(tmp)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600: normal permissions
            os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into :class:`SystemExit` (so ``finally`` blocks run) while inside.

    Only where SIGTERM still has its default action (it would kill the process without cleanup)
    and in the main thread (the only one that may set handlers); otherwise nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def to_jsonable(obj: Any) -> Any:
    """Convert results to JSON-ready values.

    Dataclasses (through their ``to_dict()`` when they have one), mappings, sequences, NumPy
    arrays and scalars and paths are converted recursively; NaN becomes ``None`` and infinities
    the strings ``"inf"`` / ``"-inf"`` (JSON has no non-finite numbers).
    """
    import numpy as np  # imported on first use: the CLI starts without NumPy

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        to_dict = getattr(obj, "to_dict", None)
        return to_jsonable(to_dict() if callable(to_dict) else dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj
