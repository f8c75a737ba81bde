"""Sampling helpers of the property engine: marginal samples of any stochastic ``ScaleSpace``,
continuation of a chain from an intermediate step (Property 2), and coupled noise (Prop. 3).

A stochastic ``ScaleSpace`` only promises ``trajectory(f, times, rng=)`` on one image. A process
that declares ``batched = True`` (its ``trajectory`` evolves each image of a batch independently,
like :class:`~driftscale.diffusion.forward.ProbabilisticDiffusion`) is called once with the whole
batch; any other process is called once per sample. A process with a step count ``T`` (a chain of
Eq. 4) gets its steps as ints, any other its times as floats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from driftscale.typing import FloatArray

__all__ = [
    "CoupledNoise",
    "capability",
    "continue_chain",
    "num_steps",
    "process_times",
    "sample_paths",
]


def capability(space: Any, name: str) -> Callable[..., Any] | None:
    """The optional method ``name`` of a process (DESIGN.md: ``transition``,
    ``marginal_log_density``, ``conditional_log_density``, ...), or None where it has none."""
    method = getattr(space, name, None)
    return method if callable(method) else None


def num_steps(space: Any) -> int | None:
    """The step count ``T`` of a chain (ProbabilisticDiffusion), or None for other processes."""
    T = getattr(space, "T", None)
    return int(T) if isinstance(T, int | np.integer) and not isinstance(T, bool) else None


def process_times(space: Any, steps: Any) -> list:
    """``steps`` as the process takes them: ints for a chain with ``T`` steps, else floats."""
    return [int(s) for s in steps] if num_steps(space) is not None else list(steps)


def sample_paths(
    space: Any, data: FloatArray, idx: np.ndarray, steps: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Trajectories from ``data[idx]``, recorded at ``steps``: shape ``(M, K, *image_shape)``."""
    times = process_times(space, steps)
    if getattr(space, "batched", False):
        paths = space.trajectory(data[idx], times, rng=rng)  # (K, M, ...)
        return np.moveaxis(paths, 0, 1)
    out = np.empty((idx.size, len(times), *data.shape[1:]))
    for m, k in enumerate(idx):
        out[m] = space.trajectory(data[k], times, rng=rng)
    return out


def continue_chain(
    space: Any, u: FloatArray, start: float, stop: float, rng: np.random.Generator
) -> FloatArray:
    """Run the chain from states ``u`` (a batch ``(M, ...)``) at step ``start`` to ``stop``.

    A process with ``step(u, i, rng=)`` (one Markov step, Eq. 4 for ProbabilisticDiffusion) takes
    ``stop - start`` single steps (Eq. 8 of Property 2), so the semigroup test compares the
    process's paths with the chain they summarise. A process with ``transition(u, i, j, rng=)``
    uses that jump; any other process is assumed time-homogeneous and restarted:
    ``trajectory(u_m, [0, stop - start])``.
    """
    step = capability(space, "step")
    if step is not None:
        x = u
        for j in range(int(start) + 1, int(stop) + 1):
            x = step(x, j, rng=rng)  # Eq. (4), one step at a time
        return x if int(stop) > int(start) else x.copy()
    transition = capability(space, "transition")
    if transition is not None:
        return np.asarray(transition(u, start, stop, rng=rng), dtype=np.float64)
    out = np.empty_like(u)
    for m in range(u.shape[0]):
        out[m] = space.trajectory(u[m], [0, stop - start], rng=rng)[-1]
    return out


class CoupledNoise(np.random.Generator):
    """A generator whose Gaussian draws of one image's shape are passed through ``transform``.

    Two generators with the same seed, one with ``transform = P^{-1}``, give the coupled noise
    :math:`\\tilde g_i = P^{-1}(g_i)` of the proof of Prop. 3 (Eq. 21), provided the process draws
    its noise with ``rng.standard_normal(image_shape)``. ``calls`` counts the coupled draws and
    ``foreign`` the draws of any other shape (then the coupling is not exact).
    """

    def __init__(
        self, seed: int, shape: tuple[int, ...], transform: Callable[[FloatArray], FloatArray]
    ) -> None:
        super().__init__(np.random.PCG64(seed))
        self._shape = tuple(shape)
        self._transform = transform
        self.calls = 0
        self.foreign = 0

    def standard_normal(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        draw = super().standard_normal(size, dtype=dtype, out=out)
        shape = (size,) if isinstance(size, int) else tuple(size) if size is not None else ()
        if shape == self._shape:
            self.calls += 1
            return self._transform(draw)
        self.foreign += 1
        return draw
