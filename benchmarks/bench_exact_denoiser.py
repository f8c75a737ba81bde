"""Benchmark: the exact denoiser of digits driving 1000 samples x 1000 DDPM steps.

Three things are measured in one process on the same input (N = 1797 digits, n = 64 pixels,
schedule linear:1e-4,0.02, T = 1000):

- ours: ``sample(ExactDenoiser(digits), num_samples=B, sampler="ddpm")``, the whole sampler;
- the matmul roofline: the two same-shaped matrix products alone, per step
  ``(B x 65) @ (65 x N)`` and ``(B x N) @ (N x 65)``, into preallocated outputs, the default BLAS
  threads; ``roofline fraction = roofline seconds / our seconds`` (target >= 50 %);
- the naive reference: the textbook broadcasting formula (a ``B x N x n`` difference array and a
  log-sum-exp per step). It needs ~2 GB and ~1 s a step, so it is timed on a few steps and
  extrapolated (printed as such); the same steps give the error of ours against it.

Peak memory is measured with ``tracemalloc`` (NumPy reports its buffers to it) in separate short
runs, so that tracing does not slow the timed ones: ours for several ``chunk_size`` values and
batch sizes (peak ~ threads x chunk_size x 8 bytes + O(B n), not O(B N)), and the naive step.
Timings on a shared machine are noisy: best of ``--repeats``.

    python benchmarks/bench_exact_denoiser.py [--quick] [--repeats R] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np
from scipy import special

from driftscale.data import load_digits
from driftscale.reverse.denoisers import ExactDenoiser
from driftscale.reverse.samplers import sample
from driftscale.schedules import Schedule


def naive_denoiser(train_flat, x_flat, i, schedule):
    """The textbook formula: B x N x n differences, log-sum-exp, weighted mean."""
    ab = schedule.alpha_bar[i]
    diff = x_flat[:, None, :] - np.sqrt(ab) * train_flat[None, :, :]
    logits = -np.einsum("bkj,bkj->bk", diff, diff) / (2.0 * (1.0 - ab))
    w = np.exp(logits - special.logsumexp(logits, axis=1, keepdims=True))
    return w @ train_flat


def time_ours(denoiser, B, steps, repeats):
    best = np.inf
    for r in range(repeats):
        start = time.perf_counter()
        sample(denoiser, num_samples=B, sampler="ddpm", rng=r, num_steps=steps)
        best = min(best, time.perf_counter() - start)
    return best


def time_roofline(N, n, B, steps, repeats):
    rng = np.random.default_rng(0)
    xa, cols = rng.standard_normal((B, n + 1)), rng.standard_normal((n + 1, N))
    sums, g, o = rng.standard_normal((N, n + 1)), np.empty((B, N)), np.empty((B, n + 1))
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            np.matmul(xa, cols, out=g)
            np.matmul(g, sums, out=o)
        best = min(best, time.perf_counter() - start)
    return best


def peak_bytes(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 samples x 100 steps")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    B, steps = (200, 100) if args.quick else (1000, 1000)
    naive_steps = 3
    schedule = Schedule.from_string("linear:1e-4,0.02", T=1000)
    train = load_digits().scaled("unit")
    N, n = train.shape[0], train[0].size
    flat = train.reshape(N, -1)
    denoiser = ExactDenoiser(train, schedule)
    print(f"digits N = {N}, n = {n}; {B} samples x {steps} DDPM steps; threads {denoiser.threads}")

    ours_s = time_ours(denoiser, B, steps, args.repeats)
    roof_s = time_roofline(N, n, B, steps, max(args.repeats, 2))

    # naive: a few steps at different noise levels, on the same inputs as ours
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, *train.shape[1:]))
    probe = [1000, 500, 50][:naive_steps]
    start = time.perf_counter()
    ref = [naive_denoiser(flat, x.reshape(B, -1), i, schedule) for i in probe]
    naive_step_s = (time.perf_counter() - start) / len(probe)
    ours_probe = [denoiser(x, i).reshape(B, -1) for i in probe]
    err = max(float(np.abs(a - r).max()) for a, r in zip(ours_probe, ref, strict=True))
    naive_s = naive_step_s * steps

    # memory: short traced runs
    mem_rows = []
    for chunk in (2**18, 2**20, 2**22):
        for batch in (B, 4 * B):
            d = ExactDenoiser(train, schedule, chunk_size=chunk)
            xb = rng.standard_normal((batch, *train.shape[1:]))
            peak = peak_bytes(lambda d=d, xb=xb: [d(xb, i) for i in (900, 100, 10)])
            mem_rows.append({"chunk_size": chunk, "batch": batch, "peak_MiB": peak / 2**20})
    naive_peak = peak_bytes(lambda: naive_denoiser(flat, x.reshape(B, -1), 500, schedule))

    torch_s = None
    try:
        import torch

        xt = torch.from_numpy(x)
        denoiser(xt, 500)
        start = time.perf_counter()
        for i in range(steps, 0, -max(1, steps // 50)):
            denoiser(xt, i)
        torch_s = (time.perf_counter() - start) / len(range(steps, 0, -max(1, steps // 50)))
        torch_s *= steps
    except ImportError:  # pragma: no cover
        pass

    result = {
        "benchmark": "time_exact_denoiser_ddpm",
        "N": N,
        "n": n,
        "num_samples": B,
        "num_steps": steps,
        "threads": denoiser.threads,
        "ours_seconds": ours_s,
        "roofline_seconds": roof_s,
        "roofline_fraction": roof_s / ours_s,
        "naive_seconds_extrapolated": naive_s,
        "naive_steps_timed": len(probe),
        "speedup_vs_naive": naive_s / ours_s,
        "max_abs_error_vs_naive": err,
        "peakmem_naive_step_MiB": naive_peak / 2**20,
        "peakmem_ours": mem_rows,
        "torch_cpu_denoiser_seconds_extrapolated": torch_s,
    }
    print(f"  ours: sample(..., 'ddpm')           {ours_s:9.2f} s")
    print(f"  matmul roofline (2 GEMMs a step)    {roof_s:9.2f} s")
    print(f"  roofline fraction                   {100 * roof_s / ours_s:9.1f} %  (target >= 50 %)")
    print(
        f"  naive broadcasting                  {naive_s:9.2f} s  (timed on {len(probe)} steps, "
        f"x{steps / len(probe):.0f})"
    )
    print(f"  speed-up over naive                 {naive_s / ours_s:9.1f} x")
    print(f"  max |ours - naive| on those steps   {err:9.2e}")
    if torch_s is not None:
        print(f"  torch CPU denoiser calls alone      {torch_s:9.2f} s  (timed on 50 steps)")
    print(f"  peak memory, naive, one step        {naive_peak / 2**20:9.1f} MiB")
    for row in mem_rows:
        print(
            f"  peak memory, ours, chunk 2^{int(np.log2(row['chunk_size'])):<2d} "
            f"B = {row['batch']:<5d}   {row['peak_MiB']:9.1f} MiB"
        )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
