"""SVG chart geometry: data to pixels (linear and log axes), markers, hover rows, numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftscale.report.charts import Series, fmt, line_chart


def _points(path: str) -> np.ndarray:
    return np.array([[float(v) for v in p.lstrip("ML").split(",")] for p in path.split()])


def test_linear_axes_map_data_affinely_inside_the_plot():
    c = line_chart(
        [Series("a", [0, 1, 2, 4], [10, 20, 30, 50])], id="c", title="t", x_label="x", y_label="y"
    )
    pts = _points(c.series[0]["path"])
    left, top, right, bottom = c.plot
    assert np.all((pts[:, 0] >= left) & (pts[:, 0] <= right))
    assert np.all((pts[:, 1] >= top) & (pts[:, 1] <= bottom))
    # y = 5 x + 10 is a straight line: equal slopes in pixels; larger y is higher on the page
    slopes = np.diff(pts[:, 1]) / np.diff(pts[:, 0])
    assert np.allclose(slopes, slopes[0], atol=0.02) and slopes[0] < 0
    x = np.array([0, 1, 2, 4])
    b, a = np.polyfit(x, pts[:, 0], 1)  # x in pixels is affine in x (to the 0.1 px rounding)
    assert b > 0 and np.abs(a + b * x - pts[:, 0]).max() < 0.1


def test_log_x_axis_puts_zero_one_decade_left_of_the_data_and_labels_it():
    c = line_chart(
        [Series("L", [0, 1, 10, 100], [-4, -2, -1, 0])],
        id="c",
        title="t",
        x_label="t",
        y_label="L",
        x_scale="log",
    )
    px = _points(c.series[0]["path"])[:, 0]
    assert np.allclose(np.diff(px), np.diff(px)[0], atol=0.11)  # 0, 1, 10, 100: equal steps
    labels = [label for _, label in c.x_ticks]
    assert labels[0] == "0" and labels[1:] == ["1", "10", "100"]


def test_auto_y_axis_is_logarithmic_over_many_decades_and_negatives_sit_at_the_bottom():
    c = line_chart(
        [Series("kl", [1, 10, 100], [1e3, 1.0, 1e-3])],
        id="c",
        title="t",
        x_label="i",
        y_label="nats",
        x_scale="log",
    )
    py = _points(c.series[0]["path"])[:, 1]
    assert np.allclose(np.diff(py), np.diff(py)[0], atol=0.11)  # 3 decades per step both times
    c = line_chart(
        [Series("kl", [1, 10, 100], [1e3, 1.0, -1e-6])],
        id="c",
        title="t",
        x_label="i",
        y_label="nats",
        x_scale="log",
        y_scale="log",
    )
    py = _points(c.series[0]["path"])[:, 1]
    assert py[-1] == pytest.approx(c.plot[3]) and c.y_ticks[0][1] == "≤0"


def test_markers_titles_error_bars_and_hover_rows():
    c = line_chart(
        [
            Series("H", [1, 2], [3.0, 4.0], err=[0.5, 0.0], unit=" nats"),
            Series("G", [1, 2], [1.0, None]),
        ],
        id="c",
        title="t",
        x_label="i",
        y_label="y",
        hlines=[(5.0, "limit 5")],
    )
    assert [m[2] for m in c.series[0]["markers"]] == ["H: 1 → 3 ± 0.5 nats", "H: 2 → 4 nats"]
    assert c.series[0]["errorbars"].count("M") == 1  # one bar: the zero error draws none
    assert len(c.series[1]["markers"]) == 1  # None is skipped
    assert c.hover["text"] == [["i = 1", "H: 3 ± 0.5 nats", "G: 1"], ["i = 2", "H: 4 nats"]]
    assert c.series[2]["label"] == "limit 5" and c.series[2]["css"] == "ref"
    with pytest.raises(ValueError, match="`series` must hold at least one Series"):
        line_chart([], id="c", title="t", x_label="x", y_label="y")


def test_stairs_are_drawn_over_their_faces_as_a_histogram():
    c = line_chart(
        [Series("MC", [0.5, 1.5], [1.0, 2.0], kind="stairs", faces=[0, 1, 2])],
        id="c",
        title="t",
        x_label="x",
        y_label="p",
    )
    view = c.series[0]
    assert view["css"] == "hist" and view["path"].count("V") == 3 and view["path"].count("H") == 2


def test_fmt():
    assert fmt(math.nan) == "—" and fmt(float("-inf")) == "-∞" and fmt(-0.0) == "0"
    assert fmt(123456.0) == "1.235e+05" and fmt(np.int64(7)) == "7" and fmt(False) == "no"
