"""Benchmark: the steady state of osmosis by one solve against the paper's implicit time stepping.

Input: the embedded shadow example (scikit-image's Chelsea under a known smooth shadow) resized to
about 1 megapixel, colour (816 x 1226 x 3), on [1, 256]; the drift is that of shadow removal (the
image's canonical drift set to zero on the shadow's boundary band), so the steady state is not
known in closed form. All in one process, on the same input:

- ours: ``solve_steady_state(method="direct")`` (pinned-pixel sparse LU) and ``method="amg"``
  (pyamg Ruge-Stuben AMG + GMRES, rtol 1e-10), all three channels;
- the reference, the paper's method: implicit Euler ``(I - tau A) u^{k+1} = u^k`` solved by
  BiCGSTAB (rtol 1e-10), i.e. ``Osmosis(drift=...).trajectory(u, [tau], method="implicit",
  tau=tau)`` called step by step, for tau = 1, 10, 100, 1000, from the shadowed image, until its
  relative 2-norm distance to the direct steady state is below the target (1e-8, what AMG
  reaches; also the "visual" 1e-3), or a time budget per tau is spent.

The reference runs on channel 0 only and its time is multiplied by 3 (the channels are
independent and alike). Where the budget ends first, the remaining steps are extrapolated from
the error decay: ``observed`` fits the last half of the measured steps (optimistic: fast modes
still decay there), ``spectral`` uses the slowest mode, rate ``1 / (1 + tau |lambda_2|)`` with
``lambda_2`` the non-zero eigenvalue of ``A`` nearest 0 (shift-and-invert ARPACK). The printed
ratio uses the optimistic (smaller) step count, so it is a lower bound; both are printed.

Then the cost growth: direct and AMG at 0.25, 1 and 4 megapixels (colour), each in a fresh
subprocess: wall seconds per megapixel and the peak resident memory added by the solve (ru_maxrss
minus the resident size before it; it includes SuperLU's and pyamg's C allocations). Channels are
solved one after another, so the peak is that of one channel. ``--measured``: at 0.02 megapixel
the reference does reach the target; its measured time against the direct solve, and the step
counts extrapolated from its first 3 steps against the measured ones. ``--bordered``: the bordered
system [[A, 1], [1^T, 0]] against the pinned system with SuperLU on a 300 x 300 grey grid (fill
and time), the claim in ``osmosis/steady.py``.

    python benchmarks/bench_osmosis_steady.py [--quick] [--json] [--budget SECONDS]
        [--sizes 0.25,1,4] [--no-implicit] [--no-scaling] [--measured] [--bordered]

``--quick``: 0.1 megapixel, 5 s budget, sizes 0.05,0.1 (a smoke test). Timings on a shared
machine are noisy: run it on an idle one.
"""

from __future__ import annotations

import os

# One BLAS thread for every solver here, ours and the reference: on a shared 2-core machine
# OpenBLAS threads contend and BiCGSTAB's vector operations ran ~20x slower (measured: 19
# iterations on 0.1 megapixel, 1.36 s threaded against 0.07 s single-threaded).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import json
import math
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from driftscale.experiments.editing_examples import shadow_example
from driftscale.osmosis import DriftField, Osmosis, canonical_drift, osmosis_operator
from driftscale.osmosis.editing import face_masks, remove_shadow
from driftscale.osmosis.steady import solve_steady_state

TAUS = (1.0, 10.0, 100.0, 1000.0)
TARGET, VISUAL = 1e-8, 1e-3
ASPECT = 451 / 300  # Chelsea's


def shape_for(megapixels: float) -> tuple[int, int]:
    H = round(math.sqrt(megapixels * 1e6 / ASPECT))
    return H, round(H * ASPECT)


def problem(megapixels: float):
    """The shifted shadowed image u and the drift remove_shadow builds (value_offset 1)."""
    ex = shadow_example(shape_for(megapixels))
    u = ex.image + 1.0
    field = canonical_drift(u)
    m1, m2 = face_masks(ex.boundary_mask)  # zero drift on the faces touching the band
    drift = DriftField(
        d1=np.where(m1[..., None], 0.0, field.d1), d2=np.where(m2[..., None], 0.0, field.d2)
    )
    return u, drift


def check_problem() -> None:
    """The drift built here is remove_shadow's (checked on a small size)."""
    ex = shadow_example(shape_for(0.01))
    _, drift = problem(0.01)
    mine = remove_shadow(ex.image, ex.boundary_mask).drift
    assert np.array_equal(mine.d1, drift.d1) and np.array_equal(mine.d2, drift.d2)


def memory_mib(key: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since the last reset) of this process, in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Reset the peak resident size (Linux: writing 5 to clear_refs resets VmHWM)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def child(megapixels: float, method: str) -> None:
    """One size and method in a fresh process: seconds and the peak memory of the solve."""
    u, drift = problem(megapixels)
    reset_peak()  # the peak of building the input does not count
    before = memory_mib("VmRSS")
    start = time.perf_counter()
    res = solve_steady_state(drift, u, method=method, guess=u if method == "amg" else None)
    seconds = time.perf_counter() - start
    peak = memory_mib("VmHWM")
    print(
        json.dumps(
            {
                "megapixels": u.shape[0] * u.shape[1] / 1e6,
                "shape": list(u.shape),
                "method": method,
                "seconds": seconds,
                "seconds_per_megapixel": seconds / (u.shape[0] * u.shape[1] / 1e6),
                "peak_extra_mib": peak - before,
                "residual": res.residual,
                "iterations": res.iterations,
            }
        )
    )


def slowest_rate(A: sp.csr_matrix) -> float:
    """|lambda_2|: the non-zero eigenvalue of A nearest 0 (A has the simple eigenvalue 0)."""
    vals = spla.eigs(A.tocsc(), k=3, sigma=-1e-9, which="LM", return_eigenvectors=False)
    vals = np.sort(np.abs(vals))
    return float(vals[vals > 1e-9 * max(1.0, vals.max())][0])


def implicit_run(drift, u0, w, tau: float, budget: float) -> dict:
    """The paper's implicit Euler + BiCGSTAB, step by step, until TARGET or the budget."""
    process = Osmosis(drift=drift)
    u, errors, start = u0, [], time.perf_counter()
    norm_w = np.linalg.norm(w)
    visual_steps = None
    while time.perf_counter() - start < budget:
        u = process.trajectory(u, [tau], method="implicit", tau=tau, rtol=1e-10)[-1]
        errors.append(float(np.linalg.norm(u - w) / norm_w))
        if visual_steps is None and errors[-1] <= VISUAL:
            visual_steps = len(errors)
        if errors[-1] <= TARGET:
            break
    seconds = time.perf_counter() - start
    return {
        "tau": tau,
        "steps": len(errors),
        "seconds": seconds,
        "seconds_per_step": seconds / len(errors),
        "final_error": errors[-1],
        "errors": errors,
        "visual_steps": visual_steps,
    }


def steps_needed(run: dict, lam2: float, eps: float) -> dict:
    """Measured steps to reach eps, or the measured ones plus an extrapolation of the rest."""
    errs = np.asarray(run["errors"])
    hit = np.flatnonzero(errs <= eps)
    if hit.size:
        return {"observed": float(hit[0] + 1), "spectral": float(hit[0] + 1), "measured": True}
    spectral_rate = 1.0 / (1.0 + run["tau"] * lam2)  # slowest mode's factor per step
    tail = errs[len(errs) // 2 :]
    if tail.size >= 2 and tail[-1] < tail[0]:
        observed_rate = float(np.exp(np.polyfit(np.arange(tail.size), np.log(tail), 1)[0]))
    else:
        observed_rate = spectral_rate
    more = [math.log(eps / errs[-1]) / math.log(r) for r in (observed_rate, spectral_rate)]
    return {"observed": len(errs) + more[0], "spectral": len(errs) + more[1], "measured": False}


def compare_with_implicit(megapixels: float, budget: float) -> dict:
    u, drift = problem(megapixels)
    print(f"input: shadow example {u.shape}, drift of shadow removal; target error {TARGET:g}")
    timing = {}
    for method in ("direct", "amg"):
        start = time.perf_counter()
        res = solve_steady_state(drift, u, method=method, guess=u if method == "amg" else None)
        timing[method] = (time.perf_counter() - start, res)
        print(
            f"  {method:>6}: {timing[method][0]:7.2f} s for 3 channels, residual "
            f"{res.residual:.1e}, mass error {res.mass_error:.1e}, iterations {res.iterations}"
        )
    w_direct, w_amg = timing["direct"][1].image, timing["amg"][1].image
    amg_error = float(np.linalg.norm(w_amg - w_direct) / np.linalg.norm(w_direct))
    print(f"  amg vs direct: relative 2-norm difference {amg_error:.1e}")
    d0 = (drift.d1[..., 0], drift.d2[..., 0])
    lam2 = slowest_rate(osmosis_operator(*d0))
    print(f"  |lambda_2| of A (channel 0) = {lam2:.3e}: slowest time scale {1 / lam2:.3g}")
    rows = []
    for tau in TAUS:
        run = implicit_run(d0, u[..., 0], w_direct[..., 0], tau, budget)
        need = steps_needed(run, lam2, TARGET)
        need_visual = steps_needed(run, lam2, VISUAL)
        colour = 3.0 * run["seconds_per_step"]  # three channels, each like channel 0
        row = {
            k: v for k, v in run.items() if k != "errors"
        } | {
            "steps_to_target": need,
            "steps_to_visual": need_visual,
            "seconds_to_target_colour": colour * need["observed"],
            "seconds_to_target_colour_spectral": colour * need["spectral"],
            "seconds_to_visual_colour": colour * need_visual["observed"],
        }  # fmt: skip
        rows.append(row)
        how = "measured" if need["measured"] else "extrapolated"
        print(
            f"  implicit tau {tau:>6g}: {run['steps']} steps in {run['seconds']:.0f} s "
            f"({run['seconds_per_step']:.2f} s/step), error {run['final_error']:.1e}; to "
            f"{TARGET:g} ({how}): {need['observed']:.3g} steps (spectral {need['spectral']:.3g})"
            f" = {row['seconds_to_target_colour']:.3g} s colour; to {VISUAL:g}: "
            f"{need_visual['observed']:.3g} steps = {row['seconds_to_visual_colour']:.3g} s"
        )
    best = min(rows, key=lambda r: r["seconds_to_target_colour"])
    best_visual = min(rows, key=lambda r: r["seconds_to_visual_colour"])
    out = {
        "shape": list(u.shape),
        "direct_seconds": timing["direct"][0],
        "amg_seconds": timing["amg"][0],
        "direct_residual": timing["direct"][1].residual,
        "amg_residual": timing["amg"][1].residual,
        "amg_vs_direct": amg_error,
        "lambda2": lam2,
        "implicit": rows,
        "best_tau": best["tau"],
        "ratio_direct": best["seconds_to_target_colour"] / timing["direct"][0],
        "ratio_amg": best["seconds_to_target_colour"] / timing["amg"][0],
        "ratio_direct_visual": best_visual["seconds_to_visual_colour"] / timing["direct"][0],
    }
    print(
        f"  best reference (tau {best['tau']:g}): {best['seconds_to_target_colour']:.3g} s to "
        f"{TARGET:g} -> direct is {out['ratio_direct']:.3g}x faster, AMG "
        f"{out['ratio_amg']:.3g}x (target: >= 100x); even to the visual {VISUAL:g} (tau "
        f"{best_visual['tau']:g}) direct is {out['ratio_direct_visual']:.3g}x faster"
    )
    return out


def measured_small(megapixels: float, cap: float) -> dict:
    """A size where the reference reaches the target: measured ratio, and the extrapolation
    from its first 3 steps against the measured step count."""
    u, drift = problem(megapixels)
    start = time.perf_counter()
    w = solve_steady_state(drift, u, method="direct").image
    direct = time.perf_counter() - start
    d0 = (drift.d1[..., 0], drift.d2[..., 0])
    lam2 = slowest_rate(osmosis_operator(*d0))
    print(f"measured to {TARGET:g} at {u.shape} (direct {direct:.2f} s for 3 channels):")
    rows = []
    for tau in (100.0, 1000.0):
        run = implicit_run(d0, u[..., 0], w[..., 0], tau, cap)
        early = steps_needed({**run, "errors": run["errors"][:3]}, lam2, TARGET)
        colour = 3.0 * run["seconds"]
        row = {
            "tau": tau,
            "steps": run["steps"],
            "reached": run["final_error"] <= TARGET,
            "seconds_colour": colour,
            "ratio_direct": colour / direct,
            "predicted_from_3_steps": early,
        }
        rows.append(row)
        print(
            f"  tau {tau:>6g}: {run['steps']} steps, error {run['final_error']:.1e}, "
            f"{colour:.1f} s colour = {row['ratio_direct']:.0f}x the direct solve; predicted from "
            f"the first 3 steps: {early['observed']:.0f} (observed decay) / "
            f"{early['spectral']:.0f} (slowest mode)"
        )
    return {"shape": list(u.shape), "direct_seconds": direct, "lambda2": lam2, "rows": rows}


def scaling(sizes: list[float]) -> list[dict]:
    rows = []
    print("cost growth (colour, fresh process per run):")
    for mp in sizes:
        for method in ("direct", "amg"):
            cmd = [sys.executable, __file__, "--child", str(mp), method]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"  {mp:g} MP {method}: failed ({done.stderr.strip().splitlines()[-1]})")
                rows.append({"megapixels": mp, "method": method, "failed": done.stderr[-500:]})
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(
                f"  {row['megapixels']:5.2f} MP {method:>6}: {row['seconds']:7.2f} s "
                f"({row['seconds_per_megapixel']:6.2f} s/MP), peak +{row['peak_extra_mib']:6.0f} "
                f"MiB, residual {row['residual']:.1e}, iterations {row['iterations']}"
            )
    return rows


def bordered(n: int = 300) -> dict:
    """The bordered system against the pinned one, SuperLU, same ordering."""
    from driftscale.data import load_image
    from driftscale.osmosis import canonical_drift

    img = load_image("cat", grey=True, shape=(n, n)) + 1.0
    A = osmosis_operator(*canonical_drift(img)).tocsc()
    N = A.shape[0]
    one = sp.csc_matrix(np.ones((N, 1)))
    B = sp.bmat([[A, one], [one.T, None]], format="csc")
    out = {}
    for name, M in (("bordered", B), ("pinned", A[1:, 1:].tocsc())):
        for spec in ("COLAMD", "MMD_AT_PLUS_A"):
            start = time.perf_counter()
            lu = spla.splu(M, permc_spec=spec)
            out[f"{name}_{spec}"] = {
                "seconds": time.perf_counter() - start,
                "lu_nnz": int(lu.L.nnz + lu.U.nnz),
            }
    print(f"bordered vs pinned system, SuperLU, {n} x {n} grey:")
    for key, val in out.items():
        print(f"  {key:>24}: {val['seconds']:6.2f} s, nnz(L + U) {val['lu_nnz'] / 1e6:6.1f} M")
    return out


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        child(float(argv[1]), argv[2])
        return
    quick = "--quick" in argv
    budget = float(argv[argv.index("--budget") + 1]) if "--budget" in argv else 90.0
    sizes = [0.25, 1.0, 4.0]
    if "--sizes" in argv:
        sizes = [float(s) for s in argv[argv.index("--sizes") + 1].split(",")]
    if quick:
        budget, sizes = 5.0, [0.05, 0.1]
    check_problem()
    result: dict = {"benchmark": "time_osmosis_steady_state"}
    if "--no-implicit" not in argv:
        result["implicit_vs_steady"] = compare_with_implicit(0.1 if quick else 1.0, budget)
    if "--no-scaling" not in argv:
        result["scaling"] = scaling(sizes)
    if "--measured" in argv:
        result["measured_small"] = measured_small(0.01 if quick else 0.02, 60 if quick else 600)
    if "--bordered" in argv:
        result["bordered"] = bordered(100 if quick else 300)
    if "--json" in argv:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
