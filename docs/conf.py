"""Sphinx configuration of the driftscale documentation (pydata-sphinx-theme, numpydoc, gallery).

Build with ``make docs`` (warnings are errors). ``-D plot_gallery=0`` skips running the gallery
examples (the test suite builds that way).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # the sources of this checkout, not an installed copy
sys.path.insert(0, str(HERE / "_ext"))  # typer_reference: the CLI page from the Typer app
os.environ.setdefault("MPLBACKEND", "Agg")

import importlib  # noqa: E402
import pkgutil  # noqa: E402

import sphinx.ext.autosummary as autosummary_module  # noqa: E402

import driftscale  # noqa: E402

# ``import driftscale`` loads its subpackages lazily; the API pages name them as attributes
# (``driftscale.osmosis``), so load every public one here.
for _info in pkgutil.iter_modules(driftscale.__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"driftscale.{_info.name}")

project = "driftscale"
author = "the driftscale developers"
copyright = "the driftscale developers, BSD-3-Clause"
version = release = driftscale.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "typer_reference",
]

exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "examples/*.py",
    "examples/GALLERY_HEADER.rst",
]
templates_path = ["_templates"]
root_doc = "index"
default_role = "py:obj"
nitpicky = False

# --- API reference -------------------------------------------------------------------------
# autosummary's one-line summaries end at the first ". "; the docstrings cite "Eq. (5)",
# "Sec. 3.2", "Prop. 1", which must not end a summary.
autosummary_module.WELL_KNOWN_ABBREVIATIONS = (
    *autosummary_module.WELL_KNOWN_ABBREVIATIONS,
    *("Eq.", "Eqs.", "Sec.", "Prop.", "Props.", "Fig."),
)
autosummary_generate = True
autosummary_imported_members = True
autosummary_ignore_module_all = False  # a subpackage page lists its __all__
autodoc_default_options = {"members": True, "inherited-members": False, "show-inheritance": False}
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types
numpydoc_show_class_members = False  # autodoc documents the members of a class on its page
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()


def _secondary_names() -> set[str]:
    """Classes documented twice (a subpackage page besides their home); index only the home.

    The home of a class is its top-level name when ``driftscale.__all__`` has it, else the
    subpackage that defines it (``Mixture1D`` lives in ``distributions``, ``pde`` re-exports it).
    """
    names = set()
    for info in pkgutil.iter_modules(driftscale.__path__):
        module = importlib.import_module(f"driftscale.{info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            home = getattr(obj, "__module__", "") or ""
            if isinstance(obj, type) and (
                name in driftscale.__all__ or not home.startswith(module.__name__)
            ):
                names.add(f"{module.__name__}.{name}")
    return names


autosummary_context = {"api_noindex": _secondary_names()}

# --- the gallery -------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "reset_modules": ("matplotlib",),
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "doc_module": ("driftscale",),
    "backreferences_dir": None,
}

# --- HTML ------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"driftscale {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}

# intersphinx is off by default: the build must not need the network
intersphinx_mapping: dict[str, tuple[str, None]] = {}

suppress_warnings = ["config.cache"]
smartquotes = False  # keep "--flag" and quotes as typed
