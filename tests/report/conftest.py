"""The report's tests read the session's one demo run (``demo_run`` in tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from driftscale.report import RunResults, load_results


@pytest.fixture(scope="session")
def demo_results(demo_run) -> RunResults:
    """The demo's results folder, read back."""
    return load_results(demo_run[0])


@pytest.fixture
def demo_copy(demo_run, tmp_path) -> Path:
    """A private copy of the demo folder, for tests that write or delete files in it."""
    return Path(shutil.copytree(demo_run[0], tmp_path / "out"))
