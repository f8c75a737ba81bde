"""``python -m driftscale``: the ``driftscale`` command line.

Also how torchrun starts several training processes of the one ``train`` command:
``torchrun --nproc_per_node=K -m driftscale train --data digits --out run/``.
"""

from driftscale.cli import app

if __name__ == "__main__":
    app(prog_name="driftscale")
