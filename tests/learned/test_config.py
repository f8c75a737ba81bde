"""Settings of the learned reverse process: torch-free, round trips, and one set of defaults
for the library and the `train` command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from driftscale.learned.checkpoints import CheckpointError
from driftscale.learned.config import NetworkShapeError, TrainConfig, UNetConfig


def test_config_loads_no_torch():
    code = (
        "import sys, driftscale.learned.config as c; c.TrainConfig().network_config((8, 8)); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_round_trips_and_network_config():
    cfg = TrainConfig(base_channels=8, channel_mults=[1, 2, 2], attention=False, dtype="float64")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg and cfg.channel_mults == (1, 2, 2)
    net = cfg.network_config((16, 16, 3))
    assert net == UNetConfig(image_shape=(16, 16, 3), base_channels=8, channel_mults=(1, 2, 2),
                             attention=False)  # fmt: skip
    assert UNetConfig.from_dict(net.to_dict()) == net and net.channels == 3
    with pytest.raises(CheckpointError, match=r"unknown keys \['width'\]"):
        TrainConfig.from_dict({**cfg.to_dict(), "width": 3})
    with pytest.raises(NetworkShapeError, match="divisible by the U-Net's down-sampling factor 4"):
        cfg.network_config((6, 6))


def test_the_train_command_takes_its_defaults_from_train_config():
    import typer

    from driftscale.cli import app

    command = typer.main.get_command(app).commands["train"]
    defaults = {p.name: p.default for p in command.params}
    cfg = TrainConfig()
    assert cfg.base_channels == 16 == UNetConfig(image_shape=(8, 8)).base_channels  # one width
    assert defaults["base_channels"] == cfg.base_channels and defaults["batch"] == cfg.batch_size
    assert defaults["lr"] == cfg.learning_rate and defaults["dtype"] == cfg.dtype == "float32"
    assert defaults["channel_mults"] == "1,2" and defaults["T"] == cfg.T
    assert defaults["train_steps"] is None  # None: --train-steps, else the old --steps, else 2000
