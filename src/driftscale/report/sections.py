"""The report's sections as template data, read from a :class:`RunResults`.

One function per section turns stored records and arrays into what the template prints: table
rows of formatted numbers, SVG charts (:mod:`driftscale.report.charts`), image paths, and the
per-frame texts of the scale slider. Numbers are formatted, never computed: every value on the
page is one that an experiment stored in ``results/``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from driftscale.report.charts import Chart, Series, fmt, line_chart
from driftscale.report.findings import failure_links, findings
from driftscale.report.results import RunResults, frame_file

__all__ = [
    "fokker_planck_section",
    "properties_section",
    "reverse_section",
    "run_section",
    "scales_section",
]

HOLDS = {True: "holds", False: "fails", None: "n/a"}


# PNG figures that the page also draws as interactive charts: shown folded, on request
FOLDED = ("properties-lyapunov.png", "fokker-planck.png")


def _files(results: RunResults, part: str, base: str) -> list[dict[str, Any]]:
    """The part's PNG figures: ``{"src": link, "folded": drawn as charts too}``."""
    return [
        {"src": base + f, "folded": f in FOLDED}
        for f in results.part_files(part)
        if f.endswith(".png") and "/" not in f
    ]


def _frame_cells(d: dict[str, Any], o: dict[str, Any]) -> dict[str, str]:
    """The texts beside one slider position: diffusion frame ``d``, osmosis frame ``o``."""
    kl = fmt(d["relative_entropy_to_steady_state"])
    return {
        "d-scale": f"i = {d['step']}, ᾱ = {fmt(d['alpha_bar'])}",
        "o-scale": f"t = {fmt(o['time'])}",
        "d-mean": f"{fmt(d['mean'])} (expected √ᾱ · mean f = {fmt(d['expected_mean'])}, Eq. 5)",
        "o-mean": fmt(o["mean"], 10),
        "d-mass": "not conserved: the mean decays as √ᾱ",
        "o-mass": fmt(o["relative_mass_error"], 3),
        "d-lyapunov": f"KL(p(u_i | f) ‖ N(0, I)) = {kl} nats",
        "o-lyapunov": f"L(t) = {fmt(o['relative_entropy_eq28'])}",
        "d-distance": f"KS(pixels, N(0, 1)) = {fmt(d['ks_distance_to_steady_state'], 3)}",
        "o-distance": f"‖u − w‖ / ‖w‖ = {fmt(o['distance_to_steady_state'], 3)}",
        "d-spread": f"std {fmt(d['std'])}",
        "o-spread": f"min {fmt(o['min'])}, max {fmt(o['max'])}",
    }


SCALE_ROWS = (
    ("scale", "scale"),
    ("mean", "mean"),
    ("mass", "relative mass error |Σu − Σf| / Σf"),
    ("lyapunov", "Lyapunov value (Eq. 28 for osmosis; its counterpart for diffusion)"),
    ("distance", "distance to the steady state"),
    ("spread", "spread"),
)


def _scales_charts(d: list[dict[str, Any]], o: list[dict[str, Any]]) -> list[Chart]:
    k = list(range(len(d)))
    distance = line_chart(
        [
            Series("osmosis ‖u − w‖/‖w‖", k, [f["distance_to_steady_state"] for f in o]),
            Series("diffusion KS to N(0, 1)", k, [f["ks_distance_to_steady_state"] for f in d]),
        ],
        id="chart-scales-distance",
        title="distance to the steady state",
        x_label="slider position",
        y_label="distance",
    )
    lyap_o = line_chart(
        [Series("osmosis L(t)", [f["time"] for f in o], [f["relative_entropy_eq28"] for f in o])],
        id="chart-scales-eq28",
        title="osmosis: L(t) of Eq. (28), increasing to 0",
        x_label="t",
        y_label="L(t)",
        x_scale="log",
    )
    kl = [f["relative_entropy_to_steady_state"] for f in d]
    lyap_d = line_chart(
        [Series("diffusion KL", [f["step"] for f in d], kl, unit=" nats")],
        id="chart-scales-kl",
        title="diffusion: KL(p(u_i | f) ‖ N(0, I)), decreasing to 0",
        x_label="i",
        y_label="nats",
        x_scale="log",
        y_scale="log",
    )
    return [distance, lyap_o, lyap_d]


def scales_section(results: RunResults, base: str = "") -> dict[str, Any] | None:
    """The scale slider: frame paths and texts per position, plus the charts along it."""
    rec = results.records.get("scales")
    if rec is None:
        return None
    d, o = rec["diffusion"]["frames"], rec["osmosis"]["frames"]
    frames = [
        {
            "diffusion": base + frame_file("diffusion", k),
            "osmosis": base + frame_file("osmosis", k),
            "cells": _frame_cells(fd, fo),
        }
        for k, (fd, fo) in enumerate(zip(d, o, strict=True))
    ]
    shape = "x".join(str(n) for n in rec["osmosis"]["shape"])
    guidance = rec["osmosis"]["guidance"]
    return {
        "frames": frames,
        "rows": SCALE_ROWS,
        "charts": _scales_charts(d, o),
        "caption": (
            f"{rec['image']} ({shape}), seed {rec['seed']}: the forward chain Eq. (4) with "
            f"beta = {fmt(rec['diffusion']['schedule'].get('beta'))} (exact jumps) and osmosis "
            f"Eq. (26) with the canonical drift of v = {fmt(guidance.get('offset'))} + N(0, 1), "
            f"exact in time (rtol {fmt(rec['osmosis']['exact_rtol'])}); "
            f"{len(frames)} log-spaced scales."
        ),
        "figures": _files(results, "compare", base) + _files(results, "forward", base),
    }


def _evidence(ev: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, fmt(v)) for k, v in ev.items() if not isinstance(v, list | dict)]


def properties_section(results: RunResults, base: str = "") -> dict[str, Any] | None:
    """One table per property report (holds / fails / n/a, claim, evidence, method), the
    anchors of the explanations of failing checks, and the Lyapunov charts."""
    reports = results.records.get("properties", {}).get("reports")
    if not reports:
        return None
    links = failure_links(results, findings(results))
    tables = []
    for k, rep in enumerate(reports):
        rows = [
            {
                "id": p["id"],
                "claim": p["claim"],
                "status": HOLDS[p["holds"]],
                "evidence": _evidence(p["evidence"]),
                "evidence_json": json.dumps(p["evidence"], indent=1) if p["evidence"] else "",
                "method": p["method"],
                "link": links.get((k, p["id"])),
            }
            for p in rep["properties"]
        ]
        tables.append({"title": f"{rep['process']} ({rep['data']})", "rows": rows})
    return {
        "tables": tables,
        "matrix": _matrix(tables),
        "charts": _lyapunov_charts(reports),
        "figures": _files(results, "properties", base),
        "text_table": base + "properties.txt"
        if "properties.txt" in results.part_files("properties")
        else None,
    }


def _matrix(tables: list[dict[str, Any]]) -> dict[str, Any]:
    """Property x process: the status (and the anchor of a failure's explanation) per cell."""
    ids = list(dict.fromkeys(r["id"] for t in tables for r in t["rows"]))
    by_id = [{r["id"]: r for r in t["rows"]} for t in tables]
    rows = []
    for pid in ids:
        cells = [(t[pid]["status"], t[pid]["link"]) if pid in t else ("n/a", None) for t in by_id]
        claim = next(t[pid]["claim"] for t in by_id if pid in t)
        rows.append({"id": pid, "claim": claim, "cells": cells})
    return {"columns": [t["title"] for t in tables], "rows": rows}


# sequence of the property reports, y label, x label, y axis (KL falls over 9 decades to ~0)
LYAPUNOV = (
    ("differential_entropy", "H(U_i), nats", "i", "linear"),
    ("conditional_entropy", "H(U_i | U_0), nats", "i", "linear"),
    ("relative_entropy", "KL(p(u_i) ‖ N(0, I)), nats", "i", "log"),
    ("osmosis_relative_entropy", "L(t) of Eq. (28)", "t", "linear"),
)


def _lyapunov_charts(reports: list[dict[str, Any]]) -> list[Chart]:
    charts = []
    for key, y_label, x_label, y_scale in LYAPUNOV:
        found = [(r, r["lyapunov"][key]) for r in reports if key in r.get("lyapunov", {})]
        if not found:
            continue
        series = [
            Series(
                f"{r['process']} ({r['data']})",
                seq["steps"],
                seq["values"],
                err=[2.0 * s for s in seq["stderr"]],
            )
            for r, seq in found
        ]
        seq = found[0][1]
        limits = sorted({seq["limit"] for _, seq in found if seq.get("limit") is not None})
        charts.append(
            line_chart(
                series,
                id=f"chart-lyapunov-{key.replace('_', '-')}",
                title=f"{seq['claim']}: {seq['expected']}?",
                x_label=x_label,
                y_label=y_label,
                x_scale="log",
                y_scale=y_scale,
                width=400,
                hlines=[(v, f"limit {fmt(v)}") for v in limits],
            )
        )
    return charts


def _fp_chart(arrays: dict[str, np.ndarray], j: int, cells: np.ndarray) -> Chart:
    x, faces = arrays["x"][cells], arrays["faces"][np.append(cells, cells[-1] + 1)]
    return line_chart(
        [
            Series(
                "Monte Carlo (Eq. 4)",
                x,
                arrays["monte_carlo"][j][cells],
                kind="stairs",
                faces=faces,
            ),
            Series("closed form (Eq. 5)", x, arrays["closed_form"][j][cells], dashed=True),
            Series("Fokker-Planck (Eq. 24)", x, arrays["pde"][j][cells]),
        ],
        id=f"chart-fp-{j}",
        title=f"i = {int(arrays['steps'][j])}, ᾱ = {fmt(arrays['alpha_bar'][j], 3)}",
        x_label="x",
        y_label="density",
        y_scale="linear",
        width=300,
        height=210,
    )


def fokker_planck_section(results: RunResults, base: str = "") -> dict[str, Any] | None:
    """Density charts per step (where the closed form holds mass, as the PNG figure shows),
    the table of L1 errors and mass, the measured orders, and the PNG figures."""
    rec, arrays = results.records.get("fokker-planck"), results.arrays.get("fokker-planck")
    if rec is None or arrays is None:
        return None
    closed = arrays["closed_form"]
    cells = np.flatnonzero(closed.max(axis=0) > 1e-4 * closed.max())  # the figure's x-range
    rows = [
        [fmt(i), fmt(a, 3), fmt(e, 2), fmt(m, 2), fmt(n, 2), fmt(dm, 2)]
        for i, a, e, m, n, dm in zip(
            rec["steps"],
            rec["alpha_bar"],
            rec["l1_pde_vs_closed_form"],
            rec["l1_monte_carlo_vs_closed_form"],
            rec["expected_monte_carlo_noise"],
            rec["mass_minus_one"],
            strict=True,
        )
    ]
    ref = rec.get("refinement", {})
    orders = [("space", fmt(ref["space"]["order"], 3))] if ref else []
    orders += [
        (f"time, {m}", fmt(v["order"], 3))
        for m, v in ref.get("time_refinement", {}).items()
        if isinstance(v, dict)
    ]
    return {
        "charts": [_fp_chart(arrays, j, cells) for j in range(len(arrays["steps"]))],
        "rows": rows,
        "orders": orders,
        "caption": f"data {rec['data']}, schedule {rec['schedule'].get('name')}, "
        f"{rec['num_samples']} chains (seed {rec['seed']}), {rec['grid']['cells']} cells, "
        f"method {rec['method']}, flux {rec['flux']}",
        "figures": _files(results, "fokker-planck", base),
    }


def reverse_section(results: RunResults, base: str = "") -> dict[str, Any] | None:
    """The memorisation table of every sampler (and the held-out baseline), and the figures."""
    samplers = results.records.get("reverse", {}).get("samplers")
    if not samplers:
        return None
    rows, baseline = [], None
    for label, rec in samplers.items():
        mem, sample = rec["memorization"], rec["sample"]
        baseline = rec.get("baseline_heldout_vs_train", baseline)
        rows.append(
            [
                label,
                fmt(sample["num_steps"]),
                fmt(sample["num_evaluations"]),
                f"{mem['num_memorised']}/{mem['num_samples']}",
                fmt(mem["d1_median"], 3),
                fmt(mem["ratio_median"], 3),
                fmt(mem["distinct_nearest"]),
                fmt(mem.get("heldout_d1_median"), 3),
                fmt(rec["seconds"], 3),
            ]
        )
    if baseline:
        rows.append(
            [
                "held-out real digits",
                "",
                "",
                f"{baseline['num_memorised']}/{baseline['num_samples']}",
                fmt(baseline["d1_median"], 3),
                fmt(baseline["ratio_median"], 3),
                fmt(baseline["distinct_nearest"]),
                "",
                "",
            ]
        )
    first = next(iter(samplers.values()))
    return {
        "rows": rows,
        "caption": f"{first['data']}: {first['num_train']} training and {first['num_heldout']} "
        f"held-out images, exact denoiser, schedule {first['sample']['schedule']}",
        "figures": _files(results, "reverse", base),
    }


def run_section(results: RunResults) -> dict[str, Any]:
    """Seed, settings, versions, wall times and the folder's files with their sizes."""
    run = results.run
    times = [(p, fmt(results.summary["parts"][p].get("seconds"), 3)) for p in results.parts]
    frames = [(f, s) for f, s in results.files if f.startswith("scales/")]
    files = [(f, _size(s)) for f, s in results.files if not f.startswith("scales/")]
    if frames:
        files.append((f"scales/ ({len(frames)} frames)", _size(sum(s for _, s in frames))))
    return {
        "seed": run.get("seed"),
        "command": run.get("command", ""),
        "settings": [(k, json.dumps(v)) for k, v in run.get("settings", {}).items()],
        "versions": list(run.get("versions", {}).items()),
        "times": times,
        "total_seconds": fmt(run.get("seconds"), 3),
        "files": files,
        "total_size": _size(results.total_bytes),
    }


def _size(num_bytes: int) -> str:
    """``12.3 kB``, ``4.56 MB`` (powers of 1000).

    Examples
    --------
    >>> _size(999), _size(12345), _size(4560000)
    ('999 B', '12.3 kB', '4.56 MB')
    """
    if num_bytes < 1000:
        return f"{num_bytes} B"
    if num_bytes < 1_000_000:
        return f"{num_bytes / 1000:.3g} kB"
    return f"{num_bytes / 1e6:.3g} MB"
