"""Forward process: moments of Eq. (4) stepping and of the exact jumps against Eq. (5), their
agreement in distribution, seeds, permutations (Prop. 3) and input validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftscale.diffusion.forward import ProbabilisticDiffusion
from driftscale.diffusion.permutations import Permutation
from driftscale.distributions.gaussian import IsotropicGaussian
from driftscale.schedules import Schedule

STEPS = [0, 1, 5, 20, 60]


@pytest.fixture
def process():
    return ProbabilisticDiffusion(Schedule.from_string("linear:1e-3,0.05", T=60))


@pytest.mark.parametrize("method", ["jump", "step"])
def test_moments_match_eq5_within_five_standard_errors(process, method, rng):
    # N independent copies of a 3x2 image; each entry at step i is N(sqrt(ab) f, 1 - ab).
    # Mean: standard error sqrt((1-ab)/N). Variance: standard error (1-ab) sqrt(2/(N-1)).
    # 5 SE per check over 6 pixels x 4 steps x 2 moments: false alarm < 48 * 5.7e-7.
    f = np.array([[-1.0, -0.5], [0.0, 0.25], [0.5, 1.0]])
    N = 20000
    batch = np.broadcast_to(f, (N, *f.shape))
    traj = process.trajectory(batch, STEPS, rng=rng, method=method)
    np.testing.assert_array_equal(traj[0], batch)
    for k, i in enumerate(STEPS[1:], start=1):
        ab = process.schedule.alpha_bar[i]
        mean, var = traj[k].mean(axis=0), traj[k].var(axis=0, ddof=1)
        assert np.all(np.abs(mean - np.sqrt(ab) * f) < 5 * np.sqrt((1 - ab) / N))
        assert np.all(np.abs(var - (1 - ab)) < 5 * (1 - ab) * np.sqrt(2 / (N - 1)))


def test_stepping_and_jumping_agree_in_distribution(process, rng):
    # Two-sample KS per step (and on the increments between recorded steps, which tests the
    # joint law of the path); Bonferroni over 7 tests at family level alpha = 1e-3, fixed seed.
    f = np.array([[0.8]])
    N = 4000
    batch = np.broadcast_to(f, (N, 1, 1))
    a = process.trajectory(batch, STEPS, rng=rng, method="jump")[:, :, 0, 0]
    b = process.trajectory(batch, STEPS, rng=rng, method="step")[:, :, 0, 0]
    pvalues = [stats.ks_2samp(a[k], b[k]).pvalue for k in range(1, len(STEPS))]
    pvalues += [
        stats.ks_2samp(np.diff(a, axis=0)[k], np.diff(b, axis=0)[k]).pvalue for k in range(1, 4)
    ]
    assert min(pvalues) > 1e-3 / len(pvalues)


def test_jumps_detect_a_wrong_variance(process, rng):
    # The KS test above has power: a chain with a wrong variance is rejected at the same level.
    N = 4000
    a = process.marginal(np.full((N, 1, 1), 0.8), 20, rng=rng).ravel()
    ab = process.schedule.alpha_bar[20]
    wrong = np.sqrt(ab) * 0.8 + 1.25 * np.sqrt(1 - ab) * rng.standard_normal(N)
    assert stats.ks_2samp(a, wrong).pvalue < 1e-3


@pytest.mark.parametrize("method", ["jump", "step"])
def test_same_seed_same_bytes(process, method):
    f = np.linspace(-1, 1, 12).reshape(3, 4)
    a = process.trajectory(f, STEPS, rng=7, method=method)
    b = process.trajectory(f, STEPS, rng=7, method=method)
    assert a.tobytes() == b.tobytes() and a.dtype == np.float64
    assert not np.array_equal(a, process.trajectory(f, STEPS, rng=8, method=method))


def test_caller_array_is_not_modified(process):
    f = np.ones((2, 2))
    out = process.trajectory(f, [0, 3], rng=0)
    out[0, 0, 0] = 5.0
    assert np.all(f == 1.0)


@pytest.mark.parametrize("shape", [(4, 5), (4, 5, 3), (2, 4, 5), (2, 4, 5, 3)])
def test_grey_colour_and_batches(process, shape):
    f = np.zeros(shape)
    assert process.trajectory(f, [0, 10], rng=0).shape == (2, *shape)


def test_steady_state_is_standard_normal(process):
    ss = process.steady_state(np.zeros((3, 3)))
    assert isinstance(ss, IsotropicGaussian) and ss.shape == (3, 3)
    assert ss.entropy() == pytest.approx(4.5 * np.log(2 * np.pi * np.e))


@pytest.mark.parametrize(
    "perm",
    [Permutation.translation(1, 2), Permutation.rotation90(1), Permutation.rotation90(3)],
)
def test_permuted_start_gives_permuted_trajectory_with_coupled_noise(process, perm):
    # Prop. 3 with coupled noise: the same seed on P(f) and on f gives P(trajectory) exactly,
    # because the noise of an i.i.d. field is drawn in the same order.
    f = np.random.default_rng(1).standard_normal((5, 5))
    traj = process.trajectory(f, STEPS, rng=3)
    perm_noise = process.trajectory(process.permute(f, perm), STEPS, rng=3)
    # identical noise is not P(noise): the equality holds with noise g~ = P^{-1}(g) (Eq. 21)
    assert not np.allclose(perm_noise[1:], np.stack([perm.apply(u) for u in traj[1:]]))
    rng_a = np.random.default_rng(3)
    u, v = f.copy(), process.permute(f, perm)
    for i in range(1, 21):
        g = rng_a.standard_normal(f.shape)
        beta = process.schedule.beta[i]
        u = np.sqrt(1 - beta) * u + np.sqrt(beta) * perm.inverse().apply(g)
        v = np.sqrt(1 - beta) * v + np.sqrt(beta) * g
    np.testing.assert_allclose(v, perm.apply(u), atol=1e-12)


def test_random_permutation_and_inverse(rng):
    f = rng.standard_normal((4, 3, 2))
    P = Permutation.random(f.size, rng=rng)
    np.testing.assert_array_equal(P.inverse().apply(P.apply(f)), f)
    assert sorted(P.apply(f).ravel()) == sorted(f.ravel())


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda p: p.trajectory(np.zeros((2, 2)), [5, 1]), r"`times` must be sorted"),
        (lambda p: p.trajectory(np.zeros((2, 2)), [-1, 2]), r"`times` must be non-negative"),
        (
            lambda p: p.trajectory(np.zeros((2, 2)), [0, 61]),
            r"must not exceed the schedule's T = 60",
        ),
        (lambda p: p.trajectory(np.zeros((2, 2)), [0.5]), r"`times` must be integers"),
        (lambda p: p.trajectory(np.array([[np.nan, 0.0]]), [1]), r"`f` must hold finite values"),
        (lambda p: p.trajectory(np.array([[np.inf, 0.0]]), [1]), r"`f` must hold finite values"),
        (lambda p: p.trajectory(np.zeros(3), [1]), r"`f` must be an array of rank 2 or 3 or 4"),
        (lambda p: p.trajectory(np.zeros((1,) * 5), [1]), r"rank 2 or 3 or 4, got rank 5"),
        (lambda p: p.trajectory(np.zeros((2, 2)), [1], method="euler"), r"`method` must be one of"),
        (lambda p: p.trajectory(np.zeros((2, 2)), [1], rng="x"), r"`rng` must be a numpy"),
        (lambda p: p.step(np.zeros((2, 2)), 0), r"`i` must be at least 1"),
        (lambda p: p.permute(np.zeros((2, 2)), [1, 0]), r"`perm` must be a driftscale.Permutation"),
        (lambda p: p.conditional_log_density(np.zeros((2, 4)), np.zeros((2, 4)), 0), "at least 1"),
        (
            lambda p: p.conditional_log_density(np.zeros((2, 4)), np.zeros((3, 4)), 1),
            "`x` and `u0` must be batches",
        ),
        (lambda p: p.marginal_log_density(np.zeros((2, 4)), np.zeros((3, 4)), 0), "at least 1"),
        (lambda p: p.marginal_log_density(np.zeros((2, 4)), np.zeros((3, 4)), 61), "T = 60"),
    ],
)
def test_bad_input_is_named(process, call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(process)


def test_bad_schedule_argument():
    with pytest.raises(TypeError, match=r"`schedule` must be a Schedule or a string"):
        ProbabilisticDiffusion(0.02)
    with pytest.raises(ValueError, match=r"Unknown schedule 'quadratic'"):
        ProbabilisticDiffusion("quadratic")
    with pytest.raises(ValueError, match=r"must be a permutation of 0..n-1"):
        Permutation.from_indices([0, 0, 1])


def test_conditional_log_density_is_the_gaussian_of_eq5(process, rng):
    # reference: scipy's multivariate normal N(sqrt(ab) u0, (1 - ab) I), one start per row
    i = 17
    ab = process.schedule.alpha_bar[i]
    u0 = rng.standard_normal((6, 2, 3))
    x = rng.standard_normal((6, 2, 3))
    ref = [
        stats.multivariate_normal(np.sqrt(ab) * a.ravel(), (1 - ab) * np.eye(6)).logpdf(b.ravel())
        for a, b in zip(u0, x, strict=True)
    ]
    ours = process.conditional_log_density(x, u0, i)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    # flat rows give the same numbers
    np.testing.assert_array_equal(
        ours, process.conditional_log_density(x.reshape(6, -1), u0.reshape(6, -1), i)
    )


def test_marginal_log_density_is_the_mixture_of_eq5(process, rng):
    # two data images: p(u_i) = 1/2 N(sqrt(ab) f_1, (1 - ab) I) + 1/2 N(sqrt(ab) f_2, (1 - ab) I)
    i = 9
    ab = process.schedule.alpha_bar[i]
    data = rng.standard_normal((2, 2, 2))
    x = rng.standard_normal((5, 2, 2))
    comps = [stats.multivariate_normal(np.sqrt(ab) * f.ravel(), (1 - ab) * np.eye(4)) for f in data]
    ref = np.log(0.5 * comps[0].pdf(x.reshape(5, -1)) + 0.5 * comps[1].pdf(x.reshape(5, -1)))
    np.testing.assert_allclose(process.marginal_log_density(x, data, i), ref, rtol=1e-12)
