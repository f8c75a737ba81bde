"""`run_properties` from Python, as a notebook user calls it: a frozen result holding the
PropertyReports, whose `to_dict()` is what `driftscale properties --json` prints, and whose
numbers show the properties of Sec. 3.1 / Eq. (28) that the paper claims."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from skimage import io
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.data import Dataset
from driftscale.experiments.properties_run import PropertiesResult, format_table, run_properties
from driftscale.properties.report import PropertyReport


@pytest.fixture
def noise_data(rng):
    return Dataset(rng.uniform(0.0, 255.0, (3, 10, 15)), (0.0, 255.0), "noise")


def test_deterministic_processes_side_by_side(noise_data):
    res = run_properties(["osmosis", "homogeneous"], data=noise_data, times=[1, 10, 100], rng=0)
    assert isinstance(res, PropertiesResult) and res.process == "osmosis,homogeneous"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.seed = 1  # type: ignore[misc]
    assert [r.process for r in res.reports] == ["osmosis", "homogeneous"]
    assert all(isinstance(r, PropertyReport) for r in res.reports)
    for rep in res.reports:
        assert rep.data == "noise (first image), scale positive"
        assert rep["initial_state"].evidence["max_abs_difference"] == 0.0  # u(0) is f itself
        # both evolutions conserve the mass (columns of A sum to zero): rounding only
        assert max(rep["mass_conservation"].evidence["relative_deviation"]) < 1e-12
        assert rep["positivity"].holds is True
        assert rep["relative_entropy_increasing"].holds is True  # Eq. (28)
    payload = res.to_dict()
    json.dumps(payload)
    assert payload["process"] == "osmosis,homogeneous" and len(payload["reports"]) == 2
    table = res.format_table()
    assert table == format_table(res.reports)
    assert all(p.id in table for p in res.reports[0].properties)


def test_to_dict_is_what_the_cli_prints(tmp_path, rng):
    path = tmp_path / "img.png"
    io.imsave(path, rng.integers(0, 256, (20, 30), dtype=np.uint8), check_contrast=False)
    options = {"data": str(path), "shape": (10, 15), "times": [1.0, 10.0, 100.0]}
    res = run_properties("homogeneous", rng=2, **options)
    assert res.reports[0].data.startswith("img.png 10x15 grey")
    args = ["properties", "--process", "homogeneous", "--data", str(path), "--shape", "10,15"]
    cli = CliRunner().invoke(app, [*args, "--times", "1,10,100", "--seed", "2", "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout) == json.loads(json.dumps(res.to_dict()))


def test_diffusion_on_the_digits_small():
    res = run_properties(num_samples=200, num_test_samples=60, steps=[1, 10, 100, 1000], rng=3)
    (rep,) = res.reports
    assert rep.process == "diffusion" and rep.data == "digits, scale unit"
    assert rep["initial_state"].evidence["max_abs_difference"] == 0.0
    # Prop. 2 on [-1, 1]: the conditional entropy of Eq. (5) rises with i (no significant drop)
    assert rep["conditional_entropy_increasing"].holds is True
    assert res.to_dict() == rep.to_dict()


def test_bad_input_names_the_argument(noise_data):
    with pytest.raises(ValueError, match="`process` must be one of"):
        run_properties("heat", data=noise_data)
    with pytest.raises(ValueError, match="`process` must be one of"):
        run_properties(["osmosis", "all"], data=noise_data)
    with pytest.raises(ValueError, match="`scale` must be one of 'unit', 'raw', 'zscore'"):
        run_properties(scale="log", data=noise_data)
    with pytest.raises(ValueError, match=r"`shape` must be \(H, W\)"):
        run_properties("homogeneous", data="cat", shape=(3,))
