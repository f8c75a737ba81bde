r"""Learned versus exact reverse process: copies, held-out distance and Frechet distance.

:func:`run_memorization` takes a run of :func:`driftscale.learned.training.train`, rebuilds its
training split from the spec stored in the checkpoint (checked against the stored fingerprint,
so the data cannot have changed), and samples the learned (EMA) network and the exact denoiser
of the same training images (the minimiser of the training loss, which only regenerates them:
arXiv:2501.17054) with the same sampler and seed. For both it reports the fraction of
samples that copy a training image (``d1/d2 < 1/3``) and the distance to the held-out images,
and the Frechet distance to the held-out images in the hidden layer of a digit classifier
trained on the training split (pixels for data without labels), beside the floor: real training
images against the held-out ones. It returns a :class:`MemorizationRunResult`;
``driftscale memorization`` prints its ``to_dict()`` with ``--json`` and draws its samples.
Needs PyTorch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscale._progress import progress_callback
from driftscale.data import DataSplit, ValueScale, load_split
from driftscale.evaluation.frechet import classifier_features, frechet_distance
from driftscale.evaluation.memorization import MemorizationReport, memorization_report
from driftscale.reverse.denoisers import ExactDenoiser
from driftscale.reverse.samplers import sample, time_grid
from driftscale.typing import FloatArray

__all__ = [
    "DenoiserSamples",
    "FrechetDistances",
    "MemorizationRunResult",
    "checkpoint_split",
    "run_memorization",
]


@dataclass(frozen=True)
class DenoiserSamples:
    """Samples of one denoiser, their memorisation report and the sampling time."""

    samples: FloatArray
    report: MemorizationReport
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The report's numbers and the seconds."""
        return self.report.summary() | {"seconds": self.seconds}


@dataclass(frozen=True)
class FrechetDistances:
    """Frechet distances to the held-out images in one feature space (squared, as FID)."""

    feature_space: str
    learned_vs_heldout: float
    exact_vs_heldout: float
    floor_train_vs_heldout: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {
            "feature_space": self.feature_space,
            "learned_vs_heldout": self.learned_vs_heldout,
            "exact_vs_heldout": self.exact_vs_heldout,
            # the floor: real training images (as many as samples) against the held-out ones
            "floor_train_vs_heldout": self.floor_train_vs_heldout,
        }


@dataclass(frozen=True)
class MemorizationRunResult:
    """The learned and the exact denoiser of one training run, sampled alike and compared.

    Attributes
    ----------
    checkpoint : str
    step : int
        Training step of the checkpoint.
    data : str
        Name of the data set.
    sampler : str
    num_steps : int
    num_samples : int
    seed : int
    clip : float or None
        The learned ``u0`` was clipped to ``[-clip, clip]``.
    learned, exact : DenoiserSamples
    baseline : MemorizationReport or None
        Held-out real images against the training images (at least 2 held-out images).
    classifier_heldout_accuracy : float or None
        Accuracy on the held-out images of the classifier whose features the Frechet distance
        uses (``None`` without labels).
    frechet : FrechetDistances or None
    train, heldout : ndarray of float64
        The split, scaled to ``[-1, 1]``.
    value_scale : ValueScale
    """

    checkpoint: str
    step: int
    data: str
    sampler: str
    num_steps: int
    num_samples: int
    seed: int
    clip: float | None
    learned: DenoiserSamples
    exact: DenoiserSamples
    baseline: MemorizationReport | None
    classifier_heldout_accuracy: float | None
    frechet: FrechetDistances | None
    train: FloatArray
    heldout: FloatArray | None
    value_scale: ValueScale

    @property
    def runs(self) -> dict[str, DenoiserSamples]:
        """``{"learned": ..., "exact": ...}``."""
        return {"learned": self.learned, "exact": self.exact}

    def to_dict(self) -> dict[str, Any]:
        """The ``driftscale memorization --json`` payload (without the output path)."""
        out: dict[str, Any] = {
            "command": "memorization",
            "checkpoint": self.checkpoint,
            "step": self.step,
            "data": self.data,
            "num_train": int(self.train.shape[0]),
            "num_heldout": 0 if self.heldout is None else int(self.heldout.shape[0]),
            "sampler": self.sampler,
            "num_steps": self.num_steps,
            "num_samples": self.num_samples,
            "seed": self.seed,
            "clip": self.clip,
            "learned": self.learned.to_dict(),
            "exact": self.exact.to_dict(),
        }
        if self.baseline is not None:
            out["baseline_heldout_vs_train"] = self.baseline.summary()
        if self.classifier_heldout_accuracy is not None:
            out["classifier_heldout_accuracy"] = self.classifier_heldout_accuracy
        if self.frechet is not None:
            out["frechet"] = self.frechet.to_dict()
        return out


def checkpoint_split(checkpoint: Path, data: str | None) -> tuple[dict[str, Any], DataSplit]:
    """The checkpoint and its training split, rebuilt from the stored spec and checked against
    the stored fingerprint (a changed data set is refused)."""
    from driftscale.learned.checkpoints import CheckpointError, load_checkpoint
    from driftscale.learned.config import data_fingerprint

    state = load_checkpoint(checkpoint)
    spec = state["data"]
    source = str(spec.get("source"))
    if data is not None and data != source and Path(data).resolve() != Path(source):
        raise CheckpointError(
            f"`data` {data!r} is not the data the checkpoint was trained on ({source!r}); "
            "leave it out to use the checkpoint's"
        )
    split = load_split(
        spec["source"], heldout=spec["heldout"], seed=spec["split_seed"], grey=spec["grey"]
    )
    if data_fingerprint(split.train) != spec.get("sha256"):
        raise CheckpointError(
            f"the training split rebuilt from {spec['source']!r} differs from the checkpoint's "
            "(the data changed since training)"
        )
    return state, split


def _sample_one(
    name: str, denoiser: Any, split: DataSplit, options: dict[str, Any], progress: Any
) -> DenoiserSamples:
    total = len(time_grid(denoiser.schedule.T, options["num_steps"])) - 1
    bar = progress_callback(progress, total, f"{name} {options['sampler']}")
    start = time.perf_counter()
    res = sample(
        denoiser,
        num_samples=options["num_samples"],
        sampler=options["sampler"],
        rng=options["seed"],
        num_steps=options["num_steps"],
        progress=bar if bar is not None else False,
    )
    rep = memorization_report(
        res.samples, split.train, heldout=split.heldout, threshold=options["threshold"]
    )
    return DenoiserSamples(res.samples, rep, time.perf_counter() - start)


def _frechet(
    split: DataSplit, learned: FloatArray, exact: FloatArray, *, seed: int
) -> tuple[FrechetDistances, float | None]:
    """Frechet distances to the held-out images; features of a classifier where there are
    labels (its held-out accuracy is returned), else pixels."""
    held, accuracy = split.heldout, None
    if split.train_labels is not None:
        feats: Any = classifier_features(
            split.train, split.train_labels, seed=seed, check=(held, split.heldout_labels)
        )
        space = f"hidden layer ({feats.hidden} ReLU units) of an MLP digit classifier"
        accuracy = feats.accuracy
    else:
        feats = lambda x: np.asarray(x).reshape(len(x), -1)  # noqa: E731
        space = "pixels (no labels to train a classifier on these data)"
    fh = feats(held)
    n, num_train = learned.shape[0], split.train.shape[0]
    pick = np.random.default_rng([seed, 2]).choice(num_train, n, replace=n > num_train)
    distances = FrechetDistances(
        feature_space=space,
        learned_vs_heldout=frechet_distance(feats(learned), fh),
        exact_vs_heldout=frechet_distance(feats(exact), fh),
        floor_train_vs_heldout=frechet_distance(feats(split.train[pick]), fh),
    )
    return distances, accuracy


def run_memorization(
    checkpoint: str | Path = "driftscale-run",
    *,
    data: str | None = None,
    sampler: str = "ddim",
    num_samples: int = 256,
    num_steps: int | None = 100,
    clip: float = 1.0,
    threshold: float = 1.0 / 3.0,
    seed: int = 0,
    progress: Any = False,
) -> MemorizationRunResult:
    """Sample the learned (EMA) and the exact denoiser with the same sampler and seed; compare.

    Parameters
    ----------
    checkpoint : str or path
        Run folder (or ``checkpoint.pt``) of :func:`driftscale.learned.training.train`.
    data : str, optional
        The data of the run; default the checkpoint's (a different one is an error).
    sampler : {"ddpm", "ddim", "sde", "ode"}
        The same for both denoisers.
    num_samples : int
        Samples per denoiser.
    num_steps : int, optional
        Reverse steps on an evenly spaced grid (``None``: every step).
    clip : float
        Clip the learned ``u0`` to ``[-clip, clip]`` (DDPM practice); ``0`` (or less): no clip.
    threshold : float
        A sample is a copy when ``d1/d2 < threshold``.
    seed : int
        Seeds both samplers (the same noise for both) and the classifier.
    progress : bool or callable
        Progress bars on stderr (``True``) or a callback with the number of steps done.

    Returns
    -------
    MemorizationRunResult
    """
    from driftscale.learned.denoiser import load_denoiser

    state, split = checkpoint_split(Path(checkpoint), data)
    held = split.heldout
    baseline = None
    if held is not None and held.shape[0] >= 2:
        baseline = memorization_report(held, split.train, threshold=threshold)
    learned = load_denoiser(checkpoint, clip=clip if clip > 0 else None)
    exact = ExactDenoiser(split.train, learned.schedule)
    options = {"num_samples": num_samples, "sampler": sampler, "seed": seed}
    options |= {"num_steps": num_steps, "threshold": threshold}
    runs = {
        name: _sample_one(name, den, split, options, progress)
        for name, den in (("learned", learned), ("exact", exact))
    }
    frechet, accuracy = None, None
    if baseline is not None:
        frechet, accuracy = _frechet(
            split, runs["learned"].samples, runs["exact"].samples, seed=seed
        )
    return MemorizationRunResult(
        checkpoint=str(checkpoint),
        step=int(state["step"]),
        data=split.name,
        sampler=sampler,
        num_steps=len(time_grid(learned.schedule.T, num_steps)) - 1,
        num_samples=num_samples,
        seed=seed,
        clip=clip if clip > 0 else None,
        learned=runs["learned"],
        exact=runs["exact"],
        baseline=baseline,
        classifier_heldout_accuracy=accuracy,
        frechet=frechet,
        train=split.train,
        heldout=held,
        value_scale=split.value_scale,
    )
