r"""Exact-in-time osmosis: :math:`u(t) = \exp(tA) f` for many times from one factorisation.

Used by ``Osmosis(...).trajectory(method="exact")`` for the canonical drift of a guidance image
(Eq. 26 with :math:`\mathbf d = \nabla v / v`, and zero drift, i.e. ``v = 1``) at long times;
short times use the Chebyshev expansion of :mod:`driftscale.osmosis.chebyshev`. With
:math:`D = \mathrm{diag}(v)`, ``A = D^{1/2} S D^{-1/2}`` where ``S`` is symmetric negative
semi-definite (:func:`driftscale.osmosis.operator.symmetrised_operator`), so

.. math:: \exp(tA) f = D^{1/2} \exp(tS)\, b, \qquad b = D^{-1/2} f.

:math:`\exp(tS) b` is computed by the shift-and-invert (rational) Lanczos method of van den
Eshof and Hochbruck (2006) [1]_: the Krylov space of the symmetric positive definite
:math:`B = (I - \gamma S)^{-1}` is built with one sparse LU factorisation of
:math:`I - \gamma S`, reused for every iteration and every requested time, with full
re-orthogonalisation. With the Lanczos relation :math:`B V_m \approx V_m T_m`,

.. math:: \exp(tS) b \approx \|b\|\, V_m \exp\!\big(t (I - T_m^{-1}) / \gamma\big) e_1.

The convergence of this rational approximation does not depend on :math:`\|S\|` (unlike
polynomial Krylov, Chebyshev or Taylor methods such as ``scipy.sparse.linalg.expm_multiply``,
whose work grows like :math:`t\|S\|` or :math:`\sqrt{t\|S\|}`), which is what makes large times
(``t = 1e5``) cheap.

Stopping rule and tolerance: iteration stops when, for every requested time, the change of the
approximation over the last ``check_every`` iterations is below ``rtol * ||b||`` (the estimate
of [1]_, Sec. 4); the iteration count and the last change are returned in
:class:`ExpmResult`. Measured against dense ``scipy.linalg.expm`` and against
``expm_multiply`` in ``tests/osmosis/test_expm.py``.

Mass: the mass is :math:`\sum_p u_p = \sqrt v^{\top} x` with :math:`x = D^{-1/2}u`, and
:math:`\sqrt v` is an eigenvector of the symmetric ``S`` for the eigenvalue 0, so the component of
the exact :math:`x(t)` along :math:`\sqrt v` never changes. The result is corrected by replacing
its component along :math:`\sqrt v` with that exact value: an orthogonal projection onto the
affine set that contains the exact solution, so it cannot increase the error in the
:math:`D^{-1/2}`-weighted 2-norm, and it conserves the mass to round-off by construction.

References
----------
.. [1] J. van den Eshof, M. Hochbruck, "Preconditioning Lanczos approximations to the matrix
       exponential", SIAM J. Sci. Comput. 27(4), 2006, pp. 1438-1457.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from driftscale.typing import FloatArray

__all__ = ["ExpmResult", "ShiftInvertExpm"]


class ConvergenceError(RuntimeError):
    """The shift-and-invert Lanczos iteration did not reach its tolerance."""


@dataclass(frozen=True)
class ExpmResult:
    """``values[k] = exp(times[k] S) b`` with the work done and the final error estimate."""

    values: FloatArray
    iterations: int
    error_estimate: float


class ShiftInvertExpm:
    r"""Shift-and-invert Lanczos for :math:`\exp(tS)b`, ``S`` symmetric negative semi-definite.

    Parameters
    ----------
    S : sparse matrix (n, n)
        Symmetric negative semi-definite.
    gamma : float
        Shift :math:`\gamma > 0` of :math:`(I - \gamma S)^{-1}`; one LU factorisation is made
        here and reused by every :meth:`apply`.
    null_vector : ndarray (n,), optional
        A known unit null vector of ``S`` (here :math:`\sqrt v / \|\sqrt v\|`); the component of
        the result along it is set to its exact, time-independent value (module docstring).
    """

    def __init__(
        self, S: sp.spmatrix, *, gamma: float, null_vector: FloatArray | None = None
    ) -> None:
        n = S.shape[0]
        self.gamma = float(gamma)
        self.n = n
        M = (sp.identity(n, format="csc") - self.gamma * sp.csc_matrix(S)).tocsc()
        # I - gamma S is symmetric positive definite: no pivoting needed, symmetric ordering
        self._lu = spla.splu(
            M, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True}
        )
        self.null_vector = null_vector

    def apply(
        self,
        b: FloatArray,
        times: FloatArray,
        *,
        rtol: float = 1e-10,
        max_iter: int = 200,
        check_every: int = 4,
    ) -> ExpmResult:
        r"""Return ``exp(t S) b`` for every ``t`` in ``times`` (to ``rtol * ||b||``)."""
        times = np.asarray(times, dtype=np.float64)
        beta0 = float(np.linalg.norm(b))
        out = np.empty((times.size, self.n))
        if beta0 == 0.0:
            out[:] = 0.0
            return ExpmResult(out, 0, 0.0)
        m_max = min(max_iter, self.n)
        V = np.empty((min(m_max + 1, 32), self.n))  # Krylov basis, grown in chunks of 32
        alpha = np.zeros(m_max)
        beta = np.zeros(m_max)
        V[0] = b / beta0
        coeffs_prev: FloatArray | None = None
        m_prev = 0
        estimate = np.inf
        m = 0
        for j in range(m_max):
            w = self._lu.solve(V[j])  # w = (I - gamma S)^{-1} v_j
            alpha[j] = V[j] @ w
            # full re-orthogonalisation (twice is enough, Parlett's "twice is enough")
            for _ in range(2):
                w -= V[: j + 1].T @ (V[: j + 1] @ w)
            beta[j] = float(np.linalg.norm(w))
            m = j + 1
            invariant = beta[j] <= 1e-14 * abs(alpha[j])
            if not invariant:
                if m == V.shape[0]:
                    V = np.concatenate([V, np.empty((min(32, m_max + 1 - m), self.n))])
                V[j + 1] = w / beta[j]
            if invariant or m % check_every == 0 or m == m_max:
                coeffs = self._small_exp(alpha[:m], beta[: m - 1], times)
                if coeffs_prev is not None:
                    diff = coeffs.copy()
                    diff[:, :m_prev] -= coeffs_prev
                    estimate = float(np.max(np.linalg.norm(diff, axis=1)))
                coeffs_prev, m_prev = coeffs, m
                if invariant:
                    estimate = 0.0
                    break
                if estimate <= rtol:
                    break
        if estimate > rtol:
            raise ConvergenceError(
                f"shift-and-invert Lanczos did not reach rtol={rtol:g} in {m} iterations "
                f"(estimate {estimate:.3g}); raise `max_iter` or use method='implicit'"
            )
        assert coeffs_prev is not None
        out[:] = beta0 * (coeffs_prev @ V[:m])
        if self.null_vector is not None:
            # exact component along the null vector of S: <s, x(t)> = <s, b> for all t
            s = self.null_vector
            out += np.outer(s @ b - out @ s, s)
        return ExpmResult(out, m, estimate * beta0)

    def _small_exp(self, alpha: FloatArray, beta: FloatArray, times: FloatArray) -> FloatArray:
        """Rows ``exp(t (I - T^{-1}) / gamma) e_1`` for each ``t``, via the eigenvectors of T."""
        theta, U = sla.eigh_tridiagonal(alpha, beta)
        theta = np.clip(theta, np.finfo(float).tiny, None)  # B is SPD: Ritz values are > 0
        # S = (I - B^{-1}) / gamma  ->  eigenvalues (1 - 1/theta) / gamma <= 0
        lam = np.minimum((1.0 - 1.0 / theta) / self.gamma, 0.0)
        weights = np.exp(np.outer(times, lam)) * U[0]
        return weights @ U.T
