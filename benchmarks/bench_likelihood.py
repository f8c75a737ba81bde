"""Benchmark: the ODE likelihood with the exact trace against the score_sde-style route.

Both compute bits/dim of the same digits (the same dequantised points) under the same model, the
exact denoiser of the 1617 training digits (linear:1e-4,0.02, T = 1000), from noise level
step 1 to step T, in one process:

- ours: :func:`driftscale.reverse.likelihood.likelihood` with ``route="ode"``, as it runs for
  the exact denoiser: the stiff adaptive solver (SciPy BDF, tolerance 1e-6) with the closed-form
  Jacobian (the posterior covariance) and the exact divergence, each image on its own steps;
- reference, as Song et al.'s score_sde ``likelihood.py``: the probability-flow ODE
  ``dx/dt = -beta(t)/2 (x + score)`` of the VP-SDE with linear ``beta(t)`` (0.1 -> 20, ``t`` in
  ``[eps, t_end]`` chosen to span the same noise levels), the whole batch as one system in
  ``scipy.integrate.solve_ivp(method="RK45", rtol=1e-5, atol=1e-5)``, the divergence by
  Hutchinson with one Rademacher probe per image fixed along the trajectory, its Jacobian-vector
  product exact (the posterior covariance times the probe, as autograd would give).

Printed for each: time, function evaluations, mean bits/dim and the standard error of the mean
over the images; the error of each against the closed-form density of this model (the mixture
(1/N) sum_k N(a_1 f_k, sigma_1^2 I) at step 1, exact up to the prior's mismatch, which is far
below these errors); and the ratios: time, squared standard error, and work-normalised
(time x SE^2: how much longer the reference needs for the same standard error). Timings on a
shared machine are noisy: best of ``--repeats``.

    python benchmarks/bench_likelihood.py [--n 32] [--split heldout] [--repeats 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import logsumexp

from driftscale.learned.distributed import load_training_data
from driftscale.reverse.denoisers import ExactDenoiser
from driftscale.reverse.divergence import EmpiricalPosterior, rademacher
from driftscale.reverse.likelihood import likelihood
from driftscale.reverse.quantisation import Quantisation

BETA_MIN, BETA_MAX = 0.1, 20.0  # score_sde's VP-SDE; B(t) = int_0^t beta = 0.1 t + 9.95 t^2


def _time_of_clock(B: float) -> float:
    """Solve ``B = BETA_MIN t + (BETA_MAX - BETA_MIN) t^2 / 2`` for ``t``."""
    a = 0.5 * (BETA_MAX - BETA_MIN)
    return (-BETA_MIN + math.sqrt(BETA_MIN**2 + 4 * a * B)) / (2 * a)


def reference_bits(den, y, q, *, rng):
    """score_sde-style: RK45 on the whole batch, one Hutchinson probe per image."""
    post = EmpiricalPosterior(den.train_data)
    n, d = y.shape
    la = den.schedule.log_alpha_bar
    t0, t1 = _time_of_clock(-la[1]), _time_of_clock(-la[den.schedule.T])
    eps = rademacher((n, 1, d), rng=rng)
    nfe = [0]

    def rhs(t, state):
        nfe[0] += 1
        x = state[: n * d].reshape(n, d)
        beta = BETA_MIN + t * (BETA_MAX - BETA_MIN)
        B = BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t * t
        log_ab, sigma2 = -B, -math.expm1(-B)
        a = math.exp(0.5 * log_ab)
        mean, _ = post.moments(x, log_ab)
        score = -(x - a * mean) / sigma2  # Tweedie
        cov_eps = post.cov_matvec(x, log_ab, eps)[:, 0, :]
        e_jac_e = a / sigma2 * np.einsum("nj,nj->n", eps[:, 0, :], cov_eps)  # e'J e, J = a Cov/s2
        drift = -0.5 * beta * (x + score)
        div = -0.5 * beta * (d - (d - a * e_jac_e) / sigma2)  # div of the drift, one probe
        return np.concatenate([drift.ravel(), div])

    sol = solve_ivp(
        rhs, (t0, t1), np.concatenate([y.ravel(), np.zeros(n)]), method="RK45", rtol=1e-5,
        atol=1e-5,
    )  # fmt: skip
    x_T, delta = sol.y[: n * d, -1].reshape(n, d), sol.y[n * d :, -1]
    prior = -0.5 * np.einsum("nj,nj->n", x_T, x_T) - 0.5 * d * math.log(2 * math.pi)
    neg_log_p = -(prior + delta)  # ln p_start = ln p_T(x_T) + int div dt
    return q.bits_per_dim(neg_log_p, d), nfe[0]


def mixture_bits(train_flat, y, schedule, q):
    """Bits/dim of the closed-form step-1 marginal (1/N) sum_k N(a_1 f_k, (1 - ab_1) I)."""
    ab = schedule.alpha_bar[1]
    d = y.shape[1]
    post = EmpiricalPosterior(train_flat)
    logits = -(
        np.einsum("nj,nj->n", y, y)[:, None]
        - 2 * math.sqrt(ab) * (y @ post.flat.T)
        + ab * post.sq[None, :]
    ) / (2 * (1 - ab))
    log_p = (
        logsumexp(logits, axis=1)
        - math.log(train_flat.shape[0])
        - 0.5 * d * math.log(2 * math.pi * (1 - ab))
    )
    return q.bits_per_dim(-log_p, d)


def _best(fn, repeats):
    best, out = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _report(name, seconds, nfe, bits, truth):
    n = bits.size
    err = bits - truth
    return {
        "name": name,
        "seconds": seconds,
        "nfe": float(nfe),
        "bits_per_dim_mean": float(bits.mean()),
        "se": float(bits.std(ddof=1) / math.sqrt(n)),
        "error_rms": float(np.sqrt(np.mean(err**2))),
        "error_mean": float(err.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32, help="images")
    parser.add_argument("--split", choices=("heldout", "train"), default="heldout")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    split = load_training_data("digits", heldout=0.1, seed=args.seed)
    images = (split.heldout if args.split == "heldout" else split.train)[: args.n]
    q = Quantisation.from_data(
        np.concatenate([split.train, split.heldout]).reshape(-1), data_range=(-1.0, 1.0)
    )
    den = ExactDenoiser(split.train, "linear:1e-4,0.02")
    x = images.reshape(images.shape[0], -1)
    y = q.dequantise(x, rng=np.random.default_rng(args.seed))  # ours' dequantisation draw
    truth = mixture_bits(split.train.reshape(split.train.shape[0], -1), y, den.schedule, q)

    t_ours, est = _best(
        lambda: likelihood(den, images, route="ode", quantisation=q, rng=args.seed), args.repeats
    )
    t_ref, (ref_bits, ref_nfe) = _best(
        lambda: reference_bits(den, y, q, rng=np.random.default_rng([args.seed, 9])), args.repeats
    )
    ours = _report("ours", t_ours, est.num_function_evaluations, est.bits_per_dim, truth)
    ref = _report("reference", t_ref, ref_nfe, ref_bits, truth)
    result = {
        "benchmark": "likelihood_ode_exact_trace_vs_score_sde",
        "images": int(x.shape[0]),
        "split": args.split,
        "truth_bits_per_dim_mean": float(truth.mean()),
        "ours": ours,
        "reference": ref,
        "time_ratio": t_ref / t_ours,
        "se2_ratio": (ref["se"] / ours["se"]) ** 2,
        "work_normalised_ratio": t_ref * ref["se"] ** 2 / (t_ours * ours["se"] ** 2),
        "error_rms_ratio": ref["error_rms"] / ours["error_rms"],
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"exact denoiser of {split.train.shape[0]} digits; {x.shape[0]} {args.split} digits, the "
        f"same dequantised points; closed-form mean {result['truth_bits_per_dim_mean']:.4f}"
    )
    for r in (ours, ref):
        print(
            f"  {r['name']:<9} {r['seconds']:8.2f} s  {r['nfe']:8.1f} NFE/trajectory  bits/dim "
            f"{r['bits_per_dim_mean']:.4f} +- {r['se']:.4f} (SE over images); error against the "
            f"closed form: RMS {r['error_rms']:.3g}, mean {r['error_mean']:.3g}"
        )
    print(
        f"  ratio reference/ours: time {result['time_ratio']:.2f}x, "
        f"SE^2 {result['se2_ratio']:.3f}x, time x SE^2 {result['work_normalised_ratio']:.2f}x, "
        f"RMS error {result['error_rms_ratio']:.3g}x"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
