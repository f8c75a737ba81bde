"""The likelihood job: bits/dim of training and held-out images under the exact or a learned
reverse process, by the variational bound and the probability-flow ODE (``driftscale likelihood``).

:func:`run_likelihood` loads the data and its split (the split of ``driftscale train`` and
``driftscale sample``, so a trained run is judged on the images it never saw), derives the data's
quantisation, builds the denoiser, and calls :func:`driftscale.reverse.likelihood.likelihood` for
each route and split; :class:`LikelihoodResult` holds the per-image estimates (for the figure) and
``to_dict()`` (the ``--json`` payload).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from driftscale.data import DataSplit, load_split
from driftscale.evaluation.likelihood import SplitGap, split_gap, uniform_bits_per_dim
from driftscale.experiments.memorization_run import checkpoint_split
from driftscale.reverse.denoisers import ExactDenoiser
from driftscale.reverse.likelihood import ROUTES, LikelihoodEstimate, likelihood
from driftscale.reverse.quantisation import Quantisation
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = ["FLOAT32_FD_STEP", "LikelihoodResult", "run_likelihood"]

# finite-difference step (relative to sigma_i) for float32 networks: measured on the digits U-Net
# against float64 differences, at most 2.4e-4 of the trace (see driftscale.reverse.divergence)
FLOAT32_FD_STEP = 3e-2
SPLITS = ("train", "heldout")


@dataclass(frozen=True)
class LikelihoodResult:
    """Bits/dim of training and held-out images under each route.

    Attributes
    ----------
    estimates : dict
        ``estimates[route][split]``: the :class:`LikelihoodEstimate` (per-image arrays), for
        ``split`` in ``("train", "heldout")``.
    gaps : dict
        ``gaps[route]``: the :class:`SplitGap` (means, standard errors, held-out minus train).
    seconds : dict
        Wall-clock seconds of each route (both splits).
    quantisation : Quantisation
        The grid of values, in the denoiser's units (``[-1, 1]``).
    raw_quantisation : Quantisation
        The same grid in the data's raw units (17 levels on ``[0, 16]`` for the digits).
    settings : dict
        Denoiser, data, schedule, seed, sizes and route options (JSON-ready).
    """

    estimates: dict[str, dict[str, LikelihoodEstimate]]
    gaps: dict[str, SplitGap]
    seconds: dict[str, float]
    quantisation: Quantisation
    raw_quantisation: Quantisation
    settings: dict[str, Any] = field(default_factory=dict)

    def bits_per_dim(self, route: str, split: str) -> FloatArray:
        """Per-image bits/dim of ``split`` under ``route`` (float64)."""
        return self.estimates[route][split].bits_per_dim

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload: settings, quantisation, reference values and, per route, the
        train and held-out summaries with their gap (no per-image arrays)."""
        dims = int(self.settings["dims"])
        routes: dict[str, Any] = {}
        for route, gap in self.gaps.items():
            ests = self.estimates[route]
            routes[route] = gap.to_dict() | {
                "seconds": self.seconds[route],
                "num_function_evaluations": {s: ests[s].num_function_evaluations for s in ests},
                "denoiser_evaluations": {s: ests[s].denoiser_evaluations for s in ests},
                "unconverged_steps": {
                    s: ests[s].settings.get("unconverged_steps") for s in ests
                },  # the grid solver's corrector; None for vlb
                "settings": ests["train"].settings,
            }
        return {
            **self.settings,
            "quantisation": self.quantisation.to_dict()
            | {"raw_levels": self.raw_quantisation.levels, "raw_low": self.raw_quantisation.low}
            | {"raw_high": self.raw_quantisation.high},
            "reference_bits_per_dim": {
                "uniform_over_training_images": uniform_bits_per_dim(
                    int(self.settings["num_train"]), dims
                ),
                "uniform_over_levels": float(np.log2(self.quantisation.levels)),
            },
            "routes": routes,
        }


def _network(path: str, data: str | None) -> tuple[Any, DataSplit, dict[str, Any]]:
    """The EMA network of a `driftscale train` run (no clipping: a likelihood needs the model
    itself) and the run's own split, checked against its fingerprint."""
    if not Path(path).exists():
        raise ValueError(
            f"`denoiser` must be 'exact' or the run folder / checkpoint of `driftscale train`, "
            f"got {path!r} (no such file or folder)"
        )
    try:
        from driftscale.learned.denoiser import load_denoiser
    except ImportError:
        raise ValueError(
            "a trained `denoiser` needs PyTorch: pip install 'driftscale[torch]'"
        ) from None
    state, split = checkpoint_split(Path(path), data)
    spec = state["data"]
    model = load_denoiser(path, clip=None)
    dtype = str(next(model.model.parameters()).dtype).removeprefix("torch.")
    return model, split, {"network_dtype": dtype, "split_seed": spec["split_seed"]}


def _quantisation(split: DataSplit) -> tuple[Quantisation, Quantisation]:
    """The grid of the whole data set (both splits), scaled and raw."""
    vs = split.value_scale
    parts = [split.train] + ([] if split.heldout is None else [split.heldout])
    scaled = np.concatenate([p.reshape(p.shape[0], -1) for p in parts])
    lo, hi = (float(v) for v in vs.apply(np.array(vs.data_range)))
    raw = Quantisation.from_data(vs.invert(scaled), data_range=vs.data_range)
    q = Quantisation.from_data(scaled, data_range=(lo, hi))
    return q, raw


def _subset(images: np.ndarray, num: int | None, rng: np.random.Generator) -> np.ndarray:
    if num is None or num >= images.shape[0]:
        return images
    return images[np.sort(rng.choice(images.shape[0], size=num, replace=False))]


def _check_options(routes: Sequence[str], num_images: int | None, heldout: float) -> list[str]:
    routes = list(routes)
    unknown = [r for r in routes if r not in ROUTES]
    if not routes or unknown:
        raise ValueError(
            f"`routes` must be one or more of {', '.join(map(repr, ROUTES))}, got {routes!r}"
        )
    if num_images is not None and (int(num_images) != num_images or num_images < 2):
        raise ValueError(f"`num_images` must be an integer >= 2 or None (all), got {num_images!r}")
    if not 0.0 < heldout < 1.0:
        raise ValueError(
            f"`heldout` must be a fraction in (0, 1): the likelihood compares training and "
            f"held-out images, got {heldout!r}"
        )
    return routes


def _build(
    denoiser: str, data: str | None, heldout: float, seed: int, schedule: str, T: int | None
) -> tuple[Any, DataSplit, dict[str, Any]]:
    if denoiser == "exact":
        split = load_split(data or "digits", heldout=heldout, seed=seed)
        model = ExactDenoiser(split.train, Schedule.from_string(schedule, T=T))
        return model, split, {"split_seed": seed}
    return _network(denoiser, data)


def _estimate(
    model: Any,
    images: dict[str, np.ndarray],
    q: Quantisation,
    routes: list[str],
    options: dict[str, dict[str, Any]],
    seed: int,
    progress: bool,
) -> tuple[dict[str, dict[str, LikelihoodEstimate]], dict[str, float]]:
    """Every route on every split, each with its own seeded generator; seconds per route."""
    estimates: dict[str, dict[str, LikelihoodEstimate]] = {}
    seconds: dict[str, float] = {}
    for r, route in enumerate(routes):
        start = time.perf_counter()
        estimates[route] = {
            name: likelihood(
                model, images[name], route=route, quantisation=q, progress=progress,
                rng=np.random.default_rng([seed, r, s]), **options[route],
            )
            for s, name in enumerate(SPLITS)
        }  # fmt: skip
        seconds[route] = time.perf_counter() - start
    return estimates, seconds


def run_likelihood(
    *,
    denoiser: str = "exact",
    data: str | None = None,
    routes: Sequence[str] = ROUTES,
    num_images: int | None = 64,
    heldout: float = 0.1,
    schedule: str = "linear:1e-4,0.02",
    T: int | None = None,
    num_samples: int = 2,
    timesteps: int | None = None,
    num_steps: int | None = None,
    divergence: str = "exact",
    num_probes: int = 1,
    seed: int = 0,
    progress: bool = False,
) -> LikelihoodResult:
    """Bits/dim of training and held-out images under the exact or a learned reverse process.

    Parameters
    ----------
    denoiser : str
        ``"exact"`` (the posterior mean of the training split) or the run folder / checkpoint of
        ``driftscale train`` (its EMA network, its schedule and its split; ``data``, ``heldout``,
        ``schedule``, ``T`` are then the run's).
    data : str, optional
        ``"digits"`` (the default for the exact denoiser), ``"cat"``, an image file or folder of
        quantised images; for a trained run, default and checked: the run's data.
    routes : sequence of {"vlb", "ode"}
    num_images : int or None
        Images drawn (without replacement, seeded) from each split; ``None``: all.
    heldout : float
        Fraction held out (the split of ``driftscale train``, seeded by ``seed``).
    schedule, T :
        The exact denoiser's schedule.
    num_samples, timesteps :
        vlb options (see :func:`~driftscale.reverse.likelihood.likelihood`).
    num_steps, divergence, num_probes :
        ode options.
    seed : int
        Seeds the split, the subsets and every draw: the same seed gives the same bytes.
    progress : bool
        Progress bars on stderr.

    Returns
    -------
    LikelihoodResult
    """
    routes = _check_options(routes, num_images, heldout)
    model, split, extra = _build(denoiser, data, heldout, seed, schedule, T)
    if split.heldout is None:
        raise ValueError("the run holds out no images; train it with --heldout > 0")
    q, raw_q = _quantisation(split)
    pick = np.random.default_rng([seed, 3])
    images = {"train": _subset(split.train, num_images, pick)}
    images["heldout"] = _subset(split.heldout, num_images, pick)
    fd_step = FLOAT32_FD_STEP if extra.get("network_dtype") == "float32" else None
    options = {
        "vlb": {"num_samples": num_samples, "timesteps": timesteps},
        "ode": {"num_steps": num_steps, "divergence": divergence, "num_probes": num_probes}
        | ({} if fd_step is None else {"fd_step": fd_step}),
    }
    estimates, seconds = _estimate(model, images, q, routes, options, seed, progress)
    settings = {
        "denoiser": denoiser,
        "denoiser_repr": repr(model),
        "data": split.name,
        "schedule": model.schedule.to_dict(),
        "seed": seed,
        "heldout": split.spec["heldout"],
        "num_train": int(split.train.shape[0]),
        "num_heldout": int(split.heldout.shape[0]),
        "num_images": {name: int(images[name].shape[0]) for name in SPLITS},
        "dims": int(np.prod(split.train.shape[1:])),
    } | extra
    return LikelihoodResult(
        estimates=estimates,
        gaps={route: split_gap(e["train"], e["heldout"]) for route, e in estimates.items()},
        seconds=seconds,
        quantisation=q,
        raw_quantisation=raw_q,
        settings=settings,
    )
