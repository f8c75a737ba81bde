"""Benchmark: the chunked ELS machine against a naive per-pixel loop over patches, on the digits.

Measured in one process on the same input (N = 1797 digits, 8 x 8, schedule linear:1e-4,0.02,
step 500, 5 x 5 patches, border "none", B noisy images):

- ours: ``EquivariantLocalDenoiser(digits, patch_size=5)(x, 500)`` (patch tables built
  beforehand, as in a sampler, where they are built once and reused at every step);
- the naive reference: for every image and pixel, the patches of every training image at every
  position of the pixel's border class, differences broadcast against the query patch, a
  log-sum-exp, the weighted mean of the centre pixels (the formula of Kamb & Ganguli, no
  chunks, no merging of duplicates). It is timed on ``--naive-images`` images and extrapolated
  to B (printed as such); the same images give the error of ours against it.

Peak memory with ``tracemalloc`` in separate runs: ours for several ``chunk_size`` values (the
logit blocks are bounded by it; the patch tables, built once, are reported apart) and one naive
pixel. Target: ours at least 20x faster, memory bounded by the chunk size.

With ``--checkpoint RUN`` (a digits network of ``driftscale train``) the wall time of the whole
``driftscale generalization --checkpoint RUN`` command is measured too (a subprocess).

    python benchmarks/bench_local_denoisers.py [--images B] [--checkpoint RUN] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy import special

from driftscale.data import load_digits
from driftscale.reverse.local import EquivariantLocalDenoiser
from driftscale.schedules import Schedule

STEP, PATCH = 500, 5


def naive_els(train, x, step, patch_size, schedule):
    """Per image and pixel: every patch of its border class, broadcast, log-sum-exp."""
    N, H, W = train.shape
    r = (patch_size - 1) // 2
    ab = schedule.alpha_bar[step]

    def ext(py, px):
        return (min(py, r), min(H - 1 - py, r), min(px, r), min(W - 1 - px, r))

    out = np.empty_like(x)
    for b in range(x.shape[0]):
        for py in range(H):
            for px in range(W):
                t, bo, le, ri = ext(py, px)
                qs = [
                    (qy, qx) for qy in range(H) for qx in range(W) if ext(qy, qx) == (t, bo, le, ri)
                ]
                keys = np.stack(
                    [train[:, qy - t : qy + bo + 1, qx - le : qx + ri + 1] for qy, qx in qs], 1
                ).reshape(N * len(qs), -1)
                centres = np.stack([train[:, qy, qx] for qy, qx in qs], 1).reshape(-1)
                query = x[b, py - t : py + bo + 1, px - le : px + ri + 1].reshape(-1)
                diff = query[None, :] - np.sqrt(ab) * keys
                logits = -np.einsum("kj,kj->k", diff, diff) / (2.0 * (1.0 - ab))
                w = np.exp(logits - special.logsumexp(logits))
                out[b, py, px] = w @ centres
    return out


def peak_bytes(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def time_command(checkpoint: str) -> float:
    """Wall time of ``driftscale generalization --checkpoint RUN`` with its defaults."""
    with tempfile.TemporaryDirectory() as tmp:
        code = "from driftscale.cli import main; main()"  # the installed script's entry point
        args = ["generalization", "--checkpoint", checkpoint, "--out", str(Path(tmp) / "g.png")]
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code, *args, "--json"], check=True, capture_output=True
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=64, help="noisy images B")
    parser.add_argument("--naive-images", type=int, default=2)
    parser.add_argument("--checkpoint", default=None, help="also time the whole command")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    schedule = Schedule.from_string("linear:1e-4,0.02", T=1000)
    train = load_digits().scaled("unit")
    B = args.images
    x = np.random.default_rng(0).standard_normal((B, *train.shape[1:]))
    els = EquivariantLocalDenoiser(train, schedule, patch_size=PATCH)
    start = time.perf_counter()
    els(x[:1], STEP)  # builds the patch tables once
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = els(x, STEP)
    ours_s = time.perf_counter() - start
    k = min(args.naive_images, B)
    start = time.perf_counter()
    ref = naive_els(train, x[:k], STEP, PATCH, schedule)
    naive_s = (time.perf_counter() - start) * B / k
    err = float(np.abs(ours[:k] - ref).max())
    blocks = [t.kernel.blocks for t in els._tables[(PATCH - 1) // 2]]
    tables = sum(a.nbytes for b in blocks for a in (*b.logit_cols, *b.sum_rows))
    mem = []
    for chunk in (2**16, 2**18, 2**20):
        d = EquivariantLocalDenoiser(train, schedule, patch_size=PATCH, chunk_size=chunk)
        d(x[:1], STEP)
        peak = peak_bytes(lambda d=d: d(x, STEP))
        mem.append({"chunk_size": chunk, "peak_MiB": peak / 2**20})
    naive_peak = peak_bytes(lambda: naive_els(train, x[:1, :, :], STEP, PATCH, schedule))
    command_s = time_command(args.checkpoint) if args.checkpoint else None
    result = {
        "benchmark": "time_els_digits",
        "N": int(train.shape[0]),
        "images": B,
        "patch_size": PATCH,
        "step": STEP,
        "threads": els.threads,
        "table_build_seconds": build_s,
        "ours_seconds": ours_s,
        "naive_seconds_extrapolated": naive_s,
        "naive_images_timed": k,
        "speedup_vs_naive": naive_s / ours_s,
        "max_abs_error_vs_naive": err,
        "patch_tables_MiB": tables / 2**20,
        "peakmem_ours": mem,
        "peakmem_naive_one_image_MiB": naive_peak / 2**20,
        "generalization_command_seconds": command_s,
    }
    print(f"ELS on digits: N = {train.shape[0]}, B = {B}, {PATCH}x{PATCH} patches, step {STEP}")
    print(f"  patch tables (once per size)     {build_s:8.2f} s, {tables / 2**20:.1f} MiB")
    print(f"  ours, one call                   {ours_s:8.2f} s")
    print(f"  naive per-pixel loop             {naive_s:8.2f} s  (timed on {k}, x{B / k:.0f})")
    print(f"  speed-up                         {naive_s / ours_s:8.1f} x  (target >= 20 x)")
    print(f"  max |ours - naive|               {err:8.1e}")
    for row in mem:
        power = int(np.log2(row["chunk_size"]))
        print(f"  peak memory, chunk 2^{power:<2d}          {row['peak_MiB']:8.1f} MiB")
    print(f"  peak memory, naive, one image    {naive_peak / 2**20:8.1f} MiB")
    if command_s is not None:
        print(f"  driftscale generalization        {command_s:8.1f} s  (whole command)")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
