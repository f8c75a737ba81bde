"""Data loading and value scaling: ranges, round trips, folders, and named errors."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import io

from driftscale.data import ValueScale, load_dataset, load_digits, load_image, load_split, scale


def test_cat_and_digits_defaults():
    cat = load_image()
    assert cat.shape == (300, 451, 3) and cat.dtype == np.float64
    assert 0 <= cat.min() and cat.max() <= 255
    grey = load_image("cat", grey=True, shape=(30, 45))
    assert grey.shape == (30, 45)
    digits = load_digits()
    assert digits.values.shape == (1797, 8, 8) and digits.data_range == (0.0, 16.0)
    assert digits.values.max() == 16.0


@pytest.mark.parametrize("kind", ["unit", "raw", "zscore", "positive"])
def test_value_scale_round_trip(kind, rng):
    x = rng.uniform(0, 255, size=(5, 6))
    vs = ValueScale.fit(x, kind=kind)
    np.testing.assert_allclose(vs.invert(vs.apply(x)), x, rtol=1e-12)


def test_value_scale_ranges():
    x = np.array([0.0, 255.0])
    np.testing.assert_allclose(scale(x, kind="unit"), [-1, 1])
    np.testing.assert_allclose(scale(x, kind="positive"), [1, 256])
    z = scale(np.array([1.0, 2.0, 3.0]), kind="zscore")
    assert z.mean() == pytest.approx(0) and z.std() == pytest.approx(1)
    np.testing.assert_allclose(
        scale(np.array([0.0, 16.0]), kind="unit", data_range=(0, 16)), [-1, 1]
    )


def test_folder_of_images(tmp_path):
    for k in range(3):
        io.imsave(
            tmp_path / f"im{k}.png", np.full((4, 5), 10 * k, dtype=np.uint8), check_contrast=False
        )
    ds = load_dataset(tmp_path)
    assert ds.values.shape == (3, 4, 5) and ds.values[2, 0, 0] == 20.0
    io.imsave(tmp_path / "odd.png", np.zeros((3, 3), dtype=np.uint8), check_contrast=False)
    with pytest.raises(ValueError, match="must have the same shape"):
        load_dataset(tmp_path)


def test_sixteen_bit_images_map_to_0_255(tmp_path):
    io.imsave(tmp_path / "a.tif", np.array([[0, 65535]], dtype=np.uint16), check_contrast=False)
    np.testing.assert_allclose(load_image(tmp_path / "a.tif"), [[0.0, 255.0]])


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda p: load_image(p / "none.png"), FileNotFoundError, "does not exist"),
        (lambda p: load_image(p), ValueError, "must be a file, got the folder"),
        (lambda p: load_dataset(p / "none"), FileNotFoundError, "pass 'digits', 'cat'"),
        (lambda p: load_dataset(p), ValueError, "holds no images"),
        (lambda p: ValueScale.fit([1.0], kind="log"), ValueError, "`scale` must be one of"),
        (lambda p: ValueScale.fit([1.0, 1.0], kind="zscore"), ValueError, "not constant"),
        (lambda p: load_image("cat", shape=(0, 3)), ValueError, "`shape` must be"),
    ],
)
def test_bad_input_is_named(tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(tmp_path)


def test_split_is_a_seeded_partition_with_aligned_labels():
    digits = load_digits()
    split = load_split("digits", heldout=0.1, seed=3)
    assert split.train.shape == (1617, 8, 8) and split.heldout.shape == (180, 8, 8)
    assert split.train.min() == -1.0 and split.train.max() == 1.0  # [0, 16] -> [-1, 1]
    # the two parts are a partition of the data set: together, every image exactly once
    both = np.concatenate([split.train, split.heldout])
    raw = split.value_scale.invert(both).reshape(len(both), -1)
    order = np.lexsort(raw.T)
    ref = digits.values.reshape(1797, -1)
    np.testing.assert_array_equal(raw[order], ref[np.lexsort(ref.T)])
    # the labels follow their images: the same permutation [seed, 1] picks both
    perm = np.random.default_rng([3, 1]).permutation(1797)
    np.testing.assert_array_equal(split.train_labels, digits.labels[perm[180:]])
    np.testing.assert_array_equal(split.heldout_labels, digits.labels[perm[:180]])
    np.testing.assert_array_equal(
        split.value_scale.invert(split.train[0]), digits.values[perm[180]]
    )
    again = load_split("digits", heldout=0.1, seed=3)
    assert again.train.tobytes() == split.train.tobytes()  # same seed, same split
    assert not np.array_equal(load_split("digits", heldout=0.1, seed=4).train, split.train)
    assert split.spec == {
        "source": "digits", "heldout": 0.1, "split_seed": 3, "grey": False, "scale": "unit"
    }  # fmt: skip


def test_split_without_heldout_and_of_a_folder(tmp_path):
    whole = load_split("digits", heldout=0.0)
    assert whole.heldout is None and whole.heldout_labels is None and len(whole.train) == 1797
    for k in range(4):
        io.imsave(tmp_path / f"{k}.png", np.full((2, 3), 50 * k, np.uint8), check_contrast=False)
    split = load_split(tmp_path, heldout=0.25, seed=0)
    assert split.train.shape == (3, 2, 3) and split.heldout.shape == (1, 2, 3)
    assert split.train_labels is None and split.spec["source"] == str(tmp_path.resolve())


@pytest.mark.parametrize(
    ("heldout", "match"),
    [(1.0, r"`heldout` must be a fraction in \[0, 1\)"), (-0.1, "must be a fraction")],
)
def test_split_rejects_bad_fractions(heldout, match):
    with pytest.raises(ValueError, match=match):
        load_split("digits", heldout=heldout)


def test_split_must_leave_training_images():
    with pytest.raises(ValueError, match=r"`heldout` 0.9 leaves no training images of 1"):
        load_split("cat", heldout=0.9)
