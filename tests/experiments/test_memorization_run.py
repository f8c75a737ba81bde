"""The learned-versus-exact experiment from Python: a frozen result whose to_dict() is the CLI's
--json, its exact half equal to the sampling experiment, and the fingerprint re-check that
refuses data changed since training."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from skimage import io
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.data import load_split
from driftscale.experiments.memorization_run import MemorizationRunResult, run_memorization
from driftscale.experiments.reverse_sampling import run_sampling
from driftscale.learned.checkpoints import CheckpointError
from driftscale.learned.config import TrainConfig
from driftscale.learned.training import train

SCHEDULE = "linear:1e-3,0.2"


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    # the machine is shared (see tests/learned/test_training.py); module scope, so that the
    # module's run and result are computed with the one thread of the CLI's --threads 1 (float32
    # sums depend on the thread count)
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 3-step run on a folder of 12 random 8x8 images (3 held out: pixel features)."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for k in range(12):
        io.imsave(folder / f"{k:02d}.png", rng.integers(0, 256, (8, 8), np.uint8),
                  check_contrast=False)  # fmt: skip
    split = load_split(folder, heldout=0.25, seed=0)
    cfg = TrainConfig(steps=3, batch_size=3, base_channels=8, attention=False, T=50,
                      schedule=SCHEDULE)  # fmt: skip
    run_dir = tmp_path_factory.mktemp("run") / "run"
    train(split.train, config=cfg, run_dir=run_dir, data_spec=split.spec)
    return folder, run_dir


@pytest.fixture(scope="module")
def result(run) -> MemorizationRunResult:
    return run_memorization(run[1], num_samples=6, num_steps=5, sampler="ddim", seed=2)


def test_result_is_frozen_and_its_dict_is_the_cli_json(run, result, tmp_path):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.step = 0
    d = result.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["step"] == 3 and d["num_train"] == 9 and d["num_heldout"] == 3
    assert d["frechet"]["feature_space"].startswith("pixels")  # no labels in a folder
    assert "classifier_heldout_accuracy" not in d
    args = ["memorization", "--checkpoint", str(run[1]), "--num-samples", "6", "--num-steps", "5"]
    args += ["--seed", "2", "--threads", "1", "--out", str(tmp_path / "m.png"), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    assert cli.pop("out") == str(tmp_path / "m.png")
    for name in ("learned", "exact"):  # timings differ, every number else is the same
        assert cli[name].pop("seconds") >= 0 and d[name].pop("seconds") >= 0
    assert cli == d


def test_the_exact_half_is_the_sampling_experiment(run, result):
    folder, _ = run
    ref = run_sampling(folder, sampler="ddim", num_samples=6, num_steps=5, schedule=SCHEDULE,
                       T=50, heldout=0.25, seed=0)  # fmt: skip
    np.testing.assert_array_equal(result.train, ref.train)  # the split rebuilt from the spec
    # with the same seed for the sampler: the same exact denoiser, grid and noise, same bytes
    exact = run_memorization(run[1], num_samples=6, num_steps=5, sampler="ddim", seed=0).exact
    assert exact.samples.tobytes() == ref.samples.tobytes()
    np.testing.assert_array_equal(exact.report.ratio, ref.memorization.ratio)
    assert not np.array_equal(result.learned.samples, result.exact.samples)
    fr = result.frechet
    assert fr.floor_train_vs_heldout >= 0 and np.isfinite(fr.learned_vs_heldout)


def test_data_changed_since_training_is_refused(run, tmp_path):
    folder, run_dir = run
    with pytest.raises(CheckpointError, match="is not the data the checkpoint was trained on"):
        run_memorization(run_dir, data="digits", num_samples=2, num_steps=2)
    changed = tmp_path / "changed"
    changed.mkdir()
    for p in sorted(folder.iterdir()):
        (changed / p.name).write_bytes(p.read_bytes())
    for p in sorted(changed.iterdir()):  # edit every image, so training images change too
        io.imsave(folder / p.name, 255 - io.imread(p), check_contrast=False)
    try:
        with pytest.raises(CheckpointError, match=r"rebuilt from .* differs from the checkpoint"):
            run_memorization(run_dir, num_samples=2, num_steps=2)
    finally:
        for p in sorted(changed.iterdir()):  # restore the module's data for the other tests
            (folder / p.name).write_bytes(p.read_bytes())
    with pytest.raises(ValueError, match=r"`threshold` must lie in \(0, 1\]"):
        run_memorization(run_dir, num_samples=2, num_steps=2, threshold=2.0)
