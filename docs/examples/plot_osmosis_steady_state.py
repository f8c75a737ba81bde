"""
Osmosis converges to the rescaled guidance image
================================================

Linear osmosis ``du/dt = Laplace u - div(d u)`` (Eq. 26 of Peter 2023), discretised as in
Vogel et al. 2013, conserves the mass of ``f``, keeps every pixel positive and, with the
canonical drift of a guidance image ``v``, tends to ``w = (mu_f / mu_v) v``. Here the guidance
is a second image: the evolution carries the cat's mean grey value into the camera man.

``driftscale osmosis`` runs the same experiment (there with a noise guidance by default).
"""

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.transform import resize

from driftscale.data import load_image
from driftscale.experiments import run_osmosis
from driftscale.figures import show_frame

cat = load_image("cat", grey=True)  # float64 on [0, 255]
camera = resize(data.camera().astype(float), cat.shape, anti_aliasing=True)
times = [0, 10, 100, 1000, 10_000, 100_000]
result = run_osmosis(cat, guidance=camera, times=times, rng=0)

fig, axes = plt.subplots(1, len(times), figsize=(2.2 * len(times), 2.2), layout="constrained")
for ax, frame, label in zip(axes, result.frames, result.labels, strict=True):
    show_frame(frame, value_scale=result.value_scale, label=label, ax=ax)

# %%
# The invariants, per frame: mass (to round-off), positivity, and the distance to the steady
# state.
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.loglog(np.maximum(result.times, 1), result.distance_to_steady_state, "o-")
ax.set(xlabel="t (t = 0 drawn at 1)", ylabel="||u(t) - w|| / ||w||")
print("largest relative mass error:", float(result.relative_mass_error.max()))
print("smallest pixel value:", float(result.minimum.min()))
