"""Data: the embedded defaults (the cat image, the 8x8 digits), image files and folders, the
held-out split shared by sampling, training and evaluation, and the explicit value scaling every
process expects.

Raw values are float64 on the data's own range: ``[0, 255]`` for images (8-bit and other integer
files are converted to that range), ``[0, 16]`` for the digits. :class:`ValueScale` maps raw values
to what a process needs and back (for display):

============ ===================================== =========================================
``kind``     mapping                               used by
============ ===================================== =========================================
``unit``     data range -> ``[-1, 1]``             probabilistic diffusion (default)
``raw``      identity                              users who scaled their data themselves
``zscore``   ``(x - mean) / std`` of the data      statistics on standardised data
``positive`` data range -> ``[1, 256]``            osmosis (needs strictly positive values)
============ ===================================== =========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from driftscale._validation import check_array, check_choice
from driftscale.typing import FloatArray

__all__ = [
    "IMAGE_EXTENSIONS",
    "IMAGE_RANGE",
    "DataSplit",
    "Dataset",
    "ValueScale",
    "load_dataset",
    "load_digits",
    "load_faces",
    "load_image",
    "load_split",
    "scale",
]

ScaleKind = Literal["unit", "raw", "zscore", "positive"]
SCALE_KINDS: tuple[str, ...] = ("unit", "raw", "zscore", "positive")
IMAGE_RANGE = (0.0, 255.0)
DIGITS_RANGE = (0.0, 16.0)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


@dataclass(frozen=True)
class ValueScale:
    """An affine value map ``y = (x - offset) * factor + shift`` with its inverse.

    Build it with :meth:`fit`; ``data_range`` is the raw range used for display.

    Examples
    --------
    >>> vs = ValueScale.fit(np.array([0.0, 255.0]), kind="unit")
    >>> vs.apply(np.array([0.0, 127.5, 255.0]))
    array([-1.,  0.,  1.])
    >>> float(vs.invert(np.array(1.0)))
    255.0
    """

    kind: str
    offset: float
    factor: float
    shift: float
    data_range: tuple[float, float]

    @classmethod
    def fit(
        cls,
        x: Any,
        *,
        kind: ScaleKind = "unit",
        data_range: tuple[float, float] = IMAGE_RANGE,
    ) -> ValueScale:
        """The scaling of ``kind`` for raw data ``x`` with range ``data_range``."""
        check_choice(kind, name="scale", choices=SCALE_KINDS)
        lo, hi = (float(v) for v in data_range)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"`data_range` must be finite (low, high), got {data_range!r}")
        if not hi > lo:
            raise ValueError(f"`data_range` must satisfy low < high, got {data_range!r}")
        if kind == "unit":
            return cls(kind, lo, 2.0 / (hi - lo), -1.0, (lo, hi))
        if kind == "positive":
            return cls(kind, lo, 255.0 / (hi - lo), 1.0, (lo, hi))
        if kind == "zscore":
            arr = check_array(x, name="x")
            std = float(arr.std())
            if std == 0:
                raise ValueError("`scale='zscore'` needs data that is not constant (std = 0)")
            return cls(kind, float(arr.mean()), 1.0 / std, 0.0, (lo, hi))
        return cls(kind, 0.0, 1.0, 0.0, (lo, hi))

    def apply(self, x: Any) -> FloatArray:
        """Map raw values to scaled values (a new array)."""
        return (np.asarray(x, dtype=np.float64) - self.offset) * self.factor + self.shift

    def invert(self, y: Any) -> FloatArray:
        """Map scaled values back to raw values (a new array), e.g. for display."""
        return (np.asarray(y, dtype=np.float64) - self.shift) / self.factor + self.offset

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "kind": self.kind,
            "offset": self.offset,
            "factor": self.factor,
            "shift": self.shift,
            "data_range": list(self.data_range),
        }


def scale(
    x: Any, *, kind: ScaleKind = "unit", data_range: tuple[float, float] = IMAGE_RANGE
) -> FloatArray:
    """Scale raw values ``x``: shorthand for ``ValueScale.fit(x, ...).apply(x)``."""
    return ValueScale.fit(x, kind=kind, data_range=data_range).apply(x)


@dataclass(frozen=True)
class Dataset:
    """Raw images ``values`` of shape ``(N, H, W[, C])`` with their value range and a name, and
    the class of each image where the data have one (the digits)."""

    values: FloatArray
    data_range: tuple[float, float]
    name: str
    labels: np.ndarray | None = None

    def scaled(self, kind: ScaleKind = "unit") -> FloatArray:
        """The values scaled by ``kind`` (see :class:`ValueScale`)."""
        return self.value_scale(kind).apply(self.values)

    def value_scale(self, kind: ScaleKind = "unit") -> ValueScale:
        """The :class:`ValueScale` of ``kind`` fitted to these values."""
        return ValueScale.fit(self.values, kind=kind, data_range=self.data_range)

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape of one image."""
        return tuple(self.values.shape[1:])


def _to_image_range(img: np.ndarray, source: str) -> FloatArray:
    """Convert an image array of any dtype to float64 on [0, 255]."""
    if img.dtype == np.uint8:
        return img.astype(np.float64)
    if img.dtype.kind in "iu":
        info = np.iinfo(img.dtype)
        return (img.astype(np.float64) - info.min) * 255.0 / (info.max - info.min)
    if img.dtype.kind == "b":
        return img.astype(np.float64) * 255.0
    arr = img.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"image {source!r} holds NaN/Inf values; clean it first")
    if arr.min() >= 0.0 and arr.max() <= 1.0:
        return arr * 255.0
    raise ValueError(
        f"image {source!r} is floating point with values in [{arr.min():g}, {arr.max():g}]; "
        "driftscale reads float images only on [0, 1]: save it as 8-bit or rescale it"
    )


MAX_IMAGE_PIXELS = 4096 * 4096  # larger images would need gigabytes per film-strip frame
MAX_ASPECT = 64  # longer strips give unreadable (and gigantic) figures


def _read_image_file(path: Path, name: str = "image") -> FloatArray:
    import imageio.v3 as iio  # skimage.io.imread mis-shapes grey+alpha PNGs

    if not path.exists():
        raise FileNotFoundError(f"`{name}` file {str(path)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"`{name}` must be a file, got the folder {str(path)!r}")
    try:
        img = iio.imread(str(path))
    except Exception as exc:  # imageio raises many types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            f"`{name}` file {str(path)!r} could not be read as an image ({first[:120]}); "
            f"accepted: {', '.join(IMAGE_EXTENSIONS)}"
        ) from None
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] in (2, 4):
        img = img[..., : img.shape[-1] - 1]  # drop alpha: grey+alpha -> grey, RGBA -> RGB
        img = img[..., 0] if img.shape[-1] == 1 else img
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] != 3):
        raise ValueError(
            f"`{name}` {str(path)!r} has shape {img.shape}; accepted: (H, W) grey, (H, W, 2) "
            "grey+alpha, (H, W, 3) RGB or (H, W, 4) RGBA"
        )
    _check_image_size(img.shape[:2], name=name, source=str(path))
    return _to_image_range(img, str(path))


def _check_image_size(hw: tuple[int, ...], *, name: str, source: str) -> None:
    h, w = int(hw[0]), int(hw[1])
    if max(h, w) > MAX_ASPECT * min(h, w) or h * w > MAX_IMAGE_PIXELS:
        raise ValueError(
            f"`{name}` {source!r} is {h} x {w} pixels; accepted: at most "
            f"{MAX_IMAGE_PIXELS} pixels and an aspect ratio up to {MAX_ASPECT}; crop or resize it"
        )


def _check_shape(shape: Any) -> tuple[int, int]:
    ok = isinstance(shape, tuple | list) and len(shape) == 2
    ok = ok and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in shape)
    if not ok or min(shape) < 1:
        raise ValueError(f"`shape` must be (H, W) with positive integer sizes, got {shape!r}")
    if shape[0] * shape[1] > MAX_IMAGE_PIXELS:
        raise ValueError(f"`shape` must have at most {MAX_IMAGE_PIXELS} pixels, got {shape!r}")
    return int(shape[0]), int(shape[1])


def load_image(
    source: str | Path = "cat",
    *,
    grey: bool = False,
    shape: tuple[int, int] | None = None,
    name: str = "image",
) -> FloatArray:
    """Load an image as raw float64 values on ``[0, 255]``.

    Parameters
    ----------
    source : str or path
        ``"cat"`` for scikit-image's Chelsea (the default, 300 x 451 colour), or an image file
        (PNG, JPEG, TIFF, BMP). An alpha channel is dropped (grey+alpha reads as grey).
    grey : bool
        Convert colour to grey (ITU-R 601 luma, as :func:`skimage.color.rgb2gray`).
    shape : (int, int), optional
        Resize to ``(H, W)`` with anti-aliasing (handy for fast experiments).
    name : str
        The argument (or option) named in error messages.

    Returns
    -------
    ndarray of float64, shape (H, W) or (H, W, 3), values in [0, 255]
    """
    size = None if shape is None else _check_shape(shape)
    if isinstance(source, str) and source == "faces":
        return load_faces()
    if isinstance(source, str) and source == "cat":
        from skimage import data

        img = data.chelsea().astype(np.float64)
    else:
        img = _read_image_file(Path(source), name)
    if grey and img.ndim == 3:
        from skimage.color import rgb2gray

        img = rgb2gray(img / 255.0) * 255.0
    if size is not None:
        from skimage.transform import resize

        img = resize(img, (*size, *img.shape[2:]), anti_aliasing=True, preserve_range=True)
    return np.ascontiguousarray(img, dtype=np.float64)


def load_digits() -> Dataset:
    """The 1797 8x8 digits of scikit-learn, raw values on ``[0, 16]`` (the default data set),
    with their classes 0-9 as ``labels``."""
    from sklearn.datasets import load_digits as _load

    bunch = _load()
    labels = bunch.target.astype(np.int64)
    return Dataset(bunch.images.astype(np.float64), DIGITS_RANGE, "digits", labels)


def load_dataset(source: str | Path = "digits", *, grey: bool = False) -> Dataset:
    """Load a data set: ``"digits"``, ``"faces"``, ``"cat"`` (one image), an image file or a folder.

    Every image of a folder must have the same shape; files are read in sorted order.
    """
    if isinstance(source, str) and source == "digits":
        return load_digits()
    if isinstance(source, str) and source == "cat":
        return Dataset(load_image("cat", grey=grey)[None], IMAGE_RANGE, "cat")
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(
            f"`data` {str(path)!r} does not exist; pass 'digits', 'cat', 'faces', an image file "
            "or a folder"
        )
    if path.is_file():
        return Dataset(load_image(path, grey=grey)[None], IMAGE_RANGE, path.name)
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise ValueError(
            f"`data` folder {str(path)!r} holds no images ({', '.join(IMAGE_EXTENSIONS)})"
        )
    images = [load_image(p, grey=grey) for p in files]
    first = images[0].shape
    for p, img in zip(files, images, strict=True):
        if img.shape != first:
            raise ValueError(
                f"every image of `data` must have the same shape: {files[0].name} is {first}, "
                f"{p.name} is {img.shape}; resize them first"
            )
    return Dataset(np.stack(images), IMAGE_RANGE, path.name)


@dataclass(frozen=True)
class DataSplit:
    """Training and held-out images scaled to ``[-1, 1]``, and the spec that rebuilds them.

    Attributes
    ----------
    train : ndarray of float64, shape (N_train, H, W[, C])
    heldout : ndarray of float64 or None
        ``None`` when nothing is held out.
    value_scale : ValueScale
        The ``"unit"`` scaling (raw range -> ``[-1, 1]``), to show images in their raw range.
    name : str
    spec : dict
        ``source``, ``heldout``, ``split_seed``, ``grey``, ``scale``: the arguments of
        :func:`load_split` that rebuild this split (stored in training checkpoints).
    train_labels, heldout_labels : ndarray of int64 or None
        The classes of the images where the data have them (the digits).
    """

    train: FloatArray
    heldout: FloatArray | None
    value_scale: ValueScale
    name: str
    spec: dict[str, Any]
    train_labels: np.ndarray | None = None
    heldout_labels: np.ndarray | None = None


def load_split(
    source: str | Path = "digits", *, heldout: float = 0.1, seed: int = 0, grey: bool = False
) -> DataSplit:
    """Load ``source`` (see :func:`load_dataset`), scale it to ``[-1, 1]`` and hold out a fraction.

    The held-out images are the first ``round(heldout * N)`` of a permutation seeded by
    ``[seed, 1]``: the one split of ``driftscale sample``, ``train`` and ``memorization``, so
    exact and learned denoisers see the same training images.

    Examples
    --------
    >>> split = load_split("digits", heldout=0.1, seed=0)
    >>> split.train.shape, split.heldout.shape, float(split.train.min()), float(split.train.max())
    ((1617, 8, 8), (180, 8, 8), -1.0, 1.0)
    """
    if not 0.0 <= heldout < 1.0:
        raise ValueError(f"`heldout` must be a fraction in [0, 1), got {heldout}")
    dataset = load_dataset(source, grey=grey)
    vs = dataset.value_scale("unit")
    images = vs.apply(dataset.values)
    num_held = round(heldout * images.shape[0])
    if images.shape[0] - num_held < 1:
        raise ValueError(f"`heldout` {heldout} leaves no training images of {images.shape[0]}")
    order = np.random.default_rng([seed, 1]).permutation(images.shape[0])
    train, held = order[num_held:], order[:num_held]
    src = source if source in ("digits", "faces", "cat") else str(Path(source).resolve())
    spec = {"source": src, "heldout": heldout, "split_seed": seed, "grey": grey, "scale": "unit"}
    labels = dataset.labels
    return DataSplit(
        train=images[train],
        heldout=images[held] if num_held else None,
        value_scale=vs,
        name=dataset.name,
        spec=spec,
        train_labels=None if labels is None else labels[train],
        heldout_labels=None if labels is None or not num_held else labels[held],
    )


def load_faces() -> Dataset:
    """The 200 25x25 grey images of ``skimage.data.lfw_subset()`` (100 faces of Labeled Faces in
    the Wild, then 100 non-faces), raw values on ``[0, 255]``; shipped with scikit-image, no
    download. A second embedded data set, larger images than the digits."""
    from skimage import data

    images = np.asarray(data.lfw_subset(), dtype=np.float64)  # float on [0, 1]
    return Dataset(images * 255.0, IMAGE_RANGE, "faces")
