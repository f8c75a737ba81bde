r"""Forward Markov chain of probabilistic diffusion, Eq. (3)-(5) of Peter 2023.

``ProbabilisticDiffusion(schedule)`` implements the :class:`~driftscale.typing.ScaleSpace`
protocol. A trajectory at ``K`` requested steps is drawn by ``K`` exact jumps
:math:`p(u_j \mid u_i) = \mathcal N(\sqrt{\bar\alpha_j/\bar\alpha_i}\,u_i,
(1-\bar\alpha_j/\bar\alpha_i) I)` (the semigroup property, Property 2, turned into an O(K)
algorithm); stepping Eq. (4) one step at a time stays available as the reference.

The chain acts on every entry independently, so ``f`` may be one image ``(H, W)`` / ``(H, W, C)``
or a batch ``(N, H, W[, C])``: the shape only matters for permutations.

Besides the :class:`~driftscale.typing.ScaleSpace` protocol it offers the optional capabilities
that the property engine (:mod:`driftscale.properties`) asks for: ``transition`` (exact jump),
``step`` (one step of Eq. 4), ``marginal_log_density`` (the Gaussian mixture of Eq. 5,
:class:`~driftscale.distributions.mixture.GaussianMixture`), ``conditional_log_density`` (the
Gaussian of Eq. 5), ``schedule`` and ``T`` (a chain of Eq. 4 with this beta schedule), and
``batched`` (``trajectory`` takes a batch of images).

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from driftscale._validation import as_rng, check_array, check_choice, check_image, check_steps
from driftscale.diffusion.permutations import Permutation
from driftscale.distributions.gaussian import IsotropicGaussian
from driftscale.distributions.mixture import GaussianMixture
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray, RNGLike

__all__ = ["ProbabilisticDiffusion"]

TrajectoryMethod = Literal["jump", "step"]


class ProbabilisticDiffusion:
    """The forward process of a DDPM as a stochastic scale-space (Section 3 of Peter 2023).

    Parameters
    ----------
    schedule : Schedule or str, optional
        Beta schedule, or a string for :meth:`Schedule.from_string`; default ``constant:0.02``
        with ``T = 1000`` (the paper's Fig. 1).

    Examples
    --------
    >>> pd = ProbabilisticDiffusion("constant:0.02")
    >>> pd.trajectory(np.zeros((4, 4)), [0, 10, 100], rng=0).shape
    (3, 4, 4)
    """

    name = "diffusion"
    stochastic = True
    #: ``trajectory`` also takes a batch ``(N, H, W[, C])`` and evolves each image independently
    batched = True

    def __init__(self, schedule: Schedule | str = "constant:0.02") -> None:
        self.schedule = Schedule.coerce(schedule)

    def __repr__(self) -> str:
        return f"ProbabilisticDiffusion({self.schedule!r})"

    @property
    def T(self) -> int:
        """Number of steps of the chain."""
        return self.schedule.T

    def step(self, u: FloatArray, i: int, *, rng: RNGLike = None) -> FloatArray:
        r"""One Markov step ``i - 1 -> i``, Eq. (4): :math:`u_i = \sqrt{1-\beta_i}\,u_{i-1} +
        \sqrt{\beta_i}\,g`.

        Returns
        -------
        ndarray of float64, same shape as ``u``
        """
        u = check_image(u, name="u", batch=True)
        (i,) = check_steps([i], T=self.T, name="i")
        if i == 0:
            raise ValueError(
                "`i` must be at least 1 for a step (step i maps u_{i-1} to u_i), got 0"
            )
        rng = as_rng(rng)
        beta = self.schedule.beta[i]
        return math.sqrt(1.0 - beta) * u + math.sqrt(beta) * rng.standard_normal(u.shape)

    def marginal(self, f: FloatArray, i: int, *, rng: RNGLike = None) -> FloatArray:
        r"""Sample :math:`u_i \sim p(u_i \mid u_0 = f)` in closed form, Eq. (5).

        Parameters
        ----------
        f : ndarray of shape (H, W), (H, W, C) or a batch (N, H, W[, C])
            Initial image(s), already scaled (see :mod:`driftscale.data`).
        i : int
            Step, ``0 <= i <= T``; ``i = 0`` returns a copy of ``f``.
        rng : {numpy.random.Generator, int, None}, optional
            Random generator or seed.

        Returns
        -------
        ndarray of float64, same shape as ``f``

        Examples
        --------
        >>> ProbabilisticDiffusion("constant:0.02").marginal(np.zeros((2, 2)), 10, rng=0).shape
        (2, 2)
        """
        return self.transition(f, 0, i, rng=rng)

    def transition(self, u: FloatArray, i: int, j: int, *, rng: RNGLike = None) -> FloatArray:
        r"""Exact jump from step ``i`` to step ``j >= i``: a sample of :math:`p(u_j \mid u_i)`."""
        u = check_image(u, name="u", batch=True)
        i, j = check_steps([i, j], T=self.T, name="(i, j)")
        rng = as_rng(rng)
        if i == j:
            return u.copy()
        mean_factor, variance = self.schedule.jump_coefficients(i, j)
        return mean_factor * u + math.sqrt(variance) * rng.standard_normal(u.shape)

    def marginal_log_density(self, x: FloatArray, data: FloatArray, i: int) -> FloatArray:
        r"""Exact :math:`\ln p(u_i = x)` of the chain started from the data set ``data``: the
        Gaussian mixture of Eq. (5), :class:`~driftscale.distributions.mixture.GaussianMixture`.

        Parameters
        ----------
        x : ndarray of shape (M, n) or (M, H, W[, C])
            Points.
        data : ndarray of shape (N, n) or (N, H, W[, C])
            The data set (``u_0`` uniform over its images), already scaled.
        i : int
            Step, ``1 <= i <= T`` (at step 0 the marginal has no density).

        Returns
        -------
        ndarray of float64, shape (M,)

        Examples
        --------
        >>> pd = ProbabilisticDiffusion("constant:0.02")
        >>> pd.marginal_log_density(np.zeros((2, 4)), np.zeros((3, 4)), 10).shape
        (2,)
        """
        return GaussianMixture.at_step(data, self.schedule, i).log_density(x)

    def conditional_log_density(self, x: FloatArray, u0: FloatArray, i: int) -> FloatArray:
        r"""Exact :math:`\ln p(u_i = x \mid u_0)`, the Gaussian
        :math:`\mathcal N(\sqrt{\bar\alpha_i}\,u_0, (1-\bar\alpha_i) I)` of Eq. (5), per sample.

        Parameters
        ----------
        x, u0 : ndarray of shape (M, n) or (M, H, W[, C])
            Points and their starting images (row ``m`` of ``x`` given row ``m`` of ``u0``).
        i : int
            Step, ``1 <= i <= T``.

        Returns
        -------
        ndarray of float64, shape (M,)

        Examples
        --------
        >>> pd = ProbabilisticDiffusion("constant:0.02")
        >>> ab = pd.schedule.alpha_bar[5]
        >>> lp = pd.conditional_log_density(np.zeros((1, 2)), np.zeros((1, 2)), 5)[0]
        >>> bool(np.isclose(lp, -np.log(2 * np.pi * (1 - ab))))
        True
        """
        x = check_array(x, name="x")
        u0 = check_array(u0, name="u0")
        if x.ndim < 2 or x.shape != u0.shape:
            raise ValueError(
                f"`x` and `u0` must be batches (M, ...) of the same shape, got {x.shape} and "
                f"{u0.shape}"
            )
        (step,) = check_steps([i], T=self.T, name="i")
        if step == 0:
            raise ValueError("`i` must be at least 1: p(u_0 | u_0) is a point mass, no density")
        ab = self.schedule.alpha_bar[step]
        var = 1.0 - ab
        resid = (x - np.sqrt(ab) * u0).reshape(x.shape[0], -1)
        n = resid.shape[1]
        # Eq. (5): -ln N(x; sqrt(ab) u0, (1 - ab) I) = |x - sqrt(ab) u0|^2 / (2 (1 - ab))
        #          + n/2 ln(2 pi (1 - ab))
        sq = np.einsum("ij,ij->i", resid, resid)
        return -(sq / (2 * var) + 0.5 * n * np.log(2 * math.pi * var))

    def trajectory(
        self,
        f: FloatArray,
        times: Sequence[float],
        *,
        rng: RNGLike = None,
        method: TrajectoryMethod = "jump",
        callback: Callable[[int], None] | None = None,
    ) -> FloatArray:
        """One trajectory of the chain from ``u_0 = f``, recorded at the sorted steps ``times``.

        Parameters
        ----------
        f : ndarray of shape (H, W), (H, W, C) or a batch (N, H, W[, C])
            Initial image(s), already scaled.
        times : sequence of int
            Sorted steps ``0 <= i <= T``.
        rng : {numpy.random.Generator, int, None}, optional
            Random generator or seed; the same seed gives the same bytes.
        method : {"jump", "step"}
            ``"jump"``: ``K`` exact semigroup jumps (O(K) work for K steps). ``"step"``: Eq. (4)
            one step at a time up to ``max(times)`` (the reference; O(max(times)) work).
        callback : callable, optional
            Called with the number of Markov steps done, for progress bars (``"step"`` only).

        Returns
        -------
        ndarray of float64, shape ``(len(times), *f.shape)``
        """
        f = check_image(f, name="f", batch=True)
        steps = check_steps(times, T=self.T, name="times")
        check_choice(method, name="method", choices=("jump", "step"))
        rng = as_rng(rng)
        out = np.empty((steps.size, *f.shape))
        if method == "jump":
            u, current = f, 0
            for k, s in enumerate(steps):
                u = self.transition(u, current, int(s), rng=rng) if s != current else u.copy()
                out[k], current = u, int(s)
            return out
        u = f.copy()
        k = 0
        while k < steps.size and steps[k] == 0:
            out[k] = u
            k += 1
        sqrt_keep = np.sqrt(1.0 - self.schedule.beta)
        sqrt_beta = np.sqrt(self.schedule.beta)
        for i in range(1, int(steps[-1]) + 1):
            u = sqrt_keep[i] * u + sqrt_beta[i] * rng.standard_normal(u.shape)  # Eq. (4)
            while k < steps.size and steps[k] == i:
                out[k] = u
                k += 1
            if callback is not None:
                callback(i)
        return out

    def steady_state(self, f: FloatArray) -> IsotropicGaussian:
        """The steady state N(0, I) over images shaped like ``f`` (Property 5, Prop. 4)."""
        f = check_image(f, name="f", batch=True)
        return IsotropicGaussian(f.shape, mean=0.0, variance=1.0)

    def permute(
        self, f: FloatArray, perm: Permutation, *, axes: tuple[int, int] = (0, 1)
    ) -> FloatArray:
        """Apply a pixel permutation ``P`` (Property 4): trajectories of ``P(f)`` are ``P`` of
        trajectories of ``f`` (Prop. 3). ``perm`` is a :class:`Permutation`."""
        if not isinstance(perm, Permutation):
            raise TypeError(
                "`perm` must be a driftscale.Permutation (e.g. Permutation.translation(1, 0)), "
                f"got {type(perm).__name__}"
            )
        return perm.apply(f, axes=axes)
