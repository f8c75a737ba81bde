"""Contract tests over the registry of scale-spaces: one generic test per rule of the
``ScaleSpace`` protocol (DESIGN.md). A new implementation joins by adding one line."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale import ProbabilisticDiffusion, ScaleSpace


def _grey(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(1.0, 2.0, size=(6, 7))  # positive, so every process accepts it


SCALE_SPACES = {
    "diffusion-constant": (lambda: ProbabilisticDiffusion("constant:0.02"), [0, 3, 40]),
    "diffusion-cosine": (lambda: ProbabilisticDiffusion("cosine"), [0, 500, 1000]),
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
