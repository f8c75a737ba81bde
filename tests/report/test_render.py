"""The page: rebuilt from the folder's files alone (same bytes as the demo's), self-contained,
every link inside the folder, the numbers of the records on it."""

from __future__ import annotations

import html
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from driftscale.report import REPORT_NAME, frame_file, render_report
from driftscale.report.charts import fmt
from driftscale.report.results import RESULTS_DIR


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.links.append(value)
            if name == "id":
                self.ids.add(value)


def _parse(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    return parser


def test_the_demo_page_is_the_page_rebuilt_from_its_files(demo_run):
    out = demo_run[0]
    assert render_report(out) == (out / REPORT_NAME).read_text(encoding="utf-8")


def test_every_link_is_an_anchor_of_the_page_or_a_file_of_the_folder(demo_run):
    out = demo_run[0]
    page = _parse((out / REPORT_NAME).read_text(encoding="utf-8"))
    assert page.links
    for link in page.links:
        if link.startswith("#"):
            assert link[1:] in page.ids, link
        elif link != "data:,":  # the empty icon: keeps the browser from asking for favicon.ico
            assert "://" not in link and not link.startswith("/"), link
            assert (out / link).resolve().is_relative_to(out.resolve()), link
            assert (out / link).is_file(), link


def test_the_page_carries_its_style_and_script_and_every_section(demo_run):
    text = (demo_run[0] / REPORT_NAME).read_text(encoding="utf-8")
    for section in (
        "scales",
        "properties",
        "lyapunov",
        "fokker-planck",
        "reverse",
        "findings",
        "run",
    ):
        assert f'<section id="{section}">' in text
    assert '<link rel="stylesheet"' not in text and "<script src" not in text
    assert 'id="scale-slider"' in text and text.count("<svg") >= 10


def _slider_data(text: str) -> list[dict]:
    start = text.index('<script type="application/json" id="scales-data">')
    body = text[text.index(">", start) + 1 : text.index("</script>", start)]
    return json.loads(body)


def test_the_numbers_on_the_page_are_the_records(demo_results, demo_run):
    text = html.unescape((demo_run[0] / REPORT_NAME).read_text(encoding="utf-8"))
    rec = demo_results.records["scales"]
    frames = _slider_data(text)
    assert len(frames) == rec["num_scales"] == 40
    for k, (fr, d, o) in enumerate(
        zip(frames, rec["diffusion"]["frames"], rec["osmosis"]["frames"], strict=True)
    ):
        assert fr["osmosis"] == frame_file("osmosis", k) and fr["diffusion"].endswith(
            f"{k:02d}.png"
        )
        assert (
            fr["cells"]["o-distance"] == f"‖u − w‖ / ‖w‖ = {fmt(o['distance_to_steady_state'], 3)}"
        )
        assert fr["cells"]["o-lyapunov"] == f"L(t) = {fmt(o['relative_entropy_eq28'])}"
        assert fr["cells"]["d-scale"] == f"i = {d['step']}, ᾱ = {fmt(d['alpha_bar'])}"
    # frame 0 is printed into the table itself (the page shows it before any script runs)
    assert f'<td data-cell="o-distance">{frames[0]["cells"]["o-distance"]}</td>' in text
    for name, version in demo_results.run["versions"].items():
        assert f"<th>{name}</th><td>{version}</td>" in text


def test_the_page_works_from_the_files_alone_and_from_another_place(demo_copy, tmp_path):
    # only the stored results and figures: no experiment runs (there is nothing to run from)
    only = Path(
        shutil.copytree(
            demo_copy, tmp_path / "only", ignore=shutil.ignore_patterns("properties.txt")
        )
    )
    assert render_report(only)  # a missing optional text table is not needed
    elsewhere = tmp_path / "site" / "page.html"
    elsewhere.parent.mkdir()
    text = render_report(demo_copy, location=elsewhere)
    links = [link for link in _parse(text).links if not link.startswith(("#", "data:"))]
    assert links and all(link.startswith("../out/") for link in links)
    assert all((elsewhere.parent / link).is_file() for link in links)
    assert (demo_copy / RESULTS_DIR / "scales.json").is_file()


def test_a_folder_without_results_is_refused(tmp_path):
    (tmp_path / "summary.json").write_text('{"seed": 0, "parts": {}}')
    with pytest.raises(FileNotFoundError, match=r"has no results/run\.json"):
        render_report(tmp_path)


def test_a_run_with_some_parts_shows_only_their_sections(demo_copy):
    summary = json.loads((demo_copy / "summary.json").read_text())
    summary["parts"] = {"forward": summary["parts"]["forward"]}
    (demo_copy / "summary.json").write_text(json.dumps(summary))
    text = render_report(demo_copy)
    assert '<section id="findings">' in text and '<section id="run">' in text
    assert 'id="scale-slider"' not in text and '<section id="properties">' not in text
