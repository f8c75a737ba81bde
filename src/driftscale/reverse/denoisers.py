r"""Denoisers: the posterior mean :math:`E[u_0 \mid u_i = x]` that drives every reverse sampler.

A :class:`Denoiser` is what the reverse process of Section 3.2 of Peter 2023 needs to know about
the data: by Tweedie's formula, the score of the forward marginal of Eq. (5) is
:math:`\nabla \ln p_i(x) = -(x - \sqrt{\bar\alpha_i}\,D(x, i)) / (1 - \bar\alpha_i)`, so the
samplers in :mod:`driftscale.reverse.samplers` take any denoiser: exact ones (here) and learned
ones (``NetworkDenoiser``) run through the same code.

- :class:`ExactDenoiser` -- the minimiser of the denoising training loss for a finite data set,
  a softmax-weighted average of the training images ("Generative diffusion models from a PDE
  perspective", arXiv:2501.17054): with it the reverse process can only regenerate the
  training images (measured in :mod:`driftscale.evaluation.memorization`).
- :class:`PointDenoiser` -- one fixed starting point ``f``: :math:`D(x, i) = f` (the explicit
  case of arXiv:2501.17054, solved in :mod:`driftscale.reverse.point_law`).
- :class:`GaussianDenoiser` -- data :math:`u_0 \sim \mathcal N(m, s^2 I)`: linear in closed form;
  the reference the samplers are tested against.

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] "Generative diffusion models from a PDE perspective", arXiv:2501.17054 (2025).
"""

from __future__ import annotations

import os
from typing import Any, Protocol, runtime_checkable

import numpy as np

from driftscale._validation import check_array, check_positive_int
from driftscale.reverse._exact_kernel import (
    NumpyKernel,
    TrainingBlocks,
    logit_coefficients,
    torch_block_mean,
)
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = [
    "Denoiser",
    "DenoiserError",
    "ExactDenoiser",
    "GaussianDenoiser",
    "PointDenoiser",
    "check_steps_for_batch",
]


class DenoiserError(ValueError):
    """A denoiser got, or gave, an array of the wrong shape or with non-finite values."""


@runtime_checkable
class Denoiser(Protocol):
    r"""Predicts :math:`E[u_0 \mid u_i = x]`, the posterior mean of the data given step ``i``.

    ``x`` has shape ``(B, *image_shape)`` (a NumPy float64 array, or a torch tensor for denoisers
    that accept one); ``i`` is an int or an int array of shape ``(B,)`` with ``0 <= i <= T``.
    The result has the type and shape of ``x``.
    """

    schedule: Schedule
    image_shape: tuple[int, ...]

    def __call__(self, x: Any, i: Any) -> Any: ...


def _is_torch(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


def check_steps_for_batch(i: Any, *, T: int, batch: int, name: str = "i") -> np.ndarray:
    """Check a step ``i``: an int, or an int array of shape ``(batch,)``.

    Returns int64 steps of shape ``(batch,)``.
    """
    if _is_torch(i):
        i = i.detach().cpu().numpy()
    arr = np.asarray(i)
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
    ):
        raise DenoiserError(f"`{name}` must be an integer step or an int array, got {i!r}")
    arr = arr.astype(np.int64)
    if arr.ndim == 0:
        arr = np.full(batch, int(arr))
    if arr.shape != (batch,):
        raise DenoiserError(
            f"`{name}` must be an int or an int array of shape ({batch},) (one step per image), "
            f"got shape {arr.shape}"
        )
    if arr.size and (arr.min() < 0 or arr.max() > T):
        raise DenoiserError(
            f"`{name}` must lie in 0..T = 0..{T}, got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def _check_batch(x: Any, image_shape: tuple[int, ...], name: str = "x") -> FloatArray:
    shape = tuple(getattr(x, "shape", np.shape(x)))
    if shape[1:] != image_shape or len(shape) != len(image_shape) + 1:
        raise DenoiserError(
            f"`{name}` must have shape (B, {', '.join(map(str, image_shape))}) (a batch of images "
            f"shaped like the data), got {shape}"
        )
    if _is_torch(x):
        if x.is_floating_point() and not bool(x.isfinite().all()):
            raise DenoiserError(f"`{name}` must hold finite values only, got NaN/Inf entries")
        return x
    try:
        return check_array(x, name=name)
    except ValueError as exc:
        raise DenoiserError(str(exc)) from None


class ExactDenoiser:
    r"""The exact posterior mean for a finite data set, the minimiser of the training loss.

    For training images :math:`f_1, \dots, f_N` (the empirical distribution) and the forward
    marginal of Eq. (5) of Peter 2023,

    .. math::
        D(x, i) = \sum_k w_k f_k, \qquad w_k \propto
        \exp\Big(-\frac{|x - \sqrt{\bar\alpha_i}\,f_k|^2}{2(1-\bar\alpha_i)}\Big),

    the exact reverse process of arXiv:2501.17054. Computed by chunked BLAS products and
    log-sum-exp (see :mod:`driftscale.reverse._exact_kernel`), never forming a ``B x N x n``
    array. At ``i = 0`` it returns the nearest training image (the limit
    :math:`\bar\alpha \to 1` of the softmax).

    Parameters
    ----------
    train_data : ndarray of shape ``(N, *image_shape)``
        Training images, already scaled (see :mod:`driftscale.data`), ``N >= 1``. Copied.
    schedule : Schedule or str
        The forward process's schedule.
    chunk_size : int, optional
        Most logits (float64 entries of the ``B x N`` matrix) held at once per thread; the extra
        memory is about ``8 * chunk_size * threads`` bytes. Default ``2**20`` (8 MiB).
    threads : int, optional
        Threads for NumPy inputs; default: the usable CPUs, at most 8. With more than one, BLAS is
        limited to one thread per worker during a call (process-wide, see
        :func:`~driftscale.reverse._exact_kernel.blas_single_thread`).

    Examples
    --------
    >>> D = ExactDenoiser(np.array([[0.0], [1.0]]), "linear:1e-4,0.02")
    >>> float(D(np.array([[0.9]]), 1)[0, 0])   # tiny noise: the nearest training point
    1.0
    >>> round(float(D(np.array([[0.9]]), 1000)[0, 0]), 2)   # almost pure noise: the data mean
    0.5
    """

    def __init__(
        self,
        train_data: Any,
        schedule: Schedule | str,
        *,
        chunk_size: int = 2**20,
        threads: int | None = None,
    ) -> None:
        data = check_array(train_data, name="train_data")
        if data.ndim < 2:
            raise ValueError(
                "`train_data` must have shape (N, *image_shape) with at least one image axis, "
                f"got shape {data.shape}; for 1-D values use shape (N, 1)"
            )
        self.schedule = Schedule.coerce(schedule)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        if threads is None:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
            threads = min(8, cpus or os.cpu_count() or 1)
        self.threads = check_positive_int(threads, name="threads")
        self.image_shape: tuple[int, ...] = tuple(data.shape[1:])
        self.train_data = np.array(data, dtype=np.float64, order="C")  # our own copy
        self.train_data.setflags(write=False)
        self._flat = self.train_data.reshape(data.shape[0], -1)
        # at least 16 rows per block; larger data sets are split into blocks of training images
        col_block = min(self.num_train, max(1, self.chunk_size // 16))
        self._blocks = TrainingBlocks.build(self._flat, col_block)
        self._kernel = NumpyKernel(self._blocks, chunk_size=self.chunk_size, threads=self.threads)
        self._torch_cache: dict[Any, tuple[list[Any], list[Any]]] = {}

    def __repr__(self) -> str:
        return (
            f"ExactDenoiser(N={self.num_train}, image_shape={self.image_shape}, "
            f"schedule={self.schedule.to_string()!r}, T={self.schedule.T})"
        )

    @property
    def num_train(self) -> int:
        """Number of training images ``N``."""
        return int(self.train_data.shape[0])

    def __call__(self, x: Any, i: Any) -> Any:
        r"""Posterior mean :math:`E[u_0 \mid u_i = x]` for a batch ``x`` of shape
        ``(B, *image_shape)``; NumPy in, float64 NumPy out; a torch tensor in, a tensor on its
        device and dtype out (float32 tensors are computed in float32: at small noise, where the
        logits reach ``1e5``, expect relative errors of the weights near ``1e-2``)."""
        x = _check_batch(x, self.image_shape)
        B = x.shape[0]
        steps = check_steps_for_batch(i, T=self.schedule.T, batch=B)
        if _is_torch(x):
            return self._torch_call(x, steps)
        flat = x.reshape(B, -1)
        noisy = steps > 0
        if noisy.all():  # the sampler's case: no copies of the batch
            return self._kernel(self._augment(flat, steps)).reshape(x.shape)
        out = np.empty_like(flat)
        out[~noisy] = self._flat[self._nearest(flat[~noisy])]
        if np.any(noisy):
            out[noisy] = self._kernel(self._augment(flat[noisy], steps[noisy]))
        return out.reshape(x.shape)

    def _augment(self, flat: FloatArray, steps: np.ndarray) -> FloatArray:
        """The rows ``[c1 x, c2]`` whose product with ``[f_k, |f_k|^2]`` gives the logits."""
        c1, c2 = logit_coefficients(self.schedule.log_alpha_bar[steps])
        xa = np.empty((flat.shape[0], flat.shape[1] + 1))
        np.multiply(flat, c1[:, None], out=xa[:, :-1])
        xa[:, -1] = c2
        return xa

    def _nearest(self, flat: FloatArray) -> np.ndarray:
        """Index of the nearest training image for each row (argmax of x.f - |f|^2 / 2)."""
        best = np.full(flat.shape[0], -np.inf)
        idx = np.zeros(flat.shape[0], dtype=np.int64)
        start = 0
        for cols in self._blocks.logit_cols:
            scores = flat @ cols[:-1] - 0.5 * cols[-1]
            arg = scores.argmax(axis=1)
            val = scores[np.arange(flat.shape[0]), arg]
            better = val > best
            idx[better], best[better] = arg[better] + start, val[better]
            start += cols.shape[1]
        return idx

    def _torch_call(self, x: Any, steps: np.ndarray) -> Any:
        import torch

        dtype = x.dtype if x.is_floating_point() else torch.float64
        key = (str(x.device), dtype)
        if key not in self._torch_cache:
            self._torch_cache[key] = (
                [torch.as_tensor(c, dtype=dtype, device=x.device) for c in self._blocks.logit_cols],
                [torch.as_tensor(s, dtype=dtype, device=x.device) for s in self._blocks.sum_rows],
            )
        cols, sums = self._torch_cache[key]
        B = x.shape[0]
        flat = x.reshape(B, -1).to(dtype)
        noisy = steps > 0
        out = torch.empty_like(flat)
        if np.any(~noisy):
            clean = torch.as_tensor(~noisy, device=x.device)
            nearest = self._nearest(flat[clean].detach().cpu().double().numpy())
            out[clean] = torch.as_tensor(self._flat[nearest], dtype=dtype, device=x.device)
        if np.any(noisy):
            c1, c2 = logit_coefficients(self.schedule.log_alpha_bar[steps[noisy]])
            mask = torch.as_tensor(noisy, device=x.device)
            c1_t = torch.as_tensor(c1, dtype=dtype, device=x.device)
            c2_t = torch.as_tensor(c2, dtype=dtype, device=x.device)
            xa = torch.cat([flat[mask] * c1_t[:, None], c2_t[:, None]], dim=1)  # [c1 x, c2]
            max_rows = max(1, self.chunk_size // self._blocks.max_block)
            out[mask] = torch_block_mean(xa, cols, sums, self._blocks.n, max_rows)
        return out.reshape(x.shape)

    def weights(self, x: Any, i: int) -> FloatArray:
        """The softmax weights ``w_k`` of every training image, shape ``(B, N)`` (dense: for
        analysis and tests of small batches; the denoiser itself never forms this matrix)."""
        x = _check_batch(x, self.image_shape)
        (step,) = check_steps_for_batch(i, T=self.schedule.T, batch=1)
        flat = np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
        if step == 0:
            w = np.zeros((flat.shape[0], self.num_train))
            w[np.arange(flat.shape[0]), self._nearest(flat)] = 1.0
            return w
        c1, c2 = logit_coefficients(self.schedule.log_alpha_bar[[step]])
        sq = np.einsum("kj,kj->k", self._flat, self._flat)
        logits = c1[0] * (flat @ self._flat.T) + c2[0] * sq
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        return w / w.sum(axis=1, keepdims=True)


class PointDenoiser:
    r"""The denoiser of one fixed starting point ``f``: :math:`D(x, i) = f` for every ``x, i``.

    With :math:`p(u_0) = \delta_f` the posterior of :math:`u_0` is :math:`\delta_f` whatever is
    observed: the closed form of the explicit case of arXiv:2501.17054 (see
    :mod:`driftscale.reverse.point_law` for the law of the reverse process it drives).

    Examples
    --------
    >>> D = PointDenoiser(np.ones((2, 2)), "constant:0.02")
    >>> D(np.zeros((3, 2, 2)), 10).shape
    (3, 2, 2)
    """

    def __init__(self, f: Any, schedule: Schedule | str) -> None:
        arr = check_array(f, name="f")
        if arr.ndim < 1:
            raise ValueError(f"`f` must be an image (at least 1-D), got a scalar {f!r}")
        self.f = arr.copy()
        self.f.setflags(write=False)
        self.schedule = Schedule.coerce(schedule)
        self.image_shape: tuple[int, ...] = tuple(arr.shape)

    def __repr__(self) -> str:
        return f"PointDenoiser(image_shape={self.image_shape}, T={self.schedule.T})"

    def __call__(self, x: Any, i: Any) -> Any:
        """``f`` for every image of the batch (type, device and dtype of ``x``)."""
        x = _check_batch(x, self.image_shape)
        check_steps_for_batch(i, T=self.schedule.T, batch=x.shape[0])
        if _is_torch(x):
            import torch

            f = torch.tensor(np.array(self.f), dtype=x.dtype, device=x.device)
            return f.expand(x.shape).clone()
        return np.broadcast_to(self.f, x.shape).copy()


class GaussianDenoiser:
    r"""The posterior mean for Gaussian data :math:`u_0 \sim \mathcal N(m, s^2 I)`, closed form.

    With :math:`u_i = a u_0 + \sigma \xi`, :math:`a = \sqrt{\bar\alpha_i}`,
    :math:`\sigma^2 = 1 - \bar\alpha_i` (Eq. 5),

    .. math:: E[u_0 \mid u_i = x] = m + \frac{a s^2}{a^2 s^2 + \sigma^2}\,(x - a m).

    Parameters
    ----------
    mean : float or ndarray of shape image_shape
    variance : float
        :math:`s^2 > 0`.
    schedule : Schedule or str
    image_shape : tuple of int, optional
        Needed when ``mean`` is a scalar; default ``(1,)``.

    Examples
    --------
    >>> D = GaussianDenoiser(0.5, 0.25, "linear:1e-4,0.02")
    >>> round(float(D(np.array([[3.0]]), 1000)[0, 0]), 2)   # almost pure noise: the mean m
    0.5
    """

    def __init__(
        self,
        mean: Any,
        variance: float,
        schedule: Schedule | str,
        *,
        image_shape: tuple[int, ...] | None = None,
    ) -> None:
        m = check_array(mean, name="mean")
        var = float(check_array(variance, name="variance", ndim=0))
        if not var > 0:
            raise ValueError(f"`variance` must be positive (s^2 > 0), got {variance!r}")
        if image_shape is None:
            image_shape = m.shape if m.ndim else (1,)
        self.image_shape = tuple(int(s) for s in image_shape)
        if m.ndim and m.shape != self.image_shape:
            raise ValueError(
                f"`mean` must be a scalar or of shape {self.image_shape}, got {m.shape}"
            )
        self.mean = np.broadcast_to(m, self.image_shape).copy()
        self.variance = var
        self.schedule = Schedule.coerce(schedule)

    def __repr__(self) -> str:
        return f"GaussianDenoiser(image_shape={self.image_shape}, variance={self.variance})"

    def __call__(self, x: Any, i: Any) -> Any:
        """The closed-form posterior mean (type of ``x``)."""
        x = _check_batch(x, self.image_shape)
        steps = check_steps_for_batch(i, T=self.schedule.T, batch=x.shape[0])
        ab = self.schedule.alpha_bar[steps]
        a = np.sqrt(ab)
        gain = a * self.variance / (ab * self.variance + (1.0 - ab))  # a s^2 / (a^2 s^2 + sigma^2)
        shape = (-1,) + (1,) * len(self.image_shape)
        if _is_torch(x):
            import torch

            as_t = lambda v: torch.as_tensor(v, dtype=x.dtype, device=x.device)  # noqa: E731
            return as_t(self.mean) + as_t(gain.reshape(shape)) * (
                x - as_t(a.reshape(shape)) * as_t(self.mean)
            )
        return self.mean + gain.reshape(shape) * (x - a.reshape(shape) * self.mean)
