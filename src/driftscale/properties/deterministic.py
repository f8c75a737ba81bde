r"""Property checks for deterministic scale-spaces: osmosis (Eq. 26) and homogeneous diffusion.

Measured on the first image ``f`` of the data set, at the requested times ``t``:

* ``initial_state``: ``u(0) = f`` exactly;
* ``semigroup``: :math:`T_t f = T_{t-s}(T_s f)` (restart from ``u(s)``), relative difference;
* ``mass_conservation``: :math:`\sum u(t) = \sum f` (the columns of the operator sum to zero);
* ``positivity``: :math:`\min u(t) > 0`;
* ``relative_entropy_increasing``: :math:`L(t) = -\sum u \ln(u/w)`, Eq. (28), never decreases
  (Schmidt 2018) and stays :math:`\le 0`;
* ``steady_state``: ``w = steady_state(f)`` is stationary (evolving it changes nothing), has the
  mass of ``f``, and ``u(t)`` approaches it; for a drift-free process (``drift_free = True``:
  homogeneous diffusion, Eq. 26 with ``d = 0``) ``w`` must be flat, the mean of ``f`` (the
  classical scale-space's state of least information).

* ``permutation_invariance`` (Prop. 3 claims it for probabilistic diffusion): does the process
  commute with a uniformly random permutation ``P`` of all pixels, ``T(P f) = P(T f)``? Measured
  as a relative difference; the rotation by 180 degrees (a classical invariance, which keeps the
  shape) is measured beside it. A process that couples neighbouring pixels cannot commute with an
  arbitrary permutation, and osmosis with a fixed guidance is not even rotation invariant unless
  the guidance is rotated too; this is the measured form of the difference of Sec. 4.4.

The tolerances follow the solvers: the exact-in-time Lanczos solver of ``Osmosis`` is accurate to
``rtol = 1e-10`` per evaluation; we allow ``1e-7`` relative (a thousandfold margin for the
accumulation over pixels and restarts). The distribution properties of Section 3.1 (entropies
of ``p(u_i)``) do not apply to a deterministic single-image process and are
reported with ``holds = None``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftscale.diffusion.permutations import Permutation
from driftscale.estimators.entropy import osmosis_relative_entropy
from driftscale.properties.report import (
    PROPERTY_IDS,
    LyapunovSequence,
    PropertyResult,
    not_applicable,
)
from driftscale.typing import FloatArray

__all__ = ["check_deterministic"]

RTOL = 1e-7  # see the module docstring
STEADY_FRACTION = 0.01  # "approaches w": final distance below 1 % of the initial distance


def check_deterministic(
    space: Any, data: FloatArray, times: FloatArray
) -> tuple[tuple[PropertyResult, ...], tuple[LyapunovSequence, ...], dict[str, Any]]:
    """Run the deterministic checks on ``data[0]``; returns results, sequences, settings."""
    f = data[0]
    u = np.asarray(space.trajectory(f, times.tolist()), dtype=np.float64)
    w = np.asarray(space.steady_state(f), dtype=np.float64)
    results = [_initial_state(f, u), _semigroup(space, u, times), _mass(f, u), _positivity(f, u)]
    lyapunov, sequences = _relative_entropy(f, u, w, times)
    results.append(lyapunov)
    results.append(_steady_state(space, f, u, w, times))
    reason = (
        f"{space.name} is deterministic and evolves one image; the distribution properties of "
        "Sec. 3.1 concern p(u_i) (Sec. 4.4)"
    )
    claims = {
        "differential_entropy_increasing": "Property 3, Prop. 1, Eq. (9)",
        "conditional_entropy_increasing": "Property 3, Prop. 2, Eq. (16)",
        "relative_entropy_decreasing": "KL(p(u_i) || N(0, I))",
    }
    results.append(_permutation(space, f, u, times))
    results.extend(not_applicable(pid, claim, reason) for pid, claim in claims.items())
    order = {pid: k for k, pid in enumerate(PROPERTY_IDS)}
    results.sort(key=lambda r: order[r.id])
    return tuple(results), sequences, {"image_index": 0, "rtol": RTOL}


def _initial_state(f: FloatArray, u: FloatArray) -> PropertyResult:
    dev0 = float(np.max(np.abs(u[0] - f)))
    return PropertyResult(
        "initial_state",
        "Property 1 (classical): u(0) = f",
        dev0 == 0.0,
        {"max_abs_difference": dev0},
        "u(0) compared with f (exact equality)",
    )


def _mass(f: FloatArray, u: FloatArray) -> PropertyResult:
    mass = u.reshape(u.shape[0], -1).sum(axis=1)
    rel_mass = np.abs(mass - f.sum()) / abs(f.sum())
    return PropertyResult(
        "mass_conservation",
        "osmosis: average grey value preserved (Weickert et al. 2013)",
        bool(rel_mass.max() <= RTOL),
        {"mass_f": float(f.sum()), "relative_deviation": rel_mass, "tolerance": RTOL},
        "sum of u(t) at every requested time against the sum of f",
    )


def _positivity(f: FloatArray, u: FloatArray) -> PropertyResult:
    mins = u.reshape(u.shape[0], -1).min(axis=1)
    return PropertyResult(
        "positivity",
        "osmosis: positivity preserved (Weickert et al. 2013; Vogel et al. 2013)",
        bool(np.all(mins > 0)) if f.min() > 0 else None,
        {"min_per_time": mins, "min_f": float(f.min())},
        "minimum of u(t) at every requested time (None if f itself is not positive)",
    )


def _relative_entropy(
    f: FloatArray, u: FloatArray, w: FloatArray, times: FloatArray
) -> tuple[PropertyResult, tuple[LyapunovSequence, ...]]:
    """Eq. (28): the Lyapunov sequence L(t) and whether it increases (and stays <= 0)."""
    if not (f.min() > 0 and w.min() > 0):
        reason = "f or w is not positive"
        return not_applicable("relative_entropy_increasing", "Sec. 4.3, Eq. (28)", reason), ()
    lyap = osmosis_relative_entropy(u, w)
    diffs = np.diff(lyap)
    scale = max(1e-300, float(np.abs(lyap).max()))
    ok = bool(np.all(diffs >= -RTOL * scale) and np.all(lyap <= RTOL * scale))
    result = PropertyResult(
        "relative_entropy_increasing",
        "Sec. 4.3, Eq. (28), Schmidt 2018",
        ok,
        {
            "values": lyap,
            "min_difference": float(diffs.min()) if diffs.size else 0.0,
            "tolerance": RTOL * scale,
        },
        "L(t) = -sum u ln(u / w) at every requested time; increasing and <= 0 up to the "
        "solver tolerance",
    )
    t = tuple(float(s) for s in times)
    sequence = LyapunovSequence(
        "osmosis_relative_entropy",
        "Eq. (28)",
        t,
        tuple(lyap),
        tuple(0.0 for _ in t),
        "increasing",
        0.0,
    )
    return result, (sequence,)


PERMUTATION_SEED = 0  # the random permutation is fixed, so the report is reproducible


def _permutation(space: Any, f: FloatArray, u: FloatArray, times: FloatArray) -> PropertyResult:
    """``T(P f)`` against ``P(T f)`` for a random permutation of all entries and for the
    rotation by 180 degrees; relative difference over all requested times."""
    t = times.tolist()
    scale = max(1e-300, float(np.max(np.abs(u))))

    def rel_diff(perm: Permutation) -> float:
        moved = np.asarray(space.trajectory(perm.apply(f), t), dtype=np.float64)
        return float(np.max(np.abs(moved - perm.apply(u, axes=(1, 2)))) / scale)

    random_diff = rel_diff(Permutation.random(f.size, rng=PERMUTATION_SEED))
    rotation_diff = rel_diff(Permutation.rotation90(2))
    return PropertyResult(
        "permutation_invariance",
        "Property 4, Prop. 3 (claimed for probabilistic diffusion; Sec. 4.4 contrasts osmosis)",
        bool(random_diff <= RTOL),
        {
            "random_permutation_relative_difference": random_diff,
            "rotation180_relative_difference": rotation_diff,
            "rotation180_invariant": bool(rotation_diff <= RTOL),
            "tolerance": RTOL,
        },
        f"T(P f) against P(T f) at every requested time, P a random permutation of all "
        f"{f.size} entries (seed {PERMUTATION_SEED}); the rotation by 180 degrees beside it",
    )


def _semigroup(space: Any, u: FloatArray, times: FloatArray) -> PropertyResult:
    pos = [k for k in range(1, times.size)]
    if len(pos) < 2:
        return not_applicable("semigroup", "Property 2 (classical)", "needs two positive times")
    k_mid, k_end = pos[len(pos) // 2 - 1], pos[-1]
    s, t = float(times[k_mid]), float(times[k_end])
    restarted = np.asarray(space.trajectory(u[k_mid], [t - s]))[-1]
    rel = float(np.max(np.abs(restarted - u[k_end])) / np.max(np.abs(u[k_end])))
    return PropertyResult(
        "semigroup",
        "Property 2 (classical): T_t = T_(t-s) T_s",
        rel <= RTOL,
        {"s": s, "t": t, "relative_max_difference": rel, "tolerance": RTOL},
        "u(t) against the evolution of u(s) for a further t - s",
    )


def _steady_state(
    space: Any, f: FloatArray, u: FloatArray, w: FloatArray, times: FloatArray
) -> PropertyResult:
    horizon = float(max(times[-1], 1.0))
    w_evolved = np.asarray(space.trajectory(w, [horizon]))[-1]
    stationary = float(np.max(np.abs(w_evolved - w)) / np.max(np.abs(w)))
    mass = float(abs(w.sum() - f.sum()) / abs(f.sum()))
    dist = np.sqrt(np.sum((u - w) ** 2, axis=tuple(range(1, u.ndim)))) / np.sqrt(np.sum(w**2))
    approaches = bool(dist[-1] <= STEADY_FRACTION * dist[0]) if dist[0] > 0 else True
    evidence: dict[str, Any] = {
        "relative_distance_to_w": dist,
        "w_stationary_relative_change": stationary,
        "w_mass_relative_deviation": mass,
        "final_fraction_of_initial_distance": float(dist[-1] / dist[0]) if dist[0] > 0 else 0.0,
    }
    holds = stationary <= RTOL and mass <= RTOL and approaches
    claim = "Sec. 4.4: steady state w = (mu_f / mu_v) v (Weickert et al. 2013)"
    if getattr(space, "drift_free", False) is True:  # Eq. (26) with d = 0: no guidance
        flat = float(np.ptp(w)) <= RTOL * max(1.0, float(np.abs(w).max()))
        evidence["w_is_flat"] = flat
        evidence["w_minus_mean_f"] = float(np.abs(w - f.mean()).max())
        holds = holds and flat
        claim = "classical scale-space: flat steady state, the mean of f"
    return PropertyResult(
        "steady_state",
        claim,
        bool(holds),
        evidence,
        f"w = steady_state(f) evolved for t = {horizon:g} (stationary), its mass, and the "
        f"relative L2 distance of u(t) to w (final below {STEADY_FRACTION:.0%} of initial)",
    )
