"""U-Net and NetworkDenoiser: the Denoiser contract (shape, dtype, type), Eq. (5) solved for u0,
image sizes and the errors that name what was wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from driftscale.learned.denoiser import NetworkDenoiser
from driftscale.learned.unet import (
    NetworkShapeError,
    UNet,
    UNetConfig,
    timestep_embedding,
)
from driftscale.reverse.denoisers import DenoiserError
from driftscale.reverse.samplers import sample
from driftscale.schedules import Schedule

SCHEDULE = "linear:1e-4,0.02"


@pytest.fixture(autouse=True)
def _one_thread():
    # the machine is shared: two intra-op threads next to other processes run 10-40x slower
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _net(shape=(8, 8), **kw) -> UNet:
    torch.manual_seed(0)
    return UNet(UNetConfig(image_shape=shape, base_channels=8, **kw))


def _zero_output(net: UNet) -> UNet:
    """The last convolution set to zero: the network outputs exactly 0 everywhere."""
    with torch.no_grad():
        for p in net.out[-1].parameters():
            p.zero_()
    return net


SHAPES = [
    ((8, 8), (1, 2)),  # the digits
    ((16, 16), (1, 2, 2)),
    ((32, 32, 3), (1, 2, 2, 2)),  # colour
    ((8, 12), (1, 2)),  # not square
]


@pytest.mark.parametrize(("shape", "mults"), SHAPES)
def test_numpy_in_float64_out_same_shape(shape, mults, rng):
    D = NetworkDenoiser(_net(shape, channel_mults=mults), SCHEDULE)
    x = rng.standard_normal((3, *shape))
    keep = x.copy()
    out = D(x, np.array([0, 10, 999]))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == x.shape
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(x, keep)  # the caller's array is not modified


def test_torch_in_torch_out_on_its_dtype(rng):
    D = NetworkDenoiser(_net(), SCHEDULE)
    x = torch.as_tensor(rng.standard_normal((2, 8, 8)), dtype=torch.float32)
    out = D(x, 5)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.shape == x.shape
    # the same numbers as through NumPy (same float32 network; the only difference is the
    # final cast to float64 on the NumPy path, so they agree to float32 rounding exactly)
    np.testing.assert_array_equal(out.numpy().astype(np.float64), D(x.numpy(), 5))


def test_epsilon_prediction_solves_eq5_for_u0(rng):
    # a network that predicts eps = 0 gives u0 = x / sqrt(alpha_bar_i) (Eq. 5 with eps = 0)
    sched = Schedule.from_string(SCHEDULE)
    D = NetworkDenoiser(_zero_output(_net()), sched)
    x = rng.standard_normal((3, 8, 8))
    i = np.array([1, 300, 1000])
    expected = x / np.sqrt(sched.alpha_bar[i])[:, None, None]
    # float32 network: relative error of one float32 rounding of x and of the factor (~1e-7)
    np.testing.assert_allclose(D(x, i), expected, rtol=1e-6)


def test_u0_prediction_and_clip(rng):
    D = NetworkDenoiser(_zero_output(_net(prediction="u0")), SCHEDULE)
    x = rng.standard_normal((2, 8, 8))
    np.testing.assert_array_equal(D(x, 50), 0.0)  # the network's u0 = 0 is returned as is
    eps_net = NetworkDenoiser(_zero_output(_net()), SCHEDULE, clip=1.0)
    assert np.abs(eps_net(10 * x, 1000)).max() == 1.0  # |x / sqrt(ab)| >> 1, clipped to 1


def test_step_zero_returns_x(rng):
    # E[u0 | u0 = x] = x exactly, whatever the network says
    D = NetworkDenoiser(_net(), SCHEDULE)
    x = rng.standard_normal((2, 8, 8))
    np.testing.assert_allclose(D(x, 0), x, rtol=1e-7)  # float32 round trip of x


def test_every_sampler_runs_and_same_seed_same_bytes():
    D = NetworkDenoiser(_net(), Schedule.from_string("linear:1e-3,0.2", T=20), clip=1.0)
    for name in ("ddpm", "ddim", "sde", "ode"):
        a = sample(D, num_samples=2, sampler=name, rng=3, num_steps=4).samples
        b = sample(D, num_samples=2, sampler=name, rng=3, num_steps=4).samples
        assert a.shape == (2, 8, 8) and a.dtype == np.float64
        np.testing.assert_array_equal(a, b)


def test_timestep_embedding_is_sinusoidal():
    emb = timestep_embedding(torch.tensor([0, 7]), 6)
    assert emb.shape == (2, 6)
    np.testing.assert_allclose(emb[0].numpy(), [1, 1, 1, 0, 0, 0])  # cos 0 = 1, sin 0 = 0
    omega = 10_000.0 ** (-np.arange(3) / 3)
    np.testing.assert_allclose(
        emb[1].numpy(), np.r_[np.cos(7 * omega), np.sin(7 * omega)], rtol=1e-6
    )


def test_config_round_trip():
    cfg = UNetConfig(image_shape=(16, 16, 3), channel_mults=(1, 2, 2), attention=False)
    assert UNetConfig.from_dict(cfg.to_dict()) == cfg


def test_attention_is_used_at_lowest_resolution():
    with_attn = _net(attention=True)
    without = _net(attention=False)
    assert with_attn.num_parameters > without.num_parameters


# -- errors --------------------------------------------------------------------------------------
def test_size_not_divisible_is_named():
    with pytest.raises(NetworkShapeError, match=r"divisible by the U-Net's down-sampling factor 4"):
        UNetConfig(image_shape=(6, 6), channel_mults=(1, 2, 2))
    with pytest.raises(NetworkShapeError, match=r"`image_shape` must be \(H, W\)"):
        UNetConfig(image_shape=(8,))


def test_bad_options():
    with pytest.raises(ValueError, match=r"`prediction` must be one of 'epsilon', 'u0'"):
        UNetConfig(image_shape=(8, 8), prediction="v")
    with pytest.raises(ValueError, match=r"`channel_mults` must be positive"):
        UNetConfig(image_shape=(8, 8), channel_mults=())
    with pytest.raises(TypeError, match=r"`model` must be a driftscale UNet"):
        NetworkDenoiser(torch.nn.Linear(2, 2), SCHEDULE)
    with pytest.raises(ValueError, match=r"`clip` must be a positive number"):
        NetworkDenoiser(_net(), SCHEDULE, clip=-1.0)


def test_bad_batches_are_named(rng):
    D = NetworkDenoiser(_net(), SCHEDULE)
    with pytest.raises(DenoiserError, match=r"`x` must have shape \(B, 8, 8\)"):
        D(rng.standard_normal((2, 16, 16)), 3)
    bad = rng.standard_normal((2, 8, 8))
    bad[0, 0, 0] = np.nan
    with pytest.raises(DenoiserError, match=r"finite"):
        D(bad, 3)
    with pytest.raises(DenoiserError, match=r"`i` must lie in 0..T = 0..1000"):
        D(rng.standard_normal((2, 8, 8)), 1001)
    with pytest.raises(DenoiserError, match=r"one step per image"):
        D(rng.standard_normal((2, 8, 8)), np.array([1, 2, 3]))
