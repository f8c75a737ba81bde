"""Contract tests over the registry of scale-spaces: one generic test per rule of the
``ScaleSpace`` protocol (DESIGN.md). A new implementation joins by adding one line."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale import HomogeneousDiffusion, Osmosis, ProbabilisticDiffusion, ScaleSpace


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
