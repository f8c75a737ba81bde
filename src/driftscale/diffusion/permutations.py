"""Pixel permutations P of Property 4 / Prop. 3: arbitrary ones, translations, 90-degree rotations.

A :class:`Permutation` acts on the ``n = H * W * C`` entries of an image. Cyclic translations and
rotations by multiples of 90 degrees are the named special cases of the paper (they permute pixel
positions and keep the channels together); ``Permutation.random`` shuffles all ``n`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from driftscale._validation import as_rng, check_array, check_int
from driftscale.typing import FloatArray, RNGLike

__all__ = ["Permutation"]


@dataclass(frozen=True)
class Permutation:
    """A bijection of pixel entries; build it with one of the class methods.

    ``kind`` is ``"indices"`` (``indices[k]`` is the source of output entry ``k`` of the flattened
    image), ``"translation"`` (cyclic shift by ``shift = (dy, dx)``) or ``"rotation90"`` (``k``
    quarter turns counter-clockwise, as :func:`numpy.rot90`). Images are ``(H, W)`` or
    ``(H, W, C)``; pass ``axes=(1, 2)`` to :meth:`apply` for a batch ``(N, H, W[, C])``.

    Examples
    --------
    >>> f = np.arange(6.0).reshape(2, 3)
    >>> P = Permutation.translation(0, 1)
    >>> P.apply(f)
    array([[2., 0., 1.],
           [5., 3., 4.]])
    >>> bool(np.array_equal(P.inverse().apply(P.apply(f)), f))
    True
    """

    kind: str
    shift: tuple[int, int] = (0, 0)
    k: int = 0
    indices: tuple[int, ...] = ()

    @classmethod
    def translation(cls, dy: int, dx: int) -> Permutation:
        """Cyclic translation by ``dy`` rows and ``dx`` columns (``numpy.roll``)."""
        return cls("translation", shift=(check_int(dy, name="dy"), check_int(dx, name="dx")))

    @classmethod
    def rotation90(cls, k: int = 1) -> Permutation:
        """Rotation by ``k * 90`` degrees; for non-square images it swaps height and width."""
        return cls("rotation90", k=check_int(k, name="k") % 4)

    @classmethod
    def from_indices(cls, indices: object) -> Permutation:
        """Any permutation of the flattened entries: ``out.ravel() = f.ravel()[indices]``."""
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise ValueError(
                f"`indices` must be a 1-D integer array, got {idx.dtype} of shape {idx.shape}"
            )
        if not np.array_equal(np.sort(idx), np.arange(idx.size)):
            raise ValueError("`indices` must be a permutation of 0..n-1 (each index exactly once)")
        return cls("indices", indices=tuple(int(i) for i in idx))

    @classmethod
    def random(cls, n: int, *, rng: RNGLike = None) -> Permutation:
        """A uniformly random permutation of ``n`` entries."""
        return cls.from_indices(as_rng(rng).permutation(int(n)))

    def inverse(self) -> Permutation:
        """The inverse permutation ``P^{-1}``."""
        if self.kind == "translation":
            return Permutation.translation(-self.shift[0], -self.shift[1])
        if self.kind == "rotation90":
            return Permutation.rotation90(-self.k)
        idx = np.asarray(self.indices)
        inv = np.empty_like(idx)
        inv[idx] = np.arange(idx.size)
        return Permutation.from_indices(inv)

    def apply(self, f: FloatArray, *, axes: tuple[int, int] = (0, 1)) -> FloatArray:
        """Return ``P(f)``, a new array; ``axes`` are the image's row and column axes."""
        f = check_array(f, name="f")
        if self.kind == "translation":
            return np.roll(f, self.shift, axis=axes)
        if self.kind == "rotation90":
            return np.ascontiguousarray(np.rot90(f, self.k, axes=axes))
        idx = np.asarray(self.indices)
        lead = axes[0]
        block = f.shape[lead:]
        if int(np.prod(block)) != idx.size:
            raise ValueError(
                f"permutation of {idx.size} entries does not fit images of shape {block}"
            )
        flat = f.reshape(*f.shape[:lead], -1)
        return flat[..., idx].reshape(f.shape)
