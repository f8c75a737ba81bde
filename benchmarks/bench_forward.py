"""Benchmark: forward trajectories by exact semigroup jumps against stepping Eq. (4).

Reference: stepping Eq. (4) one step at a time (the paper's update scheme), measured in the same
run on the same input. Prints wall seconds and the ratio, plus a --json line.

    python benchmarks/bench_forward.py [--json]
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from driftscale import ProbabilisticDiffusion, load_image, scale


def time_trajectory(process, f, steps, method, repeats=3):
    best = np.inf
    for r in range(repeats):
        start = time.perf_counter()
        process.trajectory(f, steps, rng=r, method=method)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    f = scale(load_image("cat"), kind="unit")
    process = ProbabilisticDiffusion("constant:0.02")
    steps = [0, 10, 50, 100, 250, 500, 1000]
    step_s = time_trajectory(process, f, steps, "step", repeats=1)
    jump_s = time_trajectory(process, f, steps, "jump")
    result = {
        "benchmark": "time_forward_trajectory",
        "image_shape": list(f.shape),
        "steps": steps,
        "step_seconds": step_s,
        "jump_seconds": jump_s,
        "speedup_jump_vs_step": step_s / jump_s,
    }
    print(f"cat {f.shape}, steps {steps}")
    print(f"  reference: stepping Eq. (4), {steps[-1]} steps   {step_s:8.3f} s")
    print(f"  driftscale: {len(steps) - 1} exact jumps          {jump_s:8.3f} s")
    print(f"  ratio (step / jump)                   {step_s / jump_s:8.1f} x")
    if "--json" in sys.argv:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
