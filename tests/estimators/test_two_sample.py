"""The energy-distance two-sample test (estimators/two_sample.py): the statistic against cdist,
its level under the null, its power, invariants and named errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from driftscale.estimators.two_sample import energy_test


def test_energy_statistic_matches_cdist(rng):
    x, y = rng.standard_normal((30, 3)), rng.standard_normal((20, 3)) + 0.5
    ref = 2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean()
    assert energy_test(x, y, rng=0).statistic == pytest.approx(ref, rel=1e-10)


def test_energy_test_level_under_the_null(rng):
    # 100 null tests at level 0.05: rejections ~ Binomial(100, 0.05) if the p-value is valid;
    # P(X >= 13) = 1.1e-3 is the false-alarm rate of this check
    rejections = sum(
        energy_test(
            rng.standard_normal((40, 4)), rng.standard_normal((40, 4)), level=0.05, rng=rng
        ).reject
        for _ in range(100)
    )
    assert rejections <= 12


def test_energy_test_has_power(rng):
    x, y = rng.standard_normal((60, 8)), rng.standard_normal((60, 8))
    assert energy_test(x, y + 0.6, rng=1).reject  # mean shift of norm 1.7
    assert energy_test(x, 1.6 * y, rng=1).reject  # variance change


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (np.zeros((3, 2)), np.zeros((10, 2)), {}, "`x` must hold at least 5 samples"),
        (np.zeros((10, 2)), np.zeros((10, 3)), {}, "same number of entries"),
        (np.zeros((10, 2)), np.zeros((10, 2)), {"level": 1.5}, "`level` must lie in"),
        (np.zeros((10, 2)), np.zeros((10, 2)), {"num_permutations": 20}, "cannot reach p-values"),
    ],
)
def test_energy_test_errors(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        energy_test(x, y, **kwargs)


@settings(max_examples=25, deadline=None)
@given(
    shift=st.floats(-50, 50),
    m=st.integers(5, 30),
    k=st.integers(5, 30),
    seed=st.integers(0, 2**16),
)
def test_energy_test_invariants(shift, m, k, seed):
    # the energy distance is a V-statistic of a conditionally negative definite kernel: >= 0;
    # it is invariant under a common translation; p-values lie in [1/(B+1), 1]
    g = np.random.default_rng(seed)
    x, y = g.standard_normal((m, 2)), g.standard_normal((k, 2))
    a = energy_test(x, y, rng=0)
    b = energy_test(x + shift, y + shift, rng=0)
    assert a.statistic >= -1e-12
    assert b.statistic == pytest.approx(a.statistic, rel=1e-6, abs=1e-9)
    assert 1 / 200 <= a.p_value <= 1.0
