r"""The shared numerics: blocked squared distances and the floored log-sum-exp (one copy each).

Squared Euclidean distances between the rows of ``x`` (``M x n``) and of ``f`` (``N x n``) come
from the expansion

.. math:: \|x_m - s f_k\|^2 = \|x_m\|^2 - 2s\,x_m \cdot f_k + s^2\|f_k\|^2,

one BLAS matrix product per block of rows, so that an ``M x N x n`` array is never formed and at
most ``block_entries`` distances are held at once. Rounding can make an exact zero slightly
negative, so the distances are clipped at 0. Where only the ranking over ``k`` matters the term
:math:`\|x_m\|^2` can be left out.

The log-sum-exp of a row subtracts the row maximum and raises the shifted exponents to
:data:`EXP_FLOOR` before ``exp``: ``exp`` of arguments below about -708 gives subnormal numbers,
a slow path (measured: ~10x slower ``exp``, ~100x slower matrix products with subnormals). A
term below :math:`e^{-600} \approx 10^{-261}` next to the largest term (which is 1) changes a
sum of ``N`` terms by less than :math:`N \cdot 10^{-261}` relative: far below float64
resolution, so the result is unchanged.

Used by the forward mixture (:mod:`driftscale.distributions.mixture`), the energy two-sample
test, the nearest-neighbour memorisation analysis and the exact denoiser.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from driftscale.typing import FloatArray

__all__ = [
    "BLOCK_ENTRIES",
    "EXP_FLOOR",
    "floored_exp",
    "logsumexp_rows",
    "sq_distance_blocks",
    "sq_distances",
    "squared_norms",
]

# Rows x N distance blocks of at most this many float64 entries (32 MiB).
BLOCK_ENTRIES = 4_000_000
# Shifted exponents below this are raised to it before exp(); see the module docstring.
EXP_FLOOR = -600.0


def squared_norms(x: FloatArray) -> FloatArray:
    r"""Row-wise squared norms :math:`\|x_m\|^2` of a 2-D array."""
    return np.einsum("ij,ij->i", x, x)


def sq_distance_blocks(
    x: FloatArray,
    f: FloatArray,
    *,
    scale: float = 1.0,
    with_x_norms: bool = True,
    clip: bool = True,
    block_entries: int = BLOCK_ENTRIES,
) -> Iterator[tuple[int, int, FloatArray]]:
    r"""Blocks of the squared distances :math:`\|x_m - s f_k\|^2`, a block of rows at a time.

    Parameters
    ----------
    x : ndarray of shape (M, n)
    f : ndarray of shape (N, n)
    scale : float
        The factor ``s`` of ``f``.
    with_x_norms : bool
        Add :math:`\|x_m\|^2`; without it the block is :math:`s^2\|f_k\|^2 - 2s\,x_m\cdot f_k`,
        enough to rank the ``f_k`` for each ``x_m``.
    clip : bool
        Raise negative rounding errors to 0.
    block_entries : int
        Rows per block are ``max(1, block_entries // N)``.

    Yields
    ------
    (start, stop, block)
        ``block`` (a fresh array of shape ``(stop - start, N)``) holds the rows ``start:stop``.
    """
    f_sq = scale * scale * squared_norms(f)
    x_sq = squared_norms(x) if with_x_norms else None
    rows = max(1, block_entries // f.shape[0])
    for start in range(0, x.shape[0], rows):
        stop = min(start + rows, x.shape[0])
        gram = x[start:stop] @ f.T  # the one BLAS product per block
        # |x|^2 - 2 s x.f + s^2 |f|^2, left to right
        if x_sq is None:
            d2 = (-2.0 * scale) * gram
        else:
            d2 = x_sq[start:stop, None] - (2.0 * scale) * gram
        d2 += f_sq[None, :]
        if clip:
            np.maximum(d2, 0.0, out=d2)  # rounding can make an exact zero slightly negative
        yield start, stop, d2


def sq_distances(
    x: FloatArray, f: FloatArray, *, scale: float = 1.0, block_entries: int = BLOCK_ENTRIES
) -> FloatArray:
    r"""All squared distances :math:`\|x_m - s f_k\|^2`, shape ``(M, N)``, clipped at 0.

    Examples
    --------
    >>> sq_distances(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]]))
    array([[ 0.],
           [25.]])
    """
    out = np.empty((x.shape[0], f.shape[0]))
    for start, stop, block in sq_distance_blocks(x, f, scale=scale, block_entries=block_entries):
        out[start:stop] = block
    return out


def floored_exp(z: FloatArray, shift: FloatArray) -> FloatArray:
    """``exp(max(z - shift[:, None], EXP_FLOOR))``, computed in place in ``z`` (returned)."""
    z -= shift[:, None]
    np.maximum(z, EXP_FLOOR, out=z)
    np.exp(z, out=z)
    return z


def logsumexp_rows(z: FloatArray) -> FloatArray:
    """Row-wise log-sum-exp of a 2-D array, with the floor :data:`EXP_FLOOR`; ``z`` is
    overwritten.

    Examples
    --------
    >>> float(logsumexp_rows(np.log(np.array([[1.0, 3.0]])))[0]) == float(np.log(4.0))
    True
    """
    top = z.max(axis=1)
    return np.log(floored_exp(z, top).sum(axis=1)) + top
