"""A results folder, read back for the report: ``summary.json`` and ``results/``.

``driftscale demo`` writes, beside its figures, ``results/run.json`` (seed, settings, versions,
wall times), ``results/<part>.json`` (each part's :meth:`~driftscale.experiments.demo.DemoPart.
record`, the ``to_dict()`` of its result) and ``results/<part>.npz`` (the arrays the report draws,
:meth:`~driftscale.experiments.demo.DemoPart.arrays`). :func:`load_results` reads them, so the
report is rebuilt from files alone and never recomputes a number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "REPORT_NAME",
    "RESULTS_DIR",
    "RUN_FILE",
    "RunResults",
    "frame_file",
    "load_results",
    "record_file",
]

REPORT_NAME = "index.html"
RESULTS_DIR = "results"
RUN_FILE = f"{RESULTS_DIR}/run.json"
SCALES_DIR = "scales"


def record_file(part: str, suffix: str = ".json") -> str:
    """Where a part's record (``.json``) or arrays (``.npz``) lie, relative to the folder.

    Examples
    --------
    >>> record_file("fokker-planck", ".npz")
    'results/fokker-planck.npz'
    """
    return f"{RESULTS_DIR}/{part}{suffix}"


def frame_file(process: str, index: int) -> str:
    """The PNG of frame ``index`` of the scale slider, ``process`` "diffusion" or "osmosis".

    Examples
    --------
    >>> frame_file("osmosis", 3)
    'scales/osmosis-03.png'
    """
    if process not in ("diffusion", "osmosis"):
        raise ValueError(f"`process` must be 'diffusion' or 'osmosis', got {process!r}")
    return f"{SCALES_DIR}/{process}-{int(index):02d}.png"


@dataclass(frozen=True)
class RunResults:
    """What the report shows, as read from a results folder.

    Attributes
    ----------
    folder : Path
        The results folder (the report's links are relative to it).
    summary : dict
        ``summary.json``: per part its files, summary numbers and wall time.
    run : dict
        ``results/run.json``: seed, settings, versions, wall times.
    records : dict
        Part name -> ``results/<part>.json``.
    arrays : dict
        Part name -> the arrays of ``results/<part>.npz`` (parts without one are absent).
    files : tuple of (str, int)
        Every file in the folder (relative path, size in bytes), except the report itself.
    """

    folder: Path
    summary: dict[str, Any]
    run: dict[str, Any]
    records: dict[str, dict[str, Any]]
    arrays: dict[str, dict[str, np.ndarray]]
    files: tuple[tuple[str, int], ...]

    @property
    def parts(self) -> list[str]:
        """The parts of the run, in the order they ran."""
        return list(self.summary["parts"])

    def part_files(self, part: str) -> list[str]:
        """The files a part wrote (relative paths), as listed in ``summary.json``."""
        return list(self.summary["parts"].get(part, {}).get("files", []))

    @property
    def total_bytes(self) -> int:
        """Size of the folder's files, the report excluded."""
        return sum(size for _, size in self.files)


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(
            f"`folder` {str(folder)!r} has no {name}: give the folder of a `driftscale demo` run "
            f"(a run before the report existed lacks {RESULTS_DIR}/; rerun the demo)"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"`folder` file {str(path)!r} is not valid JSON: {exc}") from None


def _listing(folder: Path) -> tuple[tuple[str, int], ...]:
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != REPORT_NAME and not path.name.startswith("."):
            files.append((rel, path.stat().st_size))
    return tuple(files)


def load_results(folder: str | Path) -> RunResults:
    """Read a results folder written by ``driftscale demo``.

    Parameters
    ----------
    folder : str or path
        The demo's ``--out`` folder.

    Returns
    -------
    RunResults

    Raises
    ------
    FileNotFoundError
        When the folder, ``summary.json``, ``results/run.json`` or a part's record is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"`folder` must be a results folder, got {str(folder)!r}")
    summary = _read_json(folder, "summary.json")
    run = _read_json(folder, RUN_FILE)
    records = {part: _read_json(folder, record_file(part)) for part in summary.get("parts", {})}
    arrays = {}
    for part in records:
        path = folder / record_file(part, ".npz")
        if path.is_file():
            with np.load(path, allow_pickle=False) as npz:
                arrays[part] = {key: npz[key] for key in npz.files}
    return RunResults(folder, summary, run, records, arrays, _listing(folder))
