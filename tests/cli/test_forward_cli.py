"""CLI `forward`, `demo` and `env` through Typer's test runner: outputs, JSON, refusal to
overwrite, bad input as one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from driftscale.cli import app

runner = CliRunner()


def test_forward_writes_strip_npz_and_json(tmp_path):
    out, npz = tmp_path / "s.png", tmp_path / "s.npz"
    args = ["forward", "--steps", "0,5,20", "-T", "20", "--out", str(out), "--npz", str(npz)]
    res = runner.invoke(app, [*args, "--json", "--seed", "3"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["steps"] == [0, 5, 20] and data["seed"] == 3
    assert data["alpha_bar"] == pytest.approx([1.0, 0.98**5, 0.98**20])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    arrays = np.load(npz)
    assert arrays["frames"].shape == (3, 300, 451, 3)
    np.testing.assert_array_equal(arrays["frames"][0], arrays["f"])
    # the printed mean of each frame is the mean of the saved frame, computed honestly
    assert data["frames"][2]["mean"] == pytest.approx(arrays["frames"][2].mean())


def test_forward_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "s.png"
    out.write_bytes(b"user data")
    res = runner.invoke(app, ["forward", "--out", str(out), "-T", "10", "--steps", "0,1"])
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    assert out.read_bytes() == b"user data"
    res = runner.invoke(
        app, ["forward", "--out", str(out), "-T", "10", "--steps", "0,1", "--force"]
    )
    assert res.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"


def test_forward_same_seed_same_npz(tmp_path):
    arrays = []
    for name in ("a", "b"):
        npz = tmp_path / f"{name}.npz"
        res = runner.invoke(
            app,
            [
                "forward",
                "--grey",
                "-T",
                "50",
                "--steps",
                "0,50",
                "--seed",
                "11",
                "--out",
                str(tmp_path / f"{name}.png"),
                "--npz",
                str(npz),
            ],
        )
        assert res.exit_code == 0, res.output
        arrays.append(np.load(npz)["frames"])
    assert arrays[0].tobytes() == arrays[1].tobytes()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--steps", "5,1"], "`--steps` must be sorted"),
        (["--steps", "0,x"], "`--steps` must be integers"),
        (["--steps", "0,2000"], "must not exceed the schedule's T = 1000"),
        (["--schedule", "foo"], "Unknown schedule 'foo'"),
        (["--schedule", "constant:1.2"], "strictly inside (0, 1)"),
        (["--method", "euler"], "`--method` must be one of"),
        (["missing.png"], "does not exist"),
    ],
)
def test_forward_bad_input_one_line_error(tmp_path, args, match):
    res = runner.invoke(app, ["forward", *args, "--out", str(tmp_path / "x.png")])
    assert res.exit_code == 2
    assert match in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_unreadable_image_is_named(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    res = runner.invoke(app, ["forward", str(bad), "--out", str(tmp_path / "x.png")])
    assert res.exit_code == 2 and "could not be read as an image" in res.stderr


def test_help_teaches_with_an_example():
    res = runner.invoke(app, ["forward", "--help"])
    assert res.exit_code == 0 and "Example:" in res.stdout
    res = runner.invoke(app, ["env"])
    assert res.exit_code == 0 and "numpy" in res.stdout
