"""Fig. 1 of Peter 2023: probabilistic diffusion (Eq. 4) above osmosis (Eq. 26), same image.

- :func:`run_osmosis` evolves an image by linear osmosis, Eq. (26), with the canonical drift of a
  guidance image or of positive Gaussian noise ``v = offset + N(0, 1)``, and measures per frame
  the conserved mean, the minimum (positive), the relative entropy :math:`L(t)` of Eq. (28)
  (increasing) and the distance to the steady state :math:`w = (\\mu_f / \\mu_v)\\, v`.
  ``driftscale osmosis`` prints its ``to_dict()``.
- :func:`run_fig1` adds the forward chain with a constant beta (the paper's 0.02) on the same
  image: row (a) and row (b) of Fig. 1, with a caption that says how each row was made.
  ``driftscale compare`` prints its ``to_dict()``.

Osmosis works on the osmosis scaling ``ValueScale(kind="positive")`` ([0, 255] -> [1, 256]).
Seeds: the seed seeds one :class:`numpy.random.SeedSequence`; its first child draws the diffusion
noise, its second the guidance noise, so both rows are reproducible and independent.

Examples
--------
>>> import numpy as np
>>> from driftscale.experiments.fig1 import run_osmosis
>>> res = run_osmosis(np.full((6, 8), 100.0), times=[0, 10], rng=0)
>>> bool(res.relative_mass_error.max() < 1e-12), bool(np.array_equal(res.frames[0], res.f))
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._progress import progress_bar
from driftscale._validation import check_choice, check_steps, check_times
from driftscale.data import ValueScale
from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.estimators.entropy import osmosis_relative_entropy
from driftscale.experiments._inputs import Seed, image_input, recorded_seed, resolve_seed, spawn
from driftscale.osmosis import Osmosis, noise_guidance
from driftscale.osmosis.evolution import METHODS, time_bands
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "DEFAULT_FIG1_STEPS",
    "DEFAULT_FIG1_TIMES",
    "DEFAULT_OSMOSIS_TIMES",
    "Fig1Result",
    "OsmosisResult",
    "run_fig1",
    "run_osmosis",
    "time_label",
]

DEFAULT_OSMOSIS_TIMES: tuple[float, ...] = (0.0, 10.0, 100.0, 1000.0, 10000.0)
DEFAULT_FIG1_STEPS: tuple[int, ...] = (0, 10, 50, 100, 250, 500)
DEFAULT_FIG1_TIMES: tuple[float, ...] = (0.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0)
EXACT_RTOL = 1e-10  # the default tolerance of Osmosis.trajectory(method="exact")


def time_label(t: float) -> str:
    """Label of an osmosis frame: ``t = 10``, or ``t = 1e5`` for large round times."""
    return f"t = {t:g}" if t < 1e4 or t != int(t) else f"t = {t:.0e}".replace("e+0", "e")


@dataclass(frozen=True)
class OsmosisResult:
    """An osmosis evolution of one image (Eq. 26) with the numbers ``driftscale osmosis`` prints.

    Attributes
    ----------
    image : str
        What was evolved: ``"cat"``, a file name, or ``"array HxW[xC]"``.
    guidance : str
        ``"noise"`` or the name of the guidance image.
    offset : float
        Offset of the noise guidance (unused for a guidance image).
    method : {"exact", "implicit", "explicit"}
        How ``exp(tA) f`` was computed; ``tau`` is the step of the time-stepping methods.
    tau : float or None
    seed : int or None
        The seed (``None`` when a Generator was passed).
    value_scale : ValueScale
        Raw ``[0, 255]`` to the positive osmosis range ``[1, 256]``.
    times : ndarray of float64, shape (K,)
    f, v, w : ndarray of float64, shape (H, W) or (H, W, C)
        The scaled image, the guidance and the steady state :math:`(\\mu_f/\\mu_v)\\, v`.
    frames : ndarray of float64, shape ``(K, *f.shape)``
        ``u(t)`` at ``times``.
    mean, relative_mass_error, minimum, maximum, relative_entropy, distance_to_steady_state :
        ndarray of float64, shape (K,)
        Per frame: the mean, ``|sum u - sum f| / sum f``, the extremes, :math:`L(t)` of
        Eq. (28) and ``|u - w| / |w|``.
    """

    image: str
    guidance: str
    offset: float
    method: str
    tau: float | None
    seed: int | None
    value_scale: ValueScale
    times: FloatArray
    f: FloatArray
    v: FloatArray
    w: FloatArray
    frames: FloatArray
    mean: FloatArray
    relative_mass_error: FloatArray
    minimum: FloatArray
    maximum: FloatArray
    relative_entropy: FloatArray
    distance_to_steady_state: FloatArray

    @property
    def labels(self) -> list[str]:
        """One label per frame: its time."""
        return [time_label(t) for t in self.times]

    @property
    def caption(self) -> str:
        """How the evolution was made: the guidance (offset, seed), the method, the values."""
        if self.guidance == "noise":
            what = (
                f"canonical drift of Gaussian noise v = {self.offset:g} + N(0, 1) (offset "
                f"{self.offset:g}, seed {self.seed})"
            )
        else:
            what = f"canonical drift of the guidance image {self.guidance}"
        tau = "default" if self.tau is None else f"{self.tau:g}"
        how = (
            "exact exp(tA) f, rtol 1e-10"
            if self.method == "exact"
            else f"{self.method} Euler, tau = {tau}"
        )
        return f"osmosis (Eq. 26), {what}; {how}; values [1, 256] shown as [0, 255]"

    def summary(self) -> dict[str, Any]:
        """The numbers of the evolution (``to_dict()`` without the command name)."""
        if self.guidance == "noise":
            guidance: dict[str, Any] = {"kind": "noise", "offset": self.offset, "seed": self.seed}
        else:
            guidance = {"kind": "image", "path": self.guidance, "scale": "positive"}
        return {
            "image": self.image,
            "shape": list(self.f.shape),
            "scale": self.value_scale.to_dict(),
            "guidance": guidance,
            "method": self.method,
            "tau": self.tau,
            "exact_rtol": EXACT_RTOL if self.method == "exact" else None,
            "seed": self.seed,
            "times": self.times.tolist(),
            "mass": float(self.f.sum()),
            "frames": [
                {
                    "time": float(t),
                    "mean": float(m),
                    "relative_mass_error": float(err),
                    "min": float(lo),
                    "max": float(hi),
                    "relative_entropy_eq28": float(ent),
                    "distance_to_steady_state": float(dist),
                }
                for t, m, err, lo, hi, ent, dist in zip(
                    self.times,
                    self.mean,
                    self.relative_mass_error,
                    self.minimum,
                    self.maximum,
                    self.relative_entropy,
                    self.distance_to_steady_state,
                    strict=True,
                )
            ],
        }

    def format_table(self) -> str:
        """The terminal report: per frame the time, the mean (conserved), the minimum (positive),
        :math:`L(t)` of Eq. (28) (increasing) and the distance to the steady state."""
        return "\n".join(
            f"  t {fr['time']:>9g}  mean {fr['mean']:.10g}  min {fr['min']:8.4f}  "
            f"L(t) {fr['relative_entropy_eq28']:+.5g}  "
            f"|u-w|/|w| {fr['distance_to_steady_state']:.4f}"
            for fr in self.summary()["frames"]
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``driftscale osmosis --json`` payload (without the output paths)."""
        return {"command": "osmosis", **self.summary()}


def _guidance(
    guidance: Any, f: FloatArray, *, offset: float, grey: bool, rng: np.random.Generator
) -> tuple[FloatArray, str]:
    """The positive guidance ``v`` and its name: noise ``offset + N(0, 1)`` or an image."""
    if isinstance(guidance, str) and guidance == "noise":
        return noise_guidance(f.shape, offset=offset, rng=rng), "noise"
    graw, name = image_input(guidance, grey=grey or f.ndim == 2, name="guidance")
    return ValueScale.fit(graw, kind="positive").apply(graw), name


def _work_units(times: FloatArray, method: str, tau: float | None, channels: int) -> int:
    """Length of the progress bar: callbacks of ``Osmosis.trajectory`` over every channel."""
    positive = times[times > 0]
    if positive.size == 0 or method == "explicit":
        return 0
    if method == "exact":  # one Chebyshev group plus at most one Lanczos band per factor 100
        return (1 + len(time_bands(np.unique(positive)))) * channels
    return int(np.ceil(positive.max() / (1.0 if tau is None else tau))) * channels


def _evolve(
    raw: FloatArray,
    name: str,
    *,
    guidance: Any,
    offset: float,
    times: FloatArray,
    method: str,
    tau: float | None,
    grey: bool,
    seed: Seed,
    guidance_rng: np.random.Generator,
    progress: bool,
) -> OsmosisResult:
    value_scale = ValueScale.fit(raw, kind="positive")
    f = value_scale.apply(raw)
    v, guidance_name = _guidance(guidance, f, offset=offset, grey=grey, rng=guidance_rng)
    process = Osmosis(guidance=v)
    total = _work_units(times, method, tau, 1 if f.ndim == 2 else f.shape[2])
    with progress_bar(total, f"osmosis ({method})", quiet=not progress or total == 0) as bar:
        frames = process.trajectory(
            f, times.tolist(), method=method, tau=tau, callback=lambda k: bar.update(1)
        )
    w = process.steady_state(f)
    mass = f.sum()
    return OsmosisResult(
        image=name,
        guidance=guidance_name,
        offset=float(offset),
        method=method,
        tau=tau,
        seed=recorded_seed(seed),
        value_scale=value_scale,
        times=times,
        f=f,
        v=v,
        w=w,
        frames=frames,
        mean=np.array([u.mean() for u in frames]),
        relative_mass_error=np.array([abs(u.sum() - mass) / mass for u in frames]),
        minimum=np.array([u.min() for u in frames]),
        maximum=np.array([u.max() for u in frames]),
        relative_entropy=np.array([osmosis_relative_entropy(u, w) for u in frames]),  # Eq. (28)
        distance_to_steady_state=np.array(
            [np.linalg.norm(u - w) / np.linalg.norm(w) for u in frames]
        ),
    )


def run_osmosis(
    image: Any = "cat",
    *,
    guidance: Any = "noise",
    offset: float = 6.0,
    times: Sequence[float] = DEFAULT_OSMOSIS_TIMES,
    method: str = "exact",
    tau: float | None = None,
    grey: bool = False,
    rng: RNGLike = None,
    progress: bool = False,
) -> OsmosisResult:
    """Evolve an image by linear osmosis, Eq. (26), and measure each frame.

    Parameters
    ----------
    image : str, path or array_like
        ``"cat"`` (embedded), an image file, or raw values on ``[0, 255]`` of shape ``(H, W)``
        or ``(H, W, C)``.
    guidance : "noise", str, path or array_like
        ``"noise"``: positive Gaussian noise ``v = offset + N(0, 1)`` (Fig. 1); otherwise a
        guidance image (file or raw array on ``[0, 255]``) of the same size.
    offset : float
        Offset of the noise guidance: keeps ``v`` positive and sets the steady state's contrast
        (about ``1 / offset``).
    times : sequence of float
        Sorted times ``t >= 0``; 0 is the image.
    method : {"exact", "implicit", "explicit"}
        See :class:`driftscale.osmosis.Osmosis`.
    tau : float, optional
        Step of ``implicit`` (default 1) and ``explicit`` (default: its stability bound).
    grey : bool
        Convert image files to grey.
    rng : {numpy.random.Generator, int, None}, optional
        Seed of the noise guidance; ``None`` draws a seed and records it in the result.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    OsmosisResult
    """
    t = check_times(times, name="times")
    check_choice(method, name="method", choices=METHODS)
    if tau is not None and (isinstance(tau, bool) or not (np.isfinite(tau) and tau > 0)):
        raise ValueError(f"`tau` must be a positive finite step size, got {tau!r}")
    seed = resolve_seed(rng)
    raw, name = image_input(image, grey=grey)
    return _evolve(
        raw,
        name,
        guidance=guidance,
        offset=offset,
        times=t,
        method=method,
        tau=tau,
        grey=grey,
        seed=seed,
        guidance_rng=spawn(seed, 2)[1],
        progress=progress,
    )


@dataclass(frozen=True)
class Fig1Result:
    """Fig. 1 of Peter 2023: a forward trajectory (row a) and an osmosis evolution (row b).

    Attributes
    ----------
    image : str
        What was evolved.
    seed : int or None
        The seed of both rows (``None`` when a Generator was passed).
    beta : float
        The constant beta of row (a) (the paper's 0.02).
    schedule : Schedule
        Constant ``beta`` with ``T = max(1000, max(steps))``.
    steps : ndarray of int64, shape (K,)
    alpha_bar : ndarray of float64, shape (K,)
        :math:`\\bar\\alpha_i = (1 - \\beta)^i` at ``steps`` (Eq. 5).
    unit_scale : ValueScale
        Raw ``[0, 255]`` to ``[-1, 1]``, the scaling of row (a).
    diffusion : ndarray of float64, shape ``(K, *image_shape)``
        Row (a): ``u_i`` at ``steps`` (exact jumps).
    diffusion_std : ndarray of float64, shape (K,)
        Standard deviation of each frame of row (a).
    osmosis : OsmosisResult
        Row (b).
    """

    image: str
    seed: int | None
    beta: float
    schedule: Schedule
    steps: np.ndarray
    alpha_bar: FloatArray
    unit_scale: ValueScale
    diffusion: FloatArray
    diffusion_std: FloatArray
    osmosis: OsmosisResult

    title = "Probabilistic diffusion and osmosis (Peter 2023, Fig. 1)"

    @property
    def caption(self) -> str:
        """How both rows were made: beta, seed, and the osmosis caption."""
        return (
            f"(a) forward chain Eq. (4) with beta = {self.beta:g}, i = number of steps "
            f"(exact jumps, seed {self.seed}); (b) {self.osmosis.caption}."
        )

    def rows(self) -> tuple[Any, Any]:
        """The two :class:`~driftscale.figures.strips.StripRow` of the figure, (a) and (b)."""
        from driftscale.figures.strips import StripRow

        return (
            StripRow(
                self.diffusion,
                [f"i = {s}" for s in self.steps],
                "(a) probabilistic diffusion",
                self.unit_scale,
            ),
            StripRow(
                self.osmosis.frames, self.osmosis.labels, "(b) osmosis", self.osmosis.value_scale
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``driftscale compare --json`` payload (without the output paths)."""
        return {
            "command": "compare",
            "image": self.image,
            "seed": self.seed,
            "diffusion": {
                "schedule": self.schedule.to_dict(),
                "steps": self.steps.tolist(),
                "alpha_bar": self.alpha_bar.tolist(),
                "frame_std": self.diffusion_std.tolist(),
            },
            "osmosis": self.osmosis.summary(),
            "caption": self.caption,
        }


def run_fig1(
    image: Any = "cat",
    *,
    steps: Sequence[int] = DEFAULT_FIG1_STEPS,
    times: Sequence[float] = DEFAULT_FIG1_TIMES,
    beta: float = 0.02,
    offset: float = 6.0,
    method: str = "exact",
    grey: bool = False,
    rng: RNGLike = None,
    progress: bool = False,
) -> Fig1Result:
    """The paper's Fig. 1: the forward chain (constant ``beta``) and osmosis on the same image.

    Parameters
    ----------
    image : str, path or array_like
        ``"cat"`` (embedded), an image file, or raw values on ``[0, 255]``.
    steps : sequence of int
        Sorted diffusion steps of row (a); the schedule has ``T = max(1000, max(steps))``.
    times : sequence of float
        Sorted osmosis times of row (b).
    beta : float
        Constant beta of the diffusion (the paper's 0.02).
    offset : float
        Offset of the noise guidance ``v = offset + N(0, 1)`` of row (b).
    method : {"exact", "implicit", "explicit"}
        Osmosis time integration (``implicit`` with step 1, ``explicit`` at its bound).
    grey : bool
        Convert an image file to grey.
    rng : {numpy.random.Generator, int, None}, optional
        Seed of both rows; ``None`` draws a seed and records it in the result.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    Fig1Result
    """
    schedule = Schedule.constant(beta, T=max(1000, int(np.max(steps))) if len(steps) else 1000)
    steps_arr = check_steps(steps, T=schedule.T, name="steps")
    t = check_times(times, name="times")
    check_choice(method, name="method", choices=METHODS)
    seed = resolve_seed(rng)
    diffusion_rng, guidance_rng = spawn(seed, 2)
    raw, name = image_input(image, grey=grey)
    unit = ValueScale.fit(raw, kind="unit")
    diffusion = ProbabilisticDiffusion(schedule).trajectory(
        unit.apply(raw), steps_arr.tolist(), rng=diffusion_rng
    )
    osmosis = _evolve(
        raw,
        name,
        guidance="noise",
        offset=offset,
        times=t,
        method=method,
        tau=None,
        grey=grey,
        seed=seed,
        guidance_rng=guidance_rng,
        progress=progress,
    )
    return Fig1Result(
        image=name,
        seed=recorded_seed(seed),
        beta=float(beta),
        schedule=schedule,
        steps=steps_arr,
        alpha_bar=schedule.alpha_bar[steps_arr],
        unit_scale=unit,
        diffusion=diffusion,
        diffusion_std=np.array([x.std() for x in diffusion]),
        osmosis=osmosis,
    )
