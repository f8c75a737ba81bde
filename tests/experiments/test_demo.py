"""The demo: from Python (:func:`run_demo_part`, typed results) and its one CLI run per session
(``demo_run`` in conftest.py): every file, the numbers of summary.json, refusal to overwrite."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from driftscale._io import to_jsonable
from driftscale.cli import app
from driftscale.experiments.demo import DEMO_PARTS, DemoPart, run_demo, run_demo_part
from driftscale.experiments.forward_strip import ForwardStripResult

runner = CliRunner()


def test_every_part_wrote_its_files(demo_run):
    out, summary = demo_run
    assert list(summary["parts"]) == list(DEMO_PARTS)
    for name, part in summary["parts"].items():
        assert part["files"], name
        assert f"results/{name}.json" in part["files"], name  # every part's record
        for file in part["files"]:
            data = (out / file).read_bytes()
            if file.endswith(".npz"):
                assert data[:4] == b"PK\x03\x04", file  # a zip archive
                with np.load(out / file) as npz:
                    assert npz.files, file
            elif file.endswith(".json"):
                assert json.loads(data), file
            else:
                assert data[:4] == b"\x89PNG" or file.endswith(".txt"), file
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    listed = {f for part in summary["parts"].values() for f in part["files"]}
    assert written == listed | {"summary.json", "results/run.json", "index.html"}


def test_the_demo_ends_with_the_report_and_prints_its_path_last(demo_run):
    out, summary = demo_run
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "scale-slider" in page
    assert len(summary["parts"]["scales"]["files"]) == 2 * 40 + 1  # frames + record
    res = runner.invoke(app, ["report", str(out), "--out", str(out.parent / "again.html")])
    assert res.exit_code == 0 and res.stdout.strip().splitlines()[-1].endswith("again.html")


def test_record_and_arrays_of_a_part_are_its_result(demo_run):
    part = run_demo_part("fokker-planck", seed=0)
    out, _ = demo_run
    stored = json.loads((out / "results" / "fokker-planck.json").read_text())
    fresh = json.loads(json.dumps(to_jsonable(part.record())))
    assert stored.pop("seconds") > 0 and fresh.pop("seconds") > 0  # wall time: not a number
    assert stored == fresh  # of the result; every other number is the same for the same seed
    arrays = part.arrays()
    with np.load(out / "results" / "fokker-planck.npz") as npz:
        assert set(npz.files) == set(arrays)
        for key, value in arrays.items():
            assert np.array_equal(npz[key], value), key
    assert run_demo_part("forward", seed=0).arrays() == {}


def test_forward_part(demo_run):
    _, summary = demo_run
    assert summary["parts"]["forward"]["summary"]["schedule"]["beta"] == 0.02


def test_compare_part_conserves_mass(demo_run):
    _, summary = demo_run
    frames = summary["parts"]["compare"]["summary"]["osmosis"]["frames"]
    assert max(fr["relative_mass_error"] for fr in frames) <= 1e-12


def test_properties_part_measures_prop1_failing_on_raw_digits(demo_run):
    out, summary = demo_run
    prop1 = summary["parts"]["properties"]["summary"]["prop1_raw_digits"]
    assert prop1["holds"] is False  # Peter 2023, Prop. 1 fails on [0, 16] (measured)
    assert prop1["eq10_all_betas_admissible"] is True
    reports = json.loads((out / "properties.json").read_text())["reports"]
    assert len(reports) == 4


def test_fokker_planck_part(demo_run):
    _, summary = demo_run
    s = summary["parts"]["fokker-planck"]["summary"]
    assert s["order_space"] == pytest.approx(2.0, abs=0.25)  # as promised (see tests/pde)
    assert max(s["l1_pde_vs_closed_form"]) < 0.05**2


def test_reverse_part_copies_training_digits(demo_run):
    _, summary = demo_run
    samplers = summary["parts"]["reverse"]["summary"]["samplers"]
    assert set(samplers) == {"ddpm", "ddim", "sde", "ode", "ddim, 5 steps"}
    for label in ("ddpm", "ddim", "sde", "ode"):  # full-length exact reverse process: copies
        assert samplers[label]["fraction_memorised"] == 1.0


def test_demo_refuses_a_nonempty_folder_before_computing(demo_run):
    out, _ = demo_run
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    res = runner.invoke(app, ["demo", "--out", str(out)])
    assert res.exit_code == 2 and "not empty; pass --force" in res.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_a_part_runs_from_python_and_returns_its_typed_result():
    part = run_demo_part("forward", seed=0)
    assert isinstance(part, DemoPart) and isinstance(part.result, ForwardStripResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        part.seconds = 0.0  # type: ignore[misc]
    assert json.dumps(part.to_dict())
    assert part.summary == part.result.to_dict()


def test_unknown_part_and_bad_seed_are_named():
    with pytest.raises(ValueError, match="`parts` must be among"):
        run_demo(parts=["forward", "nope"])
    with pytest.raises(ValueError, match="`seed` must be a non-negative integer"):
        run_demo_part("forward", seed=-1)
