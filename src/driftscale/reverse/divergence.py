r"""Jacobians of a denoiser, :math:`J = \partial E[u_0 \mid u_i = x] / \partial x`: products
with vectors and the trace, the divergence that the probability-flow ODE's change of variables
needs.

Three sources, chosen by :func:`jacobian_oracle`:

- **closed form, finite data set** (:class:`~driftscale.reverse.denoisers.ExactDenoiser`). With
  :math:`a = \sqrt{\bar\alpha_i}`, :math:`\sigma^2 = 1 - \bar\alpha_i` and softmax weights
  :math:`w_k \propto \exp(-|x - a f_k|^2 / 2\sigma^2)` (Eq. 5 of Peter 2023),
  :math:`\partial_x \ln w_k = (a/\sigma^2)(f_k - D)`, hence

  .. math::
      \frac{\partial E[u_0 \mid x]}{\partial x} = \frac{\sqrt{\bar\alpha_i}}{1-\bar\alpha_i}
      \,\mathrm{Cov}[u_0 \mid x], \qquad
      \mathrm{Cov}[u_0 \mid x] = \sum_k w_k (f_k - D)(f_k - D)^\top ,

  the posterior covariance over the training set (:class:`EmpiricalPosterior`): the exact trace
  costs what one denoiser call costs, for any ``d``.
- **closed form, Gaussian data** (:class:`~driftscale.reverse.denoisers.GaussianDenoiser`):
  :math:`J = a s^2 / (a^2 s^2 + \sigma^2)\,I`.
- **black box** (any other Denoiser, e.g. a trained network): Jacobian-vector products by central
  finite differences, :math:`Jv \approx (D(x + hv) - D(x - hv)) / 2h`, with the step relative to
  the noise level, :math:`h = h_{rel}\,\sigma_i` (:math:`\sigma_i = \sqrt{1-\bar\alpha_i}`: the
  denoiser varies on that scale, so its third derivative grows like :math:`\sigma_i^{-3}`). The
  error is :math:`O(h_{rel}^2)` relative (truncation) plus :math:`O(\epsilon\,|D| / h)` (rounding
  of the denoiser's output, :math:`\epsilon` its precision). The default :math:`h_{rel} = 10^{-4}`
  suits float64 denoisers (about ``1e-8`` relative); for a float32 network pass ``3e-2``
  (measured against float64 differences on the digits U-Net at steps 1 to 999: at most
  ``2.4e-4`` of the trace's size, typically ``2e-5``). The exact trace takes ``d`` such
  products (``2d`` denoiser evaluations per image).

The trace is either exact or the Hutchinson estimate with Rademacher probes
:math:`\epsilon \in \{\pm 1\}^d`: :math:`E[\epsilon^\top J\epsilon] = \mathrm{tr}\,J`, with
variance :math:`2(\|J_s\|_F^2 - \sum_j J_{jj}^2)` per probe (:math:`J_s` the symmetric part), so
``K`` probes have ``1/K`` of it (:func:`hutchinson_trace`).

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] M. F. Hutchinson, "A stochastic estimator of the trace of the influence matrix for
       Laplacian smoothing splines", Commun. Stat. Simul. Comput. 19 (1990) 433-450.
.. [3] Y. Song et al., "Score-based generative modeling through stochastic differential
       equations", ICLR 2021 (the divergence of the probability-flow ODE, their Eq. 39).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.reverse._exact_kernel import blas_single_thread
from driftscale.reverse.denoisers import DenoiserError, ExactDenoiser, GaussianDenoiser
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "DEFAULT_FD_STEP",
    "EmpiricalPosterior",
    "JacobianOracle",
    "hutchinson_trace",
    "jacobian_oracle",
    "rademacher",
]

# finite-difference step relative to the noise level sigma_i (float64 denoisers; see above)
DEFAULT_FD_STEP = 1e-4


def rademacher(shape: tuple[int, ...], *, rng: RNGLike = None) -> FloatArray:
    """Independent random signs ``+-1`` (float64) of ``shape``."""
    return as_rng(rng).integers(0, 2, size=shape).astype(np.float64) * 2.0 - 1.0


def hutchinson_trace(
    matvec: Callable[[FloatArray], FloatArray], dim: int, *, num_probes: int, rng: RNGLike = None
) -> FloatArray:
    r"""Hutchinson estimates :math:`\epsilon_k^\top A\,\epsilon_k` of :math:`\mathrm{tr}\,A`, one
    per Rademacher probe.

    Parameters
    ----------
    matvec : callable
        ``matvec(V)`` returns :math:`A v` for each row ``v`` of ``V`` (shape ``(K, dim)``).
    dim : int
    num_probes : int
        ``K``; the mean of the returned estimates has ``1/K`` of the single-probe variance.
    rng : {numpy.random.Generator, int, None}, optional

    Returns
    -------
    ndarray of float64, shape (num_probes,)
        Each is unbiased for the trace; their mean is the ``K``-probe estimate.

    Examples
    --------
    >>> A = np.diag([1.0, 2.0, 3.0])
    >>> hutchinson_trace(lambda V: V @ A.T, 3, num_probes=2, rng=0)   # exact for diagonal A
    array([6., 6.])
    """
    dim = check_positive_int(dim, name="dim")
    probes = rademacher((check_positive_int(num_probes, name="num_probes"), dim), rng=rng)
    return np.einsum("kj,kj->k", probes, np.asarray(matvec(probes), dtype=np.float64))


class EmpiricalPosterior:
    r"""The law of :math:`u_0` given :math:`u_i = x` when :math:`u_0` is uniform over training
    images :math:`f_1, \dots, f_N`: its mean, the trace of its covariance and covariance-vector
    products, at any noise level (also between the integer steps of a schedule).

    Dense ``B x N`` logits, formed for blocks of rows of at most ``chunk_size`` entries.

    Parameters
    ----------
    train_data : ndarray of shape (N, *image_shape)
    chunk_size : int, optional
        Most logits held at once (default ``2**20``, 8 MiB).
    """

    def __init__(self, train_data: Any, *, chunk_size: int = 2**20) -> None:
        data = check_array(train_data, name="train_data")
        self.flat = np.ascontiguousarray(data.reshape(data.shape[0], -1), dtype=np.float64)
        self.sq = np.einsum("kj,kj->k", self.flat, self.flat)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def _weights(self, x: FloatArray, log_ab: FloatArray) -> tuple[FloatArray, np.ndarray]:
        """Softmax weights ``(B, N)`` and the index of the heaviest training image per row."""
        one_minus = -np.expm1(log_ab)
        c1 = np.exp(0.5 * log_ab) / one_minus  # a / sigma^2
        c2 = -0.5 * np.exp(log_ab) / one_minus  # -a^2 / (2 sigma^2)
        logits = c1[:, None] * (x @ self.flat.T) + c2[:, None] * self.sq[None, :]
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(axis=1, keepdims=True)
        return w, w.argmax(axis=1)

    def _blocks(self, rows: int) -> list[slice]:
        step = max(1, self.chunk_size // self.flat.shape[0])
        return [slice(a, min(a + step, rows)) for a in range(0, rows, step)]

    def moments(self, x: Any, log_alpha_bar: Any) -> tuple[FloatArray, FloatArray]:
        r"""Posterior mean ``(B, n)`` and :math:`\mathrm{tr}\,\mathrm{Cov}[u_0 \mid x]` ``(B,)``
        for flattened rows ``x`` at :math:`\ln\bar\alpha` (a scalar or one per row, ``< 0``)."""
        x = np.asarray(x, dtype=np.float64)
        log_ab = np.broadcast_to(np.asarray(log_alpha_bar, dtype=np.float64), (x.shape[0],))
        mean = np.empty_like(x)
        trace = np.empty(x.shape[0])
        with blas_single_thread():  # small products: threads only contend (30x slower, measured)
            self._moments(x, log_ab, mean, trace)
        return mean, np.maximum(trace, 0.0)

    def _moments(
        self, x: FloatArray, log_ab: FloatArray, mean: FloatArray, trace: FloatArray
    ) -> None:
        for sl in self._blocks(x.shape[0]):
            w, star = self._weights(x[sl], log_ab[sl])
            mean[sl] = w @ self.flat
            f_star = self.flat[star]
            # |f_k - f*|^2 and |D - f*|^2: measured from the heaviest image, so that a posterior
            # concentrated on one image has a trace near 0 without cancellation
            dist = self.sq[None, :] - 2.0 * (f_star @ self.flat.T) + self.sq[star][:, None]
            shift = mean[sl] - f_star
            trace[sl] = np.einsum("bk,bk->b", w, np.maximum(dist, 0.0)) - np.einsum(
                "bj,bj->b", shift, shift
            )

    def cov_matvec(self, x: Any, log_alpha_bar: Any, v: Any) -> FloatArray:
        r""":math:`\mathrm{Cov}[u_0 \mid x]\,v` for rows ``x`` ``(B, n)`` and vectors ``v``
        ``(B, K, n)``: :math:`\sum_k w_k (f_k\cdot v - D\cdot v)\,f_k` (the mean term cancels
        since the weights sum to one)."""
        x = np.asarray(x, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        log_ab = np.broadcast_to(np.asarray(log_alpha_bar, dtype=np.float64), (x.shape[0],))
        out = np.empty_like(v)
        with blas_single_thread():
            for sl in self._blocks(x.shape[0]):
                w, _ = self._weights(x[sl], log_ab[sl])
                mean = w @ self.flat
                proj = v[sl] @ self.flat.T  # f_n . v, shape (b, K, N)
                proj -= np.einsum("bkj,bj->bk", v[sl], mean)[:, :, None]  # - D . v
                out[sl] = (proj * w[:, None, :]) @ self.flat
        return out

    def covariance(self, x: Any, log_alpha_bar: float) -> tuple[FloatArray, FloatArray]:
        r"""Posterior mean ``(B, n)`` and covariance ``(B, n, n)`` for rows ``x`` at
        :math:`\ln\bar\alpha` (measured from the heaviest training image, as :meth:`moments`)."""
        x = np.asarray(x, dtype=np.float64)
        n = self.flat.shape[1]
        mean, cov = np.empty_like(x), np.empty((x.shape[0], n, n))
        with blas_single_thread():
            for sl in self._blocks(x.shape[0]):
                w, star = self._weights(x[sl], np.full(sl.stop - sl.start, log_alpha_bar))
                mean[sl] = w @ self.flat
                for b, (wb, k) in enumerate(zip(w, star, strict=True)):
                    # weights below 1e-18 of the largest change the covariance by < N 1e-18
                    # (relative): left out, so that a concentrated posterior costs little
                    keep = wb > 1e-18 * wb[k]
                    centred = self.flat[keep] - self.flat[k]
                    shift = mean[sl.start + b] - self.flat[k]
                    cov[sl.start + b] = (centred.T * wb[keep]) @ centred - np.outer(shift, shift)
        return mean, cov


class JacobianOracle:
    r"""The denoiser's mean, Jacobian-vector products and exact Jacobian trace at step ``i``.

    Built by :func:`jacobian_oracle`; rows are flattened images ``(B, n)``. ``kind`` says where
    the Jacobian comes from: ``"exact-data"``, ``"gaussian"`` or ``"finite-difference"``.
    Closed-form oracles are ``continuous``: they also give the mean, the trace and the whole
    Jacobian at any noise level :math:`\ln\bar\alpha < 0` (:meth:`at`), between the integer
    steps, which the adaptive ODE solver of :mod:`driftscale.reverse.probability_flow` needs.
    """

    kind = "finite-difference"
    continuous = False

    def __init__(
        self, denoiser: Any, *, fd_step: float = DEFAULT_FD_STEP, batch_size: int = 8192
    ) -> None:
        self.denoiser = denoiser
        self.schedule = denoiser.schedule
        self.image_shape = tuple(int(s) for s in denoiser.image_shape)
        self.dim = int(np.prod(self.image_shape))
        if not (np.isfinite(fd_step) and fd_step > 0):
            raise ValueError(f"`fd_step` must be a positive number, got {fd_step!r}")
        self.fd_step = float(fd_step)
        self.batch_size = check_positive_int(batch_size, name="batch_size")
        self.evaluations = 0  # denoiser evaluations, counted in images (rows)

    def mean(self, x: FloatArray, i: int) -> FloatArray:
        """The posterior mean for flat rows ``x`` at step ``i`` (float64, ``(B, n)``)."""
        out = []
        for a in range(0, x.shape[0], self.batch_size):
            rows = x[a : a + self.batch_size]
            y = self.denoiser(rows.reshape((-1, *self.image_shape)), i)
            if type(y).__module__.split(".")[0] == "torch":
                y = y.detach().cpu().numpy()
            y = np.asarray(y, dtype=np.float64).reshape(rows.shape)
            if not np.all(np.isfinite(y)):
                raise DenoiserError(f"the denoiser returned NaN/Inf at step i = {i}")
            out.append(y)
        self.evaluations += x.shape[0]
        return np.concatenate(out) if len(out) > 1 else out[0]

    def jvp(self, x: FloatArray, i: int, v: FloatArray) -> FloatArray:
        """``J v`` for rows ``x`` ``(B, n)`` and vectors ``v`` ``(B, K, n)`` (central
        differences)."""
        B, K, n = v.shape
        h = self.fd_step * float(np.sqrt(-np.expm1(self.schedule.log_alpha_bar[i])))  # h_rel sigma
        pts = np.concatenate([x[:, None, :] + h * v, x[:, None, :] - h * v], axis=1)
        d = self.mean(pts.reshape(B * 2 * K, n), i).reshape(B, 2 * K, n)
        return (d[:, :K] - d[:, K:]) / (2.0 * h)

    def trace(self, x: FloatArray, i: int) -> tuple[FloatArray, FloatArray]:
        """The mean ``(B, n)`` and the exact trace of ``J`` ``(B,)`` (``n`` products a row)."""
        B, n = x.shape
        per = max(1, self.batch_size // (2 * n))  # images whose 2n perturbations fit a batch
        trace = np.empty(B)
        eye = np.eye(n)
        for a in range(0, B, per):
            rows = x[a : a + per]
            jv = self.jvp(rows, i, np.broadcast_to(eye, (rows.shape[0], n, n)))
            trace[a : a + per] = np.einsum("bjj->b", jv)
        return self.mean(x, i), trace


class _ExactDataOracle(JacobianOracle):
    kind = "exact-data"
    continuous = True

    def __init__(self, denoiser: ExactDenoiser, **kwargs: Any) -> None:
        super().__init__(denoiser, **kwargs)
        self.posterior = EmpiricalPosterior(denoiser.train_data)

    def _gain(self, i: int) -> tuple[float, float]:
        la = float(self.schedule.log_alpha_bar[i])
        return la, float(np.exp(0.5 * la) / -np.expm1(la))  # a / sigma^2

    def jvp(self, x: FloatArray, i: int, v: FloatArray) -> FloatArray:
        la, gain = self._gain(i)
        self.evaluations += x.shape[0]
        return gain * self.posterior.cov_matvec(x, la, v)  # J = a / sigma^2 Cov

    def trace(self, x: FloatArray, i: int) -> tuple[FloatArray, FloatArray]:
        la, gain = self._gain(i)
        self.evaluations += x.shape[0]
        mean, trace_cov = self.posterior.moments(x, la)
        return mean, gain * trace_cov

    def at(
        self, x: FloatArray, log_alpha_bar: float, *, jacobian: bool = False
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Mean ``(B, n)``, trace ``(B,)`` and, with ``jacobian``, ``J`` ``(B, n, n)`` at any
        noise level (``log_alpha_bar < 0``)."""
        gain = float(np.exp(0.5 * log_alpha_bar) / -np.expm1(log_alpha_bar))  # a / sigma^2
        self.evaluations += x.shape[0]
        if jacobian:
            mean, cov = self.posterior.covariance(x, log_alpha_bar)
            return mean, gain * np.einsum("bjj->b", cov), gain * cov
        mean, trace_cov = self.posterior.moments(x, log_alpha_bar)
        return mean, gain * trace_cov, None


class _GaussianOracle(JacobianOracle):
    kind = "gaussian"
    continuous = True

    def _gain(self, i: int) -> float:
        return self._gain_at(float(self.schedule.log_alpha_bar[i]))

    def _gain_at(self, log_ab: float) -> float:
        ab = float(np.exp(log_ab))
        s2 = self.denoiser.variance
        return float(np.sqrt(ab) * s2 / (ab * s2 - np.expm1(log_ab)))  # a s^2/(a^2 s^2 + sigma^2)

    def at(
        self, x: FloatArray, log_alpha_bar: float, *, jacobian: bool = False
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Mean, trace and (with ``jacobian``) ``J = g I`` at any noise level."""
        gain = self._gain_at(log_alpha_bar)
        m = np.asarray(self.denoiser.mean, dtype=np.float64).reshape(-1)
        self.evaluations += x.shape[0]
        mean = m + gain * (x - np.exp(0.5 * log_alpha_bar) * m)
        J = np.broadcast_to(gain * np.eye(self.dim), (x.shape[0], self.dim, self.dim))
        return mean, np.full(x.shape[0], self.dim * gain), J if jacobian else None

    def jvp(self, x: FloatArray, i: int, v: FloatArray) -> FloatArray:
        return self._gain(i) * v

    def trace(self, x: FloatArray, i: int) -> tuple[FloatArray, FloatArray]:
        return self.mean(x, i), np.full(x.shape[0], self.dim * self._gain(i))


def jacobian_oracle(
    denoiser: Any,
    *,
    jacobian: str = "auto",
    fd_step: float = DEFAULT_FD_STEP,
    batch_size: int = 8192,
) -> JacobianOracle:
    r"""The Jacobian source for ``denoiser``: closed form where one is known, else finite
    differences.

    Parameters
    ----------
    denoiser : Denoiser
    jacobian : {"auto", "finite-difference"}
        ``"auto"``: the closed form of an :class:`ExactDenoiser` (posterior covariance) or a
        :class:`GaussianDenoiser`, finite differences otherwise; ``"finite-difference"`` always
        (to check the closed forms).
    fd_step : float
        Step of the central differences relative to the noise level :math:`\sigma_i` (see the
        module docstring for its error).
    batch_size : int
        Most images per denoiser call.
    """
    if jacobian not in ("auto", "finite-difference"):
        raise ValueError(f"`jacobian` must be one of 'auto', 'finite-difference', got {jacobian!r}")
    kwargs = {"fd_step": fd_step, "batch_size": batch_size}
    if jacobian == "auto" and isinstance(denoiser, ExactDenoiser):
        return _ExactDataOracle(denoiser, **kwargs)
    if jacobian == "auto" and isinstance(denoiser, GaussianDenoiser):
        return _GaussianOracle(denoiser, **kwargs)
    return JacobianOracle(denoiser, **kwargs)
