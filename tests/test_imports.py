"""`import driftscale` stays light (no torch, matplotlib, ...) and every exported name resolves."""

from __future__ import annotations

import subprocess
import sys

import driftscale

HEAVY = ("torch", "matplotlib", "typer", "sklearn", "skimage", "tqdm")


def test_import_driftscale_loads_no_heavy_module():
    code = f"import sys, driftscale; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_exported_name_resolves_including_the_lazy_torch_ones():
    for name in driftscale.__all__:
        assert getattr(driftscale, name) is not None, name
    from driftscale.learned.denoiser import NetworkDenoiser

    assert driftscale.NetworkDenoiser is NetworkDenoiser
