"""Embedded editing examples with ground truth, built from scikit-image's Chelsea (no download).

- :func:`shadow_example`: a known smooth multiplicative shadow on the photo, so the shadow-free
  original is known; the boundary band is where the shadow factor changes.
- :func:`clone_example`: a patch of the photo cloned into a brightness- and colour-shifted copy
  of the same photo at the patch's own place, so the ideal result (the shifted copy) is known.
- :func:`inpaint_example`: the photo and its dilated Canny edges (the drift kept there).

Every example is deterministic (no randomness) and takes an optional ``shape`` (resized with
anti-aliasing) for fast runs; geometry scales with the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from driftscale.data import load_image
from driftscale.typing import FloatArray

__all__ = [
    "CLONE_GAIN",
    "CLONE_SHIFT",
    "SHADOW_DEPTH",
    "CloneExample",
    "InpaintExample",
    "ShadowExample",
    "canny_mask",
    "clone_example",
    "inpaint_example",
    "shadow_example",
]

SHADOW_DEPTH = 0.6  # the shadow keeps 40 % of the light in its umbra
PENUMBRA_PER_ROW = 1.0 / 150.0  # logistic width of the penumbra, in pixels per image row
BAND_WIDTHS = 3.5  # the band covers |r - R| <= 3.5 penumbra widths (shadow factor within 2 %)
CLONE_GAIN = (0.7, 0.8, 0.9)  # target = gain * photo + shift, per channel (R, G, B)
CLONE_SHIFT = (30.0, 10.0, 20.0)


@dataclass(frozen=True)
class ShadowExample:
    """A photo under a known shadow: ``image = factor * reference`` (raw values on [0, 255])."""

    image: FloatArray
    boundary_mask: np.ndarray
    reference: FloatArray
    shadow_region: np.ndarray
    factor: FloatArray
    name: str = "synthetic shadow on chelsea"


@dataclass(frozen=True)
class CloneExample:
    """A source crop, a shifted target and the ideal result of cloning the masked patch."""

    source: FloatArray
    target: FloatArray
    mask: np.ndarray
    offset: tuple[int, int]
    reference: FloatArray
    name: str = "chelsea patch into its shifted copy"


@dataclass(frozen=True)
class InpaintExample:
    """A photo and the mask of pixels whose drift is kept (dilated Canny edges)."""

    image: FloatArray
    mask: np.ndarray
    name: str = "chelsea from its Canny-edge drift"


def _photo(shape: tuple[int, int] | None, grey: bool) -> FloatArray:
    return load_image("cat", grey=grey, shape=shape)


def shadow_example(shape: tuple[int, int] | None = None, *, grey: bool = False) -> ShadowExample:
    """An elliptic shadow with a logistic penumbra over the cat's head.

    The factor is ``s = 1 - SHADOW_DEPTH * sigmoid((R - r) / w)`` with ``r`` an elliptic radius
    in pixels, ``R`` a quarter of the image height and ``w = max(0.5, H / 150)`` pixels; the
    band is ``|r - R| <= 3.5 w`` (at least one pixel each side), the shadowed region
    ``s < 0.99``.
    """
    reference = _photo(shape, grey)
    H, W = reference.shape[:2]
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    r = np.hypot(yy - 0.5 * H, (xx - 0.45 * W) * 0.75)
    radius, width = 0.25 * H, max(0.5, H * PENUMBRA_PER_ROW)
    factor = 1.0 - SHADOW_DEPTH / (1.0 + np.exp(-(radius - r) / width))
    band = np.abs(r - radius) <= max(BAND_WIDTHS * width, 1.0)
    scale = factor if reference.ndim == 2 else factor[..., None]
    return ShadowExample(
        image=scale * reference,
        boundary_mask=band,
        reference=reference,
        shadow_region=factor < 0.99,
        factor=factor,
    )


def clone_example(shape: tuple[int, int] | None = None, *, grey: bool = False) -> CloneExample:
    """The cat's head (an ellipse in a crop of the photo) cloned into the shifted photo.

    The target is ``gain * photo + shift`` per channel (``CLONE_GAIN``, ``CLONE_SHIFT``; grey:
    their means), a brightness and colour change with a multiplicative and an additive part. The
    source is the crop of the unshifted photo at ``offset`` = its top-left corner, so the ideal
    result is the target itself.
    """
    photo = _photo(shape, grey)
    H, W = photo.shape[:2]
    gain, shift = np.asarray(CLONE_GAIN), np.asarray(CLONE_SHIFT)
    if photo.ndim == 2:
        gain, shift = gain.mean(), shift.mean()
    target = gain * photo + shift
    y0, x0, h, w = int(0.1 * H), int(0.15 * W), int(0.6 * H), int(0.55 * W)
    source = photo[y0 : y0 + h, x0 : x0 + w].copy()
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    mask = np.hypot((yy - 0.5 * h) / (0.4 * h), (xx - 0.5 * w) / (0.4 * w)) < 1.0
    return CloneExample(
        source=source, target=target, mask=mask, offset=(y0, x0), reference=target.copy()
    )


def canny_mask(image: FloatArray, *, sigma: float = 1.0, dilate: int = 1) -> np.ndarray:
    """Canny edges of the luminance of ``image`` (raw [0, 255]), dilated ``dilate`` times."""
    from scipy.ndimage import binary_dilation
    from skimage.feature import canny

    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"`sigma` must be a positive number, got {sigma!r}")
    if isinstance(dilate, bool) or not isinstance(dilate, int | np.integer) or dilate < 0:
        raise ValueError(f"`dilate` must be a non-negative integer, got {dilate!r}")
    grey = image if image.ndim == 2 else image @ np.array([0.2125, 0.7154, 0.0721])
    edges = canny(grey / 255.0, sigma=sigma)
    if not edges.any():
        raise ValueError(f"Canny with sigma={sigma:g} finds no edge; use a smaller `sigma`")
    return binary_dilation(edges, iterations=dilate) if dilate else edges


def inpaint_example(
    shape: tuple[int, int] | None = None,
    *,
    grey: bool = False,
    sigma: float = 1.0,
    dilate: int = 1,
) -> InpaintExample:
    """The photo with its Canny edges (``sigma``), dilated ``dilate`` times."""
    image = _photo(shape, grey)
    return InpaintExample(image=image, mask=canny_mask(image, sigma=sigma, dilate=dilate))
