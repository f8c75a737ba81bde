"""CLI `osmosis` and `compare` (and the `demo` part) through Typer's test runner: outputs, JSON
numbers recomputed from the saved arrays, refusal to overwrite, bad input as one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import io
from typer.testing import CliRunner

from driftscale.cli import app

runner = CliRunner()


@pytest.fixture
def small_png(tmp_path, rng):
    path = tmp_path / "small.png"
    io.imsave(path, rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), check_contrast=False)
    return path


def test_osmosis_writes_strip_npz_and_honest_json(tmp_path, small_png):
    out, npz = tmp_path / "o.png", tmp_path / "o.npz"
    args = ["osmosis", str(small_png), "--times", "0,5,50,500", "--out", str(out)]
    res = runner.invoke(app, [*args, "--npz", str(npz), "--json", "--seed", "4"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # nothing but JSON on stdout
    assert data["guidance"] == {"kind": "noise", "offset": 6.0, "seed": 4}
    assert data["method"] == "exact" and data["times"] == [0, 5, 50, 500]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    arrays = np.load(npz)
    frames, v = arrays["frames"], arrays["v"]
    assert frames.shape == (4, 24, 32, 3) and v.min() > 0
    np.testing.assert_array_equal(frames[0], arrays["f"])
    for fr, u in zip(data["frames"], frames, strict=True):
        assert fr["mean"] == pytest.approx(u.mean(), rel=1e-15)  # recomputed from the file
        assert fr["relative_mass_error"] <= 1e-12 and fr["min"] > 0
    entropy = [fr["relative_entropy_eq28"] for fr in data["frames"]]
    assert np.all(np.diff(entropy) > 0)  # Eq. (28) increases


def test_osmosis_implicit_and_guidance_image(tmp_path, small_png):
    out = tmp_path / "o.png"
    args = ["osmosis", str(small_png), "--guidance", str(small_png), "--grey", "--out", str(out)]
    res = runner.invoke(app, [*args, "--times", "0,3", "--method", "implicit", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["guidance"]["kind"] == "image" and data["shape"] == [24, 32]
    # f is its own guidance: it is the steady state, so nothing moves
    assert data["frames"][1]["distance_to_steady_state"] <= 1e-10


def test_osmosis_human_output(tmp_path, small_png):
    res = runner.invoke(app, ["osmosis", str(small_png), "--out", str(tmp_path / "o.png")])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stdout and "L(t)" in res.stdout


def test_osmosis_refuses_to_overwrite_without_force(tmp_path, small_png):
    out = tmp_path / "o.png"
    out.write_bytes(b"user data")
    res = runner.invoke(app, ["osmosis", str(small_png), "--out", str(out), "--times", "0,1"])
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    assert out.read_bytes() == b"user data"
    res = runner.invoke(app, ["osmosis", str(small_png), "--out", str(out), "--force"])
    assert res.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--times", "-1,2"], "`--times` must be non-negative"),
        (["--times", "0,a"], "`--times` must be numbers separated by commas"),
        (["--method", "rk4"], "`--method` must be one of 'exact', 'implicit', 'explicit'"),
        (["--offset", "0.5"], "non-positive guidance pixels"),
        (["--method", "explicit", "--tau", "5"], "exceeds the explicit stability bound"),
        (["--method", "implicit", "--tau", "0"], "`--tau` must be a positive finite step size"),
    ],
)
def test_osmosis_bad_input_is_one_line_error(tmp_path, small_png, extra, message):
    res = runner.invoke(app, ["osmosis", str(small_png), "--out", str(tmp_path / "o.png"), *extra])
    assert res.exit_code == 2, res.output
    assert message in res.stderr and res.stderr.startswith("Error:")
    assert not (tmp_path / "o.png").exists()


def test_osmosis_guidance_shape_mismatch_and_unreadable_image(tmp_path, small_png, rng):
    other = tmp_path / "other.png"
    io.imsave(other, rng.integers(0, 256, (10, 10), dtype=np.uint8), check_contrast=False)
    out = str(tmp_path / "o.png")
    res = runner.invoke(app, ["osmosis", str(small_png), "--guidance", str(other), "--out", out])
    assert res.exit_code == 2 and "does not match the guidance" in res.stderr
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    res = runner.invoke(app, ["osmosis", str(bad), "--out", out])
    assert res.exit_code == 2 and "could not be read as an image" in res.stderr


def test_compare_json_caption_and_npz(tmp_path, small_png):
    out, npz = tmp_path / "c.png", tmp_path / "c.npz"
    args = ["compare", str(small_png), "--steps", "0,10,100", "--times", "0,10,100"]
    res = runner.invoke(app, [*args, "--out", str(out), "--npz", str(npz), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["diffusion"]["alpha_bar"] == pytest.approx([1.0, 0.98**10, 0.98**100])
    assert data["osmosis"]["guidance"]["offset"] == 6.0
    assert "offset 6" in data["caption"] and "beta = 0.02" in data["caption"]
    arrays = np.load(npz)
    assert arrays["diffusion"].shape == arrays["osmosis"].shape == (3, 24, 32, 3)
    assert data["diffusion"]["frame_std"][2] == pytest.approx(arrays["diffusion"][2].std())
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr


def test_compare_schedule_length_and_unsorted_steps(tmp_path, small_png):
    args = ["compare", str(small_png), "--times", "0,1", "--json"]
    res = runner.invoke(app, [*args, "--steps", "0,5000", "--out", str(tmp_path / "c.png")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["diffusion"]["schedule"]["T"] == 5000  # T grows to max(steps)
    res = runner.invoke(app, [*args, "--steps", "5,0", "--out", str(tmp_path / "d.png")])
    assert res.exit_code == 2 and "`--steps` must be sorted" in res.stderr


@pytest.mark.parametrize("command", ["osmosis", "compare"])
def test_help_ends_with_an_example(command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0 and "Example: driftscale " + command in res.stdout
