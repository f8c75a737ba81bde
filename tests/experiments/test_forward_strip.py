"""`run_forward_strip` from Python, as a notebook user calls it: a frozen result whose
`to_dict()` is what `driftscale forward --json` prints, and frames that follow Eq. (4)-(5)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.experiments.forward_strip import ForwardStripResult, run_forward_strip
from driftscale.schedules import Schedule


@pytest.fixture
def image(rng):
    return rng.uniform(0.0, 255.0, size=(64, 64))


def test_result_is_frozen_and_its_frames_follow_eq5(image):
    res = run_forward_strip(image, schedule="constant:0.02", T=400, steps=[0, 10, 400], rng=5)
    assert isinstance(res, ForwardStripResult) and res.seed == 5 and res.image == "array 64x64"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.seed = 1  # type: ignore[misc]
    np.testing.assert_array_equal(res.frames[0], res.f)  # step 0 is the image itself
    np.testing.assert_allclose(res.f, image / 127.5 - 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(res.alpha_bar, 0.98 ** np.array([0, 10, 400]), rtol=1e-12)
    # Eq. (5): u_i = sqrt(ab) f + sqrt(1 - ab) g. Each frame mean is a z-test with the exact
    # standard error sqrt(1 - ab) / 64; |z| < 5 has false-alarm rate 6e-7 per frame.
    se = np.sqrt(1.0 - res.alpha_bar[1:]) / 64.0
    z = (res.frame_mean[1:] - res.expected_mean[1:]) / se
    assert np.all(np.abs(z) < 5.0), z
    # at i = 400, ab = 3e-4: u is N(0, 1) up to sqrt(ab) |f| <= 0.018; the std of a sample std
    # of n = 4096 is 1 / sqrt(2n) = 0.011, so 5 of those plus the bias is the tolerance
    assert abs(res.frame_std[-1] - 1.0) < 5 * 0.011 + 0.018


def test_same_seed_same_bytes_and_a_drawn_seed_is_recorded(image):
    a = run_forward_strip(image, T=50, steps=[0, 50], rng=None)
    assert isinstance(a.seed, int)
    b = run_forward_strip(image, T=50, steps=[0, 50], rng=a.seed)
    assert a.frames.tobytes() == b.frames.tobytes()
    c = run_forward_strip(image, T=50, steps=[0, 50], rng=np.random.default_rng(1))
    assert c.seed is None and c.to_dict()["seed"] is None


def test_to_dict_is_what_the_cli_prints(tmp_path):
    options = {"schedule": "linear:1e-4,0.02", "T": 60, "steps": [0, 5, 60], "grey": True}
    res = run_forward_strip("cat", method="step", rng=7, **options)
    payload = res.to_dict()
    json.dumps(payload)  # JSON-ready as it is
    args = ["forward", "--grey", "--schedule", "linear:1e-4,0.02", "-T", "60", "--steps", "0,5,60"]
    out = tmp_path / "f.png"
    cli = CliRunner().invoke(
        app, [*args, "--method", "step", "--seed", "7", "--out", str(out), "--json"]
    )
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.stdout)
    assert printed.pop("out") == str(out)
    assert printed == payload


def test_bad_input_names_the_argument(image, rng):
    with pytest.raises(ValueError, match="`steps` must be sorted"):
        run_forward_strip(image, steps=[5, 1])
    with pytest.raises(ValueError, match="`method` must be one of 'jump', 'step'"):
        run_forward_strip(image, method="euler")
    with pytest.raises(ValueError, match="`grey` converts image files only"):
        run_forward_strip(rng.uniform(0, 255, (4, 4, 3)), grey=True)
    with pytest.raises(ValueError, match="`T` = 10 disagrees with the schedule's T = 1000"):
        run_forward_strip(image, schedule=Schedule.constant(0.02), T=10)
    with pytest.raises(TypeError, match=r"`rng` must be a numpy\.random\.Generator"):
        run_forward_strip(image, rng="seed")


def test_the_experiments_load_no_heavy_module():
    heavy = ("torch", "matplotlib", "typer", "sklearn", "skimage", "tqdm")
    code = (
        "import sys, driftscale.experiments; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""  # figures, data files and progress bars load them when used
