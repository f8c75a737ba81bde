"""The one assertion of the bad-input tables: a refused command exits with code 2, prints
exactly one ``Error:`` line naming the flag and no traceback, writes or changes no file, and
returns within a few seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftscale.cli import app

SECONDS = 15.0  # generous on a busy 2-core machine; the refusals themselves take milliseconds


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and folder under ``folder`` (hidden ones too) with its bytes."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
        for p in sorted(folder.rglob("*"))
    }


def assert_refused(args: list[str], flag: str, folder: Path) -> str:
    """Run ``driftscale *args`` in-process and check the refusal; returns the error line."""
    before = snapshot(folder)
    t0 = time.perf_counter()
    res = CliRunner().invoke(app, args)
    seconds = time.perf_counter() - t0
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    lines = [line for line in res.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, res.stderr
    assert flag in lines[0], (flag, lines[0])
    assert "Traceback" not in res.output and not res.stdout.strip(), res.output
    assert snapshot(folder) == before, "a refused command wrote or changed files"
    assert seconds < SECONDS, seconds
    return lines[0]


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A folder with an existing user file, a sub-folder and a file where a folder is needed."""
    (tmp_path / "mine.png").write_bytes(b"user data")
    (tmp_path / "dir").mkdir()
    (tmp_path / "afile").write_text("not a folder")
    return tmp_path
