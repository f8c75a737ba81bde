r"""Linear osmosis evolution, Eq. (26) of Peter 2023, as a deterministic scale-space.

:class:`Osmosis` evolves :math:`du/dt = A u` (the discrete operator of Vogel et al. 2013,
:mod:`driftscale.osmosis.operator`) from :math:`u(0) = f` by one of three methods:

``"exact"`` (default)
    :math:`u(t) = \exp(tA) f` at every requested time without time stepping, on the symmetric
    form :math:`S = \mathrm{diag}(v)^{-1/2} A\, \mathrm{diag}(v)^{1/2}`. Short and medium times
    (at most ``CHEBYSHEV_MAX_TERMS`` terms) share one Chebyshev recurrence
    (:mod:`driftscale.osmosis.chebyshev`, no factorisation, a rigorous error bound); longer
    times use shift-and-invert Lanczos with one sparse LU per band of times
    (:mod:`driftscale.osmosis.expm`, an error estimate). Tolerance: error at most ``rtol``
    (default ``1e-10``) relative, in the :math:`\mathrm{diag}(v)^{-1/2}`-weighted 2-norm. This
    needs the canonical drift of a guidance image (or zero drift); for a general drift field
    ``exact`` uses ``scipy.sparse.linalg.expm_multiply`` between consecutive times.
``"implicit"``
    Implicit Euler :math:`(I - \tau A) u^{k+1} = u^k` with step ``tau`` (default 1) solved by
    BiCGSTAB: the paper's method (Sec. 4.2), kept as the reference. The solver starts from
    :math:`u^k`, so its first residual :math:`\tau A u^k` and every later one has zero sum
    (the columns of ``A`` sum to zero): the mass is conserved by construction, not only to
    the solver tolerance.
``"explicit"``
    Explicit Euler :math:`u^{k+1} = (I + \tau A) u^k`, allowed for
    :math:`\tau \le 1 / \max_p |A_{pp}|` (positivity and 1-norm stability); a larger ``tau`` is
    an error.

A time that is not a multiple of ``tau`` is reached by a shorter last step. Colour images are
processed channel-wise; a grey guidance image guides every channel.

:class:`~driftscale.osmosis.homogeneous.HomogeneousDiffusion` is osmosis with zero drift, the
classical reference scale-space, with the same interface.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from driftscale._validation import check_choice, check_image, check_positive_array, check_times
from driftscale.osmosis.chebyshev import ChebyshevExpm
from driftscale.osmosis.expm import ConvergenceError, ShiftInvertExpm
from driftscale.osmosis.operator import (
    POSITIVE_FIX,
    canonical_drift,
    check_drift,
    check_grid_size,
    explicit_step_bound,
    osmosis_operator,
    symmetrised_operator,
)
from driftscale.typing import FloatArray, RNGLike

__all__ = ["ConvergenceError", "Osmosis", "time_bands"]

OsmosisMethod = Literal["exact", "implicit", "explicit"]
ExactSolver = Literal["auto", "chebyshev", "lanczos"]
METHODS = ("exact", "implicit", "explicit")
SOLVERS = ("auto", "chebyshev", "lanczos")
# 1500 Chebyshev terms (sparse products, ~0.7 ms each) cost about as much as one Lanczos band (LU +
# ~30 solves): both ~1 s on the 300 x 451 cat (t ~ 1e4), measured on this 2-core machine
CHEBYSHEV_MAX_TERMS = 1500
BAND_RATIO = 100.0  # times within a factor 100 share one factorisation (measured, see expm.py)


class Osmosis:
    r"""Linear osmosis, Eq. (26), with the canonical drift of ``guidance`` or a given ``drift``.

    Parameters
    ----------
    guidance : ndarray of shape (H, W) or (H, W, C), optional
        Strictly positive guidance image ``v``; the drift is :math:`\nabla v / v`
        (:func:`~driftscale.osmosis.operator.canonical_drift`) and ``v`` is a steady state.
    drift : (d1, d2) or DriftField, optional
        A drift field on the staggered grid instead (exactly one of ``guidance``, ``drift``).
    h : float
        Grid size.

    Examples
    --------
    >>> v = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> u = Osmosis(guidance=v).trajectory(np.ones((2, 2)), [0.0, 1e4])
    >>> np.allclose(u[-1], v * 4 / v.sum())
    True
    """

    name = "osmosis"
    stochastic = False

    def __init__(self, *, guidance: Any = None, drift: Any = None, h: float = 1.0) -> None:
        self.h = check_grid_size(h)
        if (guidance is None) == (drift is None):
            raise ValueError(
                "pass exactly one of `guidance` (a positive image; canonical drift) and `drift` "
                f"(d1, d2), got guidance={'None' if guidance is None else 'array'} and "
                f"drift={'None' if drift is None else 'array'}"
            )
        self.guidance: FloatArray | None = None
        if guidance is not None:
            g = check_image(guidance, name="guidance")
            self.guidance = check_positive_array(g, name="guidance", fix=POSITIVE_FIX)
            self.drift = canonical_drift(self.guidance, h=self.h)
        else:
            self.drift = check_drift(drift, h=self.h)
        self._operators: dict[tuple[str, int], sp.csr_matrix] = {}
        self._positive_data = True  # HomogeneousDiffusion (linear, no drift) accepts any sign

    def __repr__(self) -> str:
        kind = "guidance" if self.guidance is not None else "drift"
        return f"{type(self).__name__}({kind} of shape {self.drift.image_shape}, h={self.h:g})"

    # ----------------------------------------------------------------------------- helpers
    def _check_f(self, f: Any) -> FloatArray:
        f = check_image(f, name="f")
        if self._positive_data:
            f = check_positive_array(f, name="f", fix=POSITIVE_FIX)
        shape = self.drift.image_shape
        ok = f.shape[:2] == shape[:2] and (len(shape) == 2 or f.shape == shape)
        if not ok:
            what = "guidance" if self.guidance is not None else "drift"
            raise ValueError(
                f"`f` of shape {f.shape} does not match the {what} of image shape {shape}; "
                "give both the same (H, W) (a grey guidance may guide a colour f), or resize one"
            )
        return f

    def _channel_guidance(self, c: int) -> FloatArray | None:
        if self.guidance is None:
            return None
        return self.guidance if self.guidance.ndim == 2 else self.guidance[..., c]

    def _operator(self, c: int, kind: str = "A") -> sp.csr_matrix:
        key = (kind, c if len(self.drift.image_shape) == 3 else 0)
        if key not in self._operators:
            if kind == "S":
                v = self._channel_guidance(c)
                assert v is not None
                self._operators[key] = symmetrised_operator(v, h=self.h)
            else:
                d = self.drift
                d1, d2 = (d.d1, d.d2) if d.d1.ndim == 2 else (d.d1[..., c], d.d2[..., c])
                self._operators[key] = osmosis_operator(d1, d2, h=self.h)
        return self._operators[key]

    def operator(self, channel: int = 0) -> sp.csr_matrix:
        """The sparse matrix ``A`` of ``du/dt = A u`` for one channel (columns sum to zero)."""
        return self._operator(channel, "A")

    def explicit_step_bound(self, channel: int = 0) -> float:
        """Largest stable, positivity-preserving explicit step ``1 / max_p |A_pp|``."""
        return explicit_step_bound(self._operator(channel, "A"))

    # -------------------------------------------------------------------------- interface
    def trajectory(
        self,
        f: FloatArray,
        times: Sequence[float],
        *,
        rng: RNGLike = None,
        method: OsmosisMethod = "exact",
        tau: float | None = None,
        rtol: float | None = None,
        solver: ExactSolver = "auto",
        callback: Callable[[int], None] | None = None,
    ) -> FloatArray:
        r"""Osmosis evolution of ``f`` recorded at the sorted ``times`` (Eq. 26).

        Parameters
        ----------
        f : ndarray of shape (H, W) or (H, W, C)
            Strictly positive initial image (e.g. ``ValueScale.fit(x, kind="positive")``).
        times : sequence of float
            Sorted times ``t >= 0``; ``t = 0`` returns a copy of ``f``.
        rng : ignored
            Osmosis is deterministic; accepted for the ``ScaleSpace`` interface.
        method : {"exact", "implicit", "explicit"}
            See the module docstring.
        tau : float, optional
            Step size of ``implicit`` (default 1, the paper's) and ``explicit`` (default and
            maximum: :meth:`explicit_step_bound`).
        rtol : float, optional
            ``exact``: error tolerance of the Lanczos estimate (default 1e-10). ``implicit``:
            BiCGSTAB relative residual per step (default 1e-10).
        solver : {"auto", "chebyshev", "lanczos"}
            ``exact`` only: the Chebyshev expansion (no factorisation, error bound; cheap for
            short times), shift-and-invert Lanczos (one LU per band of times; cheap for long
            times), or ``auto``: Chebyshev for every time needing at most
            ``CHEBYSHEV_MAX_TERMS`` terms, Lanczos for the rest.
        callback : callable, optional
            Called with the number of steps (or, for ``exact``, bands of times) done.

        Returns
        -------
        ndarray of float64, shape ``(len(times), *f.shape)``
        """
        f = self._check_f(f)
        t = check_times(times)
        check_choice(method, name="method", choices=METHODS)
        if rtol is not None and not (np.isfinite(rtol) and 0 < rtol < 1):
            raise ValueError(f"`rtol` must lie in (0, 1), got {rtol!r}")
        channels = [f] if f.ndim == 2 else [f[..., c] for c in range(f.shape[2])]
        out = np.empty((t.size, *f.shape))
        rtol = 1e-10 if rtol is None else float(rtol)
        check_choice(solver, name="solver", choices=SOLVERS)
        solvers: dict[tuple, Any] = {}  # factorisations, shared by the channels of a grey guidance
        for c, fc in enumerate(channels):
            if method == "exact":
                res = self._exact(c, fc, t, rtol=rtol, cb=callback, solver=solver, solvers=solvers)
            else:
                res = self._stepping(c, fc, t, method, tau, rtol, callback)
            if f.ndim == 2:
                out[:] = res
            else:
                out[..., c] = res
        return out

    def steady_state(self, f: FloatArray) -> FloatArray:
        r"""The limit :math:`t \to \infty` (per channel).

        :math:`(\mu_f/\mu_v)\, v` for the canonical drift of ``v`` (Sec. 4.2 of Peter 2023,
        after Weickert et al. 2013); for a general drift the positive null vector of ``A``
        scaled to the mass of ``f``.
        """
        f = self._check_f(f)
        channels = [f] if f.ndim == 2 else [f[..., c] for c in range(f.shape[2])]
        out = np.empty(f.shape)
        for c, fc in enumerate(channels):
            v = self._channel_guidance(c)
            if v is not None:
                w = (fc.mean() / v.mean()) * v  # w = (mu_f / mu_v) v
            else:
                w = self._null_vector(c).reshape(fc.shape) * fc.sum()
            if f.ndim == 2:
                out[:] = w
            else:
                out[..., c] = w
        return out

    # ---------------------------------------------------------------------------- kernels
    def _null_vector(self, c: int) -> FloatArray:
        """Positive null vector of ``A`` with sum 1: ``A`` with its first row replaced by ones.

        The rows of ``A`` are linearly dependent (``1^T A = 0``), so one row is redundant and
        the mass constraint ``1^T w = 1`` takes its place; the system is then non-singular.
        """
        A = self._operator(c, "A").tolil()
        A[0, :] = np.ones(A.shape[0])
        rhs = np.zeros(A.shape[0])
        rhs[0] = 1.0
        return spla.spsolve(A.tocsc(), rhs)

    def _exact(
        self,
        c: int,
        f: FloatArray,
        t: FloatArray,
        *,
        rtol: float,
        cb: Callable | None,
        solver: str,
        solvers: dict[tuple, Any],
    ) -> FloatArray:
        out = np.empty((t.size, *f.shape))
        out[t == 0] = f
        positive = np.unique(t[t > 0])
        v = self._channel_guidance(c)
        if positive.size == 0:
            return out
        if v is None:  # general drift: no symmetric form; SciPy's Taylor method between times
            A = self._operator(c, "A")
            u, now = f.ravel(), 0.0
            for k, tk in enumerate(positive):
                u = spla.expm_multiply((tk - now) * A, u)
                now = tk
                out[t == tk] = u.reshape(f.shape)
                if cb is not None:
                    cb(k + 1)
            return out
        S = self._operator(c, "S")
        root = np.sqrt(v.ravel())
        b = f.ravel() / root  # b = D^{-1/2} f
        null = root / np.linalg.norm(root)
        chan = c if self.guidance is not None and self.guidance.ndim == 3 else 0
        if ("chebyshev", chan) not in solvers:
            bound = 2.0 * float(np.max(-S.diagonal()))  # Gershgorin on the columns of A
            solvers[("chebyshev", chan)] = ChebyshevExpm(S, diagonal_bound=bound, null_vector=null)
        cheb = solvers[("chebyshev", chan)]
        if solver == "auto":
            cheap = np.array([cheb.num_terms(tk, rtol) <= CHEBYSHEV_MAX_TERMS for tk in positive])
        else:
            cheap = np.full(positive.size, solver == "chebyshev")
        groups = ([("chebyshev", positive[cheap])] if cheap.any() else []) + [
            ("lanczos", band) for band in time_bands(positive[~cheap])
        ]
        for k, (kind, group) in enumerate(groups):
            if kind == "chebyshev":
                res = cheb.apply(b, group, rtol=rtol)
            else:
                gamma = np.sqrt(group[0] * group[-1]) / 10.0  # ~t/10 (van den Eshof-Hochbruck)
                if ("lanczos", chan, gamma) not in solvers:
                    solvers[("lanczos", chan, gamma)] = ShiftInvertExpm(
                        S, gamma=gamma, null_vector=null
                    )
                res = solvers[("lanczos", chan, gamma)].apply(b, group, rtol=rtol)
            for tk, x in zip(group, res.values, strict=True):
                out[t == tk] = (root * x).reshape(f.shape)  # u = D^{1/2} exp(tS) D^{-1/2} f
            if cb is not None:
                cb(k + 1)
        return out

    def _stepping(
        self,
        c: int,
        f: FloatArray,
        t: FloatArray,
        method: str,
        tau: float | None,
        rtol: float,
        cb: Callable | None,
    ) -> FloatArray:
        A = self._operator(c, "A")
        bound = explicit_step_bound(A)
        if tau is None:
            tau = 1.0 if method == "implicit" else bound
        if isinstance(tau, bool) or not (np.isfinite(tau) and tau > 0):
            raise ValueError(f"`tau` must be a positive finite step size, got {tau!r}")
        if method == "explicit" and tau > bound * (1.0 + 1e-12):
            raise ValueError(
                f"`tau` = {tau:g} exceeds the explicit stability bound 1/max|A_pp| = {bound:.6g} "
                "(beyond it the explicit scheme loses positivity and can blow up); pass "
                f"tau <= {bound:.6g}, or use method='implicit' or 'exact'"
            )
        n = A.shape[0]
        identity = sp.identity(n, format="csr")
        systems: dict[float, sp.csr_matrix] = {}
        u = f.ravel().copy()
        out = np.empty((t.size, *f.shape))
        now, steps = 0.0, 0
        for k, tk in enumerate(t):
            while now < tk * (1.0 - 1e-14):
                step = min(tau, tk - now)  # shorter last step to land on tk
                if method == "explicit":
                    u = u + step * (A @ u)  # u^{k+1} = (I + tau A) u^k
                else:
                    if step not in systems:
                        systems[step] = (identity - step * A).tocsr()
                    # (I - tau A) u^{k+1} = u^k, BiCGSTAB from x0 = u^k (mass-conserving)
                    u_new, info = spla.bicgstab(systems[step], u, x0=u, rtol=rtol, atol=0.0)
                    if info != 0:
                        raise ConvergenceError(
                            f"BiCGSTAB did not reach rtol={rtol:g} at t={now + step:g} "
                            f"(info={info}); use method='exact' or a smaller `tau`"
                        )
                    u = u_new
                now += step
                steps += 1
                if cb is not None:
                    cb(steps)
            out[k] = u.reshape(f.shape)
        return out


def time_bands(times: Sequence[float] | FloatArray) -> list[FloatArray]:
    """Split sorted positive times into bands with ``max / min <= BAND_RATIO``.

    The ``exact`` method factorises once per band for the times it gives to shift-and-invert
    Lanczos, so ``len(time_bands(times))`` bounds the number of sparse LU factorisations (per
    channel) and the number of progress callbacks beyond the one Chebyshev group.

    Parameters
    ----------
    times : sequence of float
        Sorted, strictly positive times.

    Returns
    -------
    list of ndarray of float64
        The bands, in order; their concatenation is ``times``.

    Examples
    --------
    >>> [b.tolist() for b in time_bands([1.0, 50.0, 100.0, 101.0, 1e4])]
    [[1.0, 50.0, 100.0], [101.0, 10000.0]]
    """
    bands: list[list[float]] = []
    for tk in times:
        if bands and tk <= BAND_RATIO * bands[-1][0]:
            bands[-1].append(float(tk))
        else:
            bands.append([float(tk)])
    return [np.asarray(b) for b in bands]
