r"""The DDPM variational bound on :math:`-\ln P(x_0)` of discrete data, for any Denoiser.

Ho et al. 2020, their Eq. (5), all ``T`` terms:

.. math::
    -\ln P(x_0) \le \underbrace{\mathrm{KL}(q(u_T \mid x_0)\,\|\,\mathcal N(0, I))}_{L_T}
    + \sum_{t=2}^{T} \underbrace{E_{q}\,\mathrm{KL}(q(u_{t-1} \mid u_t, x_0)\,\|\,
    p(u_{t-1} \mid u_t))}_{L_{t-1}}
    \;\underbrace{-\,E_q \ln p(x_0 \mid u_1)}_{L_0}.

The forward posterior :math:`q(u_{t-1} \mid u_t, x_0) = \mathcal N(c_0 x_0 + c_t u_t,
\tilde\beta_t I)` (Ho et al. Eq. 6-7; :math:`c_0 = \sqrt{\bar\alpha_{t-1}}\beta_t /
(1-\bar\alpha_t)`, :math:`\tilde\beta_t = (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t)`) and the
model step :math:`p(u_{t-1} \mid u_t) = \mathcal N(c_0 D(u_t, t) + c_t u_t, \sigma_t^2 I)` share
the :math:`u_t` part, so each KL is closed form given the denoiser's prediction:
:math:`L_{t-1} = c_0^2 |x_0 - D(u_t, t)|^2 / (2\sigma_t^2) + \tfrac d2(\tilde\beta_t/\sigma_t^2 -
1 - \ln(\tilde\beta_t/\sigma_t^2))`, with :math:`\sigma_t^2 = \tilde\beta_t` (``variance=
"posterior"``, the last term vanishes) or :math:`\beta_t` (``"beta"``). :math:`L_0` is the
discretised Gaussian decoder :math:`\mathcal N(D(u_1, 1), \beta_1 I)` integrated over each
value's bin, the outer bins extended to infinity (Ho et al. Eq. 13). The expectation over
:math:`u_t \sim q(u_t \mid x_0)` (Eq. 5 of Peter 2023) is Monte Carlo with ``num_samples`` draws
per term and a standard error from their spread; with ``timesteps=M`` the sum over ``t`` is
itself estimated from ``M`` steps per image drawn from a proposal proportional to the root mean
square of each term on a pilot (Nichol & Dhariwal's importance sampling), with its standard error.

For the exact denoiser the terms are the I-MMSE sum :math:`\sum_t (\mathrm{snr}_{t-1} -
\mathrm{snr}_t)\,\mathrm{mmse}(\mathrm{snr}_t)/2` (checked for two points in
``tests/reverse/test_likelihood.py``), an upper Riemann sum of the mutual information.

References
----------
.. [1] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
.. [2] A. Nichol, P. Dhariwal, "Improved denoising diffusion probabilistic models", ICML 2021.
.. [3] D. Guo, S. Shamai, S. Verdu, "Mutual information and minimum mean-square error in
       Gaussian channels", IEEE Trans. Inf. Theory 51 (2005) 1261-1282.
.. [4] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from driftscale._progress import progress_callback
from driftscale.reverse.divergence import JacobianOracle
from driftscale.reverse.quantisation import Quantisation
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = ["vlb_terms"]


def vlb_terms(
    oracle: JacobianOracle,
    x0: FloatArray,
    q: Quantisation,
    *,
    rng: np.random.Generator,
    num_samples: int,
    timesteps: int | None,
    variance: str,
    progress: Any = False,
) -> dict[str, FloatArray]:
    """The bound's parts per image: ``prior`` (:math:`L_T`), ``diffusion``
    (:math:`\\sum_{t \\ge 2} L_{t-1}`), ``decoder`` (:math:`L_0`) and ``se``, the Monte Carlo
    standard error of their sum (NaN with one draw per term), all in nats.

    ``x0`` is ``(num_images, d)``, on the grid of ``q``; ``oracle`` wraps the denoiser
    (:func:`~driftscale.reverse.divergence.jacobian_oracle`). Validation is the caller's
    (:func:`driftscale.reverse.likelihood.likelihood`).
    """
    schedule = oracle.schedule
    ctx = {"schedule": schedule, "rng": rng, "variance": variance, "edges": q.bin_edges(x0)}
    if timesteps is None:
        parts = _vlb_all_terms(oracle, x0, ctx, num_samples, progress)
    else:
        parts = _vlb_sampled_terms(oracle, x0, ctx, timesteps, progress)
    return parts | {"prior": _prior_kl(x0, schedule)}


def _prior_kl(x0: FloatArray, schedule: Schedule) -> FloatArray:
    """:math:`L_T = \\mathrm{KL}(\\mathcal N(\\sqrt{\\bar\\alpha_T}x_0, (1-\\bar\\alpha_T)I)
    \\,\\|\\, \\mathcal N(0, I))`, closed form per image."""
    la = float(schedule.log_alpha_bar[schedule.T])
    ab = math.exp(la)
    d = x0.shape[1]
    # 1/2 sum_j (v + m_j^2 - 1 - ln v) with v = 1 - ab, m = sqrt(ab) x0
    return 0.5 * (d * (-ab - math.log1p(-ab)) + ab * np.einsum("nj,nj->n", x0, x0))


def _log_gaussian_bin(lower: FloatArray, upper: FloatArray, mu: FloatArray, sigma: float) -> Any:
    """:math:`\\ln(\\Phi(b) - \\Phi(a))`, ``a, b = (lower, upper - mu) / sigma``, accurate in
    both tails (the interval is mirrored into the lower half, then log-ndtr differences)."""
    from scipy.special import log_ndtr

    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    flip = a + b > 0
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    log_b, log_a = log_ndtr(b), log_ndtr(a)
    return log_b + np.log(-np.expm1(log_a - log_b))


def _vlb_terms(
    x0: FloatArray, xt: FloatArray, D: FloatArray, t: np.ndarray, ctx: dict[str, Any]
) -> FloatArray:
    """The term :math:`L_{t-1}` (``t >= 2``) or :math:`L_0` (``t = 1``) for each row."""
    schedule: Schedule = ctx["schedule"]
    la, beta = schedule.log_alpha_bar, schedule.beta
    out = np.empty(t.shape[0])
    dec = t == 1
    if np.any(dec):  # Ho et al. Eq. (13): discretised N(D(u_1, 1), beta_1) over each bin
        lower, upper = ctx["edges"]
        rows = ctx["rows"][dec]
        logp = _log_gaussian_bin(lower[rows], upper[rows], D[dec], math.sqrt(beta[1]))
        out[dec] = -logp.sum(axis=1)
    kl = ~dec
    if np.any(kl):
        s, tt = t[kl] - 1, t[kl]
        one_minus_t = -np.expm1(la[tt])
        c0 = np.exp(0.5 * la[s]) * beta[tt] / one_minus_t  # Ho et al. Eq. (7)
        post_var = -np.expm1(la[s]) * beta[tt] / one_minus_t  # beta-tilde_t
        model_var = post_var if ctx["variance"] == "posterior" else beta[tt]
        sq = np.einsum("nj,nj->n", x0[kl] - D[kl], x0[kl] - D[kl]) * c0**2
        r = post_var / model_var
        out[kl] = sq / (2.0 * model_var) + 0.5 * x0.shape[1] * (r - 1.0 - np.log(r))
    return out


def _vlb_rows(
    oracle: JacobianOracle, x0: FloatArray, rows: np.ndarray, t: np.ndarray, ctx: dict[str, Any]
) -> FloatArray:
    """Draw :math:`u_t \\sim q(u_t \\mid x_0)` (Eq. 5) for image ``rows`` at steps ``t`` and
    return their terms."""
    la = ctx["schedule"].log_alpha_bar
    eps = ctx["rng"].standard_normal((rows.size, x0.shape[1]))
    xt = np.exp(0.5 * la[t])[:, None] * x0[rows] + np.sqrt(-np.expm1(la[t]))[:, None] * eps
    D = oracle.mean(xt, t if np.unique(t).size > 1 else int(t[0]))
    return _vlb_terms(x0[rows], xt, D, t, ctx | {"rows": rows})


def _vlb_all_terms(
    oracle: JacobianOracle, x0: FloatArray, ctx: dict[str, Any], K: int, progress: Any
) -> dict[str, FloatArray]:
    """Every term ``t = 1..T``, ``K`` draws each; standard error from the per-term spread."""
    n, T = x0.shape[0], ctx["schedule"].T
    rows = np.tile(np.arange(n), K)
    diffusion, decoder, var = np.zeros(n), np.zeros(n), np.zeros(n)
    bar = progress_callback(progress, T, "likelihood vlb")
    try:
        for t in range(1, T + 1):
            terms = _vlb_rows(oracle, x0, rows, np.full(rows.size, t), ctx).reshape(K, n)
            if t == 1:
                decoder += terms.mean(axis=0)
            else:
                diffusion += terms.mean(axis=0)
            if K > 1:
                var += terms.var(axis=0, ddof=1) / K
            if bar is not None:
                bar(t)
    finally:
        if hasattr(bar, "close"):
            bar.close()
    se = np.sqrt(var) if K > 1 else np.full(n, np.nan)
    return {"diffusion": diffusion, "decoder": decoder, "se": se}


def _vlb_proposal(oracle: JacobianOracle, x0: FloatArray, ctx: dict[str, Any]) -> FloatArray:
    """Importance proposal over ``t = 1..T``: the RMS of each term on a pilot of up to 8
    images (one draw each), mixed with 10% uniform so that no weight exceeds 10 T."""
    T = ctx["schedule"].T
    pilot = np.arange(min(8, x0.shape[0]))
    rows = np.repeat(pilot, T)
    t = np.tile(np.arange(1, T + 1), pilot.size)
    terms = _vlb_rows(oracle, x0, rows, t, ctx).reshape(pilot.size, T)
    rms = np.sqrt(np.mean(terms**2, axis=0))
    p = rms / rms.sum() if rms.sum() > 0 else np.full(T, 1.0 / T)
    return 0.9 * p + 0.1 / T


def _vlb_sampled_terms(
    oracle: JacobianOracle, x0: FloatArray, ctx: dict[str, Any], M: int, progress: Any
) -> dict[str, FloatArray]:
    """Importance-sampled sum over ``t``: ``M`` steps per image, ``L_t / p(t)`` averaged."""
    n, T = x0.shape[0], ctx["schedule"].T
    p = _vlb_proposal(oracle, x0, ctx)
    rng: np.random.Generator = ctx["rng"]
    t = rng.choice(np.arange(1, T + 1), size=(n, M), p=p)
    rows = np.repeat(np.arange(n), M)
    bar = progress_callback(progress, 1, "likelihood vlb (sampled steps)")
    terms = _vlb_rows(oracle, x0, rows, t.ravel(), ctx).reshape(n, M)
    if bar is not None:
        bar(1)
        if hasattr(bar, "close"):
            bar.close()
    weighted = terms / p[t - 1]  # unbiased for the sum over t of each image's terms
    is_dec = t == 1
    return {
        "diffusion": np.where(is_dec, 0.0, weighted).mean(axis=1),
        "decoder": np.where(is_dec, weighted, 0.0).mean(axis=1),
        "se": weighted.std(axis=1, ddof=1) / math.sqrt(M),
    }
