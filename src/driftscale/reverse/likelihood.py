r"""Negative log-likelihood and bits per dimension of a reverse process, for any Denoiser.

Two routes (:func:`likelihood`), both for quantised data (:class:`Quantisation`, derived from
the data):

**vlb** -- the DDPM variational bound (Ho et al. 2020, their Eq. 5), all ``T`` terms: the prior
term, the ``T - 1`` Gaussian KL terms in closed form given the denoiser's prediction and the
discretised Gaussian decoder over the data's bins, Monte Carlo over :math:`u_t` with a standard
error, optionally importance-sampled over ``t`` (:mod:`driftscale.reverse.variational_bound`). It
bounds the probability of the *discrete* data.

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
from driftscale.reverse.variational_bound import vlb_terms
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
        ``volume`` (grid solver: :math:`d\\ln(\\sigma_T/\\sigma_{start})`; bdf: 0),
        ``unconverged_steps`` (grid steps whose corrector did not converge).
    num_function_evaluations : float
        vlb: denoiser steps used per image (``T``, or ``timesteps``); ode: evaluations of the
        ODE's vector field per trajectory, averaged over the images (grid: 2 a step, plus the
        extra corrector iterations; bdf: the adaptive solver's).
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
    data : ndarray of shape ``(num_images, *image_shape)``
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


# -- routes ---------------------------------------------------------------------------------------
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
    parts = vlb_terms(
        oracle, x0, q, rng=rng, num_samples=num_samples, timesteps=timesteps, variance=variance,
        progress=progress,
    )  # fmt: skip
    prior = parts["prior"]
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
