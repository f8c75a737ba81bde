r"""The forward marginal of a finite data set, a Gaussian mixture (Eq. 5), and its entropy (Eq. 9).

For training data :math:`f_1, \dots, f_N` the forward marginal of Eq. (5) is

.. math:: p(u_i) = \frac1N \sum_{k=1}^N \mathcal N\bigl(\sqrt{\bar\alpha_i}\,f_k,
   (1-\bar\alpha_i) I\bigr),

the object Prop. 1 of Peter 2023 is about. :class:`GaussianMixture` is this distribution: its
log-density is exact by log-sum-exp over all ``N`` components, with the blocked squared distances
of :mod:`driftscale._kernels` (BLAS, never a ``B x N x n`` array);
:meth:`~GaussianMixture.entropy` is the Monte-Carlo mean of :math:`-\ln p(x)` (Eq. 9) with its
standard error; :meth:`~GaussianMixture.relative_entropy` is
:math:`E_p[\ln p - \ln \mathcal N(0, I)]`, the relative entropy to the steady state, from the
same samples; :meth:`~GaussianMixture.entropy_bounds` gives the Kolchinsky-Tracey pairwise bounds
(Bhattacharyya below, KL above) and the Gaussian maximum-entropy bound, between which the
estimate must lie. The free functions (:func:`mixture_log_density`, :func:`mixture_entropy`, ...)
are one-line delegations to it, kept for existing code.

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

from driftscale._kernels import (
    BLOCK_ENTRIES,
    logsumexp_rows,
    sq_distance_blocks,
    sq_distances,
    squared_norms,
)
from driftscale._validation import as_rng, check_array, check_positive_int, check_steps
from driftscale.distributions.estimate import LOG_2PI_E, EntropyEstimate
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "BLOCK_ENTRIES",
    "GaussianMixture",
    "MixtureEntropyBounds",
    "mixture_entropy",
    "mixture_entropy_bounds",
    "mixture_log_density",
    "mixture_relative_entropy",
    "sample_mixture",
]


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


def _check_data(data: Any) -> FloatArray:
    arr = check_array(data, name="data")
    if arr.ndim < 2:
        raise ValueError(
            f"`data` must be a stack of N images (N, H, W[, C]) or vectors (N, n), got shape "
            f"{arr.shape}"
        )
    return arr


def _check_alpha_bar(alpha_bar: Any) -> float:
    ab = float(alpha_bar)
    if not (0.0 <= ab < 1.0) or not math.isfinite(ab):
        raise ValueError(
            f"`alpha_bar` must lie in [0, 1), got {alpha_bar!r}; at alpha_bar = 1 (step 0) the "
            "marginal is the empirical distribution of the data, which has no density (H = -inf)"
        )
    return ab


def _estimate(values: FloatArray, method: str) -> EntropyEstimate:
    m = values.size
    if m < 2:
        raise ValueError(f"`num_samples` must be at least 2 for a standard error, got {m}")
    return EntropyEstimate(
        float(values.mean()), float(values.std(ddof=1) / math.sqrt(m)), m, method
    )


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    r"""The forward marginal of a finite data set at :math:`\bar\alpha`, Eq. (5) of Peter 2023:

    .. math:: p(x) = \frac1N \sum_{k=1}^N \mathcal N\bigl(x;\ \sqrt{\bar\alpha}\,f_k,
       (1-\bar\alpha) I\bigr).

    Parameters
    ----------
    data : ndarray of shape (N, n) or (N, H, W[, C])
        Training data ``f_k`` (already scaled); kept as a read-only view, not copied.
    alpha_bar : float
        :math:`\bar\alpha_i \in [0, 1)` of the step (at 1, step 0, there is no density).
    block_entries : int
        Largest ``rows x N`` block of distances held in memory at once.

    Examples
    --------
    >>> p = GaussianMixture(np.zeros((1, 3)), 0.0)
    >>> round(float(p.log_density(np.zeros((1, 3)))[0]), 6)   # -3/2 ln(2 pi)
    -2.756816
    >>> p.sample(4, rng=0).shape
    (4, 3)
    """

    data: FloatArray
    alpha_bar: float
    block_entries: int = BLOCK_ENTRIES

    def __post_init__(self) -> None:
        arr = _check_data(self.data).view()
        arr.flags.writeable = False  # the caller's array stays writeable
        object.__setattr__(self, "data", arr)
        object.__setattr__(self, "alpha_bar", _check_alpha_bar(self.alpha_bar))
        block = check_positive_int(self.block_entries, name="block_entries")
        object.__setattr__(self, "block_entries", block)

    @classmethod
    def at_step(cls, data: Any, schedule: Schedule | str, i: int) -> GaussianMixture:
        """The marginal :math:`p(u_i)` of the chain with ``schedule`` started from ``data``,
        step ``1 <= i <= T``."""
        schedule = Schedule.coerce(schedule)
        (step,) = check_steps([i], T=schedule.T, name="i")
        if step == 0:
            raise ValueError(
                "`i` must be at least 1: at step 0 the marginal is the empirical distribution of "
                "the data, which has no density"
            )
        return cls(data, float(schedule.alpha_bar[step]))

    @property
    def event_shape(self) -> tuple[int, ...]:
        """Shape of one sample (the shape of one data item)."""
        return tuple(self.data.shape[1:])

    @property
    def dim(self) -> int:
        """Number of entries ``n`` of one sample."""
        return int(np.prod(self.event_shape))

    @property
    def num_components(self) -> int:
        """Number of data items ``N``."""
        return int(self.data.shape[0])

    @property
    def variance(self) -> float:
        r"""Component variance :math:`1 - \bar\alpha`."""
        return 1.0 - self.alpha_bar

    def _flat(self) -> FloatArray:
        return self.data.reshape(self.num_components, -1)

    def _points(self, x: Any, name: str) -> FloatArray:
        pts = check_array(x, name=name)
        pts = pts.reshape(pts.shape[0], -1) if pts.ndim > 1 else pts[None]
        if pts.shape[1] != self.dim:
            raise ValueError(
                f"`{name}` must have n = {self.dim} entries per sample like `data`, got "
                f"{pts.shape[1]}"
            )
        return pts

    def log_density(self, x: Any) -> FloatArray:
        r"""Exact :math:`\ln p(x)` at points ``x`` of shape ``(M, n)`` or ``(M, *event_shape)``
        (or one point of shape ``(n,)``); returns float64 of shape ``(M,)``."""
        pts = self._points(x, "x")
        a, var = math.sqrt(self.alpha_bar), self.variance
        const = -math.log(self.num_components) - 0.5 * self.dim * math.log(2.0 * math.pi * var)
        out = np.empty(pts.shape[0])
        blocks = sq_distance_blocks(pts, self._flat(), scale=a, block_entries=self.block_entries)
        for start, stop, d2 in blocks:
            # ln p(x) = logsumexp_k(-||x - a f_k||^2 / (2 (1 - ab))) - ln N - n/2 ln(2 pi (1 - ab))
            d2 *= -0.5 / var
            out[start:stop] = logsumexp_rows(d2) + const
        return out

    def sample(self, num_samples: int, *, rng: RNGLike = None) -> FloatArray:
        r"""Draw ``num_samples`` points, shape ``(num_samples, *event_shape)``: each is
        :math:`\sqrt{\bar\alpha}\,f_k + \sqrt{1-\bar\alpha}\,\xi` with ``k`` uniform, Eq. (5)."""
        num_samples = check_positive_int(num_samples, name="num_samples")
        rng = as_rng(rng)
        f = self._flat()
        idx = rng.integers(0, f.shape[0], size=num_samples)
        noise = rng.standard_normal((num_samples, f.shape[1]))
        x = math.sqrt(self.alpha_bar) * f[idx] + math.sqrt(self.variance) * noise
        return x.reshape(num_samples, *self.event_shape)

    def _samples_or_draw(self, samples: Any, num_samples: int, rng: RNGLike) -> FloatArray:
        if samples is not None:
            return self._points(samples, "samples")
        if check_positive_int(num_samples, name="num_samples") < 2:
            raise ValueError(
                f"`num_samples` must be at least 2 for a standard error, got {num_samples}"
            )
        return self.sample(num_samples, rng=rng).reshape(num_samples, -1)

    def entropy(
        self, num_samples: int = 2000, *, samples: Any = None, rng: RNGLike = None
    ) -> EntropyEstimate:
        r"""Monte-Carlo differential entropy :math:`H(U_i) = -E[\ln p(u_i)]`, Eq. (9).

        Draws ``num_samples`` points, or uses ``samples`` of :math:`p(u_i)` instead (e.g. a
        process's own trajectories). The standard error is the sample standard deviation of
        :math:`-\ln p` over :math:`\sqrt M`.
        """
        x = self._samples_or_draw(samples, num_samples, rng)
        return _estimate(-self.log_density(x), "Monte Carlo, exact mixture log-density")

    def relative_entropy(
        self, num_samples: int = 2000, *, samples: Any = None, rng: RNGLike = None
    ) -> EntropyEstimate:
        r"""Monte-Carlo relative entropy :math:`KL(p(u_i) \,\|\, \mathcal N(0, I))`.

        :math:`E_p[\ln p(x) - \ln \varphi(x)]` with :math:`\ln\varphi(x) = -\|x\|^2/2 -
        \tfrac n2\ln 2\pi`: the diffusion counterpart of the osmosis Lyapunov functional Eq. (28).
        By the data-processing inequality for a Markov chain with invariant law N(0, I) it never
        increases along the chain.
        """
        x = self._samples_or_draw(samples, num_samples, rng)
        log_phi = -0.5 * squared_norms(x) - 0.5 * x.shape[1] * math.log(2.0 * math.pi)
        return _estimate(
            self.log_density(x) - log_phi,
            "Monte Carlo, exact mixture log-density minus N(0, I) log-density",
        )

    def entropy_bounds(self) -> MixtureEntropyBounds:
        r"""Pairwise-distance and maximum-entropy bounds on the entropy.

        For equal weights and equal covariances :math:`s^2 I` (:math:`s^2 = 1-\bar\alpha`), with
        :math:`D_{jk} = \bar\alpha\|f_j - f_k\|^2` and :math:`H_c = \tfrac n2\ln(2\pi e s^2)`:

        .. math:: H_c - \frac1N\sum_j \ln\frac1N\sum_k e^{-D_{jk}/(8s^2)} \;\le\; H \;\le\;
                  H_c - \frac1N\sum_j \ln\frac1N\sum_k e^{-D_{jk}/(2s^2)}

        (Bhattacharyya distance below, KL divergence above; Kolchinsky & Tracey 2017, Eq. 11-12),
        and :math:`H \le \tfrac12\ln\det(2\pi e\,(\bar\alpha\Sigma_F + s^2 I))` with
        :math:`\Sigma_F` the (population) covariance of the data.
        """
        f = self._flat()
        ab, var = self.alpha_bar, self.variance
        n_data, n = f.shape
        h_c = 0.5 * n * (LOG_2PI_E + math.log(var))
        d2 = ab * sq_distances(f, f, block_entries=self.block_entries)

        def pairwise(divisor: float) -> float:
            return h_c - float(np.mean(logsumexp_rows(-d2 / divisor) - math.log(n_data)))

        cov = ab * np.cov(f, rowvar=False, bias=True).reshape(n, n) + var * np.eye(n)
        _, logdet = np.linalg.slogdet(cov)
        return MixtureEntropyBounds(
            lower_bhattacharyya=pairwise(8.0 * var),  # Bhattacharyya: ||mu_j - mu_k||^2 / (8 s^2)
            upper_kl=pairwise(2.0 * var),  # KL: ||mu_j - mu_k||^2 / (2 s^2)
            lower_conditional=h_c,
            upper_gaussian=0.5 * (n * LOG_2PI_E + float(logdet)),
        )


# -- the free functions of the first API: one-line delegations to GaussianMixture -------------
def mixture_log_density(
    x: Any, data: Any, alpha_bar: float, *, block_entries: int = BLOCK_ENTRIES
) -> FloatArray:
    r"""Exact :math:`\ln p(x)` of the forward mixture at samples ``x``: shape ``(M,)``.

    Same as ``GaussianMixture(data, alpha_bar, block_entries=...).log_density(x)``.

    Examples
    --------
    >>> f = np.zeros((1, 3))
    >>> round(float(mixture_log_density(np.zeros((1, 3)), f, 0.0)[0]), 6)   # -3/2 ln(2 pi)
    -2.756816
    """
    return GaussianMixture(data, alpha_bar, block_entries=block_entries).log_density(x)


def sample_mixture(
    data: Any, alpha_bar: float, num_samples: int, *, rng: RNGLike = None
) -> FloatArray:
    """Draw ``num_samples`` points of the forward mixture, flattened to shape ``(M, n)``.

    Same as ``GaussianMixture(data, alpha_bar).sample(num_samples, rng=rng)``, flattened.
    """
    return GaussianMixture(data, alpha_bar).sample(num_samples, rng=rng).reshape(num_samples, -1)


def mixture_entropy(
    data: Any,
    alpha_bar: float,
    *,
    num_samples: int = 2000,
    samples: Any = None,
    rng: RNGLike = None,
) -> EntropyEstimate:
    r"""Monte-Carlo differential entropy :math:`H(U_i) = -E[\ln p(u_i)]` of the mixture, Eq. (9).

    Same as ``GaussianMixture(data, alpha_bar).entropy(num_samples, samples=..., rng=...)``.

    Examples
    --------
    >>> est = mixture_entropy(np.zeros((1, 4)), 0.5, num_samples=500, rng=0)
    >>> bool(abs(est.value - 2 * np.log(2 * np.pi * np.e * 0.5)) < 4 * est.stderr)
    True
    """
    return GaussianMixture(data, alpha_bar).entropy(num_samples, samples=samples, rng=rng)


def mixture_relative_entropy(
    data: Any,
    alpha_bar: float,
    *,
    num_samples: int = 2000,
    samples: Any = None,
    rng: RNGLike = None,
) -> EntropyEstimate:
    r"""Monte-Carlo relative entropy :math:`KL(p(u_i) \,\|\, \mathcal N(0, I))` of the mixture.

    Same as ``GaussianMixture(data, alpha_bar).relative_entropy(num_samples, ...)``.
    """
    return GaussianMixture(data, alpha_bar).relative_entropy(num_samples, samples=samples, rng=rng)


def mixture_entropy_bounds(
    data: Any, alpha_bar: float, *, block_entries: int = BLOCK_ENTRIES
) -> MixtureEntropyBounds:
    """Kolchinsky-Tracey and maximum-entropy bounds on the entropy of the forward mixture.

    Same as ``GaussianMixture(data, alpha_bar, block_entries=...).entropy_bounds()``.
    """
    return GaussianMixture(data, alpha_bar, block_entries=block_entries).entropy_bounds()


def _log_density_naive(x: Any, data: Any, alpha_bar: float) -> FloatArray:
    """Reference: the same log-density by broadcasting a full ``M x N x n`` array (tests and
    benchmarks only; memory grows as M * N * n)."""
    from scipy.special import logsumexp

    f = _check_data(data)
    f = f.reshape(f.shape[0], -1)
    pts = np.asarray(x, dtype=np.float64).reshape(-1, f.shape[1])
    a, var = math.sqrt(alpha_bar), 1.0 - alpha_bar
    d2 = np.sum((pts[:, None, :] - a * f[None, :, :]) ** 2, axis=2)
    return (
        logsumexp(-d2 / (2.0 * var), axis=1)
        - math.log(f.shape[0])
        - 0.5 * f.shape[1] * math.log(2.0 * math.pi * var)
    )
