"""Denoisers: the chunked exact denoiser against the direct dense formula, its limits (nearest
training point at tiny noise, data mean as alpha_bar -> 0), torch inputs, the closed forms of the
point and Gaussian denoisers (the latter against numerical quadrature), and named errors for bad
input. The Denoiser contract, over every denoiser, is in tests/test_contract.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import integrate, special

from driftscale.reverse.denoisers import (
    DenoiserError,
    ExactDenoiser,
    GaussianDenoiser,
    PointDenoiser,
)
from driftscale.schedules import Schedule

SCHEDULE = Schedule.from_string("linear:1e-4,0.02", T=1000)


def dense_exact(train, x, i, schedule):
    """The textbook formula with the B x N x n difference array and scipy's logsumexp."""
    ab = schedule.alpha_bar[i]
    flat_t = train.reshape(len(train), -1)
    flat_x = x.reshape(len(x), -1)
    sq = ((flat_x[:, None, :] - np.sqrt(ab) * flat_t[None]) ** 2).sum(-1)
    logits = -sq / (2 * (1 - ab))
    w = np.exp(logits - special.logsumexp(logits, axis=1, keepdims=True))
    return (w @ flat_t).reshape(x.shape)


@pytest.fixture
def tiny(rng):
    return rng.uniform(-1, 1, size=(23, 3, 2)), rng.standard_normal((17, 3, 2))


@pytest.mark.parametrize("i", [1, 3, 20, 200, 1000])
@pytest.mark.parametrize(
    ("chunk_size", "threads"),
    [(2**20, 1), (2**20, 2), (40, 2), (5, 1)],  # one block; threads; row and column blocks
)
def test_exact_matches_dense_formula(tiny, i, chunk_size, threads):
    train, x = tiny
    D = ExactDenoiser(train, SCHEDULE, chunk_size=chunk_size, threads=threads)
    # The logits are formed as c1 x.f + c2 |f|^2 instead of -|x - a f|^2 / (2(1 - ab)); the
    # rounding difference is ~ n eps |x|^2 / (1 - ab) <= 6 * 2e-16 * 20 / 1e-4 ~ 3e-10 in the
    # logits at i = 1 (1 - ab = 1e-4), hence in the relative weights; data lie in [-1, 1].
    tol = 1e-9 if i == 1 else 1e-12
    np.testing.assert_allclose(D(x, i), dense_exact(train, x, i, SCHEDULE), rtol=0, atol=tol)


def test_per_image_steps_match_single_steps(tiny):
    train, x = tiny
    D = ExactDenoiser(train, SCHEDULE, chunk_size=30, threads=2)
    steps = np.arange(len(x)) * 50 % 1001
    steps[3] = 0  # mixes the noiseless rows (nearest image) into a noisy batch
    out = D(x, steps)
    for b, i in enumerate(steps):
        # same formula; BLAS may sum in another order for another batch: a few ulps of 1
        np.testing.assert_allclose(out[b], D(x[b : b + 1], int(i))[0], rtol=0, atol=1e-14)


def test_tiny_noise_gives_the_nearest_training_image(rng):
    train = rng.uniform(-1, 1, size=(50, 4))
    sched = Schedule.from_string("constant:1e-6", T=10)
    x = train[[7, 19, 33]] + 0.05 * rng.standard_normal((3, 4))
    nearest = np.argmin(((x[:, None] - train[None]) ** 2).sum(-1), axis=1)
    # 1 - ab = 1e-6: the gap between the two smallest squared distances (> 1e-3 here, asserted)
    # divided by 2e-6 is > 500 nats, so the weight of any other image is below e^-500.
    d2 = np.sort(((x[:, None] - train[None]) ** 2).sum(-1), axis=1)
    assert np.all(d2[:, 1] - d2[:, 0] > 1e-3)
    D = ExactDenoiser(train, sched)
    np.testing.assert_allclose(D(x, 1), train[nearest], rtol=0, atol=1e-15)
    # step 0 is the limit itself, exact
    np.testing.assert_array_equal(D(x, 0), train[nearest])


def test_pure_noise_gives_the_data_mean(rng):
    train = rng.uniform(-1, 1, size=(40, 5))
    sched = Schedule.from_string("constant:0.5", T=100)  # alpha_bar_T = 2^-100 ~ 8e-31
    D = ExactDenoiser(train, sched)
    x = 3 * rng.standard_normal((6, 5))
    # logits differ by c1 |x.f| <= sqrt(ab) * 3 sqrt(5) * sqrt(5) ~ 1e-14: weights uniform to 1e-13
    np.testing.assert_allclose(D(x, 100), np.broadcast_to(train.mean(0), x.shape), atol=1e-12)


def test_torch_cpu_matches_numpy_and_keeps_dtype(tiny):
    train, x = tiny
    D = ExactDenoiser(train, SCHEDULE, chunk_size=20)
    steps = np.array([0, 1, 5, 50, 500, 1000] * 3)[: len(x)]
    out = D(torch.from_numpy(x), torch.from_numpy(steps))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), D(x, steps), rtol=0, atol=1e-12)
    with pytest.raises(DenoiserError, match="`x` must hold finite values only"):
        D(torch.full((2, 3, 2), float("nan")), 30)
    out32 = D(torch.from_numpy(x).float(), 30)
    assert out32.dtype == torch.float32
    # float32 logits carry ~1e-7 relative error times logits of size <= c1 |x||f| ~ 10: 1e-5
    np.testing.assert_allclose(out32.numpy(), D(x, 30), atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_torch_cuda_matches_numpy(tiny):  # pragma: no cover - runs where a GPU is present
    train, x = tiny
    D = ExactDenoiser(train, SCHEDULE)
    out = D(torch.from_numpy(x).cuda(), 40)
    assert out.device.type == "cuda"
    np.testing.assert_allclose(out.cpu().numpy(), D(x, 40), rtol=0, atol=1e-12)


def test_gaussian_denoiser_matches_quadrature():
    m, s2 = 0.7, 0.16
    D = GaussianDenoiser(m, s2, SCHEDULE)
    for i, x in [(1, -0.3), (100, 1.2), (600, 0.1), (1000, -2.0)]:
        ab = SCHEDULE.alpha_bar[i]

        def log_joint(u, x=x, ab=ab):  # ln p(u0) + ln p(x | u0), Eq. (5), up to constants
            return -((u - m) ** 2) / (2 * s2) - (x - np.sqrt(ab) * u) ** 2 / (2 * (1 - ab))

        # locate the peak on a fine grid (at i = 1 it is only ~0.01 wide) and integrate around it
        grid = np.linspace(-10, 10, 400_001)
        peak = grid[np.argmax(log_joint(grid))]
        top = log_joint(peak)
        joint = lambda u, lj=log_joint, top=top: np.exp(lj(u) - top)  # noqa: E731
        lo, hi = peak - 5, peak + 5
        opts = {"epsabs": 0, "epsrel": 1e-12, "points": [peak], "limit": 200}
        num = integrate.quad(lambda u, j=joint: u * j(u), lo, hi, **opts)[0]
        den = integrate.quad(joint, lo, hi, **opts)[0]
        assert D(np.array([[x]]), i)[0, 0] == pytest.approx(num / den, rel=1e-9, abs=1e-12)


def test_gaussian_denoiser_torch_and_image_mean():
    mean = np.array([[0.1, -0.2], [0.3, 0.0]])
    D = GaussianDenoiser(mean, 0.5, SCHEDULE)
    x = np.linspace(-1, 1, 8).reshape(2, 2, 2)
    out = D(torch.from_numpy(x), 10)
    np.testing.assert_allclose(out.numpy(), D(x, 10), rtol=0, atol=1e-15)


def test_point_denoiser_returns_f_for_any_input(rng):
    f = rng.standard_normal((3, 4))
    D = PointDenoiser(f, SCHEDULE)
    x = rng.standard_normal((5, 3, 4))
    np.testing.assert_array_equal(D(x, 17), np.broadcast_to(f, x.shape))
    out = D(torch.from_numpy(x), torch.full((5,), 3))
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(f, x.shape))


def test_train_data_is_copied(rng):
    train = rng.standard_normal((6, 2))
    D = ExactDenoiser(train, SCHEDULE)
    x = rng.standard_normal((3, 2))
    before = D(x, 10)
    train[:] = 0.0
    np.testing.assert_array_equal(D(x, 10), before)


@pytest.mark.parametrize(
    ("train", "match"),
    [
        (np.empty((0, 8, 8)), "`train_data` must not be empty"),
        (np.ones(5), "`train_data` must have shape \\(N, \\*image_shape\\)"),
        (np.array([[0.0, np.nan]]), "`train_data` must hold finite values only"),
    ],
)
def test_exact_denoiser_rejects_bad_training_data(train, match):
    with pytest.raises(ValueError, match=match):
        ExactDenoiser(train, SCHEDULE)


def test_exact_denoiser_rejects_bad_options():
    with pytest.raises(TypeError, match="`schedule` must be a Schedule or a string"):
        ExactDenoiser(np.ones((2, 2)), 0.02)
    with pytest.raises(ValueError, match="`chunk_size` must be a positive integer"):
        ExactDenoiser(np.ones((2, 2)), SCHEDULE, chunk_size=0)
    with pytest.raises(ValueError, match="`threads` must be a positive integer"):
        ExactDenoiser(np.ones((2, 2)), SCHEDULE, threads=-1)


def test_point_and_gaussian_reject_bad_parameters():
    with pytest.raises(ValueError, match="`f` must not be empty"):
        PointDenoiser(np.array([]), SCHEDULE)
    with pytest.raises(ValueError, match="`f` must be an image"):
        PointDenoiser(3.0, SCHEDULE)
    with pytest.raises(ValueError, match=r"`variance` must be positive"):
        GaussianDenoiser(0.0, 0.0, SCHEDULE)
    with pytest.raises(ValueError, match=r"`mean` must be a scalar or of shape \(2,\)"):
        GaussianDenoiser(np.zeros(3), 1.0, SCHEDULE, image_shape=(2,))
