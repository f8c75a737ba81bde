r"""Discrete linear osmosis operator of Vogel et al. (2013) for Eq. (26) of Peter 2023.

The osmosis PDE :math:`\partial_t u = \Delta u - \operatorname{div}(\mathbf d u)` (Eq. 26) is
discretised in flux form on a grid of size ``h`` with the drift on the staggered grid: the flux
through the face between pixels ``p`` and ``q = p + e`` (``e`` one step along axis 0 or 1) is

.. math:: F_{p+e/2} = \frac{u_q - u_p}{h} - d_{p+e/2}\,\frac{u_p + u_q}{2},

and :math:`du_p/dt = \sum_e (F_{p+e/2} - F_{p-e/2}) / h`. This gives the semi-discrete linear
system :math:`du/dt = A u` with the sparse matrix ``A`` of :func:`osmosis_operator`:

- reflecting (no-flux) boundaries: there is no face outside the image, i.e. the drift and the flux
  are zero on the boundary faces, so every column of ``A`` sums to zero and the mass
  :math:`\sum_p u_p` is conserved;
- the off-diagonal entries :math:`(1/h)(1/h \mp d/2)` are non-negative when :math:`h|d| \le 2`,
  which makes ``exp(tA)`` positivity preserving (``A`` is a Metzler matrix).

The canonical drift of a positive guidance image ``v`` (:func:`canonical_drift`),
:math:`d_{i+1/2,j} = 2(v_{i+1,j} - v_{i,j}) / (h(v_{i+1,j} + v_{i,j}))`, makes every face flux of
``v`` vanish, so ``A v = 0``: ``v`` is an exact discrete steady state. It always satisfies
:math:`h|d| < 2`. With it, :math:`A_{pq} = c_{pq} v_p` with :math:`c_{pq} = 2/(h^2(v_p+v_q))`
symmetric, hence ``A = diag(v) L`` with ``L`` symmetric, and
:math:`S = \mathrm{diag}(v)^{-1/2} A\, \mathrm{diag}(v)^{1/2}` is symmetric negative
semi-definite with null vector :math:`\sqrt v` (:func:`symmetrised_operator`); the exact-in-time
solver of :mod:`driftscale.osmosis.expm` relies on it.

Arrays are single-channel ``(H, W)``; images are raveled row-major (``p = i * W + j``). Colour
images are processed channel-wise by :mod:`driftscale.osmosis.evolution`.

References
----------
.. [1] O. Vogel, K. Hagenburg, J. Weickert, S. Setzer, "A fully discrete theory for linear osmosis
       filtering", SSVM 2013, LNCS 7893, pp. 368-379.
.. [2] J. Weickert, K. Hagenburg, M. Breuss, O. Vogel, "Linear osmosis models for visual
       computing", EMMCVPR 2013, LNCS 8081, pp. 26-39.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from driftscale._validation import check_array, check_positive_array
from driftscale.typing import FloatArray

__all__ = [
    "POSITIVE_FIX",
    "DriftField",
    "canonical_drift",
    "explicit_step_bound",
    "osmosis_operator",
    "symmetrised_operator",
]

POSITIVE_FIX = (
    "osmosis needs strictly positive values: shift the data (e.g. add 1) or use the osmosis "
    "scaling ValueScale.fit(x, kind='positive'), which maps [0, 255] to [1, 256]"
)


@dataclass(frozen=True)
class DriftField:
    """A drift vector field on the staggered grid (faces between pixels).

    ``d1[i, j]`` lives on the face between pixels ``(i, j)`` and ``(i + 1, j)`` (shape
    ``(H - 1, W[, C])``), ``d2[i, j]`` between ``(i, j)`` and ``(i, j + 1)`` (shape
    ``(H, W - 1[, C])``). Boundary faces carry no drift (reflecting boundaries). Unpacks as
    ``d1, d2 = field``, so it can be passed as ``Osmosis(drift=field)``.
    """

    d1: FloatArray
    d2: FloatArray
    h: float = 1.0

    def __iter__(self) -> Iterator[FloatArray]:
        return iter((self.d1, self.d2))

    @property
    def image_shape(self) -> tuple[int, ...]:
        """Shape ``(H, W[, C])`` of the images this field acts on."""
        return (self.d2.shape[0], self.d1.shape[1], *self.d1.shape[2:])


def check_grid_size(h: Any) -> float:
    """Check the grid size ``h > 0``."""
    if isinstance(h, bool) or not isinstance(h, int | float | np.floating | np.integer):
        raise TypeError(f"`h` must be a positive number (the grid size), got {h!r}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"`h` must be a positive finite grid size, got {h!r}")
    return float(h)


def canonical_drift(v: Any, *, h: float = 1.0) -> DriftField:
    r"""Canonical drift :math:`\mathbf d = \nabla v / v` of a positive guidance image ``v``.

    Discretised as in Vogel et al. 2013 so that ``v`` is an exact discrete steady state:
    :math:`d_{i+1/2,j} = 2(v_{i+1,j}-v_{i,j}) / (h(v_{i+1,j}+v_{i,j}))`, likewise along axis 1.

    Parameters
    ----------
    v : ndarray of shape (H, W) or (H, W, C)
        Strictly positive guidance image (colour: one drift per channel).
    h : float
        Grid size.

    Returns
    -------
    DriftField
        ``d1`` of shape ``(H - 1, W[, C])``, ``d2`` of shape ``(H, W - 1[, C])``, float64.

    Examples
    --------
    >>> d = canonical_drift(np.array([[1.0, 3.0]]))
    >>> d.d2
    array([[1.]])
    """
    h = check_grid_size(h)
    v = check_array(v, name="v", ndim=(2, 3))
    v = check_positive_array(v, name="v", fix=POSITIVE_FIX)
    # d_{i+1/2,j} = 2 (v_{i+1,j} - v_{i,j}) / (h (v_{i+1,j} + v_{i,j}))   [1, Sec. 3]
    d1 = 2.0 * (v[1:] - v[:-1]) / (h * (v[1:] + v[:-1]))
    d2 = 2.0 * (v[:, 1:] - v[:, :-1]) / (h * (v[:, 1:] + v[:, :-1]))
    return DriftField(d1=d1, d2=d2, h=h)


def check_drift(drift: Any, *, h: float) -> DriftField:
    """Validate a user drift ``(d1, d2)`` (or a :class:`DriftField`) on the staggered grid."""
    if isinstance(drift, DriftField):
        d1, d2 = drift.d1, drift.d2
    else:
        try:
            d1, d2 = drift
        except (TypeError, ValueError):
            raise TypeError(
                "`drift` must be a pair (d1, d2) of arrays on the staggered grid or a DriftField "
                f"(see canonical_drift), got {type(drift).__name__}"
            ) from None
    d1 = _check_faces(d1, name="drift[0] (d1)")
    d2 = _check_faces(d2, name="drift[1] (d2)")
    if d1.ndim != d2.ndim or d1.shape[0] + 1 != d2.shape[0] or d1.shape[1] != d2.shape[1] + 1:
        raise ValueError(
            "`drift` must hold d1 of shape (H - 1, W[, C]) and d2 of shape (H, W - 1[, C]) for "
            f"an (H, W[, C]) image, got d1 {d1.shape} and d2 {d2.shape}"
        )
    if d1.shape[2:] != d2.shape[2:]:
        raise ValueError(f"`drift` channels differ: d1 {d1.shape}, d2 {d2.shape}")
    worst = max(float(np.abs(d1).max(initial=0.0)), float(np.abs(d2).max(initial=0.0)))
    if worst * h > 2.0:
        raise ValueError(
            f"`drift` must satisfy h*|d| <= 2 so that the scheme of Vogel et al. preserves "
            f"positivity, got max |d| = {worst:.4g} with h = {h:g}; use a smaller grid size `h` "
            "or a weaker drift (the canonical drift of a positive image always satisfies it)"
        )
    return DriftField(d1=d1, d2=d2, h=h)


def _check_faces(d: Any, *, name: str) -> FloatArray:
    """Drift on the faces of one axis; empty for an image one pixel thick along that axis."""
    if np.size(d) == 0 and np.ndim(d) in (2, 3):
        return np.zeros(np.shape(d))
    return check_array(d, name=name, ndim=(2, 3))


def _face_weights(d: FloatArray, h: float) -> tuple[FloatArray, FloatArray]:
    """Rates across the faces of one axis: ``fwd`` from p to q = p + e, ``bwd`` from q to p."""
    # F_{p+e/2} = (u_q - u_p)/h - d (u_p + u_q)/2: u_p leaves towards q at (1/h)(1/h + d/2),
    # u_q leaves towards p at (1/h)(1/h - d/2)
    fwd = (1.0 / h) * (1.0 / h + 0.5 * d)
    bwd = (1.0 / h) * (1.0 / h - 0.5 * d)
    return fwd, bwd


def _assemble(shape: tuple[int, int], w1: tuple, w2: tuple) -> sp.csr_matrix:
    """Assemble a column-sum-zero matrix from per-face transfer rates along both axes."""
    H, W = shape
    idx = np.arange(H * W).reshape(H, W)
    rows, cols, vals = [], [], []
    for (fwd, bwd), p, q in ((w1, idx[:-1], idx[1:]), (w2, idx[:, :-1], idx[:, 1:])):
        p, q = p.ravel(), q.ravel()
        rows += [q, p]  # A[q, p] = rate p -> q, A[p, q] = rate q -> p
        cols += [p, q]
        vals += [fwd.ravel(), bwd.ravel()]
    rows_a, cols_a, vals_a = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    # diagonal: minus the column sum of the off-diagonal part (no mass leaves, reflecting bounds)
    diag = -np.bincount(cols_a, weights=vals_a, minlength=H * W)
    rows_a = np.concatenate([rows_a, idx.ravel()])
    cols_a = np.concatenate([cols_a, idx.ravel()])
    vals_a = np.concatenate([vals_a, diag])
    return sp.csr_matrix((vals_a, (rows_a, cols_a)), shape=(H * W, H * W))


def osmosis_operator(d1: Any, d2: Any, *, h: float = 1.0) -> sp.csr_matrix:
    r"""The sparse matrix ``A`` of the semi-discrete osmosis system ``du/dt = A u`` (Eq. 26).

    Parameters
    ----------
    d1, d2 : ndarray of shape (H - 1, W) and (H, W - 1)
        Drift on the faces along axis 0 and axis 1 (single channel).
    h : float
        Grid size.

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (H*W, H*W)
        Columns sum to zero (mass conservation); off-diagonals are non-negative when
        ``h|d| <= 2``.

    Examples
    --------
    >>> A = osmosis_operator(np.zeros((1, 2)), np.zeros((2, 1)))
    >>> A.toarray()
    array([[-2.,  1.,  1.,  0.],
           [ 1., -2.,  0.,  1.],
           [ 1.,  0., -2.,  1.],
           [ 0.,  1.,  1., -2.]])
    """
    h = check_grid_size(h)
    field = check_drift((d1, d2), h=h)
    if field.d1.ndim != 2:
        raise ValueError(
            f"`d1` and `d2` must be single-channel (2-D), got d1 of shape {field.d1.shape}; "
            "build one operator per colour channel"
        )
    shape = (field.d2.shape[0], field.d1.shape[1])
    return _assemble(shape, _face_weights(field.d1, h), _face_weights(field.d2, h))


def symmetrised_operator(v: Any, *, h: float = 1.0) -> sp.csr_matrix:
    r"""The symmetric ``S = diag(v)^(-1/2) A diag(v)^(1/2)`` of the canonical drift of ``v``.

    With :math:`A_{pq} = c_{pq} v_p`, :math:`c_{pq} = 2/(h^2(v_p+v_q))` (module docstring),
    :math:`S_{pq} = c_{pq}\sqrt{v_p v_q}` for neighbours and :math:`S_{pp} = A_{pp}`; it is built
    from these formulas so that it is symmetric to the last bit. ``S`` is negative
    semi-definite, :math:`S\sqrt v = 0`.

    Parameters
    ----------
    v : ndarray of shape (H, W)
        Strictly positive single-channel guidance image.
    h : float
        Grid size.

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (H*W, H*W), symmetric
    """
    h = check_grid_size(h)
    v = check_positive_array(check_array(v, name="v", ndim=2), name="v", fix=POSITIVE_FIX)
    H, W = v.shape
    idx = np.arange(H * W).reshape(H, W)
    root = np.sqrt(v)
    rows, cols, vals = [], [], []
    diag = np.zeros((H, W))
    for vp, vq, p, q, sl_p, sl_q in (
        (v[:-1], v[1:], idx[:-1], idx[1:], np.s_[:-1], np.s_[1:]),
        (v[:, :-1], v[:, 1:], idx[:, :-1], idx[:, 1:], np.s_[:, :-1], np.s_[:, 1:]),
    ):
        c = 2.0 / (h * h * (vp + vq))  # c_pq = 2 / (h^2 (v_p + v_q))
        off = c * root[sl_p] * root[sl_q]  # S_pq = c_pq sqrt(v_p v_q)
        rows += [p.ravel(), q.ravel()]
        cols += [q.ravel(), p.ravel()]
        vals += [off.ravel(), off.ravel()]
        # A_pp = -sum_q A_qp = -sum_q c_pq v_q
        diag[sl_p] -= c * vq
        diag[sl_q] -= c * vp
    rows_a = np.concatenate([*rows, idx.ravel()])
    cols_a = np.concatenate([*cols, idx.ravel()])
    vals_a = np.concatenate([*vals, diag.ravel()])
    return sp.csr_matrix((vals_a, (rows_a, cols_a)), shape=(H * W, H * W))


def explicit_step_bound(A: sp.spmatrix) -> float:
    r"""Largest explicit Euler step ``tau`` for which ``I + tau A`` is non-negative.

    ``tau <= 1 / max_p |A_pp|`` makes the explicit scheme positivity preserving and stable in
    the 1-norm (the columns of ``I + tau A`` are non-negative and sum to one), as in Vogel et
    al. 2013.
    """
    worst = float(np.max(-A.diagonal(), initial=0.0))
    return np.inf if worst == 0.0 else 1.0 / worst
