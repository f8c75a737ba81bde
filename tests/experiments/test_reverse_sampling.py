"""The sampling experiment from Python: a frozen result whose to_dict() is the CLI's --json, the
exact reverse process regenerating its training images, and a denoiser object used as it is."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from skimage import io
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.data import load_split
from driftscale.experiments.reverse_sampling import SamplingResult, run_sampling
from driftscale.reverse.denoisers import PointDenoiser

SMALL = dict(sampler="ddim", num_samples=12, num_steps=20, seed=5)


@pytest.fixture(scope="module")
def result() -> SamplingResult:
    return run_sampling("digits", **SMALL)


def _without_timing(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("seconds", "out", "npz", "nn_out")}


def test_result_is_frozen_and_its_dict_is_the_cli_json(result, tmp_path):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.seconds = 0.0
    assert result.samples.shape == (12, 8, 8) and result.samples.dtype == np.float64
    d = result.to_dict()
    assert json.loads(json.dumps(d)) == d  # JSON-ready as it is
    args = ["sample", "--sampler", "ddim", "--num-samples", "12", "--num-steps", "20"]
    res = CliRunner().invoke(
        app, [*args, "--seed", "5", "--out", str(tmp_path / "g.png"), "--json"]
    )
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    assert set(cli) == set(d) | {"out"}
    assert _without_timing(cli) == _without_timing(d)  # the same numbers, same seed


def test_arrays_are_the_split_and_the_report_of_these_samples(result):
    split = load_split("digits", heldout=0.1, seed=5)
    np.testing.assert_array_equal(result.train, split.train)
    np.testing.assert_array_equal(result.heldout, split.heldout)
    rep = result.memorization
    assert rep.d1.shape == (12,) and result.baseline.d1.shape == (180,)
    # the report describes these samples: d1 is the distance to the image it names as nearest
    flat = result.samples.reshape(12, -1)
    nearest = split.train.reshape(len(split.train), -1)[rep.nearest_index]
    np.testing.assert_allclose(rep.d1, np.linalg.norm(flat - nearest, axis=1), rtol=1e-12)


def test_the_exact_reverse_process_regenerates_its_training_images(tmp_path):
    # arXiv:2501.17054: with the exact denoiser of a finite set, every sample of the full chain is a
    # training image (the last step's softmax weights are one-hot to float64 here: logit gaps
    # |f_j - f_k|^2 / (2 (1 - alpha_bar_1)) ~ 1e4 between distinct 4x4 images)
    rng = np.random.default_rng(0)
    for k in range(6):
        img = rng.integers(0, 256, (4, 4), dtype=np.uint8)
        io.imsave(tmp_path / f"{k}.png", img, check_contrast=False)
    for sampler in ("ddpm", "ode"):
        res = run_sampling(tmp_path, sampler=sampler, num_samples=16, heldout=0.0, seed=1)
        assert res.memorization.fraction_memorised == 1.0 and res.baseline is None
        assert res.memorization.d1.max() < 1e-9
        assert len(set(res.memorization.nearest_index.tolist())) > 1  # not one image: several


def test_a_denoiser_object_is_used_as_it_is():
    split = load_split("digits", heldout=0.1, seed=0)
    by_name = run_sampling("digits", denoiser="point", point_index=2, num_samples=4, num_steps=8)
    obj = PointDenoiser(split.train[2], "linear:1e-4,0.02")
    by_object = run_sampling("digits", denoiser=obj, num_samples=4, num_steps=8)
    assert by_object.samples.tobytes() == by_name.samples.tobytes()
    assert by_object.denoiser.startswith("PointDenoiser(") and by_name.denoiser == "point"
    np.testing.assert_array_equal(by_name.memorization.nearest_index, [2, 2, 2, 2])


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"inpaint": "bottom"}, ValueError, "`inpaint` must be one of 'none', 'top', 'left'"),
        ({"denoiser": "point", "point_index": 2000}, ValueError, r"`point_index` must lie in"),
        ({"denoiser": "nowhere"}, ValueError, "`denoiser` must be 'exact', 'point' or the run"),
        ({"heldout": 1.0}, ValueError, r"`heldout` must be a fraction in \[0, 1\)"),
        ({"threshold": 0.0}, ValueError, r"`threshold` must lie in \(0, 1\]"),
        ({"schedule": 3}, TypeError, "`schedule` must be a Schedule or a string"),
        (
            {"denoiser": PointDenoiser(np.zeros((4, 4)), "constant:0.02")},
            ValueError,
            r"was trained on images of shape \(4, 4\), but `data` gives \(8, 8\)",
        ),
    ],
)
def test_bad_input_is_named_before_sampling(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        run_sampling("digits", num_steps=2, num_samples=2, **kwargs)
