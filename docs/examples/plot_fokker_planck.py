"""
The Fokker-Planck equation of the forward chain
===============================================

The forward chain is the exact time-``1/T`` transition of the variance-preserving SDE; its
Feller moments (Eq. 23 of Peter 2023) ``m1 = -beta(t) x / 2``, ``m2 = beta(t)`` give the
Fokker-Planck equation (Eq. 24, with the standard sign of the drift term, see
:ref:`findings`). :func:`~driftscale.experiments.run_fokker_planck` solves it with a
conservative finite-volume scheme from a two-component Gaussian mixture and compares it with
the closed-form marginal (Eq. 5) and with histograms of simulated chains.

The same figures: ``driftscale fokker-planck --refine --out fp.png``.
"""

from driftscale.experiments import run_fokker_planck
from driftscale.figures import convergence_figure, density_snapshots

result = run_fokker_planck("mixture:-2,2;0.3", num_samples=20_000, refine=True, rng=0)
fig = density_snapshots(result.comparison, title=result.title)
print(result.format_table())

# %%
# Measured convergence orders at step 200: second order in space, first order in time for
# backward Euler and second order for TR-BDF2.
fig = convergence_figure(result.refinement)
