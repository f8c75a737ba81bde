r"""Local closed-form denoisers: the LS and ELS machines of Kamb & Ganguli (arXiv:2412.20292).

The exact denoiser of a finite data set (:class:`~driftscale.reverse.denoisers.ExactDenoiser`)
only regenerates training images (arXiv:2501.17054). Kamb & Ganguli [1]_ show that two inductive
biases of convolutional networks, *locality* and *translation equivariance*, change the minimiser
of the training loss into a closed form that creates new images as patch mosaics:

- :class:`LocalDenoiser` (LS machine): pixel ``p`` sees only the patch :math:`x_{\Omega_p}` of
  size ``P x P`` around it, and its posterior mean is taken over the training images' patches at
  the *same location*,

  .. math::
      D(x, i)_p = \sum_k w_k^p f_k(p), \qquad
      w_k^p \propto \exp\Big(-\frac{|x_{\Omega_p} - \sqrt{\bar\alpha_i}\,f_{k,\Omega_p}|^2}
      {2(1-\bar\alpha_i)}\Big)

  (the forward marginal, Eq. (5) of Peter 2023, restricted to the patch).
- :class:`EquivariantLocalDenoiser` (ELS machine): the same softmax over the patches at *every
  location* ``q`` of every training image, with the centre pixel :math:`f_k(q)` as the value.

Border convention (``padding``):

``"none"`` (default; Kamb & Ganguli's boundary-aware ELS)
    A window is clipped to the image. Pixel ``p`` is compared only with training patches whose
    clipped window has the same shape, i.e. centred at pixels ``q`` with the same distances to
    the four borders (counted up to the patch radius). Interior pixels (window inside the image)
    share all interior positions, so the machine commutes with translations there; near the
    border it knows where it is, as a zero-padded CNN does. A patch covering the whole image
    (``P >= 2 max(H, W) - 1``) gives every pixel its own class with the one position ``q = p``,
    and both machines equal the exact denoiser.
``"zero"``
    Query and training images are zero-padded; every pixel is compared with the patches at every
    location of the padded training images.
``"circular"``
    Periodic padding: exact equivariance under circular shifts.

For :class:`LocalDenoiser` the padding does not matter (padded entries are equal in query and
key) and the clipped window is used.

Computation: the distinct training patches of a class (exact duplicates merged, their count
added to the logit as :math:`\log m`) are the "training images" of the chunked BLAS +
log-sum-exp kernel of the exact denoiser (:mod:`driftscale.reverse._exact_kernel`), with the
centre pixel as the value; the memory held besides the patch tables is bounded by ``chunk_size``
logits per thread. Patch tables are built once per patch size and cached.

The patch size is a function of the step (see :mod:`driftscale.reverse.patch_size`): a
constant, a user function, a per-step sequence, a heuristic rule of the noise level, or a
schedule calibrated to a trained network.

References
----------
.. [1] M. Kamb, S. Ganguli, "An analytic theory of creativity in convolutional diffusion
       models", ICML 2025, arXiv:2412.20292.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from driftscale._validation import check_array, check_choice, check_positive_int
from driftscale.reverse._exact_kernel import (
    NumpyKernel,
    TrainingBlocks,
    blas_single_thread,
    logit_coefficients,
)
from driftscale.reverse.denoisers import DenoiserError, _check_batch, check_steps_for_batch
from driftscale.reverse.patch_size import PatchSize, check_patch_size, resolve_patch_size
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = ["PADDINGS", "EquivariantLocalDenoiser", "LocalDenoiser"]

PADDINGS: tuple[str, ...] = ("none", "zero", "circular")


@dataclass(frozen=True)
class _PatchClass:
    """Pixels that share one window shape and one set of training patches.

    Coordinates are top-left corners of windows in the padded image; ``centre`` is the offset of
    the pixel inside its window.
    """

    pixels: np.ndarray  # (K, 2) output pixels (row, col)
    corners: np.ndarray  # (K, 2) corners of their query windows
    keys: np.ndarray  # (Q, 2) corners of the training windows
    window: tuple[int, int]
    centre: tuple[int, int]


def _clipped_classes(H: int, W: int, r: int, local: bool) -> list[_PatchClass]:
    """Classes of ``padding="none"``: windows clipped to the image, grouped by their extents."""
    groups: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for py in range(H):
        for px in range(W):
            ext = (min(py, r), min(H - 1 - py, r), min(px, r), min(W - 1 - px, r))
            groups.setdefault(ext if not local else (*ext, py, px), []).append((py, px))
    out = []
    for key, pix in groups.items():
        t, b, lft, rgt = key[:4]
        p = np.asarray(pix, dtype=np.int64)
        corners = p - np.array([t, lft])
        out.append(_PatchClass(p, corners, corners, (t + b + 1, lft + rgt + 1), (t, lft)))
    return out


def _padded_classes(H: int, W: int, r: int, local: bool) -> list[_PatchClass]:
    """Classes of ``padding="zero"`` / ``"circular"``: full windows of the padded image."""
    pix = np.array([(py, px) for py in range(H) for px in range(W)], dtype=np.int64)
    window, centre = (2 * r + 1, 2 * r + 1), (r, r)
    if local:
        return [_PatchClass(p[None], p[None], p[None], window, centre) for p in pix]
    return [_PatchClass(pix, pix, pix, window, centre)]


def _windows(images: FloatArray, cls: _PatchClass, corners: np.ndarray) -> FloatArray:
    """Rows ``(len(images) * len(corners), C * ph * pw)`` of the windows at ``corners``."""
    views = sliding_window_view(images, cls.window, axis=(1, 2))  # (B, ., ., C, ph, pw)
    rows = views[:, corners[:, 0], corners[:, 1]]  # (B, K, C, ph, pw)
    return rows.reshape(images.shape[0] * corners.shape[0], -1)


@dataclass(frozen=True)
class _PatchTable:
    """The distinct training patches of one class, ready for the chunked kernel."""

    cls: _PatchClass
    kernel: NumpyKernel  # its blocks hold the patches [g; |g|^2; log m] and centres [c, 1]


class _PatchMachine:
    """The shared machinery of the LS and ELS denoisers (see the module docstring)."""

    _local: bool = False

    def __init__(
        self,
        train_data: Any,
        schedule: Schedule | str,
        *,
        patch_size: PatchSize = None,
        padding: str = "none",
        chunk_size: int = 2**20,
        threads: int | None = None,
        max_tables: int = 2,
    ) -> None:
        data = check_array(train_data, name="train_data", ndim=(3, 4))
        self.max_tables = check_positive_int(max_tables, name="max_tables")
        self.schedule = Schedule.coerce(schedule)
        self.padding = check_choice(padding, name="padding", choices=PADDINGS)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        if threads is None:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
            threads = min(8, cpus or os.cpu_count() or 1)
        self.threads = check_positive_int(threads, name="threads")
        self.image_shape: tuple[int, ...] = tuple(int(s) for s in data.shape[1:])
        self.train_data = np.array(data, dtype=np.float64)  # our own copy
        self.train_data.setflags(write=False)
        self._hwc = self.train_data.reshape(data.shape[0], *data.shape[1:3], -1)
        self.patch_size = resolve_patch_size(
            patch_size, schedule=self.schedule, image_shape=self.image_shape
        )
        self._patch_spec = patch_size if isinstance(patch_size, int | str) else "function"
        self._tables: dict[int, list[_PatchTable]] = {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(N={self.num_train}, image_shape={self.image_shape}, "
            f"patch_size={self._patch_spec!r}, padding={self.padding!r}, T={self.schedule.T})"
        )

    @property
    def num_train(self) -> int:
        """Number of training images ``N``."""
        return int(self.train_data.shape[0])

    def radius(self, patch_size: int) -> int:
        """Patch radius used for ``patch_size``: ``(P - 1) / 2``, capped at ``max(H, W) - 1``
        (a larger window adds only padding, which changes nothing)."""
        H, W = self.image_shape[:2]
        return min((check_patch_size(patch_size) - 1) // 2, max(H, W) - 1)

    def _pad(self, images: FloatArray, r: int) -> FloatArray:
        if self.padding == "none" or r == 0:
            return images
        mode = "constant" if self.padding == "zero" else "wrap"
        return np.pad(images, ((0, 0), (r, r), (r, r), (0, 0)), mode=mode)

    def _classes(self, r: int) -> list[_PatchClass]:
        H, W = self.image_shape[:2]
        if self.padding == "none" or self._local:
            return _clipped_classes(H, W, r, self._local)
        return _padded_classes(H, W, r, self._local)

    def _build_table(self, cls: _PatchClass, padded: FloatArray) -> _PatchTable:
        keys = _windows(padded, cls, cls.keys)
        cy, cx = cls.centre
        centres = padded[:, cls.keys[:, 0] + cy, cls.keys[:, 1] + cx].reshape(-1, padded.shape[-1])
        keys, first, counts = _distinct_rows(keys)
        centres = centres[first]
        block = max(1, min(keys.shape[0], self.chunk_size // 16))
        sq = np.einsum("kj,kj->k", keys, keys)
        log_m = np.log(counts.astype(np.float64))  # duplicates: weight m = exp(log m)
        cols, sums = [], []
        for a in range(0, keys.shape[0], block):
            b = slice(a, a + block)
            cols.append(np.ascontiguousarray(np.vstack([keys[b].T, sq[b], log_m[b]])))
            sums.append(np.ascontiguousarray(np.hstack([centres[b], np.ones((len(sq[b]), 1))])))
        blocks = TrainingBlocks(tuple(cols), tuple(sums), centres.shape[1], keys.shape[0])
        work = keys.shape[0] * cls.pixels.shape[0]
        threads = self.threads if work >= 1 << 18 else 1  # small tables: no thread pool
        kernel = NumpyKernel(blocks, chunk_size=self.chunk_size, threads=threads)
        return _PatchTable(cls, kernel)

    def _tables_for(self, r: int) -> list[_PatchTable]:
        """The patch tables of radius ``r``; the ``max_tables`` most recently used are kept."""
        if r in self._tables:
            self._tables[r] = self._tables.pop(r)  # most recently used last
        else:
            while len(self._tables) >= self.max_tables:
                self._tables.pop(next(iter(self._tables)))  # least recently used
            padded = self._pad(self._hwc, r)
            self._tables[r] = [self._build_table(c, padded) for c in self._classes(r)]
        return self._tables[r]

    def __call__(self, x: Any, i: Any) -> FloatArray:
        r"""The local posterior mean for a NumPy batch ``x`` of shape ``(B, *image_shape)`` and
        steps ``i`` (an int or ``(B,)`` ints); float64, the shape of ``x``. At ``i = 0`` each
        pixel takes the centre of its nearest training patch (the limit of the softmax)."""
        x = self._check(x)
        steps = check_steps_for_batch(i, T=self.schedule.T, batch=x.shape[0])
        out = np.empty_like(x)
        for step in np.unique(steps):
            rows = np.flatnonzero(steps == step)
            out[rows] = self._predict(x[rows], int(step), self.patch_size(int(step)))
        return out

    def predict(self, x: Any, i: int, *, patch_size: int) -> FloatArray:
        """The posterior mean at one step ``i`` with a given odd ``patch_size`` (for
        calibration and analysis); float64, the shape of ``x``."""
        x = self._check(x)
        (step,) = check_steps_for_batch(i, T=self.schedule.T, batch=1)
        return self._predict(x, int(step), check_patch_size(patch_size))

    def with_patch_size(self, patch_size: PatchSize) -> Any:
        """The same machine (sharing its patch tables) with another patch-size rule, e.g. the
        :class:`PatchSchedule` of :func:`calibrate_patch_size`."""
        new = copy.copy(self)
        new.patch_size = resolve_patch_size(
            patch_size, schedule=self.schedule, image_shape=self.image_shape
        )
        new._patch_spec = patch_size if isinstance(patch_size, int | str) else "function"
        return new

    def _check(self, x: Any) -> FloatArray:
        x = _check_batch(x, self.image_shape)
        if not isinstance(x, np.ndarray):
            raise DenoiserError(
                f"{type(self).__name__} takes NumPy batches only, got {type(x).__name__}; "
                "the samplers pass NumPy"
            )
        return x

    def _predict(self, x: FloatArray, step: int, patch_size: int) -> FloatArray:
        r = self.radius(patch_size)
        B = x.shape[0]
        img = self._pad(x.reshape(B, *self._hwc.shape[1:]), r)
        out = np.empty((B, *self._hwc.shape[1:]))
        with blas_single_thread():  # small products: threaded BLAS costs more than it gains
            for table in self._tables_for(r):
                self._predict_class(table, img, step, out)
        return out.reshape(x.shape)

    def _predict_class(
        self, table: _PatchTable, img: FloatArray, step: int, out: FloatArray
    ) -> None:
        """Fill ``out`` at the pixels of one class (threads of the kernel split large tables)."""
        cls = table.cls
        y = _windows(img, cls, cls.corners)
        if step == 0:
            vals = _nearest_centres(y, table.kernel.blocks)
        else:
            c1, c2 = logit_coefficients(self.schedule.log_alpha_bar[[step]])
            xa = np.empty((y.shape[0], y.shape[1] + 2))
            np.multiply(y, c1[0], out=xa[:, :-2])  # logits c1 y.g + c2 |g|^2 + log m
            xa[:, -2], xa[:, -1] = c2[0], 1.0
            vals = table.kernel(xa)
        out[:, cls.pixels[:, 0], cls.pixels[:, 1]] = vals.reshape(img.shape[0], len(cls.pixels), -1)


def _distinct_rows(rows: FloatArray) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """The distinct rows, the index of the first of each, and their counts (exact).

    Rows are grouped by a random projection (one sort of floats instead of a sort of whole
    rows); the grouping is then checked row by row and, should two different rows share a
    projection, :func:`numpy.unique` on the rows decides instead.
    """
    weights = np.random.default_rng(0).uniform(0.5, 1.5, rows.shape[1])
    _, first, inverse, counts = np.unique(
        rows @ weights, return_index=True, return_inverse=True, return_counts=True
    )
    if np.array_equal(rows, rows[first][inverse]):
        return rows[first], first, counts
    _, first, counts = np.unique(rows, axis=0, return_index=True, return_counts=True)
    return rows[first], first, counts


def _nearest_centres(y: FloatArray, blocks: TrainingBlocks) -> FloatArray:
    """The centre of the nearest patch for each row of ``y`` (argmax of y.g - |g|^2 / 2): the
    ``i = 0`` limit of the softmax."""
    best = np.full(y.shape[0], -np.inf)
    out = np.zeros((y.shape[0], blocks.n))
    for cols, sums in zip(blocks.logit_cols, blocks.sum_rows, strict=True):
        scores = y @ cols[:-2] - 0.5 * cols[-2]
        arg = scores.argmax(axis=1)
        val = scores[np.arange(y.shape[0]), arg]
        better = val > best
        best[better] = val[better]
        out[better] = sums[arg[better], :-1]
    return out


class LocalDenoiser(_PatchMachine):
    r"""The local score (LS) machine: a softmax over the training patches at the same location.

    See the module docstring for the formula. Pixel ``p`` uses the window of ``patch_size(i)``
    around it, clipped to the image; with a window covering the whole image
    (``patch_size >= 2 max(H, W) - 1``) it equals :class:`ExactDenoiser`.

    Parameters
    ----------
    train_data : ndarray of shape (N, H, W) or (N, H, W, C)
        Training images, already scaled. Copied.
    schedule : Schedule or str
    patch_size : int, 'default', sequence or callable, optional
        Odd patch size per step, see :func:`resolve_patch_size`; default
        :func:`default_patch_size`.
    chunk_size : int
        Most logits held at once per thread (the exact kernel's bound).
    threads : int, optional
        Threads for large patch tables; default the usable CPUs, at most 8.
    max_tables : int
        Patch tables (one per patch size, built on first use) kept in memory, the most recently
        used; on 25 x 25 images a large size takes hundreds of MiB.

    Examples
    --------
    >>> train = np.array([[[0.0, 1.0]], [[1.0, 0.0]]])          # two 1 x 2 images
    >>> D = LocalDenoiser(train, "linear:1e-4,0.02", patch_size=1)
    >>> D(np.array([[[1.0, 1.0]]]), 1).round(3)   # each pixel picks its own nearest value
    array([[[1., 1.]]])
    """

    _local = True

    def __init__(
        self,
        train_data: Any,
        schedule: Schedule | str,
        *,
        patch_size: PatchSize = None,
        chunk_size: int = 2**20,
        threads: int | None = None,
        max_tables: int = 2,
    ) -> None:
        super().__init__(
            train_data,
            schedule,
            patch_size=patch_size,
            padding="none",
            chunk_size=chunk_size,
            threads=threads,
            max_tables=max_tables,
        )


class EquivariantLocalDenoiser(_PatchMachine):
    r"""The equivariant local score (ELS) machine: a softmax over the training patches at every
    location of every training image, each contributing its centre pixel.

    Parameters
    ----------
    train_data : ndarray of shape (N, H, W) or (N, H, W, C)
        Training images, already scaled. Copied.
    schedule : Schedule or str
    patch_size : int, 'default', sequence or callable, optional
        Odd patch size per step, see :func:`resolve_patch_size`.
    padding : {"none", "zero", "circular"}
        Border convention (module docstring); ``"none"``: windows clipped to the image and
        matched only with training windows of the same clipped shape (Kamb & Ganguli's
        boundary-aware machine), equivariant for pixels whose window lies inside the image.
    chunk_size : int
        Most logits held at once per thread.
    threads : int, optional
        Threads for large patch tables; default the usable CPUs, at most 8.
    max_tables : int
        Patch tables (one per patch size, built on first use) kept in memory, the most recently
        used; on 25 x 25 images a large size takes hundreds of MiB.

    Examples
    --------
    >>> train = np.zeros((1, 4, 4)); train[0, 1, 1] = 1.0
    >>> D = EquivariantLocalDenoiser(train, "linear:1e-4,0.02", patch_size=3, padding="circular")
    >>> x = np.roll(train, (2, 1), axis=(1, 2))       # the bright pixel moved: found anyway
    >>> bool(np.allclose(D(x, 1), x, atol=1e-6))
    True
    """

    def __init__(
        self,
        train_data: Any,
        schedule: Schedule | str,
        *,
        patch_size: PatchSize = None,
        padding: str = "none",
        chunk_size: int = 2**20,
        threads: int | None = None,
        max_tables: int = 2,
    ) -> None:
        super().__init__(
            train_data,
            schedule,
            patch_size=patch_size,
            padding=padding,
            chunk_size=chunk_size,
            threads=threads,
            max_tables=max_tables,
        )
