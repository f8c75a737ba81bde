"""The scale slider's frames: log-spaced scales, closed forms checked another way, osmosis
invariants on every frame, and reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from driftscale._io import to_jsonable
from driftscale.estimators.entropy import gaussian_kl_to_standard_normal
from driftscale.experiments.scales import (
    ScalesResult,
    conditional_relative_entropy,
    ks_distance_to_standard_normal,
    run_scales,
    scale_grid,
)
from driftscale.schedules import Schedule


@pytest.mark.parametrize("num", [3, 6, 40, 101])
def test_scale_grid_is_log_spaced_from_zero_to_the_ends(num):
    steps, times = scale_grid(num, T=1000, min_time=0.1, max_time=1e5)
    assert steps.size == times.size == num
    assert steps[0] == 0 and times[0] == 0.0
    assert np.all(np.diff(steps) >= 1) and steps[-1] == 1000 and steps.dtype == np.int64
    ratios = times[2:] / times[1:-1]  # geometric after 0: one constant ratio
    assert np.allclose(ratios, ratios[0], rtol=1e-12)
    assert times[1] == pytest.approx(0.1) and times[-1] == pytest.approx(1e5)


def test_scale_grid_keeps_every_step_when_they_fit():
    steps, _ = scale_grid(11, T=10, min_time=1.0, max_time=2.0)
    assert steps.tolist() == list(range(11))


def test_scale_grid_names_bad_arguments():
    with pytest.raises(ValueError, match=r"`num_scales` must lie in \[3, T \+ 1 = 11\], got 12"):
        scale_grid(12, T=10, min_time=1.0, max_time=2.0)
    with pytest.raises(TypeError, match="`num_scales` must be an integer"):
        scale_grid(4.0, T=10, min_time=1.0, max_time=2.0)
    with pytest.raises(ValueError, match="`min_time` and `max_time` must satisfy"):
        scale_grid(4, T=10, min_time=2.0, max_time=1.0)
    with pytest.raises(ValueError, match="`T` must be an integer >= 2"):
        scale_grid(3, T=1, min_time=1.0, max_time=2.0)


def test_conditional_relative_entropy_matches_the_gaussian_kl_with_full_covariance(rng):
    # reference computed another way: the general KL(N(m, C) || N(0, I)) with C as a matrix
    f = rng.uniform(-1, 1, size=(3, 4))
    for ab in (0.999, 0.5, 0.1, 1e-6):
        ref = gaussian_kl_to_standard_normal(np.sqrt(ab) * f.ravel(), (1 - ab) * np.eye(f.size))
        assert float(conditional_relative_entropy(f, ab)) == pytest.approx(ref, rel=1e-10)


def test_conditional_relative_entropy_is_infinite_at_the_start_and_decreases_to_zero(rng):
    f = rng.uniform(-1, 1, size=(5, 5))
    ab = Schedule.constant(0.02, T=1000).alpha_bar
    kl = conditional_relative_entropy(f, ab)
    assert np.isinf(kl[0]) and np.all(np.diff(kl[1:]) < 0) and 0 < kl[-1] < 1e-4
    with pytest.raises(ValueError, match=r"`alpha_bar` must lie in \[0, 1\]"):
        conditional_relative_entropy(f, 1.5)


def test_ks_distance_matches_scipy_kstest(rng):
    for x in (rng.standard_normal(500), rng.uniform(-1, 1, 300), np.array([0.3])):
        ref = stats.kstest(x, "norm").statistic  # reference computed another way
        assert ks_distance_to_standard_normal(x) == pytest.approx(ref, abs=1e-14)
    with pytest.raises(ValueError, match="`x` must hold at least one value"):
        ks_distance_to_standard_normal(np.array([]))


@pytest.fixture(scope="module")
def small() -> ScalesResult:
    raw = np.random.default_rng(3).uniform(20, 230, size=(12, 16))
    return run_scales(raw, num_scales=8, rng=0)


def test_every_osmosis_frame_keeps_mass_and_positivity_and_eq28_increases(small):
    osm = small.fig1.osmosis
    assert osm.frames.shape == (8, 12, 16) and small.fig1.diffusion.shape == (8, 12, 16)
    assert osm.relative_mass_error.max() < 1e-12  # exact in time: round-off only
    assert osm.minimum.min() > 0
    # Eq. (28): L(t) increases; the tolerance is the exact method's rtol 1e-10 times |L(0)|
    assert np.all(np.diff(osm.relative_entropy) > -1e-10 * abs(osm.relative_entropy[0]))
    assert osm.distance_to_steady_state[-1] < 1e-3 * osm.distance_to_steady_state[0]


def test_diffusion_frames_numbers(small):
    f = small.fig1.diffusion[0]
    assert small.diffusion_mean[0] == pytest.approx(f.mean(), abs=1e-15)
    assert small.diffusion_expected_mean[0] == small.diffusion_mean[0]
    assert np.isinf(small.diffusion_relative_entropy[0])
    assert np.all(np.diff(small.diffusion_relative_entropy[1:]) < 0)
    # at the last step u_T is N(sqrt(ab) f, (1 - ab) I) with ab ~ 2e-9: N(0, 1) pixels; KS
    # critical value at the 1 % level (false-alarm rate 1 %, fixed seed): 1.63 / sqrt(n)
    assert small.diffusion_ks_distance[-1] < 1.63 / np.sqrt(f.size)
    assert small.diffusion_ks_distance[0] > 1.63 / np.sqrt(f.size)  # the image itself is not


def test_display_frames_show_the_image_at_scale_zero(small):
    raw = np.random.default_rng(3).uniform(20, 230, size=(12, 16))
    diffusion, osmosis = small.display_frames()
    assert diffusion.dtype == osmosis.dtype == np.uint8
    assert diffusion.shape == osmosis.shape == (8, 12, 16)
    assert np.abs(diffusion[0].astype(float) - raw).max() <= 0.5 + 1e-9
    assert np.abs(osmosis[0].astype(float) - raw).max() <= 0.5 + 1e-9


def test_to_dict_is_the_json_of_every_frame_and_the_same_seed_gives_the_same_bytes(small):
    d = small.to_dict()
    assert d["command"] == "scales" and d["num_scales"] == 8
    assert len(d["diffusion"]["frames"]) == len(d["osmosis"]["frames"]) == 8
    assert d["diffusion"]["frames"][0]["relative_entropy_to_steady_state"] == float("inf")
    text = json.dumps(to_jsonable(d))
    assert '"inf"' in text
    again = run_scales(
        np.random.default_rng(3).uniform(20, 230, size=(12, 16)), num_scales=8, rng=0
    )
    assert json.dumps(to_jsonable(again.to_dict())) == text
    assert again.fig1.diffusion.tobytes() == small.fig1.diffusion.tobytes()
    assert small.summary()["num_scales"] == 8 and small.shape is None


def test_the_named_cat_is_resized_and_named():
    res = run_scales("cat", num_scales=3, shape=(15, 22), rng=1)
    assert res.fig1.image == "cat" and res.fig1.osmosis.image == "cat" and res.shape == (15, 22)
    assert res.fig1.osmosis.f.shape == (15, 22)  # grey by default: one osmosis channel
