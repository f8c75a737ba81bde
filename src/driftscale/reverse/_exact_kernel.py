r"""Kernels of the exact denoiser of a finite data set: a softmax-weighted mean, chunked.

For training images :math:`f_1, \dots, f_N` (flattened to length ``n``) and noise level
:math:`\bar\alpha = \bar\alpha_i`, the posterior mean of :math:`u_0` given :math:`u_i = x` is

.. math::
    D(x) = \sum_k w_k f_k, \qquad
    w_k \propto \exp\Big(-\frac{|x - \sqrt{\bar\alpha} f_k|^2}{2(1-\bar\alpha)}\Big).

Since :math:`|x|^2` is the same for every ``k`` it cancels in the softmax, so the logits are
:math:`\ell_k = c_1\,x\cdot f_k + c_2 |f_k|^2` with :math:`c_1 = \sqrt{\bar\alpha}/(1-\bar\alpha)`
and :math:`c_2 = -\bar\alpha / (2(1-\bar\alpha))`: the squared-distance expansion of
:mod:`driftscale._kernels` without its :math:`|x|^2` term. Both terms come out of one matrix
product of the augmented rows ``[c_1 x, c_2]`` with the augmented columns ``[f_k, |f_k|^2]``
(the squared norms and the floored ``exp`` are those of :mod:`driftscale._kernels`); the
weighted sum and the normaliser come out of a second one, of the weights with ``[f_k, 1]``.
Between the two products each logit is touched four times (row maximum, subtract, floor,
``exp``): the log-sum-exp trick with one ``exp`` per entry, and a floor that keeps ``exp`` off
its slow underflow path. A ``B x N x n`` array is never formed; the ``B x N`` logits are formed
one block of rows (and, for large ``N``, one block of training images, with an online rescaling
of the running sums) at a time, so the extra memory is bounded by the block size.

The NumPy kernel can spread blocks of rows over threads (each thread with a single-threaded BLAS,
see :func:`blas_single_thread`): NumPy's ``exp`` runs on one core, so this is what keeps the
element-wise work from dominating the matrix products on a multi-core CPU.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._kernels import EXP_FLOOR, floored_exp, squared_norms
from driftscale.typing import FloatArray

# Shifted logits below this are raised to it before exp (see driftscale._kernels: at small
# noise nearly every logit lies below -708, where exp is slow); the torch kernel uses it too.
LOGIT_FLOOR = EXP_FLOOR

_CONTROLLER: Any = None
_CONTROLLER_LOCK = threading.Lock()


@contextlib.contextmanager
def blas_single_thread() -> Iterator[None]:
    """Limit BLAS to one thread while worker threads each run their own matrix products.

    Uses ``threadpoolctl`` (a dependency of scikit-learn); without it, nothing is limited. The
    limit is process-wide for the duration of the block.
    """
    global _CONTROLLER
    try:
        with _CONTROLLER_LOCK:
            if _CONTROLLER is None:
                from threadpoolctl import ThreadpoolController

                _CONTROLLER = ThreadpoolController()
        limiter = _CONTROLLER.limit(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        limiter = contextlib.nullcontext()
    with limiter:
        yield


@dataclass(frozen=True)
class TrainingBlocks:
    """The training set split into column blocks, augmented for the two matrix products.

    ``logit_cols[b]`` is ``[f_k, |f_k|^2]^T`` of shape ``(n + 1, N_b)`` and ``sum_rows[b]`` is
    ``[f_k, 1]`` of shape ``(N_b, n + 1)`` for the training images of block ``b``.
    """

    logit_cols: tuple[FloatArray, ...]
    sum_rows: tuple[FloatArray, ...]
    n: int
    N: int

    @classmethod
    def build(cls, flat: FloatArray, block: int) -> TrainingBlocks:
        N, n = flat.shape
        sq = squared_norms(flat)
        logit_cols, sum_rows = [], []
        for start in range(0, N, block):
            f = flat[start : start + block]
            logit_cols.append(np.ascontiguousarray(np.vstack([f.T, sq[start : start + block]])))
            sum_rows.append(np.ascontiguousarray(np.hstack([f, np.ones((f.shape[0], 1))])))
        return cls(tuple(logit_cols), tuple(sum_rows), n, N)

    @property
    def max_block(self) -> int:
        return max(c.shape[1] for c in self.logit_cols)


def logit_coefficients(log_alpha_bar: FloatArray) -> tuple[FloatArray, FloatArray]:
    r"""Per-row logit coefficients :math:`c_1 = \sqrt{\bar\alpha}/(1-\bar\alpha)` and
    :math:`c_2 = -\bar\alpha/(2(1-\bar\alpha))`.

    ``1 - alpha_bar`` is computed as ``-expm1(log alpha_bar)`` so that it stays accurate at small
    noise; ``log_alpha_bar`` must be negative (``i >= 1``).
    """
    one_minus = -np.expm1(log_alpha_bar)
    c1 = np.exp(0.5 * log_alpha_bar) / one_minus
    c2 = -0.5 * np.exp(log_alpha_bar) / one_minus
    return c1, c2


def _block_mean(xa: FloatArray, blocks: TrainingBlocks, buf: FloatArray, out: FloatArray) -> None:
    """Softmax-weighted mean of the training images for the augmented rows ``xa`` -> ``out``."""
    rows = xa.shape[0]
    n = blocks.n
    acc = np.empty((rows, n + 1))
    running_max: FloatArray | None = None
    for cols, sums in zip(blocks.logit_cols, blocks.sum_rows, strict=True):
        g = buf[:rows, : cols.shape[1]]
        np.matmul(xa, cols, out=g)  # logits l_k = c1 x.f_k + c2 |f_k|^2, one GEMM
        block_max = g.max(axis=1)
        if running_max is None:
            running_max = block_max
            floored_exp(g, running_max)  # w_k * exp(-max): the only exp per entry, floored
            np.matmul(g, sums, out=acc)  # [sum_k w_k f_k, sum_k w_k], one GEMM
            continue
        new_max = np.maximum(running_max, block_max)
        acc *= np.exp(running_max - new_max)[:, None]  # online log-sum-exp rescaling
        acc += floored_exp(g, new_max) @ sums
        running_max = new_max
    np.divide(acc[:, :n], acc[:, n:], out=out)


class NumpyKernel:
    """The chunked NumPy kernel, with per-thread buffers reused across calls."""

    def __init__(self, blocks: TrainingBlocks, *, chunk_size: int, threads: int) -> None:
        self.blocks = blocks
        self.chunk_size = chunk_size
        self.threads = threads
        self.max_rows = max(1, chunk_size // blocks.max_block)
        self._local = threading.local()
        self._pool: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_local"] = None
        state["_pool"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _buffer(self, rows: int) -> FloatArray:
        buf = getattr(self._local, "buf", None)
        if buf is None or buf.shape[0] < rows:
            buf = np.empty((rows, self.blocks.max_block))
            self._local.buf = buf
        return buf

    def _run(self, xa: FloatArray, out: FloatArray) -> None:
        _block_mean(xa, self.blocks, self._buffer(xa.shape[0]), out)

    def __call__(self, xa: FloatArray) -> FloatArray:
        """Posterior means for augmented rows ``xa`` of shape ``(B, n + 1)``."""
        B = xa.shape[0]
        out = np.empty((B, self.blocks.n))
        # split into equal blocks: at most max_rows each, and one per thread when there is
        # enough work (at least 32 rows a thread) to pay for the hand-over
        num = max(math.ceil(B / self.max_rows), min(self.threads, B // 32))
        edges = np.linspace(0, B, num + 1).round().astype(int)
        spans = [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]
        if len(spans) == 1 or self.threads == 1:
            for a, b in spans:
                self._run(xa[a:b], out[a:b])
            return out
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="driftscale-exact")
        with blas_single_thread():
            futures = [self._pool.submit(self._run, xa[a:b], out[a:b]) for a, b in spans]
            for fut in futures:
                fut.result()
        return out


def torch_block_mean(xa: Any, cols: list[Any], sums: list[Any], n: int, max_rows: int) -> Any:
    """The same algorithm in torch (any device): ``xa`` is a ``(B, n + 1)`` tensor."""
    import torch

    B = xa.shape[0]
    out = torch.empty((B, n), dtype=xa.dtype, device=xa.device)
    for a in range(0, B, max_rows):
        x = xa[a : a + max_rows]
        acc = None
        running_max = None
        for c, s in zip(cols, sums, strict=True):
            g = x @ c  # logits, one GEMM
            block_max = g.amax(dim=1)
            if running_max is None:
                running_max = block_max
                acc = torch.exp((g - running_max[:, None]).clamp_(min=LOGIT_FLOOR)) @ s
                continue
            new_max = torch.maximum(running_max, block_max)
            acc = acc * torch.exp(running_max - new_max)[:, None]
            acc = acc + torch.exp((g - new_max[:, None]).clamp_(min=LOGIT_FLOOR)) @ s
            running_max = new_max
        assert acc is not None
        out[a : a + max_rows] = acc[:, :n] / acc[:, n:]
    return out
