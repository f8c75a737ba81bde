"""The smoothed closed-form denoiser (after Scarvelis et al., arXiv:2310.12395)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from driftscale.reverse.denoisers import ExactDenoiser
from driftscale.reverse.samplers import sample
from driftscale.reverse.smoothed import SmoothedExactDenoiser
from driftscale.schedules import Schedule

SCHEDULE = Schedule.from_string("linear:1e-3,0.2", T=50)


@pytest.fixture
def data(rng):
    return rng.uniform(-1.0, 1.0, size=(6, 4, 4)), rng.standard_normal((5, 4, 4))


def test_no_smoothing_is_the_exact_denoiser(data):
    train, x = data
    D = SmoothedExactDenoiser(train, SCHEDULE, smoothing=0.0, num_draws=3)
    exact = ExactDenoiser(train, SCHEDULE)
    for step in (1, 10, 50):
        np.testing.assert_allclose(D(x, step), exact(x, step), rtol=0, atol=1e-13)


def test_tends_to_the_exact_denoiser_as_the_smoothing_goes_to_zero(data):
    train, x = data
    exact = ExactDenoiser(train, SCHEDULE)(x, 20)
    errors = [
        np.abs(SmoothedExactDenoiser(train, SCHEDULE, smoothing=s, rng=0)(x, 20) - exact).max()
        for s in (1e-1, 1e-2, 1e-3, 1e-4)
    ]
    # smooth in s: the error shrinks about tenfold per decade (at least fivefold here)
    assert all(b < a / 5 for a, b in itertools.pairwise(errors)), errors
    assert errors[-1] < 1e-3


def test_smoothing_makes_barycentres_not_copies(rng):
    # two training points; at small noise the exact denoiser returns one of them, the smoothed
    # one a convex combination strictly between them near the midpoint
    train = np.array([[-1.0], [1.0]])
    x = np.array([[0.05]])
    exact = ExactDenoiser(train, SCHEDULE)(x, 1)[0, 0]
    smooth = SmoothedExactDenoiser(train, SCHEDULE, smoothing=0.5, num_draws=64, rng=1)(x, 1)
    assert exact == pytest.approx(1.0, abs=1e-6)
    assert -0.9 < smooth[0, 0] < 0.9


def test_same_seed_same_bytes_and_bad_input(data):
    train, _ = data
    a = SmoothedExactDenoiser(train, SCHEDULE, smoothing=0.1, rng=4)
    b = SmoothedExactDenoiser(train, SCHEDULE, smoothing=0.1, rng=4)
    sa = sample(a, num_samples=2, num_steps=5, sampler="ddim", rng=0).samples
    sb = sample(b, num_samples=2, num_steps=5, sampler="ddim", rng=0).samples
    assert sa.tobytes() == sb.tobytes()
    with pytest.raises(ValueError, match="`smoothing` must be a finite number >= 0"):
        SmoothedExactDenoiser(train, SCHEDULE, smoothing=-1.0)
    with pytest.raises(ValueError, match="`num_draws` must be a positive integer"):
        SmoothedExactDenoiser(train, SCHEDULE, smoothing=0.1, num_draws=0)
