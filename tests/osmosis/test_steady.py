"""The steady state of osmosis by one linear solve (osmosis/steady.py).

Truth sources: the closed form (mu_f / mu_v) v for the canonical drift (Sec. 4.2 of Peter 2023);
for a random, non-gradient drift, the dense matrix exponential exp(t A) f at t = 1e6 and the
two solvers against each other; for the Dirichlet problem, the canonical drift again.

Tolerances: sparse LU is backward stable, so the relative residual ||A w|| / (||A||_1 ||w||) is
a small multiple of the unit round-off (asserted <= 1e-14); the forward error is at most the
condition number of the pinned system (~ number of pixels on these grids) times that, far
below the 1e-10 of the issue. AMG stops at a relative residual rtol of the reduced system.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

from driftscale.osmosis import (
    ConvergenceError,
    DriftField,
    Osmosis,
    canonical_drift,
    osmosis_operator,
)
from driftscale.osmosis.steady import SteadyState, solve_steady_state


def _random_drift(rng, H, W, C=None, bound=1.5):
    """A drift that is not the gradient of anything (independent uniform values on faces)."""
    extra = () if C is None else (C,)
    d1 = rng.uniform(-bound, bound, (H - 1, W, *extra))
    d2 = rng.uniform(-bound, bound, (H, W - 1, *extra))
    return d1, d2


@pytest.mark.parametrize("method", ["direct", "amg"])
@pytest.mark.parametrize("channels", [None, 3])
def test_canonical_drift_gives_the_closed_form(rng, method, channels):
    shape = (14, 17) if channels is None else (14, 17, channels)
    v = rng.uniform(1.0, 256.0, shape)
    f = rng.uniform(1.0, 256.0, shape)
    res = solve_steady_state(canonical_drift(v), f, method=method, rtol=1e-13)
    axes = (0, 1)
    expected = f.mean(axis=axes) / v.mean(axis=axes) * v  # w = (mu_f / mu_v) v, per channel
    assert isinstance(res, SteadyState) and res.method == method
    assert res.image.dtype == np.float64 and res.image.shape == shape
    np.testing.assert_allclose(res.image, expected, rtol=1e-10, atol=0)


def test_random_drift_direct_and_amg_agree_and_solve_the_system(rng):
    H, W = 9, 11
    d1, d2 = _random_drift(rng, H, W)
    f = rng.uniform(1.0, 2.0, (H, W))
    direct = solve_steady_state((d1, d2), f, method="direct")
    amg = solve_steady_state((d1, d2), f, method="amg", rtol=1e-12)
    assert direct.iterations == 0 and amg.iterations > 0
    np.testing.assert_allclose(amg.image, direct.image, rtol=1e-9, atol=0)
    A = osmosis_operator(d1, d2)  # recomputed here, not taken from the solver
    for res, bound in ((direct, 1e-14), (amg, 1e-11)):
        w = res.image.ravel()
        norm_a = 2.0 * np.abs(A.diagonal()).max()
        assert np.linalg.norm(A @ w) / (norm_a * np.linalg.norm(w)) <= bound
        assert res.residual <= bound
        assert abs(w.sum() - f.sum()) / f.sum() <= 1e-14
        assert res.mass_error <= 1e-14
        assert w.min() > 0 and res.minimum == pytest.approx(w.min(), rel=1e-15)


def test_random_drift_equals_the_exact_evolution_at_large_time(rng):
    H, W = 8, 10
    d1, d2 = _random_drift(rng, H, W)
    f = rng.uniform(1.0, 2.0, (H, W))
    A = osmosis_operator(d1, d2).toarray()
    late = (sla.expm(1e6 * A) @ f.ravel()).reshape(H, W)
    early = (sla.expm(10.0 * A) @ f.ravel()).reshape(H, W)
    for method in ("direct", "amg"):
        w = solve_steady_state((d1, d2), f, method=method, rtol=1e-12).image
        # expm at t = 1e6 takes ~23 squarings; its own mass drifts by ~2e-10 (measured), so 1e-9
        np.testing.assert_allclose(late, w, rtol=1e-9, atol=0)
        # and the comparison can fail: at t = 10 the evolution is still far from w
        assert np.abs(early - w).max() / w.max() > 1e-2


def test_canonical_drift_equals_the_exact_evolution_of_osmosis(rng):
    v = rng.uniform(1.0, 256.0, (10, 12))
    f = rng.uniform(1.0, 256.0, (10, 12))
    late = Osmosis(guidance=v).trajectory(f, [1e6])[0]  # shift-and-invert Lanczos, rtol 1e-10
    w = solve_steady_state(canonical_drift(v), f).image
    np.testing.assert_allclose(w, late, rtol=1e-9, atol=0)


def test_one_drift_serves_every_channel(rng):
    d1, d2 = _random_drift(rng, 7, 8)
    f = rng.uniform(1.0, 2.0, (7, 8, 3))
    w = solve_steady_state((d1, d2), f).image
    for c in range(3):
        np.testing.assert_allclose(w[..., c], solve_steady_state((d1, d2), f[..., c]).image)


def test_colour_drift_is_used_channel_wise(rng):
    d1, d2 = _random_drift(rng, 7, 8, C=2)
    f = rng.uniform(1.0, 2.0, (7, 8, 2))
    w = solve_steady_state((d1, d2), f).image
    for c in range(2):
        single = solve_steady_state((d1[..., c], d2[..., c]), f[..., c]).image
        np.testing.assert_allclose(w[..., c], single, rtol=1e-13)


@pytest.mark.parametrize("method", ["direct", "amg"])
def test_dirichlet_keeps_fixed_values_and_follows_the_drift(rng, method):
    v = rng.uniform(1.0, 256.0, (12, 15))
    fixed = np.zeros(v.shape, dtype=bool)
    fixed[0, :] = fixed[:, -1] = True
    f = 3.0 * v  # the fixed values of 3 v: the canonical drift of v then gives 3 v inside
    f[~fixed] = 1.0
    res = solve_steady_state(canonical_drift(v), f, fixed=fixed, method=method, rtol=1e-13)
    assert np.array_equal(res.image[fixed], f[fixed])  # bit for bit
    np.testing.assert_allclose(res.image, 3.0 * v, rtol=1e-10, atol=0)
    assert res.mass_error is None and res.residual <= 1e-12


def test_dirichlet_with_a_random_drift_agrees_between_solvers(rng):
    d1, d2 = _random_drift(rng, 9, 9)
    f = rng.uniform(1.0, 2.0, (9, 9))
    fixed = rng.random((9, 9)) < 0.2
    a = solve_steady_state((d1, d2), f, fixed=fixed, method="direct")
    b = solve_steady_state((d1, d2), f, fixed=fixed, method="amg", rtol=1e-12)
    np.testing.assert_allclose(a.image, b.image, rtol=1e-9)
    A = osmosis_operator(d1, d2)
    r = (A @ a.image.ravel())[~fixed.ravel()]
    assert np.abs(r).max() <= 1e-13 * np.abs(a.image).max()


def test_guess_and_h_do_not_change_the_answer(rng):
    v = rng.uniform(1.0, 9.0, (8, 9))
    f = rng.uniform(1.0, 9.0, (8, 9))
    field = canonical_drift(v, h=0.5)
    base = solve_steady_state(field, f, method="amg", rtol=1e-13).image
    guided = solve_steady_state(field, f, method="amg", rtol=1e-13, guess=v).image
    pair = solve_steady_state((field.d1, field.d2), f, h=0.5).image
    np.testing.assert_allclose(guided, base, rtol=1e-10)
    np.testing.assert_allclose(pair, base, rtol=1e-10)


def test_inputs_are_not_modified(rng):
    d1, d2 = _random_drift(rng, 6, 7)
    f = rng.uniform(1.0, 2.0, (6, 7))
    copies = [d1.copy(), d2.copy(), f.copy()]
    solve_steady_state((d1, d2), f)
    for a, b in zip(copies, (d1, d2, f), strict=True):
        assert np.array_equal(a, b)


def test_amg_that_cannot_converge_raises(rng):
    d1, d2 = _random_drift(rng, 12, 12)
    f = rng.uniform(1.0, 2.0, (12, 12))
    with pytest.raises(ConvergenceError, match="did not reach rtol=1e-15 in max_iter=1"):
        solve_steady_state((d1, d2), f, method="amg", rtol=1e-15, max_iter=1)


def test_to_dict_has_the_numbers_only(rng):
    res = solve_steady_state(canonical_drift(np.full((3, 3), 2.0)), np.ones((3, 3)))
    assert set(res.to_dict()) == {"method", "residual", "mass_error", "minimum", "iterations"}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "lu"}, ValueError, "`method` must be one of 'auto', 'direct', 'amg'"),
        ({"rtol": 0.0}, ValueError, "`rtol` must lie in"),
        ({"max_iter": 0}, ValueError, "`max_iter` must be a positive integer"),
        ({"f": -np.ones((4, 5))}, ValueError, "`f` must be strictly positive"),
        ({"f": np.ones((5, 4))}, ValueError, "does not match the drift"),
        ({"fixed": np.ones((4, 5))}, ValueError, "`fixed` must be a boolean mask"),
        ({"fixed": np.zeros((4, 5), bool)}, ValueError, "got no pixel fixed"),
        ({"fixed": np.ones((4, 5), bool)}, ValueError, "got every pixel fixed"),
        ({"guess": np.zeros((4, 5))}, ValueError, "`guess` must be strictly positive"),
        ({"guess": np.ones((3, 5))}, ValueError, "`guess` must have shape"),
        ({"drift": 3}, TypeError, "`drift` must be a pair"),
        ({"drift": (np.full((3, 5), 3.0), np.zeros((4, 4)))}, ValueError, "h\\*\\|d\\| <= 2"),
        ({"h": 2.0}, ValueError, "differs from the DriftField"),
    ],
)
def test_bad_input_is_named(kwargs, error, message):
    args = {"drift": DriftField(np.zeros((3, 5)), np.zeros((4, 4))), "f": np.ones((4, 5))}
    args.update(kwargs)
    drift, f = args.pop("drift"), args.pop("f")
    with pytest.raises(error, match=message):
        solve_steady_state(drift, f, **args)


def test_progress_reports_the_channels(rng):
    d1, d2 = _random_drift(rng, 5, 6)
    f = rng.uniform(1.0, 2.0, (5, 6, 3))
    seen: list[int] = []
    plain = solve_steady_state((d1, d2), f).image
    with_cb = solve_steady_state((d1, d2), f, progress=seen.append).image
    assert seen == [1, 2, 3]
    np.testing.assert_array_equal(with_cb, plain)
    np.testing.assert_array_equal(solve_steady_state((d1, d2), f, progress=True).image, plain)
    with pytest.raises(TypeError, match="`progress` must be a bool or a callable"):
        solve_steady_state((d1, d2), f, progress="yes")


def test_auto_switches_to_amg_above_the_pixel_limit(rng, monkeypatch):
    from driftscale.osmosis import steady

    d1, d2 = _random_drift(rng, 6, 7)
    f = rng.uniform(1.0, 2.0, (6, 7))
    assert solve_steady_state((d1, d2), f).method == "direct"
    monkeypatch.setattr(steady, "DIRECT_MAX_PIXELS", 41)  # 6 x 7 = 42 pixels
    assert solve_steady_state((d1, d2), f).method == "amg"
