"""The ``driftscale`` command line (Typer): one module per command, registered here.

Every command has ``--help`` with an example, ``--seed``, ``--out`` (no overwrite without
``--force``) and ``--json`` where it computes numbers.
"""

from __future__ import annotations

import platform
from importlib import metadata

import typer

from driftscale.cli.demo import demo
from driftscale.cli.fokker_planck import fokker_planck
from driftscale.cli.forward import forward
from driftscale.cli.likelihood import likelihood_command
from driftscale.cli.osmosis import compare_command, osmosis_command
from driftscale.cli.properties import properties_command
from driftscale.cli.sample import sample_command
from driftscale.cli.train import memorization_command, train_command

app = typer.Typer(
    name="driftscale",
    help="Compute, verify and compare drift-diffusion scale-spaces: probabilistic diffusion "
    "(DDPM) and osmosis filtering. Start with `driftscale demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command()(demo)
app.command()(forward)
app.command(name="fokker-planck")(fokker_planck)
app.command(name="osmosis")(osmosis_command)
app.command(name="compare")(compare_command)
app.command(name="sample")(sample_command)
app.command(name="properties")(properties_command)
app.command(name="train")(train_command)
app.command(name="memorization")(memorization_command)
app.command(name="likelihood")(likelihood_command)


@app.command()
def env() -> None:
    """Print the versions of driftscale and its dependencies (paste them into bug reports)."""
    typer.echo(f"python {platform.python_version()} ({platform.platform()})")
    for dist in (
        "driftscale",
        "numpy",
        "scipy",
        "scikit-image",
        "scikit-learn",
        "matplotlib",
        "typer",
        "tqdm",
        "torch",
    ):
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "not installed"
        typer.echo(f"{dist} {version}")


def main() -> None:
    """Entry point of the ``driftscale`` script."""
    app()
