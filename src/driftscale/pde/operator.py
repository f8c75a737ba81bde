r"""Conservative finite-volume operator of a 1-D drift-diffusion equation, Eq. (24) and (27).

Both worlds of Peter 2023 meet here. The Fokker-Planck equation of the chain (Eq. 24, with the
sign of the drift term corrected, see :mod:`driftscale.pde.fokker_planck`) and 1-D osmosis
(Eq. 27) are the same conservation law

.. math:: \partial_t p = \partial_x\bigl(D\,\partial_x p - a(x)\,p\bigr), \qquad
          J = a\,p - D\,\partial_x p,

with a drift ``a`` and a constant diffusivity ``D`` (Fokker-Planck: :math:`a = m_1`,
:math:`D = m_2/2`; osmosis: :math:`a = d`, :math:`D = 1`). On a cell-centred grid the flux through
the face between cells ``i`` and ``i + 1`` is a two-point flux
:math:`J_{i+1/2} = \ell_{i+1/2}\,p_i - r_{i+1/2}\,p_{i+1}` (times ``h``), and
:math:`\dot p_i = (J_{i-1/2} - J_{i+1/2})/h` gives a tridiagonal matrix ``A`` with
``A[i, i+1] = r``, ``A[i+1, i] = l`` (over ``h^2``). The boundary faces carry no flux, so every
column of ``A`` sums to zero (**mass conservation**); ``l, r > 0`` make ``A`` a Metzler matrix,
so ``exp(tA)`` and ``(I - tau A)^{-1}`` are non-negative (**positivity**).

Fluxes (``flux=``):

``"scharfetter-gummel"``
    :math:`J = \tfrac{D}{h}[B(-P)p_i - B(P)p_{i+1}]`, :math:`P = a h/D`,
    :math:`B(z) = z/(e^z - 1)` (Scharfetter & Gummel 1969; Chang & Cooper 1970 in exponential
    form). Positive for every ``h`` and exact at equilibrium: ``J = 0`` iff
    :math:`p_{i+1}/p_i = e^{P}`, the discrete Boltzmann factor. For the VP-SDE drift
    :math:`a = -x/2` this is exactly :math:`e^{-(x_{i+1}^2 - x_i^2)/2}`, i.e. the sampled
    :math:`\mathcal N(0, 1)` is the discrete steady state.
``"central"``
    :math:`J = a\tfrac{p_i + p_{i+1}}2 - D\tfrac{p_{i+1} - p_i}h`: the discretisation of Vogel et
    al. (2013) used by :mod:`driftscale.osmosis`; positive only when the grid Péclet number
    :math:`h|a|/D < 2` (checked).
``"cell-average"``
    Write :math:`p = \pi q` with the continuous equilibrium :math:`\pi \propto e^{\Phi}`,
    :math:`\Phi' = a/D`, and let :math:`\Pi_i = \tfrac1h\int_{\text{cell } i}\pi` be its **cell
    averages** (Gauss-Legendre quadrature of :math:`e^{\Phi}`, with :math:`\Phi` itself integrated
    from ``a`` by quadrature, so ``drift`` must be a function). The flux is
    :math:`J = -\tfrac Dh\,w_{i+1/2}\bigl(\tfrac{p_{i+1}}{\Pi_{i+1}} - \tfrac{p_i}{\Pi_i}\bigr)`
    with the arithmetic mean :math:`w_{i+1/2} = (\Pi_i + \Pi_{i+1})/2`. Positive for every
    ``h`` (both rates :math:`(1 + e^{\pm r})/2 > 0`, :math:`r = \ln(\Pi_{i+1}/\Pi_i)`), and its
    discrete equilibrium is exactly the cell averages of the (truncated, renormalised) continuous
    one, the quantity a cell-average initial condition is compared against. The arithmetic mean
    had the smallest L1 error among the SG (Bernoulli), geometric (SQRA), logarithmic, harmonic
    and arithmetic face means on the benchmark of ``benchmarks/bench_fokker_planck.py``; the
    scheme is second order like the others. Its rates grow like :math:`e^{|r|}/2` where the
    equilibrium changes fast across a cell (SG's grow like :math:`|r|`): where mass sits at
    :math:`|r| \gg 1` it relaxes far too fast to the local equilibrium, so prefer
    ``"scharfetter-gummel"`` on coarse grids or wide domains; :math:`|r| > 20` is refused.

All three satisfy detailed balance, :math:`A_{i,i+1}\pi_{i+1} = A_{i+1,i}\pi_i` for the discrete
equilibrium :math:`\pi`, so :math:`S = \Pi^{-1/2} A \Pi^{1/2}` is a symmetric tridiagonal matrix
with off-diagonal :math:`\sqrt{l\,r}`; its eigendecomposition gives ``exp(sA)`` at any ``s``.

References
----------
.. [1] D. L. Scharfetter, H. K. Gummel, "Large-signal analysis of a silicon Read diode
       oscillator", IEEE Trans. Electron Devices 16 (1969), 64-77.
.. [2] J. S. Chang, G. Cooper, "A practical difference scheme for Fokker-Planck equations",
       J. Comput. Phys. 6 (1970), 1-16.
.. [3] O. Vogel, K. Hagenburg, J. Weickert, S. Setzer, "A fully discrete theory for linear osmosis
       filtering", SSVM 2013, LNCS 7893, pp. 368-379.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh_tridiagonal

from driftscale._validation import check_array, check_choice
from driftscale.pde.grid import Grid1D
from driftscale.typing import FloatArray

__all__ = [
    "FLUXES",
    "DriftDiffusionOperator",
    "bernoulli",
    "drift_diffusion_operator",
    "log_cell_equilibrium",
]

Flux = Literal["scharfetter-gummel", "central", "cell-average"]
FLUXES = ("scharfetter-gummel", "central", "cell-average")
# Gauss-Legendre nodes per cell for the cell averages of the equilibrium (exact for polynomial
# drifts up to degree 2 * 8 - 1 in Phi; e^Phi over one cell of a resolving grid to round-off)
QUADRATURE_NODES = 8
# flux="cell-average": rates (1 + e^|r|) / 2 beyond e^20 / 2 ~ 2.4e8 times the diffusive rate
# D / h^2 make A so stiff that it only models instant local equilibration; SG is the scheme there
MAX_CELL_AVERAGE_RATIO = 20.0
# exp(-LOG_RANGE / 2) is still a normal float: wider equilibria cannot be symmetrised in float64
LOG_RANGE = 1400.0


def bernoulli(z: Any) -> FloatArray:
    r"""The Bernoulli function :math:`B(z) = z / (e^z - 1)`, ``B(0) = 1``, without overflow.

    Examples
    --------
    >>> bernoulli([0.0, 1e-12, 800.0]).round(6).tolist()
    [1.0, 1.0, 0.0]
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.ones_like(z)
    pos, neg = z > 0, z < 0
    zp = z[pos]
    # B(z) = z e^{-z} / (1 - e^{-z}) for z > 0 (e^{-z} may underflow to 0: B -> 0, correct)
    out[pos] = zp * np.exp(-zp) / -np.expm1(-zp)
    zn = z[neg]
    out[neg] = zn / np.expm1(zn)  # B(z) = z / (e^z - 1), e^z in (0, 1)
    return out


def _evaluate(drift: Callable[[FloatArray], Any], x: FloatArray) -> FloatArray:
    values = np.asarray(drift(x.ravel()), dtype=np.float64)
    values = check_array(np.broadcast_to(values, (x.size,)), name="drift")
    return values.reshape(x.shape)


def log_cell_equilibrium(
    grid: Grid1D,
    drift: Callable[[FloatArray], Any],
    *,
    diffusivity: float = 1.0,
    num_nodes: int = QUADRATURE_NODES,
) -> FloatArray:
    r"""Logarithms of the cell averages :math:`\Pi_i = \frac1h\int_{x_{i-1/2}}^{x_{i+1/2}}
    e^{\Phi(x)}\,dx` of the equilibrium of :math:`\partial_x(D\partial_x p - a p)`,
    :math:`\Phi(x) = \int_{\text{lower}}^x a/D`, up to one additive constant.

    :math:`\Phi` is integrated from ``a`` by ``num_nodes``-point Gauss-Legendre on each cell (at
    the faces) and on each sub-interval from a face to a node; :math:`e^{\Phi}` is then averaged
    with the same rule, in log-sum-exp form so that equilibria spanning hundreds of decades
    neither overflow nor underflow. Where :math:`\Phi` changes by more than 2 across a cell,
    every cell is split into equal sub-cells first (the rule's error grows like :math:`r^{2m}`).

    Parameters
    ----------
    grid : Grid1D
    drift : callable
        ``a(x)``, evaluated on a 1-D array of points.
    diffusivity : float
        ``D > 0``.
    num_nodes : int
        Gauss-Legendre nodes per cell.

    Returns
    -------
    ndarray of float64, shape (num_cells,)
        :math:`\ln\Pi_i`, shifted so that the maximum is 0.

    Examples
    --------
    >>> from scipy.special import ndtr
    >>> g = Grid1D(-3.0, 3.0, 6)
    >>> log_pi = log_cell_equilibrium(g, lambda x: -0.5 * x, diffusivity=0.5)  # N(0, 1)
    >>> exact = np.diff(ndtr(g.faces))
    >>> bool(np.allclose(np.exp(log_pi) / np.exp(log_pi).sum(), exact / exact.sum(), rtol=1e-12))
    True
    """
    D = float(diffusivity)
    t, w = np.polynomial.legendre.leggauss(int(num_nodes))
    t, w = (t + 1.0) / 2.0, w / 2.0  # rule on [0, 1]
    h, left = grid.h, grid.faces[:-1, None]
    # Phi at the faces: cumulative sum of the integrals of a / D over each cell
    jumps = h * (_evaluate(drift, left + h * t) @ w) / D
    split = math.ceil(float(np.max(np.abs(jumps))) / 2.0)
    if split > 1:
        # Gauss on e^Phi over a cell where Phi changes by r errs like r^(2m) (m!)^4 / (2m)!^3
        # (1e-2 at r = 20, m = 8); on sub-cells with |r| <= 2 it is below 1e-18
        fine = Grid1D(grid.lower, grid.upper, grid.num_cells * split)
        sub_log = log_cell_equilibrium(fine, drift, diffusivity=D, num_nodes=num_nodes)
        sub_log = sub_log.reshape(grid.num_cells, split)
        top = sub_log.max(axis=1)
        log_avg = top + np.log(np.mean(np.exp(sub_log - top[:, None]), axis=1))
        return log_avg - log_avg.max()
    phi_left = np.concatenate([[0.0], np.cumsum(jumps)[:-1]])
    # Phi at the node x_k = x_{i-1/2} + h t_k: Phi(x_{i-1/2}) + (h t_k) * mean of a/D on the way
    sub = left[:, :, None] + (h * t)[None, :, None] * t[None, None, :]
    phi = phi_left[:, None] + (h * t) * (_evaluate(drift, sub) @ w) / D
    top = phi.max(axis=1)
    log_avg = top + np.log(np.exp(phi - top[:, None]) @ w)  # ln((1/h) int e^Phi) per cell
    return log_avg - log_avg.max()


@dataclass(frozen=True, eq=False)
class DriftDiffusionOperator:
    """The tridiagonal matrix ``A`` of :math:`\\dot p = A p` on ``grid`` (see the module docstring).

    ``lower[i] = A[i+1, i]``, ``diag[i] = A[i, i]``, ``upper[i] = A[i, i+1]``;
    ``log_ratio[i] = ln(pi_{i+1} / pi_i)`` of the discrete equilibrium ``pi``.
    """

    grid: Grid1D
    lower: FloatArray
    diag: FloatArray
    upper: FloatArray
    log_ratio: FloatArray
    flux: str

    def matvec(self, p: Any, *, transpose: bool = False) -> FloatArray:
        """``A @ p`` (or ``A.T @ p``) for ``p`` of shape ``(num_cells,)``."""
        lo, up = (self.upper, self.lower) if transpose else (self.lower, self.upper)
        p = np.asarray(p, dtype=np.float64)
        out = self.diag * p
        out[:-1] += up * p[1:]
        out[1:] += lo * p[:-1]
        return out

    def to_sparse(self) -> sp.csr_matrix:
        """``A`` as a SciPy sparse matrix."""
        return sp.diags([self.lower, self.diag, self.upper], [-1, 0, 1], format="csr")

    @cached_property
    def log_equilibrium(self) -> FloatArray:
        r""":math:`\ln\pi_i` of the discrete equilibrium, shifted so that its maximum is 0."""
        lp = np.concatenate([[0.0], np.cumsum(self.log_ratio)])
        return lp - lp.max()

    def equilibrium(self) -> FloatArray:
        r"""The discrete equilibrium density :math:`\pi` (``A pi = 0``), normalised to mass 1."""
        pi = np.exp(self.log_equilibrium)
        return pi / self.grid.mass(pi)

    @cached_property
    def eigen(self) -> tuple[FloatArray, FloatArray]:
        r"""Eigenvalues (all :math:`\le 0`) and orthonormal eigenvectors of
        :math:`S = \Pi^{-1/2} A \Pi^{1/2}`."""
        # detailed balance: S is symmetric with off-diagonal sqrt(A[i, i+1] A[i+1, i])
        off = np.sqrt(self.lower) * np.sqrt(self.upper)
        lam, vec = eigh_tridiagonal(self.diag, off)
        # the top eigenvalue is exactly 0 (A pi = 0); eigh returns it to ~1e-15, and at large s
        # e^{s * 1e-15} would make the mass drift, so set it
        lam[-1] = 0.0
        return lam, vec

    def expm_apply(self, p: Any, s: Any, *, transpose: bool = False) -> FloatArray:
        r"""``exp(s A) p`` (or ``exp(s A^T) p``) for every ``s`` in ``s``: shape ``(len(s), N)``.

        Uses :math:`e^{sA} = \Pi^{1/2} V e^{s\Lambda} V^T \Pi^{-1/2}` (exact in time, one
        eigendecomposition for all ``s``). The rounding error of this route is amplified by
        :math:`\Pi^{\pm 1/2}`; where the a-priori bound
        :math:`N\varepsilon\,w_i\,\|\Pi^{\mp1/2}p\|_1` exceeds ``1e-10`` of the result (a wide
        domain, or the backward equation with an equilibrium spanning many decades) it switches
        to :func:`scipy.sparse.linalg.expm_multiply` (Al-Mohy & Higham), accurate in norm.
        """
        p = np.asarray(p, dtype=np.float64)
        s = np.atleast_1d(np.asarray(s, dtype=np.float64))
        half = 0.5 * self.log_equilibrium
        sign = -1.0 if transpose else 1.0
        y = np.exp(-sign * half) * p if half.min() > -0.5 * LOG_RANGE else None
        if y is not None and np.all(np.isfinite(y)):
            lam, vec = self.eigen
            coeff = vec.T @ y
            decay = np.exp(np.multiply.outer(s, lam))  # e^{s lambda_k}, lambda_k <= 0
            weight = np.exp(sign * half)
            out = (decay * coeff) @ vec.T * weight
            bound = p.size * np.finfo(float).eps * np.abs(y).sum() * weight.max()
            if bound <= 1e-10 * np.abs(out).max(initial=np.abs(p).max()):
                return out
        from scipy.sparse.linalg import expm_multiply

        A = self.to_sparse().T.tocsr() if transpose else self.to_sparse()
        return np.stack([expm_multiply(sk * A, p) if sk > 0 else p.copy() for sk in s])


def drift_diffusion_operator(
    grid: Grid1D,
    drift: Any,
    *,
    diffusivity: float = 1.0,
    flux: Flux = "scharfetter-gummel",
    log_ratio: Any = None,
) -> DriftDiffusionOperator:
    r"""Assemble ``A`` for :math:`\partial_t p = \partial_x(D\partial_x p - a p)` with no-flux
    boundaries.

    Parameters
    ----------
    grid : Grid1D
    drift : callable or ndarray of shape (num_cells - 1,)
        Drift ``a`` at the interior faces (an array), or a function ``a(x)`` evaluated there.
    diffusivity : float
        The constant ``D > 0`` (``m2 / 2`` for Eq. 24, ``1`` for osmosis Eq. 27).
    flux : {"scharfetter-gummel", "central", "cell-average"}
        ``"cell-average"`` needs ``drift`` as a function (see the module docstring).
    log_ratio : ndarray of shape (num_cells - 1,), optional
        Scharfetter-Gummel only: prescribe the equilibrium ratios
        :math:`\ln(\pi_{i+1}/\pi_i)` directly instead of :math:`P = a h / D` (used for osmosis
        with a guidance ``v``: ``ln(v_{i+1}/v_i)``, so that ``v`` is exactly stationary).

    Returns
    -------
    DriftDiffusionOperator
    """
    if not isinstance(grid, Grid1D):
        raise TypeError(f"`grid` must be a Grid1D, got {type(grid).__name__}")
    check_choice(flux, name="flux", choices=FLUXES)
    D = float(diffusivity)
    if not (math.isfinite(D) and D > 0):
        raise ValueError(f"`diffusivity` must be positive and finite, got {diffusivity!r}")
    peclet = _peclet(grid, drift, D, flux, log_ratio)
    lower, upper, ratio = _face_rates(peclet, D / grid.h**2, flux)
    diag = np.zeros(grid.num_cells)
    diag[:-1] -= lower  # outflow of cell i through its right face
    diag[1:] -= upper  # outflow of cell i + 1 through its left face
    return DriftDiffusionOperator(
        grid=grid, lower=lower, diag=diag, upper=upper, log_ratio=ratio, flux=flux
    )


def _peclet(grid: Grid1D, drift: Any, D: float, flux: str, log_ratio: Any) -> FloatArray:
    """The grid Péclet numbers ``a h / D`` at the interior faces (or ``ln(Pi_(i+1) / Pi_i)``)."""
    n = grid.num_cells
    if log_ratio is not None:
        if flux != "scharfetter-gummel":
            raise ValueError(f"`log_ratio` needs flux='scharfetter-gummel', got flux={flux!r}")
        peclet = check_array(log_ratio, name="log_ratio", ndim=1)
        if peclet.size != n - 1:
            raise ValueError(
                f"`log_ratio` must have num_cells - 1 = {n - 1} entries, got {peclet.size}"
            )
        return peclet
    if flux == "cell-average":
        if not callable(drift):
            raise TypeError(
                "flux='cell-average' needs `drift` as a function a(x) (it integrates the "
                f"equilibrium over each cell), got {type(drift).__name__}"
            )
        return np.diff(log_cell_equilibrium(grid, drift, diffusivity=D))
    a = drift(grid.interior_faces) if callable(drift) else drift
    a = check_array(np.broadcast_to(np.asarray(a, dtype=np.float64), (n - 1,)), name="drift")
    return a * grid.h / D


def _face_rates(
    peclet: FloatArray, c: float, flux: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``A[i+1, i]``, ``A[i, i+1]`` and ``ln(pi_(i+1) / pi_i)`` of each interior face."""
    if flux == "scharfetter-gummel":
        # J_{i+1/2} = (D/h) [B(-P) p_i - B(P) p_{i+1}], P = a h / D
        return c * bernoulli(-peclet), c * bernoulli(peclet), peclet.copy()  # B(-P)/B(P) = e^P
    worst = float(np.max(np.abs(peclet)))
    if flux == "cell-average":
        # J = -(D/h) w (p_{i+1}/Pi_{i+1} - p_i/Pi_i), w = (Pi_i + Pi_{i+1}) / 2,
        # r = ln(Pi_{i+1} / Pi_i): A[i+1, i] = c (1 + e^r) / 2, A[i, i+1] = c (1 + e^-r) / 2
        if worst > MAX_CELL_AVERAGE_RATIO:
            raise ValueError(
                f"flux='cell-average' needs the grid Péclet number |ln(Pi_(i+1) / Pi_i)| <= "
                f"{MAX_CELL_AVERAGE_RATIO:g} (its rates grow like e^|r| / 2), got {worst:.3g}; "
                "refine the grid (num_cells) or use flux='scharfetter-gummel'"
            )
        lower, upper = c * 0.5 * (1.0 + np.exp(peclet)), c * 0.5 * (1.0 + np.exp(-peclet))
        return lower, upper, peclet.copy()  # exact: lower / upper = e^r
    # J_{i+1/2} = a (p_i + p_{i+1}) / 2 - D (p_{i+1} - p_i) / h   (Vogel et al. 2013)
    lower, upper = c * (1.0 + peclet / 2.0), c * (1.0 - peclet / 2.0)
    if worst >= 2.0:
        raise ValueError(
            f"flux='central' needs the grid Péclet number h|a|/D < 2 for positivity, got "
            f"{worst:.3g}; refine the grid (num_cells) or use flux='scharfetter-gummel'"
        )
    return lower, upper, np.log(lower) - np.log(upper)
