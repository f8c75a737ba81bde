"""CLI `fokker-planck` and its demo part through Typer's runner: JSON, files, refusal to
overwrite, bad input as one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from driftscale.cli import app

runner = CliRunner()
FAST = ["fokker-planck", "-T", "100", "--steps", "0,10,100", "--cells", "200", "--samples", "5000"]


def test_writes_figure_npz_and_honest_json(tmp_path):
    out, npz = tmp_path / "fp.png", tmp_path / "fp.npz"
    res = runner.invoke(app, [*FAST, "--out", str(out), "--npz", str(npz), "--json", "--seed", "4"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # nothing but JSON on stdout
    assert data["steps"] == [0, 10, 100] and data["seed"] == 4
    assert out.read_bytes()[:4] == b"\x89PNG"
    arrays = np.load(npz)
    h = np.diff(arrays["x"])[0]
    # the printed L1 numbers are the L1 distances of the saved densities
    l1 = h * np.abs(arrays["pde"] - arrays["closed_form"]).sum(axis=1)
    np.testing.assert_allclose(data["l1_pde_vs_closed_form"], l1, rtol=1e-12, atol=1e-15)
    l1_mc = h * np.abs(arrays["monte_carlo"] - arrays["closed_form"]).sum(axis=1)
    np.testing.assert_allclose(data["l1_monte_carlo_vs_closed_form"], l1_mc, rtol=1e-12)
    assert max(abs(m) for m in data["mass_minus_one"]) < 1e-12


def test_same_seed_same_histograms(tmp_path):
    runs = []
    for name in ("a", "b"):
        npz = tmp_path / f"{name}.npz"
        args = [*FAST, "--out", str(tmp_path / f"{name}.png"), "--npz", str(npz), "--seed", "9"]
        assert runner.invoke(app, args).exit_code == 0
        runs.append(np.load(npz)["monte_carlo"])
    np.testing.assert_array_equal(*runs)


def test_refine_and_image_data(tmp_path):
    out = tmp_path / "img.png"
    res = runner.invoke(app, [*FAST, "--data", "image:cat", "--refine", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "measured order in space" in res.stdout
    assert (tmp_path / "img-convergence.png").read_bytes()[:4] == b"\x89PNG"


def test_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "fp.png"
    out.write_bytes(b"user data")
    res = runner.invoke(app, [*FAST, "--out", str(out)])
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    assert out.read_bytes() == b"user data"
    res = runner.invoke(app, [*FAST, "--out", str(out), "--force"])
    assert res.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "gauss:0;1"], "`--data` must look like 'mixture:-2,2;0.3'"),
        (["--method", "euler"], "`--method` must be one of 'exact'"),
        (["--flux", "upwind"], "`--flux` must be one of"),
        (["--steps", "0,500"], "must not exceed the schedule's T = 100"),
        (["--steps", "0,a"], "`--steps` must be integers separated by commas"),
        (["--samples", "0"], "`--samples` must be a positive integer"),
        (["--cells", "0"], "`--cells` must be a positive integer"),
        (["--data", "image:/nonexistent.png"], "nonexistent"),
        (["--schedule", "foo"], "Unknown schedule 'foo'"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path, args, message):
    res = runner.invoke(app, [*FAST, "--out", str(tmp_path / "x.png"), *args])
    assert res.exit_code == 2, res.output
    assert message in res.stderr and res.stderr.startswith("Error: ")
    assert not (tmp_path / "x.png").exists()


def test_help_has_an_example():
    res = runner.invoke(app, ["fokker-planck", "--help"])
    assert res.exit_code == 0 and "Example: driftscale fokker-planck" in res.stdout
