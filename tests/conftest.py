"""Shared fixtures: a seeded generator, strict floating-point errors, a headless matplotlib."""

from __future__ import annotations

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
