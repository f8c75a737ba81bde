r"""Memorisation: nearest training neighbours of generated samples and the d1/d2 copy criterion.

"Generative diffusion models from a PDE perspective" (arXiv:2501.17054) shows that the
exact reverse process of a finite data set converges to the training samples: it memorises. This
module measures that for any set of samples. For each sample ``x``:

- ``d1``, ``d2``: Euclidean distances to its nearest and second-nearest *distinct* training
  images (duplicates in the training set count once);
- ``ratio = d1 / d2``; a sample is *memorised* when ``ratio < threshold`` (``1/3``, the criterion
  of Yoon et al. 2023 and Gu et al. 2023 in the memorisation literature): it is much closer to one
  training image than to any other. An exact copy (``d1 = 0``) has ratio 0, and a near-copy of
  an image that appears twice in the training set still has a small ratio (``d2 > 0``);
- ``heldout_d1``: the distance to the nearest image of a held-out split (data the denoiser never
  saw), the yardstick for "new but plausible".

Distances are computed in chunks of samples by BLAS (``|x|^2 + |f|^2 - 2 x.f``), then the two
nearest are recomputed directly from the differences, so that ``d1`` of an exact copy is exactly 0
(no cancellation error).

References
----------
.. [1] "Generative diffusion models from a PDE perspective", arXiv:2501.17054 (2025).
.. [2] T. Yoon, J. Y. Choi, S. Kwon, E. K. Ryu, "Diffusion probabilistic models generalize when
       they fail to memorize", ICML 2023 Workshop on Structured Probabilistic Inference.
.. [3] X. Gu, C. Du, T. Pang, C. Li, M. Lin, Y. Wang, "On memorization in diffusion models",
       arXiv:2310.02664 (2023).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._kernels import sq_distance_blocks
from driftscale._validation import check_array, check_positive_int
from driftscale.typing import FloatArray

__all__ = ["MemorizationReport", "memorization_report", "nearest_neighbours"]


@dataclass(frozen=True)
class MemorizationReport:
    """Nearest-neighbour distances of samples to a training set (and a held-out set).

    Attributes
    ----------
    d1, d2 : ndarray of float64, shape (num_samples,)
        Distances to the nearest and second-nearest training image.
    ratio : ndarray of float64, shape (num_samples,)
        ``d1 / d2`` (0 for exact copies).
    nearest_index : ndarray of int64, shape (num_samples,)
        Index of the nearest training image.
    fraction_memorized : float
        Fraction of samples with ``ratio < threshold`` (also as ``fraction_memorised``, the
        spelling of the ``--json`` key).
    heldout_d1 : ndarray of float64 or None
        Distance to the nearest held-out image.
    threshold : float
    num_train : int
    """

    d1: FloatArray
    d2: FloatArray
    ratio: FloatArray
    nearest_index: np.ndarray
    fraction_memorized: float
    heldout_d1: FloatArray | None
    threshold: float
    num_train: int

    @property
    def memorized(self) -> np.ndarray:
        """Boolean mask of the memorized samples (``ratio < threshold``)."""
        return self.ratio < self.threshold

    # The project's spelling is "memoriz-" (memorization_report, MemorizationReport, the
    # `memorization` command); the JSON key "fraction_memorised" keeps its schema, and these
    # aliases keep code written against the first spelling working.
    @property
    def fraction_memorised(self) -> float:
        """Alias of :attr:`fraction_memorized` (the spelling of the ``--json`` key)."""
        return self.fraction_memorized

    @property
    def memorised(self) -> np.ndarray:
        """Alias of :attr:`memorized`."""
        return self.memorized

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers: the fraction memorised, distance quantiles, held-out comparison."""
        out: dict[str, Any] = {
            "num_samples": int(self.d1.size),
            "num_train": self.num_train,
            "threshold": self.threshold,
            "fraction_memorised": self.fraction_memorized,  # the --json schema's spelling
            "num_memorised": int(np.count_nonzero(self.memorized)),
            "d1_median": float(np.median(self.d1)),
            "d1_mean": float(self.d1.mean()),
            "ratio_median": float(np.median(self.ratio)),
            "ratio_quartiles": [float(q) for q in np.quantile(self.ratio, [0.25, 0.75])],
            "distinct_nearest": int(np.unique(self.nearest_index).size),
        }
        if self.heldout_d1 is not None:
            out["heldout_d1_median"] = float(np.median(self.heldout_d1))
            out["fraction_closer_to_train"] = float(np.mean(self.d1 < self.heldout_d1))
        return out


def _flat(x: Any, name: str) -> FloatArray:
    arr = check_array(x, name=name)
    if arr.ndim < 2:
        raise ValueError(
            f"`{name}` must be a batch of images of shape (N, *image_shape), got shape {arr.shape}"
        )
    return arr.reshape(arr.shape[0], -1)


def _check_same_size(q: FloatArray, r: FloatArray, q_shape: tuple, r_shape: tuple) -> None:
    if q.shape[1] != r.shape[1]:
        raise ValueError(
            f"`train` images must have the size of the samples ({q.shape[1]} values each), got "
            f"{r.shape[1]}: samples {q_shape[1:]} vs train {r_shape[1:]}"
        )


def nearest_neighbours(
    queries: Any, reference: Any, *, k: int = 2, chunk_size: int = 2**20
) -> tuple[np.ndarray, FloatArray]:
    """Indices and Euclidean distances of the ``k`` nearest reference images of each query.

    Chunked over queries so that at most ``chunk_size`` squared distances are held at once; the
    returned distances are recomputed from the differences (exact for exact copies).

    Returns
    -------
    (ndarray of int64, ndarray of float64), each of shape ``(num_queries, k)``, nearest first.
    """
    q = _flat(queries, "samples")
    r = _flat(reference, "train")
    _check_same_size(q, r, np.shape(queries), np.shape(reference))
    k = check_positive_int(k, name="k")
    if k > r.shape[0]:
        raise ValueError(f"`train` must hold at least {k} images for k = {k}, got {r.shape[0]}")
    chunk_size = check_positive_int(chunk_size, name="chunk_size")
    idx = np.empty((q.shape[0], k), dtype=np.int64)
    dist = np.empty((q.shape[0], k))
    # |x - f|^2 = |x|^2 - 2 x.f + |f|^2; |x|^2 does not change the ranking, so it is left out
    blocks = sq_distance_blocks(q, r, with_x_norms=False, clip=False, block_entries=chunk_size)
    for a, b, d2 in blocks:
        block = q[a:b]
        part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < r.shape[0] else None
        cand = part if part is not None else np.broadcast_to(np.arange(r.shape[0]), d2.shape)
        diff = block[:, None, :] - r[cand]  # (chunk, k, n): only the k candidates
        exact = np.sqrt(np.einsum("bkj,bkj->bk", diff, diff))
        order = np.argsort(exact, axis=1, kind="stable")
        idx[a:b] = np.take_along_axis(cand, order, axis=1)[:, :k]
        dist[a:b] = np.take_along_axis(exact, order, axis=1)[:, :k]
    return idx, dist


def memorization_report(
    samples: Any,
    train: Any,
    *,
    heldout: Any = None,
    threshold: float = 1.0 / 3.0,
    chunk_size: int = 2**20,
) -> MemorizationReport:
    r"""Nearest-neighbour analysis of generated ``samples`` against the ``train`` images.

    Parameters
    ----------
    samples : ndarray of shape ``(B, *image_shape)``
    train : ndarray of shape ``(N, *image_shape)``, ``N >= 2``
        The images the denoiser was built from (same scaling as the samples).
    heldout : ndarray of shape ``(M, *image_shape)``, optional
        Images of the same distribution that the denoiser never saw.
    threshold : float
        Memorised when ``d1 / d2 < threshold``; default ``1/3``.
    chunk_size : int
        Most squared distances held at once.

    Returns
    -------
    MemorizationReport

    Examples
    --------
    >>> train = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> rep = memorization_report(np.array([[0.0, 0.0], [0.5, 0.5]]), train)
    >>> rep.ratio.tolist(), rep.fraction_memorized
    ([0.0, 1.0], 0.5)
    """
    threshold = float(threshold)
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"`threshold` must lie in (0, 1] (d1/d2 <= 1 always), got {threshold}")
    s_flat = _flat(samples, "samples")
    t_flat = _flat(train, "train")
    if t_flat.shape[0] < 2:
        raise ValueError(
            f"`train` must hold at least 2 images (d2 is the second-nearest), got {t_flat.shape[0]}"
        )
    _check_same_size(s_flat, t_flat, np.shape(samples), np.shape(train))
    chunk_size = check_positive_int(chunk_size, name="chunk_size")
    heldout_d1 = None
    if heldout is not None:
        h_flat = _flat(heldout, "heldout")
        if h_flat.shape[1] != s_flat.shape[1]:
            raise ValueError(
                f"`heldout` images must have the size of the samples ({s_flat.shape[1]} values "
                f"each), got {h_flat.shape[1]}"
            )
        heldout_d1 = nearest_neighbours(s_flat, h_flat, k=1, chunk_size=chunk_size)[1][:, 0]
    # d2 is the distance to the second-nearest *distinct* training image: with a duplicated
    # image, a copy of it would otherwise have d1 = d2 (both ~0) and ratio 1, "not memorised"
    distinct, first = np.unique(t_flat, axis=0, return_index=True)
    if distinct.shape[0] < 2:
        raise ValueError(
            f"`train` must hold at least 2 distinct images (d2 is the second-nearest), got "
            f"{distinct.shape[0]} distinct among {t_flat.shape[0]}"
        )
    idx, dist = nearest_neighbours(s_flat, distinct, k=2, chunk_size=chunk_size)
    d1, d2 = dist[:, 0], dist[:, 1]  # d2 > 0: the images are distinct
    ratio = d1 / d2
    return MemorizationReport(
        d1=d1,
        d2=d2,
        ratio=ratio,
        nearest_index=first[idx[:, 0]],  # an index into `train`
        fraction_memorized=float(np.mean(ratio < threshold)),
        heldout_d1=heldout_d1,
        threshold=threshold,
        num_train=int(t_flat.shape[0]),
    )
