"""`driftscale likelihood` through Typer's CliRunner: JSON, table, figure, path and input errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from driftscale.cli import app

runner = CliRunner()
FAST = ["--schedule", "linear:1e-3,0.2", "--T", "50", "--n", "3", "--num-steps", "10"]


@pytest.fixture(scope="module")
def json_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ll") / "ll.png"
    res = runner.invoke(app, ["likelihood", *FAST, "--out", str(out), "--json", "--seed", "2"])
    assert res.exit_code == 0, res.stderr
    return out, json.loads(res.stdout)


def test_json_payload_and_figure(json_run):
    out, payload = json_run
    assert out.is_file() and out.stat().st_size > 0
    assert payload["command"] == "likelihood" and payload["out"] == str(out)
    assert payload["quantisation"]["levels"] == 17 and payload["seed"] == 2
    for route in ("vlb", "ode"):
        r = payload["routes"][route]
        assert r["train"]["num_images"] == 3 and r["heldout"]["num_images"] == 3
        assert r["heldout"]["bits_per_dim_mean"] > r["train"]["bits_per_dim_mean"]


def test_table_and_single_route(tmp_path):
    out = tmp_path / "vlb.png"
    res = runner.invoke(app, ["likelihood", *FAST, "--route", "vlb", "--out", str(out)])
    assert res.exit_code == 0, res.stderr
    assert "17 levels on [0, 16]" in res.stdout and "held-out minus train" in res.stdout
    assert "  ode " not in res.stdout and f"wrote {out}" in res.stdout


def test_refuses_to_overwrite_before_computing(json_run):
    out, _ = json_run
    before = out.read_bytes()
    res = runner.invoke(app, ["likelihood", *FAST, "--out", str(out)])
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: `--out`") and "--force" in res.stderr
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--route", "elbo"], "Error: `--route` must be one of vlb, ode, both, got 'elbo'"),
        (["--n", "-1"], "Error: `--n` must be a number of images >= 0"),
        (["--divergence", "skilling"], "Error: `--divergence` must be one of exact, hutchinson"),
        (["--denoiser", "no/such/run"], "no such file or folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    res = runner.invoke(app, ["likelihood", *FAST, "--out", str(tmp_path / "x.png"), *args])
    assert res.exit_code == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()
