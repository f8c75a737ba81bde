"""Input checks shared by every public function: one place, messages that name the argument.

Every message has the form ``"`name` must be <constraint>, got <value>"`` plus the fix where there
is one. Functions return validated float64 arrays and never modify the caller's array.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "as_rng",
    "check_array",
    "check_choice",
    "check_image",
    "check_int",
    "check_open_unit_interval",
    "check_positive_array",
    "check_positive_int",
    "check_steps",
    "check_times",
]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_rng(rng: RNGLike, *, name: str = "rng") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from a generator, an integer seed or ``None``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"`{name}` must be a numpy.random.Generator, an int seed or None, got {_short(rng)}"
    )


def check_array(
    x: Any,
    *,
    name: str,
    ndim: int | Iterable[int] | None = None,
    finite: bool = True,
) -> FloatArray:
    """Coerce ``x`` to a float64 array, checking its rank and that it holds finite numbers.

    Complex input is refused (NumPy would drop the imaginary part with only a warning)."""
    if np.iscomplexobj(x):
        raise TypeError(
            f"`{name}` must be an array of real numbers, got complex values; pass x.real or "
            "abs(x) explicitly"
        )
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be an array of real numbers, got {_short(x)}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            what = " or ".join(str(a) for a in allowed)
            raise ValueError(
                f"`{name}` must be an array of rank {what}, got rank {arr.ndim} (shape {arr.shape})"
            )
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"`{name}` must hold finite values only, got {bad} NaN/Inf entries; "
            "clean or mask the data first"
        )
    return arr


def check_image(f: Any, *, name: str = "f", batch: bool = False) -> FloatArray:
    """Check an image ``(H, W)`` / ``(H, W, C)``, or with ``batch=True`` also ``(N, H, W[, C])``."""
    ndims = (2, 3, 4) if batch else (2, 3)
    arr = check_array(f, name=name, ndim=ndims)
    return arr


def check_positive_array(x: Any, *, name: str, fix: str = "") -> FloatArray:
    """Check that every entry of ``x`` is strictly positive (never clipped silently)."""
    arr = check_array(x, name=name)
    if np.any(arr <= 0):
        hint = f"; {fix}" if fix else ""
        raise ValueError(
            f"`{name}` must be strictly positive, got minimum {float(arr.min())!r} "
            f"({int(np.count_nonzero(arr <= 0))} non-positive entries){hint}"
        )
    return arr


def check_int(value: Any, *, name: str) -> int:
    """Check an integer (Python or NumPy; not a bool, never a float truncated silently)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"`{name}` must be an integer, got {_short(value)}")
    return int(value)


def check_positive_int(value: Any, *, name: str) -> int:
    """Check a strictly positive integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer, got {_short(value)}")
    return int(value)


def check_open_unit_interval(value: Any, *, name: str) -> FloatArray:
    """Check values strictly inside (0, 1), as every beta of a schedule must be."""
    arr = check_array(value, name=name)
    if np.any((arr <= 0) | (arr >= 1)):
        bad = arr[(arr <= 0) | (arr >= 1)].ravel()[0]
        raise ValueError(f"`{name}` must lie strictly inside (0, 1), got {float(bad)!r}")
    return arr


def check_choice(value: Any, *, name: str, choices: Sequence[str]) -> str:
    """Check a string option against the accepted values, listing them when it is unknown."""
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(repr(c) for c in choices)}, got {_short(value)}"
        )
    return str(value)


def check_steps(steps: Any, *, T: int, name: str = "steps") -> np.ndarray:
    """Check sorted integer steps ``0 <= i <= T`` of a probabilistic diffusion chain."""
    arr = np.atleast_1d(np.asarray(steps))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D sequence of steps, got {_short(steps)}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"`{name}` must be integers, got {_short(steps)}")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"`{name}` must be integers, got {_short(steps)}")
    ints = arr.astype(np.int64)
    if np.any(ints < 0):
        raise ValueError(f"`{name}` must be non-negative, got {int(ints.min())}")
    if np.any(ints > T):
        raise ValueError(
            f"`{name}` must not exceed the schedule's T = {T}, got {int(ints.max())}; "
            "use a longer schedule (T option) or fewer steps"
        )
    if np.any(np.diff(ints) < 0):
        raise ValueError(f"`{name}` must be sorted in increasing order, got {ints.tolist()}")
    return ints


def check_times(times: Any, *, name: str = "times") -> FloatArray:
    """Check sorted non-negative finite times ``t >= 0`` of a continuous-time scale-space."""
    arr = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D sequence of times, got {_short(times)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {arr.tolist()}")
    if np.any(arr < 0):
        raise ValueError(f"`{name}` must be non-negative, got {float(arr.min())!r}")
    if np.any(np.diff(arr) < 0):
        raise ValueError(f"`{name}` must be sorted in increasing order, got {arr.tolist()}")
    return arr
