"""Contract tests over the registries: one generic test per interface rule (DESIGN.md) for every
scale-space, every registered schedule (``Schedule.names()``), every registered sampler rule
(``SAMPLERS``) and every Denoiser (the network one when torch is importable). A new
implementation joins by adding one line (schedules and samplers by registering)."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale import HomogeneousDiffusion, Osmosis, ProbabilisticDiffusion, ScaleSpace
from driftscale.reverse.denoisers import (
    Denoiser,
    DenoiserError,
    ExactDenoiser,
    GaussianDenoiser,
    PointDenoiser,
)
from driftscale.reverse.samplers import SAMPLERS, ReverseRule, rule_class, sample
from driftscale.schedules import Schedule


def _grey(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(1.0, 2.0, size=(6, 7))  # positive, so every process accepts it


class _Method:
    """A scale-space with its ``trajectory`` method fixed, so each method meets the contract."""

    def __init__(self, space, method):
        self.space, self.method = space, method
        self.name, self.stochastic = space.name, space.stochastic

    def trajectory(self, f, times, *, rng=None):
        return self.space.trajectory(f, times, rng=rng, method=self.method)

    def steady_state(self, f):
        return self.space.steady_state(f)


SCALE_SPACES = {
    "diffusion-constant": (lambda: ProbabilisticDiffusion("constant:0.02"), [0, 3, 40]),
    "diffusion-cosine": (lambda: ProbabilisticDiffusion("cosine"), [0, 500, 1000]),
    "osmosis": (lambda: Osmosis(guidance=np.linspace(1, 2, 42).reshape(6, 7)), [0.0, 1.0, 10.0]),
    "osmosis-implicit": (
        lambda: _Method(Osmosis(guidance=np.linspace(1, 2, 42).reshape(6, 7)), "implicit"),
        [0.0, 1.0, 10.0],
    ),
    "homogeneous": (lambda: HomogeneousDiffusion(), [0.0, 1.0, 10.0]),
}


@pytest.fixture(params=sorted(SCALE_SPACES))
def case(request):
    make, times = SCALE_SPACES[request.param]
    return make(), times


def test_is_a_scale_space(case):
    space, _ = case
    assert isinstance(space, ScaleSpace)
    assert isinstance(space.name, str) and isinstance(space.stochastic, bool)


@pytest.mark.parametrize("shape", [(6, 7), (6, 7, 3)])
def test_shape_dtype_and_initial_state(case, shape, rng):
    space, times = case
    f = rng.uniform(1.0, 2.0, size=shape)
    traj = space.trajectory(f, times, rng=0)
    assert traj.shape == (len(times), *shape) and traj.dtype == np.float64
    np.testing.assert_array_equal(traj[0], f)  # Property 1: the first frame is the input


def test_same_seed_same_bytes_and_input_untouched(case, rng):
    space, times = case
    f = _grey(rng)
    before = f.copy()
    a = space.trajectory(f, times, rng=5)
    b = space.trajectory(f, times, rng=5)
    assert a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(f, before)


def test_steady_state_matches_the_image_shape(case, rng):
    space, _ = case
    f = _grey(rng)
    ss = space.steady_state(f)
    assert tuple(ss.shape) == f.shape


# -- schedules: every registered name (Schedule.names()) ------------------------------------------
SCHEDULE_EXAMPLES = {"array": "array:0.1,0.2,0.3"}  # names that need parameters to be built


@pytest.fixture(params=Schedule.names())
def schedule(request):
    return Schedule.from_string(SCHEDULE_EXAMPLES.get(request.param, request.param))


def test_schedule_round_trips(schedule):
    assert Schedule.from_dict(schedule.to_dict()) == schedule
    T = None if schedule.name == "array" else schedule.T  # an array schedule's T is its length
    assert Schedule.from_string(schedule.to_string(), T=T) == schedule
    assert Schedule.coerce(schedule) is schedule


def test_schedule_alpha_bar_is_eq5(schedule):
    # Eq. (5): alpha_bar_0 = 1 (the data), then a product of factors 1 - beta_i in (0, 1)
    ab, la = schedule.alpha_bar, schedule.log_alpha_bar
    assert ab.shape == la.shape == (schedule.T + 1,) and ab.dtype == np.float64
    assert ab[0] == 1.0 and np.all(np.diff(ab) < 0) and ab[-1] > 0
    np.testing.assert_array_equal(ab, np.exp(la))
    # the VP-SDE clock meets the chain at every step, exactly (Schedule.integrated_beta)
    steps = np.arange(schedule.T + 1)
    np.testing.assert_array_equal(schedule.integrated_beta(steps / schedule.T), -la)


def test_unknown_schedule_names_the_known_ones():
    known = ", ".join(Schedule.names())
    with pytest.raises(ValueError, match=f"Unknown schedule 'foo'. Known: {known}"):
        Schedule.from_string("foo")


# -- samplers: every registered rule (SAMPLERS) ----------------------------------------------------
SAMPLER_SCHEDULE = Schedule.from_string("linear:1e-3,0.2", T=20)


class _Counting:
    """A point denoiser (D = f) that counts its calls."""

    def __init__(self, f):
        self.inner = PointDenoiser(f, SAMPLER_SCHEDULE)
        self.schedule, self.image_shape, self.calls = SAMPLER_SCHEDULE, self.inner.image_shape, 0

    def __call__(self, x, i):
        self.calls += 1
        return self.inner(x, i)


@pytest.fixture(params=list(SAMPLERS))
def sampler(request):
    return request.param


def test_sampler_is_registered_under_its_name_in_its_own_file(sampler):
    rule = rule_class(sampler)
    assert SAMPLERS[sampler] is rule and rule.name == sampler
    assert rule.__module__ == f"driftscale.reverse.samplers.{sampler}"
    assert issubclass(rule, ReverseRule) and isinstance(rule.stochastic, bool)


def test_sampler_shape_dtype_and_the_last_step_is_the_prediction(sampler, rng):
    f = rng.uniform(-1, 1, (3, 2))
    D = _Counting(f)
    res = sample(D, num_samples=4, sampler=sampler, num_steps=5, rng=0)
    assert res.samples.shape == (4, 3, 2) and res.samples.dtype == np.float64
    # every rule ends with u_0 = D(x, t_1), and the point denoiser's prediction is f itself
    np.testing.assert_array_equal(res.samples, np.broadcast_to(f, (4, 3, 2)))
    assert res.num_evaluations == D.calls and res.sampler == sampler and res.num_steps == 5


def test_sampler_same_seed_same_bytes(sampler, rng):
    D = GaussianDenoiser(0.3, 0.2, SAMPLER_SCHEDULE, image_shape=(3, 2))
    a = sample(D, num_samples=6, sampler=sampler, num_steps=7, rng=11).samples
    b = sample(D, num_samples=6, sampler=sampler, num_steps=7, rng=11).samples
    c = sample(D, num_samples=6, sampler=sampler, num_steps=7, rng=12).samples
    assert a.tobytes() == b.tobytes() and not np.array_equal(a, c)
    if not rule_class(sampler).stochastic:  # from a fixed start, a deterministic rule ignores rng
        start = np.ones((6, 3, 2))
        d = sample(D, num_samples=6, sampler=sampler, num_steps=7, rng=1, initial=start).samples
        e = sample(D, num_samples=6, sampler=sampler, num_steps=7, rng=2, initial=start).samples
        assert d.tobytes() == e.tobytes()


def test_unknown_sampler_names_the_known_ones():
    known = ", ".join(repr(name) for name in SAMPLERS)
    with pytest.raises(ValueError, match=f"`sampler` must be one of {known}"):
        rule_class("euler")


# -- denoisers: every Denoiser, the network one when torch is there --------------------------------
DENOISER_SCHEDULE = Schedule.from_string("linear:1e-4,0.02", T=1000)


def _network():
    torch = pytest.importorskip("torch")
    from driftscale.learned.config import UNetConfig
    from driftscale.learned.denoiser import NetworkDenoiser
    from driftscale.learned.unet import UNet

    torch.manual_seed(0)  # a tiny untrained U-Net: the contract is about the interface
    config = UNetConfig(image_shape=(3, 2), base_channels=8, channel_mults=(1,), attention=False)
    return NetworkDenoiser(UNet(config), DENOISER_SCHEDULE)


DENOISERS = {
    "exact": lambda: ExactDenoiser(np.linspace(-1, 1, 30).reshape(5, 3, 2), DENOISER_SCHEDULE),
    "point": lambda: PointDenoiser(np.linspace(-1, 1, 6).reshape(3, 2), DENOISER_SCHEDULE),
    "gaussian": lambda: GaussianDenoiser(0.2, 0.3, DENOISER_SCHEDULE, image_shape=(3, 2)),
    "network": _network,
}


@pytest.fixture(params=sorted(DENOISERS))
def denoiser(request):
    return DENOISERS[request.param]()


def test_denoiser_contract(denoiser, rng):
    D = denoiser
    assert isinstance(D, Denoiser) and D.image_shape == (3, 2) and D.schedule is DENOISER_SCHEDULE
    x = rng.standard_normal((4, 3, 2))
    before = x.copy()
    out = D(x, 250)
    assert isinstance(out, np.ndarray) and out.shape == x.shape and out.dtype == np.float64
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(x, before)  # the caller's array is untouched
    np.testing.assert_array_equal(out, D(x, np.full(4, 250)))  # scalar step == array of steps
    assert D(x, 250).tobytes() == out.tobytes()  # deterministic
    assert repr(D).startswith(type(D).__name__)


def test_denoiser_torch_in_torch_out(denoiser, rng):
    torch = pytest.importorskip("torch")
    x = torch.as_tensor(rng.standard_normal((2, 3, 2)), dtype=torch.float32)
    out = denoiser(x, 40)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.shape == x.shape


def test_every_denoiser_drives_every_sampler(denoiser, sampler):
    res = sample(denoiser, num_samples=3, sampler=sampler, num_steps=4, rng=0)
    assert res.samples.shape == (3, 3, 2) and np.all(np.isfinite(res.samples))


@pytest.mark.parametrize(
    ("x", "i", "match"),
    [
        (np.zeros((4, 2, 3)), 5, r"`x` must have shape \(B, 3, 2\)"),
        (np.zeros((3, 2)), 5, r"`x` must have shape \(B, 3, 2\)"),
        (np.full((1, 3, 2), np.nan), 5, "`x` must hold finite values only"),
        (np.zeros((2, 3, 2)), 1001, r"`i` must lie in 0..T = 0..1000"),
        (np.zeros((2, 3, 2)), -1, r"`i` must lie in 0..T"),
        (np.zeros((2, 3, 2)), [1, 2, 3], r"`i` must be an int or an int array of shape \(2,\)"),
        (np.zeros((2, 3, 2)), 2.5, "`i` must be an integer step"),
    ],
)
def test_denoisers_name_bad_calls(denoiser, x, i, match):
    with pytest.raises(DenoiserError, match=match):
        denoiser(x, i)
