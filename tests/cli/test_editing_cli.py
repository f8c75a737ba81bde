"""CLI `shadow`, `clone`, `inpaint` through Typer's test runner: the embedded examples and the
user's own files, JSON numbers recomputed from the saved arrays, refusal to overwrite, one
path per output, bad input as one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import io
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.experiments.editing_examples import clone_example, shadow_example

runner = CliRunner()
SMALL = ["--shape", "48,72"]


def _png(path, array):
    io.imsave(path, np.clip(np.rint(array), 0, 255).astype(np.uint8), check_contrast=False)
    return path


def _psnr(x, ref, region=None):
    err = (x - ref) ** 2
    return 10 * np.log10(255.0**2 / (err if region is None else err[region]).mean())


def test_shadow_example_writes_figure_image_npz_and_honest_json(tmp_path):
    out, save, npz = tmp_path / "s.png", tmp_path / "clean.png", tmp_path / "s.npz"
    args = ["shadow", *SMALL, "--out", str(out), "--save", str(save), "--npz", str(npz)]
    res = runner.invoke(app, [*args, "--json", "--seed", "7"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # nothing but JSON on stdout
    assert data["command"] == "shadow" and data["seed"] == 7 and data["shape"] == [48, 72, 3]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert io.imread(save).shape == (48, 72, 3)
    arrays = np.load(npz)
    q = data["quality"]
    region = arrays["shadow_region"]
    assert q["psnr_region_after"] == pytest.approx(
        _psnr(arrays["result"], arrays["reference"], region), rel=1e-12
    )  # recomputed from the saved arrays
    assert q["psnr_region_after"] > q["psnr_region_before"] + 6.0
    assert data["solver"]["residual"] <= 1e-14 and data["solver"]["mass_error"] <= 1e-14


def test_shadow_on_own_files_with_reference(tmp_path):
    ex = shadow_example((40, 60))
    img = _png(tmp_path / "photo.png", ex.image)
    mask = _png(tmp_path / "band.png", np.where(ex.boundary_mask, 255, 0))
    ref = _png(tmp_path / "truth.png", ex.reference)
    out = tmp_path / "fig.png"
    args = ["shadow", str(img), "--mask", str(mask), "--reference", str(ref), "--out", str(out)]
    res = runner.invoke(app, [*args, "--solver", "amg"])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stdout and "amg solve" in res.stdout and "psnr_after" in res.stdout


@pytest.mark.parametrize("mode", ["global", "local"])
def test_clone_example_beats_copy_paste(tmp_path, mode):
    out = tmp_path / "c.png"
    res = runner.invoke(app, ["clone", *SMALL, "--mode", mode, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["mode"] == mode and data["offset"] == list(clone_example((48, 72)).offset)
    q = data["quality"]
    assert q["osmosis"]["psnr_region"] > q["copy_paste"]["psnr_region"] + 5.0
    assert q["osmosis"]["seam_error"] < 0.2 * q["copy_paste"]["seam_error"]


def test_clone_own_files_with_offset(tmp_path):
    ex = clone_example((48, 72))
    src = _png(tmp_path / "src.png", ex.source)
    tgt = _png(tmp_path / "tgt.png", ex.target)
    mask = _png(tmp_path / "mask.png", np.where(ex.mask, 255, 0))
    dy, dx = ex.offset
    out, npz = tmp_path / "c.png", tmp_path / "c.npz"
    args = ["clone", str(src), str(tgt), "--mask", str(mask), "--offset", f"{dy},{dx}"]
    res = runner.invoke(app, [*args, "--out", str(out), "--npz", str(npz), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    arrays = np.load(npz)
    assert data["region_pixels"] == int(arrays["region"].sum()) == int(ex.mask.sum())
    assert "psnr" not in data["quality"]["osmosis"]  # no reference given
    assert data["quality"]["osmosis"]["seam_ratio"] < data["quality"]["copy_paste"]["seam_ratio"]


def test_inpaint_example_and_human_output(tmp_path):
    out = tmp_path / "i.png"
    res = runner.invoke(app, ["inpaint", *SMALL, "--edges", "--sigma", "1.5", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "psnr" in res.stdout and "kept_fraction" in res.stdout


def test_inpaint_with_a_full_mask_reproduces_the_image(tmp_path):
    rng = np.random.default_rng(1)
    img = _png(tmp_path / "img.png", rng.integers(0, 256, (20, 24)))
    mask = _png(tmp_path / "all.png", np.full((20, 24), 255))
    out = tmp_path / "i.png"
    args = ["inpaint", str(img), "--mask", str(mask), "--out", str(out), "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["quality"]["psnr"] > 150  # exact up to rounding: ~1e-12 grey levels
    assert data["quality"]["kept_fraction"] == 1.0


def test_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "s.png"
    out.write_bytes(b"user data")
    res = runner.invoke(app, ["shadow", *SMALL, "--out", str(out)])
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    assert out.read_bytes() == b"user data"
    res = runner.invoke(app, ["shadow", *SMALL, "--out", str(out), "--force"])
    assert res.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["shadow", "--out", "x.png", "--save", "x.png"], "name the same file"),
        (["shadow", "--shape", "4,4"], "`--shape` must be H,W with both at least 8"),
        (["shadow", "--shape", "a,b"], "`--shape` must be integers"),
        (["shadow", "--solver", "cg"], "`solver` must be one of 'auto', 'direct', 'amg'"),
        (["shadow", "missing.png", "--mask", "m.png", "--shape", "8,8"], "resizes the embedded"),
        (["clone", "--offset", "1,2,3"], "`--offset` must be DY,DX"),
        (["clone", "--offset", "100,0"], "moves the masked pixels"),
        (["clone", "--mode", "mixed"], "`mode` must be one of 'global', 'local'"),
        (["inpaint", "--edges", "--mask", "m.png"], "either `--mask` or `--edges`"),
        (["inpaint", "--sigma", "0"], "`sigma` must be a positive number"),
        (["inpaint", "missing.png", "--shape", "20,20"], "resizes the embedded example only"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, [*args, *SMALL] if "--shape" not in args else args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and res.stderr.startswith("Error:")
    assert len(res.stderr.strip().splitlines()) == 1


def test_missing_file_is_one_line(tmp_path):
    res = runner.invoke(app, ["shadow", str(tmp_path / "no.png"), "--mask", "m.png"])
    assert res.exit_code == 2 and "does not exist" in res.stderr
