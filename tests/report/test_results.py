"""Reading a results folder back: every part's record and arrays, and named errors."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.experiments.demo import DEMO_PARTS
from driftscale.report import REPORT_NAME, frame_file, load_results, record_file


def test_every_part_has_its_record_and_the_fokker_planck_part_its_arrays(demo_results):
    assert demo_results.parts == list(DEMO_PARTS)
    assert set(demo_results.records) == set(DEMO_PARTS)
    assert demo_results.records["scales"]["command"] == "scales"
    assert demo_results.records["compare"]["command"] == "compare"
    fp = demo_results.arrays["fokker-planck"]
    assert fp["pde"].shape == fp["closed_form"].shape == (len(fp["steps"]), fp["x"].size)
    assert fp["faces"].size == fp["x"].size + 1
    # the stored densities are the ones whose L1 errors the record holds (grid size h)
    h = np.diff(fp["faces"])
    l1 = np.sum(np.abs(fp["pde"] - fp["closed_form"]) * h, axis=1)
    assert l1 == pytest.approx(demo_results.records["fokker-planck"]["l1_pde_vs_closed_form"])


def test_run_file_records_seed_settings_versions_and_time(demo_results):
    run = demo_results.run
    assert run["seed"] == 0 and run["settings"]["num_scales"] == 40
    assert run["versions"]["numpy"] == np.__version__ and "python" in run["versions"]
    assert run["seconds"] > 0


def test_the_listing_holds_every_file_but_the_report(demo_results, demo_run):
    out = demo_run[0]
    names = {name for name, _ in demo_results.files}
    assert REPORT_NAME not in names and (out / REPORT_NAME).is_file()
    assert {frame_file("diffusion", 39), record_file("scales"), "summary.json"} <= names
    assert demo_results.total_bytes == sum((out / n).stat().st_size for n in names)


def test_missing_files_are_named(demo_copy, tmp_path):
    with pytest.raises(FileNotFoundError, match="`folder` must be a results folder"):
        load_results(tmp_path / "nope")
    (demo_copy / record_file("scales")).unlink()
    with pytest.raises(FileNotFoundError, match=r"has no results/scales\.json.*rerun the demo"):
        load_results(demo_copy)
    (demo_copy / "summary.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"`folder` file .*summary\.json.* is not valid JSON"):
        load_results(demo_copy)


def test_frame_file_names_the_process():
    assert frame_file("diffusion", 0) == "scales/diffusion-00.png"
    with pytest.raises(ValueError, match="`process` must be 'diffusion' or 'osmosis'"):
        frame_file("heat", 0)
