"""The generalisation experiments on a tiny network: the result objects, their JSON, the same
bytes for the same seed, and the reuse of trained networks by the disjoint-halves driver."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftscale._io import to_jsonable
from driftscale.experiments._halves import disjoint_subsets
from driftscale.experiments.generalization_run import (
    DENOISER_NAMES,
    run_disjoint_halves,
    run_generalization,
)
from driftscale.figures.generalization import (
    generalization_figure,
    halves_samples_figure,
    transition_figure,
)

TINY = {
    "base_channels": 8,
    "attention": False,
    "T": 50,
    "schedule": "linear:1e-3,0.2",
}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: threads only contend on a shared machine
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from driftscale.data import load_split
    from driftscale.learned.config import TrainConfig
    from driftscale.learned.training import train

    split = load_split("digits", heldout=0.1, seed=0)
    run = tmp_path_factory.mktemp("gen") / "run"
    config = TrainConfig(steps=4, batch_size=16, checkpoint_every=4, **TINY)
    train(split.train, config=config, run_dir=run, data_spec=split.spec)
    return run


@pytest.fixture(scope="module")
def result(checkpoint):
    return run_generalization(
        checkpoint, num_samples=6, num_steps=10, calibration_samples=2, calibration_steps=2
    )


def test_every_denoiser_is_drawn_from_the_same_noise(result):
    assert [r.name for r in result.runs] == list(DENOISER_NAMES)
    for run in result.runs:
        assert run.samples.shape == (6, 8, 8) and run.samples.dtype == np.float64
    # the exact denoiser of the training set copies training images (arXiv:2501.17054); with
    # 10 DDIM steps of this 50-step schedule every sample lands on one (5 steps are too coarse)
    assert result.run("exact").copies.fraction == 1.0
    assert result.run("network").agreement is None
    assert result.run("els").agreement.r2.shape == (6,)
    assert len(result.calibration.schedule.sizes) == 2


def test_to_dict_is_the_json_payload(result):
    d = json.loads(json.dumps(to_jsonable(result.to_dict())))
    assert d["command"] == "generalization" and d["num_samples"] == 6
    assert set(d["denoisers"]) == set(DENOISER_NAMES)
    els = d["denoisers"]["els-calibrated"]
    assert {"copies", "to_network", "frechet_to_heldout", "heldout_d1_median"} <= set(els)
    assert 0.0 <= els["copies"]["ci"][0] <= els["copies"]["fraction"] <= els["copies"]["ci"][1]
    assert d["published_median_r2_els_to_network"]["MNIST"] == 0.94
    assert d["frechet_floor_train_vs_heldout"] > 0
    assert all(not isinstance(v, list) or len(v) <= 2 for v in els.values())  # no arrays
    fig = generalization_figure(result, num=4)
    assert len(fig.axes) == len(DENOISER_NAMES) * 4


def test_same_seed_same_bytes(checkpoint, result):
    again = run_generalization(
        checkpoint,
        num_samples=6,
        num_steps=10,
        calibration_samples=2,
        calibration_steps=2,
        denoisers=("exact", "ls"),
    )
    assert [r.name for r in again.runs] == ["network", "exact", "ls"]
    for name in ("network", "exact", "ls"):
        assert again.run(name).samples.tobytes() == result.run(name).samples.tobytes()


def test_bad_options_are_named(checkpoint):
    with pytest.raises(ValueError, match="`denoisers` must be one of"):
        run_generalization(checkpoint, denoisers=("magic",))
    with pytest.raises(ValueError, match="`padding` must be one of"):
        run_generalization(checkpoint, padding="reflect")
    with pytest.raises(ValueError, match="`data` 'cat' is not the data"):
        run_generalization(checkpoint, data="cat")


def test_disjoint_subsets_are_disjoint_and_nested():
    sub = disjoint_subsets(100, (5, 20, 50), seed=1)
    for n, (a, b) in sub.items():
        assert len(a) == len(b) == n and not set(a) & set(b)
    assert set(sub[5][0]) <= set(sub[20][0]) <= set(sub[50][0])
    with pytest.raises(ValueError, match="`sizes` up to 60 need 2 x 60 = 120 images"):
        disjoint_subsets(100, (60,), seed=0)


def test_disjoint_halves_end_to_end_and_reuse(tmp_path):
    opts = dict(
        sizes=(4, 8),
        run_dir=tmp_path / "halves",
        train_steps=2,
        train_seconds=None,
        num_samples=3,
        num_steps=4,
        **TINY,
    )
    first = run_disjoint_halves("digits", **opts)
    assert [p.size for p in first.pairs] == [4, 8]
    assert all(not t["reused"] for p in first.pairs for t in p.training)
    assert (tmp_path / "halves" / "N8-b" / "done.json").is_file()
    second = run_disjoint_halves("digits", **opts)
    assert all(t["reused"] for p in second.pairs for t in p.training)
    for p, q in zip(first.pairs, second.pairs, strict=True):
        assert p.samples_a.tobytes() == q.samples_a.tobytes()  # the same networks, reloaded
    d = json.loads(json.dumps(to_jsonable(second.to_dict())))
    assert d["sizes"] == [4, 8] and d["network_seeds"] == [0, 1]
    assert set(d["pairs"][0]) == {"size", "a_vs_b", "copies_a", "copies_b", "training"}
    assert transition_figure(second).axes and halves_samples_figure(second).axes
    # other settings: the networks are trained again, not reused
    third = run_disjoint_halves("digits", **{**opts, "train_steps": 3, "sizes": (4,)})
    assert not any(t["reused"] for t in third.pairs[0].training)


def test_the_faces_are_embedded():
    from driftscale.experiments._halves import load_source

    faces = load_source("faces")
    assert faces.name == "faces" and faces.values.shape == (200, 25, 25)
    assert faces.values.min() >= 0.0 and faces.values.max() <= 255.0
    assert faces.scaled().min() >= -1.0 and faces.values.std() > 10  # real images, not flat
