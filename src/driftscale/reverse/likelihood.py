r"""Negative log-likelihood and bits per dimension of a reverse process, for any Denoiser.

Two routes (:func:`likelihood`), both for quantised data (:class:`Quantisation`, derived from
the data):

**vlb** -- the DDPM variational bound (Ho et al. 2020, their Eq. 5), all ``T`` terms:

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
value's bin (Ho et al. Eq. 13), so the bound is on the probability of the *discrete* data. The
expectation over :math:`u_t \sim q(u_t \mid x_0)` (Eq. 5 of Peter 2023) is Monte Carlo with
``num_samples`` draws per term and a standard error; with ``timesteps=M`` the sum over ``t`` is
itself estimated from ``M`` importance-sampled steps per image.

**ode** -- the probability-flow ODE (Song et al. 2021, Eq. 13) from the data, uniformly
dequantised over its bins, to step ``T``, with the change of variables
:math:`\ln p_0(x) = \ln p_T(x_T) + \int \nabla\cdot v\,dt`
(:mod:`driftscale.reverse.probability_flow`): for any denoiser on the integer steps of its
schedule (an exponential Adams predictor-corrector in log-SNR, accurate where the model's density
is smooth, e.g. a trained network), for closed-form denoisers (the exact denoiser of a finite data
set, Gaussian data) in continuous time by an adaptive stiff solver, since the exact model's flow
contracts sharply between training images. The divergence is exact (the closed-form posterior
covariance, or ``d`` finite-difference JVPs, :mod:`driftscale.reverse.divergence`) or Hutchinson's
estimate with ``num_probes`` Rademacher probes fixed along each trajectory. The ODE starts at
``start_step`` (default 1: the score of a finite data set is singular at step 0), so it measures
the density of the model's step-1 marginal at the dequantised data, as Song et al.'s ``eps``.

Both give a bound on the discrete NLL in nats; bits/dim = NLL / (d ln 2), for the ODE route
:math:`-\ln p(y)/(d\ln 2) - \log_2\Delta` (:meth:`Quantisation.bits_per_dim`).

References
----------
.. [1] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
.. [2] Y. Song, J. Sohl-Dickstein, D. P. Kingma, A. Kumar, S. Ermon, B. Poole, "Score-based
       generative modeling through stochastic differential equations", ICLR 2021.
.. [3] A. Nichol, P. Dhariwal, "Improved denoising diffusion probabilistic models", ICML 2021
       (importance sampling of the VLB terms).
.. [4] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from driftscale._progress import progress_callback
from driftscale._validation import as_rng, check_array, check_choice, check_positive_int
from driftscale.reverse._exact_kernel import blas_single_thread
from driftscale.reverse.divergence import (
    DEFAULT_FD_STEP,
    JacobianOracle,
    jacobian_oracle,
    rademacher,
)
from driftscale.reverse.probability_flow import SOLVERS, flow_log_density
from driftscale.reverse.quantisation import Quantisation
from driftscale.reverse.samplers import time_grid
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["ROUTES", "LikelihoodEstimate", "likelihood"]

ROUTES: tuple[str, ...] = ("vlb", "ode")
Route = Literal["vlb", "ode"]


@dataclass(frozen=True)
class LikelihoodEstimate:
    """Per-image negative log-likelihood bounds of discrete data under a reverse process.

    Attributes
    ----------
    route : {"vlb", "ode"}
    nll : ndarray of float64, shape (num_images,)
        Bound on :math:`-\\ln P(x)` of each (discrete) image, in nats.
    nll_se : ndarray of float64, shape (num_images,)
        Monte Carlo standard error of ``nll`` over the route's own draws per image: the
        :math:`u_t` samples (vlb; NaN with one sample per term), the Hutchinson probes (ode; 0
        with the exact trace, NaN with one probe). The ode route's one dequantisation draw per
        image shows only in the spread over images.
    dims : int
        Values per image ``d``.
    quantisation : Quantisation
    terms : dict of str to ndarray
        vlb: ``prior`` (:math:`L_T`), ``diffusion`` (:math:`\\sum L_{t-1}`), ``decoder``
        (:math:`L_0`); ode: ``neg_log_density`` (:math:`-\\ln p(y)`, continuous, nats),
        ``prior`` (:math:`-\\ln p_T(x_T)`), ``log_det`` (the divergence integral),
        ``volume`` (:math:`d\\ln(\\sigma_T/\\sigma_{start})`).
    num_function_evaluations : float
        vlb: denoiser steps used per image (``T``, or ``timesteps``); ode: evaluations of the
        ODE's vector field per trajectory, averaged over the images (2 a step, plus the extra
        corrector iterations).
    denoiser_evaluations : int
        Images passed through the denoiser (or its closed-form posterior moments), all images
        and probes together.
    settings : dict
        The options that produced the estimate (JSON-ready).
    """

    route: str
    nll: FloatArray
    nll_se: FloatArray
    dims: int
    quantisation: Quantisation
    terms: dict[str, FloatArray]
    num_function_evaluations: float
    denoiser_evaluations: int
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def bits_per_dim(self) -> FloatArray:
        """``nll / (d ln 2)`` per image (float64)."""
        return self.nll / (self.dims * math.log(2.0))

    @property
    def bits_per_dim_se(self) -> FloatArray:
        """``nll_se / (d ln 2)`` per image."""
        return self.nll_se / (self.dims * math.log(2.0))


def likelihood(
    denoiser: Any,
    data: Any,
    *,
    route: Route = "vlb",
    quantisation: Quantisation | None = None,
    rng: RNGLike = None,
    num_samples: int = 2,
    timesteps: int | None = None,
    variance: Literal["posterior", "beta"] = "posterior",
    num_steps: int | None = None,
    start_step: int = 1,
    divergence: Literal["exact", "hutchinson"] = "exact",
    num_probes: int = 1,
    ode_solver: Literal["auto", "grid", "bdf"] = "auto",
    ode_tolerance: float = 1e-6,
    jacobian: str = "auto",
    fd_step: float = DEFAULT_FD_STEP,
    batch_size: int = 8192,
    progress: bool | Callable[..., Any] = False,
) -> LikelihoodEstimate:
    r"""Bound the negative log-likelihood of discrete images under the reverse process of
    ``denoiser``, by the variational bound or the probability-flow ODE (module docstring).

    Parameters
    ----------
    denoiser : Denoiser
        Predicts :math:`E[u_0 \mid u_i = x]`; its ``schedule`` defines the process.
    data : ndarray of shape (num_images, *image_shape)
        Quantised images in the denoiser's units (e.g. scaled to ``[-1, 1]``).
    route : {"vlb", "ode"}
    quantisation : Quantisation, optional
        The grid of values; default :meth:`Quantisation.from_data` of ``data`` (pass the one of
        the whole data set when ``data`` is a subset that may miss the extreme values).
    rng : {numpy.random.Generator, int, None}, optional
        Seeds the :math:`u_t` draws (vlb), the dequantisation and the probes (ode).
    num_samples : int
        vlb: draws of :math:`u_t` per term and image (``>= 2`` gives a standard error).
    timesteps : int, optional
        vlb: estimate the sum over ``t`` from this many steps per image, importance-sampled with
        a proposal proportional to the root mean square of each term on a pilot of up to 8
        images (mixed with 10% uniform); default: every term.
    variance : {"posterior", "beta"}
        vlb: the model's step variance :math:`\tilde\beta_t` or :math:`\beta_t` (the decoder's
        is :math:`\beta_1` either way).
    num_steps : int, optional
        ode, grid solver: steps between ``start_step`` and ``T`` (evenly spaced integer steps);
        default every step.
    start_step : int
        ode: the step the ODE starts from, ``1 <= start_step < T``.
    divergence : {"exact", "hutchinson"}
        ode: the exact trace of the Jacobian or Hutchinson's estimate.
    num_probes : int
        ode: Rademacher probes per image for ``"hutchinson"``.
    ode_solver : {"auto", "grid", "bdf"}
        ode: ``"grid"`` steps along the schedule's integer steps (any denoiser), ``"bdf"`` is
        SciPy's adaptive stiff solver in continuous time (closed-form denoisers, exact trace);
        ``"auto"``: bdf where it applies (see :mod:`driftscale.reverse.probability_flow`).
    ode_tolerance : float
        ode, bdf: relative and absolute tolerance.
    jacobian : {"auto", "finite-difference"}
        Where Jacobians come from (see :func:`~driftscale.reverse.divergence.jacobian_oracle`).
    fd_step : float
        Step of the central differences for black-box denoisers, relative to the noise level
        (default for float64 denoisers; ``3e-2`` for float32 networks).
    batch_size : int
        Most images per denoiser call.
    progress : bool or callable
        ``True``: a progress bar on stderr; a callable gets the number of steps done.

    Returns
    -------
    LikelihoodEstimate
        Per-image NLL bounds (float64, nats) and bits/dim.

    Examples
    --------
    >>> from driftscale.reverse.denoisers import ExactDenoiser
    >>> train = np.array([[-1.0, 1.0], [1.0, -1.0]])
    >>> D = ExactDenoiser(train, "linear:1e-4,0.02")
    >>> est = likelihood(D, train, route="vlb", rng=0, num_samples=100)
    >>> round(float(est.nll.mean()), 1)   # two training points: about ln 2 = 0.69 nats each
    0.7
    """
    x0, q = _check_data(denoiser, data, quantisation)
    check_choice(route, name="route", choices=ROUTES)
    oracle = jacobian_oracle(denoiser, jacobian=jacobian, fd_step=fd_step, batch_size=batch_size)
    if route == "vlb":
        opts = _vlb_options(denoiser.schedule, num_samples, timesteps, variance)
        run: Callable[..., LikelihoodEstimate] = _vlb
    else:
        opts = _ode_options(
            oracle, num_steps, start_step, divergence, num_probes, ode_solver, ode_tolerance
        )
        run = _ode
    # the batches here are small (one image set per step): BLAS threads only contend (measured
    # 30x slower on a loaded 2-core machine), so BLAS runs single-threaded during the call
    with blas_single_thread():
        return run(oracle, x0, q, rng=as_rng(rng), progress=progress, **opts)


# -- checks ---------------------------------------------------------------------------------------
def _check_data(denoiser: Any, data: Any, quantisation: Any) -> tuple[FloatArray, Quantisation]:
    schedule = getattr(denoiser, "schedule", None)
    shape = getattr(denoiser, "image_shape", None)
    if not callable(denoiser) or not isinstance(schedule, Schedule) or shape is None:
        raise TypeError(
            "`denoiser` must be a Denoiser: callable as denoiser(x, i) with attributes `schedule` "
            f"(a Schedule) and `image_shape`, got {type(denoiser).__name__}"
        )
    x = check_array(data, name="data")
    if x.shape[1:] != tuple(shape) or x.shape[0] < 1:
        raise ValueError(
            f"`data` must have shape (num_images, {', '.join(map(str, shape))}) like the "
            f"denoiser's images, got {x.shape}"
        )
    if quantisation is None:
        quantisation = Quantisation.from_data(x)
    elif not isinstance(quantisation, Quantisation):
        raise TypeError(
            f"`quantisation` must be a Quantisation or None, got {type(quantisation).__name__}"
        )
    quantisation.index(x, name="data")
    return x.reshape(x.shape[0], -1), quantisation


def _vlb_options(
    schedule: Schedule, num_samples: int, timesteps: int | None, variance: str
) -> dict[str, Any]:
    check_choice(variance, name="variance", choices=("posterior", "beta"))
    if schedule.T < 2:
        raise ValueError(f"the vlb route needs a schedule with T >= 2, got T = {schedule.T}")
    if timesteps is not None:
        timesteps = check_positive_int(timesteps, name="timesteps")
        if timesteps < 2:
            raise ValueError("`timesteps` must be at least 2 (for a standard error), got 1")
    return {
        "num_samples": check_positive_int(num_samples, name="num_samples"),
        "timesteps": timesteps,
        "variance": variance,
    }


def _ode_options(
    oracle: JacobianOracle,
    num_steps: int | None,
    start_step: int,
    divergence: str,
    num_probes: int,
    solver: str,
    tolerance: float,
) -> dict[str, Any]:
    schedule = oracle.schedule
    check_choice(divergence, name="divergence", choices=("exact", "hutchinson"))
    check_choice(solver, name="ode_solver", choices=("auto", *SOLVERS))
    if solver == "auto":
        solver = "bdf" if oracle.continuous and divergence == "exact" else "grid"
    if not (math.isfinite(tolerance) and 0 < tolerance < 1):
        raise ValueError(f"`ode_tolerance` must lie in (0, 1), got {tolerance!r}")
    start = int(start_step)
    if start != start_step or not 1 <= start < schedule.T:
        raise ValueError(
            f"`start_step` must be an integer in 1..T-1 = 1..{schedule.T - 1} (the score of "
            f"a finite data set is singular at step 0), got {start_step!r}"
        )
    span = schedule.T - start
    grid = start + time_grid(span, num_steps)[::-1]  # ascending: start_step .. T
    return {
        "grid": grid,
        "num_probes": check_positive_int(num_probes, name="num_probes")
        if divergence == "hutchinson"
        else None,
        "solver": solver,
        "tolerance": float(tolerance),
    }


# -- vlb ------------------------------------------------------------------------------------------
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


def _vlb(
    oracle: JacobianOracle,
    x0: FloatArray,
    q: Quantisation,
    *,
    rng: np.random.Generator,
    progress: Any,
    num_samples: int,
    timesteps: int | None,
    variance: str,
) -> LikelihoodEstimate:
    schedule = oracle.schedule
    ctx = {"schedule": schedule, "rng": rng, "variance": variance, "edges": q.bin_edges(x0)}
    if timesteps is None:
        parts = _vlb_all_terms(oracle, x0, ctx, num_samples, progress)
    else:
        parts = _vlb_sampled_terms(oracle, x0, ctx, timesteps, progress)
    prior = _prior_kl(x0, schedule)
    nll = prior + parts["diffusion"] + parts["decoder"]
    settings = {
        "route": "vlb",
        "schedule": schedule.to_dict(),
        "num_samples": num_samples,
        "timesteps": timesteps,
        "variance": variance,
        "jacobian": oracle.kind,
    }
    return LikelihoodEstimate(
        route="vlb",
        nll=nll,
        nll_se=parts["se"],
        dims=x0.shape[1],
        quantisation=q,
        terms={"prior": prior, "diffusion": parts["diffusion"], "decoder": parts["decoder"]},
        num_function_evaluations=float(schedule.T if timesteps is None else timesteps),
        denoiser_evaluations=oracle.evaluations,
        settings=settings,
    )


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


def _ode(
    oracle: JacobianOracle,
    x0: FloatArray,
    q: Quantisation,
    *,
    rng: np.random.Generator,
    progress: Any,
    grid: np.ndarray,
    num_probes: int | None,
    solver: str,
    tolerance: float,
) -> LikelihoodEstimate:
    n, d = x0.shape
    y0 = q.dequantise(x0, rng=rng)
    probes = None if num_probes is None else rademacher((n, num_probes, d), rng=rng)
    flow = flow_log_density(
        oracle, y0, grid=grid, solver=solver, probes=probes, tolerance=tolerance,
        progress=progress,
    )  # fmt: skip
    per_probe = flow.neg_log_density  # -ln p_start(y0), one per probe
    neg_log_density = per_probe.mean(axis=1)
    K = per_probe.shape[1]
    if num_probes is None:
        se = np.zeros(n)
    elif K > 1:
        se = per_probe.std(axis=1, ddof=1) / math.sqrt(K)
    else:
        se = np.full(n, np.nan)
    nll = neg_log_density - d * math.log(q.bin_width)  # uniform dequantisation bound
    settings = {
        "route": "ode",
        "schedule": oracle.schedule.to_dict(),
        "solver": solver,
        "tolerance": tolerance if solver == "bdf" else None,
        "start_step": int(grid[0]),
        "num_steps": len(grid) - 1 if solver == "grid" else None,
        "divergence": "exact" if num_probes is None else "hutchinson",
        "num_probes": num_probes,
        "jacobian": oracle.kind,
        "fd_step": oracle.fd_step if oracle.kind == "finite-difference" else None,
        "jacobian_evaluations": flow.jacobian_evaluations,
        "unconverged_steps": int(flow.unconverged.sum()),
    }
    return LikelihoodEstimate(
        route="ode",
        nll=nll,
        nll_se=se,
        dims=d,
        quantisation=q,
        terms={
            "neg_log_density": neg_log_density,
            "prior": flow.prior,
            "log_det": flow.log_det.mean(axis=1),
            "volume": np.full(n, flow.volume),
            "unconverged_steps": flow.unconverged.astype(np.float64),
        },
        num_function_evaluations=flow.function_evaluations,
        denoiser_evaluations=oracle.evaluations,
        settings=settings,
    )
