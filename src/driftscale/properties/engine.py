r"""Scale-space property engine: measure Properties 1-5 of Section 3.1 (and Eq. 28) on real data.

:func:`check_properties` runs every check of DESIGN.md on a ``ScaleSpace`` and returns a
:class:`~driftscale.properties.report.PropertyReport`. Every check *measures* from samples of the
process itself (its own ``trajectory``), so a broken process is flagged on the property it breaks:

=================================== ===================================================== =====
id                                  measured as                                           claim
=================================== ===================================================== =====
``initial_state``                   ``u_0`` of every sampled path equals its data image   P. 1
``semigroup``                       energy two-sample test: ``i`` steps from ``u_0`` vs   P. 2
                                    ``l`` steps from fresh samples of ``u_{i-l}``
``differential_entropy_increasing`` Monte Carlo of the exact marginal log-density (the    Prop.1
                                    Eq. (5) mixture for ProbabilisticDiffusion) on the
                                    process's samples, else Kozachenko-Leonenko k-NN;
                                    Eq. (10) beside it for a beta schedule
``conditional_entropy_increasing``  closed form + Monte Carlo check (schedule), Monte     Prop.2
                                    Carlo of the exact conditional density, else k-NN
``relative_entropy_decreasing``     KL(p(u_i) || N(0, I)) from the same samples          (28)
``permutation_invariance``          coupled noise, exactly; and a two-sample test        Prop.3
``steady_state``                    energy test vs N(0, I) and a parametric-bootstrap     Prop.4
                                    test of the moment-matched Gaussian KL
=================================== ===================================================== =====

Deterministic processes (osmosis, homogeneous diffusion) are checked in
:mod:`driftscale.properties.deterministic`.

The engine never asks what class a process is; it asks for optional capabilities (DESIGN.md),
discovered with ``getattr``, and uses each where present:

- ``transition(u, i, j, rng=)``: an exact jump between two scales; continues the chain in the
  semigroup test;
- ``step(u, i, rng=)``: one Markov step (Eq. 4); continues the chain step by step instead;
- ``marginal_log_density(x, data, i)``: the exact density of the scale-``i`` marginal; the
  differential and relative entropy by Monte Carlo of it instead of k-NN;
- ``conditional_log_density(x, u0, i)``: the exact density of ``u_i`` given ``u_0``; the
  conditional entropy by Monte Carlo of it instead of k-NN;
- ``schedule`` (a ``Schedule``): a chain of Eq. (4) with this beta schedule; Eq. (10), the entropy
  power inequality, the Kolchinsky-Tracey bounds and the closed form of Eq. (18) beside;
- ``T``: the chain's step count; steps are passed as ints and must not exceed it;
- ``batched = True``: ``trajectory`` evolves a batch of images at once;
- ``drift_free = True`` (deterministic): zero drift, Eq. (26) with ``d = 0`` (homogeneous
  diffusion); the steady state must then be flat, the mean of ``f``.

A monotone sequence "holds" unless some consecutive difference goes the wrong way by more than
``Z_MONOTONE = 3`` standard errors (one-sided false-alarm rate 0.13 % per comparison).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from driftscale._validation import as_rng, check_array, check_positive_int, check_times
from driftscale.properties import stochastic as sc
from driftscale.properties._sampling import num_steps
from driftscale.properties.report import (
    PROPERTY_IDS,
    PropertyReport,
    PropertyResult,
    not_applicable,
)
from driftscale.typing import FloatArray, RNGLike

__all__ = ["check_properties"]

MIN_SAMPLES = 20


def _check_space(space: Any) -> None:
    missing = [
        a for a in ("name", "stochastic", "trajectory", "steady_state") if not hasattr(space, a)
    ]
    if missing:
        raise TypeError(
            f"`space` must implement the ScaleSpace protocol (name, stochastic, trajectory, "
            f"steady_state), got {type(space).__name__} without {', '.join(missing)}"
        )


def check_properties(
    space: Any,
    data: Any,
    times: Any,
    *,
    rng: RNGLike = None,
    num_samples: int = 1000,
    num_test_samples: int = 300,
    level: float = 0.01,
    num_permutations: int = 199,
    data_name: str | None = None,
) -> PropertyReport:
    r"""Measure the generalised scale-space properties of ``space`` on ``data``.

    Parameters
    ----------
    space : ScaleSpace
        ``ProbabilisticDiffusion``, ``Osmosis``, ``HomogeneousDiffusion`` or any object with
        ``name``, ``stochastic``, ``trajectory(f, times, rng=)`` and ``steady_state(f)``.
    data : ndarray of shape (N, H, W) or (N, H, W, C)
        Data set, already scaled (``unit`` for diffusion, ``positive`` for osmosis).
        Deterministic processes are checked on the first image.
    times : sequence of numbers
        Sorted steps (diffusion: integers ``<= T``) or times ``t >= 0`` (osmosis); 0 is added.
        Stochastic processes need at least two positive steps.
    rng : {numpy.random.Generator, int, None}, optional
        Random generator or seed; the same seed gives the same report.
    num_samples : int
        Monte-Carlo paths for the Lyapunov sequences (at least 20).
    num_test_samples : int
        Samples per side of every two-sample test (at least 5).
    level : float
        Significance level of each two-sample test (false-alarm rate of one test).
    num_permutations : int
        Relabellings of each permutation test.
    data_name : str, optional
        Name shown in the report.

    Returns
    -------
    PropertyReport

    Examples
    --------
    >>> from driftscale.diffusion.forward import ProbabilisticDiffusion
    >>> data = np.random.default_rng(0).uniform(-1, 1, size=(20, 3, 3))
    >>> rep = check_properties(ProbabilisticDiffusion("constant:0.1"), data, [1, 5, 100],
    ...                        rng=0, num_samples=200, num_test_samples=50)
    >>> rep["semigroup"].holds, rep["differential_entropy_increasing"].holds
    (True, True)
    """
    _check_space(space)
    arr = check_array(data, name="data", ndim=(3, 4))
    if arr.shape[0] < 1:
        raise ValueError("`data` must hold at least one image")
    steps = check_times(times, name="times")
    steps = np.unique(np.concatenate([[0.0], steps]))
    rng = as_rng(rng)
    num_samples = check_positive_int(num_samples, name="num_samples")
    num_test_samples = check_positive_int(num_test_samples, name="num_test_samples")
    num_permutations = check_positive_int(num_permutations, name="num_permutations")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"`level` must lie in (0, 1), got {level!r}")
    name = data_name or f"{arr.shape[0]} images of shape {arr.shape[1:]}"
    settings: dict[str, Any] = {
        "steps": steps.tolist(),
        "num_samples": num_samples,
        "num_test_samples": num_test_samples,
        "level": float(level),
        "num_permutations": num_permutations,
        "z_monotone": sc.Z_MONOTONE,
    }
    if not space.stochastic:
        from driftscale.properties.deterministic import check_deterministic

        results, sequences, extra = check_deterministic(space, arr, steps)
        settings |= extra
        return PropertyReport(space.name, name, results, sequences, settings)
    _check_stochastic_options(space, steps, num_samples, num_test_samples, level, num_permutations)
    ctx = sc.Context(
        space=space,
        data=arr,
        steps=steps,
        rng=rng,
        num_samples=num_samples,
        num_test_samples=num_test_samples,
        level=float(level),
        num_permutations=num_permutations,
    )
    results, sequences = sc.run_stochastic(ctx)
    results.extend(_not_applicable_to_stochastic())
    order = {pid: k for k, pid in enumerate(PROPERTY_IDS)}
    results.sort(key=lambda r: order[r.id])
    return PropertyReport(space.name, name, tuple(results), tuple(sequences), settings)


def _check_stochastic_options(
    space: Any,
    steps: FloatArray,
    num_samples: int,
    num_test_samples: int,
    level: float,
    num_permutations: int,
) -> None:
    if not np.all(steps == np.round(steps)):
        raise ValueError(
            f"`times` must be integer steps for a stochastic process, got {steps.tolist()}"
        )
    T = num_steps(space)
    if T is not None and steps[-1] > T:
        raise ValueError(
            f"`times` must not exceed the schedule's T = {T}, got {int(steps[-1])}; "
            "use a longer schedule or fewer steps"
        )
    if np.count_nonzero(steps > 0) < 2:
        raise ValueError(
            f"`times` must hold at least two positive steps to measure monotonicity and the "
            f"semigroup property, got {steps.tolist()}"
        )
    if num_samples < MIN_SAMPLES:
        raise ValueError(
            f"`num_samples` must be at least {MIN_SAMPLES} for Monte-Carlo standard errors, got "
            f"{num_samples}; use 1000 or more"
        )
    if num_test_samples < 5:
        raise ValueError(
            f"`num_test_samples` must be at least 5 per side of a two-sample test, got "
            f"{num_test_samples}; use 300 or more"
        )
    if 1.0 / (num_permutations + 1) >= level:
        raise ValueError(
            f"`num_permutations` = {num_permutations} cannot reach p-values below `level` = "
            f"{level}; use at least {math.ceil(1.0 / level)}"
        )


def _not_applicable_to_stochastic() -> list[PropertyResult]:
    reason = (
        "probabilistic diffusion evolves distributions of pixel values (positions, not "
        "concentrations; Sec. 4.4): mass and positivity of one image are not preserved, and "
        "Eq. (28) is replaced by relative_entropy_decreasing"
    )
    claims = {
        "mass_conservation": "osmosis: mass conservation (Weickert et al. 2013)",
        "positivity": "osmosis: positivity (Weickert et al. 2013)",
        "relative_entropy_increasing": "Sec. 4.3, Eq. (28)",
    }
    return [not_applicable(pid, claim, reason) for pid, claim in claims.items()]
