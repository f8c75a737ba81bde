"""`driftscale train` and `driftscale memorization` through Typer's CliRunner."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.learned.checkpoints import load_checkpoint

runner = CliRunner()
TINY = ["--base-channels", "8", "--no-attention", "--T", "50", "--schedule", "linear:1e-3,0.2"]


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    yield
    torch.set_num_threads(old)  # --threads 1 below changes the process-wide setting


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "run"
    args = ["train", "--steps", "6", "--batch", "8", "--out", str(run), "--threads", "1", *TINY]
    res = runner.invoke(app, [*args, "--json", "--checkpoint-every", "3"])
    assert res.exit_code == 0, res.stderr
    return run, json.loads(res.stdout)


def test_train_json_and_checkpoint(run_dir):
    run, summary = run_dir
    assert summary["step"] == 6 and summary["world_size"] == 1 and summary["device"] == "cpu"
    assert (run / "checkpoint.pt").is_file() and (run / "config.json").is_file()
    assert summary["data"]["source"] == "digits" and summary["data"]["num_train"] == 1617


def test_train_refuses_to_overwrite_and_resumes(run_dir):
    run, summary = run_dir
    before = (run / "checkpoint.pt").read_bytes()
    res = runner.invoke(app, ["train", "--steps", "6", "--batch", "8", "--out", str(run), *TINY])
    assert res.exit_code == 2
    assert "already holds a run" in res.stderr and "--resume" in res.stderr
    assert (run / "checkpoint.pt").read_bytes() == before
    res = runner.invoke(
        app, ["train", "--steps", "8", "--out", str(run), "--resume", "--threads", "1", "--json"]
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["start_step"] == 6 and out["step"] == 8
    assert out["first_loss"] == pytest.approx(summary["first_loss"], rel=0)  # same curve start


def test_train_bad_input(tmp_path):
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "x"), "--resume", "--steps", "2"])
    assert res.exit_code == 2 and "does not exist" in res.stderr
    res = runner.invoke(app, ["train", "--prediction", "v", "--out", str(tmp_path / "y")])
    assert res.exit_code == 2 and "`prediction` must be one of 'epsilon', 'u0'" in res.stderr
    assert not (tmp_path / "y").exists()
    res = runner.invoke(app, ["train", "--data", str(tmp_path / "none"), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "does not exist" in res.stderr


def test_memorization_json_figure_and_overwrite(run_dir, tmp_path):
    run, _ = run_dir
    out = tmp_path / "mem.png"
    args = ["memorization", "--checkpoint", str(run), "--n", "12", "--num-steps", "5"]
    args += ["--out", str(out), "--threads", "1"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.stderr
    s = json.loads(res.stdout)
    assert out.is_file() and s["num_samples"] == 12
    assert s["step"] == load_checkpoint(run)["step"]  # 6, or 8 after the resume test
    for name in ("learned", "exact"):
        assert 0.0 <= s[name]["fraction_memorised"] <= 1.0
    fr = s["frechet"]
    assert fr["floor_train_vs_heldout"] >= 0 and np.isfinite(fr["learned_vs_heldout"])
    assert s["classifier_heldout_accuracy"] > 0.9  # 10 classes; chance is 0.1
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    res = runner.invoke(app, [*args, "--force"])
    assert res.exit_code == 0 and "Frechet distance" in res.stdout


def test_memorization_bad_input(run_dir, tmp_path):
    run, _ = run_dir
    res = runner.invoke(app, ["memorization", "--checkpoint", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "does not exist" in res.stderr
    res = runner.invoke(
        app,
        [
            "memorization",
            "--checkpoint",
            str(run),
            "--data",
            "cat",
            "--out",
            str(tmp_path / "a.png"),
        ],
    )
    assert res.exit_code == 2 and "is not the data the checkpoint was trained on" in res.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "checkpoint.pt").write_bytes(b"not a checkpoint")
    res = runner.invoke(
        app, ["memorization", "--checkpoint", str(bad), "--out", str(tmp_path / "b.png")]
    )
    assert res.exit_code == 2 and "not a readable checkpoint" in res.stderr
    assert not (tmp_path / "b.png").exists()


def test_sample_with_a_trained_checkpoint(run_dir, tmp_path):
    run, _ = run_dir
    out = tmp_path / "s.png"
    args = ["sample", "--denoiser", str(run), "--sampler", "ddim", "--num-steps", "5", "--n", "8"]
    res = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["denoiser"] == str(run) and summary["sample"]["num_steps"] == 5
    assert out.is_file() and 0.0 <= summary["memorization"]["fraction_memorised"] <= 1.0
    res = runner.invoke(app, [*args, "--data", "cat", "--out", str(tmp_path / "c.png")])
    assert res.exit_code == 2 and "was trained on images of shape (8, 8)" in res.stderr
    res = runner.invoke(app, ["sample", "--denoiser", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such file or folder" in res.stderr


def test_train_steps_old_spelling_and_dtype(tmp_path):
    states = {}
    for flag in ("--steps", "--train-steps"):  # --steps is the old spelling, hidden but accepted
        run = tmp_path / flag.strip("-")
        args = ["train", flag, "2", "--batch", "4", "--out", str(run), "--threads", "1", *TINY]
        res = runner.invoke(app, [*args, "--dtype", "float64", "--json"])
        assert res.exit_code == 0, res.stderr
        assert json.loads(res.stdout)["config"]["dtype"] == "float64"
        states[flag] = load_checkpoint(run)
    old, new = states["--steps"], states["--train-steps"]
    assert old["step"] == new["step"] == 2
    for name, w in new["model"].items():
        assert w.dtype == torch.float64 and torch.equal(w, old["model"][name])  # same run
    res = runner.invoke(app, ["train", "--train-steps", "2", "--steps", "3"])
    assert res.exit_code == 2
    assert "`--train-steps` and its old spelling `--steps` disagree (2 and 3)" in res.stderr
    res = runner.invoke(app, ["train", "--dtype", "half", "--out", str(tmp_path / "h")])
    assert res.exit_code == 2 and "`dtype` must be one of 'float32', 'float64'" in res.stderr
    shown = runner.invoke(app, ["train", "--help"]).stdout
    assert "--train-steps" in shown and "--dtype" in shown
    assert re.search(r"--steps\b", shown) is None
