"""The likelihood job: the result's schema, the split and quantisation, reproducibility, the
memorisation signature of the exact denoiser, and a tiny trained run through the same code."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from driftscale.data import load_split as load_training_data
from driftscale.experiments.likelihood_run import FLOAT32_FD_STEP, run_likelihood
from driftscale.learned.checkpoints import CheckpointError
from driftscale.learned.training import TrainConfig, train

# a short schedule keeps the exact runs to about a second; the network run is smaller still
FAST = dict(schedule="linear:1e-3,0.2", T=100, num_images=4, num_steps=20)


@pytest.fixture(scope="module")
def exact_result():
    return run_likelihood(seed=1, **FAST)


def test_result_schema_and_numbers_agree(exact_result):
    res = exact_result
    d = res.to_dict()
    assert set(d["routes"]) == {"vlb", "ode"}
    assert d["num_train"] == 1617 and d["num_heldout"] == 180 and d["dims"] == 64
    assert d["num_images"] == {"train": 4, "heldout": 4}
    for route in ("vlb", "ode"):
        for split in ("train", "heldout"):
            bits = res.bits_per_dim(route, split)
            assert bits.dtype == np.float64 and bits.shape == (4,)
            s = d["routes"][route][split]
            assert s["bits_per_dim_mean"] == pytest.approx(bits.mean(), rel=1e-14)
        assert d["routes"][route]["gap_bits_per_dim"] == pytest.approx(
            d["routes"][route]["heldout"]["bits_per_dim_mean"]
            - d["routes"][route]["train"]["bits_per_dim_mean"]
        )
    assert "train" not in d  # no per-image arrays in the JSON payload


def test_quantisation_is_derived_from_the_data(exact_result):
    q = exact_result.to_dict()["quantisation"]
    assert (q["levels"], q["bin_width"], q["bits_offset"]) == (17, 0.125, 3.0)
    assert (q["raw_levels"], q["raw_low"], q["raw_high"]) == (17, 0.0, 16.0)
    ref = exact_result.to_dict()["reference_bits_per_dim"]
    assert ref["uniform_over_levels"] == pytest.approx(math.log2(17))
    assert ref["uniform_over_training_images"] == pytest.approx(math.log2(1617) / 64)


def test_all_images_of_each_split_of_driftscale_train(exact_result):
    """num_images=None evaluates the whole seed-1 split of `driftscale train` (1617 + 180)."""
    split = load_training_data("digits", heldout=0.1, seed=1)
    est = run_likelihood(seed=1, routes=("vlb",), **(FAST | {"num_images": None, "T": 20}))
    assert est.estimates["vlb"]["train"].nll.size == split.train.shape[0]
    assert est.estimates["vlb"]["heldout"].nll.size == split.heldout.shape[0]


def test_exact_denoiser_memorises_in_bits_per_dim(exact_result):
    """Training digits cost about log2(1617)/64 = 0.167 bits/dim under the bound; held-out ones
    hundreds (measured with T = 1000 in tests/reverse/test_likelihood.py; here T = 100)."""
    gap = exact_result.gaps["vlb"]
    assert gap.train.mean < 0.5
    assert gap.heldout.minimum > 20 * gap.train.maximum
    assert exact_result.gaps["ode"].gap > 3.29 * exact_result.gaps["ode"].gap_se


def test_same_seed_same_bytes(exact_result):
    again = run_likelihood(seed=1, **FAST)
    for route in ("vlb", "ode"):
        for split in ("train", "heldout"):
            a = exact_result.estimates[route][split].nll
            assert a.tobytes() == again.estimates[route][split].nll.tobytes()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("likelihood") / "run"
    split = load_training_data("digits", heldout=0.1, seed=0)
    config = TrainConfig(
        steps=3, batch_size=8, base_channels=8, attention=False, T=20, schedule="linear:1e-2,0.5"
    )
    train(split.train, config=config, run_dir=run, data_spec=split.spec)
    yield run
    torch.set_num_threads(old)


def test_a_trained_run_goes_through_the_same_code(tiny_run):
    res = run_likelihood(denoiser=str(tiny_run), num_images=2, num_steps=5)
    d = res.to_dict()
    assert d["network_dtype"] == "float32" and d["schedule"]["T"] == 20
    assert d["routes"]["ode"]["settings"]["fd_step"] == FLOAT32_FD_STEP
    assert d["routes"]["ode"]["settings"]["jacobian"] == "finite-difference"
    assert set(d["routes"]["ode"]["unconverged_steps"]) == {"train", "heldout"}
    for route in ("vlb", "ode"):
        for split in ("train", "heldout"):
            assert np.all(np.isfinite(res.bits_per_dim(route, split)))


def test_a_trained_run_refuses_other_data(tiny_run):
    with pytest.raises(CheckpointError, match="is not the data the checkpoint was trained on"):
        run_likelihood(denoiser=str(tiny_run), data="cat", num_images=2)


def test_bad_options_are_refused_before_computing(tmp_path):
    with pytest.raises(ValueError, match="`routes` must be one or more of 'vlb', 'ode'"):
        run_likelihood(routes=("elbo",))
    with pytest.raises(ValueError, match="`num_images` must be an integer >= 2"):
        run_likelihood(num_images=1)
    with pytest.raises(ValueError, match=r"`heldout` must be a fraction in \(0, 1\)"):
        run_likelihood(heldout=0.0)
    with pytest.raises(ValueError, match="no such file or folder"):
        run_likelihood(denoiser=str(tmp_path / "missing"))
