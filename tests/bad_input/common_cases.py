"""Output-path cases that every command with a file ``--out`` must refuse before computing."""

from __future__ import annotations

from pathlib import Path


def output_cases(p: Path, *, npz: bool = True) -> list[tuple[list[str], str]]:
    """(extra arguments, flag named) for bad output paths under the folder ``p``."""
    cases = [
        (["--out", str(p / "o.txt")], "--out"),  # unsupported extension
        (["--out", str(p / "dir")], "--out"),  # a folder where a file is needed
        (["--out", str(p / "afile" / "x.png")], "--out"),  # a file where a folder is needed
        (["--out", str(p / ("n" * 250 + ".png"))], "--out"),  # name too long
        (["--out", str(p / "mine.png")], "--out"),  # exists, no --force
        (["--out", "/proc/driftscale-x.png"], "--out"),  # not writable
    ]
    if npz:
        cases += [
            (["--out", str(p / "a.png"), "--npz", str(p / "a.pdf")], "--npz"),
            (["--out", str(p / "a"), "--npz", str(p / "a")], "--npz"),  # same path twice
        ]
    return cases
