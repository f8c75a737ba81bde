r"""Closed-form entropies of Section 3.1 and the osmosis Lyapunov functional, Eq. (9)-(20), (28).

* :func:`gaussian_entropy`: :math:`H(\mathcal N(\mu, \Sigma)) = \tfrac12 \ln\det(2\pi e\,\Sigma)`.
* :func:`conditional_entropy`: :math:`H(U_i \mid U_0)` of Prop. 2, Eq. (16)-(18). By Eq. (5),
  :math:`p(u_i \mid u_0) = \mathcal N(\sqrt{\bar\alpha_i}\,u_0, (1-\bar\alpha_i) I)` in
  :math:`n` dimensions, so

  .. math:: H(U_i \mid U_0) = \tfrac n2 \ln\bigl(2\pi e\,(1 - \bar\alpha_i)\bigr).

  Eq. (18) of [1]_ writes :math:`\ln((2\pi e)^n (1-\bar\alpha_i)^n)`, twice this value (a factor
  1/2 is missing); the monotonicity argument of Prop. 2 is unaffected.
* :func:`entropy_power_bound`: the entropy power inequality for one jump of Eq. (4)/(5),
  :math:`e^{2H(U_j)/n} \ge \kappa\,e^{2H(U_i)/n} + (1-\kappa)\,2\pi e` with
  :math:`\kappa = \bar\alpha_j/\bar\alpha_i`. It is what the proof of Prop. 1 needs instead of
  Eq. (12): the entropy increases from step ``i`` to ``j`` *whenever*
  :math:`H(U_i) \le \tfrac n2\ln(2\pi e)` (for every beta), and may decrease otherwise.
* :func:`gaussian_kl_to_standard_normal`: relative entropy of :math:`\mathcal N(m, C)` to the
  steady state :math:`\mathcal N(0, I)` (Prop. 4), used on moment-matched marginals.
* :func:`osmosis_relative_entropy`: :math:`L(t) = -\sum_x u \ln(u / w)`, Eq. (28), the Lyapunov
  functional of osmosis with respect to its steady state ``w`` (Schmidt 2018).

Estimators from samples live in :mod:`driftscale.estimators.knn` (Kozachenko-Leonenko) and
:mod:`driftscale.distributions.mixture` (exact-log-density Monte Carlo for the forward marginal).

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from driftscale._validation import check_array, check_positive_array, check_positive_int
from driftscale.distributions.estimate import LOG_2PI_E, EntropyEstimate
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = [
    "LOG_2PI_E",
    "EntropyEstimate",
    "conditional_entropy",
    "entropy_power_bound",
    "gaussian_entropy",
    "gaussian_kl_to_standard_normal",
    "osmosis_relative_entropy",
]


def gaussian_entropy(covariance: Any, *, dim: int | None = None) -> float:
    r"""Differential entropy of a Gaussian, :math:`\tfrac12\ln\det(2\pi e\,\Sigma)`, in nats.

    Parameters
    ----------
    covariance : float or ndarray of shape (n, n)
        A variance :math:`\sigma^2` (isotropic, then ``dim`` is required) or a covariance matrix.
    dim : int, optional
        Dimension ``n`` for an isotropic ``covariance``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(gaussian_entropy(1.0, dim=64), 4)   # H(N(0, I)) for the 8x8 digits
    90.8121
    """
    cov = check_array(covariance, name="covariance", ndim=(0, 2))
    if cov.ndim == 0:
        if dim is None:
            raise ValueError("`dim` is required with a scalar `covariance` (isotropic Gaussian)")
        n = check_positive_int(dim, name="dim")
        if cov <= 0:
            raise ValueError(f"`covariance` must be positive, got {float(cov)!r}")
        return 0.5 * n * (LOG_2PI_E + math.log(float(cov)))
    if cov.shape[0] != cov.shape[1]:
        raise ValueError(f"`covariance` must be square, got shape {cov.shape}")
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError(
            "`covariance` must be positive definite (determinant > 0), got a singular or "
            "indefinite matrix; a Gaussian on a subspace has entropy -inf"
        )
    return 0.5 * (cov.shape[0] * LOG_2PI_E + float(logdet))


def conditional_entropy(schedule: Schedule | str, steps: Any, *, n: int) -> FloatArray:
    r"""Closed-form :math:`H(U_i \mid U_0) = \tfrac n2 \ln(2\pi e(1-\bar\alpha_i))`, Prop. 2.

    Parameters
    ----------
    schedule : Schedule or str
        Beta schedule (a string is parsed by :meth:`Schedule.from_string`).
    steps : int or sequence of int
        Steps ``1 <= i <= T``; at ``i = 0`` the conditional law is a point mass (``-inf``).
    n : int
        Number of pixels ``n = n_x n_y n_c``.

    Returns
    -------
    ndarray of float64, one value per step

    Examples
    --------
    >>> h = conditional_entropy("constant:0.02", [1, 10], n=1)
    >>> bool(h[1] > h[0])
    True
    """
    schedule = Schedule.coerce(schedule)
    n = check_positive_int(n, name="n")
    idx = np.atleast_1d(np.asarray(steps))
    if idx.dtype.kind not in "iu" or idx.ndim != 1:
        raise ValueError(f"`steps` must be integers, got {np.asarray(steps)!r}")
    if np.any(idx < 1) or np.any(idx > schedule.T):
        raise ValueError(
            f"`steps` must lie in 1..T = {schedule.T}, got {idx.tolist()}; at step 0 the "
            "conditional law of U_0 given U_0 is a point mass with entropy -inf"
        )
    one_minus_ab = -np.expm1(schedule.log_alpha_bar[idx])  # 1 - alpha_bar_i, accurate near i = 0
    # Eq. (18) corrected: H = n/2 ln(2 pi e (1 - alpha_bar_i)), not n ln(2 pi e (1 - alpha_bar_i))
    return 0.5 * n * (LOG_2PI_E + np.log(one_minus_ab))


def entropy_power_bound(h_previous: Any, keep: Any, *, n: int) -> FloatArray:
    r"""Lower bound on :math:`H(\sqrt\kappa\,U + \sqrt{1-\kappa}\,G)` from the entropy power
    inequality, :math:`G \sim \mathcal N(0, I)` independent of ``U``.

    .. math:: H \ge \tfrac n2 \ln\bigl(\kappa\,e^{2H(U)/n} + (1-\kappa)\,2\pi e\bigr)

    (Shannon 1948; Stam 1959), evaluated in log space. Equality holds for Gaussian ``U`` with
    covariance proportional to ``I``.

    Parameters
    ----------
    h_previous : float or ndarray
        :math:`H(U)` in nats.
    keep : float or ndarray
        :math:`\kappa = \bar\alpha_j / \bar\alpha_i \in [0, 1]` of the jump (Eq. 5).
    n : int
        Dimension.

    Returns
    -------
    ndarray of float64 (0-d for scalar input)

    Examples
    --------
    >>> h = gaussian_entropy(4.0, dim=3)       # U ~ N(0, 4 I): the bound is attained
    >>> bool(np.isclose(entropy_power_bound(h, 0.5, n=3), gaussian_entropy(2.5, dim=3)))
    True
    """
    n = check_positive_int(n, name="n")
    h = check_array(h_previous, name="h_previous", finite=True)
    k = check_array(keep, name="keep")
    if np.any((k < 0) | (k > 1)):
        raise ValueError(f"`keep` must lie in [0, 1] (alpha_bar_j / alpha_bar_i), got {keep!r}")
    with np.errstate(divide="ignore"):  # ln 0 = -inf is exact at keep = 0 or 1
        log_k, log_1mk = np.log(k), np.log1p(-k)
    # EPI: e^{2H/n} >= keep e^{2H(U)/n} + (1 - keep) 2 pi e
    return 0.5 * n * np.logaddexp(log_k + 2.0 * h / n, log_1mk + LOG_2PI_E)


def gaussian_kl_to_standard_normal(mean: Any, covariance: Any) -> float:
    r"""Relative entropy :math:`KL(\mathcal N(m, C) \,\|\, \mathcal N(0, I))` in nats.

    :math:`\tfrac12(\operatorname{tr} C + \|m\|^2 - n - \ln\det C)`: the distance of a
    moment-matched marginal to the steady state of Prop. 4.

    Examples
    --------
    >>> gaussian_kl_to_standard_normal(np.zeros(3), np.eye(3))
    0.0
    """
    m = check_array(mean, name="mean", ndim=1)
    cov = check_array(covariance, name="covariance", ndim=2)
    if cov.shape != (m.size, m.size):
        raise ValueError(f"`covariance` must have shape {(m.size, m.size)}, got {cov.shape}")
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError("`covariance` must be positive definite; use more samples than dimensions")
    return 0.5 * float(np.trace(cov) + m @ m - m.size - logdet)


def osmosis_relative_entropy(u: Any, w: Any) -> FloatArray | float:
    r"""Lyapunov functional of osmosis, :math:`L = -\sum_x u \ln(u / w)`, Eq. (28).

    Parameters
    ----------
    u : ndarray of shape (H, W[, C]) or a stack (K, H, W[, C])
        Positive image(s) of the evolution.
    w : ndarray of shape (H, W[, C])
        Positive steady state.

    Returns
    -------
    float for one image, ndarray of shape (K,) for a stack

    Notes
    -----
    The integral of Eq. (28) is discretised as a sum over pixels (grid size 1). For equal mass,
    :math:`\sum u = \sum w`, Gibbs' inequality gives :math:`L \le 0` with equality only at
    ``u = w``; Schmidt (2018) shows it increases along the osmosis evolution.

    Examples
    --------
    >>> float(osmosis_relative_entropy(np.ones((2, 2)), np.ones((2, 2))))
    0.0
    """
    fix = "osmosis needs positive values; scale the data with kind='positive'"
    u = check_positive_array(u, name="u", fix=fix)
    w = check_positive_array(w, name="w", fix=fix)
    if u.shape == w.shape:
        return float(np.sum(u * np.log(w / u)))  # Eq. (28): -sum u ln(u/w) = sum u ln(w/u)
    if u.shape[1:] != w.shape:
        raise ValueError(
            f"`u` must have the shape of `w` {w.shape} or (K, *{w.shape}), got {u.shape}"
        )
    axes = tuple(range(1, u.ndim))
    return np.sum(u * np.log(w[None] / u), axis=axes)  # Eq. (28), one value per image
