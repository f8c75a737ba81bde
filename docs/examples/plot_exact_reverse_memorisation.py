"""
The exact reverse process only regenerates its training digits
==============================================================

For a finite training set the minimiser of the denoising loss is known in closed form
(:class:`~driftscale.ExactDenoiser`, the softmax-weighted average of the training images).
arXiv:2501.17054 shows that the reverse dynamics it drives converge to the training samples.
Measured here on scikit-learn's digits: every sample of a full-length sampler is a copy of a
training digit (nearest over second-nearest training distance ``d1/d2 < 1/3``), while real
held-out digits are not.

The same run: ``driftscale sample --sampler ddim --num-samples 64 --out grid.png``.
"""

from driftscale.experiments.reverse_sampling import run_sampling
from driftscale.figures import nearest_neighbour_figure, ratio_histogram

runs = {
    sampler: run_sampling("digits", sampler=sampler, num_samples=64, num_steps=100, seed=0)
    for sampler in ("ddim", "ode")
}
ddim = runs["ddim"]
fig = nearest_neighbour_figure(
    ddim.samples,
    ddim.train,
    ddim.memorization,
    value_scale=ddim.value_scale,
    title="DDIM samples (top) above their nearest training digits (bottom)",
)

# %%
# ``d1/d2`` of the samples against that of the held-out real digits.
reports = {name: run.memorization for name, run in runs.items()}
reports["held-out real digits"] = ddim.baseline
fig = ratio_histogram(reports, title="d1/d2: samples are copies, held-out digits are not")
for name, rep in reports.items():
    print(f"{name}: {100 * rep.fraction_memorised:.1f} % copies")
