"""The documentation site: it builds with warnings as errors, its API reference has a page with the
docstring of every name in ``driftscale.__all__``, its command-line reference has every command,
and every gallery example runs and draws its figure.

The build runs without executing the gallery (``-D plot_gallery=0``, about 30 s on 2 cores);
the gallery examples run one by one below (about 25 s in all), so the suite covers what
``make docs`` does.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import driftscale

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("plot_*.py"))
BUILD_OUTPUTS = ("_build", "generated", "auto_examples", "sg_execution_times.rst")

for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
    pytest.importorskip(module, reason="the docs extra: pip install -e '.[docs]'")


def _env() -> dict[str, str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built from a copy of docs/ (the checkout stays clean), without the gallery."""
    tmp = tmp_path_factory.mktemp("docs")
    src = tmp / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns(*BUILD_OUTPUTS))
    html = tmp / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    cmd += ["-D", "plot_gallery=0", str(src), str(html)]
    res = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    return html


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors(site):
    index = (site / "index.html").read_text()
    for page in ("getting_started", "user_guide/index", "findings", "benchmarks", "cli", "api"):
        assert (site / f"{page}.html").is_file(), page
        assert f'href="{page}.html"' in index, page
    for page in ("forward", "osmosis", "properties", "pde", "exact_reverse", "learned_reverse"):
        assert (site / "user_guide" / f"{page}.html").is_file(), page
    gallery = (site / "auto_examples" / "index.html").read_text()
    for example in EXAMPLES:
        assert f"{example.stem}.html" in gallery, example.name


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _first_words(obj: object, count: int = 4) -> str:
    """The first words of the docstring's summary that carry no markup."""
    summary = inspect.getdoc(obj).split("\n\n")[0]
    words = [w for w in summary.split() if re.fullmatch(r"[A-Za-z][A-Za-z,;-]*", w)]
    return " ".join(words[:count])


@pytest.mark.slow
@pytest.mark.parametrize("name", driftscale.__all__)
def test_every_public_name_has_an_api_page_with_its_docstring(site, name):
    page = site / "generated" / f"driftscale.{name}.html"
    assert page.is_file(), f"no API page for driftscale.{name}: add it to docs/api.rst"
    html = page.read_text()
    assert f'id="driftscale.{name}"' in html
    obj = getattr(driftscale, name)
    if name == "__version__":
        assert "The version of driftscale" in _plain(html)
    else:
        words = _first_words(obj)
        assert words and all(w in _plain(html) for w in words.split()), (name, words)


@pytest.mark.slow
def test_the_command_line_reference_has_every_command(site):
    import typer.main

    from driftscale.cli import app

    html = (site / "cli.html").read_text()
    for name, command in typer.main.get_command(app).commands.items():
        assert f'id="driftscale-{name}"' in html, name
        for param in command.params:
            if not param.hidden and param.param_type_name == "option":
                assert param.opts[0] in html, (name, param.opts[0])


def test_the_gallery_has_at_least_six_examples():
    assert len(EXAMPLES) >= 6, [e.name for e in EXAMPLES]


RUN_EXAMPLE = """
import runpy, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
runpy.run_path(sys.argv[1], run_name="__main__")
print("figures:", len(plt.get_fignums()))
"""


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_gallery_example_runs_and_draws_its_figure(example, tmp_path):
    res = subprocess.run(
        [sys.executable, "-c", RUN_EXAMPLE, str(example)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    figures = int(re.search(r"figures: (\d+)", res.stdout).group(1))
    assert figures >= 1, res.stdout[-2000:]
    assert not list(tmp_path.iterdir()), "an example wrote files; examples only draw"
