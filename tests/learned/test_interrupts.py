"""Interrupted training (real SIGINT / SIGTERM to a subprocess): a checkpoint at the step
reached, ``--resume`` continues bit for bit (every tensor of the state equal to an uninterrupted
run's), and identical runs give identical checkpoint bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.learned.checkpoints import load_checkpoint

SRC = str(Path(__file__).parents[2] / "src")
TINY = ["--base-channels", "8", "--no-attention", "--T", "50", "--schedule", "linear:1e-3,0.2"]
COMMON = ["--batch", "8", "--threads", "1", "--checkpoint-every", "2", "--json", *TINY]


@pytest.fixture(autouse=True)
def _restore_threads():
    old = torch.get_num_threads()
    yield
    torch.set_num_threads(old)


def _train(out: Path, steps: int, *extra: str) -> None:
    res = CliRunner().invoke(
        app, ["train", "--out", str(out), "--train-steps", str(steps), *COMMON, *extra]
    )
    assert res.exit_code == 0, res.stderr


def _interrupted_run(out: Path, signum: int) -> tuple[int, str]:
    """Start a long run in a subprocess, signal it once its first checkpoint exists."""
    cmd = [sys.executable, "-m", "driftscale", "train", "--out", str(out)]
    cmd += ["--train-steps", "100000", *COMMON]
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, stderr
    return proc.returncode, stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_checkpoints_the_step_reached_and_resume_is_exact(tmp_path, signum):
    run = tmp_path / "run"
    _, stderr = _interrupted_run(run, signum)
    step = int(load_checkpoint(run)["step"])
    assert step >= 2 and f"after step {step}" in stderr and stderr.count("Error:") == 1
    assert "Traceback" not in stderr
    assert [p.name for p in run.iterdir() if p.name.startswith(".")] == []  # no temp files
    total = step + 2
    _train(run, total, "--resume")
    _train(tmp_path / "reference", total)  # the same run, never interrupted
    _assert_same_state(load_checkpoint(run), load_checkpoint(tmp_path / "reference"))


def _assert_same_state(a: object, b: object, key: str = "") -> None:
    """Every tensor bit-identical, every other value equal (weights, EMA, optimizer, noise
    generator, losses, step, settings)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(map(str, a)) == sorted(map(str, b)), key
        for k in a:
            _assert_same_state(a[k], b[k], f"{key}/{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), key
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_state(x, y, f"{key}/{i}")
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a, b), key
    else:
        assert a == b, (key, a, b)


def test_identical_runs_give_identical_checkpoint_bytes(tmp_path):
    _train(tmp_path / "a", 3)
    _train(tmp_path / "b", 3)
    assert (tmp_path / "a" / "checkpoint.pt").read_bytes() == (
        tmp_path / "b" / "checkpoint.pt"
    ).read_bytes()


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--batch", "4"], "batch_size"),
        (["--lr", "0.5"], "learning_rate"),
        (["--schedule", "linear:1e-4,0.02"], "schedule"),
    ],
)
def test_resume_refuses_changed_settings(tmp_path, extra, flag):
    _train(tmp_path / "r", 2)
    before = (tmp_path / "r" / "checkpoint.pt").read_bytes()
    args = ["train", "--out", str(tmp_path / "r"), "--resume", "--train-steps", "4", *COMMON]
    res = CliRunner().invoke(app, [*args, *extra])
    assert res.exit_code == 2 and flag in res.stderr and res.stderr.count("Error:") == 1
    assert (tmp_path / "r" / "checkpoint.pt").read_bytes() == before


def test_resume_refuses_a_total_below_the_step_reached(tmp_path):
    _train(tmp_path / "r", 4)
    args = ["train", "--out", str(tmp_path / "r"), "--resume", "--train-steps", "2", *COMMON]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and "`--train-steps` must be at least" in res.stderr
