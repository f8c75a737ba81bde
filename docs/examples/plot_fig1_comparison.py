"""
The paper's Fig. 1: probabilistic diffusion above osmosis
=========================================================

Row (a): the forward chain, Eq. (4) of Peter 2023, with ``beta = 0.02``. Row (b): linear
osmosis, Eq. (26), with the canonical drift ``d = grad v / v`` of a positive noise image
``v = offset + N(0, 1)``, evolved exactly in time (``exp(tA) f``). The paper builds the drift
from "a standard normal noise sample", which is negative at half the pixels; the offset (6)
makes it positive and is printed in the caption.

The same figure: ``driftscale compare --offset 6 --seed 0 --out compare.png``.
"""

from driftscale.experiments import run_fig1
from driftscale.figures import comparison_figure

result = run_fig1("cat", grey=True, rng=0)
fig = comparison_figure(*result.rows(), title=result.title, caption=result.caption)

# %%
# The numbers behind row (b): the mean grey value is conserved, every frame stays positive,
# the relative entropy L(t) of Eq. (28) increases and the distance to the steady state
# ``w = (mu_f / mu_v) v`` falls.
keys = ("time", "mean", "relative_mass_error", "min", "relative_entropy_eq28")
for frame in result.to_dict()["osmosis"]["frames"]:
    print({k: frame[k] for k in (*keys, "distance_to_steady_state")})
