"""Before/after figures of osmosis editing (figures/editing.py): panels, outlines, captions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from driftscale.figures.editing import Panel, before_after


def test_before_after_draws_one_axes_per_panel(rng):
    img = rng.uniform(0, 255, (20, 30, 3))
    mask = np.zeros((20, 30), dtype=bool)
    mask[5:10, 5:12] = True
    panels = [Panel(img, "input", mask), Panel(img[..., 0], "grey result"), Panel(img, "ref")]
    fig = before_after(panels, title="title", caption="numbers")
    axes = fig.get_axes()
    assert len(axes) == 3 and [a.get_title() for a in axes] == ["input", "grey result", "ref"]
    assert axes[0].collections  # the outline is drawn
    assert axes[0].images[0].get_array().max() <= 1.0  # shown on [0, 1]
    texts = [t.get_text() for t in fig.texts]
    assert "numbers" in texts


def test_before_after_into_given_axes(rng):
    fig, axes = plt.subplots(1, 2)
    out = before_after([Panel(np.zeros((4, 4)), "a"), Panel(np.ones((4, 4)), "b")], axes=axes)
    assert out is fig


@pytest.mark.parametrize(
    ("panels", "axes", "message"),
    [([], None, "`panels` must hold at least one Panel"), (None, "two", "one Axes per panel")],
)
def test_bad_input_is_named(panels, axes, message):
    if panels is None:
        panels = [Panel(np.zeros((4, 4)), "a")]
        axes = list(plt.subplots(1, 2)[1])
    with pytest.raises(ValueError, match=message):
        before_after(panels, axes=axes)
