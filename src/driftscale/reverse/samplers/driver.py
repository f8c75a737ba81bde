r"""The driver of every reverse sampler: :func:`sample`, :class:`SampleResult`, the time grid.

The reverse process of Section 3.2 of Peter 2023 maps the steady state :math:`\mathcal N(0, I)`
(Property 5) back to the data. Every sampler needs only a
:class:`~driftscale.reverse.denoisers.Denoiser` (the posterior mean
:math:`E[u_0 \mid u_i = x]`), so exact denoisers of a finite data set and learned networks run
through the same code. The update rules are one file each (see :mod:`driftscale.reverse.samplers`).

Conditioning on known pixels (inpainting, which the paper names as a use) replaces the known part
by its forward sample :math:`\sqrt{\bar\alpha_s}\,k + \sqrt{1-\bar\alpha_s}\,\xi` (Eq. 5) after
every step, and by ``known`` itself at the end.

Samplers work in NumPy float64; a denoiser's torch output is converted. The same seed gives the
same bytes; noise is drawn in a fixed order (start, then each step).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from driftscale._progress import progress_callback
from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.reverse.denoisers import DenoiserError
from driftscale.reverse.samplers.base import ReverseRule, rule_class
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["SampleResult", "sample", "time_grid"]


@dataclass(frozen=True)
class SampleResult:
    """Samples of a reverse process and how they were drawn.

    Attributes
    ----------
    samples : ndarray of float64, shape ``(num_samples, *image_shape)``
    sampler : str
    seed : int or None
        The integer seed, or ``None`` when a Generator (or nothing) was passed.
    num_steps : int
        Number of reverse steps (transitions ``t -> s``).
    eta : float
    steps : tuple of int
        The time grid, from ``T`` down to ``0``.
    num_evaluations : int
        Denoiser calls (each on the whole batch).
    schedule : dict
        :meth:`Schedule.to_dict` of the denoiser's schedule.
    denoiser : str
        ``repr`` of the denoiser.
    inpainting : bool
        Whether known pixels were imposed.
    trajectory : ndarray or None
        States at ``trajectory_steps``, shape ``(K, num_samples, *image_shape)``.
    trajectory_steps : tuple of int
    """

    samples: FloatArray
    sampler: str
    seed: int | None
    num_steps: int
    eta: float
    steps: tuple[int, ...]
    num_evaluations: int
    schedule: dict[str, Any]
    denoiser: str
    inpainting: bool = False
    trajectory: FloatArray | None = None
    trajectory_steps: tuple[int, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """JSON-ready settings and statistics (no arrays)."""
        return {
            "sampler": self.sampler,
            "seed": self.seed,
            "num_samples": int(self.samples.shape[0]),
            "image_shape": list(self.samples.shape[1:]),
            "num_steps": self.num_steps,
            "eta": self.eta,
            "num_evaluations": self.num_evaluations,
            "schedule": self.schedule,
            "denoiser": self.denoiser,
            "inpainting": self.inpainting,
            "mean": float(self.samples.mean()),
            "std": float(self.samples.std()),
        }


def time_grid(T: int, num_steps: int | None = None) -> np.ndarray:
    """The descending integer grid from ``T`` to ``0`` with ``K = num_steps`` transitions.

    ``T = t_K > t_(K-1) > ... > t_0 = 0``, evenly spaced (rounded); ``None`` gives every step
    ``T, T-1, ..., 0``.

    Examples
    --------
    >>> time_grid(10, 4).tolist()
    [10, 8, 5, 2, 0]
    """
    if num_steps is None:
        return np.arange(T, -1, -1)
    num_steps = check_positive_int(num_steps, name="num_steps")
    if num_steps > T:
        raise ValueError(
            f"`num_steps` must be at most the schedule's T = {T}, got {num_steps}; "
            "use a longer schedule or fewer steps"
        )
    return np.round(np.linspace(T, 0, num_steps + 1)).astype(np.int64)


def _denoiser_parts(denoiser: Any) -> tuple[Schedule, tuple[int, ...]]:
    schedule = getattr(denoiser, "schedule", None)
    shape = getattr(denoiser, "image_shape", None)
    if not callable(denoiser) or not isinstance(schedule, Schedule) or shape is None:
        raise TypeError(
            "`denoiser` must be a Denoiser: callable as denoiser(x, i) with attributes `schedule` "
            f"(a Schedule) and `image_shape`, got {type(denoiser).__name__}"
        )
    return schedule, tuple(int(s) for s in shape)


def _as_numpy(y: Any) -> Any:
    if type(y).__module__.split(".")[0] == "torch":
        return y.detach().cpu().numpy()
    return y


def _predictor(
    denoiser: Any, shape: tuple[int, ...], batch_size: int | None, counter: list[int]
) -> Callable[[FloatArray, int], FloatArray]:
    """Wrap the denoiser: batches of at most ``batch_size``, output checked, calls counted."""

    def predict(x: FloatArray, i: int) -> FloatArray:
        counter[0] += 1
        size = x.shape[0] if batch_size is None else batch_size
        parts = [_as_numpy(denoiser(x[a : a + size], i)) for a in range(0, x.shape[0], size)]
        out = np.asarray(parts[0] if len(parts) == 1 else np.concatenate(parts), dtype=np.float64)
        if out.shape != x.shape:
            raise DenoiserError(
                f"the denoiser returned shape {out.shape} for input of shape {x.shape}; "
                "it must return E[u_0 | u_i = x] shaped like x"
            )
        if not np.all(np.isfinite(out)):
            raise DenoiserError(f"the denoiser returned NaN/Inf at step i = {i}")
        return out

    return predict


def _check_conditioning(
    known: Any, mask: Any, shape: tuple[int, ...], num_samples: int
) -> tuple[FloatArray, np.ndarray] | None:
    if known is None and mask is None:
        return None
    if known is None or mask is None:
        raise ValueError(
            "`known` and `mask` go together for inpainting: pass both (known pixel values and a "
            f"boolean mask, True where known), got known={'set' if known is not None else None}, "
            f"mask={'set' if mask is not None else None}"
        )
    batch = (num_samples, *shape)
    m = np.asarray(mask)
    if m.dtype != bool:
        if not np.all(np.isin(m, (0, 1))):
            raise ValueError("`mask` must be boolean (or 0/1), True where the pixel is known")
        m = m.astype(bool)
    if m.shape not in (shape, batch):
        raise ValueError(f"`mask` must have shape {shape} or {batch}, got {m.shape}")
    k = np.asarray(known, dtype=np.float64)
    if k.shape not in (shape, batch):
        raise ValueError(f"`known` must have shape {shape} or {batch}, got {k.shape}")
    k, m = np.broadcast_to(k, batch), np.broadcast_to(m, batch)
    if not np.all(np.isfinite(k[m])):
        raise ValueError("`known` must be finite wherever `mask` is True (NaN is fine elsewhere)")
    return np.where(m, k, 0.0), m


def _check_options(
    sampler: str, num_samples: int, eta: float, batch_size: int | None
) -> tuple[type[ReverseRule], int, float, int | None]:
    num_samples = check_positive_int(num_samples, name="num_samples")
    rule = rule_class(sampler)
    eta = float(eta)
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"`eta` must lie in [0, 1] (0: deterministic DDIM, 1: DDPM), got {eta}")
    if eta != 0.0 and sampler != "ddim":
        raise ValueError(f"`eta` applies to sampler='ddim' only, got eta={eta} with {sampler!r}")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, name="batch_size")
    return rule, num_samples, eta, batch_size


def _start(
    initial: Any, shape: tuple[int, ...], batch: tuple[int, ...], rng: np.random.Generator
) -> FloatArray:
    if initial is None:
        return rng.standard_normal(batch)  # steady state N(0, I), Prop. 4
    x = check_array(initial, name="initial")
    if x.shape not in (shape, batch):
        raise ValueError(f"`initial` must have shape {shape} or {batch}, got {x.shape}")
    return np.array(np.broadcast_to(x, batch))


def _imposer(
    cond: tuple[FloatArray, np.ndarray] | None, schedule: Schedule, rng: np.random.Generator
) -> Callable[[FloatArray, int], FloatArray]:
    """Replace the known pixels at step ``s`` by a forward sample of them (inpainting)."""

    def impose(x: FloatArray, s: int) -> FloatArray:
        if cond is None:
            return x
        k, m = cond
        la = schedule.log_alpha_bar[s]
        # Eq. (5): the known part at step s is a forward sample sqrt(ab_s) k + sqrt(1-ab_s) xi
        fwd = math.exp(0.5 * la) * k + math.sqrt(-math.expm1(la)) * rng.standard_normal(x.shape)
        return np.where(m, fwd if s > 0 else k, x)

    return impose


def _run_chain(
    x: FloatArray,
    grid: np.ndarray,
    step: Callable[[FloatArray, int, int], FloatArray],
    impose: Callable[[FloatArray, int], FloatArray],
    record: set[int],
    bar: Callable[[int], Any] | None,
) -> tuple[FloatArray, dict[int, FloatArray]]:
    """Walk the grid ``T -> 0``: one step, then the known pixels, then the frame to keep."""
    frames: dict[int, FloatArray] = {}
    x = impose(x, int(grid[0]))
    if int(grid[0]) in record:
        frames[int(grid[0])] = x.copy()
    try:
        for done, (t, s) in enumerate(itertools.pairwise(grid), start=1):
            x = impose(step(x, int(t), int(s)), int(s))
            if int(s) in record:
                frames[int(s)] = x.copy()
            if bar is not None:
                bar(done)
    finally:
        if hasattr(bar, "close"):
            bar.close()
    return x, frames


def sample(
    denoiser: Any,
    *,
    num_samples: int,
    sampler: str = "ddpm",
    rng: RNGLike = None,
    num_steps: int | None = None,
    eta: float = 0.0,
    known: Any = None,
    mask: Any = None,
    progress: bool | Callable[[int], Any] = False,
    initial: Any = None,
    record_steps: Sequence[int] | None = None,
    batch_size: int | None = None,
) -> SampleResult:
    r"""Draw samples of the reverse process driven by ``denoiser`` (Section 3.2 of Peter 2023).

    Parameters
    ----------
    denoiser : Denoiser
        Predicts :math:`E[u_0 \mid u_i = x]`; has ``schedule`` and ``image_shape``.
    num_samples : int
        Number of images to draw.
    sampler : {"ddpm", "ddim", "sde", "ode"}
        Update rule, a name of :data:`~driftscale.reverse.samplers.SAMPLERS`.
    rng : {numpy.random.Generator, int, None}, optional
        Random generator or seed; the same seed gives the same bytes.
    num_steps : int, optional
        Reverse transitions on an evenly spaced grid (see :func:`time_grid`); default every
        step of the schedule.
    eta : float
        DDIM's noise scale in ``[0, 1]`` (``sampler="ddim"`` only).
    known, mask : ndarray, optional
        Inpainting: pixel values and a boolean mask (True where known), each of shape
        ``image_shape`` or ``(num_samples, *image_shape)``.
    progress : bool or callable
        ``True`` shows a tqdm bar on stderr; a callable is called with the number of steps done.
    initial : ndarray, optional
        Start :math:`u_T` (shape ``image_shape`` or ``(num_samples, *image_shape)``) instead of
        a draw from the steady state :math:`\mathcal N(0, I)` (Prop. 4).
    record_steps : sequence of int, optional
        Grid steps at which to keep the states (``SampleResult.trajectory``).
    batch_size : int, optional
        Call the denoiser on at most this many images at once (noise is drawn for the whole
        batch, so the result does not depend on it).

    Returns
    -------
    SampleResult
        ``samples`` is float64 of shape ``(num_samples, *image_shape)``.

    Examples
    --------
    >>> from driftscale.reverse.denoisers import PointDenoiser
    >>> D = PointDenoiser(np.full((2, 2), 0.5), "linear:1e-4,0.02")
    >>> sample(D, num_samples=3, sampler="ddim", num_steps=20, rng=0).samples[0]
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    schedule, shape = _denoiser_parts(denoiser)
    rule_cls, num_samples, eta, batch_size = _check_options(sampler, num_samples, eta, batch_size)
    seed = int(rng) if isinstance(rng, int | np.integer) and not isinstance(rng, bool) else None
    rng = as_rng(rng)
    grid = time_grid(schedule.T, num_steps)
    record = _check_record(record_steps, grid)
    cond = _check_conditioning(known, mask, shape, num_samples)
    x = _start(initial, shape, (num_samples, *shape), rng)
    counter = [0]
    predict = _predictor(denoiser, shape, batch_size, counter)
    rule = rule_cls(schedule, eta=eta)
    bar = progress_callback(progress, len(grid) - 1, f"reverse {sampler}")
    x, frames = _run_chain(
        x,
        grid,
        lambda x, t, s: rule.step(x, t, s, predict, rng),
        _imposer(cond, schedule, rng),
        record,
        bar,
    )
    kept = tuple(s for s in grid.tolist() if s in record)
    return SampleResult(
        samples=np.ascontiguousarray(x, dtype=np.float64),
        sampler=sampler,
        seed=seed,
        num_steps=len(grid) - 1,
        eta=eta,
        steps=tuple(int(s) for s in grid),
        num_evaluations=counter[0],
        schedule=schedule.to_dict(),
        denoiser=repr(denoiser),
        inpainting=cond is not None,
        trajectory=np.stack([frames[s] for s in kept]) if kept else None,
        trajectory_steps=kept,
    )


def _check_record(record_steps: Sequence[int] | None, grid: np.ndarray) -> set[int]:
    if record_steps is None:
        return set()
    wanted = {int(s) for s in np.atleast_1d(np.asarray(record_steps, dtype=np.int64))}
    missing = sorted(wanted - set(grid.tolist()))
    if missing:
        raise ValueError(
            f"`record_steps` must be steps of the sampling grid, got {missing} not on it; "
            f"the grid is {grid.tolist()[:8]}{'...' if grid.size > 8 else ''} (see time_grid)"
        )
    return wanted
