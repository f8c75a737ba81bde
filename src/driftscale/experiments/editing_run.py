"""Osmosis for visual computing as experiments: ``run_shadow``, ``run_clone``, ``run_inpaint``.

Each run loads its inputs (arrays, image files, or the embedded examples of
:mod:`driftscale.experiments.editing_examples` when no image is given), edits the drift, takes
the steady state (:mod:`driftscale.osmosis.editing`) and measures:

- the solver's relative residual and mass error, and the wall seconds of the edit;
- with a reference (the examples' ground truth, or ``reference=``): the PSNR (peak 255) of the
  input and of the result against it, over the whole image and over the edited region;
- cloning: the seam, i.e. the mean absolute difference across the faces of the region's
  boundary (``seam_jump``), divided by the mean absolute difference across the other faces
  within ``SEAM_WIDTH`` pixels of the boundary (``seam_ratio``: about 1 without a seam); with a
  reference also ``seam_error``, the mean of :math:`|\\Delta w - \\Delta w_{ref}|` across the
  boundary faces.

Results are frozen dataclasses: ``to_dict()`` is the ``--json`` payload, ``panels()`` the
before/after row of :func:`driftscale.figures.editing.before_after`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscale._validation import check_choice, check_image
from driftscale.data import load_image
from driftscale.experiments.editing_examples import (
    canny_mask,
    clone_example,
    inpaint_example,
    shadow_example,
)
from driftscale.figures.editing import Panel
from driftscale.osmosis.editing import MODES, EditResult, clone, inpaint, remove_shadow
from driftscale.osmosis.steady import METHODS
from driftscale.typing import FloatArray

__all__ = [
    "SEAM_WIDTH",
    "CloneResult",
    "InpaintResult",
    "ShadowResult",
    "psnr",
    "run_clone",
    "run_inpaint",
    "run_shadow",
    "seam_measures",
]

SEAM_WIDTH = 3  # pixels on each side of the boundary whose faces give the local gradient
PEAK = 255.0

ImageSource = str | Path | FloatArray | None


# ---------------------------------------------------------------------------------- measures
def psnr(image: Any, reference: Any, region: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio in dB, peak 255, over ``region`` (all pixels by default)."""
    err = (np.asarray(image, dtype=np.float64) - np.asarray(reference, dtype=np.float64)) ** 2
    if region is not None:
        err = err[region]
    mse = float(err.mean())
    return float("inf") if mse == 0.0 else float(10.0 * np.log10(PEAK**2 / mse))


def _face_diffs(image: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Differences across the faces along both axes, with a channel axis (one for grey)."""
    d1, d2 = np.diff(image, axis=0), np.diff(image, axis=1)
    if image.ndim == 3:
        return d1, d2
    return d1[..., None], d2[..., None]


def seam_measures(
    image: Any, region: np.ndarray, reference: Any = None, *, width: int = SEAM_WIDTH
) -> dict[str, float]:
    """Seam of a pasted ``region``: ``seam_jump``, ``seam_ratio`` and (with a reference)
    ``seam_error`` in grey levels (module docstring)."""
    from scipy.ndimage import binary_dilation

    image = np.asarray(image, dtype=np.float64)
    cross = (region[1:] ^ region[:-1], region[:, 1:] ^ region[:, :-1])
    touching = np.zeros(region.shape, dtype=bool)
    touching[1:] |= cross[0]
    touching[:-1] |= cross[0]
    touching[:, 1:] |= cross[1]
    touching[:, :-1] |= cross[1]
    near = binary_dilation(touching, iterations=width)
    near_faces = (near[1:] & near[:-1] & ~cross[0], near[:, 1:] & near[:, :-1] & ~cross[1])
    diffs = _face_diffs(image)
    jump = np.concatenate([np.abs(d[c]).ravel() for d, c in zip(diffs, cross, strict=True)])
    local = np.concatenate([np.abs(d[c]).ravel() for d, c in zip(diffs, near_faces, strict=True)])
    out = {"seam_jump": float(jump.mean()), "seam_ratio": float(jump.mean() / local.mean())}
    if reference is not None:
        ref = _face_diffs(np.asarray(reference, dtype=np.float64))
        err = [np.abs(d[c] - r[c]).ravel() for d, r, c in zip(diffs, ref, cross, strict=True)]
        out["seam_error"] = float(np.concatenate(err).mean())
    return out


# ------------------------------------------------------------------------------------ inputs
def _load(source: Any, *, grey: bool, name: str) -> FloatArray:
    """An image from an array (raw values) or a file (on [0, 255])."""
    if isinstance(source, str | Path):
        return load_image(Path(source), grey=grey)
    return check_image(source, name=name)


def _load_mask(source: Any, shape: tuple[int, ...], *, name: str) -> np.ndarray:
    """A mask from a boolean array or an image file (pixels brighter than 127.5 are masked)."""
    if isinstance(source, str | Path):
        mask = load_image(Path(source), grey=True) > 127.5
    else:
        mask = np.asarray(source)
        if mask.dtype != bool:
            raise TypeError(f"`{name}` must be a boolean array or an image file, got {mask.dtype}")
    if mask.shape != tuple(shape[:2]):
        raise ValueError(
            f"`{name}` of shape {mask.shape} must have the image's shape {tuple(shape[:2])}"
        )
    return mask


def _reference(reference: Any, shape: tuple[int, ...], *, grey: bool) -> FloatArray | None:
    if reference is None:
        return None
    ref = _load(reference, grey=grey, name="reference")
    if ref.shape != tuple(shape):
        raise ValueError(
            f"`reference` of shape {ref.shape} must have the result's shape {tuple(shape)}"
        )
    return ref


def _check_options(shape: Any, given: bool, solver: str) -> None:
    check_choice(solver, name="solver", choices=METHODS)
    if shape is not None and given:
        raise ValueError(
            "`shape` resizes the embedded example only; resize your own image and mask yourself"
        )


def _source_name(source: Any) -> str:
    return str(source) if isinstance(source, str | Path) else "array"


def _timed(edit: Any, **kwargs: Any) -> tuple[EditResult, float]:
    start = time.perf_counter()
    result = edit(**kwargs)
    return result, time.perf_counter() - start


def _psnr_block(before: Any, after: Any, ref: Any, region: np.ndarray | None) -> dict[str, float]:
    out = {"psnr_before": psnr(before, ref), "psnr_after": psnr(after, ref)}
    if region is not None:
        out["psnr_region_before"] = psnr(before, ref, region)
        out["psnr_region_after"] = psnr(after, ref, region)
    return out


# ------------------------------------------------------------------------------------ shadow
@dataclass(frozen=True)
class ShadowResult:
    """Shadow removal: the input, its band, the result, and the numbers."""

    image: FloatArray
    boundary_mask: np.ndarray
    result: FloatArray
    edit: EditResult
    seconds: float
    source: str
    value_offset: float
    reference: FloatArray | None = None
    shadow_region: np.ndarray | None = None

    def quality(self) -> dict[str, float]:
        """PSNR of input and result against the reference (whole image, shadowed region)."""
        if self.reference is None:
            return {}
        return _psnr_block(self.image, self.result, self.reference, self.shadow_region)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload."""
        return {
            "task": "shadow",
            "input": self.source,
            "shape": list(self.image.shape),
            "value_offset": self.value_offset,
            "band_pixels": int(self.boundary_mask.sum()),
            "solver": self.edit.steady.to_dict(),
            "seconds": self.seconds,
            "quality": self.quality(),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to save (``--npz``)."""
        out = {"image": self.image, "boundary_mask": self.boundary_mask, "result": self.result}
        if self.reference is not None:
            out["reference"] = self.reference
        if self.shadow_region is not None:
            out["shadow_region"] = self.shadow_region
        return out

    def panels(self) -> list[Panel]:
        """Input with its band, result, and the reference when known."""
        out = [
            Panel(self.image, "input, band outlined", self.boundary_mask),
            Panel(self.result, "osmosis: drift zero on the band"),
        ]
        if self.reference is not None:
            out.append(Panel(self.reference, "ground truth"))
        return out


def run_shadow(
    image: ImageSource = None,
    mask: Any = None,
    *,
    reference: ImageSource = None,
    value_offset: float = 1.0,
    solver: str = "auto",
    grey: bool = False,
    shape: tuple[int, int] | None = None,
    progress: bool | Callable[[int], Any] | None = None,
) -> ShadowResult:
    """Remove a shadow whose boundary band is ``mask`` (default: the embedded example).

    ``image`` is an array of raw values or an image file; without it the synthetic shadow of
    :func:`~driftscale.experiments.editing_examples.shadow_example` (resized to ``shape``) with
    its band, ground truth and shadowed region is used. ``progress`` (``True`` or a callable
    of the channels done) reports the solve.
    """
    _check_options(shape, image is not None, solver)
    region = None
    if image is None:
        ex = shadow_example(shape, grey=grey)
        f, band, ref, region, source = ex.image, ex.boundary_mask, ex.reference, None, ex.name
        region = ex.shadow_region
    else:
        if mask is None:
            raise ValueError("`mask` (the shadow boundary band) is required with your own image")
        f, source, ref = _load(image, grey=grey, name="image"), _source_name(image), None
    if mask is not None:
        band = _load_mask(mask, f.shape, name="mask")
    if reference is not None:
        ref = _reference(reference, f.shape, grey=grey)
    edit, seconds = _timed(
        remove_shadow, image=f, boundary_mask=band, value_offset=value_offset, method=solver,
        progress=progress,
    )  # fmt: skip
    return ShadowResult(f, band, edit.image, edit, seconds, source, value_offset, ref, region)


# ------------------------------------------------------------------------------------- clone
@dataclass(frozen=True)
class CloneResult:
    """Seamless cloning: the inputs, the copy-paste composite, the result, and the numbers."""

    source: FloatArray
    target: FloatArray
    mask: np.ndarray
    offset: tuple[int, int]
    mode: str
    result: FloatArray
    edit: EditResult
    seconds: float
    inputs: str
    value_offset: float
    reference: FloatArray | None = None

    @property
    def composite(self) -> FloatArray:
        """The copy-paste composite (the baseline)."""
        return self.edit.initial

    @property
    def region(self) -> np.ndarray:
        """The pasted pixels in the target."""
        return self.edit.region

    def quality(self) -> dict[str, Any]:
        """Seam of copy-paste and of the result; PSNR against the reference when known."""
        out: dict[str, Any] = {
            "copy_paste": seam_measures(self.composite, self.region, self.reference),
            "osmosis": seam_measures(self.result, self.region, self.reference),
        }
        if self.reference is not None:
            for key, img in (("copy_paste", self.composite), ("osmosis", self.result)):
                out[key]["psnr"] = psnr(img, self.reference)
                out[key]["psnr_region"] = psnr(img, self.reference, self.region)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload."""
        return {
            "task": "clone",
            "input": self.inputs,
            "shape": list(self.target.shape),
            "offset": list(self.offset),
            "mode": self.mode,
            "value_offset": self.value_offset,
            "region_pixels": int(self.region.sum()),
            "solver": self.edit.steady.to_dict(),
            "seconds": self.seconds,
            "quality": self.quality(),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to save (``--npz``)."""
        out = {
            "source": self.source,
            "target": self.target,
            "mask": self.mask,
            "composite": self.composite,
            "region": self.region,
            "result": self.result,
        }
        if self.reference is not None:
            out["reference"] = self.reference
        return out

    def panels(self) -> list[Panel]:
        """Source with its mask, target, copy-paste, result, and the ideal when known."""
        out = [
            Panel(self.source, "source, mask outlined", self.mask),
            Panel(self.target, "target"),
            Panel(self.composite, "copy-paste", self.region),
            Panel(self.result, f"osmosis cloning ({self.mode})"),
        ]
        if self.reference is not None:
            out.append(Panel(self.reference, "ideal result"))
        return out


def run_clone(
    source: ImageSource = None,
    target: ImageSource = None,
    mask: Any = None,
    *,
    offset: tuple[int, int] | None = None,
    mode: str = "global",
    reference: ImageSource = None,
    value_offset: float = 1.0,
    solver: str = "auto",
    grey: bool = False,
    shape: tuple[int, int] | None = None,
    progress: bool | Callable[[int], Any] | None = None,
) -> CloneResult:
    """Clone ``source[mask]`` into ``target`` at ``offset`` (default: the embedded example).

    Without ``source`` and ``target`` the example of
    :func:`~driftscale.experiments.editing_examples.clone_example` (resized to ``shape``) with
    its ideal result is used; ``mask`` and ``offset`` then override the example's.
    ``progress`` as in :func:`run_shadow`.
    """
    if (source is None) != (target is None):
        raise ValueError("give both `source` and `target`, or neither for the embedded example")
    _check_options(shape, source is not None, solver)
    check_choice(mode, name="mode", choices=MODES)
    if source is None:
        ex = clone_example(shape, grey=grey)
        src, tgt, ref, inputs = ex.source, ex.target, ex.reference, ex.name
        mask = ex.mask if mask is None else mask
        offset = ex.offset if offset is None else offset
    else:
        if mask is None:
            raise ValueError("`mask` (the pixels of the source to clone) is required")
        src = _load(source, grey=grey, name="source")
        tgt = _load(target, grey=grey, name="target")
        ref, inputs = None, f"{_source_name(source)} into {_source_name(target)}"
    msk = _load_mask(mask, src.shape, name="mask")
    if reference is not None:
        ref = _reference(reference, tgt.shape, grey=grey)
    offset = (0, 0) if offset is None else offset
    edit, seconds = _timed(
        clone, source=src, target=tgt, mask=msk, offset=offset, mode=mode,
        value_offset=value_offset, method=solver, progress=progress,
    )  # fmt: skip
    dy, dx = (int(v) for v in offset)
    return CloneResult(
        src, tgt, msk, (dy, dx), mode, edit.image, edit, seconds, inputs, value_offset, ref
    )


# ----------------------------------------------------------------------------------- inpaint
@dataclass(frozen=True)
class InpaintResult:
    """Inpainting from a sparse drift: the image, the kept mask, the reconstruction, numbers."""

    image: FloatArray
    mask: np.ndarray
    result: FloatArray
    edit: EditResult
    seconds: float
    source: str
    value_offset: float
    mask_source: str
    reference: FloatArray

    def quality(self) -> dict[str, float | None]:
        """PSNR of the reconstruction against the reference, whole and off the mask."""
        off = ~self.mask
        return {
            "psnr": psnr(self.result, self.reference),
            "psnr_off_mask": psnr(self.result, self.reference, off) if off.any() else None,
            "kept_fraction": float(self.mask.mean()),
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload."""
        return {
            "task": "inpaint",
            "input": self.source,
            "mask": self.mask_source,
            "shape": list(self.image.shape),
            "value_offset": self.value_offset,
            "solver": self.edit.steady.to_dict(),
            "seconds": self.seconds,
            "quality": self.quality(),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to save (``--npz``)."""
        return {"image": self.image, "mask": self.mask, "result": self.result}

    def panels(self) -> list[Panel]:
        """The image, the kept mask, and the reconstruction."""
        return [
            Panel(self.image, "image"),
            Panel(np.where(self.mask, 255.0, 0.0), "drift kept on these pixels"),
            Panel(self.result, "osmosis from the kept drift + mean"),
        ]


def run_inpaint(
    image: ImageSource = None,
    mask: Any = None,
    *,
    sigma: float = 1.0,
    dilate: int = 1,
    reference: ImageSource = None,
    value_offset: float = 1.0,
    solver: str = "auto",
    grey: bool = False,
    shape: tuple[int, int] | None = None,
    progress: bool | Callable[[int], Any] | None = None,
) -> InpaintResult:
    """Reconstruct ``image`` from its drift on ``mask`` and its mean per channel.

    Without ``mask`` the drift is kept on the Canny edges (``sigma``) dilated ``dilate`` times
    (:func:`~driftscale.experiments.editing_examples.canny_mask`); without ``image`` the
    embedded photo is used (resized to ``shape``). The reference defaults to the image itself.
    ``progress`` as in :func:`run_shadow`.
    """
    _check_options(shape, image is not None, solver)
    if image is None:
        ex = inpaint_example(shape, grey=grey, sigma=sigma, dilate=dilate)
        f, source, edges = ex.image, ex.name, ex.mask
    else:
        f, source, edges = _load(image, grey=grey, name="image"), _source_name(image), None
    if mask is None:
        keep = canny_mask(f, sigma=sigma, dilate=dilate) if edges is None else edges
        mask_source = f"canny(sigma={sigma:g}), dilated {dilate}x"
    else:
        keep, mask_source = _load_mask(mask, f.shape, name="mask"), _source_name(mask)
    ref = f if reference is None else _reference(reference, f.shape, grey=grey)
    edit, seconds = _timed(
        inpaint, image=f, mask=keep, value_offset=value_offset, method=solver, progress=progress
    )
    return InpaintResult(f, keep, edit.image, edit, seconds, source, value_offset, mask_source, ref)
