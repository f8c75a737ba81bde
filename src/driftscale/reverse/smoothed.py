r"""A smoothed closed-form denoiser, after Scarvelis, Borde & Solomon (arXiv:2310.12395).

The exact denoiser of a finite data set
(:class:`~driftscale.reverse.denoisers.ExactDenoiser`) drives the reverse process onto the
training images (arXiv:2501.17054). Scarvelis et al. [1]_ obtain new samples without training by
*smoothing* the closed-form score; the samples then concentrate on barycentres of nearby training
points. Here the smoothing is over Gaussian perturbations of the training set:

.. math::
    D_s(x, i) = \mathbb E_Z\big[D_{\{f_k + s Z_k\}}(x, i)\big]
    \approx \frac1M \sum_{m=1}^M D_{\{f_k + s Z_{m,k}\}}(x, i),

the average of the exact posterior means (Eq. (5) of Peter 2023 for each perturbed training set)
over ``M`` fixed draws :math:`Z_m \sim \mathcal N(0, I)`. At small noise each term is nearly the
nearest *perturbed* training image, and which image is nearest differs between draws, so the
average is a convex combination (a barycentre) of the training images near ``x``. As
:math:`s \to 0` every term tends to the exact denoiser (tested). This is our reading of the
smoothing of [1]_ (their estimator uses nearest neighbours and a rectified-flow time; here the
DDPM schedule of the rest of driftscale); the Monte Carlo draws are fixed at construction, so
the denoiser is a deterministic function and the same seed gives the same bytes.

References
----------
.. [1] C. Scarvelis, H. S. de Ocariz Borde, J. Solomon, "Closed-form diffusion models",
       TMLR 2025, arXiv:2310.12395.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.reverse.denoisers import ExactDenoiser
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["SmoothedExactDenoiser"]


class SmoothedExactDenoiser:
    r"""The exact denoiser averaged over ``num_draws`` Gaussian perturbations of the training set.

    Parameters
    ----------
    train_data : ndarray of shape ``(N, *image_shape)``
        Training images, already scaled. Copied.
    schedule : Schedule or str
    smoothing : float
        Standard deviation ``s >= 0`` of the perturbations, in the units of the scaled data;
        ``0`` gives the exact denoiser.
    num_draws : int
        Monte Carlo draws ``M`` (each an exact denoiser: the cost is ``M`` times the exact one).
    rng : {numpy.random.Generator, int, None}
        Seed of the draws (fixed at construction).
    chunk_size, threads
        Passed to each :class:`ExactDenoiser`.

    Examples
    --------
    >>> train = np.array([[0.0], [1.0]])
    >>> D = SmoothedExactDenoiser(train, "linear:1e-4,0.02", smoothing=0.2, num_draws=64, rng=0)
    >>> 0.0 < float(D(np.array([[0.5]]), 1)[0, 0]) < 1.0   # between the two, not a copy of one
    True
    """

    def __init__(
        self,
        train_data: Any,
        schedule: Schedule | str,
        *,
        smoothing: float,
        num_draws: int = 8,
        rng: RNGLike = 0,
        chunk_size: int = 2**20,
        threads: int | None = None,
    ) -> None:
        data = check_array(train_data, name="train_data")
        if data.ndim < 2:
            raise ValueError(
                f"`train_data` must have shape (N, *image_shape), got shape {data.shape}"
            )
        s = float(smoothing)
        if not (np.isfinite(s) and s >= 0.0):
            raise ValueError(f"`smoothing` must be a finite number >= 0, got {smoothing!r}")
        self.smoothing = s
        self.num_draws = check_positive_int(num_draws, name="num_draws")
        self.schedule = Schedule.coerce(schedule)
        self.image_shape: tuple[int, ...] = tuple(int(v) for v in data.shape[1:])
        gen = as_rng(rng)
        self._denoisers = [
            ExactDenoiser(
                data + s * gen.standard_normal(data.shape),
                self.schedule,
                chunk_size=chunk_size,
                threads=threads,
            )
            for _ in range(self.num_draws)
        ]

    def __repr__(self) -> str:
        return (
            f"SmoothedExactDenoiser(N={self._denoisers[0].num_train}, "
            f"image_shape={self.image_shape}, smoothing={self.smoothing}, "
            f"num_draws={self.num_draws}, T={self.schedule.T})"
        )

    def __call__(self, x: Any, i: Any) -> FloatArray:
        """The average of the perturbed exact posterior means (NumPy float64, shape of ``x``)."""
        out = np.asarray(self._denoisers[0](x, i), dtype=np.float64)
        for den in self._denoisers[1:]:
            out = out + den(x, i)
        return out / self.num_draws
