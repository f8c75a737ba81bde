"""
Scale-space properties, measured: where Prop. 1 fails
=====================================================

Peter 2023 (Sec. 3.1) proves five scale-space properties of the forward chain.
:func:`~driftscale.experiments.run_properties` measures each of them on samples of the process
itself. On the digits scaled to ``[-1, 1]`` all of them hold. On the raw digits (values
``0..16``) every ``beta`` satisfies the admissibility condition of Eq. (10), yet the
differential entropy rises above that of ``N(0, I)`` and then decreases: Prop. 1 is false in
general (see :ref:`findings`).

The same numbers: ``driftscale properties --scale raw --seed 0``.
"""

from driftscale.experiments import run_properties
from driftscale.figures import lyapunov_figure

unit = run_properties("diffusion", data="digits", scale="unit", rng=0)
raw = run_properties("diffusion", data="digits", scale="raw", rng=0)
print(raw.format_table())

# %%
# The Lyapunov sequences with two standard errors: the differential entropy (Prop. 1), the
# conditional entropy (Prop. 2, closed form and Monte Carlo) and the relative entropy to the
# steady state ``KL(p(u_i) || N(0, I))``, which does decrease on both scalings.
fig = lyapunov_figure([*unit.reports, *raw.reports], title="digits on [-1, 1] and on [0, 16]")

# %%
# Where the entropy peaks, and whether Eq. (10) admits every beta.
prop1 = raw.reports[0]["differential_entropy_increasing"]
print("holds:", prop1.holds, "| peak at step", prop1.evidence["max_at_step"])
print("Eq. (10) admits every beta:", prop1.evidence["eq10_all_betas_admissible"])
