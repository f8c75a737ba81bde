"""Inline SVG line charts for the report: geometry only, the template draws them.

:func:`line_chart` maps data to pixel coordinates (linear or logarithmic axes, with ``x = 0``
placed one decade left of the smallest positive ``x`` on a log axis), builds the SVG path of each
series, its error bars and point markers (each with a ``<title>``, the browser's hover text),
and the hover table the report's script shows beside the pointer: per ``x``, the value of every
series there. Nothing is computed about the data beyond its position on the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["Chart", "Series", "fmt", "line_chart"]

AxisScale = Literal["linear", "log", "auto"]
WIDTH, HEIGHT = 360, 240
MARGIN = (58, 14, 14, 40)  # left, right, top, bottom
MAX_MARKERS = 60  # series with more points are drawn as lines without markers


def fmt(value: Any, digits: int = 4) -> str:
    """A number as the report prints it: ``digits`` significant digits, ``inf`` as the symbol,
    ``None`` (JSON's NaN) as a dash.

    Examples
    --------
    >>> fmt(3.14159), fmt(None), fmt("inf"), fmt(2.5e-12), fmt(True), fmt(1000)
    ('3.142', '—', '∞', '2.5e-12', 'yes', '1000')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return {"inf": "∞", "-inf": "-∞"}.get(value, value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    text = f"{v:.{digits}g}"
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class Series:
    """One curve: ``x``, ``y`` (``None`` or non-finite values are skipped), optional ``err``
    (half-length of the error bar), drawn as a line or as a shaded histogram over ``faces``.
    On a log axis, values ``<= 0`` are drawn at its low end, labelled ``0`` (``≤0`` when some
    are negative)."""

    label: str
    x: Sequence[float]
    y: Sequence[Any]
    err: Sequence[float] | None = None
    dashed: bool = False
    kind: Literal["line", "stairs"] = "line"
    faces: Sequence[float] | None = None
    unit: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart laid out in pixels; ``series`` holds per curve its path, error bars, markers."""

    id: str
    title: str
    x_label: str
    y_label: str
    width: int
    height: int
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    series: list[dict[str, Any]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    hover: dict[str, Any] = field(default_factory=dict)


def _finite(x: Sequence[float], y: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values as floats with a mask of the drawable points (finite, not ``None``)."""
    xs = np.array([np.nan if v is None else float(v) for v in x])
    ys = np.array([np.nan if v is None or isinstance(v, str) else float(v) for v in y])
    return xs, ys, np.isfinite(xs) & np.isfinite(ys)


def _tick_label(v: float) -> str:
    """``-4000``, ``0.25``, ``1e5``, ``1e-4``: plain between 1e-3 and 1e5, else a power of ten."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.6g}"
    mantissa, exponent = f"{v:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


class _Axis:
    """Data -> pixels on one axis (linear, or log10 with 0 one decade below the data)."""

    def __init__(
        self, values: np.ndarray, scale: str, pixels: tuple[float, float], extent: np.ndarray
    ) -> None:
        positive = values[values > 0]
        self.log = scale == "log" or (
            scale == "auto"
            and positive.size == values.size > 1
            and positive.max() / positive.min() > 1e3
        )
        self.zero, self.has_zero = 0.0, bool(np.any(values <= 0))
        self.has_negative = bool(np.any(values < 0))
        if self.log:  # x = 0 (or an error bar reaching below 0) sits one decade below the data
            self.zero = math.floor(math.log10(positive.min())) - 1.0 if positive.size else 0.0
            extent = extent[extent > 0]
            t = np.concatenate([self._t(values), np.log10(extent)])
        else:
            t = np.concatenate([values, extent])
        lo, hi = float(np.min(t)), float(np.max(t))
        pad = 0.0 if self.log else (0.04 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 0.1)
        self.lo, self.hi = lo - pad, hi + pad
        self.lo_px, self.hi_px = pixels

    def _t(self, v: np.ndarray) -> np.ndarray:
        if not self.log:
            return v
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), self.zero)

    def __call__(self, v: Any) -> np.ndarray:
        t = self._t(np.asarray(v, dtype=np.float64))
        span = self.hi - self.lo if self.hi > self.lo else 1.0
        t = np.clip(t, self.lo, self.hi)  # error bars reaching past the plot end at its edge
        return self.lo_px + (t - self.lo) / span * (self.hi_px - self.lo_px)

    def ticks(self) -> list[tuple[float, str]]:
        if self.log:
            decades = range(math.ceil(self.lo), math.floor(self.hi) + 1)
            step = max(1, math.ceil(len(decades) / 6))
            ticks = [(10.0**d, _tick_label(10.0**d)) for d in decades][::step]
            if self.has_zero:  # the place of 0 (and of negative values, on a value axis)
                zero = "≤0" if self.has_negative else "0"
                ticks = [(0.0, zero), *[t for t in ticks if t[0] > 10.0**self.zero]]
        else:
            raw = (self.hi - self.lo) / 5 or 1.0
            mag = 10.0 ** math.floor(math.log10(raw))
            step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
            first = math.ceil(self.lo / step) * step
            count = int((self.hi - first) / step + 1e-9) + 1
            ticks = [(first + k * step, _tick_label(first + k * step)) for k in range(count)]
        return [(float(self(v)), label) for v, label in ticks]


def _path(px: np.ndarray, py: np.ndarray) -> str:
    points = [f"{x:.1f},{y:.1f}" for x, y in zip(px, py, strict=True)]
    return ("M" + " L".join(points)) if points else ""


def _stairs(faces: np.ndarray, py: np.ndarray, base: float) -> str:
    parts = [f"M{faces[0]:.1f},{base:.1f}"]
    for k, y in enumerate(py):
        parts.append(f"V{y:.1f}H{faces[k + 1]:.1f}")
    parts.append(f"V{base:.1f}")
    return "".join(parts)


def _series_view(s: Series, k: int, ax: _Axis, ay: _Axis, base: float) -> dict[str, Any]:
    xs, ys, ok = _finite(s.x, s.y)
    px, py = ax(xs[ok]), ay(ys[ok])
    css = "hist" if s.kind == "stairs" else f"s{k}"
    view: dict[str, Any] = {"label": s.label, "css": css, "dashed": s.dashed}
    if s.kind == "stairs" and s.faces is not None:
        view["path"] = _stairs(ax(np.asarray(s.faces, dtype=float)), ay(np.nan_to_num(ys)), base)
    else:
        view["path"] = _path(px, py)
    err = np.zeros_like(ys) if s.err is None else np.asarray(s.err, dtype=float)
    view["errorbars"] = " ".join(
        f"M{x:.1f},{float(ay(y - e)):.1f}V{float(ay(y + e)):.1f}"
        for x, y, e in zip(px, ys[ok], err[ok], strict=True)
        if e > 0
    )
    markers = []
    if ok.sum() <= MAX_MARKERS:
        for x, y, xv, yv, e in zip(px, py, xs[ok], ys[ok], err[ok], strict=True):
            pm = f" ± {fmt(e, 2)}" if e > 0 else ""
            markers.append((float(x), float(y), f"{s.label}: {fmt(xv)} → {fmt(yv)}{pm}{s.unit}"))
    view["markers"] = markers
    return view


def _hover(series: Sequence[Series], ax: _Axis, x_label: str) -> dict[str, Any]:
    """Per distinct x (pixel position): the value of every series there, one line each."""
    rows: dict[float, list[str]] = {}
    for s in series:
        xs, ys, ok = _finite(s.x, s.y)
        err = None if s.err is None else np.asarray(s.err, dtype=float)
        for j in np.flatnonzero(ok):
            pm = f" ± {fmt(err[j], 2)}" if err is not None and err[j] > 0 else ""
            rows.setdefault(float(xs[j]), []).append(f"{s.label}: {fmt(ys[j])}{pm}{s.unit}")
    xs_sorted = sorted(rows)
    return {
        "px": [round(float(ax(x)), 1) for x in xs_sorted],
        "text": [[f"{x_label} = {fmt(x)}", *rows[x]] for x in xs_sorted],
    }


def line_chart(
    series: Sequence[Series],
    *,
    id: str,
    title: str,
    x_label: str,
    y_label: str,
    x_scale: AxisScale = "linear",
    y_scale: AxisScale = "auto",
    hlines: Sequence[tuple[float, str]] = (),
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Lay out ``series`` in a ``width`` x ``height`` SVG chart.

    Parameters
    ----------
    series : sequence of Series
        The curves (at most 6 get distinct colours).
    id : str
        HTML id of the chart (unique in the page).
    title, x_label, y_label : str
        Texts of the chart.
    x_scale, y_scale : {"linear", "log", "auto"}
        ``"auto"``: logarithmic when every value is positive and they span over 3 decades.
    hlines : sequence of (float, str)
        Horizontal reference lines (a limit) with their labels.
    width, height : int
        Size in pixels.

    Returns
    -------
    Chart
    """
    if not series:
        raise ValueError(f"`series` must hold at least one Series, got {series!r}")
    left, right, top, bottom = MARGIN[0], width - MARGIN[1], MARGIN[2] + 16, height - MARGIN[3]
    data = [_finite(s.x, s.y) for s in series]
    xs = np.concatenate([x[ok] for x, _, ok in data])
    ys = np.concatenate([y[ok] for _, y, ok in data])
    extent = [np.array([v for v, _ in hlines], dtype=float)]
    for s, (_, y, ok) in zip(series, data, strict=True):
        if s.err is not None:
            e = np.asarray(s.err, dtype=float)[ok]
            extent += [y[ok] - e, y[ok] + e]
    ax = _Axis(xs, x_scale, (left, right), np.empty(0))
    ay = _Axis(ys, y_scale, (bottom, top), np.concatenate(extent))
    views = [_series_view(s, k % 6, ax, ay, bottom) for k, s in enumerate(series)]
    for value, label in hlines:
        views.append(
            {
                "label": label,
                "css": "ref",
                "dashed": True,
                "errorbars": "",
                "markers": [],
                "path": f"M{left:.1f},{float(ay(value)):.1f}H{right:.1f}",
            }
        )
    return Chart(
        id=id,
        title=title,
        x_label=x_label,
        y_label=y_label,
        width=width,
        height=height,
        plot=(left, top, right, bottom),
        series=views,
        x_ticks=ax.ticks(),
        y_ticks=ay.ticks(),
        hover=_hover(series, ax, x_label),
    )
