"""Inputs shared by the experiments: recorded seeds, images by name or as arrays, schedules.

Every experiment records the seed it ran with, so that its result can be reproduced: an ``int``
is used as it is, ``None`` draws fresh entropy from the operating system and records it, and a
caller's :class:`numpy.random.Generator` is used as it is (its seed is unknown, recorded as
``None``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from driftscale._validation import check_image
from driftscale.data import load_image
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["image_input", "recorded_seed", "resolve_seed", "schedule_input", "spawn"]

Seed = int | np.random.Generator


def resolve_seed(rng: RNGLike, *, name: str = "rng") -> Seed:
    """An ``int`` seed (``None``: fresh entropy from the OS, returned) or the caller's Generator.

    Examples
    --------
    >>> resolve_seed(3), isinstance(resolve_seed(None), int)
    (3, True)
    """
    if rng is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(
            f"`{name}` must be a numpy.random.Generator, an int seed or None, got {rng!r}"
        )
    if rng < 0:
        raise ValueError(f"`{name}` must be a non-negative seed, got {int(rng)}")
    return int(rng)


def recorded_seed(seed: Seed) -> int | None:
    """The seed to write into a result: the ``int``, or ``None`` for a caller's Generator."""
    return seed if isinstance(seed, int) else None


def spawn(seed: Seed, count: int) -> list[np.random.Generator]:
    """``count`` independent generators: the children of ``numpy.random.SeedSequence(seed)``.

    A Generator spawns its own children (:meth:`numpy.random.Generator.spawn`).
    """
    if isinstance(seed, np.random.Generator):
        return seed.spawn(count)
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def image_input(image: Any, *, grey: bool, name: str = "image") -> tuple[FloatArray, str]:
    """Raw values on ``[0, 255]`` and a name: ``"cat"``, an image file, or an array as it is.

    An array is ``(H, W)`` or ``(H, W, C)`` raw values on ``[0, 255]`` (as
    :func:`driftscale.data.load_image` returns them); it is copied, never modified. ``grey``
    converts files only: a colour array with ``grey=True`` is an error.
    """
    if isinstance(image, str | Path):
        return load_image(image, grey=grey, name=name), str(image)
    arr = check_image(image, name=name).copy()
    if grey and arr.ndim == 3:
        raise ValueError(
            f"`grey` converts image files only, got a colour array of shape {arr.shape} for "
            f"`{name}`; pass a grey (H, W) array"
        )
    return arr, "array " + "x".join(str(n) for n in arr.shape)


def schedule_input(schedule: Schedule | str, *, T: int | None) -> Schedule:
    """A schedule from a spec (``T`` sets its length) or a :class:`Schedule` (``T`` must agree)."""
    if isinstance(schedule, str):
        return Schedule.from_string(schedule, T=T)
    sched = Schedule.coerce(schedule)
    if T is not None and T != sched.T:
        raise ValueError(
            f"`T` = {T!r} disagrees with the schedule's T = {sched.T}; pass T=None with a "
            "Schedule object, or a string spec"
        )
    return sched
