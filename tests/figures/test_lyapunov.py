"""Lyapunov curves (Agg backend): one panel per kind of sequence, the plotted points are the
measured values passed (negated for -L(t); zeros left off the log axis), one panel on a given
axes."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.figures.lyapunov import lyapunov_figure, lyapunov_panel
from driftscale.properties.report import LyapunovSequence, PropertyReport


def _seq(id_, values, *, expected="increasing", limit=None):
    steps = [1.0, 10.0, 100.0][: len(values)]
    return LyapunovSequence(id_, "claim", steps, values, [0.1] * len(values), expected, limit)


@pytest.fixture
def reports():
    diffusion = PropertyReport(
        "diffusion",
        "digits",
        (),
        (
            _seq("differential_entropy", [10.0, 20.0, 30.0], limit=91.0),
            _seq("conditional_entropy", [5.0, 15.0, 25.0], limit=91.0),
            _seq("relative_entropy", [3.0, 1.0, 0.5], expected="decreasing"),
        ),
    )
    osmosis = PropertyReport(
        "osmosis", "cat", (), (_seq("osmosis_relative_entropy", [-2.0, -0.5, 0.0]),)
    )
    return [diffusion, osmosis]


def _points(ax):
    return [np.asarray(c.lines[0].get_ydata()) for c in ax.containers]


def test_one_panel_per_kind_with_the_values_passed(reports):
    fig = lyapunov_figure(reports, title="seed 0")
    assert len(fig.axes) == 4  # entropy, entropy zoom, KL, -L(t)
    entropy, zoom, kl, osm = fig.axes
    np.testing.assert_array_equal(_points(entropy)[0], [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(_points(entropy)[1], [5.0, 15.0, 25.0])
    assert [line.get_ydata()[0] for line in entropy.lines if line.get_linestyle() == "--"] == [91.0]
    np.testing.assert_array_equal(_points(zoom)[0], [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(_points(kl)[0], [3.0, 1.0, 0.5])
    assert kl.get_yscale() == "log"
    np.testing.assert_array_equal(_points(osm)[0], [2.0, 0.5])  # -L(t); the exact 0 left off
    assert osm.get_xlabel() == "time t" and fig.get_suptitle() == "seed 0"


def test_one_panel_on_the_axes_given(reports):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert lyapunov_panel(reports[0], "relative_entropy", ax=ax) is fig
    assert len(fig.axes) == 1 and len(ax.containers) == 1
    assert "claimed decreasing" in ax.get_title()


def test_errors(reports):
    with pytest.raises(TypeError, match="`reports` must be a PropertyReport"):
        lyapunov_figure([])
    with pytest.raises(ValueError, match="`panel` must be one of 'entropy'"):
        lyapunov_panel(reports, "heat")
    with pytest.raises(ValueError, match="no Lyapunov sequence of the panel 'osmosis'"):
        lyapunov_panel(reports[0], "osmosis")
    with pytest.raises(ValueError, match="no Lyapunov sequences to draw"):
        lyapunov_figure(PropertyReport("x", "y", ()))
