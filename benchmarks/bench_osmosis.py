"""Benchmark: exact-in-time osmosis against the paper's implicit BiCGSTAB and expm_multiply.

(The issue calls this benchmark ``benchmarks/osmosis_evolution.py``.) Input: the grey cat
(300 x 451) on the osmosis scale [1, 256], canonical drift of positive Gaussian noise
v = 6 + N(0, 1) (seed 0), times {10, 100, 1000}, all in one process on the same input:

- reference 1, the paper's method: implicit Euler, tau = 1, SciPy BiCGSTAB (rtol 1e-10);
- reference 2, what a SciPy user would pick: ``scipy.sparse.linalg.expm_multiply(t A, f)``, one
  call per time (its tolerance is the unit round-off, so it is also the accuracy reference);
- driftscale ``method="exact"`` (shift-and-invert Lanczos, rtol 1e-10), one call per time and
  one call for all times.

Prints per-time wall seconds, ratios and max pixel-wise relative errors against expm_multiply;
then t = 1e5 with ``exact`` and the paper's cost there, extrapolated from its measured per-step
cost. Memory: peak NumPy allocations (tracemalloc) and the size of the sparse LU factor.
Timings on a shared machine are noisy: run it on an idle machine.

    python benchmarks/bench_osmosis.py [--json] [--quick]

``--quick`` uses a 100 x 150 crop (for a smoke test).
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from driftscale.data import ValueScale, load_image
from driftscale.osmosis import Osmosis, ShiftInvertExpm, noise_guidance

TIMES = [10.0, 100.0, 1000.0]


def timed(fn):
    tracemalloc.start()
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return value, seconds, peak / 2**20


def max_rel(u, ref):
    return float(np.max(np.abs(u.ravel() - ref.ravel()) / np.abs(ref.ravel())))


def implicit_paper(A, f, times, tau=1.0, rtol=1e-10):
    """The paper's scheme written out: (I - tau A) u^{k+1} = u^k by BiCGSTAB, warm start."""
    M = (sp.identity(A.shape[0], format="csr") - tau * A).tocsr()
    u, now, out, stamps, start = f.ravel().copy(), 0.0, [], [], time.perf_counter()
    for t in times:
        while now < t - 1e-9:
            u, info = spla.bicgstab(M, u, x0=u, rtol=rtol, atol=0.0)
            assert info == 0, info
            now += tau
        out.append(u.copy())
        stamps.append(time.perf_counter() - start)
    return out, stamps


def main() -> None:
    quick = "--quick" in sys.argv
    raw = load_image("cat", grey=True)
    if quick:
        raw = raw[100:200, 150:300]
    f = ValueScale.fit(raw, kind="positive").apply(raw)
    v = noise_guidance(f.shape, offset=6.0, rng=0)
    process = Osmosis(guidance=v)
    A = process.operator()
    print(f"grey cat {f.shape}, canonical drift of v = 6 + N(0, 1), times {TIMES}")

    # expm_multiply, one call per time (also the accuracy reference)
    ref, em_s, em_mem = [], [], 0.0
    for t in TIMES:
        u, s, mem = timed(lambda t=t: spla.expm_multiply(t * A, f.ravel()))
        ref.append(u)
        em_s.append(s)
        em_mem = max(em_mem, mem)

    # the paper's implicit BiCGSTAB, tau = 1: cumulative wall time to reach each time
    (imp, imp_stamps), imp_total, imp_mem = timed(lambda: implicit_paper(A, f, TIMES))
    per_step = imp_total / TIMES[-1]

    # driftscale exact, one call per time and one call for all times
    ex, ex_s, ex_mem = [], [], 0.0
    for t in TIMES:
        u, s, mem = timed(lambda t=t: process.trajectory(f, [t])[0])
        ex.append(u)
        ex_s.append(s)
        ex_mem = max(ex_mem, mem)
    together, together_s, _ = timed(lambda: process.trajectory(f, TIMES))

    rows = []
    print(
        f"{'t':>6} {'implicit s':>11} {'expm_mult s':>12} {'exact s':>8} "
        f"{'vs paper':>9} {'vs expm_m':>10} {'err implicit':>13} {'err exact':>10}"
    )
    for k, t in enumerate(TIMES):
        row = {
            "time": t,
            "implicit_seconds": imp_stamps[k],
            "expm_multiply_seconds": em_s[k],
            "exact_seconds": ex_s[k],
            "ratio_vs_paper": imp_stamps[k] / ex_s[k],
            "ratio_vs_expm_multiply": em_s[k] / ex_s[k],
            "max_rel_error_implicit": max_rel(imp[k], ref[k]),
            "max_rel_error_exact": max_rel(ex[k], ref[k]),
            "max_rel_error_exact_all_times": max_rel(together[k], ref[k]),
        }
        rows.append(row)
        print(
            f"{t:>6g} {row['implicit_seconds']:>11.2f} {row['expm_multiply_seconds']:>12.2f} "
            f"{row['exact_seconds']:>8.2f} {row['ratio_vs_paper']:>8.1f}x "
            f"{row['ratio_vs_expm_multiply']:>9.1f}x {row['max_rel_error_implicit']:>13.2e} "
            f"{row['max_rel_error_exact']:>10.2e}"
        )
    print(
        f"  exact, all three times in one call: {together_s:.2f} s "
        f"(max rel error {max(r['max_rel_error_exact_all_times'] for r in rows):.2e})"
    )
    print(
        f"  implicit per step: {per_step * 1e3:.1f} ms; peak NumPy memory MiB: implicit "
        f"{imp_mem:.0f}, expm_multiply {em_mem:.0f}, exact {ex_mem:.0f}"
    )

    # t = 1e5: exact, a tighter second run with another shift as its accuracy check
    big = 1e5
    u_big, big_s, _ = timed(lambda: process.trajectory(f, [big])[0])
    S = process._operator(0, "S")
    root = np.sqrt(v.ravel())
    tight = ShiftInvertExpm(S, gamma=big / 30, null_vector=root / np.linalg.norm(root))
    lu_mib = (tight._lu.L.nnz + tight._lu.U.nnz) * 12 / 2**20
    check = root * tight.apply(f.ravel() / root, np.array([big]), rtol=1e-13).values[0]
    w = process.steady_state(f)
    big_row = {
        "time": big,
        "exact_seconds": big_s,
        "paper_extrapolated_seconds": per_step * big,
        "ratio_vs_paper_extrapolated": per_step * big / big_s,
        "max_rel_diff_to_tighter_run": max_rel(u_big, check),
        "relative_mass_error": float(abs(u_big.sum() - f.sum()) / f.sum()),
        "min": float(u_big.min()),
        "distance_to_steady_state": float(np.linalg.norm(u_big - w) / np.linalg.norm(w)),
        "lu_factor_mib": lu_mib,
    }
    print(
        f"t = 1e5: exact {big_s:.2f} s; the paper's method would need 1e5 solves = "
        f"{per_step * big:.0f} s (extrapolated), "
        f"ratio {big_row['ratio_vs_paper_extrapolated']:.0f}x;"
        f" max rel diff to a tighter run {big_row['max_rel_diff_to_tighter_run']:.1e}, "
        f"mass error {big_row['relative_mass_error']:.1e}, min {big_row['min']:.2f}, "
        f"|u - w|/|w| {big_row['distance_to_steady_state']:.2e}; LU factor {lu_mib:.0f} MiB"
    )
    result = {
        "benchmark": "time_osmosis_evolution",
        "image_shape": list(f.shape),
        "rows": rows,
        "exact_all_times_seconds": together_s,
        "implicit_seconds_per_step": per_step,
        "large_time": big_row,
    }
    if "--json" in sys.argv:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
