"""Render the HTML report of a results folder with Jinja2 (``templates/index.html.j2``).

The page is one HTML file: its style sheet and script (``assets/``) are inlined, its images are
the PNG files of the folder, linked by relative paths, so it works offline from ``file://``
and loads nothing from anywhere else. :func:`render_report` only reads the folder
(:func:`~driftscale.report.results.load_results`) and returns the page's text; the command line
writes it (``driftscale demo``, ``driftscale report``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from driftscale.report.findings import explanations, findings
from driftscale.report.results import REPORT_NAME, RunResults, load_results
from driftscale.report.sections import (
    fokker_planck_section,
    properties_section,
    reverse_section,
    run_section,
    scales_section,
)

__all__ = ["render_report", "report_context"]

TEMPLATE = "index.html.j2"


def _asset(name: str) -> str:
    return resources.files("driftscale.report").joinpath("assets", name).read_text("utf-8")


def _base(folder: Path, location: Path | None) -> str:
    """Prefix of the links to the folder's files from where the page will be written."""
    if location is None:
        return ""
    rel = os.path.relpath(folder.resolve(), location.resolve().parent)
    return "" if rel == "." else Path(rel).as_posix() + "/"


def report_context(results: RunResults, *, base: str = "") -> dict[str, Any]:
    """Everything the template prints, section by section (``None`` for a part not run)."""
    found = findings(results)
    return {
        "seed": results.run.get("seed", results.summary.get("seed")),
        "scales": scales_section(results, base),
        "properties": properties_section(results, base),
        "fokker_planck": fokker_planck_section(results, base),
        "reverse": reverse_section(results, base),
        "findings": found,
        "num_contradictions": sum(f.verdict == "contradicts" for f in found),
        "explanations": explanations(results, found),
        "run": run_section(results),
        "base": base,
        "css": _asset("report.css"),
        "js": _asset("report.js"),
    }


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("driftscale.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(folder: str | Path, *, location: str | Path | None = None) -> str:
    """The HTML report of a ``driftscale demo`` folder.

    Parameters
    ----------
    folder : str or path
        The results folder (``summary.json``, ``results/``, the PNG figures).
    location : str or path, optional
        Where the page will be written (default ``folder/index.html``); its links to the
        folder's files are relative to it.

    Returns
    -------
    str
        The page (UTF-8 text). The same folder gives the same text.
    """
    results = load_results(folder)
    where = None if location is None else Path(location)
    if where is not None and where.resolve() == (results.folder / REPORT_NAME).resolve():
        where = None
    context = report_context(results, base=_base(results.folder, where))
    return _environment().get_template(TEMPLATE).render(**context)
