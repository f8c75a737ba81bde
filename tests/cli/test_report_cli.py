"""`driftscale report DIR`: rebuilds the demo's page, refuses to overwrite without --force,
names bad folders; prints the page's path last."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftscale.cli import app
from driftscale.report import REPORT_NAME

runner = CliRunner()


@pytest.fixture
def demo_copy(demo_run, tmp_path) -> Path:
    """A private copy of the session's demo folder (these tests write into it)."""
    return Path(shutil.copytree(demo_run[0], tmp_path / "out"))


def test_report_rebuilds_the_same_page_with_force_and_prints_its_path_last(demo_copy):
    page = demo_copy / REPORT_NAME
    before = page.read_bytes()
    res = runner.invoke(app, ["report", str(demo_copy)])
    assert res.exit_code == 2 and "exists; pass --force" in res.stderr
    page.unlink()
    res = runner.invoke(app, ["report", str(demo_copy)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines()[-1] == str(page)
    assert "MB in all" in res.stdout and page.read_bytes() == before
    res = runner.invoke(app, ["report", str(demo_copy), "--force"])
    assert res.exit_code == 0 and page.read_bytes() == before


def test_report_to_another_page(demo_copy, tmp_path):
    target = tmp_path / "site" / "demo.html"
    res = runner.invoke(app, ["report", str(demo_copy), "--out", str(target)])
    assert res.exit_code == 0, res.output
    assert 'src="../out/scales/diffusion-00.png"' in target.read_text(encoding="utf-8")


def test_report_names_a_bad_folder(tmp_path):
    res = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert (
        res.exit_code == 2 and "`DIR` must be the folder of a `driftscale demo` run" in res.stderr
    )
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: `DIR`") and "has no summary.json" in res.stderr
    assert not (tmp_path / REPORT_NAME).exists()
