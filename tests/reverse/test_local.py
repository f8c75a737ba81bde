"""The LS and ELS machines (Kamb & Ganguli, arXiv:2412.20292) against references computed another
way: the exact denoiser, a per-pixel posterior mean, and a naive loop over every patch."""

from __future__ import annotations

import numpy as np
import pytest

from driftscale.reverse.denoisers import DenoiserError, ExactDenoiser
from driftscale.reverse.local import EquivariantLocalDenoiser, LocalDenoiser
from driftscale.reverse.patch_size import (
    PatchSchedule,
    calibrate_patch_size,
    default_candidates,
    default_patch_size,
    resolve_patch_size,
)
from driftscale.reverse.samplers import sample
from driftscale.schedules import Schedule

SCHEDULE = Schedule.from_string("linear:1e-3,0.2", T=50)
STEPS = (1, 5, 20, 50)


@pytest.fixture
def data(rng):
    train = rng.uniform(-1.0, 1.0, size=(5, 5, 6))
    train[4] = train[1]  # a duplicate image: merged patches must keep their weight 2
    return train, rng.standard_normal((3, 5, 6))


def _softmax_mean(logits, values):
    w = np.exp(logits - logits.max())
    return (w[:, None] * values).sum(0) / w.sum()


def _extents(H, W, r, py, px):
    return (min(py, r), min(H - 1 - py, r), min(px, r), min(W - 1 - px, r))


def _window(a, qy, qx, ext):
    """The window around (qy, qx) with extents (up, down, left, right)."""
    t, bo, le, ri = ext
    return a[qy - t : qy + bo + 1, qx - le : qx + ri + 1]


def naive_machine(train, x, step, patch_size, *, padding="none", local=False):
    """Eq. of Kamb & Ganguli, one pixel and one patch at a time (no chunks, no merging)."""
    ab = SCHEDULE.alpha_bar[step]
    N, H, W = train.shape[:3]
    tr = train.reshape(N, H, W, -1)
    xs = x.reshape(x.shape[0], H, W, -1)
    r = min((patch_size - 1) // 2, max(H, W) - 1)
    pad = 0
    if padding != "none":
        pad, mode = r, ("constant" if padding == "zero" else "wrap")
        tr = np.pad(tr, ((0, 0), (r, r), (r, r), (0, 0)), mode=mode)
        xs = np.pad(xs, ((0, 0), (r, r), (r, r), (0, 0)), mode=mode)
    grid = [(qy, qx) for qy in range(H) for qx in range(W)]
    out = np.empty((x.shape[0], H, W, tr.shape[-1]))
    for b in range(x.shape[0]):
        for py, px in grid:
            ext = _extents(H, W, r, py, px) if padding == "none" else (r, r, r, r)
            same = [q for q in grid if padding != "none" or _extents(H, W, r, *q) == ext]
            qs = [(py, px)] if local else same
            query = _window(xs[b], py + pad, px + pad, ext)
            logits, values = [], []
            for k in range(N):
                for qy, qx in qs:
                    key = _window(tr[k], qy + pad, qx + pad, ext)
                    # Eq. (5) restricted to the patch: N(sqrt(ab) f, (1 - ab) I)
                    logits.append(-np.sum((query - np.sqrt(ab) * key) ** 2) / (2 * (1 - ab)))
                    values.append(tr[k, qy + pad, qx + pad])  # the centre pixel
            out[b, py, px] = _softmax_mean(np.array(logits), np.array(values))
    return out.reshape(x.shape)


# --- a patch covering the whole image: the exact denoiser (tolerance: float64 round-off) ---
@pytest.mark.parametrize("machine", [LocalDenoiser, EquivariantLocalDenoiser])
def test_whole_image_patch_is_the_exact_denoiser(machine, data):
    train, x = data
    exact = ExactDenoiser(train, SCHEDULE)
    D = machine(train, SCHEDULE, patch_size=2 * 6 - 1)
    for step in STEPS:
        np.testing.assert_allclose(D(x, step), exact(x, step), rtol=0, atol=1e-10)
    np.testing.assert_allclose(D(x, 0), exact(x, 0), rtol=0, atol=1e-10)


def test_whole_image_patch_is_exact_for_colour_images(rng):
    train = rng.uniform(-1.0, 1.0, size=(4, 3, 4, 3))
    x = rng.standard_normal((2, 3, 4, 3))
    exact = ExactDenoiser(train, SCHEDULE)
    D = EquivariantLocalDenoiser(train, SCHEDULE, patch_size=99)  # capped at 2 max(H, W) - 1
    np.testing.assert_allclose(D(x, 7), exact(x, 7), rtol=0, atol=1e-10)


def test_one_pixel_patches_are_the_per_pixel_posterior_mean(data):
    train, x = data
    D = LocalDenoiser(train, SCHEDULE, patch_size=1)
    step = 10
    a, var = np.sqrt(SCHEDULE.alpha_bar[step]), 1.0 - SCHEDULE.alpha_bar[step]
    # pixel by pixel: weights of N(a f_k(p), var) at x(p), over the training images k
    logits = -((x[:, None] - a * train[None]) ** 2) / (2 * var)  # (B, N, H, W)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    direct = (w * train[None]).sum(1) / w.sum(1)
    np.testing.assert_allclose(D(x, step), direct, rtol=0, atol=1e-12)


# --- parity with the naive loop: every border convention, LS and ELS ---
@pytest.mark.parametrize("padding", ["none", "zero", "circular"])
@pytest.mark.parametrize("patch_size", [3, 5])
def test_els_matches_a_naive_loop_over_patches(padding, patch_size, data):
    train, x = data
    D = EquivariantLocalDenoiser(train, SCHEDULE, patch_size=patch_size, padding=padding)
    for step in (2, 30):
        ref = naive_machine(train, x, step, patch_size, padding=padding)
        np.testing.assert_allclose(D(x, step), ref, rtol=0, atol=1e-10)


def test_ls_matches_a_naive_loop_over_patches(data):
    train, x = data
    D = LocalDenoiser(train, SCHEDULE, patch_size=3)
    ref = naive_machine(train, x, 12, 3, local=True)
    np.testing.assert_allclose(D(x, 12), ref, rtol=0, atol=1e-10)


def test_small_chunks_give_the_same_result(data):
    train, x = data
    big = EquivariantLocalDenoiser(train, SCHEDULE, patch_size=3)
    small = EquivariantLocalDenoiser(train, SCHEDULE, patch_size=3, chunk_size=64, threads=2)
    np.testing.assert_allclose(small(x, 9), big(x, 9), rtol=0, atol=1e-12)


# --- translations ---
def _interior(H, W, r, shift):
    """Pixels p whose windows around p and p - shift both lie inside the image."""
    mask = np.zeros((H, W), dtype=bool)
    for py in range(H):
        for px in range(W):
            qy, qx = py - shift[0], px - shift[1]
            inside = lambda y, x: r <= y < H - r and r <= x < W - r  # noqa: E731
            mask[py, px] = inside(py, px) and inside(qy, qx)
    return mask


def test_els_commutes_with_translations_away_from_the_border(rng):
    train = rng.uniform(-1.0, 1.0, size=(6, 9, 9))
    x = rng.standard_normal((2, 9, 9))
    shift = (1, 2)
    moved = np.roll(x, shift, axis=(1, 2))
    mask = _interior(9, 9, 1, shift)
    assert mask.sum() >= 16
    D = EquivariantLocalDenoiser(train, SCHEDULE, patch_size=3)
    expected = np.roll(D(x, 10), shift, axis=(1, 2))
    np.testing.assert_allclose(D(moved, 10)[:, mask], expected[:, mask], rtol=0, atol=1e-12)
    # circular padding: exact equivariance everywhere under circular shifts
    C = EquivariantLocalDenoiser(train, SCHEDULE, patch_size=3, padding="circular")
    np.testing.assert_allclose(
        C(moved, 10), np.roll(C(x, 10), shift, axis=(1, 2)), rtol=0, atol=1e-12
    )


def test_ls_does_not_commute_with_translations(rng):
    train = rng.uniform(-1.0, 1.0, size=(6, 9, 9))
    x = rng.standard_normal((2, 9, 9))
    shift = (1, 2)
    mask = _interior(9, 9, 1, shift)
    D = LocalDenoiser(train, SCHEDULE, patch_size=3)
    moved = D(np.roll(x, shift, axis=(1, 2)), 10)[:, mask]
    expected = np.roll(D(x, 10), shift, axis=(1, 2))[:, mask]
    assert np.abs(moved - expected).max() > 1e-2  # the same test as above fails for LS


# --- the Denoiser contract ---
def test_steps_per_image_equal_separate_calls_and_seeds_give_the_same_bytes(data):
    train, x = data
    D = EquivariantLocalDenoiser(train, SCHEDULE)  # the default rule: sizes change with i
    mixed = D(x, np.array([1, 25, 50]))
    for b, step in enumerate((1, 25, 50)):
        np.testing.assert_array_equal(mixed[b], D(x[b : b + 1], step)[0])
    # one cached patch table at a time (rebuilt as sizes alternate): the same numbers
    lean = EquivariantLocalDenoiser(train, SCHEDULE, max_tables=1)
    np.testing.assert_array_equal(lean(x, np.array([1, 25, 50])), mixed)
    assert len(lean._tables) == 1
    a = sample(D, num_samples=2, sampler="ddpm", num_steps=10, rng=3).samples
    b = sample(D, num_samples=2, sampler="ddpm", num_steps=10, rng=3).samples
    assert a.tobytes() == b.tobytes() and a.dtype == np.float64 and a.shape == (2, 5, 6)


def test_bad_input_is_named(data):
    train, x = data
    with pytest.raises(ValueError, match="`padding` must be one of"):
        EquivariantLocalDenoiser(train, SCHEDULE, padding="reflect")
    with pytest.raises(ValueError, match="`patch_size` must be an odd positive integer"):
        LocalDenoiser(train, SCHEDULE, patch_size=4)
    with pytest.raises(TypeError, match="`patch_size` must be an odd int, 'default'"):
        LocalDenoiser(train, SCHEDULE, patch_size=2.5)
    with pytest.raises(ValueError, match="T \\+ 1 = 51 sizes"):
        LocalDenoiser(train, SCHEDULE, patch_size=[3, 3])
    with pytest.raises(ValueError, match="'default'"):
        LocalDenoiser(train, SCHEDULE, patch_size="big")
    with pytest.raises(ValueError, match="`train_data` must be an array of rank 3 or 4"):
        LocalDenoiser(train[0], SCHEDULE)
    with pytest.raises(DenoiserError, match="must have shape"):
        LocalDenoiser(train, SCHEDULE)(x[:, :4], 3)
    D = LocalDenoiser(train, SCHEDULE, patch_size=lambda step: 2)
    with pytest.raises(ValueError, match="`patch_size\\(step\\)` must be an odd"):
        D(x, 3)


# --- patch-size rules and calibration ---
def test_default_rule_grows_with_the_noise():
    sizes = [default_patch_size(s, schedule=SCHEDULE, image_shape=(8, 8)) for s in range(51)]
    assert sizes[1] == 3 and sizes[50] == 9 and sizes == sorted(sizes)
    assert all(s % 2 == 1 for s in sizes)
    assert default_candidates((8, 8)) == (1, 3, 5, 7, 9, 11, 13, 15)
    assert len(default_candidates((25, 25))) <= 8 and default_candidates((25, 25))[-1] == 49


def test_patch_schedule_and_sequences():
    sched = PatchSchedule(steps=(40, 10), sizes=(7, 3))
    assert [sched(s) for s in (50, 26, 24, 1)] == [7, 7, 3, 3]
    fn = resolve_patch_size(list(range(1, 103, 2)), schedule=SCHEDULE, image_shape=(5, 6))
    assert fn(0) == 1 and fn(50) == 101
    with pytest.raises(ValueError, match="one length"):
        PatchSchedule(steps=(1, 2), sizes=(3,))


def test_calibration_recovers_the_patch_size_of_a_machine(data):
    train, _ = data
    # the reference is itself an ELS machine with 3 x 3 patches: the fit must find 3 everywhere
    reference = EquivariantLocalDenoiser(train, SCHEDULE, patch_size=3)
    machine = EquivariantLocalDenoiser(train, SCHEDULE)
    cal = calibrate_patch_size(
        reference, machine, num_samples=3, num_steps=10, calibration_steps=4, rng=1
    )
    assert set(cal.schedule.sizes) == {3}
    assert cal.mse.shape == (4, len(cal.candidates))
    best = cal.candidates.index(3)
    assert np.all(cal.mse[:, best] == 0.0) and np.allclose(cal.r2[:, best], 1.0)
    fitted = machine.with_patch_size(cal.schedule)
    x = np.random.default_rng(0).standard_normal((2, 5, 6))
    np.testing.assert_array_equal(fitted(x, 17), reference(x, 17))
    assert cal.to_dict()["sizes"] == [3, 3, 3, 3]
