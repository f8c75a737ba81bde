"""The ``driftscale`` command line (Typer): one module per command, registered here.

Every command has ``--help`` with an example, ``--seed``, ``--out`` (no overwrite without
``--force``) and ``--json`` where it computes numbers.
"""

from __future__ import annotations

import typer

from driftscale.cli._common import PlainErrorGroup, versions
from driftscale.cli.compare import compare_command
from driftscale.cli.demo import demo
from driftscale.cli.editing import clone_command, inpaint_command, shadow_command
from driftscale.cli.fokker_planck import fokker_planck
from driftscale.cli.forward import forward
from driftscale.cli.generalization import generalization_command
from driftscale.cli.likelihood import likelihood_command
from driftscale.cli.memorization import memorization_command
from driftscale.cli.osmosis import osmosis_command
from driftscale.cli.properties import properties_command
from driftscale.cli.report import report_command
from driftscale.cli.sample import sample_command
from driftscale.cli.train import train_command

app = typer.Typer(
    name="driftscale",
    help="Compute, verify and compare drift-diffusion scale-spaces: probabilistic diffusion "
    "(DDPM) and osmosis filtering. Start with `driftscale demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=PlainErrorGroup,
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
app.command(name="shadow")(shadow_command)
app.command(name="clone")(clone_command)
app.command(name="inpaint")(inpaint_command)
app.command(name="generalization")(generalization_command)
app.command(name="report")(report_command)
app.command(name="likelihood")(likelihood_command)


@app.command()
def env() -> None:
    """Print the versions of driftscale and its dependencies (paste them into bug reports)."""
    for name, version in versions().items():
        typer.echo(f"{name} {version}")


def main() -> None:
    """Entry point of the ``driftscale`` script."""
    app()
