"""Benchmark: start-up time of ``driftscale --help`` against ``python -c pass``, in one run.

Reference: the bare interpreter start (``python -c pass``) measured in the same run, so the
printed overhead is what driftscale adds. Target (issue on the layered architecture): the median
of ``driftscale --help`` at most 0.35 s above the median of the baseline. Also prints the median of
``python -c "import driftscale"`` and the modules that import loads from a watch list.

Run: ``python benchmarks/bench_startup.py [--repeats 5] [--json]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.35
WATCH = ("torch", "matplotlib", "typer", "sklearn", "skimage", "scipy.stats", "tqdm")


def _median_seconds(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _driftscale_command() -> list[str]:
    script = Path(sys.executable).with_name("driftscale")
    if script.exists():
        return [str(script)]
    found = shutil.which("driftscale")
    if found:
        return [found]
    return [sys.executable, "-m", "driftscale"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    loaded_code = (
        f"import sys, driftscale; print(','.join(m for m in {WATCH!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", loaded_code], capture_output=True, text=True, check=True
    ).stdout.strip()
    _median_seconds([*_driftscale_command(), "--help"], 1)  # warm the file cache
    baseline = _median_seconds([sys.executable, "-c", "pass"], args.repeats)
    imported = _median_seconds([sys.executable, "-c", "import driftscale"], args.repeats)
    helped = _median_seconds([*_driftscale_command(), "--help"], args.repeats)
    overhead = helped - baseline
    row = {
        "repeats": args.repeats,
        "python_pass_s": round(baseline, 4),
        "import_driftscale_s": round(imported, 4),
        "driftscale_help_s": round(helped, 4),
        "help_overhead_s": round(overhead, 4),
        "target_overhead_s": TARGET_S,
        "target_met": overhead <= TARGET_S,
        "heavy_modules_loaded_by_import": loaded.split(",") if loaded else [],
    }
    print(f"python -c pass           median {baseline:.3f} s  (reference, {args.repeats} runs)")
    print(f"python -c 'import driftscale'  {imported:.3f} s  ({imported - baseline:+.3f} s)")
    print(f"driftscale --help        median {helped:.3f} s  ({overhead:+.3f} s over the reference)")
    met = "met" if row["target_met"] else "NOT met"
    print(f"target: at most {TARGET_S} s over the reference -> {met}")
    print(f"heavy modules loaded by `import driftscale`: {loaded or 'none'}")
    if args.json:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
