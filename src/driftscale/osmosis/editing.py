r"""Osmosis for visual computing: shadow removal, seamless cloning and inpainting from a drift.

Linear osmosis (Eq. 26 of Peter 2023) keeps the canonical drift :math:`\mathbf d = \nabla v/v` of
an image invariant: ``v`` is its steady state up to the mass (Weickert et al. [1]_). Editing
means editing the drift and taking the steady state of the result, one linear solve
(:func:`~driftscale.osmosis.steady.solve_steady_state`):

- :func:`remove_shadow`: the drift of the image itself, set to zero on the faces of a band over
  the shadow boundary [1]_. Where a multiplicative shadow ``s`` is constant, the drift of
  ``s u`` equals that of ``u`` (:math:`\nabla \ln(s u) = \nabla \ln u`), so only the penumbra
  carries the shadow; without its drift, diffusion equalises the brightness across the band.
- :func:`clone`: the drift of the source inside the pasted region and of the target outside
  [1]_. ``mode="global"`` takes the steady state on the whole image with the mass of the
  copy-paste composite; the faces crossing the region's boundary carry the mean of both drifts
  (our choice: it is exact when the two images differ by a constant factor). ``mode="local"``
  keeps the target outside the region (Dirichlet data, d'Autume et al. [2]_) and uses the
  source's drift on every face that touches the region, as Poisson cloning uses the source's
  gradient (Perez et al. 2003).
- :func:`inpaint`: the drift kept only on the faces touching a sparse mask (e.g. edges) and
  zero elsewhere, plus the mean of each channel: the compact representation of [1]_.

Values: osmosis needs positive images. Every function takes images on their own scale (e.g.
``[0, 255]``), adds ``value_offset`` (default 1, as ``ValueScale(kind="positive")``), works on
the shifted image and subtracts the offset from the result. A larger offset weakens the drift
in dark regions (where noise dominates :math:`\nabla u / u`), at the price of the exact
invariance to multiplicative shadows. A face keeps or loses its drift as a whole; a face
"touches" a mask when one of its two pixels is in it. Colour images are processed channel-wise.

References
----------
.. [1] J. Weickert, K. Hagenburg, M. Breuss, O. Vogel, "Linear osmosis models for visual
       computing", EMMCVPR 2013, LNCS 8081, pp. 26-39.
.. [2] M. d'Autume, J.-M. Morel, E. Meinhardt-Llopis, "A flexible solution to the osmosis
       equation for seamless cloning and shadow removal", ICIP 2018.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from driftscale._validation import check_choice, check_image, check_positive_array
from driftscale.osmosis.operator import POSITIVE_FIX, DriftField, canonical_drift
from driftscale.osmosis.steady import SteadyMethod, SteadyState, solve_steady_state
from driftscale.typing import FloatArray

__all__ = ["EditResult", "clone", "face_masks", "inpaint", "paste", "remove_shadow"]

CloneMode = Literal["global", "local"]
Progress = bool | Callable[[int], Any] | None
MODES = ("global", "local")


@dataclass(frozen=True)
class EditResult:
    """An edited image and the steady state it came from.

    Attributes
    ----------
    image : ndarray of float64
        The edited image, on the scale of the input (``value_offset`` removed).
    initial : ndarray of float64
        What osmosis starts from, same scale: the input (shadow, inpainting) or the copy-paste
        composite (cloning); its mass per channel is the result's (global modes).
    region : ndarray of bool, shape (H, W)
        The shadow band, the pasted region in the target, or the pixels whose drift is kept.
    drift : DriftField
        The edited drift, on the shifted image ``image + value_offset``.
    steady : SteadyState
        The solver's report: residual, mass error, minimum, method, iterations.
    """

    image: FloatArray
    initial: FloatArray
    region: np.ndarray
    drift: DriftField
    steady: SteadyState


def face_masks(mask: Any, *, name: str = "mask") -> tuple[np.ndarray, np.ndarray]:
    """Faces touching a pixel mask: ``m1`` of shape (H - 1, W), ``m2`` of shape (H, W - 1).

    Examples
    --------
    >>> m1, m2 = face_masks(np.array([[True, False], [False, False]]))
    >>> m1.tolist(), m2.tolist()
    ([[True, False]], [[True], [False]])
    """
    mask = _check_mask(mask, name=name)
    return mask[1:] | mask[:-1], mask[:, 1:] | mask[:, :-1]


def remove_shadow(
    image: Any,
    boundary_mask: Any,
    *,
    value_offset: float = 1.0,
    method: SteadyMethod = "auto",
    progress: Progress = None,
) -> EditResult:
    r"""Remove a shadow (or a light spot) whose boundary band is ``boundary_mask``.

    The method of Weickert, Hagenburg, Breuss and Vogel 2013 (see the module docstring).

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C)
        The image with the shadow, e.g. on ``[0, 255]``; ``image + value_offset > 0``.
    boundary_mask : ndarray of bool, shape (H, W)
        A band covering the shadow boundary (the penumbra), a few pixels wide.
    value_offset : float
        Added before and subtracted after osmosis (module docstring).
    method : {"auto", "direct", "amg"}
        Solver of the steady state.
    progress : bool or callable, optional
        Progress over the channels (see :func:`solve_steady_state`).

    Returns
    -------
    EditResult
        ``image`` float64 of the input's shape; its mean per channel is that of the input.

    Examples
    --------
    >>> u = np.array([[10.0, 10.0, 5.0, 5.0]])
    >>> band = np.array([[False, True, True, False]])
    >>> np.round(remove_shadow(u, band).image, 6)
    array([[7.5, 7.5, 7.5, 7.5]])
    """
    u, offset = _shifted(image, value_offset, name="image")
    band = _check_mask(boundary_mask, name="boundary_mask", shape=u.shape[:2])
    field = canonical_drift(u)
    m1, m2 = face_masks(band, name="boundary_mask")
    # Weickert et al. 2013: zero drift on the shadow boundary, the image's own drift elsewhere
    drift = DriftField(d1=_zero_on(field.d1, m1), d2=_zero_on(field.d2, m2))
    steady = solve_steady_state(drift, u, method=method, guess=u, progress=progress)
    return EditResult(steady.image - offset, u - offset, band, drift, steady)


def paste(source: Any, target: Any, mask: Any, *, offset: Any = (0, 0)) -> tuple[FloatArray, ...]:
    """Copy-paste ``source[mask]`` into ``target`` at ``offset = (dy, dx)``.

    Returns
    -------
    composite : ndarray of float64, the shape of ``target``
    placed : ndarray of float64, the shape of ``target``
        The source moved by ``offset``, NaN where it does not cover the target.
    region : ndarray of bool, shape (H, W) of the target
        The pasted pixels.
    """
    source = check_image(source, name="source")
    target = check_image(target, name="target")
    if source.shape[2:] != target.shape[2:]:
        raise ValueError(
            f"`source` and `target` must have the same channels, got {source.shape} and "
            f"{target.shape}; convert both to grey or both to colour"
        )
    mask = _check_mask(mask, name="mask", shape=source.shape[:2], nonempty=True)
    dy, dx = _check_offset(offset)
    ys, xs = np.nonzero(mask)
    H, W = target.shape[:2]
    ty, tx = ys + dy, xs + dx
    if ty.min() < 0 or tx.min() < 0 or ty.max() >= H or tx.max() >= W:
        raise ValueError(
            f"`offset` {(dy, dx)} moves the masked pixels (rows {ys.min()}..{ys.max()}, columns "
            f"{xs.min()}..{xs.max()}) outside the target of shape {(H, W)}; choose an offset "
            "that keeps the region inside"
        )
    placed = np.full(target.shape, np.nan)
    Hs, Ws = source.shape[:2]
    y0, x0 = max(dy, 0), max(dx, 0)
    y1, x1 = min(dy + Hs, H), min(dx + Ws, W)
    placed[y0:y1, x0:x1] = source[y0 - dy : y1 - dy, x0 - dx : x1 - dx]
    region = np.zeros((H, W), dtype=bool)
    region[ty, tx] = True
    composite = target.copy()
    composite[region] = placed[region]
    return composite, placed, region


def clone(
    source: Any,
    target: Any,
    mask: Any,
    *,
    offset: Any = (0, 0),
    mode: CloneMode = "global",
    value_offset: float = 1.0,
    method: SteadyMethod = "auto",
    progress: Progress = None,
) -> EditResult:
    r"""Seamless cloning of ``source[mask]`` into ``target`` at ``offset`` by osmosis.

    Weickert, Hagenburg, Breuss and Vogel 2013; ``mode="local"`` as d'Autume, Morel and
    Meinhardt-Llopis 2018 (see the module docstring).

    Parameters
    ----------
    source, target : ndarray of shape (H, W) or (H, W, C)
        Images on the same scale (e.g. ``[0, 255]``) with the same channels.
    mask : ndarray of bool, shape of the source's (H, W)
        The pixels of the source to clone.
    offset : (int, int)
        ``(dy, dx)``: source pixel ``(y, x)`` lands on target pixel ``(y + dy, x + dx)``.
    mode : {"global", "local"}
        Steady state on the whole image, or only inside the region with the target fixed
        outside (module docstring).
    value_offset : float
        Added before and subtracted after osmosis.
    method : {"auto", "direct", "amg"}
        Solver of the steady state.
    progress : bool or callable, optional
        Progress over the channels (see :func:`solve_steady_state`).

    Returns
    -------
    EditResult
        ``image`` of the target's shape; ``initial`` is the copy-paste composite.
    """
    check_choice(mode, name="mode", choices=MODES)
    composite, placed, region = paste(source, target, mask, offset=offset)
    if region.all() and mode == "local":
        raise ValueError("`mask` covers the whole target: mode='local' has no target left to keep")
    u, shift = _shifted(composite, value_offset, name="composite of source and target")
    t_pos = check_positive_array(target + shift, name="target + value_offset", fix=POSITIVE_FIX)
    d_target = canonical_drift(t_pos)
    s_pos = np.where(np.isnan(placed), 1.0, placed + shift)  # 1 where the source is absent
    check_positive_array(s_pos, name="source + value_offset", fix=POSITIVE_FIX)
    d_source = canonical_drift(s_pos)
    covered = ~np.isnan(placed if placed.ndim == 2 else placed[..., 0])
    faces = []
    for axis, (ds, dt) in enumerate(((d_source.d1, d_target.d1), (d_source.d2, d_target.d2))):
        inside, cross, has_source = _face_classes(region, covered, axis)
        if ds.ndim == 3:
            inside, cross, has_source = inside[..., None], cross[..., None], has_source[..., None]
        boundary = 0.5 * (ds + dt) if mode == "global" else ds  # crossing faces
        d = np.where(inside, ds, dt)
        faces.append(np.where(cross & has_source, boundary, d))
    drift = DriftField(d1=faces[0], d2=faces[1])
    fixed = None if mode == "global" else ~region
    steady = solve_steady_state(drift, u, fixed=fixed, method=method, guess=u, progress=progress)
    image = steady.image - shift
    if fixed is not None:
        image[fixed] = target[fixed]  # the Dirichlet data, bit for bit (not (t + c) - c)
    return EditResult(image, composite, region, drift, steady)


def inpaint(
    image: Any,
    mask: Any,
    *,
    value_offset: float = 1.0,
    method: SteadyMethod = "auto",
    progress: Progress = None,
) -> EditResult:
    r"""Reconstruct an image from its drift on the faces touching ``mask`` and its mean.

    The compact data representation of Weickert, Hagenburg, Breuss and Vogel 2013 (see the module
    docstring).

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C)
        The image whose drift (and mean per channel) is kept.
    mask : ndarray of bool, shape (H, W)
        Pixels whose faces keep the drift (e.g. dilated Canny edges); all True reproduces the
        image (its canonical drift has it as the steady state).
    value_offset : float
        Added before and subtracted after osmosis.
    method : {"auto", "direct", "amg"}
        Solver of the steady state. The AMG scaling uses no knowledge of the image: only the
        kept drift and the mean enter the reconstruction.
    progress : bool or callable, optional
        Progress over the channels (see :func:`solve_steady_state`).

    Returns
    -------
    EditResult
        ``image`` float64 of the input's shape, the reconstruction.
    """
    u, offset = _shifted(image, value_offset, name="image")
    keep = _check_mask(mask, name="mask", shape=u.shape[:2])
    field = canonical_drift(u)
    m1, m2 = face_masks(keep)
    drift = DriftField(d1=_zero_on(field.d1, ~m1), d2=_zero_on(field.d2, ~m2))
    mean_only = np.broadcast_to(u.mean(axis=(0, 1)), u.shape)  # the decoder knows the mean only
    steady = solve_steady_state(drift, mean_only, method=method, progress=progress)
    return EditResult(steady.image - offset, u - offset, keep, drift, steady)


# --------------------------------------------------------------------------------- helpers
def _shifted(image: Any, value_offset: Any, *, name: str) -> tuple[FloatArray, float]:
    if isinstance(value_offset, bool) or not isinstance(
        value_offset, int | float | np.integer | np.floating
    ):
        raise TypeError(f"`value_offset` must be a number, got {value_offset!r}")
    if not np.isfinite(value_offset):
        raise ValueError(f"`value_offset` must be finite, got {value_offset!r}")
    u = check_image(image, name=name) + float(value_offset)
    fix = "raise `value_offset` so that every value plus the offset is positive"
    return check_positive_array(u, name=f"{name} + value_offset", fix=fix), float(value_offset)


def _check_mask(
    mask: Any, *, name: str, shape: tuple[int, ...] | None = None, nonempty: bool = False
) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise TypeError(
            f"`{name}` must be a boolean array (True on the masked pixels), got dtype {arr.dtype}"
        )
    if arr.ndim != 2 or (shape is not None and arr.shape != tuple(shape)):
        want = f"shape {tuple(shape)}" if shape is not None else "a 2-D shape"
        raise ValueError(f"`{name}` must have {want}, got shape {arr.shape}")
    if nonempty and not arr.any():
        raise ValueError(f"`{name}` must mark at least one pixel, got an all-False mask")
    return arr


def _check_offset(offset: Any) -> tuple[int, int]:
    try:
        dy, dx = offset
        ok = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in (dy, dx))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise TypeError(f"`offset` must be a pair of integers (dy, dx), got {offset!r}")
    return int(dy), int(dx)


def _zero_on(d: FloatArray, faces: np.ndarray) -> FloatArray:
    return np.where(faces if d.ndim == 2 else faces[..., None], 0.0, d)


def _face_classes(
    region: np.ndarray, covered: np.ndarray, axis: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces along ``axis``: inside the region, crossing its boundary, with source on both sides."""
    lo = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
    hi = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
    inside = region[lo] & region[hi]
    cross = region[lo] ^ region[hi]
    return inside, cross, covered[lo] & covered[hi]
