"""Memorisation analysis: chunked nearest neighbours against brute force (scipy cdist), exact
copies, duplicates, the held-out split, the claim of arXiv:2501.17054 on a small data set (the
exact reverse process only regenerates training points), the figures, and named errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import cdist

from driftscale.data import ValueScale
from driftscale.evaluation.memorization import memorization_report, nearest_neighbours
from driftscale.figures.samples import nearest_neighbour_figure, ratio_histogram, sample_grid
from driftscale.reverse.denoisers import ExactDenoiser, GaussianDenoiser
from driftscale.reverse.samplers import sample


@pytest.mark.parametrize("chunk_size", [2**20, 37, 1])
def test_distances_match_brute_force(rng, chunk_size):
    samples, train = rng.standard_normal((30, 4, 3)), rng.standard_normal((50, 4, 3))
    held = rng.standard_normal((20, 4, 3))
    rep = memorization_report(samples, train, heldout=held, chunk_size=chunk_size)
    d = cdist(samples.reshape(30, -1), train.reshape(50, -1))
    order = np.argsort(d, axis=1)
    np.testing.assert_array_equal(rep.nearest_index, order[:, 0])  # no ties in continuous data
    # both are sqrt of a sum of 12 squares of differences: a few ulps apart
    np.testing.assert_allclose(rep.d1, d[np.arange(30), order[:, 0]], rtol=1e-14)
    np.testing.assert_allclose(rep.d2, d[np.arange(30), order[:, 1]], rtol=1e-14)
    np.testing.assert_allclose(rep.ratio, rep.d1 / rep.d2, rtol=1e-15)
    np.testing.assert_allclose(
        rep.heldout_d1, cdist(samples.reshape(30, -1), held.reshape(20, -1)).min(1), rtol=1e-14
    )
    assert rep.fraction_memorised == np.mean(rep.ratio < 1 / 3)
    assert rep.summary()["fraction_closer_to_train"] == np.mean(rep.d1 < rep.heldout_d1)


def test_exact_copies_and_duplicates(rng):
    train = rng.uniform(-1, 1, size=(10, 6))
    train[9] = train[4]  # a duplicated training image: d2 counts it once
    samples = np.vstack([train[[1, 4]], train[1] + 1e-3, rng.uniform(-1, 1, size=(1, 6))])
    rep = memorization_report(samples, train, threshold=0.25)
    assert rep.d1[0] == 0.0 and rep.d1[1] == 0.0  # recomputed exactly, no cancellation error
    # d2 is the distance to the second-nearest *distinct* image (not the duplicate, d2 = 0)
    others = np.delete(train, [4, 9], axis=0)
    assert rep.d2[1] == pytest.approx(np.min(np.linalg.norm(others - train[4], axis=1)), rel=1e-12)
    assert rep.ratio[1] == 0.0 and rep.nearest_index[1] in (4, 9)
    assert rep.memorised.tolist()[:3] == [True, True, True]
    # a near copy (d1 ~ 1e-3 * sqrt(6)) of a training image is memorised
    assert rep.ratio[2] < 0.01


def test_ratio_threshold_is_strict():
    train = np.array([[0.0], [4.0]])
    rep = memorization_report(np.array([[1.0]]), train)  # d1/d2 = 1/3 exactly: not memorised
    assert rep.ratio[0] == 1 / 3 and rep.fraction_memorised == 0.0
    rep = memorization_report(np.array([[0.99]]), train)
    assert rep.fraction_memorised == 1.0 and rep.summary()["num_memorised"] == 1


def test_one_spelling_with_the_old_one_as_alias(rng):
    # the project spells "memoriz-" (memorization_report); the -s names stay as aliases and the
    # JSON schema keeps its key "fraction_memorised"
    train = rng.uniform(-1, 1, size=(6, 4))
    rep = memorization_report(np.vstack([train[:2], rng.uniform(-1, 1, size=(3, 4))]), train)
    assert rep.fraction_memorized == rep.fraction_memorised == 0.4
    np.testing.assert_array_equal(rep.memorized, rep.memorised)
    assert rep.summary()["fraction_memorised"] == rep.fraction_memorized
    assert "fraction_memorized" not in rep.summary()


def test_k_nearest_sorted(rng):
    q, r = rng.standard_normal((5, 3)), rng.standard_normal((8, 3))
    idx, dist = nearest_neighbours(q, r, k=8)
    np.testing.assert_array_equal(idx, np.argsort(cdist(q, r), axis=1))
    assert np.all(np.diff(dist, axis=1) >= 0)
    with pytest.raises(ValueError, match="`train` must hold at least 9 images for k = 9, got 8"):
        nearest_neighbours(q, r, k=9)
    with pytest.raises(ValueError, match="`k` must be a positive integer"):
        nearest_neighbours(q, r, k=0)


def test_exact_reverse_process_only_regenerates_training_points(rng):
    # Seed 002: with the exact denoiser of a finite set, the reverse process converges to the
    # training samples. Every sample must be a training point (to rounding), whatever the sampler.
    train = rng.uniform(-1, 1, size=(25, 2, 2))
    D = ExactDenoiser(train, "linear:1e-4,0.02")
    for sampler in ("ddpm", "ddim", "sde", "ode"):
        res = sample(D, num_samples=200, sampler=sampler, rng=1)
        rep = memorization_report(res.samples, train)
        assert rep.fraction_memorised == 1.0 and rep.d1.max() < 1e-9
    # ... whereas a Gaussian data model (the same mean and variance, no finite support) gives new
    # samples: at most a few percent of its samples fall within a third of the second distance.
    gauss = GaussianDenoiser(train.mean(0), float(train.var()), "linear:1e-4,0.02")
    rep = memorization_report(sample(gauss, num_samples=200, rng=1).samples, train)
    assert rep.fraction_memorised < 0.1 and rep.d1.min() > 1e-3


def test_exact_reverse_process_samples_the_empirical_distribution(rng):
    # The exact reverse process regenerates each of the N training images with probability 1/N.
    # Chi-square goodness of fit of the nearest-image counts, family level 1e-3 over the four
    # samplers (Bonferroni, 2.5e-4 each), fixed seed.
    train = rng.uniform(-1, 1, size=(6, 3, 3))
    D = ExactDenoiser(train, "linear:1e-4,0.02")
    for sampler in ("ddpm", "ddim", "sde", "ode"):
        res = sample(D, num_samples=2000, sampler=sampler, num_steps=200, rng=2)
        counts = np.bincount(memorization_report(res.samples, train).nearest_index, minlength=6)
        assert stats.chisquare(counts).pvalue > 1e-3 / 4, (sampler, counts)


def test_figures_draw_samples_beside_neighbours(rng):
    train = rng.uniform(-1, 1, size=(12, 8, 8))
    samples = np.concatenate([train[:3], rng.uniform(-1, 1, size=(3, 8, 8))])
    rep = memorization_report(samples, train)
    vs = ValueScale.fit(None, kind="unit", data_range=(0.0, 16.0))
    fig = nearest_neighbour_figure(samples, train, rep, num=4, value_scale=vs, title="t")
    assert len([a for a in fig.axes if a.images]) == 8
    assert "copy" in fig.axes[0].get_xlabel() and "train #0" in fig.axes[4].get_xlabel()
    fig = ratio_histogram({"a": rep, "b": rep}, title="h")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["a: 50.0% copies", "b: 50.0% copies"]
    fig = sample_grid(samples, value_scale=vs, ncols=4)
    assert len([a for a in fig.axes if a.images]) == 6


def test_figure_errors_are_named(rng):
    train = rng.uniform(-1, 1, size=(4, 2, 2))
    rep = memorization_report(train[:2], train)
    with pytest.raises(ValueError, match="`report` describes 2 samples but `samples` holds 3"):
        nearest_neighbour_figure(train[:3], train, rep)
    with pytest.raises(ValueError, match="`samples` must be a batch of images"):
        sample_grid(np.zeros(4))
    with pytest.raises(ValueError, match="`reports` must hold at least one"):
        ratio_histogram({})


@pytest.mark.parametrize(
    ("samples", "train", "kwargs", "match"),
    [
        (np.zeros((3, 8, 8)), np.zeros((5, 4, 4)), {}, "`train` images must have the size"),
        (np.zeros((3, 4)), np.zeros((1, 4)), {}, "`train` must hold at least 2 images"),
        (np.zeros((3, 4)), np.zeros((0, 4)), {}, "`train` must not be empty"),
        (np.zeros(4), np.zeros((5, 4)), {}, "`samples` must be a batch of images"),
        (np.full((3, 4), np.nan), np.zeros((5, 4)), {}, "`samples` must hold finite values"),
        (np.zeros((3, 4)), np.zeros((5, 4)), {"threshold": 0.0}, "`threshold` must lie in"),
        (np.zeros((3, 4)), np.zeros((5, 4)), {"heldout": np.zeros((2, 5))}, "`heldout` images"),
        (np.zeros((3, 4)), np.zeros((5, 4)), {"chunk_size": 0}, "`chunk_size` must be a positive"),
    ],
)
def test_bad_input_is_named(samples, train, kwargs, match):
    with pytest.raises(ValueError, match=match):
        memorization_report(samples, train, **kwargs)


def test_a_near_copy_of_a_duplicated_training_image_counts_as_memorised():
    # the exact denoiser's copies carry ~1e-16 of round-off: with the image twice in the training
    # set, d1 = d2 ~ 6e-16 would give ratio 1 ("new") if d2 counted the duplicate
    train = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    sample = np.array([[6e-16, 0.0]])
    rep = memorization_report(sample, train)
    assert rep.ratio[0] == pytest.approx(6e-16, rel=1e-6)  # d1 = 6e-16, d2 = 1 (distinct image)
    assert rep.fraction_memorized == 1.0
    assert rep.nearest_index[0] == 0  # an index into `train` (the first of the duplicates)


def test_train_with_one_distinct_image_is_refused():
    with pytest.raises(ValueError, match="at least 2 distinct images"):
        memorization_report(np.zeros((1, 2)), np.zeros((3, 2)))
