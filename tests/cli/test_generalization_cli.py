"""`driftscale generalization` through Typer's CliRunner, on a tiny network."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from driftscale.cli import app

runner = CliRunner()
TINY = ["--base-channels", "8", "--no-attention", "--T", "50", "--schedule", "linear:1e-3,0.2"]
FAST = ["--num-samples", "4", "--num-steps", "10"]
FAST += ["--calibration-samples", "2", "--calibration-steps", "2"]


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    yield
    torch.set_num_threads(old)  # --threads 1 below changes the process-wide setting


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("gencli") / "run"
    args = ["train", "--steps", "4", "--batch", "8", "--out", str(run), "--threads", "1", *TINY]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.stderr
    return run


def test_generalization_json_and_figure(run_dir, tmp_path):
    out = tmp_path / "gen.png"
    args = ["generalization", "--checkpoint", str(run_dir), "--out", str(out), *FAST]
    res = runner.invoke(app, [*args, "--threads", "1", "--json"])
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)  # JSON only on stdout
    assert summary["command"] == "generalization" and summary["out"] == str(out)
    assert list(summary["denoisers"]) == [
        "network",
        "exact",
        "gaussian",
        "smoothed",
        "ls",
        "els",
        "els-calibrated",
    ]
    assert summary["denoisers"]["exact"]["copies"]["fraction"] == 1.0
    assert "r2" in summary["denoisers"]["els"]["to_network"]
    assert out.is_file() and out.stat().st_size > 1000
    # no overwrite without --force; with it, the table is printed
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "exists" in again.stderr and "--force" in again.stderr
    text = runner.invoke(app, [*args, "--threads", "1", "--force"])
    assert text.exit_code == 0, text.stderr
    assert "els-calibrated" in text.stdout and "Kamb & Ganguli" in text.stdout


def test_disjoint_halves_writes_figures_and_json_and_reuses(tmp_path):
    out, samples = tmp_path / "transition.png", tmp_path / "pairs.png"
    args = ["generalization", "--disjoint-halves", "--sizes", "4,8", "--train-steps", "2"]
    args += ["--run-dir", str(tmp_path / "halves"), "--num-samples", "3", "--num-steps", "4", *TINY]
    args += ["--out", str(out), "--samples-out", str(samples), "--threads", "1"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert [p["size"] for p in summary["pairs"]] == [4, 8]
    assert out.is_file() and samples.is_file()
    res = runner.invoke(app, [*args, "--force"])
    assert res.exit_code == 0, res.stderr
    assert "reused" in res.stdout  # the trained networks came from --run-dir


def test_bad_input_is_one_line_with_exit_2(run_dir, tmp_path):
    base = ["generalization", "--checkpoint", str(run_dir), "--out", str(tmp_path / "g.png")]
    res = runner.invoke(app, [*base, "--padding", "reflect"])
    assert res.exit_code == 2 and "`padding` must be one of" in res.stderr
    res = runner.invoke(app, [*base, "--samples-out", str(tmp_path / "s.png")])
    assert res.exit_code == 2 and "belongs to --disjoint-halves" in res.stderr
    res = runner.invoke(app, [*base, "--disjoint-halves", "--sizes", "4,x"])
    assert res.exit_code == 2 and "`--sizes` must be integers" in res.stderr
    res = runner.invoke(app, [*base, "--disjoint-halves", "--sizes", "1000"])
    assert res.exit_code == 2 and "need 2 x 1000 = 2000 images" in res.stderr
    res = runner.invoke(app, ["generalization", "--checkpoint", str(tmp_path / "none")])
    assert res.exit_code == 2 and "does not exist" in res.stderr
    assert not (tmp_path / "g.png").exists()
