"""Reverse samplers: each reproduces a 1-D Gaussian target through its closed-form denoiser; each
matches its own exact law (a linear Gaussian recursion, derived here independently) where that law
is far from the target; DDIM(eta=1) is DDPM; the explicit point solution (arXiv:2501.17054) against
simulation; inpainting, seeds, batching, progress and named errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from driftscale.reverse.denoisers import (
    DenoiserError,
    ExactDenoiser,
    GaussianDenoiser,
    PointDenoiser,
)
from driftscale.reverse.point_law import reverse_point_law, reverse_point_moment_residual
from driftscale.reverse.samplers import SAMPLERS, sample, time_grid
from driftscale.schedules import Schedule

M, S2 = 0.7, 0.16  # the 1-D Gaussian target N(M, S2)
CASES = [("ddpm", 0.0), ("ddim", 0.0), ("ddim", 0.5), ("sde", 0.0), ("ode", 0.0)]


def sampler_law(sampler, schedule, grid, eta=0.0):
    """Exact mean and variance of a sampler's output for the target N(M, S2), u_T ~ N(0, 1).

    With the Gaussian denoiser u0_hat = A x + C every update is affine in x plus independent
    Gaussian noise, so x_s ~ N(L mu + K, L^2 v + q): the reference for the implementation, from
    the papers' formulas written out once more in scalar form.
    """
    la = schedule.log_alpha_bar

    def affine_u0(i):
        ab = math.exp(la[i])
        gain = math.sqrt(ab) * S2 / (ab * S2 + 1 - ab)
        return gain, M * (1 - gain * math.sqrt(ab))

    def velocity(i):  # probability-flow ODE: v = -x/2 - score/2 = l x + k
        A, C = affine_u0(i)
        ab = math.exp(la[i])
        return -0.5 + 0.5 * (1 - math.sqrt(ab) * A) / (1 - ab), -0.5 * math.sqrt(ab) * C / (1 - ab)

    mu, v = 0.0, 1.0
    for t, s in itertools.pairwise(grid):
        A, C = affine_u0(t)
        if s == 0:
            return A * mu + C, A * A * v
        ab_t, ab_s = math.exp(la[t]), math.exp(la[s])
        ratio = ab_t / ab_s
        c0 = math.sqrt(ab_s) * (1 - ratio) / (1 - ab_t)
        ct = math.sqrt(ratio) * (1 - ab_s) / (1 - ab_t)
        post = (1 - ab_s) * (1 - ratio) / (1 - ab_t)
        dB = -math.log(ratio)
        if sampler == "ddpm":
            L, K, q = c0 * A + ct, c0 * C, post
        elif sampler == "ddim":
            k = math.sqrt(1 - ab_s - eta**2 * post) / math.sqrt(1 - ab_t)
            L = math.sqrt(ab_s) * A + k * (1 - math.sqrt(ab_t) * A)
            K = math.sqrt(ab_s) * C - k * math.sqrt(ab_t) * C
            q = eta**2 * post
        elif sampler == "sde":
            L = 1 + dB * (0.5 - (1 - math.sqrt(ab_t) * A) / (1 - ab_t))
            K, q = dB * math.sqrt(ab_t) * C / (1 - ab_t), dB
        else:
            (l1, k1), (l2, k2) = velocity(t), velocity(s)
            le, ke = 1 - dB * l1, -dB * k1  # Euler predictor
            L, K, q = 1 - dB / 2 * (l1 + l2 * le), -dB / 2 * (k1 + l2 * ke + k2), 0.0
        mu, v = L * mu + K, L * L * v + q
    raise AssertionError("grid must end at 0")


def assert_moments(x, mean, var, n_se=5.0):
    """Mean within n_se standard errors sqrt(var/N); variance within n_se * var * sqrt(2/(N-1))
    (normal theory, exact here: every sampler's output is Gaussian for a Gaussian target)."""
    N = x.size
    assert abs(x.mean() - mean) < n_se * math.sqrt(var / N), (x.mean(), mean)
    assert abs(x.var(ddof=1) - var) < n_se * var * math.sqrt(2 / (N - 1)), (x.var(ddof=1), var)


@pytest.mark.parametrize(("sampler", "eta"), CASES)
def test_each_sampler_reproduces_a_gaussian_target(sampler, eta):
    # cosine schedule, T = 1000: every sampler's exact law is within 1% of the target variance
    # (asserted below, < 0.7 standard errors at N = 10_000), so a 5-SE check on the target has
    # a false-alarm rate below 2 * 5.7e-7 per case (fixed seed).
    schedule = Schedule.from_string("cosine", T=1000)
    N = 10_000
    law_mean, law_var = sampler_law(sampler, schedule, time_grid(1000), eta)
    assert abs(law_var / S2 - 1) < 0.01 and abs(law_mean - M) < 1e-3
    res = sample(GaussianDenoiser(M, S2, schedule), num_samples=N, sampler=sampler, eta=eta, rng=5)
    assert res.samples.shape == (N, 1) and res.samples.dtype == np.float64
    assert_moments(res.samples[:, 0], M, S2)


@pytest.mark.parametrize(("sampler", "eta"), CASES)
def test_each_sampler_follows_its_exact_law_on_a_coarse_grid(sampler, eta):
    # constant:0.02 with 20 of 100 steps: the discretisation error is large (the law misses the
    # target variance by 13% to 70%) and the samples must follow the law, not the target. 5 SE,
    # false alarm < 1.2e-6 per case; the target itself is rejected (power of the test).
    schedule = Schedule.from_string("constant:0.02", T=100)
    N = 20_000
    grid = time_grid(100, 20)
    law_mean, law_var = sampler_law(sampler, schedule, grid, eta)
    D = GaussianDenoiser(M, S2, schedule)
    x = sample(D, num_samples=N, sampler=sampler, eta=eta, num_steps=20, rng=9).samples[:, 0]
    assert_moments(x, law_mean, law_var)
    with pytest.raises(AssertionError):
        assert_moments(x, M, S2)


def test_ddim_with_eta_one_is_ddpm(rng):
    train = rng.uniform(-1, 1, size=(9, 2, 2))
    D = ExactDenoiser(train, "linear:1e-4,0.02")
    a = sample(D, num_samples=16, sampler="ddpm", num_steps=50, rng=4).samples
    b = sample(D, num_samples=16, sampler="ddim", eta=1.0, num_steps=50, rng=4).samples
    # DDIM Eq. (12) with sigma^2 = posterior variance rewrites Ho et al. Eq. (7): same noise,
    # same result up to rounding of the two algebraic forms
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_same_seed_same_bytes_and_batching_does_not_matter(sampler, rng):
    D = ExactDenoiser(rng.uniform(-1, 1, size=(12, 3, 3)), "linear:1e-4,0.02")
    kw = {"num_samples": 10, "sampler": sampler, "num_steps": 30}
    a = sample(D, rng=3, **kw)
    b = sample(D, rng=3, batch_size=4, **kw)
    assert a.samples.tobytes() == sample(D, rng=3, **kw).samples.tobytes()
    np.testing.assert_allclose(a.samples, b.samples, rtol=0, atol=1e-14)  # BLAS order only
    assert not np.array_equal(a.samples, sample(D, rng=4, **kw).samples)
    assert a.seed == 3 and a.num_steps == 30 and a.steps[0] == 1000 and a.steps[-1] == 0
    assert a.num_evaluations == (2 * 30 - 1 if sampler == "ode" else 30)


def test_time_grid_is_even_and_complete():
    assert time_grid(5).tolist() == [5, 4, 3, 2, 1, 0]
    g = time_grid(1000, 7)
    assert g[0] == 1000 and g[-1] == 0 and len(g) == 8 and np.all(np.diff(g) < 0)


def test_point_law_solves_the_moment_equations():
    # finite differences (h = 1e-4): O(h^2) truncation plus ~1e-12 rounding; a wrong law gives O(1)
    for spec in ("linear:1e-4,0.02", "constant:0.02", "cosine"):
        for t, s in [(1000, 500), (800, 10), (300, 299.5), (50, 1)]:
            mean_res, var_res = reverse_point_moment_residual(spec, t, s)
            assert abs(mean_res) < 1e-7 and abs(var_res) < 1e-7


def test_ddpm_samples_the_point_law_exactly():
    # For p(u0) = delta_f the DDPM posterior step IS the reverse law (arXiv:2501.17054): no
    # discretisation error at any step. 5 SE per moment, 2 pixels x 4 steps x 2 moments:
    # false alarm < 16 * 5.7e-7.
    f, y = np.array([0.8, -0.5]), np.array([1.5, 0.3])
    spec = "constant:0.02"
    N = 20_000
    res = sample(
        PointDenoiser(f, spec), num_samples=N, rng=1, initial=y, record_steps=[700, 100, 20, 5]
    )
    for k, s in enumerate(res.trajectory_steps):
        law = reverse_point_law(f, y, schedule=spec, t=1000, s=s)
        for p in range(2):
            assert_moments(res.trajectory[k][:, p], law.mean[p], law.variance)
    np.testing.assert_allclose(res.samples, np.broadcast_to(f, (N, 2)), rtol=0, atol=1e-15)


def euler_maruyama_point_variance(schedule, t, s):
    """Exact variance of Euler-Maruyama (step by step from t down to s, from a fixed start) for
    the point score -(u - a f)/sigma^2: u -> L u + ..., L = 1 + dB (1/2 - 1/sigma_t^2), so
    v -> L^2 v + dB."""
    la = schedule.log_alpha_bar
    v = 0.0
    for i in range(t, s, -1):
        dB = la[i - 1] - la[i]
        L = 1 + dB * (0.5 + 1 / math.expm1(la[i]))
        v = L * L * v + dB
    return v


def test_reverse_sde_converges_to_the_point_law():
    # Euler-Maruyama on the reverse SDE has an O(dB) error, largest near s = 0 where the score
    # is stiff. The schedule refined 4x (beta' = 1 - 0.98^(1/4), T' = 4000) has the same
    # alpha_bar at steps 4i as constant:0.02 at step i, so the same closed-form law.
    f, y = np.array([0.8, -0.5]), np.array([1.5, 0.3])
    coarse, fine = Schedule.constant(0.02, T=1000), Schedule.constant(1 - 0.98**0.25, T=4000)
    for s in (100, 20):  # first-order convergence of the exact EM variance: error / 4 (+-10%)
        law = reverse_point_law(f, y, schedule=coarse, t=1000, s=s).variance
        err_coarse = euler_maruyama_point_variance(coarse, 1000, s) - law
        err_fine = euler_maruyama_point_variance(fine, 4000, 4 * s) - law
        assert 3.6 < err_coarse / err_fine < 4.4
    # Simulation on the fine grid against the closed form: the EM variance error there is 0.12
    # and 0.49 SE at N = 10_000 (from the recursion above). 5 SE per check, 2 steps x 2 pixels
    # x 2 moments: false alarm < 8 * 5.7e-7.
    N = 10_000
    res = sample(
        PointDenoiser(f, fine),
        num_samples=N,
        sampler="sde",
        rng=2,
        initial=y,
        record_steps=[400, 80],
    )
    for k, s in enumerate(res.trajectory_steps):
        law = reverse_point_law(f, y, schedule=coarse, t=1000, s=s / 4)
        for p in range(2):
            assert_moments(res.trajectory[k][:, p], law.mean[p], law.variance)


def test_point_law_checks_its_arguments():
    with pytest.raises(ValueError, match="`s` and `t` must satisfy 0 <= s < t <= T = 1000"):
        reverse_point_law(np.zeros(2), np.zeros(2), schedule="constant:0.02", t=10, s=10)
    with pytest.raises(ValueError, match=r"`y` must have the shape of `f` \(2,\)"):
        reverse_point_law(np.zeros(2), np.zeros(3), schedule="constant:0.02", t=10, s=1)
    law = reverse_point_law(np.zeros(2), np.zeros((5, 2)), schedule="constant:0.02", t=10, s=1)
    assert law.sample(rng=0).shape == (5, 2) and law.marginal_variance(0.0) == law.variance


def test_inpainting_keeps_known_pixels_and_completes_consistently():
    # Three training points; the first pixel is known to be 1: only the two points with a first
    # pixel of 1 are consistent. The exact conditional picks each with probability 1/2; the
    # replacement method is an approximation and is only required to be consistent here.
    train = np.array([[-1.0, -1.0], [1.0, 1.0], [1.0, -0.5]])
    D = ExactDenoiser(train, "linear:1e-4,0.02")
    for sampler in SAMPLERS:
        res = sample(
            D,
            num_samples=400,
            sampler=sampler,
            rng=0,
            known=np.array([1.0, np.nan]),
            mask=np.array([True, False]),
            num_steps=200,
        )
        assert res.inpainting and np.all(res.samples[:, 0] == 1.0)
        assert np.all(np.isclose(res.samples[:, 1], 1.0) | np.isclose(res.samples[:, 1], -0.5))


def test_record_steps_and_progress_callback(rng):
    D = ExactDenoiser(rng.uniform(-1, 1, size=(5, 2)), "linear:1e-4,0.02")
    seen = []
    res = sample(
        D, num_samples=3, num_steps=10, record_steps=[1000, 0], rng=1, progress=seen.append
    )
    assert seen == list(range(1, 11))
    assert res.trajectory_steps == (1000, 0) and res.trajectory.shape == (2, 3, 2)
    np.testing.assert_array_equal(res.trajectory[1], res.samples)
    bar = sample(D, num_samples=3, num_steps=10, rng=1, progress=True)  # a tqdm bar on stderr
    assert bar.samples.tobytes() == res.samples.tobytes()


def test_a_torch_denoiser_runs_through_the_samplers(rng):
    train = rng.uniform(-1, 1, size=(7, 2, 2))
    D = ExactDenoiser(train, "linear:1e-4,0.02")

    class TorchOut:  # a denoiser that answers with tensors, as a network would
        schedule, image_shape = D.schedule, D.image_shape

        def __call__(self, x, i):
            return D(torch.from_numpy(x), i)

    a = sample(TorchOut(), num_samples=4, num_steps=20, rng=0).samples
    b = sample(D, num_samples=4, num_steps=20, rng=0).samples
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_sampler_errors_are_named(rng):
    D = ExactDenoiser(rng.uniform(-1, 1, size=(5, 2)), "linear:1e-4,0.02")
    cases = [
        ({"sampler": "euler"}, ValueError, "`sampler` must be one of 'ddpm', 'ddim', 'sde', 'ode'"),
        ({"eta": 0.5}, ValueError, "`eta` applies to sampler='ddim' only"),
        ({"sampler": "ddim", "eta": 1.5}, ValueError, r"`eta` must lie in \[0, 1\]"),
        ({"num_steps": 2000}, ValueError, "`num_steps` must be at most the schedule's T = 1000"),
        ({"num_steps": 0}, ValueError, "`num_steps` must be a positive integer"),
        ({"known": np.zeros(2)}, ValueError, "`known` and `mask` go together"),
        ({"known": np.zeros(2), "mask": np.ones(3, bool)}, ValueError, r"`mask` must have shape"),
        ({"known": np.zeros(3), "mask": np.ones(2, bool)}, ValueError, r"`known` must have shape"),
        ({"known": np.full(2, np.nan), "mask": np.ones(2)}, ValueError, "`known` must be finite"),
        ({"mask": np.full(2, 0.5), "known": np.zeros(2)}, ValueError, "`mask` must be boolean"),
        ({"initial": np.zeros(3)}, ValueError, r"`initial` must have shape \(2,\)"),
        ({"record_steps": [999]}, ValueError, r"`record_steps` must be steps of the sampling grid"),
        ({"progress": "yes"}, TypeError, "`progress` must be a bool or a callable"),
        ({"batch_size": 0}, ValueError, "`batch_size` must be a positive integer"),
        ({"rng": "seed"}, TypeError, "`rng` must be a numpy.random.Generator"),
    ]
    for kwargs, exc, match in cases:
        kwargs = {"num_samples": 2, "num_steps": 5} | kwargs
        with pytest.raises(exc, match=match):
            sample(D, **kwargs)
    with pytest.raises(ValueError, match="`num_samples` must be a positive integer"):
        sample(D, num_samples=0)
    with pytest.raises(TypeError, match="`denoiser` must be a Denoiser"):
        sample(lambda x, i: x, num_samples=2)


def test_a_broken_denoiser_is_reported():
    class Broken:
        schedule, image_shape = Schedule.from_string("constant:0.02", T=10), (2,)

        def __init__(self, out):
            self.out = out

        def __call__(self, x, i):
            return self.out(x)

    with pytest.raises(DenoiserError, match=r"returned shape \(3, 3\) for input of shape"):
        sample(Broken(lambda x: np.zeros((3, 3))), num_samples=3)
    with pytest.raises(DenoiserError, match="returned NaN/Inf at step i = 10"):
        sample(Broken(lambda x: x * np.nan), num_samples=3)
