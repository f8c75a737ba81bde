"""
The forward process on one image
================================

The forward Markov chain of a DDPM, Eq. (4) of Peter 2023,
``u_i = sqrt(1 - beta_i) u_(i-1) + sqrt(beta_i) g``, with the paper's constant
``beta = 0.02`` on scikit-image's cat. The frames are drawn by exact semigroup jumps
(Property 2: one draw of ``p(u_i | u_0)``, Eq. (5), per requested step) instead of ``i``
single steps; each frame is labelled with its ``alpha_bar_i``.

The same figure: ``driftscale forward --out forward.png``.
"""

from driftscale.experiments import run_forward_strip
from driftscale.figures import film_strip

result = run_forward_strip("cat", schedule="constant:0.02", steps=[0, 10, 50, 100, 250, 500], rng=0)
fig = film_strip(result.frames, result.labels, value_scale=result.value_scale, title=result.title)

# %%
# The closed-form marginal makes any schedule cheap to inspect; DDPM's linear schedule
# (Ho et al. 2020) destroys the image more slowly at first.
linear = run_forward_strip("cat", schedule="linear:1e-4,0.02", steps=[0, 100, 300, 1000], rng=0)
fig = film_strip(linear.frames, linear.labels, value_scale=linear.value_scale, title=linear.title)

# %%
# ``to_dict()`` is what ``driftscale forward --json`` prints.
print(linear.to_dict())
