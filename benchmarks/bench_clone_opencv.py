"""Benchmark: osmosis cloning against OpenCV's Poisson cloning (cv2.seamlessClone, Perez 2003).

Input: the embedded cloning task (experiments/editing_examples.py, full size 300 x 451 colour): the
cat's head from Chelsea cloned into a brightness- and colour-shifted copy of Chelsea
(target = gain * photo + shift per channel, gain (0.7, 0.8, 0.9), shift (30, 10, 20)) at the
head's own place, so the ideal result is the target itself. Both methods get the same 8-bit
source, target and mask; both results are rounded to 8 bits; PSNR (peak 255) against the
target, over the whole image and over the pasted region, the seam error (mean |jump - ideal
jump| across the region's boundary, grey levels) and the wall time, side by side, one process:

- reference: ``cv2.seamlessClone(src, dst, mask, center, cv2.NORMAL_CLONE)`` (and
  ``MIXED_CLONE``), one thread (``cv2.setNumThreads(1)``); ``center`` puts the mask's bounding
  box where the offset puts it, checked first by cloning the target into itself (max error 1);
- ours: ``driftscale.osmosis.clone`` global and local, sparse direct solver, one BLAS thread;
- copy-paste, the baseline.

Needs the benchmark-only extra ``bench-cv`` (opencv-python-headless); never a dependency of the
library or the tests.

    python benchmarks/bench_clone_opencv.py [--json] [--repeat N]
"""

from __future__ import annotations

import os

# one thread everywhere, as OpenCV below (and the other benchmarks on this shared machine)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
import sys
import time

import numpy as np

from driftscale.experiments.editing_examples import clone_example
from driftscale.experiments.editing_run import psnr, seam_measures
from driftscale.osmosis.editing import clone, paste


def best_of(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, min(times)


def opencv_center(mask: np.ndarray, offset: tuple[int, int]) -> tuple[int, int]:
    """``center`` (x, y) for seamlessClone: the mask's bounding box lands at ``offset``."""
    ys, xs = np.nonzero(mask)
    dy, dx = offset
    return (
        int(xs.min() + dx + (xs.max() - xs.min()) // 2),
        int(ys.min() + dy + (ys.max() - ys.min()) // 2),
    )


def main() -> None:
    import cv2

    cv2.setNumThreads(1)
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    ex = clone_example()
    src = np.rint(ex.source).astype(np.uint8)
    dst = np.rint(ex.target).astype(np.uint8)
    ideal = dst.astype(np.float64)  # the target is the ideal result
    mask = ex.mask
    center = opencv_center(mask, ex.offset)
    dy, dx = ex.offset
    own = dst[dy : dy + src.shape[0], dx : dx + src.shape[1]].copy()
    check = cv2.seamlessClone(own, dst, np.where(mask, 255, 0).astype(np.uint8), center, 1)
    align = float(np.abs(check.astype(np.float64) - ideal).max())
    assert align <= 1.0, f"seamlessClone placement is off (max error {align})"
    composite, _, region = paste(src, dst, mask, offset=ex.offset)

    def judge(image: np.ndarray) -> dict:
        img = np.clip(np.rint(image), 0, 255)
        return {
            "psnr": psnr(img, ideal),
            "psnr_region": psnr(img, ideal, region),
            "seam_error": seam_measures(img, region, ideal)["seam_error"],
        }

    rows = {"copy-paste": judge(composite) | {"seconds": 0.0}}
    mask8 = np.where(mask, 255, 0).astype(np.uint8)
    for name, flag in (("opencv NORMAL_CLONE", cv2.NORMAL_CLONE), ("opencv MIXED_CLONE", 2)):
        out, sec = best_of(lambda f=flag: cv2.seamlessClone(src, dst, mask8, center, f), repeat)
        rows[name] = judge(out) | {"seconds": sec}
    for mode in ("global", "local"):
        res, sec = best_of(
            lambda m=mode: clone(src, dst, mask, offset=ex.offset, mode=m, method="direct"),
            repeat,
        )
        rows[f"osmosis {mode}"] = judge(res.image) | {"seconds": sec}
    ref = rows["opencv NORMAL_CLONE"]
    print(
        f"cloning task: {src.shape} patch ({int(mask.sum())} pixels) into {dst.shape}; "
        f"ideal = target; placement check max error {align:g}; best of {repeat}"
    )
    head = ("method", "PSNR", "region", "seam err", "seconds", "time ratio")
    print("{:>20} {:>7} {:>7} {:>9} {:>8} {:>10}".format(*head))
    for name, row in rows.items():
        ratio = row["seconds"] / ref["seconds"] if row["seconds"] else None
        row["time_vs_opencv"] = ratio
        print(
            f"{name:>20} {row['psnr']:7.2f} {row['psnr_region']:7.2f} {row['seam_error']:9.2f} "
            f"{row['seconds']:8.3f} " + ("         -" if ratio is None else f"{ratio:9.1f}x")
        )
    if "--json" in sys.argv:
        print(
            json.dumps({"benchmark": "time_clone_vs_opencv", "cv2": cv2.__version__, "rows": rows})
        )


if __name__ == "__main__":
    main()
