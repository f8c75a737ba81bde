r"""Steady state of linear osmosis for any drift field: one sparse linear solve, no time stepping.

The semi-discrete osmosis system :math:`du/dt = A u` of Vogel et al. [1]_ (Eq. 26 of Peter 2023;
the operator of :mod:`driftscale.osmosis.operator`) converges for :math:`t \to \infty` to the
unique positive vector ``w`` with :math:`A w = 0` and the mass of the initial image,
:math:`\mathbf 1^\top w = \mathbf 1^\top f` [1]_: ``A`` has vanishing column sums, non-negative
off-diagonals and is irreducible when :math:`h|d| < 2` on every face, so by Perron-Frobenius its
null space is one-dimensional and spanned by a positive vector. For the canonical drift of a
guidance image ``v`` the steady state is known, :math:`w = (\mu_f/\mu_v)\, v` (Sec. 4.2 of
Peter 2023); for the modified drifts of image editing (:mod:`driftscale.osmosis.editing`) it is
not, and the public codes reach it by time stepping to :math:`T = 10^4 \dots 10^5`.

Here ``w`` comes from one linear solve. One pixel ``k`` is pinned, :math:`w_k = 1`; the other
rows and columns of ``A`` form a non-singular M-matrix (every proper principal submatrix of an
irreducible singular M-matrix is non-singular), so

.. math:: A_{UU}\, w_U = -A_{Uk}, \qquad U = \{p \ne k\},

has a unique, positive solution; the row ``k`` of :math:`A w = 0` then holds automatically
because the columns of ``A`` sum to zero. Finally ``w`` is rescaled to the mass of ``f``. This is
the bordered system :math:`\begin{pmatrix} A & \mathbf 1 \\ \mathbf 1^\top & 0\end{pmatrix}`
with its border eliminated: solving the bordered matrix directly with SuperLU fills in 5 times
more (24 M against 5.0 M non-zeros of L + U, same minimum-degree ordering) and takes 12 times
longer on a 300 x 300 grid (measured, ``benchmarks/bench_osmosis_steady.py --bordered``),
because its dense row and column defeat the fill-reducing ordering.

The same kernel solves the Dirichlet problem of local editing (d'Autume et al. [2]_): the pixels
of a mask ``fixed`` keep the values of ``f`` and the others solve :math:`(A w)_U = 0`.

Solvers (``method``):

``"direct"``
    Sparse LU of :math:`A_{UU}` (SuperLU, minimum-degree ordering of :math:`A^\top + A`).
    Backward stable: the relative residual is near the unit round-off. Memory grows faster than
    the pixel count (the fill of a 2-D grid), see the benchmark.
``"amg"``
    Classical (Ruge-Stuben) algebraic multigrid of pyamg as a preconditioner of BiCGSTAB, on the
    scaled matrix :math:`-A_{UU}\,\mathrm{diag}(g_U)` with a positive ``guess`` ``g`` of the
    steady state (default: ones). The scaled unknown :math:`z = w/g` is then nearly constant,
    which AMG resolves well; the start vector is ``z = 1``. Stops at a relative residual
    ``rtol`` of the reduced system; memory grows linearly.
``"auto"``
    ``direct`` up to ``DIRECT_MAX_PIXELS`` pixels per channel, ``amg`` above.

The result reports the relative residual :math:`\|A w\|_2 / (\|A\|_1 \|w\|_2)` of the full
system (:math:`\|A\|_1 = 2\max_p |A_{pp}|`, the largest column sum of absolute values), the
relative mass error, the smallest value and the solver's iteration count.

References
----------
.. [1] O. Vogel, K. Hagenburg, J. Weickert, S. Setzer, "A fully discrete theory for linear osmosis
       filtering", SSVM 2013, LNCS 7893, pp. 368-379.
.. [2] M. d'Autume, J.-M. Morel, E. Meinhardt-Llopis, "A flexible solution to the osmosis
       equation for seamless cloning and shadow removal", ICIP 2018.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from driftscale._progress import progress_callback
from driftscale._validation import check_choice, check_image, check_positive_array
from driftscale.osmosis.expm import ConvergenceError
from driftscale.osmosis.operator import (
    POSITIVE_FIX,
    DriftField,
    check_drift,
    check_grid_size,
    osmosis_operator,
)
from driftscale.typing import FloatArray

__all__ = ["DIRECT_MAX_PIXELS", "SteadyState", "solve_steady_state"]

SteadyMethod = Literal["auto", "direct", "amg"]
METHODS = ("auto", "direct", "amg")
# Above 2 megapixels per channel sparse LU needs more than ~3 GB (measured peak per channel:
# 1.4 GB at 1 MP, 6.4 GB at 4 MP; AMG 0.6 and 2.4 GB; benchmarks/bench_osmosis_steady.py).
DIRECT_MAX_PIXELS = 2_000_000


@dataclass(frozen=True)
class SteadyState:
    """The steady state of osmosis and how well it solves its equations.

    Attributes
    ----------
    image : ndarray of float64, shape (H, W) or (H, W, C)
        The steady state ``w`` (positive; channel-wise).
    method : str
        ``"direct"`` or ``"amg"`` (what ``"auto"`` chose).
    residual : float
        Largest relative residual :math:`\\|A w\\|_2 / (\\|A\\|_1 \\|w\\|_2)` over the channels,
        on the free pixels only when some are fixed.
    mass_error : float or None
        Largest relative error of the mass per channel; ``None`` with fixed pixels (the mass is
        then set by the fixed values, not imposed).
    minimum : float
        Smallest value of ``image``.
    iterations : int
        Largest number of AMG-preconditioned BiCGSTAB iterations over the channels (0 for
        direct).
    """

    image: FloatArray
    method: str
    residual: float
    mass_error: float | None
    minimum: float
    iterations: int

    def to_dict(self) -> dict[str, Any]:
        """The numbers, JSON-ready (not the image)."""
        return {
            "method": self.method,
            "residual": self.residual,
            "mass_error": self.mass_error,
            "minimum": self.minimum,
            "iterations": self.iterations,
        }


def solve_steady_state(
    drift: Any,
    f: Any,
    *,
    fixed: Any = None,
    method: SteadyMethod = "auto",
    guess: Any = None,
    rtol: float = 1e-10,
    max_iter: int = 200,
    h: float | None = None,
    progress: bool | Callable[[int], Any] | None = None,
) -> SteadyState:
    r"""The steady state of osmosis with drift ``drift`` and the mass (or fixed values) of ``f``.

    Parameters
    ----------
    drift : (d1, d2) or DriftField
        Drift on the staggered grid (:class:`~driftscale.osmosis.operator.DriftField`, e.g. from
        :func:`~driftscale.osmosis.operator.canonical_drift`), one per channel or one for all.
    f : ndarray of shape (H, W) or (H, W, C)
        Strictly positive image: the steady state keeps its mass per channel; with ``fixed`` it
        keeps its values on the fixed pixels instead.
    fixed : ndarray of bool, shape (H, W), optional
        Pixels held at ``f`` (Dirichlet data, local editing); at least one pixel, not all.
    method : {"auto", "direct", "amg"}
        Sparse LU, algebraic multigrid, or by size (module docstring).
    guess : ndarray of shape (H, W) or like ``f``, optional
        Positive approximation of the steady state that scales the AMG problem (ignored by
        ``direct``); default ones.
    rtol : float
        AMG: relative residual of the reduced system at which BiCGSTAB stops.
    max_iter : int
        AMG: most BiCGSTAB iterations; beyond them :class:`ConvergenceError` is raised.
    h : float, optional
        Grid size when ``drift`` is a plain pair (a DriftField carries its own; default 1).
    progress : bool or callable, optional
        ``True``: a progress bar over the channels on stderr; a callable is called with the
        number of channels done.

    Returns
    -------
    SteadyState
        ``image`` float64 of the shape of ``f``, with residual, mass error and minimum.

    Examples
    --------
    >>> from driftscale.osmosis import canonical_drift
    >>> v = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> w = solve_steady_state(canonical_drift(v), np.ones((2, 2))).image
    >>> np.allclose(w, v * 4 / v.sum(), rtol=1e-12)
    True
    """
    field, f, fixed, guess = _check_inputs(drift, f, fixed, guess, h)
    check_choice(method, name="method", choices=METHODS)
    if not (np.isfinite(rtol) and 0 < rtol < 1):
        raise ValueError(f"`rtol` must lie in (0, 1), got {rtol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"`max_iter` must be a positive integer, got {max_iter!r}")
    n_pixels = f.shape[0] * f.shape[1]
    chosen = method if method != "auto" else ("direct" if n_pixels <= DIRECT_MAX_PIXELS else "amg")
    channels = 1 if f.ndim == 2 else f.shape[2]
    update = progress_callback(progress, channels, f"osmosis steady state ({chosen})")
    out = np.empty(f.shape)
    residuals, masses, iterations = [], [], []
    for c in range(channels):
        A = osmosis_operator(*_channel(field, c), h=field.h)
        fc, gc = _plane(f, c), _plane(guess, c)
        w, its = _solve_channel(A, fc, gc, fixed, chosen, rtol, int(max_iter))
        residuals.append(_relative_residual(A, w, fixed))
        iterations.append(its)
        if fixed is None:
            masses.append(abs(w.sum() - fc.sum()) / fc.sum())
        if f.ndim == 2:
            out[:] = w.reshape(fc.shape)
        else:
            out[..., c] = w.reshape(fc.shape)
        if update is not None:
            update(c + 1)
    if hasattr(update, "close"):
        update.close()
    return SteadyState(
        image=out,
        method=chosen,
        residual=float(max(residuals)),
        mass_error=None if fixed is not None else float(max(masses)),
        minimum=float(out.min()),
        iterations=int(max(iterations)),
    )


# ------------------------------------------------------------------------------- validation
def _check_inputs(
    drift: Any, f: Any, fixed: Any, guess: Any, h: float | None
) -> tuple[DriftField, FloatArray, np.ndarray | None, FloatArray]:
    if isinstance(drift, DriftField):
        if h is not None and check_grid_size(h) != drift.h:
            raise ValueError(f"`h` = {h!r} differs from the DriftField's h = {drift.h!r}")
        field = check_drift(drift, h=drift.h)
    else:
        field = check_drift(drift, h=1.0 if h is None else check_grid_size(h))
    f = check_positive_array(check_image(f, name="f"), name="f", fix=POSITIVE_FIX)
    shape = field.image_shape
    if f.shape[:2] != shape[:2] or (len(shape) == 3 and f.shape != shape):
        raise ValueError(
            f"`f` of shape {f.shape} does not match the drift of image shape {shape}; give "
            "both the same (H, W) (one single-channel drift may serve every channel of f)"
        )
    if fixed is not None:
        fixed = np.asarray(fixed)
        if fixed.dtype != bool or fixed.shape != f.shape[:2]:
            raise ValueError(
                f"`fixed` must be a boolean mask of shape {f.shape[:2]}, got dtype "
                f"{fixed.dtype} and shape {fixed.shape}"
            )
        if not fixed.any() or fixed.all():
            what = "no pixel" if not fixed.any() else "every pixel"
            raise ValueError(
                f"`fixed` must hold at least one fixed and one free pixel, got {what} fixed; "
                "pass fixed=None for the steady state with the mass of f"
            )
    if guess is None:
        guess = np.ones(f.shape[:2])
    else:
        guess = check_positive_array(check_image(guess, name="guess"), name="guess")
        if guess.shape[:2] != f.shape[:2] or (guess.ndim == 3 and guess.shape != f.shape):
            raise ValueError(
                f"`guess` must have shape {f.shape[:2]} or {f.shape}, got {guess.shape}"
            )
    return field, f, fixed, guess


def _channel(field: DriftField, c: int) -> tuple[FloatArray, FloatArray]:
    if field.d1.ndim == 2:
        return field.d1, field.d2
    return field.d1[..., c], field.d2[..., c]


def _plane(x: FloatArray, c: int) -> FloatArray:
    return x if x.ndim == 2 else x[..., c]


# ---------------------------------------------------------------------------------- kernels
def _solve_channel(
    A: sp.csr_matrix,
    f: FloatArray,
    g: FloatArray,
    fixed: np.ndarray | None,
    method: str,
    rtol: float,
    max_iter: int,
) -> tuple[FloatArray, int]:
    """One channel: pin a pixel (or use ``fixed``), solve the free rows, rescale to the mass."""
    n = A.shape[0]
    if fixed is None:
        known = np.zeros(n, dtype=bool)
        known[int(np.argmax(g))] = True  # any pixel works; the brightest of the guess
        values = np.ones(1)  # w_k = 1, rescaled to the mass of f below
    else:
        known = fixed.ravel()
        values = f.ravel()[known]
    free = ~known
    A_uu = A[free][:, free]
    rhs = -(A[free][:, known] @ values)  # A_UU w_U = -A_UK w_K
    if method == "direct":
        w_free, iterations = _direct(A_uu, rhs), 0
    else:
        w_free, iterations = _amg(A_uu, rhs, g.ravel()[free], rtol=rtol, max_iter=max_iter)
    w = np.empty(n)
    w[known] = values
    w[free] = w_free
    if fixed is None:
        w *= f.sum() / w.sum()  # the mass of f (Vogel et al. 2013: steady state keeps it)
    return w, iterations


def _direct(A_uu: sp.csr_matrix, rhs: FloatArray) -> FloatArray:
    try:
        lu = spla.splu(A_uu.tocsc(), permc_spec="MMD_AT_PLUS_A")
    except RuntimeError as exc:  # "Factor is exactly singular"
        raise ValueError(
            "the osmosis system is singular: some free pixels are cut off from the fixed ones "
            "(a drift with h|d| = 2 on a face blocks it); weaken the drift slightly"
        ) from exc
    return lu.solve(rhs)


def _amg(
    A_uu: sp.csr_matrix, rhs: FloatArray, g: FloatArray, *, rtol: float, max_iter: int
) -> tuple[FloatArray, int]:
    """AMG-preconditioned BiCGSTAB on ``-A_UU diag(g) z = -rhs``; returns ``w = g z``.

    SciPy's BiCGSTAB stops on the true residual ``||b - B z|| <= rtol ||b||`` (pyamg's own
    GMRES stops on the preconditioned one, measured up to 100 times larger at 1 megapixel).
    """
    import pyamg

    B = -(A_uu @ sp.diags(g)).tocsr()  # an M-matrix whose solution z = w / g is nearly constant
    b = -rhs
    preconditioner = pyamg.ruge_stuben_solver(B).aspreconditioner(cycle="V")
    count = [0]

    def _count(_: FloatArray) -> None:
        count[0] += 1

    z, info = spla.bicgstab(
        B, b, x0=np.ones(B.shape[0]), rtol=rtol, atol=0.0, maxiter=max_iter, M=preconditioner,
        callback=_count,
    )  # fmt: skip
    relative = np.linalg.norm(b - B @ z) / np.linalg.norm(b)
    if info != 0 or not relative <= rtol * (1.0 + 1e-6):
        raise ConvergenceError(
            f"AMG-BiCGSTAB did not reach rtol={rtol:g} in max_iter={max_iter} iterations "
            f"(relative residual {relative:.2e}, info {info}); use method='direct', a larger "
            "`max_iter` or a better `guess`"
        )
    return g * z, count[0]


def _relative_residual(A: sp.csr_matrix, w: FloatArray, fixed: np.ndarray | None) -> float:
    """``||A w||_2 / (||A||_1 ||w||_2)`` on the free pixels; ``||A||_1 = 2 max |A_pp|``."""
    r = A @ w
    if fixed is not None:
        r = r[~fixed.ravel()]
    norm_a = 2.0 * float(np.max(np.abs(A.diagonal())))
    if norm_a == 0.0:
        return 0.0
    return float(np.linalg.norm(r) / (norm_a * np.linalg.norm(w)))
