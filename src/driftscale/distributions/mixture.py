r"""Entropy of the forward marginal of a finite data set: a Gaussian mixture, Eq. (5), (9).

For training data :math:`f_1, \dots, f_N` the forward marginal of Eq. (5) is

.. math:: p(u_i) = \frac1N \sum_{k=1}^N \mathcal N\bigl(\sqrt{\bar\alpha_i}\,f_k,
   (1-\bar\alpha_i) I\bigr),

whose log-density is exact by log-sum-exp over all ``N`` components. Distances use chunked BLAS,
:math:`\|x - a f_k\|^2 = \|x\|^2 - 2a\,x \cdot f_k + a^2\|f_k\|^2`, never a ``B x N x n`` array.
:func:`mixture_entropy` is the Monte-Carlo mean of :math:`-\ln p(x)` (Eq. 9) with its standard
error; :func:`mixture_relative_entropy` is :math:`E_p[\ln p - \ln \mathcal N(0, I)]`, the
relative entropy to the steady state, from the same samples. :func:`mixture_entropy_bounds` gives
the Kolchinsky-Tracey pairwise bounds (Bhattacharyya below, KL above) and the Gaussian
maximum-entropy bound, between which the estimate must lie.

References
----------
.. [1] A. Kolchinsky, B. D. Tracey, "Estimating mixture entropy with pairwise distances",
       Entropy 19 (2017), 361.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logsumexp

from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.distributions.estimate import LOG_2PI_E, EntropyEstimate
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "MixtureEntropyBounds",
    "mixture_entropy",
    "mixture_entropy_bounds",
    "mixture_log_density",
    "mixture_relative_entropy",
    "sample_mixture",
]

# Rows x N distance blocks of at most this many float64 entries (32 MiB).
BLOCK_ENTRIES = 4_000_000
# Shifted exponents below this are raised to it before exp(): exp() of arguments below about
# -708 gives subnormal numbers, a slow path (several times slower exp and sums). A term below
# e^-600 (~1e-261) next to the largest term (which is 1) changes the sum by less than
# N * 1e-261 relative: far below float64 resolution, so the result is unchanged.
EXP_FLOOR = -600.0


def _logsumexp_rows(z: FloatArray) -> FloatArray:
    """Row-wise log-sum-exp of a 2-D array (overwritten), with the floor above."""
    top = z.max(axis=1, keepdims=True)
    z -= top
    np.maximum(z, EXP_FLOOR, out=z)
    np.exp(z, out=z)
    return np.log(z.sum(axis=1)) + top[:, 0]


@dataclass(frozen=True)
class MixtureEntropyBounds:
    """Sanity bounds on the entropy of the forward mixture (nats).

    ``lower_bhattacharyya <= H <= upper_kl`` (Kolchinsky & Tracey 2017), and
    ``lower_conditional <= H`` (:math:`H(U_i) \\ge H(U_i \\mid U_0)`), ``H <= upper_gaussian``
    (the Gaussian with the mixture's covariance has maximal entropy).
    """

    lower_bhattacharyya: float
    upper_kl: float
    lower_conditional: float
    upper_gaussian: float


def _flat_data(data: Any) -> FloatArray:
    arr = check_array(data, name="data")
    if arr.ndim < 2:
        raise ValueError(
            f"`data` must be a stack of N images (N, H, W[, C]) or vectors (N, n), got shape "
            f"{arr.shape}"
        )
    return arr.reshape(arr.shape[0], -1)


def _check_alpha_bar(alpha_bar: Any) -> float:
    ab = float(alpha_bar)
    if not (0.0 <= ab < 1.0) or not math.isfinite(ab):
        raise ValueError(
            f"`alpha_bar` must lie in [0, 1), got {alpha_bar!r}; at alpha_bar = 1 (step 0) the "
            "marginal is the empirical distribution of the data, which has no density (H = -inf)"
        )
    return ab


def mixture_log_density(
    x: Any, data: Any, alpha_bar: float, *, block_entries: int = BLOCK_ENTRIES
) -> FloatArray:
    r"""Exact :math:`\ln p(x)` of the forward mixture at samples ``x``.

    Parameters
    ----------
    x : ndarray of shape (M, n) or (M, H, W[, C])
        Points; trailing axes are flattened and must match the data's ``n``.
    data : ndarray of shape (N, n) or (N, H, W[, C])
        Training data ``f_k`` (already scaled).
    alpha_bar : float
        :math:`\bar\alpha_i \in [0, 1)` of the step.
    block_entries : int
        Largest ``rows x N`` block held in memory at once.

    Returns
    -------
    ndarray of float64, shape (M,)

    Examples
    --------
    >>> f = np.zeros((1, 3))
    >>> round(float(mixture_log_density(np.zeros((1, 3)), f, 0.0)[0]), 6)   # -3/2 ln(2 pi)
    -2.756816
    """
    f = _flat_data(data)
    pts = check_array(x, name="x")
    pts = pts.reshape(pts.shape[0], -1) if pts.ndim > 1 else pts[None]
    if pts.shape[1] != f.shape[1]:
        raise ValueError(
            f"`x` must have n = {f.shape[1]} entries per sample like `data`, got {pts.shape[1]}"
        )
    ab = _check_alpha_bar(alpha_bar)
    block_entries = check_positive_int(block_entries, name="block_entries")
    a, var = math.sqrt(ab), 1.0 - ab
    n_data, n = f.shape
    f_sq = a * a * np.einsum("ij,ij->i", f, f)
    const = -math.log(n_data) - 0.5 * n * math.log(2.0 * math.pi * var)
    rows = max(1, block_entries // n_data)
    out = np.empty(pts.shape[0])
    for start in range(0, pts.shape[0], rows):
        xb = pts[start : start + rows]
        # ||x - a f_k||^2 = ||x||^2 - 2 a x.f_k + a^2 ||f_k||^2  (BLAS, no B x N x n array)
        d2 = np.einsum("ij,ij->i", xb, xb)[:, None] - (2.0 * a) * (xb @ f.T) + f_sq[None, :]
        np.maximum(d2, 0.0, out=d2)  # rounding can make an exact zero slightly negative
        # ln p(x) = logsumexp_k(-||x - a f_k||^2 / (2 (1 - ab))) - ln N - n/2 ln(2 pi (1 - ab))
        d2 *= -0.5 / var
        out[start : start + rows] = _logsumexp_rows(d2) + const
    return out


def sample_mixture(
    data: Any, alpha_bar: float, num_samples: int, *, rng: RNGLike = None
) -> FloatArray:
    r"""Draw ``num_samples`` points of the forward mixture, flattened to shape ``(M, n)``.

    Each point is :math:`\sqrt{\bar\alpha}\,f_k + \sqrt{1-\bar\alpha}\,\xi` with ``k`` uniform,
    Eq. (5) / (22).
    """
    f = _flat_data(data)
    ab = _check_alpha_bar(alpha_bar)
    num_samples = check_positive_int(num_samples, name="num_samples")
    rng = as_rng(rng)
    idx = rng.integers(0, f.shape[0], size=num_samples)
    return math.sqrt(ab) * f[idx] + math.sqrt(1.0 - ab) * rng.standard_normal(
        (num_samples, f.shape[1])
    )


def _samples_or_draw(data: Any, alpha_bar: float, samples: Any, num_samples: int, rng: RNGLike):
    if samples is None:
        return sample_mixture(data, alpha_bar, num_samples, rng=rng)
    pts = check_array(samples, name="samples")
    return pts.reshape(pts.shape[0], -1)


def _estimate(values: FloatArray, method: str) -> EntropyEstimate:
    m = values.size
    if m < 2:
        raise ValueError(f"`num_samples` must be at least 2 for a standard error, got {m}")
    return EntropyEstimate(
        float(values.mean()), float(values.std(ddof=1) / math.sqrt(m)), m, method
    )


def mixture_entropy(
    data: Any,
    alpha_bar: float,
    *,
    num_samples: int = 2000,
    samples: Any = None,
    rng: RNGLike = None,
) -> EntropyEstimate:
    r"""Monte-Carlo differential entropy :math:`H(U_i) = -E[\ln p(u_i)]` of the mixture, Eq. (9).

    Parameters
    ----------
    data : ndarray of shape (N, n) or (N, H, W[, C])
        Training data (already scaled).
    alpha_bar : float
        :math:`\bar\alpha_i` of the step, in ``[0, 1)``.
    num_samples : int
        Monte-Carlo samples drawn from the mixture when ``samples`` is not given.
    samples : ndarray, optional
        Samples of :math:`p(u_i)` to use instead (e.g. from a process's own trajectories).
    rng : {numpy.random.Generator, int, None}, optional
        Random generator or seed.

    Returns
    -------
    EntropyEstimate
        The standard error is the sample standard deviation of :math:`-\ln p` over
        :math:`\sqrt M`.

    Examples
    --------
    >>> est = mixture_entropy(np.zeros((1, 4)), 0.5, num_samples=500, rng=0)
    >>> bool(abs(est.value - 2 * np.log(2 * np.pi * np.e * 0.5)) < 4 * est.stderr)
    True
    """
    x = _samples_or_draw(data, alpha_bar, samples, num_samples, rng)
    return _estimate(
        -mixture_log_density(x, data, alpha_bar), "Monte Carlo, exact mixture log-density"
    )


def mixture_relative_entropy(
    data: Any,
    alpha_bar: float,
    *,
    num_samples: int = 2000,
    samples: Any = None,
    rng: RNGLike = None,
) -> EntropyEstimate:
    r"""Monte-Carlo relative entropy :math:`KL(p(u_i) \,\|\, \mathcal N(0, I))`.

    :math:`E_p[\ln p(x) - \ln \varphi(x)]` with :math:`\ln\varphi(x) = -\|x\|^2/2 -
    \tfrac n2\ln 2\pi`: the diffusion counterpart of the osmosis Lyapunov functional Eq. (28).
    By the data-processing inequality for a Markov chain with invariant law N(0, I) it never
    increases along the chain.
    """
    x = _samples_or_draw(data, alpha_bar, samples, num_samples, rng)
    log_phi = -0.5 * np.einsum("ij,ij->i", x, x) - 0.5 * x.shape[1] * math.log(2.0 * math.pi)
    return _estimate(
        mixture_log_density(x, data, alpha_bar) - log_phi,
        "Monte Carlo, exact mixture log-density minus N(0, I) log-density",
    )


def _pairwise_sq_distances(f: FloatArray, block_entries: int) -> FloatArray:
    sq = np.einsum("ij,ij->i", f, f)
    out = np.empty((f.shape[0], f.shape[0]))
    rows = max(1, block_entries // f.shape[0])
    for s in range(0, f.shape[0], rows):
        blk = sq[s : s + rows, None] - 2.0 * (f[s : s + rows] @ f.T) + sq[None, :]
        out[s : s + rows] = np.maximum(blk, 0.0)
    return out


def mixture_entropy_bounds(
    data: Any, alpha_bar: float, *, block_entries: int = BLOCK_ENTRIES
) -> MixtureEntropyBounds:
    r"""Pairwise-distance and maximum-entropy bounds on the entropy of the forward mixture.

    For equal weights and equal covariances :math:`s^2 I` (:math:`s^2 = 1-\bar\alpha`), with
    :math:`D_{jk} = \bar\alpha\|f_j - f_k\|^2` and :math:`H_c = \tfrac n2\ln(2\pi e s^2)`:

    .. math:: H_c - \frac1N\sum_j \ln\frac1N\sum_k e^{-D_{jk}/(8s^2)} \;\le\; H \;\le\;
              H_c - \frac1N\sum_j \ln\frac1N\sum_k e^{-D_{jk}/(2s^2)}

    (Bhattacharyya distance below, KL divergence above; Kolchinsky & Tracey 2017, Eq. 11-12), and
    :math:`H \le \tfrac12\ln\det(2\pi e\,(\bar\alpha\Sigma_F + s^2 I))` with :math:`\Sigma_F` the
    (population) covariance of the data.
    """
    f = _flat_data(data)
    ab = _check_alpha_bar(alpha_bar)
    n_data, n = f.shape
    var = 1.0 - ab
    h_c = 0.5 * n * (LOG_2PI_E + math.log(var))
    d2 = ab * _pairwise_sq_distances(f, block_entries)

    def pairwise(divisor: float) -> float:
        return h_c - float(np.mean(_logsumexp_rows(-d2 / divisor) - math.log(n_data)))

    cov = ab * np.cov(f, rowvar=False, bias=True).reshape(n, n) + var * np.eye(n)
    _, logdet = np.linalg.slogdet(cov)
    return MixtureEntropyBounds(
        lower_bhattacharyya=pairwise(8.0 * var),  # Bhattacharyya: ||mu_j - mu_k||^2 / (8 s^2)
        upper_kl=pairwise(2.0 * var),  # KL: ||mu_j - mu_k||^2 / (2 s^2)
        lower_conditional=h_c,
        upper_gaussian=0.5 * (n * LOG_2PI_E + float(logdet)),
    )


def _log_density_naive(x: Any, data: Any, alpha_bar: float) -> FloatArray:
    """Reference: the same log-density by broadcasting a full ``M x N x n`` array (tests and
    benchmarks only; memory grows as M * N * n)."""
    f = _flat_data(data)
    pts = np.asarray(x, dtype=np.float64).reshape(-1, f.shape[1])
    a, var = math.sqrt(alpha_bar), 1.0 - alpha_bar
    d2 = np.sum((pts[:, None, :] - a * f[None, :, :]) ** 2, axis=2)
    return (
        logsumexp(-d2 / (2.0 * var), axis=1)
        - math.log(f.shape[0])
        - 0.5 * f.shape[1] * math.log(2.0 * math.pi * var)
    )
