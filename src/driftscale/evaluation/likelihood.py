r"""Likelihood summaries: per-image bits/dim, means with standard errors, train versus held-out.

The likelihood view of arXiv:2501.17054's memorisation finding. The exact reverse process of
:math:`N` training images is at best uniform over them: its bound on a training image is at least
:math:`\ln N` nats on average, :math:`\log_2 N / d` bits/dim (0.167 for the 1617 training digits,
``d = 64``), far below any model of the digits that generalises, while a held-out image, off
every training image, costs hundreds of bits/dim. A model that generalises shows a small gap
between the two splits. :func:`split_gap` measures it; :func:`summarise` turns the per-image
estimates of :func:`~driftscale.reverse.likelihood.likelihood` into a mean with its standard
error.

The standard error of a mean over ``n`` images is the spread of the per-image values over
:math:`\sqrt n`: it contains the variation between images and every Monte Carlo draw made per
image (the :math:`u_t` samples, probes and dequantisation); ``mc_se`` is the part from the draws
that the route can estimate per image.

References
----------
.. [1] "Generative diffusion models from a PDE perspective", arXiv:2501.17054 (2025).
.. [2] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale.reverse.likelihood import LikelihoodEstimate

__all__ = ["BitsSummary", "SplitGap", "split_gap", "summarise", "uniform_bits_per_dim"]


@dataclass(frozen=True)
class BitsSummary:
    """Bits/dim of one set of images under one route.

    Attributes
    ----------
    route, split : str
    num_images : int
    mean, se : float
        Mean bits/dim and its standard error (spread over images / sqrt(n); NaN for one image).
    median, minimum, maximum : float
    mc_se : float
        The Monte Carlo part of ``se`` estimated per image, ``sqrt(sum se_i^2) / n`` (NaN when
        the route gives no per-image error, e.g. one draw per term or one probe).
    nll_mean : float
        Mean NLL bound in nats per image.
    """

    route: str
    split: str
    num_images: int
    mean: float
    se: float
    median: float
    minimum: float
    maximum: float
    mc_se: float
    nll_mean: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {
            "route": self.route,
            "split": self.split,
            "num_images": self.num_images,
            "bits_per_dim_mean": self.mean,
            "bits_per_dim_se": self.se,
            "bits_per_dim_median": self.median,
            "bits_per_dim_min": self.minimum,
            "bits_per_dim_max": self.maximum,
            "bits_per_dim_mc_se": self.mc_se,
            "nll_mean_nats": self.nll_mean,
        }


def summarise(estimate: LikelihoodEstimate, *, split: str = "") -> BitsSummary:
    """Mean bits/dim with its standard error, and quantiles, of one likelihood estimate.

    Examples
    --------
    >>> from driftscale.reverse.quantisation import Quantisation
    >>> est = LikelihoodEstimate("vlb", np.array([4.0, 6.0]) * np.log(2), np.zeros(2), 1,
    ...                          Quantisation.uniform_levels(17), {}, 1000.0, 2)
    >>> s = summarise(est, split="train")
    >>> s.mean, s.se
    (5.0, 1.0)
    """
    if not isinstance(estimate, LikelihoodEstimate):
        raise TypeError(
            f"`estimate` must be a LikelihoodEstimate (from likelihood()), got "
            f"{type(estimate).__name__}"
        )
    bits = estimate.bits_per_dim
    n = bits.size
    se = float(bits.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    mc = estimate.bits_per_dim_se
    return BitsSummary(
        route=estimate.route,
        split=split,
        num_images=int(n),
        mean=float(bits.mean()),
        se=se,
        median=float(np.median(bits)),
        minimum=float(bits.min()),
        maximum=float(bits.max()),
        mc_se=float(np.sqrt(np.sum(mc**2)) / n),
        nll_mean=float(estimate.nll.mean()),
    )


@dataclass(frozen=True)
class SplitGap:
    """Training versus held-out bits/dim under one route: the memorisation signature.

    Attributes
    ----------
    train, heldout : BitsSummary
    gap, gap_se : float
        ``heldout.mean - train.mean`` and its standard error (the two samples are independent).
    ratio : float
        ``heldout.mean / train.mean``.
    """

    train: BitsSummary
    heldout: BitsSummary
    gap: float
    gap_se: float
    ratio: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {
            "train": self.train.to_dict(),
            "heldout": self.heldout.to_dict(),
            "gap_bits_per_dim": self.gap,
            "gap_se": self.gap_se,
            "ratio": self.ratio,
        }


def split_gap(train: LikelihoodEstimate, heldout: LikelihoodEstimate) -> SplitGap:
    """Compare the bits/dim of training and held-out images (same route, same model)."""
    if train.route != heldout.route:
        raise ValueError(
            f"`train` and `heldout` must come from the same route, got {train.route!r} and "
            f"{heldout.route!r}"
        )
    a, b = summarise(train, split="train"), summarise(heldout, split="heldout")
    return SplitGap(
        train=a,
        heldout=b,
        gap=b.mean - a.mean,
        gap_se=math.hypot(a.se, b.se),
        ratio=b.mean / a.mean if a.mean != 0 else math.inf,
    )


def uniform_bits_per_dim(count: int, dims: int) -> float:
    r"""Bits/dim of a model uniform over ``count`` outcomes: :math:`\log_2(\text{count}) / d`.

    ``count = N`` training images gives the floor of the exact model on its training set;
    ``count = L^d`` (pass ``L**d`` as a Python int) the model uniform over every image of ``L``
    levels, :math:`\log_2 L`.

    Examples
    --------
    >>> round(uniform_bits_per_dim(1617, 64), 4)
    0.1665
    >>> uniform_bits_per_dim(17**64, 64) == math.log2(17)
    True
    """
    if int(count) != count or count < 1:
        raise ValueError(f"`count` must be a positive integer, got {count!r}")
    if int(dims) != dims or dims < 1:
        raise ValueError(f"`dims` must be a positive integer, got {dims!r}")
    return math.log2(int(count)) / int(dims)
