"""`run_osmosis` and `run_fig1` from Python, as a notebook user calls them: frozen results whose
`to_dict()` is what `driftscale osmosis --json` / `driftscale compare --json` print, and frames
with the properties of Eq. (26)-(28) and Eq. (4)-(5)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from skimage import io
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.experiments.fig1 import Fig1Result, OsmosisResult, run_fig1, run_osmosis
from driftscale.figures.strips import StripRow

runner = CliRunner()


@pytest.fixture
def small_png(tmp_path, rng):
    path = tmp_path / "small.png"
    io.imsave(path, rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), check_contrast=False)
    return path


def _cli_json(args, out):
    res = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    assert printed.pop("out") == str(out)
    return printed


def test_osmosis_result_conserves_mass_and_increases_eq28(small_png, tmp_path):
    res = run_osmosis(str(small_png), times=[0, 5, 50, 500], rng=4)
    assert isinstance(res, OsmosisResult) and res.seed == 4 and res.guidance == "noise"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.method = "implicit"  # type: ignore[misc]
    np.testing.assert_array_equal(res.frames[0], res.f)  # t = 0 is the image
    np.testing.assert_allclose(res.f, io.imread(small_png) + 1.0, rtol=0, atol=1e-12)  # [1, 256]
    # exact exp(tA) f with rtol 1e-10: the columns of A sum to zero, so the mass is conserved
    # to that tolerance at least
    assert res.relative_mass_error.max() <= 1e-10
    assert res.minimum.min() > 0  # positivity
    assert np.all(np.diff(res.relative_entropy) > 0)  # Eq. (28): L(t) increases
    assert np.all(np.diff(res.distance_to_steady_state) < 0)
    np.testing.assert_allclose(res.w.mean(axis=(0, 1)), res.f.mean(axis=(0, 1)), rtol=1e-12)
    payload = res.to_dict()
    json.dumps(payload)
    args = ["osmosis", str(small_png), "--times", "0,5,50,500", "--seed", "4"]
    assert _cli_json(args, tmp_path / "o.png") == payload


def test_a_guidance_image_equal_to_f_is_the_steady_state(rng):
    image = rng.uniform(0, 255, (12, 16))
    res = run_osmosis(image, guidance=image, times=[0, 3], method="implicit")
    assert res.guidance == "array 12x16" and res.to_dict()["guidance"]["kind"] == "image"
    assert res.distance_to_steady_state[1] <= 1e-10  # nothing moves


def test_fig1_rows_seeds_and_cli_payload(small_png, tmp_path):
    res = run_fig1(str(small_png), steps=[0, 10, 100], times=[0, 10, 100], rng=2)
    assert isinstance(res, Fig1Result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.beta = 0.1  # type: ignore[misc]
    raw = io.imread(small_png).astype(float)
    np.testing.assert_allclose(res.diffusion[0], raw / 127.5 - 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.alpha_bar, 0.98 ** np.array([0, 10, 100]), rtol=1e-12)
    np.testing.assert_allclose(res.diffusion_std, res.diffusion.std(axis=(1, 2, 3)), rtol=1e-12)
    # row (b) is run_osmosis with the same seed: the guidance is the seed's second child
    alone = run_osmosis(str(small_png), times=[0, 10, 100], rng=2)
    assert res.osmosis.v.tobytes() == alone.v.tobytes()
    assert res.osmosis.frames.tobytes() == alone.frames.tobytes()
    rows = res.rows()
    assert all(isinstance(r, StripRow) for r in rows)
    assert list(rows[0].labels) == ["i = 0", "i = 10", "i = 100"]
    assert list(rows[1].labels) == ["t = 0", "t = 10", "t = 100"]
    assert "beta = 0.02" in res.caption and "offset 6" in res.caption
    args = ["compare", str(small_png), "--steps", "0,10,100", "--times", "0,10,100", "--seed", "2"]
    assert _cli_json(args, tmp_path / "c.png") == res.to_dict()


def test_fig1_schedule_grows_with_the_steps(rng):
    res = run_fig1(rng.uniform(0, 255, (8, 8)), steps=[0, 3000], times=[0, 1], rng=0)
    assert res.schedule.T == 3000 and res.to_dict()["diffusion"]["schedule"]["T"] == 3000


def test_bad_input_names_the_argument(rng):
    image = rng.uniform(0, 255, (8, 8))
    with pytest.raises(ValueError, match="`times` must be non-negative"):
        run_osmosis(image, times=[-1, 2])
    with pytest.raises(ValueError, match="`method` must be one of 'exact', 'implicit'"):
        run_osmosis(image, method="rk4")
    with pytest.raises(ValueError, match=r"`tau` must be a positive finite step size, got 0\.0"):
        run_osmosis(image, method="implicit", tau=0.0)  # before the progress bar divides by it
    with pytest.raises(ValueError, match="`steps` must be sorted"):
        run_fig1(image, steps=[5, 0])
    with pytest.raises(ValueError, match="`times` must be sorted"):
        run_fig1(image, times=[5, 0])
