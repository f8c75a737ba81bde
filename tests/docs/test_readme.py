"""The README runs as written: its shell and Python blocks are extracted and run, and every link
in it resolves to a file of the repository.

The ``make`` lines are not run (``make test`` would run this test again); each must name a target
of the Makefile. Every ``driftscale`` line runs as written, in one scratch folder, in order. The
Python blocks run in fresh interpreters and must print what their comments say.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MAX_LINES = 200


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def _shell_lines() -> list[list[str]]:
    lines = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append(words)
    return lines


def _env() -> dict[str, str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


def test_the_readme_is_short():
    assert len(README.splitlines()) <= MAX_LINES


def test_the_readme_names_no_internal_organisation():
    assert not re.search(r"seed 0{2}|issue [0-9]|CAPABILITIES|\.\./shared", README)


def test_every_shell_line_is_a_make_target_or_a_driftscale_command():
    targets = set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), flags=re.M))
    lines = _shell_lines()
    assert sum(words[0] == "driftscale" for words in lines) >= 5
    for words in lines:
        assert words[0] in ("make", "driftscale"), words
        if words[0] == "make":
            assert set(words[1:]) <= targets, (words, sorted(targets))


@pytest.mark.slow
def test_every_driftscale_command_runs_as_written(tmp_path):
    for words in _shell_lines():
        if words[0] != "driftscale":
            continue
        cmd = [sys.executable, "-m", "driftscale", *words[1:]]
        res = subprocess.run(
            cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=600
        )
        assert res.returncode == 0, (words, res.stdout[-2000:], res.stderr[-2000:])
        if "--out" in words:
            out = tmp_path / words[words.index("--out") + 1]
            assert out.exists(), (words, sorted(p.name for p in tmp_path.iterdir()))


@pytest.mark.slow
def test_the_python_example_runs_and_prints_what_it_says(tmp_path):
    (block,) = _blocks("python")
    assert len(block.strip().splitlines()) <= 12  # "ten lines of Python"
    res = subprocess.run(
        [sys.executable, "-c", block],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    # the comments of its two print lines: Prop. 1 holds on [-1, 1]; every sample is a copy
    assert res.stdout.split() == ["True", "1.0"]


def _links() -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", README)


def test_every_link_resolves():
    links = _links()
    assert links
    for link in links:
        # the tests run offline: papers are cited as text, links point into the repository
        assert not re.match(r"[a-z]+://", link), f"external link {link!r}"
        target = ROOT / link.split("#")[0]
        assert target.is_file(), f"README link {link!r} points to no file"
