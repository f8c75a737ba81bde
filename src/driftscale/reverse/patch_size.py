r"""Patch sizes of the local machines as a function of the step: rules and calibration.

:class:`~driftscale.reverse.local.LocalDenoiser` and
:class:`~driftscale.reverse.local.EquivariantLocalDenoiser` take a patch size that depends on the
step (Kamb & Ganguli [1]_: the locality scale of a trained network grows with the noise level):

- :func:`default_patch_size` -- a heuristic rule of the noise level;
- :func:`resolve_patch_size` -- turns an int, a per-step sequence, a function or a
  :class:`PatchSchedule` into a function ``step -> odd size``;
- :func:`calibrate_patch_size` -- per step, the size whose predictions agree best with a trained
  network on the network's own reverse trajectories, as Kamb & Ganguli calibrate theirs.

References
----------
.. [1] M. Kamb, S. Ganguli, "An analytic theory of creativity in convolutional diffusion
       models", ICML 2025, arXiv:2412.20292.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._validation import check_positive_int
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = [
    "PatchCalibration",
    "PatchSchedule",
    "PatchSize",
    "calibrate_patch_size",
    "check_patch_size",
    "default_candidates",
    "default_patch_size",
    "resolve_patch_size",
]


def check_patch_size(value: Any, *, name: str = "patch_size") -> int:
    """``value`` as an odd positive int, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"`{name}` must be an odd positive integer, got {value!r}")
    if value < 1 or value % 2 == 0:
        raise ValueError(f"`{name}` must be an odd positive integer (1, 3, 5, ...), got {value}")
    return int(value)


def default_patch_size(step: int, *, schedule: Schedule, image_shape: tuple[int, ...]) -> int:
    r"""The heuristic patch size at ``step``: :math:`P = 2\lceil \sigma_i\,L/2 \rceil + 1`.

    :math:`\sigma_i = \sqrt{1-\bar\alpha_i}` is the noise level (Eq. 5) and ``L`` the longer
    image side: 3 x 3 patches at small noise, about half the image at pure noise, growing with
    the noise as the calibrated scales of Kamb & Ganguli do. A heuristic, not a fit: use
    :func:`calibrate_patch_size` to match a trained network.

    Examples
    --------
    >>> s = Schedule.from_string("linear:1e-4,0.02")
    >>> default_patch_size(1, schedule=s, image_shape=(8, 8)), default_patch_size(1000, schedule=s,
    ...     image_shape=(8, 8))
    (3, 9)
    """
    sigma = math.sqrt(-math.expm1(float(schedule.log_alpha_bar[int(step)])))
    side = max(int(s) for s in image_shape[:2])
    return 2 * max(1, math.ceil(sigma * side / 2)) + 1


@dataclass(frozen=True)
class PatchSchedule:
    """Patch sizes at a grid of steps; any step takes the size of the nearest grid step.

    Examples
    --------
    >>> PatchSchedule(steps=(10, 500), sizes=(3, 7))(400)
    7
    """

    steps: tuple[int, ...]
    sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.steps) != len(self.sizes) or not self.steps:
            raise ValueError(
                f"`steps` and `sizes` must be non-empty and of one length, got {len(self.steps)} "
                f"and {len(self.sizes)}"
            )
        for s in self.sizes:
            check_patch_size(s, name="sizes")

    def __call__(self, step: int) -> int:
        """The size at the grid step nearest to ``step``."""
        k = int(np.argmin(np.abs(np.asarray(self.steps) - int(step))))
        return int(self.sizes[k])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"steps": list(self.steps), "sizes": list(self.sizes)}


PatchSize = int | str | Sequence[int] | Callable[[int], int] | None


def resolve_patch_size(
    patch_size: PatchSize, *, schedule: Schedule, image_shape: tuple[int, ...]
) -> Callable[[int], int]:
    """A function ``step -> odd patch size`` from what the user gave.

    ``None`` or ``"default"``: :func:`default_patch_size`; an int: that size at every step; a
    sequence of length ``T + 1``: the size per step; a callable (a :class:`PatchSchedule` or any
    function of the step), checked when called.
    """
    if patch_size is None or (isinstance(patch_size, str) and patch_size == "default"):
        return lambda step: default_patch_size(step, schedule=schedule, image_shape=image_shape)
    if isinstance(patch_size, str):
        raise ValueError(
            f"`patch_size` must be an odd int, 'default', a sequence of T + 1 sizes or a "
            f"function of the step, got {patch_size!r}"
        )
    if isinstance(patch_size, int | np.integer) and not isinstance(patch_size, bool):
        size = check_patch_size(patch_size)
        return lambda step: size
    if callable(patch_size):
        fn = patch_size
        return lambda step: check_patch_size(fn(int(step)), name="patch_size(step)")
    if isinstance(patch_size, Sequence | np.ndarray):
        arr = np.asarray(patch_size)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise TypeError(
                f"`patch_size` as a sequence must hold ints, got {arr.dtype} {arr.shape}"
            )
        sizes = [check_patch_size(int(s)) for s in arr]
        if len(sizes) != schedule.T + 1:
            raise ValueError(
                f"`patch_size` as a sequence must hold T + 1 = {schedule.T + 1} sizes (one per "
                f"step 0..T), got {len(sizes)}"
            )
        return lambda step: int(sizes[int(step)])
    raise TypeError(
        f"`patch_size` must be an odd int, 'default', a sequence or a function of the step, got "
        f"{type(patch_size).__name__}"
    )


def default_candidates(image_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Odd patch sizes to calibrate over: all of ``1, 3, ..., 2 L - 1`` (``L`` the longer side,
    the last covering the whole image) when there are at most 8, else 8 of them spaced
    geometrically."""
    top = 2 * max(int(s) for s in image_shape[:2]) - 1
    sizes = list(range(1, top + 1, 2))
    if len(sizes) > 8:
        raw = np.geomspace(1, top, 8)
        sizes = sorted({int(2 * round((v - 1) / 2) + 1) for v in raw})
    return tuple(sizes)


@dataclass(frozen=True)
class PatchCalibration:
    """Patch sizes fitted to a reference denoiser (a trained network) on its own trajectories.

    Attributes
    ----------
    schedule : PatchSchedule
        The best size at each calibration step (pass it as ``patch_size``).
    candidates : tuple of int
    steps : tuple of int
        Calibration steps, descending.
    mse : ndarray of float64, shape (len(steps), len(candidates))
        Mean squared difference between the machine's and the reference's predictions.
    r2 : ndarray of float64, same shape
        Pooled :math:`r^2 = 1 - \\sum (D - D_{ref})^2 / \\sum (D_{ref} - \\bar D_{ref})^2`
        (``\\bar D_{ref}`` the mean of each reference image).
    num_samples : int
    """

    schedule: PatchSchedule
    candidates: tuple[int, ...]
    steps: tuple[int, ...]
    mse: FloatArray
    r2: FloatArray
    num_samples: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        best = np.argmin(self.mse, axis=1)
        return {
            "steps": list(self.steps),
            "sizes": list(self.schedule.sizes),
            "candidates": list(self.candidates),
            "r2_best": [float(self.r2[k, b]) for k, b in enumerate(best)],
            "num_samples": self.num_samples,
        }


def _pooled_r2(reference: FloatArray, predicted: FloatArray) -> float:
    ref = reference.reshape(reference.shape[0], -1)
    resid = np.sum((predicted.reshape(ref.shape) - ref) ** 2)
    total = np.sum((ref - ref.mean(axis=1, keepdims=True)) ** 2)
    return float(1.0 - resid / total) if total > 0 else float("nan")


def calibrate_patch_size(
    reference: Any,
    machine: Any,
    *,
    num_samples: int = 16,
    sampler: str = "ddim",
    num_steps: int | None = 50,
    calibration_steps: int = 10,
    candidates: Sequence[int] | None = None,
    rng: Any = None,
) -> PatchCalibration:
    """Fit the patch size per step so that ``machine`` agrees best with ``reference``.

    As Kamb & Ganguli calibrate their machines to a trained network: ``reference`` (any
    Denoiser, usually a ``NetworkDenoiser``) draws ``num_samples`` reverse trajectories with
    ``sampler`` and ``rng`` (use a seed other than the evaluation's); at ``calibration_steps``
    steps of its grid, the machine predicts :math:`E[u_0 \\mid u_i = x]` on the reference's own
    states ``x`` with every candidate size, and the size with the least mean squared difference
    to the reference's prediction wins.

    Returns
    -------
    PatchCalibration
        ``machine.with_patch_size(result.schedule)`` (or the ``patch_size`` argument of a new
        machine) uses it.
    """
    from driftscale.reverse.samplers import sample, time_grid

    cands = tuple(
        check_patch_size(int(c), name="candidates")
        for c in (default_candidates(machine.image_shape) if candidates is None else candidates)
    )
    if not cands:
        raise ValueError("`candidates` must hold at least one odd patch size, got none")
    k = check_positive_int(calibration_steps, name="calibration_steps")
    grid = time_grid(machine.schedule.T, num_steps)[:-1]  # the steps the sampler denoises at
    pick = grid[np.unique(np.round(np.linspace(0, len(grid) - 1, min(k, len(grid)))).astype(int))]
    res = sample(
        reference,
        num_samples=num_samples,
        sampler=sampler,
        num_steps=num_steps,
        rng=rng,
        record_steps=[int(s) for s in pick],
    )
    frames = dict(zip(res.trajectory_steps, res.trajectory, strict=True))
    mse = np.empty((len(pick), len(cands)))
    r2 = np.empty_like(mse)
    steps = [int(s) for s in pick]
    refs = [np.asarray(reference(frames[s], s), dtype=np.float64) for s in steps]
    for b, size in enumerate(cands):  # one size at a time: its patch table is built once
        for a, step in enumerate(steps):
            pred = machine.predict(frames[step], step, patch_size=size)
            mse[a, b] = float(np.mean((pred - refs[a]) ** 2))
            r2[a, b] = _pooled_r2(refs[a], pred)
    best = np.argmin(mse, axis=1)
    schedule = PatchSchedule(tuple(int(s) for s in pick), tuple(cands[b] for b in best))
    return PatchCalibration(schedule, cands, schedule.steps, mse, r2, int(num_samples))
