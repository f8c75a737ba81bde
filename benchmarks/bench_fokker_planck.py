"""Benchmark: the 1-D Fokker-Planck solver against fplanck and py-pde on the same OU problem.

Problem: the Ornstein-Uhlenbeck equation dp/dt = d/dx(x p / 2) + 1/2 d2p/dx2 (the VP-SDE in
operational time B, Eq. 24) from the two-component mixture 1/2 N(-2, 0.3^2) + 1/2 N(2, 0.3^2), on
[-10, 10] with the same cells for every solver and the same initial vector (exact cell averages).
Error: discrete L1 distance h sum |p - q| to the closed-form marginal's cell averages, Eq. (5)
with alpha_bar = exp(-t). References, measured in the same run:

- fplanck 0.2.2 (detailed-balance master equation with exp(+-P/2) rates, time by
  scipy's expm_multiply). fplanck calls ``np.product``, removed in NumPy 2; the benchmark aliases
  it to ``np.prod`` before importing fplanck (nothing else is changed).
- py-pde 0.59 (finite differences, numba), Neumann boundaries, with its adaptive ``scipy`` solver
  (RK45) and with its explicit Euler at dt = 0.4 h^2 (80% of the stability limit h^2 / (2D)),
  0.1 h^2 and 0.025 h^2. At dt = 0.4 h^2, D dt / h^2 = 0.2 is close to 1/6, where forward Euler's
  time error cancels the leading O(h^2) space error of the 3-point Laplacian; the smaller-dt runs
  (same spatial operator, smaller time error) show how much of its accuracy is that cancellation.
  py-pde's Euler wall time is about 1 s whatever dt (per-call overhead of ``PDE.solve``, not the
  steps), so its time ratios say little about the cost of a step.

Ours: flux ``cell-average`` (weights = exact cell averages of N(0, 1), arithmetic face mean) and
``scharfetter-gummel``, both exact in time; ratios are printed against ``cell-average``.

Times are the best of ``--repeats`` warm runs (numba compilation excluded, and reported
separately as py-pde's first call); the machine is shared, so timings are noisy.

    python benchmarks/bench_fokker_planck.py [--cells 400] [--times 0.2,1.0] [--json]

Install the references with ``pip install fplanck py-pde`` (the ``bench-fp`` extra); they are
never imported by driftscale itself.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from driftscale.pde import FokkerPlanck1D, Grid1D, Mixture1D

DATA = Mixture1D(means=(-2.0, 2.0), stds=(0.3,))
HALF_WIDTH = 10.0
OURS = "driftscale exact (cell-average)"


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def peak_memory(fn: Callable[[], Any]) -> float:
    """Peak Python-heap allocation in MiB during one call (tracemalloc; numba/LAPACK workspaces
    outside the Python allocator are not seen)."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def solvers(grid: Grid1D, p0: np.ndarray, t: float) -> dict[str, Callable[[], np.ndarray]]:
    out: dict[str, Callable[[], np.ndarray]] = {}

    def ours(method: str, flux: str, step: float = 0.01) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            fp = FokkerPlanck1D(grid, drift=lambda x: -0.5 * x, flux=flux)
            return fp.solve(p0, [t], method=method, step_size=step).density[0]

        return run

    out[OURS] = ours("exact", "cell-average")
    out["driftscale exact (SG)"] = ours("exact", "scharfetter-gummel")
    out["driftscale tr-bdf2 dt=0.01 (SG)"] = ours("tr-bdf2", "scharfetter-gummel")
    out["driftscale exact (central)"] = ours("exact", "central")
    try:
        setattr(np, "product", np.prod)  # noqa: B010  (fplanck 0.2.2 calls np.product)
        import fplanck
        from scipy import constants

        def run_fplanck() -> np.ndarray:
            # D = k T / drag = 1/2, force / drag = -x/2
            sim = fplanck.fokker_planck(
                temperature=0.5 / constants.k,
                drag=1.0,
                extent=2 * HALF_WIDTH,
                resolution=grid.h,
                boundary=fplanck.boundary.reflecting,
                force=lambda x: -0.5 * x,
            )
            prob = sim.propagate(lambda x: p0 * grid.h, t, normalize=False)
            return prob / grid.h  # probabilities per cell -> density

        out["fplanck (expm_multiply)"] = run_fplanck
    except ImportError:
        print("fplanck not installed: pip install fplanck")
    try:
        import pde

        pgrid = pde.CartesianGrid([[-HALF_WIDTH, HALF_WIDTH]], grid.num_cells)
        eq = pde.PDE({"p": "0.5 * laplace(p) + 0.5 * d_dx(x * p)"}, bc={"derivative": 0})
        field = pde.ScalarField(pgrid, p0)

        def pypde(solver: str, dt_over_h2: float = 0.4) -> Callable[[], np.ndarray]:
            kw = {"dt": dt_over_h2 * grid.h**2} if solver == "euler" else {}

            def run() -> np.ndarray:
                return eq.solve(field, t_range=t, solver=solver, tracker=None, **kw).data

            return run

        out["py-pde scipy (RK45)"] = pypde("scipy")
        out["py-pde euler dt=0.4h^2"] = pypde("euler")
        out["py-pde euler dt=0.1h^2"] = pypde("euler", 0.1)
        out["py-pde euler dt=0.025h^2"] = pypde("euler", 0.025)
    except ImportError:
        print("py-pde not installed: pip install py-pde")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=400)
    parser.add_argument("--times", default="0.2,1.0", help="OU times t (alpha_bar = e^-t)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    grid = Grid1D(-HALF_WIDTH, HALF_WIDTH, args.cells)
    p0 = DATA.cell_averages(grid)
    results = []
    for t in (float(v) for v in args.times.split(",")):
        exact = DATA.diffused(float(np.exp(-t))).cell_averages(grid)
        print(
            f"OU from 1/2 N(-2,.09) + 1/2 N(2,.09), t = {t} (alpha_bar {np.exp(-t):.4f}), "
            f"{args.cells} cells on [-{HALF_WIDTH}, {HALF_WIDTH}], h = {grid.h:.4g}"
        )
        print(f"  {'solver':34s} {'seconds':>9s} {'MiB':>7s} {'L1 error':>10s} {'mass-1':>9s}")
        rows = {}
        for name, fn in solvers(grid, p0, t).items():
            first = time.perf_counter()
            fn()  # warm-up (numba compilation for py-pde)
            first = time.perf_counter() - first
            seconds, p = best_time(fn, args.repeats)
            mem = peak_memory(fn)
            err = float(grid.l1(p, exact))
            row = {
                "seconds": seconds,
                "first_call_seconds": first,
                "peak_mib": mem,
                "l1": err,
                "mass_minus_one": float(grid.mass(p) - 1.0),
                "min": float(np.min(p)),
            }
            rows[name] = row
            print(
                f"  {name:34s} {seconds:9.4f} {mem:7.2f} {err:10.3e} {row['mass_minus_one']:+9.1e}"
            )
        ours = rows[OURS]
        for name, row in rows.items():
            if name != OURS:
                print(
                    f"  ratio {name:34s} time {row['seconds'] / ours['seconds']:7.2f} x ours, "
                    f"error {row['l1'] / ours['l1']:6.2f} x ours"
                )
        results.append({"t": t, "cells": args.cells, "h": grid.h, "solvers": rows})
    if args.json:
        print(json.dumps({"benchmark": "time_fokker_planck_ou_mixture", "results": results}))


if __name__ == "__main__":
    main()
