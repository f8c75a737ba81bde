"""`import driftscale` stays light (no torch, matplotlib, typer, sklearn, skimage, scipy.stats,
tqdm) and every exported name resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

import driftscale

HEAVY = ("torch", "matplotlib", "typer", "sklearn", "skimage", "scipy.stats", "tqdm")


def _loaded_after(statement: str) -> list[str]:
    """The HEAVY modules in sys.modules after ``statement``, in a fresh interpreter."""
    code = f"import sys; {statement}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_import_driftscale_loads_no_heavy_module():
    assert _loaded_after("import driftscale") == []


@pytest.mark.parametrize(
    "module",
    [
        "driftscale._kernels",
        "driftscale.distributions",
        "driftscale.estimators",
        "driftscale.evaluation",
        "driftscale.properties",
    ],
)
def test_the_numerical_packages_load_no_heavy_module(module):
    # scikit-learn (Frechet features) and scipy.stats are imported inside the functions using them
    assert _loaded_after(f"import {module}") == []


def test_the_heavy_check_can_fail():
    assert _loaded_after("import scipy.stats") == ["scipy.stats"]


def test_every_exported_name_resolves_including_the_lazy_torch_ones():
    for name in driftscale.__all__:
        assert getattr(driftscale, name) is not None, name
    from driftscale.learned.denoiser import NetworkDenoiser

    assert driftscale.NetworkDenoiser is NetworkDenoiser


def test_new_public_names_are_importable():
    from driftscale.distributions import GaussianMixture, Mixture1D
    from driftscale.pde import Mixture1D as PdeMixture1D

    assert PdeMixture1D is Mixture1D and GaussianMixture.__name__ == "GaussianMixture"


def test_the_cli_starts_without_numpy_scipy_or_torch():
    # `driftscale --help` imports every command module: they load their libraries on first use
    # (benchmarks/bench_startup.py measures the start-up against `python -c pass`)
    code = (
        "import sys, driftscale.cli; "
        "print(','.join(m for m in ('numpy', 'scipy', 'torch', 'matplotlib', 'sklearn') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
