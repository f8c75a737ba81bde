r"""The checks of :func:`~driftscale.properties.engine.check_properties` for stochastic
scale-spaces: Properties 1, 2, 4, 5 and Prop. 1-4 of Section 3.1 of Peter 2023.

The entropy sequences and the shared :class:`Context` live in
:mod:`driftscale.properties._entropy_checks`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from driftscale.diffusion.permutations import Permutation
from driftscale.estimators.entropy import LOG_2PI_E, gaussian_kl_to_standard_normal
from driftscale.estimators.two_sample import energy_test
from driftscale.properties._entropy_checks import (
    MOMENT_SAMPLES_PER_DIM,
    NUM_BOOTSTRAP,
    Z_MONOTONE,
    Context,
    EntropySequences,
    MonteCarloSequence,
    conditional_entropy_result,
    differential_entropy_result,
    entropy_sequences,
    monotone,
)
from driftscale.properties._sampling import (
    CoupledNoise,
    continue_chain,
    process_times,
    sample_paths,
)
from driftscale.properties.report import LyapunovSequence, PropertyResult
from driftscale.typing import FloatArray

__all__ = ["Z_MONOTONE", "Context", "run_stochastic"]


def run_stochastic(ctx: Context) -> tuple[list[PropertyResult], list[LyapunovSequence]]:
    """All checks for a stochastic process; returns results and Lyapunov sequences."""
    n, steps = ctx.n, ctx.steps
    pos = steps[steps > 0]
    idx = ctx.rng.integers(0, ctx.data.shape[0], size=ctx.num_samples)
    paths = sample_paths(ctx.space, ctx.data, idx, steps, ctx.rng)
    flat = paths.reshape(ctx.num_samples, steps.size, n)
    results = [_initial_state(ctx, paths[:, 0], ctx.data[idx])]
    results.append(_semigroup(ctx, pos))
    seq = entropy_sequences(ctx, flat[:, 1:], ctx.data.reshape(-1, n)[idx], pos)
    h_limit = 0.5 * n * LOG_2PI_E
    results.append(differential_entropy_result(ctx, seq, pos, h_limit))
    conditional, cond_seq = conditional_entropy_result(ctx, seq, pos)
    results.append(conditional)
    results.append(_relative_entropy_result(seq, pos))
    results.append(_permutation(ctx, pos))
    kl = seq.relative_entropy
    results.append(_steady_state(ctx, flat[:, -1], float(kl.values[-1]), float(kl.stderr[-1])))
    return results, _sequences(seq, cond_seq, pos, h_limit)


def _sequences(
    seq: EntropySequences, cond: MonteCarloSequence, pos: FloatArray, h_limit: float
) -> list[LyapunovSequence]:
    """The Lyapunov sequences of the report: H(U_i), H(U_i | U_0) and KL(p(u_i) || N(0, I))."""
    steps = tuple(float(s) for s in pos)
    h, kl = seq.entropy, seq.relative_entropy
    return [
        LyapunovSequence(
            "differential_entropy",
            "Prop. 1, Eq. (9)",
            steps,
            tuple(h.values),
            tuple(h.stderr),
            "increasing",
            h_limit,
        ),
        LyapunovSequence(
            "conditional_entropy",
            "Prop. 2, Eq. (16)",
            steps,
            tuple(cond.values),
            tuple(cond.stderr),
            "increasing",
            h_limit,
        ),
        LyapunovSequence(
            "relative_entropy",
            "KL(p(u_i) || N(0, I))",
            steps,
            tuple(kl.values),
            tuple(kl.stderr),
            "decreasing",
            0.0,
        ),
    ]


def _relative_entropy_result(seq: EntropySequences, pos: FloatArray) -> PropertyResult:
    kl = seq.relative_entropy
    steps_list = [float(s) for s in pos]
    bad, zmin = monotone(kl.values, kl.diffs, kl.diff_stderr, steps_list, "decreasing")
    return PropertyResult(
        "relative_entropy_decreasing",
        "diffusion counterpart of Eq. (28): KL(p(u_i) || N(0, I)) (data-processing inequality)",
        not bad,
        {
            "values": kl.values,
            "stderr": kl.stderr,
            "significant_increases": bad,
            "min_z": zmin,
        },
        seq.method.replace("-ln p(u_i)", "ln p(u_i) - ln N(u_i; 0, I)"),
    )


def _initial_state(ctx: Context, u0: FloatArray, f: FloatArray) -> PropertyResult:
    dev = float(np.max(np.abs(u0 - f)))
    return PropertyResult(
        "initial_state",
        "Property 1: p(u_0) = p(F)",
        dev == 0.0,
        {"max_abs_difference": dev, "num_paths": int(u0.shape[0])},
        "u_0 of every sampled trajectory compared with its data image (exact equality)",
    )


def _semigroup(ctx: Context, pos: FloatArray) -> PropertyResult:
    pairs = [(float(a), float(b)) for a, b in itertools.pairwise(pos)]
    if len(pairs) > 3:
        pairs = [pairs[0], pairs[len(pairs) // 2], pairs[-1]]
    level = ctx.level / len(pairs)  # Bonferroni: family-wise false-alarm rate <= level
    # enough relabellings that p-values can fall well below the per-test level (5x the minimum)
    num_perm = max(ctx.num_permutations, 5 * math.ceil(1.0 / level) - 1)
    tests = []
    for start, stop in pairs:
        a = ctx.draw([0.0, stop], ctx.num_test_samples)[:, -1]
        mid = ctx.draw([0.0, start], ctx.num_test_samples)[:, -1]
        b = continue_chain(ctx.space, mid, start, stop, ctx.rng)
        res = energy_test(a, b, num_permutations=num_perm, level=level, rng=ctx.rng)
        tests.append(
            {
                "i": stop,
                "l": stop - start,
                "statistic": res.statistic,
                "p_value": res.p_value,
                "reject": res.reject,
            }
        )
    return PropertyResult(
        "semigroup",
        "Property 2, Eq. (6)-(8)",
        not any(t["reject"] for t in tests),
        {"tests": tests, "level_per_test": level, "family_level": ctx.level},
        "energy-distance two-sample test: u_i after i steps from u_0 against l steps from "
        "fresh samples of u_(i-l) (Eq. 4 steps for diffusion); Bonferroni over the pairs",
    )


def _permutation(ctx: Context, pos: FloatArray) -> PropertyResult:
    shape = ctx.data.shape[1:]
    perm = Permutation.random(ctx.n, rng=ctx.rng)
    inverse = perm.inverse()
    f = ctx.data[0]
    seed = int(ctx.rng.integers(2**32))
    rng_v = CoupledNoise(seed, shape, lambda g: g)
    rng_u = CoupledNoise(seed, shape, inverse.apply)  # g~ = P^{-1}(g), proof of Prop. 3
    times = process_times(ctx.space, [0.0, *pos.tolist()])
    v = ctx.space.trajectory(perm.apply(f), times, rng=rng_v)
    u = ctx.space.trajectory(f, times, rng=rng_u)
    coupled = rng_u.calls > 0 and rng_u.foreign == 0 and rng_u.calls == rng_v.calls
    dev = float(max(np.max(np.abs(v[k] - perm.apply(u[k]))) for k in range(len(times))))
    exact = (dev <= 1e-12 * max(1.0, float(np.abs(v).max()))) if coupled else None
    step = float(pos[0])
    a = perm.apply(ctx.draw([0.0, step], ctx.num_test_samples)[:, -1], axes=(1, 2))
    b = ctx.draw([0.0, step], ctx.num_test_samples, data=perm.apply(ctx.data, axes=(1, 2)))[:, -1]
    res = energy_test(a, b, num_permutations=ctx.num_permutations, level=ctx.level, rng=ctx.rng)
    holds = (exact is not False) and not res.reject
    return PropertyResult(
        "permutation_invariance",
        "Property 4, Prop. 3, Eq. (21)",
        holds,
        {
            "coupled_noise_exact": exact,
            "coupled_max_abs_difference": dev if coupled else None,
            "in_distribution_step": step,
            "in_distribution_p_value": res.p_value,
            "in_distribution_reject": res.reject,
            "num_entries_permuted": ctx.n,
        },
        "a random permutation P of all entries: (1) v = T(P f) with noise g against P(T(f)) "
        "with the coupled noise P^{-1}(g), exact up to rounding (needs noise drawn as "
        "rng.standard_normal(image shape)); (2) energy two-sample test of P(u_i) against the "
        "process started from P(data)",
    )


def _moment_kl_test(x: FloatArray, rng: np.random.Generator) -> tuple[float, float] | None:
    m, n = x.shape
    if m < MOMENT_SAMPLES_PER_DIM * n:
        return None

    def kl(z: FloatArray) -> float:
        return gaussian_kl_to_standard_normal(
            z.mean(axis=0), np.cov(z, rowvar=False, bias=True).reshape(n, n)
        )

    observed = kl(x)
    null = np.array([kl(rng.standard_normal((m, n))) for _ in range(NUM_BOOTSTRAP)])
    return observed, float((1 + np.count_nonzero(null >= observed)) / (NUM_BOOTSTRAP + 1))


def _steady_state(ctx: Context, last: FloatArray, kl: float, kl_se: float) -> PropertyResult:
    ref = ctx.rng.standard_normal((ctx.num_test_samples, ctx.n))
    res = energy_test(
        last[: ctx.num_test_samples],
        ref,
        num_permutations=ctx.num_permutations,
        level=ctx.level,
        rng=ctx.rng,
    )
    moment = _moment_kl_test(last, ctx.rng)
    evidence: dict[str, Any] = {
        "step": float(ctx.steps[-1]),
        "energy_p_value": res.p_value,
        "energy_reject": res.reject,
        "moment_matched_kl": None if moment is None else moment[0],
        "moment_matched_kl_p_value": None if moment is None else moment[1],
        "relative_entropy_at_last_step": kl,
        "relative_entropy_stderr": kl_se,
    }
    moment_reject = moment is not None and moment[1] < ctx.level
    if ctx.schedule is not None:
        evidence["alpha_bar_last"] = float(ctx.schedule.alpha_bar[int(ctx.steps[-1])])
    return PropertyResult(
        "steady_state",
        "Property 5, Prop. 4, Eq. (22): N(0, I)",
        not (res.reject or moment_reject),
        evidence,
        "at the last step: energy two-sample test against fresh N(0, I) samples, and the KL of "
        f"the moment-matched Gaussian to N(0, I) against {NUM_BOOTSTRAP} parametric-bootstrap "
        f"draws from N(0, I) (only with >= {MOMENT_SAMPLES_PER_DIM} samples per pixel), each at "
        "the stated level",
    )
