"""Film strips (Agg backend): one image per frame, the image data is the frame passed (mapped
back to raw values by its ValueScale, clipped to the display range), the labels underneath."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.data import ValueScale
from driftscale.figures.strips import StripRow, film_strip, show_frame, strip_grid

UNIT = ValueScale.fit(np.zeros(1), kind="unit")  # [0, 255] <-> [-1, 1]


def test_film_strip_shows_each_frame_with_its_label(rng):
    frames = rng.uniform(-1.0, 1.0, (3, 5, 7))
    before = frames.copy()
    fig = film_strip(frames, ["a", "b", "c"], value_scale=UNIT, title="strip")
    assert len(fig.axes) == 3 and fig.get_suptitle() == "strip"
    for ax, frame, label in zip(fig.axes, frames, "abc", strict=True):
        (image,) = ax.get_images()
        np.testing.assert_allclose(np.asarray(image.get_array()), (frame + 1.0) * 127.5)
        assert image.get_clim() == (0.0, 255.0) and ax.get_xlabel() == label
    np.testing.assert_array_equal(frames, before)  # the caller's frames are never modified


def test_colour_frames_are_clipped_for_display_only(rng):
    frame = rng.uniform(-1.5, 1.5, (4, 6, 3))  # a diffusion frame leaves [-1, 1]
    fig = show_frame(frame, value_scale=UNIT, label="i = 3")
    (image,) = fig.axes[0].get_images()
    expected = np.clip((frame + 1.0) * 127.5, 0.0, 255.0) / 255.0  # colour: imshow wants [0, 1]
    np.testing.assert_allclose(np.asarray(image.get_array()), expected, atol=1e-15)
    assert fig.axes[0].get_xlabel() == "i = 3"


def test_show_frame_draws_on_the_axes_given(rng):
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    frame = rng.uniform(10.0, 20.0, (3, 3))
    assert show_frame(frame, ax=b) is fig
    assert not a.get_images() and len(b.get_images()) == 1
    # no value scale: the frame's own range is black to white
    assert b.get_images()[0].get_clim() == (frame.min(), frame.max())


def test_strip_grid_rows_of_different_length(rng):
    long = StripRow(rng.uniform(-1, 1, (3, 4, 4)), ["1", "2", "3"], "long", UNIT)
    short = StripRow(rng.uniform(-1, 1, (2, 4, 4)), ["x", "y"], "short", UNIT, (-255.0, 255.0))
    fig = strip_grid([long, short])
    assert len(fig.axes) == 6
    assert [len(ax.get_images()) for ax in fig.axes] == [1, 1, 1, 1, 1, 0]
    assert not fig.axes[5].axison  # the missing frame leaves an empty, hidden axes
    assert fig.axes[0].get_ylabel() == "long" and fig.axes[3].get_ylabel() == "short"
    assert fig.axes[3].get_images()[0].get_clim() == (-255.0, 255.0)  # display_range wins


def test_strip_grid_errors():
    with pytest.raises(ValueError, match="`rows` must hold at least one StripRow"):
        strip_grid([])
    with pytest.raises(ValueError, match="row 0 has 2 frames but 1 labels"):
        film_strip(np.zeros((2, 3, 3)), ["only one"])
