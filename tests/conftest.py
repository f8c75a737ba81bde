"""Shared fixtures: a seeded generator, strict floating-point errors, a headless matplotlib."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator: every statistical test in the suite is reproducible."""
    return np.random.default_rng(20230301)


@pytest.fixture(autouse=True)
def _strict_float_and_clean_figures():
    old = np.seterr(all="raise", under="ignore")
    yield
    np.seterr(**old)
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Path, dict]:
    """``driftscale demo --seed 0`` run once per test session: its folder and summary.json.

    Every test of the demo's files and numbers reads this one run (about 20 s on 2 cores).
    """
    from typer.testing import CliRunner

    from driftscale.cli import app

    out = tmp_path_factory.mktemp("demo") / "driftscale-out"
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", "0"])
    assert res.exit_code == 0, res.output
    return out, json.loads((out / "summary.json").read_text())
