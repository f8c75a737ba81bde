"""CLI `sample` through Typer's test runner: outputs, JSON whose numbers match the saved arrays,
refusal to overwrite, same seed same bytes, bad input as one-line errors, and the demo part."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.data import load_split
from driftscale.evaluation.memorization import memorization_report

runner = CliRunner()
FAST = ["--num-steps", "20", "--n", "12"]


def test_sample_json_matches_saved_arrays(tmp_path):
    out, npz, nn = tmp_path / "g.png", tmp_path / "s.npz", tmp_path / "nn.png"
    args = ["sample", *FAST, "--sampler", "ddim", "--seed", "5", "--out", str(out)]
    res = runner.invoke(app, [*args, "--npz", str(npz), "--nn-out", str(nn), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # nothing but JSON on stdout
    assert data["sample"]["sampler"] == "ddim" and data["sample"]["seed"] == 5
    assert data["num_train"] == 1617 and data["num_heldout"] == 180  # 10% of 1797 held out
    arrays = np.load(npz)
    assert arrays["samples"].shape == (12, 8, 8)
    # the printed fraction is recomputed from the saved arrays with the same split
    split = load_split("digits", heldout=0.1, seed=5)
    rep = memorization_report(arrays["samples"], split.train, heldout=split.heldout)
    assert data["memorization"]["fraction_memorised"] == rep.fraction_memorised
    np.testing.assert_array_equal(arrays["ratio"], rep.ratio)
    assert out.read_bytes()[:4] == b"\x89PNG" and nn.read_bytes()[:4] == b"\x89PNG"
    base = data["baseline_heldout_vs_train"]
    assert base["num_samples"] == 180 and 0.0 <= base["fraction_memorised"] <= 1.0


def test_sample_text_output_and_point_denoiser(tmp_path):
    out = tmp_path / "p.png"
    res = runner.invoke(
        app, ["sample", "--denoiser", "point", "--point-index", "3", *FAST, "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    # every sample of the point denoiser is that training image: 100% copies
    assert "copies (d1/d2 < 0.333): 100.0% (12/12)" in res.stdout


def test_sample_inpainting_keeps_the_known_half(tmp_path):
    npz = tmp_path / "i.npz"
    args = ["sample", *FAST, "--inpaint", "top", "--out", str(tmp_path / "i.png")]
    res = runner.invoke(app, [*args, "--npz", str(npz), "--json"])
    assert res.exit_code == 0, res.output
    samples = np.load(npz)["samples"]
    held = load_split("digits", heldout=0.1, seed=0).heldout
    np.testing.assert_array_equal(samples[:, :4], held[:12, :4])


def test_sample_same_seed_same_bytes(tmp_path):
    got = []
    for name in ("a", "b"):
        npz = tmp_path / f"{name}.npz"
        args = ["sample", *FAST, "--sampler", "sde", "--seed", "9", "--npz", str(npz)]
        res = runner.invoke(app, [*args, "--out", str(tmp_path / f"{name}.png")])
        assert res.exit_code == 0, res.output
        got.append(np.load(npz)["samples"])
    assert got[0].tobytes() == got[1].tobytes()


def test_sample_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "g.png"
    out.write_bytes(b"user data")
    res = runner.invoke(app, ["sample", *FAST, "--out", str(out)])
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    assert out.read_bytes() == b"user data"
    res = runner.invoke(app, ["sample", *FAST, "--out", str(out), "--force"])
    assert res.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--sampler", "euler"], "`--sampler` must be one of 'ddpm', 'ddim', 'sde', 'ode'"),
        (["--denoiser", "net"], "`--denoiser` must be 'exact', 'point' or the run folder"),
        (["--data", "missing-folder"], "does not exist"),
        (["--eta", "0.5"], "`--eta` applies to sampler='ddim' only"),
        (["--n", "0"], "`--num-samples` must be a positive integer"),
        (["--heldout", "1.5"], "`--heldout` must be a fraction in [0, 1)"),
        (["--point-index", "5000", "--denoiser", "point"], "`--point-index` must lie in"),
        (["--inpaint", "bottom"], "`--inpaint` must be one of"),
        (["--schedule", "foo"], "Unknown schedule 'foo'"),
        (["--threshold", "2"], "`--threshold` must lie in (0, 1]"),
    ],
)
def test_sample_bad_input_one_line_error(tmp_path, args, match):
    res = runner.invoke(
        app, ["sample", "--num-steps", "5", *args, "--out", str(tmp_path / "x.png")]
    )
    assert res.exit_code == 2
    assert match in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_sample_help_has_an_example():
    res = runner.invoke(app, ["sample", "--help"])
    assert res.exit_code == 0 and "Example:" in res.stdout


def test_old_and_new_spelling_of_the_number_of_samples(tmp_path):
    got = {}
    for flag in ("--n", "--num-samples"):  # --n is the old spelling, hidden but accepted
        npz, png = tmp_path / f"{flag}.npz", tmp_path / f"{flag}.png"
        args = ["sample", "--num-steps", "5", flag, "3", "--npz", str(npz), "--out", str(png)]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        got[flag] = np.load(npz)["samples"]
    assert got["--n"].shape == (3, 8, 8) and got["--n"].tobytes() == got["--num-samples"].tobytes()
    res = runner.invoke(app, ["sample", "--num-samples", "3", "--n", "4"])
    assert res.exit_code == 2
    assert "`--num-samples` and its old spelling `--n` disagree (3 and 4)" in res.stderr
    shown = runner.invoke(app, ["sample", "--help"]).stdout
    assert "--num-samples" in shown and re.search(r"--n\b(?!-)", shown) is None


def test_python_dash_m_driftscale_runs_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "driftscale", "sample", "--help"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "Example:" in out.stdout and "driftscale sample" in out.stdout
