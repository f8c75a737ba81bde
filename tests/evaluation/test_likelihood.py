"""Likelihood summaries: means with standard errors, the train/held-out gap, uniform baselines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftscale.evaluation.likelihood import (
    split_gap,
    summarise,
    uniform_bits_per_dim,
)
from driftscale.reverse.denoisers import ExactDenoiser
from driftscale.reverse.likelihood import LikelihoodEstimate, likelihood
from driftscale.reverse.quantisation import Quantisation

Q17 = Quantisation.uniform_levels(17)


def _estimate(nll, se=None, route="vlb", dims=4):
    nll = np.asarray(nll, dtype=float)
    se = np.zeros_like(nll) if se is None else np.asarray(se, dtype=float)
    return LikelihoodEstimate(route, nll, se, dims, Q17, {}, 1000.0, nll.size)


def test_summary_is_the_mean_and_its_standard_error_in_bits_per_dim(rng):
    nll = rng.uniform(10, 20, size=50)
    se = rng.uniform(0, 1, size=50)
    s = summarise(_estimate(nll, se), split="train")
    bits = nll / (4 * math.log(2))
    assert math.isclose(s.mean, bits.mean(), rel_tol=1e-14)
    assert math.isclose(s.se, bits.std(ddof=1) / math.sqrt(50), rel_tol=1e-12)
    assert math.isclose(s.mc_se, np.sqrt(np.sum((se / (4 * math.log(2))) ** 2)) / 50)
    assert (s.minimum, s.maximum) == (bits.min(), bits.max())
    d = s.to_dict()
    assert d["split"] == "train" and d["num_images"] == 50
    assert d["bits_per_dim_mean"] == s.mean and d["nll_mean_nats"] == nll.mean()


def test_one_image_has_no_standard_error():
    assert math.isnan(summarise(_estimate([3.0])).se)


def test_gap_and_its_standard_error_combine_independent_splits(rng):
    a, b = _estimate(rng.uniform(0, 1, 30)), _estimate(rng.uniform(5, 9, 40))
    gap = split_gap(a, b)
    assert math.isclose(gap.gap, gap.heldout.mean - gap.train.mean)
    assert math.isclose(gap.gap_se, math.hypot(gap.train.se, gap.heldout.se))
    assert math.isclose(gap.ratio, gap.heldout.mean / gap.train.mean)
    assert set(gap.to_dict()) == {"train", "heldout", "gap_bits_per_dim", "gap_se", "ratio"}


def test_exact_model_memorises_in_bits_per_dim(rng):
    """The memorisation signature on 16 random 2x2 images of 17 levels: training images near
    log2(16)/4 = 1 bit/dim, held-out ones (other random images) far above, gap > 3.29 SE."""
    train = Q17.grid()[rng.integers(0, 17, size=(16, 2, 2))]
    held = Q17.grid()[rng.integers(0, 17, size=(16, 2, 2))]
    den = ExactDenoiser(train, "linear:1e-4,0.02")
    est_train = likelihood(den, train, quantisation=Q17, rng=0)
    est_held = likelihood(den, held, quantisation=Q17, rng=0)
    gap = split_gap(est_train, est_held)
    assert abs(gap.train.mean - uniform_bits_per_dim(16, 4)) < 0.1
    assert gap.gap > 3.29 * gap.gap_se


def test_uniform_baselines():
    assert uniform_bits_per_dim(256**3, 3) == 8.0
    assert math.isclose(uniform_bits_per_dim(1617, 64), math.log(1617) / (64 * math.log(2)))


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match="`estimate` must be a LikelihoodEstimate"):
        summarise({"nll": [1.0]})
    with pytest.raises(ValueError, match="must come from the same route, got 'vlb' and 'ode'"):
        split_gap(_estimate([1.0, 2.0]), _estimate([1.0, 2.0], route="ode"))
    with pytest.raises(ValueError, match="`count` must be a positive integer"):
        uniform_bits_per_dim(0, 3)
    with pytest.raises(ValueError, match="`dims` must be a positive integer"):
        uniform_bits_per_dim(4, 1.5)
