"""
Where does generalisation come from? The loss gap
=================================================

The exact denoiser of a finite training set (:class:`~driftscale.ExactDenoiser`) minimises the
DDPM training loss (Ho et al. 2020), and its reverse process only regenerates the training
images (arXiv:2501.17054). A trained U-Net (:func:`driftscale.learned.training.train`) does not
reach that minimiser: its loss is nearly the same on training and on held-out digits, while the
exact denoiser's loss explodes on digits it never saw. This example trains a small U-Net for
30 s on one CPU thread (the measured run on :ref:`guide-learned-reverse` trains for 300 s) and
measures the epsilon-loss of both denoisers on fresh draws of ``(u_0, i, epsilon)``.

The full comparison (copies, Frechet distance):
``driftscale train --out run/`` then ``driftscale memorization --checkpoint run/``.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from driftscale.data import load_split
from driftscale.learned.config import TrainConfig
from driftscale.learned.training import train
from driftscale.reverse.denoisers import ExactDenoiser

torch.set_num_threads(1)
data = load_split("digits", heldout=0.1, seed=0)  # [-1, 1], the split of `driftscale sample`
config = TrainConfig(base_channels=8, steps=20_000, seed=0)
result = train(data.train, config=config, max_seconds=30)
learned = result.denoiser()
exact = ExactDenoiser(data.train, learned.schedule)


def epsilon_loss(denoiser, images, rng, num=2048):
    """Mean and standard error of ``|eps_hat - eps|^2`` per pixel over fresh draws."""
    i = rng.integers(1, 1001, num)
    u0 = images[rng.integers(0, len(images), num)]
    eps = rng.standard_normal(u0.shape)
    ab = learned.schedule.alpha_bar[i][:, None, None]
    ui = np.sqrt(ab) * u0 + np.sqrt(1 - ab) * eps
    hat = np.concatenate([denoiser(ui[a : a + 512], i[a : a + 512]) for a in range(0, num, 512)])
    err = (((ui - np.sqrt(ab) * hat) / np.sqrt(1 - ab) - eps) ** 2).mean(axis=(1, 2))
    return err.mean(), err.std(ddof=1) / np.sqrt(num)


losses = {
    (name, split): epsilon_loss(d, images, np.random.default_rng(7))
    for name, d in (("learned U-Net", learned), ("exact denoiser", exact))
    for split, images in (("training", data.train), ("held-out", data.heldout))
}
for key, (mean, se) in losses.items():
    print(f"{key[0]:>15} on {key[1]:>8} digits: {mean:.3f} +- {se:.3f}")

# %%
# The exact denoiser wins on the training digits and loses by far on held-out digits; the
# network is nearly as good on both.
fig, ax = plt.subplots(figsize=(5.5, 3.2), layout="constrained")
for k, split in enumerate(("training", "held-out")):
    names = ("learned U-Net", "exact denoiser")
    means = [losses[(n, split)][0] for n in names]
    errors = [2 * losses[(n, split)][1] for n in names]
    ax.bar(np.arange(2) + 0.4 * k, means, 0.4, yerr=errors, label=f"{split} digits")
ax.set_xticks(np.arange(2) + 0.2, ["learned U-Net", "exact denoiser"])
ax.set(yscale="log", ylabel="epsilon-loss per pixel", title=f"after {result.step} training steps")
ax.legend()
