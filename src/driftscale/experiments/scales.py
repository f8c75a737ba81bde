"""The scale slider of the report: Fig. 1 of Peter 2023 at about 40 log-spaced scales.

:func:`run_scales` evolves one image by the forward chain (Eq. 4, constant beta, exact jumps)
and by osmosis (Eq. 26, canonical drift of positive noise, exact in time), both at
``num_scales`` scales that are log-spaced (step ``i`` up to ``T``, time ``t`` up to
``max_time``), and measures every frame: for osmosis the mean, the relative mass error, the
Lyapunov value :math:`L(t)` of Eq. (28) and the distance to the steady state
:math:`w = (\\mu_f/\\mu_v)\\, v`; for diffusion the mean against its expectation
:math:`\\sqrt{\\bar\\alpha_i}\\,\\bar f` (Eq. 5), the relative entropy of
:math:`p(u_i \\mid u_0 = f)` to the steady state N(0, I) (closed form, the diffusion counterpart
of Eq. 28) and the Kolmogorov-Smirnov distance of the frame's pixel values to N(0, 1). The report
(``driftscale demo``, ``driftscale report``) shows the frames under one slider with these numbers;
it never computes them itself.

Examples
--------
>>> from driftscale.experiments.scales import scale_grid
>>> steps, times = scale_grid(6, T=1000, min_time=0.1, max_time=1e5)
>>> steps.tolist(), times.tolist()
([0, 1, 6, 32, 178, 1000], [0.0, 0.1, 3.1622776601683795, 100.0, 3162.2776601683795, 100000.0])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscale.data import ValueScale, load_image
from driftscale.experiments._inputs import image_input
from driftscale.experiments.fig1 import Fig1Result, run_fig1
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "DEFAULT_SCALES_SHAPE",
    "ScalesResult",
    "conditional_relative_entropy",
    "ks_distance_to_standard_normal",
    "run_scales",
    "scale_grid",
]

DEFAULT_SCALES_SHAPE: tuple[int, int] = (150, 226)  # half the cat: 2 x 40 frames stay small


def scale_grid(
    num_scales: int, *, T: int, min_time: float, max_time: float
) -> tuple[np.ndarray, FloatArray]:
    """``num_scales`` diffusion steps and osmosis times, both starting at 0, log-spaced after.

    The times are ``0`` and ``numpy.geomspace(min_time, max_time, num_scales - 1)``. The steps are
    ``0`` and ``numpy.geomspace(1, T, num_scales - 1)`` rounded, each raised to one above the
    previous where rounding would repeat a step (so the first steps are 1, 2, 3, ...); the last
    step is ``T``.

    Parameters
    ----------
    num_scales : int
        Number of frames of each process, ``3 <= num_scales <= T + 1``.
    T : int
        Last diffusion step.
    min_time, max_time : float
        First positive and last osmosis time, ``0 < min_time < max_time``.

    Returns
    -------
    steps : ndarray of int64, shape (num_scales,)
    times : ndarray of float64, shape (num_scales,)
    """
    if isinstance(T, bool) or not isinstance(T, int | np.integer) or T < 2:
        raise ValueError(f"`T` must be an integer >= 2, got {T!r}")
    if isinstance(num_scales, bool) or not isinstance(num_scales, int | np.integer):
        raise TypeError(f"`num_scales` must be an integer, got {num_scales!r}")
    if not 3 <= num_scales <= T + 1:
        raise ValueError(f"`num_scales` must lie in [3, T + 1 = {T + 1}], got {num_scales}")
    if not (np.isfinite(min_time) and np.isfinite(max_time) and 0 < min_time < max_time):
        raise ValueError(
            f"`min_time` and `max_time` must satisfy 0 < min_time < max_time, got "
            f"{min_time!r} and {max_time!r}"
        )
    steps = [0]
    for value in np.rint(np.geomspace(1, T, num_scales - 1)).astype(np.int64):
        steps.append(max(int(value), steps[-1] + 1))  # never exceeds T (convexity of T^x)
    times = np.concatenate([[0.0], np.geomspace(min_time, max_time, num_scales - 1)])
    return np.asarray(steps, dtype=np.int64), times


def conditional_relative_entropy(f: Any, alpha_bar: Any) -> FloatArray:
    r""":math:`KL(p(u_i \mid u_0 = f) \,\|\, \mathcal N(0, I))` in nats, closed form.

    By Eq. (5), :math:`p(u_i \mid u_0 = f) = \mathcal N(\sqrt{\bar\alpha_i} f,
    (1 - \bar\alpha_i) I)`; its relative entropy to the steady state N(0, I) (Prop. 4) is
    :math:`\tfrac12(\bar\alpha \|f\|^2 - n\bar\alpha - n \ln(1 - \bar\alpha))`, infinite at
    :math:`\bar\alpha = 1` (the start, a point mass). It decreases to 0 along the chain: the
    diffusion counterpart of the osmosis Lyapunov functional, Eq. (28).

    Parameters
    ----------
    f : ndarray
        The scaled start ``u_0``, any shape (``n = f.size``).
    alpha_bar : float or ndarray
        :math:`\bar\alpha_i \in [0, 1]`, one or several.

    Returns
    -------
    ndarray of float64, the shape of ``alpha_bar``

    Examples
    --------
    >>> float(conditional_relative_entropy(np.zeros(3), 0.0))
    0.0
    """
    f = np.asarray(f, dtype=np.float64)
    ab = np.asarray(alpha_bar, dtype=np.float64)
    if np.any((ab < 0) | (ab > 1)):
        raise ValueError(f"`alpha_bar` must lie in [0, 1], got {alpha_bar!r}")
    n, norm2 = f.size, float(np.sum(f * f))
    with np.errstate(divide="ignore"):  # ln 0 = -inf at alpha_bar = 1: KL of a point mass is inf
        log_1m = np.log1p(-ab)
    # KL(N(m, s2 I) || N(0, I)) = (n s2 + |m|^2 - n - n ln s2) / 2 with m = sqrt(ab) f, s2 = 1 - ab
    return 0.5 * (ab * norm2 - n * ab - n * log_1m)


def ks_distance_to_standard_normal(x: Any) -> float:
    """Kolmogorov-Smirnov distance of the values of ``x`` to N(0, 1): ``sup |F_n - Phi|``.

    Examples
    --------
    >>> round(ks_distance_to_standard_normal(np.array([0.0])), 3)
    0.5
    """
    from scipy.special import ndtr

    v = np.sort(np.asarray(x, dtype=np.float64).ravel())
    if v.size == 0:
        raise ValueError("`x` must hold at least one value, got an empty array")
    cdf = ndtr(v)
    k = np.arange(1, v.size + 1)
    # the empirical CDF jumps from (k - 1)/n to k/n at the k-th smallest value
    return float(max(np.max(k / v.size - cdf), np.max(cdf - (k - 1) / v.size)))


def _uint8(frames: FloatArray, scale: ValueScale) -> np.ndarray:
    lo, hi = scale.data_range
    raw = np.clip(scale.invert(frames), lo, hi)
    return np.rint((raw - lo) * (255.0 / (hi - lo))).astype(np.uint8)


@dataclass(frozen=True)
class ScalesResult:
    """Both processes at ``num_scales`` log-spaced scales, with each frame's numbers.

    Attributes
    ----------
    fig1 : Fig1Result
        The frames: ``fig1.diffusion`` (Eq. 4, at ``fig1.steps``, values on [-1, 1]) and
        ``fig1.osmosis`` (Eq. 26, at ``fig1.osmosis.times``, values on [1, 256], with its mean,
        relative mass error, :math:`L(t)` of Eq. (28) and distance to the steady state).
    shape : (int, int)
        The image size the cat was resized to (``None`` for an image given as an array).
    diffusion_mean, diffusion_expected_mean, diffusion_std : ndarray of float64, shape (K,)
        Per diffusion frame: its mean, :math:`\\sqrt{\\bar\\alpha_i}\\,\\bar f` (Eq. 5), its
        standard deviation.
    diffusion_relative_entropy : ndarray of float64, shape (K,)
        :func:`conditional_relative_entropy` at each step (``inf`` at step 0).
    diffusion_ks_distance : ndarray of float64, shape (K,)
        :func:`ks_distance_to_standard_normal` of each frame.
    """

    fig1: Fig1Result
    shape: tuple[int, int] | None
    diffusion_mean: FloatArray
    diffusion_expected_mean: FloatArray
    diffusion_std: FloatArray
    diffusion_relative_entropy: FloatArray
    diffusion_ks_distance: FloatArray

    @property
    def num_scales(self) -> int:
        """Number of frames of each process."""
        return int(self.fig1.steps.size)

    def display_frames(self) -> tuple[np.ndarray, np.ndarray]:
        """The frames as shown: raw values on [0, 255] rounded to ``uint8`` (clipped for display
        only), diffusion ``(K, H, W[, C])`` and osmosis ``(K, H, W[, C])``."""
        osm = self.fig1.osmosis
        return _uint8(self.fig1.diffusion, self.fig1.unit_scale), _uint8(
            osm.frames, osm.value_scale
        )

    def _diffusion_frames(self) -> list[dict[str, Any]]:
        return [
            {
                "step": int(i),
                "alpha_bar": float(ab),
                "mean": float(m),
                "expected_mean": float(em),
                "std": float(s),
                "relative_entropy_to_steady_state": float(kl),
                "ks_distance_to_steady_state": float(ks),
            }
            for i, ab, m, em, s, kl, ks in zip(
                self.fig1.steps,
                self.fig1.alpha_bar,
                self.diffusion_mean,
                self.diffusion_expected_mean,
                self.diffusion_std,
                self.diffusion_relative_entropy,
                self.diffusion_ks_distance,
                strict=True,
            )
        ]

    def summary(self) -> dict[str, Any]:
        """The few numbers of ``summary.json``: the scales and each process at its last one."""
        osm = self.fig1.osmosis
        return {
            "num_scales": self.num_scales,
            "shape": list(osm.f.shape),
            "steps": self.fig1.steps.tolist(),
            "times": osm.times.tolist(),
            "osmosis_max_relative_mass_error": float(osm.relative_mass_error.max()),
            "osmosis_min_value": float(osm.minimum.min()),
            "osmosis_last_distance_to_steady_state": float(osm.distance_to_steady_state[-1]),
            "diffusion_last_relative_entropy": float(self.diffusion_relative_entropy[-1]),
            "diffusion_last_ks_distance": float(self.diffusion_ks_distance[-1]),
        }

    def to_dict(self) -> dict[str, Any]:
        """Every frame's numbers, both processes (the arrays are on the result)."""
        fig1 = self.fig1
        return {
            "command": "scales",
            "image": fig1.image,
            "seed": fig1.seed,
            "num_scales": self.num_scales,
            "diffusion": {
                "schedule": fig1.schedule.to_dict(),
                "scale": fig1.unit_scale.to_dict(),
                "frames": self._diffusion_frames(),
            },
            "osmosis": fig1.osmosis.summary(),
        }


def run_scales(
    image: Any = "cat",
    *,
    num_scales: int = 40,
    shape: tuple[int, int] | None = DEFAULT_SCALES_SHAPE,
    grey: bool = True,
    beta: float = 0.02,
    T: int = 1000,
    min_time: float = 0.1,
    max_time: float = 1e5,
    offset: float = 6.0,
    rng: RNGLike = None,
) -> ScalesResult:
    """Fig. 1 at ``num_scales`` log-spaced scales, every frame measured (see the module).

    Parameters
    ----------
    image : str, path or array_like
        ``"cat"``, an image file, or raw values on ``[0, 255]`` (used as they are: ``shape``
        and ``grey`` apply to names and files only).
    num_scales : int
        Frames per process (:func:`scale_grid`).
    shape : (int, int) or None
        Resize a named image or file to ``(H, W)`` (default: half the cat); ``None`` keeps its
        size. An array is used as it is.
    grey : bool
        Convert a named image or file to grey (one osmosis channel instead of three).
    beta : float
        The constant beta (the paper's 0.02).
    T : int
        The last step (the schedule has ``max(1000, T)`` steps, as in :func:`run_fig1`).
    min_time, max_time : float
        First positive and last osmosis time.
    offset : float
        Offset of the noise guidance ``v = offset + N(0, 1)``.
    rng : {numpy.random.Generator, int, None}, optional
        Seed of both processes (as :func:`~driftscale.experiments.fig1.run_fig1`).

    Returns
    -------
    ScalesResult
    """
    steps, times = scale_grid(num_scales, T=T, min_time=min_time, max_time=max_time)
    if isinstance(image, str | Path):
        raw, name = load_image(image, grey=grey, shape=shape), str(image)
    else:
        (raw, name), shape = image_input(image, grey=False), None
    fig1 = run_fig1(
        raw, steps=steps.tolist(), times=times.tolist(), beta=beta, offset=offset, rng=rng
    )
    fig1 = dataclasses.replace(  # name the image, not the array it was loaded into
        fig1, image=name, osmosis=dataclasses.replace(fig1.osmosis, image=name)
    )
    return _measure(fig1, shape)


def _measure(fig1: Fig1Result, shape: tuple[int, int] | None) -> ScalesResult:
    """The diffusion frames' numbers (osmosis measures its own in :func:`run_fig1`)."""
    f = fig1.diffusion[0]  # u_0 = f on [-1, 1] (step 0 is the image itself)
    frames = fig1.diffusion
    return ScalesResult(
        fig1=fig1,
        shape=None if shape is None else (int(shape[0]), int(shape[1])),
        diffusion_mean=frames.reshape(frames.shape[0], -1).mean(axis=1),
        diffusion_expected_mean=np.sqrt(fig1.alpha_bar) * f.mean(),  # Eq. (5)
        diffusion_std=fig1.diffusion_std,
        diffusion_relative_entropy=conditional_relative_entropy(f, fig1.alpha_bar),
        diffusion_ks_distance=np.array([ks_distance_to_standard_normal(u) for u in frames]),
    )
