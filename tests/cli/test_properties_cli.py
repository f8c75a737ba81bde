"""CLI `properties` and its demo part: table, JSON schema, reproducibility with a seed, files,
refusal to overwrite, bad input as one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from driftscale.cli import app

runner = CliRunner()
FAST = ["--samples", "200", "--test-samples", "60", "--steps", "1,10,100,1000"]


def test_json_schema_and_reproducible():
    args = ["properties", *FAST, "--json", "--seed", "3"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["process"] == "diffusion" and data["data"] == "digits, scale unit"
    ids = [p["id"] for p in data["properties"]]
    assert ids[:2] == ["initial_state", "semigroup"] and "steady_state" in ids
    for p in data["properties"]:
        assert set(p) == {"id", "holds", "claim", "evidence", "method"}
    seq = data["lyapunov"]["differential_entropy"]
    assert seq["steps"] == [1.0, 10.0, 100.0, 1000.0] and len(seq["stderr"]) == 4
    # same seed, same bytes
    assert runner.invoke(app, args).stdout == res.stdout


def test_all_side_by_side_writes_files_and_refuses_overwrite(tmp_path):
    out = tmp_path / "props"
    args = ["properties", "--process", "all", *FAST, "--times", "1,100,10000", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (
        "diffusion" in res.stdout
        and "homogeneous" in res.stdout
        and "mass_conservation" in res.stdout
    )
    assert (out / "lyapunov.png").read_bytes()[:4] == b"\x89PNG"
    report = json.loads((out / "properties.json").read_text())
    assert [r["process"] for r in report["reports"]] == ["diffusion", "osmosis", "homogeneous"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_raw_scale_reports_prop1_failure():
    res = runner.invoke(
        app,
        [
            "properties",
            "--scale",
            "raw",
            "--samples",
            "400",
            "--test-samples",
            "60",
            "--steps",
            "10,100,200,300,1000",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    prop1 = next(p for p in data["properties"] if p["id"] == "differential_entropy_increasing")
    assert prop1["holds"] is False and "Prop. 1 does not hold" in prop1["evidence"]["paper_claim"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--process", "heat"], "`--process` must be one of"),
        (["--scale", "log"], "`--scale` must be one of"),
        (["--data", "missing-folder"], "does not exist"),
        (["--steps", "5"], "at least two positive steps"),
        (["--steps", "1,x"], "`--steps` must be integers"),
        (["--samples", "5"], "`--samples` must be at least 20"),
        (["--shape", "3"], "`--shape` must be H,W"),
    ],
)
def test_bad_input_one_line_error(args, match):
    res = runner.invoke(app, ["properties", *args])
    assert res.exit_code == 2
    assert match in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_help_has_example():
    res = runner.invoke(app, ["properties", "--help"])
    assert res.exit_code == 0 and "Example:" in res.stdout


def test_image_file_and_unreadable_file(tmp_path):
    from skimage import io

    img = (np.random.default_rng(0).uniform(0, 255, size=(20, 30))).astype(np.uint8)
    path = tmp_path / "img.png"
    io.imsave(path, img, check_contrast=False)
    res = runner.invoke(
        app,
        [
            "properties",
            "--process",
            "homogeneous",
            "--data",
            str(path),
            "--shape",
            "10,15",
            "--times",
            "1,10,100",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["data"].startswith("img.png 10x15 grey")
    holds = {p["id"]: p["holds"] for p in data["properties"]}
    # homogeneous diffusion couples neighbours, so it does not commute with a random permutation
    assert holds.pop("permutation_invariance") is False
    assert all(h in (True, None) for h in holds.values())
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    res = runner.invoke(app, ["properties", "--data", str(bad)])
    assert res.exit_code == 2 and "could not be read as an image" in res.stderr
