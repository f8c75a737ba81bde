r"""Where does generalisation come from? Closed-form denoisers against a trained network.

Seed 002 (arXiv:2501.17054) shows that the exact reverse process of a finite data set only
regenerates its training images and asks where generalisation comes from. Two experiments:

- :func:`run_generalization` -- from the *same initial noise* and with the same sampler, the
  exact, Gaussian (linear), smoothed (Scarvelis et al.), LS and ELS (default and calibrated;
  Kamb & Ganguli) denoisers and a trained network each draw samples; for each: the fraction of
  copies of training images (:math:`d_1/d_2 < 1/3`, bootstrap interval), the distance to the
  held-out images, the Frechet distance to them, and the :math:`r^2` and cosine similarity of its
  samples to the network's. How much of the network's behaviour a closed form explains.
- :func:`run_disjoint_halves` -- Kadkhodaie et al. (arXiv:2310.02557): pairs of networks trained
  on disjoint training subsets of size ``N`` draw samples from the same noise; their similarity
  and each one's copy fraction, against ``N``: the transition from memorisation to
  generalisation. Trained networks are kept in a run folder and reused when the experiment is
  run again with the same settings (see :mod:`driftscale.experiments._halves`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from driftscale._validation import check_choice, check_positive_int
from driftscale.data import ValueScale
from driftscale.evaluation.frechet import classifier_features, frechet_distance
from driftscale.evaluation.generalization import CopyFraction, PairedAgreement, copy_fraction
from driftscale.evaluation.generalization import paired_agreement as _paired
from driftscale.experiments.memorization_run import checkpoint_split
from driftscale.reverse.denoisers import ExactDenoiser, GaussianDenoiser
from driftscale.reverse.local import PADDINGS, EquivariantLocalDenoiser, LocalDenoiser
from driftscale.reverse.patch_size import PatchCalibration, calibrate_patch_size
from driftscale.reverse.samplers import SAMPLERS, sample
from driftscale.reverse.smoothed import SmoothedExactDenoiser
from driftscale.typing import FloatArray

__all__ = [
    "DENOISER_NAMES",
    "DenoiserRun",
    "DisjointHalvesResult",
    "GeneralizationResult",
    "HalvesPair",
    "run_disjoint_halves",
    "run_generalization",
]

# the rows of the comparison, in the order they are drawn
DENOISER_NAMES: tuple[str, ...] = (
    "network",
    "exact",
    "gaussian",
    "smoothed",
    "ls",
    "els",
    "els-calibrated",
)
KAMB_GANGULI_R2 = {  # published median r^2 of the calibrated ELS machine (ICML 2025, abstract)
    "MNIST": 0.94,
    "FashionMNIST": 0.94,
    "CIFAR-10": 0.95,
    "CelebA": 0.96,
    "CIFAR-10, U-Net with self-attention": 0.77,
}


@dataclass(frozen=True)
class DenoiserRun:
    """Samples of one denoiser from the shared noise and what was measured on them."""

    name: str
    description: str
    samples: FloatArray
    seconds: float
    copies: CopyFraction
    agreement: PairedAgreement | None
    frechet: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers (no arrays)."""
        rep = self.copies.report
        out: dict[str, Any] = {
            "description": self.description,
            "seconds": self.seconds,
            "copies": self.copies.to_dict(),
            "d1_median": float(np.median(rep.d1)) if rep is not None else None,
            "frechet_to_heldout": self.frechet,
        }
        if rep is not None and rep.heldout_d1 is not None:
            out["heldout_d1_median"] = float(np.median(rep.heldout_d1))
        if self.agreement is not None:
            out["to_network"] = self.agreement.summary()
        return out


@dataclass(frozen=True)
class GeneralizationResult:
    """Result of :func:`run_generalization`: ``to_dict()`` is the ``--json`` payload; the samples
    (``runs[k].samples``), the training images and the value scale are for the figure."""

    settings: dict[str, Any]
    runs: tuple[DenoiserRun, ...]
    calibration: PatchCalibration | None
    frechet_floor: float | None
    feature_space: str
    train: FloatArray = field(repr=False)
    value_scale: ValueScale = field(repr=False)

    def run(self, name: str) -> DenoiserRun:
        """The run of denoiser ``name``."""
        for r in self.runs:
            if r.name == name:
                return r
        raise KeyError(f"no denoiser {name!r}; ran {[r.name for r in self.runs]}")

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload."""
        return {
            "command": "generalization",
            **self.settings,
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
            "frechet_floor_train_vs_heldout": self.frechet_floor,
            "feature_space": self.feature_space,
            "published_median_r2_els_to_network": KAMB_GANGULI_R2,
            "denoisers": {r.name: r.to_dict() for r in self.runs},
        }


def _features(split: Any, seed: int) -> tuple[Any, str]:
    """Classifier features where there are labels (the digits), else the pixels."""
    if split.train_labels is not None and split.heldout is not None:
        feats = classifier_features(
            split.train, split.train_labels, seed=seed, check=(split.heldout, split.heldout_labels)
        )
        return feats, f"hidden layer ({feats.hidden} ReLU units) of an MLP digit classifier"
    return (lambda x: np.asarray(x).reshape(len(x), -1)), "pixels (no labels on these data)"


@dataclass(frozen=True)
class _Options:
    """The options of :func:`run_generalization`, checked."""

    sampler: str
    num_samples: int
    num_steps: int | None
    seed: int
    smoothing: float
    padding: str
    calibration_samples: int
    calibration_steps: int
    clip: float | None
    denoisers: tuple[str, ...]


def _build(name: str, train: FloatArray, network: Any, opts: _Options) -> tuple[Any, str]:
    """The denoiser ``name`` and a one-line description."""
    schedule = network.schedule
    if name == "network":
        return network, f"trained U-Net (EMA weights, u0 clipped to {opts.clip})"
    if name == "exact":
        return ExactDenoiser(train, schedule), "exact posterior mean of the training set"
    if name == "gaussian":
        var = float(train.var(axis=0).mean())
        return GaussianDenoiser(train.mean(axis=0), var, schedule), (
            f"Gaussian data N(mean image, {var:.3f} I): linear"
        )
    if name == "smoothed":
        D = SmoothedExactDenoiser(train, schedule, smoothing=opts.smoothing, rng=opts.seed)
        return D, f"exact, smoothed over training perturbations s = {opts.smoothing}"
    if name == "ls":
        return LocalDenoiser(train, schedule), "LS machine, default patch-size rule"
    els = EquivariantLocalDenoiser(train, schedule, padding=opts.padding)
    return els, f"ELS machine ({opts.padding!r} border), default patch-size rule"


def _draw(D: Any, initial: FloatArray, opts: _Options, progress: bool) -> tuple[FloatArray, float]:
    t0 = time.perf_counter()
    res = sample(
        D,
        num_samples=initial.shape[0],
        sampler=opts.sampler,
        num_steps=opts.num_steps,
        rng=opts.seed,  # the same step noise for every denoiser (DDPM/SDE)
        initial=initial,  # the same start for every denoiser
        progress=progress,
    )
    return res.samples, time.perf_counter() - t0


def _check_options(
    *,
    sampler: str,
    num_samples: int,
    seed: int,
    smoothing: float,
    padding: str,
    denoisers: tuple[str, ...] | None,
) -> tuple[str, ...]:
    check_choice(sampler, name="sampler", choices=SAMPLERS)
    check_positive_int(num_samples, name="num_samples")
    check_choice(padding, name="padding", choices=PADDINGS)
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise ValueError(f"`smoothing` must be a finite number >= 0, got {smoothing!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"`seed` must be an int, got {seed!r}")
    names = DENOISER_NAMES if denoisers is None else tuple(denoisers)
    for n in names:
        check_choice(n, name="denoisers", choices=DENOISER_NAMES)
    if "network" not in names:
        names = ("network", *names)  # the reference of r^2: always drawn
    return tuple(n for n in DENOISER_NAMES if n in names)


def run_generalization(
    checkpoint: str | Path,
    *,
    data: str | None = None,
    sampler: str = "ddim",
    num_samples: int = 64,
    num_steps: int | None = 50,
    seed: int = 0,
    smoothing: float = 0.3,
    padding: str = "none",
    calibration_samples: int = 16,
    calibration_steps: int = 10,
    clip: float | None = 1.0,
    denoisers: tuple[str, ...] | None = None,
    progress: bool = False,
) -> GeneralizationResult:
    r"""Closed-form denoisers against the trained network of ``checkpoint``, from the same noise.

    Parameters
    ----------
    checkpoint : path
        Run folder (or ``checkpoint.pt``) of :func:`driftscale.learned.train`; its training split
        is rebuilt from the stored data spec and checked against the stored fingerprint.
    data : str, optional
        The data the checkpoint was trained on (checked); default the checkpoint's.
    sampler : {"ddpm", "ddim", "sde", "ode"}
        The same for every denoiser; ``"ddim"`` (deterministic: the sample is a function of the
        initial noise) by default.
    num_samples, num_steps : int
        Samples per denoiser and reverse steps.
    seed : int
        Seed of the initial noise :math:`u_T` shared by all denoisers (and of the step noise of
        stochastic samplers, and of the smoothing draws); the calibration uses ``seed + 1``.
    smoothing : float
        Perturbation scale ``s`` of :class:`SmoothedExactDenoiser` (scaled-data units).
    padding : {"none", "zero", "circular"}
        Border convention of the ELS machines.
    calibration_samples, calibration_steps : int
        Trajectories of the network and steps of its grid used to calibrate the ELS patch size
        (:func:`~driftscale.reverse.patch_size.calibrate_patch_size`).
    clip : float or None
        Clip the network's :math:`\hat u_0` to ``[-clip, clip]`` (DDPM practice); None: off.
    denoisers : tuple of str, optional
        A subset of :data:`DENOISER_NAMES` (the network is always drawn: the reference).
    progress : bool
        Progress bars on stderr.

    Returns
    -------
    GeneralizationResult
    """
    names = _check_options(
        sampler=sampler,
        num_samples=num_samples,
        seed=seed,
        smoothing=smoothing,
        padding=padding,
        denoisers=denoisers,
    )
    opts = _Options(
        sampler,
        int(num_samples),
        num_steps,
        int(seed),
        float(smoothing),
        padding,
        check_positive_int(calibration_samples, name="calibration_samples"),
        check_positive_int(calibration_steps, name="calibration_steps"),
        clip,
        names,
    )
    state, split = checkpoint_split(Path(checkpoint), data)
    from driftscale.learned.denoiser import load_denoiser

    network = load_denoiser(checkpoint, clip=clip)
    return _compare(state, split, network, opts, progress=progress, checkpoint=str(checkpoint))


def _calibrated_els(train: FloatArray, network: Any, opts: _Options) -> tuple[Any, str, Any]:
    """The ELS machine with its patch size calibrated to the network (seed + 1: other noise)."""
    els, desc = _build("els", train, network, opts)
    calibration = calibrate_patch_size(
        network,
        els,
        num_samples=opts.calibration_samples,
        sampler=opts.sampler,
        num_steps=opts.num_steps,
        calibration_steps=opts.calibration_steps,
        rng=opts.seed + 1,
    )
    desc = desc.replace("default patch-size rule", "patch size calibrated to the network")
    return els.with_patch_size(calibration.schedule), desc, calibration


def _settings(state: dict[str, Any], split: Any, opts: _Options, checkpoint: str) -> dict[str, Any]:
    held = split.heldout
    return {
        "checkpoint": checkpoint,
        "step": int(state["step"]),
        "data": split.name,
        "num_train": int(split.train.shape[0]),
        "num_heldout": 0 if held is None else int(held.shape[0]),
        "sampler": opts.sampler,
        "num_steps": opts.num_steps,
        "num_samples": opts.num_samples,
        "seed": opts.seed,
        "smoothing": opts.smoothing,
        "padding": opts.padding,
        "clip": opts.clip,
        "r2_definition": "1 - |x - x_net|^2 / |x_net - mean pixel of x_net|^2, per pair",
        "cosine_center": "the mean training image",
    }


def _compare(
    state: dict[str, Any],
    split: Any,
    network: Any,
    opts: _Options,
    *,
    progress: bool,
    checkpoint: str,
) -> GeneralizationResult:
    train, held = split.train, split.heldout
    initial = np.random.default_rng(opts.seed).standard_normal((opts.num_samples, *train.shape[1:]))
    feats, space = _features(split, opts.seed) if held is not None else (None, "none")
    fh = feats(held) if feats is not None else None
    center = train.mean(axis=0)
    calibration, runs, reference = None, [], None
    for name in opts.denoisers:
        if name == "els-calibrated":
            D, desc, calibration = _calibrated_els(train, network, opts)
        else:
            D, desc = _build(name, train, network, opts)
        samples, seconds = _draw(D, initial, opts, progress)
        if reference is None:
            reference = samples  # the network comes first
        runs.append(
            DenoiserRun(
                name=name,
                description=desc,
                samples=samples,
                seconds=seconds,
                copies=copy_fraction(samples, train, heldout=held, rng=opts.seed),
                agreement=None if name == "network" else _paired(reference, samples, center=center),
                frechet=None if fh is None else frechet_distance(feats(samples), fh),
            )
        )
    floor = None
    if fh is not None:  # the floor: real training images (as many as samples) vs held-out
        pick = np.random.default_rng([opts.seed, 2]).choice(
            train.shape[0], opts.num_samples, replace=opts.num_samples > train.shape[0]
        )
        floor = frechet_distance(feats(train[pick]), fh)
    return GeneralizationResult(
        _settings(state, split, opts, checkpoint),
        tuple(runs),
        calibration,
        floor,
        space,
        train,
        split.value_scale,
    )


@dataclass(frozen=True)
class HalvesPair:
    """Two networks trained on disjoint subsets ``A_N``, ``B_N`` of ``N`` images each."""

    size: int
    agreement: PairedAgreement
    copies_a: CopyFraction
    copies_b: CopyFraction
    samples_a: FloatArray = field(repr=False)
    samples_b: FloatArray = field(repr=False)
    training: tuple[dict[str, Any], dict[str, Any]] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers (no arrays)."""
        return {
            "size": self.size,
            "a_vs_b": self.agreement.summary(),
            "copies_a": self.copies_a.to_dict(),
            "copies_b": self.copies_b.to_dict(),
            "training": list(self.training),
        }


@dataclass(frozen=True)
class DisjointHalvesResult:
    """Result of :func:`run_disjoint_halves`: ``to_dict()`` is the ``--json`` payload; the
    samples of each pair and the value scale are for the figures."""

    settings: dict[str, Any]
    pairs: tuple[HalvesPair, ...]
    value_scale: ValueScale = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload."""
        return {
            "command": "generalization --disjoint-halves",
            **self.settings,
            "pairs": [p.to_dict() for p in self.pairs],
        }


def _check_sizes(sizes: Any) -> tuple[int, ...]:
    out = tuple(int(check_positive_int(s, name="sizes")) for s in sizes)
    if not out or len(set(out)) != len(out):
        raise ValueError(f"`sizes` must be distinct positive ints, at least one, got {sizes!r}")
    if min(out) < 2:
        raise ValueError(f"`sizes` must be at least 2 (d2 needs two images), got {min(out)}")
    return tuple(sorted(out))


def _pair(
    size: int,
    subsets: tuple[np.ndarray, np.ndarray],
    images: FloatArray,
    *,
    config: Any,
    run_dir: Path,
    opts: dict[str, Any],
) -> HalvesPair:
    """Train (or reuse) the two networks of one size and compare their samples."""
    from driftscale.experiments._halves import trained_network

    shape = (opts["num_samples"], *images.shape[1:])
    initial = np.random.default_rng(opts["seed"]).standard_normal(shape)  # one noise for all

    infos, draws, copies = [], [], []
    for half, idx in zip("ab", subsets, strict=True):
        # network B gets its own initial weights and noise (seed + 1): two independent networks,
        # so that agreement cannot come from a shared initialisation
        cfg = dataclasses.replace(
            config,
            batch_size=min(config.batch_size, size),
            seed=config.seed + (0 if half == "a" else 1),
        )
        net, info = trained_network(
            images[idx],
            run_dir / f"N{size}-{half}",
            config=cfg,
            max_seconds=opts["train_seconds"],
            data_spec={**opts["spec"], "subset": half, "size": size},
            clip=opts["clip"],
            progress=opts["progress"],
        )
        res = sample(
            net,
            num_samples=initial.shape[0],
            sampler=opts["sampler"],
            num_steps=opts["num_steps"],
            rng=opts["seed"],
            initial=initial,
        )
        infos.append(info)
        draws.append(res.samples)
        copies.append(copy_fraction(res.samples, images[idx], rng=opts["seed"]))
    agreement = _paired(draws[0], draws[1], center=images.mean(axis=0))
    return HalvesPair(size, agreement, copies[0], copies[1], draws[0], draws[1], tuple(infos))


def run_disjoint_halves(
    data: str = "digits",
    *,
    sizes: tuple[int, ...] = (8, 32, 128, 512),
    run_dir: str | Path = "driftscale-halves",
    train_seconds: float | None = 120.0,
    train_steps: int = 20000,
    batch_size: int = 64,
    base_channels: int = 16,
    channel_mults: tuple[int, ...] = (1, 2),
    attention: bool = True,
    schedule: str = "linear:1e-4,0.02",
    T: int = 1000,
    num_samples: int = 32,
    sampler: str = "ddim",
    num_steps: int | None = 50,
    seed: int = 0,
    clip: float | None = 1.0,
    progress: bool = False,
) -> DisjointHalvesResult:
    r"""Networks trained on disjoint subsets of ``N`` images, compared from the same noise.

    For each ``N`` in ``sizes``, two networks are trained (:func:`driftscale.learned.train`,
    ``train_steps`` steps or ``train_seconds`` seconds, whichever comes first; seeds ``seed`` and
    ``seed + 1``, so independent initial weights; batch ``min(batch_size, N)``) on disjoint
    subsets ``A_N``, ``B_N`` of the data (nested across ``N``, see
    :func:`~driftscale.experiments._halves.disjoint_subsets`); then each draws ``num_samples``
    samples from the same initial noise. Measured: the :math:`r^2` and centred cosine similarity
    of the two networks' samples, pair by pair (Kadkhodaie et al.: near 1 once the networks
    generalise), and each network's fraction of copies of its own training images.

    Networks are kept in ``run_dir`` and reused when this is run again with the same settings.

    Returns
    -------
    DisjointHalvesResult
    """
    from driftscale.experiments._halves import disjoint_subsets, load_source
    from driftscale.learned.config import TrainConfig

    sizes = _check_sizes(sizes)
    check_choice(sampler, name="sampler", choices=SAMPLERS)
    num_samples = check_positive_int(num_samples, name="num_samples")
    if train_seconds is not None and not train_seconds > 0:
        raise ValueError(f"`train_seconds` must be positive or None, got {train_seconds!r}")
    network = {"base_channels": base_channels, "channel_mults": tuple(channel_mults)}
    config = TrainConfig(
        steps=train_steps,
        batch_size=batch_size,
        seed=seed,
        schedule=schedule,
        T=T,
        attention=attention,
        checkpoint_every=train_steps,  # the final checkpoint only: unfinished runs are redone
        **network,
    )
    dataset = load_source(data)
    vs = dataset.value_scale("unit")
    images = vs.apply(dataset.values)
    subsets = disjoint_subsets(images.shape[0], sizes, seed)
    config.network_config(tuple(images.shape[1:]))  # NetworkShapeError before any training
    opts = {
        "train_seconds": train_seconds,
        "spec": {"source": data, "scale": "unit", "split_seed": seed},
        "clip": clip,
        "progress": progress,
        "sampler": sampler,
        "num_steps": num_steps,
        "seed": seed,
        "num_samples": num_samples,
    }
    root = Path(run_dir)
    pairs = tuple(
        _pair(n, subsets[n], images, config=config, run_dir=root, opts=opts) for n in sizes
    )
    settings = _halves_settings(dataset.name, images, sizes, root, config, opts)
    return DisjointHalvesResult(settings, pairs, vs)


def _halves_settings(
    name: str,
    images: FloatArray,
    sizes: tuple[int, ...],
    root: Path,
    config: Any,
    opts: dict[str, Any],
) -> dict[str, Any]:
    seed = opts["seed"]
    return {
        "data": name,
        "num_images": int(images.shape[0]),
        "sizes": list(sizes),
        "run_dir": str(root),
        "train": config.to_dict(),
        "num_samples": opts["num_samples"],
        **{k: opts[k] for k in ("train_seconds", "sampler", "num_steps", "seed", "clip")},
        "cosine_center": "the mean image of the data",
        "network_seeds": [seed, seed + 1],
    }
