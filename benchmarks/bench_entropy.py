"""Benchmark: Monte-Carlo entropy of the forward mixture, chunked BLAS against naive broadcasting.

Digits (N = 1797, n = 64), 2000 Monte-Carlo samples per step, 50 steps of constant:0.02 (by
default). Reference: the same exact log-density by broadcasting an ``M x N x n`` array
(``driftscale.distributions.mixture._log_density_naive``), measured in the same run on the same
samples.
Prints wall seconds, peak traced memory (tracemalloc, NumPy allocations), the largest difference
of the estimates and the ratios, plus a --json line. The naive reference needs ~1.8 GB and ~20 s
per step here, so by default it runs on the first 5 steps only and its time is scaled linearly to
all steps (every step does the same work: the same M x N x n array); ``--naive-steps 50`` measures
all of them (about 20 minutes on this 2-core machine).

    python benchmarks/bench_entropy.py [--steps 50] [--samples 2000] [--naive-steps 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from driftscale.data import load_digits
from driftscale.distributions.mixture import _log_density_naive, mixture_log_density, sample_mixture
from driftscale.schedules import Schedule


def run(fn, samples, data, alpha_bars):
    tracemalloc.start()
    start = time.perf_counter()
    values = [float(-fn(x, data, ab).mean()) for x, ab in zip(samples, alpha_bars, strict=True)]
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return np.array(values), seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--naive-steps", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = load_digits().scaled("unit").reshape(1797, -1)
    sched = Schedule.from_string("constant:0.02")
    steps = np.unique(np.geomspace(1, sched.T, args.steps).round().astype(int))
    while steps.size < args.steps:  # geomspace rounds to duplicates at small i: fill linearly
        extra = np.setdiff1d(np.arange(1, sched.T + 1), steps)[: args.steps - steps.size]
        steps = np.union1d(steps, extra)
    alpha_bars = sched.alpha_bar[steps]
    samples = [sample_mixture(data, ab, args.samples, rng=k) for k, ab in enumerate(alpha_bars)]
    naive_k = max(1, min(args.naive_steps, steps.size))

    ours, ours_s, ours_peak = run(mixture_log_density, samples, data, alpha_bars)
    ref, ref_s, ref_peak = run(_log_density_naive, samples[:naive_k], data, alpha_bars[:naive_k])
    ref_s_all = ref_s * steps.size / naive_k
    err = float(np.max(np.abs(ours[:naive_k] - ref)))
    result = {
        "benchmark": "time_mixture_entropy",
        "data": "digits N=1797 n=64",
        "num_steps": int(steps.size),
        "num_samples": args.samples,
        "naive_steps_measured": naive_k,
        "chunked_seconds": ours_s,
        "naive_seconds": ref_s_all,
        "chunked_peak_mib": ours_peak / 2**20,
        "naive_peak_mib": ref_peak / 2**20,
        "max_abs_difference_nats": err,
        "speedup": ref_s_all / ours_s,
        "memory_ratio": ref_peak / ours_peak,
    }
    print(f"digits (N=1797, n=64), {args.samples} samples x {steps.size} steps")
    print(
        f"  reference: naive broadcast ({naive_k} steps measured)  {ref_s_all:8.2f} s  "
        f"peak {ref_peak / 2**20:8.1f} MiB"
    )
    print(
        f"  driftscale: chunked BLAS log-sum-exp            {ours_s:8.2f} s  "
        f"peak {ours_peak / 2**20:8.1f} MiB"
    )
    print(
        f"  ratio: {ref_s_all / ours_s:.1f}x faster, {ref_peak / ours_peak:.1f}x less memory; "
        f"max |difference of entropies| = {err:.2e} nats"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
