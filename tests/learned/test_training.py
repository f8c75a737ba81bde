"""Training: a tiny model overfits, resume continues bit for bit, DDP on 2 CPU processes equals one
process on the concatenated batch, and bad runs or checkpoints get named errors, nothing written."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from driftscale.data import load_split
from driftscale.learned.checkpoints import (
    CHECKPOINT_NAME,
    CheckpointError,
    RunExistsError,
    RunNotFoundError,
    load_checkpoint,
)
from driftscale.learned.config import NetworkShapeError, TrainConfig
from driftscale.learned.denoiser import load_denoiser
from driftscale.learned.training import train

TINY = dict(base_channels=8, attention=False, T=100, schedule="linear:1e-3,0.2")


@pytest.fixture(autouse=True)
def _one_thread():
    # the machine is shared: two intra-op threads next to other processes run 10-40x slower
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def digits():
    return load_split("digits", heldout=0.1, seed=0)


def _same_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_tiny_model_overfits_four_images(digits):
    x = digits.train[:4]
    cfg = TrainConfig(steps=400, batch_size=4, learning_rate=3e-3, seed=0, **TINY)
    res = train(x, config=cfg)
    first, last = res.losses[:10].mean(), res.losses[-50:].mean()
    # A network that ignores its input can do no better than predicting E[eps] = 0: loss 1.0
    # (per-pixel variance of eps). Threshold 0.2: the network explains at least 80% of the noise
    # on these 4 images (measured: 0.09-0.11 after 400 steps for seeds 0-2, about 2x margin).
    # The first 10 steps average 0.60-0.67 (near 1 minus what one step learns): the fall is real.
    assert first > 0.4
    assert last < 0.2
    assert res.losses.shape == (400,) and res.losses.dtype == np.float64
    assert res.step == 400 and res.images_per_second > 0


def test_resume_continues_bit_for_bit(digits, tmp_path):
    x = digits.train[:16]
    cfg = TrainConfig(steps=12, batch_size=4, checkpoint_every=5, ema_decay=0.9, seed=3, **TINY)
    full = train(x, config=cfg)
    run = tmp_path / "run"
    part = train(x, config=TrainConfig(**{**cfg.to_dict(), "steps": 7}), run_dir=run)
    assert load_checkpoint(run)["step"] == 7
    rest = train(x, config=cfg, run_dir=run, resume=True)
    assert part.step == 7 and rest.start_step == 7 and rest.step == 12
    # Same operations in the same order on the CPU, with the generator, optimizer and EMA state
    # restored: the continued run is identical bit for bit (no tolerance needed), across an
    # epoch boundary (16 images / batch 4 = 4 steps per epoch).
    np.testing.assert_array_equal(rest.losses, full.losses)
    for a, b in zip(full.model.parameters(), rest.model.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(full.ema_model.parameters(), rest.ema_model.parameters(), strict=True):
        assert torch.equal(a, b)
    # the checkpoint's EMA denoiser is the run's EMA denoiser
    y = np.random.default_rng(0).standard_normal((3, 8, 8))
    np.testing.assert_array_equal(load_denoiser(run)(y, 40), rest.denoiser()(y, 40))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_cpu_processes_equal_one_process_on_the_concatenated_batch(digits, tmp_path):
    run = tmp_path / "ddp"
    common = [
        "--train-steps",
        "1",
        "--seed",
        "5",
        "--base-channels",
        "8",
        "--no-attention",
        "--T",
        "100",
    ]
    common += ["--schedule", "linear:1e-3,0.2", "--dtype", "float64", "--lr", "1e-3"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--nnodes=1"]
    cmd += ["--master_addr=127.0.0.1", f"--master_port={_free_port()}"]
    cmd += ["-m", "driftscale", "train", "--data", "digits", "--batch", "4"]
    cmd += ["--out", str(run), "--json", *common]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = load_checkpoint(run)
    assert state["world_size"] == 2 and state["step"] == 1
    cfg = TrainConfig(
        steps=1, batch_size=8, seed=5, base_channels=8, attention=False, T=100,
        schedule="linear:1e-3,0.2", dtype="float64", learning_rate=1e-3,
    )  # fmt: skip
    train5 = load_split("digits", heldout=0.1, seed=5).train  # --seed 5 splits too
    one = train(train5, config=cfg)
    # Both see the same 8 images, steps and noise (global draws, rows rank::2); DDP averages two
    # means over 4 images, one process takes one mean over 8: equal up to float64 rounding of the
    # gradient (~1e-16 relative). The first AdamW step moves each weight by lr * g / (|g| + eps),
    # whose sensitivity to g is at most lr / eps * |dg| ~ 1e5 * 1e-16 |g|: 1e-10 is a wide bound
    # (measured: 1e-15).
    moved = 0.0
    init = TrainConfig(**{**cfg.to_dict(), "steps": 1, "learning_rate": 1e-12})
    start = train(train5, config=init).model.state_dict()
    for name, p in one.model.state_dict().items():
        np.testing.assert_allclose(state["model"][name].numpy(), p.numpy(), rtol=0, atol=1e-10)
        moved = max(moved, float((p - start[name]).abs().max()))
    assert moved > 1e-4  # the step did move the weights (lr = 1e-3), so equality is not vacuous
    np.testing.assert_allclose(state["losses"].numpy(), one.losses, rtol=1e-12)


def test_split_is_the_split_of_driftscale_sample(digits):
    from driftscale.experiments.reverse_sampling import run_sampling

    ref = run_sampling("digits", denoiser="point", num_samples=1, num_steps=1, seed=0)
    np.testing.assert_array_equal(digits.train, ref.train)
    np.testing.assert_array_equal(digits.heldout, ref.heldout)


def test_max_seconds_stops_early(digits):
    cfg = TrainConfig(steps=100_000, batch_size=4, **TINY)
    res = train(digits.train[:8], config=cfg, max_seconds=0.5)
    assert 0 < res.step < 100_000 and res.losses.size == res.step


# -- errors: named, and nothing overwritten -------------------------------------------------------
@pytest.fixture
def run8(digits, tmp_path):
    run = tmp_path / "run"
    cfg = TrainConfig(steps=2, batch_size=4, **TINY)
    train(digits.train[:8], config=cfg, run_dir=run)
    return run, cfg


def test_existing_run_is_not_overwritten(digits, run8):
    run, cfg = run8
    before = _same_files(run)
    with pytest.raises(RunExistsError, match=r"already holds a run .*\(--resume\).*\(--force\)"):
        train(digits.train[:8], config=cfg, run_dir=run)
    assert _same_files(run) == before
    train(
        digits.train[:8],
        config=TrainConfig(**{**cfg.to_dict(), "seed": 1}),
        run_dir=run,
        force=True,
    )
    assert _same_files(run) != before


def test_resume_with_other_image_size(run8, rng):
    run, cfg = run8
    before = _same_files(run)
    with pytest.raises(CheckpointError, match=r"trained on images of shape \(8, 8\).*\(16, 16\)"):
        train(rng.uniform(-1, 1, (8, 16, 16)), config=cfg, run_dir=run, resume=True)
    assert _same_files(run) == before


def test_resume_with_other_data(run8, digits):
    run, cfg = run8
    before = _same_files(run)
    with pytest.raises(CheckpointError, match=r"trained on other data"):
        train(digits.train[8:16], config=cfg, run_dir=run, resume=True)
    assert _same_files(run) == before


def test_missing_run_folder(digits, tmp_path):
    cfg = TrainConfig(steps=2, batch_size=4, **TINY)
    with pytest.raises(RunNotFoundError, match=r"run folder .* does not exist"):
        train(digits.train[:8], config=cfg, run_dir=tmp_path / "nope", resume=True)
    assert not (tmp_path / "nope").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunNotFoundError, match=r"holds no checkpoint.pt"):
        load_denoiser(tmp_path / "empty")


def test_corrupt_checkpoint(run8, digits):
    run, cfg = run8
    ckpt = run / CHECKPOINT_NAME
    ckpt.write_bytes(ckpt.read_bytes()[:100])  # truncated, as after a crash without atomic writes
    before = _same_files(run)
    with pytest.raises(CheckpointError, match=r"not a readable checkpoint .* truncated or corrupt"):
        train(digits.train[:8], config=cfg, run_dir=run, resume=True)
    with pytest.raises(CheckpointError, match=r"not a readable checkpoint"):
        load_denoiser(run)
    assert _same_files(run) == before
    torch.save({"weights": torch.zeros(2)}, ckpt)
    with pytest.raises(CheckpointError, match=r"not a driftscale U-Net checkpoint"):
        load_denoiser(run)


def test_bad_training_input(digits, rng):
    with pytest.raises(ValueError, match=r"`batch_size` 16 per process exceeds the 8 images"):
        train(digits.train[:8], config=TrainConfig(steps=1, batch_size=16, **TINY))
    with pytest.raises(NetworkShapeError, match=r"divisible"):
        train(rng.uniform(-1, 1, (4, 7, 7)), config=TrainConfig(steps=1, batch_size=2, **TINY))
    bad = digits.train[:4].copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"`data` must hold finite values only"):
        train(bad, config=TrainConfig(steps=1, batch_size=2, **TINY))
    with pytest.raises(ValueError, match=r"`dtype` must be one of 'float32', 'float64'"):
        TrainConfig(dtype="half")
    with pytest.raises(ValueError, match=r"`resume=True` needs `run_dir`"):
        train(digits.train[:4], config=TrainConfig(steps=1, batch_size=2, **TINY), resume=True)
    with pytest.raises(ValueError, match=r"`steps` must be a positive integer"):
        TrainConfig(steps=0)


def test_config_round_trip_and_caller_rng_untouched(digits):
    cfg = TrainConfig(steps=3, batch_size=4, channel_mults=(1, 2), **TINY)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(CheckpointError, match=r"unknown keys \['colour'\]"):
        TrainConfig.from_dict({**cfg.to_dict(), "colour": 1})
    before = torch.get_rng_state()
    res = train(digits.train[:8], config=cfg)
    assert torch.equal(torch.get_rng_state(), before)  # weights are seeded in a forked RNG
    assert res.data["channels"] == 1 and res.data["image_shape"] == [8, 8]


def test_colour_images_train_and_load(tmp_path, rng):
    x = rng.uniform(-1, 1, (8, 16, 16, 3))  # colour, 16x16, two down-samplings
    cfg = TrainConfig(steps=2, batch_size=4, channel_mults=(1, 2, 2), **TINY)
    res = train(x, config=cfg, run_dir=tmp_path / "c")
    from driftscale.learned.denoiser import NetworkDenoiser

    D = NetworkDenoiser.from_checkpoint(tmp_path / "c")
    assert D.image_shape == (16, 16, 3) and res.data["channels"] == 3
    y = rng.standard_normal((2, 16, 16, 3))
    np.testing.assert_array_equal(D(y, 7), res.denoiser()(y, 7))  # the stored EMA weights
