"""Figures of the reverse process: what each draws (axes, images, labels), from arrays and
reports only, without touching the arrays; bad input named."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from driftscale.data import ValueScale
from driftscale.evaluation.memorization import memorization_report
from driftscale.figures.samples import (
    denoiser_comparison_figure,
    memorisation_rows,
    nearest_neighbour_figure,
    ratio_histogram,
    sample_grid,
)

VS = ValueScale.fit(None, kind="unit", data_range=(0.0, 16.0))


@pytest.fixture
def data(rng):
    train = rng.uniform(-1, 1, (10, 4, 4))
    samples = np.concatenate([train[[3, 7]], rng.uniform(-1, 1, (3, 4, 4))])  # 2 copies
    return train, samples, memorization_report(samples, train)


def _images(fig: Figure) -> list:
    return [im for ax in fig.axes for im in ax.get_images()]


def test_sample_grid_shows_every_sample_in_the_raw_range(data):
    _, samples, _ = data
    keep = samples.copy()
    fig = sample_grid(samples, value_scale=VS, ncols=2, title="five")
    assert isinstance(fig, Figure) and len(fig.axes) == 6  # 3 rows x 2 columns, one left empty
    shown = _images(fig)
    assert len(shown) == 5
    # display maps the raw range [0, 16] to [0, 1]: -1 -> 0, 1 -> 1 (through ValueScale.invert)
    np.testing.assert_allclose(shown[0].get_array(), (samples[0] + 1) / 2, rtol=1e-12)
    np.testing.assert_array_equal(samples, keep)  # display only: the arrays are untouched
    assert fig._suptitle.get_text() == "five"


def test_nearest_neighbour_figure_pairs_samples_with_their_nearest_image(data):
    train, samples, rep = data
    fig = nearest_neighbour_figure(samples, train, rep, num=3)
    shown = _images(fig)
    assert len(shown) == 6  # 3 samples above their 3 nearest training images
    np.testing.assert_allclose(shown[3].get_array(), train[3])  # sample 0 is a copy of #3
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert any("copy" in s for s in labels) and "train #7" in labels
    with pytest.raises(ValueError, match="describes 5 samples but `samples` holds 2"):
        nearest_neighbour_figure(samples[:2], train, rep)


def test_memorisation_rows_and_the_comparison_of_denoisers(data):
    train, samples, rep = data
    rows = memorisation_rows(samples, train, rep, label="exact", num=4)
    assert len(rows) == 2 and len(rows[0].frames) == 4 and rows[0].title.startswith("exact")
    assert "40% copies" in rows[0].title  # 2 of 5 samples are copies
    np.testing.assert_array_equal(rows[1].frames, train[rep.nearest_index[:4]])
    fig = denoiser_comparison_figure(
        {"learned": samples[::-1], "exact": samples},
        {"learned": memorization_report(samples[::-1], train), "exact": rep},
        train,
        num=4,
        title="two denoisers",
    )
    assert len(_images(fig)) == 16  # 2 denoisers x (4 samples + 4 nearest)
    with pytest.raises(ValueError, match=r"a report for every label of `samples`, not \['b'\]"):
        denoiser_comparison_figure({"a": samples, "b": samples}, {"a": rep}, train)
    with pytest.raises(ValueError, match="at least one label"):
        denoiser_comparison_figure({}, {}, train)


def test_ratio_histogram_on_a_given_axis(data):
    import matplotlib.pyplot as plt

    rep = data[2]
    fig, ax = plt.subplots()
    out = ratio_histogram({"samples": rep, "train vs train": rep}, ax=ax, title="ratios")
    assert out is fig and ax.get_title() == "ratios"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["samples: 40.0% copies", "train vs train: 40.0% copies"]
    assert ax.lines[0].get_xdata()[0] == pytest.approx(1 / 3)  # the threshold d1/d2 = 1/3
    assert isinstance(ratio_histogram(rep), Figure)
    with pytest.raises(ValueError, match="at least one MemorizationReport"):
        ratio_histogram({})
    with pytest.raises(ValueError, match=r"`samples` must be a batch of images"):
        sample_grid(np.zeros(3))
