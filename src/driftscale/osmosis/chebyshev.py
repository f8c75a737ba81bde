r"""Chebyshev expansion of :math:`\exp(tS)b` for short and medium osmosis times, error-bounded.

Used by ``Osmosis(...).trajectory(method="exact")`` (Eq. 26) for the times where it is cheaper
than the shift-and-invert Lanczos method of :mod:`driftscale.osmosis.expm`: it needs no
factorisation and no Krylov basis, only sparse products with ``S``.

For symmetric ``S`` with spectrum in :math:`[-a, 0]`, write :math:`S = (a/2)(Y - I)` with
:math:`Y` spectrum in :math:`[-1, 1]`; the Chebyshev expansion of the exponential
(Abramowitz-Stegun 9.6.34) gives

.. math:: \exp(tS) = e^{-z}\Big(I_0(z) I + 2 \sum_{k \ge 1} I_k(z)\, T_k(Y)\Big),
          \qquad z = t a / 2,

with the modified Bessel functions :math:`I_k`; :math:`e^{-z} I_k(z)` is ``scipy.special.ive``.
Because :math:`\|T_k(Y)\|_2 \le 1`, truncating after ``K`` terms makes an error of at most
:math:`\sum_{k \ge K} |c_k|\,\|b\|_2` -- a bound, not an estimate. ``K`` is the smallest
index where that tail is below ``rtol``; it grows like :math:`\sqrt{2 z \ln(1/\text{rtol})}`.

``a`` is a rigorous bound on the spectral radius: the smaller of the row Gershgorin bound of
``S`` and :math:`2 \max_p |A_{pp}|` (Gershgorin on the columns of the similar matrix ``A``, whose
columns sum to zero). All requested times share one recurrence
:math:`T_{k+1} = 2 Y T_k - T_{k-1}`; each adds only its own weighted sum. The component along
the null vector :math:`\sqrt v` is set to its exact value, as in :mod:`driftscale.osmosis.expm`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.special

from driftscale.osmosis.expm import ExpmResult
from driftscale.typing import FloatArray

__all__ = ["ChebyshevExpm"]


class ChebyshevExpm:
    r"""Chebyshev expansion of :math:`\exp(tS)b`, ``S`` symmetric negative semi-definite.

    Parameters
    ----------
    S : sparse matrix (n, n)
        Symmetric negative semi-definite.
    diagonal_bound : float, optional
        Another valid bound on the spectral radius (here :math:`2\max_p|A_{pp}|`).
    null_vector : ndarray (n,), optional
        A known unit null vector of ``S``; the result's component along it is made exact.
    """

    def __init__(
        self,
        S: sp.spmatrix,
        *,
        diagonal_bound: float = np.inf,
        null_vector: FloatArray | None = None,
    ) -> None:
        S = sp.csr_matrix(S)
        self.n = S.shape[0]
        row_bound = float(np.max(np.asarray(abs(S).sum(axis=1)).ravel(), initial=0.0))
        self.a = min(row_bound, float(diagonal_bound))  # spectrum of S in [-a, 0]
        # 2Y = (4/a) S + 2I, so that T_{k+1} = (2Y) T_k - T_{k-1} costs one sparse product
        self._two_y = ((4.0 / self.a) * S + 2.0 * sp.identity(self.n)).tocsr() if self.a else None
        self.null_vector = null_vector

    def coefficients(self, t: float, rtol: float) -> tuple[FloatArray, float]:
        """Chebyshev coefficients ``c_0..c_{K-1}`` of ``exp(tS)``, truncated where the tail of
        the series (a bound on the error, relative to ``||b||``) drops below ``rtol``; and that
        tail."""
        z = 0.5 * t * self.a
        kmax = int(np.sqrt(2.0 * z * 40.0)) + 60  # e^{-k^2/(2z)} < e^{-40}: tail far below 1e-16
        c = scipy.special.ive(np.arange(kmax), z)  # e^{-z} I_k(z), Abramowitz-Stegun 9.6.34
        c[1:] *= 2.0
        tail = np.cumsum(c[::-1])[::-1]  # tail[k] = sum_{j >= k} c_j
        below = np.flatnonzero(tail <= rtol)
        K = max(int(below[0]) if below.size else kmax, 1)
        return c[:K], float(tail[K] if K < kmax else tail[-1])

    def num_terms(self, t: float, rtol: float) -> int:
        """Number of terms (sparse products) needed for time ``t``."""
        return self.coefficients(t, rtol)[0].size if self.a else 0

    def apply(self, b: FloatArray, times: FloatArray, *, rtol: float = 1e-10) -> ExpmResult:
        r"""Return ``exp(t S) b`` for every ``t`` in ``times``, error at most ``rtol * ||b||``."""
        times = np.asarray(times, dtype=np.float64)
        out = np.zeros((times.size, self.n))
        if self._two_y is None:  # S = 0
            out[:] = b
            return ExpmResult(out, 0, 0.0)
        expansions = [self.coefficients(t, rtol) for t in times]
        coeffs = [c for c, _ in expansions]
        bound = max(tail for _, tail in expansions)
        K = max(c.size for c in coeffs)
        t_prev, t_cur = b.copy(), 0.5 * (self._two_y @ b)  # T_0 b = b, T_1 b = Y b
        scratch = np.empty(self.n)  # out_j += c_k T_k b without temporaries (NumPy, no BLAS
        for j, c in enumerate(coeffs):  # threads: they only slowed this down in measurements)
            out[j] = c[0] * t_prev
            if c.size > 1:
                out[j] += np.multiply(t_cur, c[1], out=scratch)
        for k in range(2, K):
            t_next = self._two_y @ t_cur
            t_next -= t_prev  # T_{k+1} = 2Y T_k - T_{k-1}
            for j, c in enumerate(coeffs):
                if k < c.size:
                    out[j] += np.multiply(t_next, c[k], out=scratch)  # out_j += c_k T_k b
            t_prev, t_cur = t_cur, t_next
        if self.null_vector is not None:
            s = self.null_vector
            out += np.outer(s @ b - out @ s, s)
        return ExpmResult(out, K, bound * float(np.linalg.norm(b)))
