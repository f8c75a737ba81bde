"""Fig. 1 (Agg backend): the diffusion strip above the osmosis strip, the frames passed drawn as
they are, and the caption under the figure."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.data import ValueScale
from driftscale.figures.comparison import comparison_figure
from driftscale.figures.strips import StripRow


def test_two_rows_with_their_frames_and_a_caption(rng):
    unit = ValueScale.fit(np.zeros(1), kind="unit")
    positive = ValueScale.fit(np.zeros(1), kind="positive")  # [0, 255] <-> [1, 256]
    diffusion = rng.uniform(-1, 1, (3, 4, 5))
    osmosis = rng.uniform(1, 256, (4, 4, 5))
    a = StripRow(diffusion, ["i = 0", "i = 1", "i = 2"], "(a)", unit)
    b = StripRow(osmosis, [f"t = {t}" for t in range(4)], "(b)", positive)
    fig = comparison_figure(a, b, title="Fig. 1", caption="beta = 0.02, offset 6")
    assert len(fig.axes) == 8  # 2 rows x 4 columns, row (a) one short
    images = [ax.get_images() for ax in fig.axes]
    assert [len(i) for i in images] == [1, 1, 1, 0, 1, 1, 1, 1]
    for k in range(3):
        np.testing.assert_allclose(np.asarray(images[k][0].get_array()), (diffusion[k] + 1) * 127.5)
    for k in range(4):
        np.testing.assert_allclose(np.asarray(images[4 + k][0].get_array()), osmosis[k] - 1.0)
    assert any("offset 6" in t.get_text() for t in fig.texts)
    assert fig.get_suptitle() == "Fig. 1"


def test_rows_must_be_strip_rows():
    with pytest.raises(TypeError, match=r"must be driftscale\.figures\.StripRow objects"):
        comparison_figure(np.zeros((1, 2, 2)), np.zeros((1, 2, 2)))  # type: ignore[arg-type]
