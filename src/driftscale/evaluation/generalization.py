r"""Generalisation metrics: how alike two sample sets drawn from the same noise are, and how many
samples copy a training image.

Where does generalisation come from, given that the exact reverse process of a finite data set
only regenerates its training images (arXiv:2501.17054)? Two published answers are tested by
comparing reverse processes *started from the same noise*:

- Kamb & Ganguli (arXiv:2412.20292) predict a trained network's sample from the sample of a
  closed-form local machine from the same noise and report the median :math:`r^2`;
- Kadkhodaie et al. (arXiv:2310.02557) compare two networks trained on disjoint halves of a data
  set, by the cosine similarity of their samples from the same noise.

Definitions (per pair of images ``a`` = reference, ``b`` = prediction, flattened):

.. math::
    r^2 = 1 - \frac{|b - a|^2}{|a - \bar a|^2}, \qquad
    \cos = \frac{(a - c)\cdot(b - c)}{|a - c|\,|b - c|},

:math:`\bar a` the mean pixel value of ``a`` (the coefficient of determination of ``b`` as a
prediction of ``a``; 1 for identical images, 0 for the flat image :math:`\bar a`, about -1 for an
independent image of the same law) and ``c`` an optional centre (e.g. the training mean image, so
that a shared background does not count as agreement; ``c = 0`` by default).

The copy fraction is the share of samples with :math:`d_1/d_2 <` threshold (``1/3``; see
:mod:`driftscale.evaluation.memorization`), with a percentile bootstrap interval: the bootstrap
distribution of the mean of ``n`` indicators with observed fraction :math:`\hat p` is exactly
:math:`\mathrm{Binomial}(n, \hat p)/n`, which is what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.evaluation.memorization import MemorizationReport, memorization_report
from driftscale.typing import FloatArray, RNGLike

__all__ = [
    "CopyFraction",
    "PairedAgreement",
    "bootstrap_fraction",
    "copy_fraction",
    "cosine_similarity",
    "paired_agreement",
    "r_squared",
]


def _pair(reference: Any, predicted: Any) -> tuple[FloatArray, FloatArray]:
    a = check_array(reference, name="reference")
    b = check_array(predicted, name="predicted")
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(
            "`reference` and `predicted` must be batches of the same shape (B, *image_shape), "
            f"one pair per row, got {a.shape} and {b.shape}"
        )
    return a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)


def r_squared(reference: Any, predicted: Any) -> FloatArray:
    r"""Per pair, :math:`1 - |b - a|^2 / |a - \bar a|^2` (module docstring); NaN for a flat ``a``.

    Examples
    --------
    >>> a = np.array([[0.0, 1.0, 2.0]])
    >>> r_squared(a, a).tolist(), r_squared(a, np.ones((1, 3))).tolist()
    ([1.0], [0.0])
    """
    a, b = _pair(reference, predicted)
    resid = np.einsum("ij,ij->i", b - a, b - a)
    centred = a - a.mean(axis=1, keepdims=True)
    total = np.einsum("ij,ij->i", centred, centred)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - resid / np.where(total > 0, total, 1.0), np.nan)


def cosine_similarity(reference: Any, predicted: Any, *, center: Any = None) -> FloatArray:
    """Per pair, the cosine of the angle between ``a - center`` and ``b - center``; NaN where
    either is zero. ``center`` has the shape of one image (or is a scalar)."""
    a, b = _pair(reference, predicted)
    if center is not None:
        c = np.broadcast_to(check_array(center, name="center"), np.shape(reference)[1:])
        a, b = a - c.reshape(1, -1), b - c.reshape(1, -1)
    norms = np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))
    dots = np.einsum("ij,ij->i", a, b)
    return np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), np.nan)


@dataclass(frozen=True)
class PairedAgreement:
    """Agreement of two sample sets drawn from the same noise, pair by pair.

    Attributes
    ----------
    r2, cosine : ndarray of float64, shape (B,)
        Per pair (module docstring).
    centered : bool
        Whether the cosine was taken about a centre image.
    """

    r2: FloatArray
    cosine: FloatArray
    centered: bool

    def summary(self) -> dict[str, Any]:
        """Medians and quartiles (NaN pairs, from flat images, left out)."""

        def stats(v: FloatArray) -> dict[str, Any]:
            v = v[np.isfinite(v)]
            if v.size == 0:
                return {"median": float("nan"), "quartiles": [float("nan")] * 2}
            q = np.quantile(v, [0.25, 0.5, 0.75])
            return {"median": float(q[1]), "quartiles": [float(q[0]), float(q[2])]}

        return {
            "num_pairs": int(self.r2.size),
            "r2": stats(self.r2),
            "cosine": stats(self.cosine),
            "cosine_centered": self.centered,
        }


def paired_agreement(reference: Any, predicted: Any, *, center: Any = None) -> PairedAgreement:
    """:func:`r_squared` and :func:`cosine_similarity` of each pair (row ``k`` of both sets
    drawn from the same noise)."""
    return PairedAgreement(
        r2=r_squared(reference, predicted),
        cosine=cosine_similarity(reference, predicted, center=center),
        centered=center is not None,
    )


@dataclass(frozen=True)
class CopyFraction:
    """A fraction of copies with its percentile bootstrap interval.

    Attributes
    ----------
    fraction : float
    low, high : float
        Bounds of the ``confidence`` interval.
    confidence : float
    num_samples, num_bootstrap : int
    report : MemorizationReport or None
        The nearest-neighbour analysis behind it (not in :meth:`to_dict`).
    """

    fraction: float
    low: float
    high: float
    confidence: float
    num_samples: int
    num_bootstrap: int
    report: MemorizationReport | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {
            "fraction": self.fraction,
            "ci": [self.low, self.high],
            "confidence": self.confidence,
            "num_samples": self.num_samples,
            "num_bootstrap": self.num_bootstrap,
        }


def bootstrap_fraction(
    mask: Any, *, confidence: float = 0.95, num_bootstrap: int = 2000, rng: RNGLike = None
) -> CopyFraction:
    """The mean of a boolean ``mask`` with a percentile bootstrap interval (module docstring).

    Examples
    --------
    >>> cf = bootstrap_fraction(np.arange(100) < 30, rng=0)
    >>> cf.fraction, 0.2 < cf.low < 0.3 < cf.high < 0.4
    (0.3, True)
    """
    m = np.asarray(mask)
    if m.dtype != bool or m.ndim != 1 or m.size == 0:
        raise ValueError(f"`mask` must be a non-empty 1-D boolean array, got {m.dtype} {m.shape}")
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"`confidence` must lie in (0, 1), got {confidence}")
    num_bootstrap = check_positive_int(num_bootstrap, name="num_bootstrap")
    n, p = m.size, float(m.mean())
    # resampling n indicators with replacement: the count is Binomial(n, p_hat), exactly
    boot = as_rng(rng).binomial(n, p, size=num_bootstrap) / n
    lo, hi = np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2])
    return CopyFraction(p, float(lo), float(hi), confidence, n, num_bootstrap)


def copy_fraction(
    samples: Any,
    train: Any,
    *,
    threshold: float = 1.0 / 3.0,
    heldout: Any = None,
    confidence: float = 0.95,
    num_bootstrap: int = 2000,
    rng: RNGLike = None,
) -> CopyFraction:
    """The fraction of ``samples`` that copy a ``train`` image (``d1/d2 < threshold``), with a
    bootstrap interval; the :class:`MemorizationReport` (with ``heldout`` distances when
    given) is kept in ``report``."""
    rep = memorization_report(samples, train, heldout=heldout, threshold=threshold)
    cf = bootstrap_fraction(
        rep.memorised, confidence=confidence, num_bootstrap=num_bootstrap, rng=rng
    )
    return CopyFraction(
        cf.fraction, cf.low, cf.high, cf.confidence, cf.num_samples, cf.num_bootstrap, rep
    )
