"""The HTML report of the main job (``driftscale demo``), rendered from its results folder.

- :func:`load_results` (``results.py``): read ``summary.json``, ``results/<part>.json`` and
  ``results/<part>.npz`` of a demo folder into a :class:`RunResults`.
- :func:`render_report` (``render.py``): the page, one self-contained HTML file (Jinja2 template
  ``templates/index.html.j2``, style sheet and script of ``assets/`` inlined), linking the
  folder's PNG figures by relative paths; it works offline from ``file://``.
- ``sections.py`` (template data per section), ``charts.py`` (inline SVG charts with hover
  values), ``findings.py`` (where the measurements contradict Peter 2023, written from them).

The report never recomputes a number: everything on the page was stored by an experiment.
"""

from __future__ import annotations

from driftscale.report.findings import Finding, findings
from driftscale.report.render import render_report
from driftscale.report.results import (
    REPORT_NAME,
    RunResults,
    frame_file,
    load_results,
    record_file,
)

__all__ = [
    "REPORT_NAME",
    "Finding",
    "RunResults",
    "findings",
    "frame_file",
    "load_results",
    "record_file",
    "render_report",
]
