"""Forward film strip: the forward chain of Peter 2023, Eq. (4), on one image, at chosen steps.

:func:`run_forward_strip` scales the image to ``[-1, 1]``, runs the chain (exact semigroup jumps
or Eq. (4) step by step) and returns a :class:`ForwardStripResult`: the frames, their steps and
:math:`\\bar\\alpha_i` (Eq. 5), and per frame the mean against its expectation
:math:`\\sqrt{\\bar\\alpha_i}\\,\\bar f` (Eq. 5). ``driftscale forward`` prints its ``to_dict()``
with ``--json`` and draws its frames with :func:`driftscale.figures.film_strip`.

Examples
--------
>>> from driftscale.experiments.forward_strip import run_forward_strip
>>> import numpy as np
>>> res = run_forward_strip(np.full((4, 5), 128.0), schedule="constant:0.02", T=10,
...                         steps=[0, 10], rng=0)
>>> res.frames.shape, bool(np.array_equal(res.frames[0], res.f))
((2, 4, 5), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._progress import progress_bar
from driftscale._validation import check_choice, check_steps
from driftscale.data import ValueScale
from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.experiments._inputs import (
    image_input,
    recorded_seed,
    resolve_seed,
    schedule_input,
)
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["DEFAULT_STEPS", "ForwardStripResult", "run_forward_strip"]

DEFAULT_STEPS: tuple[int, ...] = (0, 10, 50, 100, 250, 500)
METHODS = ("jump", "step")


@dataclass(frozen=True)
class ForwardStripResult:
    """A forward trajectory of one image (Eq. 4) with the numbers ``driftscale forward`` prints.

    Attributes
    ----------
    image : str
        What was evolved: ``"cat"``, a file name, or ``"array HxW[xC]"``.
    schedule : Schedule
        The beta schedule.
    method : {"jump", "step"}
        Exact semigroup jumps or Eq. (4) step by step.
    seed : int or None
        The seed (``None`` when a Generator was passed).
    steps : ndarray of int64, shape (K,)
        The steps shown; 0 is the image.
    alpha_bar : ndarray of float64, shape (K,)
        :math:`\\bar\\alpha_i` at ``steps`` (Eq. 5).
    value_scale : ValueScale
        The map from raw ``[0, 255]`` values to ``[-1, 1]`` (inverted for display).
    f : ndarray of float64, shape (H, W) or (H, W, C)
        The scaled image.
    frames : ndarray of float64, shape ``(K, *f.shape)``
        ``u_i`` at ``steps``.
    frame_mean, frame_std : ndarray of float64, shape (K,)
        Mean and standard deviation of each frame.
    """

    image: str
    schedule: Schedule
    method: str
    seed: int | None
    steps: np.ndarray
    alpha_bar: FloatArray
    value_scale: ValueScale
    f: FloatArray
    frames: FloatArray
    frame_mean: FloatArray
    frame_std: FloatArray

    @property
    def expected_mean(self) -> FloatArray:
        """:math:`\\sqrt{\\bar\\alpha_i}\\,\\bar f`, the mean of :math:`u_i` by Eq. (5)."""
        return np.sqrt(self.alpha_bar) * self.f.mean()  # Peter 2023, Eq. (5)

    @property
    def labels(self) -> list[str]:
        """One label per frame: the step and its :math:`\\bar\\alpha_i`."""
        return [f"i = {s}\nᾱ = {a:.3g}" for s, a in zip(self.steps, self.alpha_bar, strict=True)]

    @property
    def title(self) -> str:
        """Title of the film strip: schedule, T and seed."""
        return (
            f"Probabilistic diffusion, {self.schedule.to_string()} (T = {self.schedule.T}), "
            f"seed {self.seed}"
        )

    def format_table(self) -> str:
        """The terminal report: per frame the step, alpha_bar, the mean against its expectation
        (Eq. 5) and the standard deviation."""
        return "\n".join(
            f"  step {fr['step']:>5}  alpha_bar {fr['alpha_bar']:.4g}  mean {fr['mean']:+.4f} "
            f"(expected {fr['expected_mean']:+.4f})  std {fr['std']:.4f}"
            for fr in self.to_dict()["frames"]
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``driftscale forward --json`` payload (without the output paths)."""
        f_mean = self.f.mean()
        return {
            "command": "forward",
            "image": self.image,
            "shape": list(self.f.shape),
            "scale": self.value_scale.to_dict(),
            "schedule": self.schedule.to_dict(),
            "method": self.method,
            "seed": self.seed,
            "steps": self.steps.tolist(),
            "alpha_bar": self.alpha_bar.tolist(),
            "frames": [
                {
                    "step": int(s),
                    "alpha_bar": float(a),
                    "mean": float(m),
                    "expected_mean": float(np.sqrt(a) * f_mean),
                    "std": float(sd),
                }
                for s, a, m, sd in zip(
                    self.steps, self.alpha_bar, self.frame_mean, self.frame_std, strict=True
                )
            ],
        }


def run_forward_strip(
    image: Any = "cat",
    *,
    schedule: Schedule | str = "constant:0.02",
    T: int | None = None,
    steps: Sequence[int] = DEFAULT_STEPS,
    method: str = "jump",
    grey: bool = False,
    rng: RNGLike = None,
    progress: bool = False,
) -> ForwardStripResult:
    """Run the forward chain, Eq. (4), on an image and keep the frames at ``steps``.

    Parameters
    ----------
    image : str, path or array_like
        ``"cat"`` (embedded), an image file, or raw values on ``[0, 255]`` of shape ``(H, W)``
        or ``(H, W, C)``.
    schedule : Schedule or str
        Beta schedule, e.g. ``"constant:0.02"`` (the paper's Fig. 1) or ``"linear:1e-4,0.02"``.
    T : int, optional
        Length of a schedule given as a string (default 1000).
    steps : sequence of int
        Sorted steps ``0 <= i <= T``; 0 is the image.
    method : {"jump", "step"}
        ``"jump"``: exact semigroup jumps between the steps (Eq. 5); ``"step"``: Eq. (4) step by
        step.
    grey : bool
        Convert an image file to grey.
    rng : {numpy.random.Generator, int, None}, optional
        Seed of the chain's noise; the same seed gives the same bytes. ``None`` draws a seed and
        records it in the result.
    progress : bool
        Show a progress bar on stderr (``method="step"`` only; jumps are instantaneous).

    Returns
    -------
    ForwardStripResult
    """
    sched = schedule_input(schedule, T=T)
    steps_arr = check_steps(steps, T=sched.T, name="steps")
    check_choice(method, name="method", choices=METHODS)
    seed = resolve_seed(rng)
    raw, name = image_input(image, grey=grey)
    value_scale = ValueScale.fit(raw, kind="unit")
    f = value_scale.apply(raw)
    total = int(steps_arr.max())
    with progress_bar(total, "forward (Eq. 4)", quiet=not progress or method == "jump") as bar:
        frames = ProbabilisticDiffusion(sched).trajectory(
            f, steps_arr.tolist(), rng=seed, method=method, callback=lambda i: bar.update(1)
        )
    return ForwardStripResult(
        image=name,
        schedule=sched,
        method=method,
        seed=recorded_seed(seed),
        steps=steps_arr,
        alpha_bar=sched.alpha_bar[steps_arr],
        value_scale=value_scale,
        f=f,
        frames=frames,
        frame_mean=np.array([fr.mean() for fr in frames]),
        frame_std=np.array([fr.std() for fr in frames]),
    )
