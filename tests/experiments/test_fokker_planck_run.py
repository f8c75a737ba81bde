"""`run_fokker_planck` from Python, as a notebook user calls it: a frozen result whose
`to_dict()` is what `driftscale fokker-planck --json` prints (but the wall time), and densities
that agree with the closed form of Eq. (5) to the accuracy of the scheme."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.experiments.fokker_planck_run import (
    FokkerPlanckResult,
    load_mixture,
    run_fokker_planck,
)
from driftscale.pde.grid import Mixture1D, parse_data_spec

SMALL = {"T": 100, "steps": [0, 10, 100], "num_cells": 200, "num_samples": 5000}


def test_result_is_frozen_and_the_pde_matches_the_closed_form():
    res = run_fokker_planck(rng=4, **SMALL)
    assert isinstance(res, FokkerPlanckResult) and res.refinement is None and res.seed == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.seed = 0  # type: ignore[misc]
    c = res.comparison
    assert c.steps.tolist() == [0, 10, 100] and c.pde.shape == (3, 200)
    # the finite-volume scheme conserves mass exactly (rounding of ~200 cells only)
    assert np.max(np.abs(c.mass - 1.0)) < 1e-12
    # second order in h = 0.1 (orders measured in tests/pde): L1 <= 0.25 h^2
    assert c.l1_pde.max() < 0.25 * 0.1**2
    # the printed L1 numbers are those of the densities held by the result
    h = c.grid.h
    np.testing.assert_allclose(h * np.abs(c.pde - c.closed_form).sum(axis=1), c.l1_pde, rtol=1e-12)


def test_to_dict_is_what_the_cli_prints(tmp_path):
    res = run_fokker_planck(rng=4, **SMALL)
    payload = res.to_dict()
    json.dumps(payload)
    args = ["fokker-planck", "-T", "100", "--steps", "0,10,100", "--cells", "200"]
    out = tmp_path / "fp.png"
    cli = CliRunner().invoke(
        app, [*args, "--samples", "5000", "--seed", "4", "--out", str(out), "--json"]
    )
    assert cli.exit_code == 0, cli.output
    printed = json.loads(cli.stdout)
    assert printed.pop("out") == str(out)
    assert printed.pop("seconds") >= 0 and payload.pop("seconds") >= 0  # wall time differs
    assert printed == payload


def test_refinement_and_a_mixture_object():
    spec = "mixture:-1,1.5;0.2,0.4;1,3"
    res = run_fokker_planck(spec, refine=True, rng=1, **SMALL)
    assert res.refinement is not None
    assert res.refinement.space_order == pytest.approx(2.0, abs=0.25)  # second order in space
    assert "measured order in space" in res.format_table()
    mixture, spec_back, _ = load_mixture(parse_data_spec(spec))
    assert parse_data_spec(spec_back) == mixture  # the recorded spec round-trips
    same = run_fokker_planck(mixture, rng=1, **SMALL)
    assert same.comparison.monte_carlo.tobytes() == res.comparison.monte_carlo.tobytes()
    assert same.data == spec_back and isinstance(same.mixture, Mixture1D)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="`method` must be one of 'exact'"):
        run_fokker_planck(method="euler")
    with pytest.raises(ValueError, match="`flux` must be one of"):
        run_fokker_planck(flux="upwind")
    with pytest.raises(ValueError, match="`num_samples` must be a positive integer"):
        run_fokker_planck(num_samples=0)
    with pytest.raises(ValueError, match="must not exceed the schedule's T = 100"):
        run_fokker_planck(T=100, steps=[0, 500])
    with pytest.raises(ValueError, match=r"`data` must look like 'mixture:-2,2;0\.3'"):
        run_fokker_planck("gauss:0;1")
