r"""Two-sample test of equal distributions: energy distance with a permutation p-value.

Used by the property engine to test the semigroup property (Property 2: ``p(u_i)`` reached in
``i`` steps from ``p(u_0)`` or in ``l`` steps from ``p(u_{i-l})``), permutation invariance in
distribution (Prop. 3) and the steady state (Prop. 4). The statistic is the energy distance
(Szekely & Rizzo 2004)

.. math:: \mathcal E = 2\,E\|X - Y\| - E\|X - X'\| - E\|Y - Y'\|,

estimated with V-statistics; its p-value is ``(1 + #{E_perm >= E_obs}) / (B + 1)`` over ``B``
random relabellings of the pooled sample, which is exact (the test rejects a true null with
probability at most ``level``) for independent, identically distributed samples.

References
----------
.. [1] G. J. Szekely, M. L. Rizzo, "Testing for equal distributions in high dimension",
       InterStat 5 (2004).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._kernels import sq_distances
from driftscale._validation import as_rng, check_array, check_positive_int
from driftscale.typing import FloatArray, RNGLike

__all__ = ["TwoSampleResult", "energy_test"]

MIN_SAMPLES = 5


@dataclass(frozen=True)
class TwoSampleResult:
    """Outcome of a two-sample test: ``reject`` is ``p_value < level``."""

    statistic: float
    p_value: float
    level: float
    reject: bool
    num_x: int
    num_y: int
    num_permutations: int
    method: str


def _distance_matrix(z: FloatArray) -> FloatArray:
    # one block: the whole matrix is needed anyway, and z @ z.T in one product is symmetric
    dist = np.sqrt(sq_distances(z, z, block_entries=z.shape[0] ** 2))
    np.fill_diagonal(dist, 0.0)  # exact zeros: rounding of the BLAS form would leave ~1e-8
    return dist


def _energy(dist: FloatArray, labels: FloatArray, m: int, k: int) -> FloatArray:
    """Energy statistics for label columns (1 = x, 0 = y); ``labels`` is ``(m + k, B)``."""
    dz = dist @ labels
    s_xx = np.einsum("ib,ib->b", labels, dz)
    total = dist.sum()
    row = dist.sum(axis=1)
    s_x_all = labels.T @ row
    s_xy = s_x_all - s_xx
    s_yy = total - 2.0 * s_xy - s_xx
    return 2.0 * s_xy / (m * k) - s_xx / (m * m) - s_yy / (k * k)


def energy_test(
    x: Any,
    y: Any,
    *,
    num_permutations: int = 199,
    level: float = 0.01,
    rng: RNGLike = None,
) -> TwoSampleResult:
    r"""Energy-distance two-sample test with a permutation p-value.

    Parameters
    ----------
    x, y : ndarray of shape (M, ...) and (K, ...)
        Independent samples; trailing axes are flattened (they must agree).
    num_permutations : int
        Random relabellings ``B``; the smallest attainable p-value is ``1 / (B + 1)``.
    level : float
        Significance level in (0, 1): the false-alarm rate when both samples share a law.
    rng : {numpy.random.Generator, int, None}, optional
        Random generator or seed of the relabellings.

    Returns
    -------
    TwoSampleResult

    Examples
    --------
    >>> g = np.random.default_rng(0)
    >>> energy_test(g.normal(size=(100, 2)), g.normal(3, 1, size=(100, 2)), rng=0).reject
    True
    """
    a = check_array(x, name="x")
    b = check_array(y, name="y")
    a = a.reshape(a.shape[0], -1) if a.ndim > 1 else a[:, None]
    b = b.reshape(b.shape[0], -1) if b.ndim > 1 else b[:, None]
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"`x` and `y` must have the same number of entries per sample, got {a.shape[1]} "
            f"and {b.shape[1]}"
        )
    for name, arr in (("x", a), ("y", b)):
        if arr.shape[0] < MIN_SAMPLES:
            raise ValueError(
                f"`{name}` must hold at least {MIN_SAMPLES} samples for a two-sample test, got "
                f"{arr.shape[0]}; draw more samples"
            )
    num_permutations = check_positive_int(num_permutations, name="num_permutations")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"`level` must lie in (0, 1), got {level!r}")
    if 1.0 / (num_permutations + 1) >= level:
        raise ValueError(
            f"`num_permutations` = {num_permutations} cannot reach p-values below `level` = "
            f"{level}; use at least {math.ceil(1.0 / level)} permutations"
        )
    rng = as_rng(rng)
    m, k = a.shape[0], b.shape[0]
    dist = _distance_matrix(np.concatenate([a, b]))
    observed = np.zeros((m + k, 1))
    observed[:m] = 1.0
    stat = float(_energy(dist, observed, m, k)[0])
    labels = np.zeros((m + k, num_permutations))
    for col in range(num_permutations):
        labels[rng.permutation(m + k)[:m], col] = 1.0
    perm_stats = _energy(dist, labels, m, k)
    # the observed labelling counts as one permutation: exact level for i.i.d. samples
    p_value = float(
        (1 + np.count_nonzero(perm_stats >= stat * (1 - 1e-12))) / (num_permutations + 1)
    )
    return TwoSampleResult(
        statistic=stat,
        p_value=p_value,
        level=float(level),
        reject=bool(p_value < level),
        num_x=m,
        num_y=k,
        num_permutations=num_permutations,
        method=f"energy distance, permutation p-value ({num_permutations} relabellings)",
    )
