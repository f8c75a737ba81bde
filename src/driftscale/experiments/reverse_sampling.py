r"""Sampling the reverse process (Sec. 3.2 of Peter 2023) and measuring how much it copies.

:func:`run_sampling` loads a data set, holds out a fraction (:func:`driftscale.data.load_split`,
the split of training too), draws samples with one of the samplers of
:mod:`driftscale.reverse.samplers` and a denoiser -- the exact one of the training set (the
minimiser of the training loss, which regenerates the training images:
arXiv:2501.17054), the one-point denoiser, or a trained network -- and reports the fraction of
samples that copy a training image (nearest/second-nearest distance ``d1/d2 < 1/3``,
:mod:`driftscale.evaluation.memorization`), beside the same number for held-out real images.
It returns a :class:`SamplingResult`; ``driftscale sample`` prints its ``to_dict()`` with
``--json`` and draws its samples.

Examples
--------
>>> from driftscale.experiments.reverse_sampling import run_sampling
>>> res = run_sampling("digits", denoiser="point", num_samples=4, num_steps=10, seed=0)
>>> res.samples.shape, res.memorization.fraction_memorised
((4, 8, 8), 1.0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscale._validation import check_choice
from driftscale.data import DataSplit, ValueScale, load_split
from driftscale.evaluation.memorization import MemorizationReport, memorization_report
from driftscale.reverse.denoisers import ExactDenoiser, PointDenoiser
from driftscale.reverse.samplers import SampleResult, sample
from driftscale.schedules import Schedule
from driftscale.typing import FloatArray

__all__ = ["DENOISERS", "INPAINT", "SamplingResult", "inpaint_mask", "run_sampling"]

DENOISERS = ("exact", "point")
INPAINT = ("none", "top", "left")
_NOTE = "memorisation needs at least 2 training images (d2); skipped"


@dataclass(frozen=True)
class SamplingResult:
    """Samples of the reverse process, their memorisation report and the data they came from.

    Attributes
    ----------
    data : str
        Name of the data set.
    denoiser : str
        ``"exact"``, ``"point"``, the checkpoint path, or the ``repr`` of a denoiser object.
    inpaint : {"none", "top", "left"}
    seconds : float
        Wall-clock time of the sampling.
    sample : SampleResult
        The samples (``sample.samples``) and how they were drawn.
    memorization : MemorizationReport or None
        Samples against the training images; ``None`` with fewer than 2 training images.
    baseline : MemorizationReport or None
        Held-out real images against the training images (the yardstick), when there are any.
    train, heldout : ndarray of float64
        The split, scaled to ``[-1, 1]`` (``heldout`` is ``None`` when nothing is held out).
    value_scale : ValueScale
        Raw values -> ``[-1, 1]``; inverted to show images.
    """

    data: str
    denoiser: str
    inpaint: str
    seconds: float
    sample: SampleResult
    memorization: MemorizationReport | None
    baseline: MemorizationReport | None
    train: FloatArray
    heldout: FloatArray | None
    value_scale: ValueScale

    @property
    def samples(self) -> FloatArray:
        """The samples, float64 of shape ``(num_samples, *image_shape)``."""
        return self.sample.samples

    def to_dict(self) -> dict[str, Any]:
        """The ``driftscale sample --json`` payload (without the output paths)."""
        out: dict[str, Any] = {
            "command": "sample",
            "data": self.data,
            "num_train": int(self.train.shape[0]),
            "num_heldout": 0 if self.heldout is None else int(self.heldout.shape[0]),
            "denoiser": self.denoiser,
            "inpaint": self.inpaint,
            "seconds": self.seconds,
            "sample": self.sample.summary(),
        }
        if self.memorization is None:
            return out | {"memorization": None, "note": _NOTE}
        out["memorization"] = self.memorization.summary()
        if self.baseline is not None:
            out["baseline_heldout_vs_train"] = self.baseline.summary()
        return out


def inpaint_mask(kind: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """The known pixels of ``inpaint=kind``: the top or left half of an image (``None``: none).

    Examples
    --------
    >>> inpaint_mask("top", (4, 2)).astype(int).tolist()
    [[1, 1], [1, 1], [0, 0], [0, 0]]
    """
    check_choice(kind, name="inpaint", choices=INPAINT)
    if kind == "none":
        return None
    mask = np.zeros(shape, dtype=bool)
    if kind == "top":
        mask[: shape[0] // 2] = True
    else:
        mask[:, : shape[1] // 2] = True
    return mask


def _network_denoiser(path: str, *, image_shape: tuple[int, ...]) -> Any:
    """The EMA network of a `driftscale train` run (its own schedule; u0 clipped to [-1, 1])."""
    if not Path(path).exists():
        raise ValueError(
            f"`denoiser` must be 'exact', 'point' or the run folder / checkpoint of "
            f"`driftscale train`, got {path!r} (no such file or folder)"
        )
    try:
        from driftscale.learned.denoiser import load_denoiser
    except ImportError:
        raise ValueError(
            f"`denoiser` {path!r} is a checkpoint, which needs PyTorch: "
            "pip install 'driftscale[torch]'"
        ) from None
    return load_denoiser(path, clip=1.0)


def _denoiser(denoiser: Any, split: DataSplit, schedule: Schedule, point_index: int) -> Any:
    """The denoiser named by ``denoiser`` (or ``denoiser`` itself), checked against the data."""
    train = split.train
    if denoiser == "exact":
        return ExactDenoiser(train, schedule)
    if denoiser == "point":
        if not 0 <= point_index < train.shape[0]:
            raise ValueError(
                f"`point_index` must lie in 0..{train.shape[0] - 1} (training images), "
                f"got {point_index}"
            )
        return PointDenoiser(train[point_index], schedule)
    if isinstance(denoiser, str | Path):
        model = _network_denoiser(str(denoiser), image_shape=train.shape[1:])
    else:
        model = denoiser  # a Denoiser object (sample() checks its interface)
    shape = getattr(model, "image_shape", None)
    if shape is not None and tuple(shape) != tuple(train.shape[1:]):
        raise ValueError(
            f"`denoiser` {str(denoiser)!r} was trained on images of shape {tuple(shape)}, but "
            f"`data` gives {tuple(train.shape[1:])}; pass the data the network was trained on"
        )
    return model


def _known_pixels(
    inpaint: str, split: DataSplit, shape: tuple[int, ...], num_samples: int
) -> tuple[FloatArray | None, np.ndarray | None]:
    """Known pixels for inpainting: held-out images (training images if none are held out)."""
    mask = inpaint_mask(inpaint, shape)
    if mask is None:
        return None, None
    source = split.heldout if split.heldout is not None else split.train
    return source[np.arange(num_samples) % source.shape[0]], mask


def run_sampling(
    data: str | Path = "digits",
    *,
    denoiser: Any = "exact",
    sampler: str = "ddpm",
    num_samples: int = 64,
    num_steps: int | None = None,
    eta: float = 0.0,
    schedule: Schedule | str = "linear:1e-4,0.02",
    T: int | None = None,
    heldout: float = 0.1,
    point_index: int = 0,
    inpaint: str = "none",
    threshold: float = 1.0 / 3.0,
    seed: int = 0,
    grey: bool = False,
    progress: Any = False,
) -> SamplingResult:
    """Sample the reverse process with one denoiser and measure memorisation (arXiv:2501.17054).

    Parameters
    ----------
    data : str or path
        ``"digits"`` (8x8, embedded), ``"cat"``, an image file or a folder of images.
    denoiser : {"exact", "point"}, path or Denoiser
        ``"exact"``: the posterior mean of the training set; ``"point"``: the training image
        ``point_index``; a run folder or checkpoint of :func:`driftscale.learned.training.train`
        (its EMA network, with its own schedule, ``u0`` clipped to ``[-1, 1]``; needs PyTorch);
        or any Denoiser object for images of the data's shape.
    sampler : {"ddpm", "ddim", "sde", "ode"}
    num_samples : int
    num_steps : int, optional
        Reverse steps on an evenly spaced grid; default every step of the schedule.
    eta : float
        DDIM's noise scale (``sampler="ddim"`` only).
    schedule : Schedule or str
        Beta schedule of the exact and point denoisers; ``T`` sets its length.
    T : int, optional
    heldout : float
        Fraction of the data held out, in ``[0, 1)``; the split is seeded by ``seed``.
    point_index : int
        Training image of ``denoiser="point"``.
    inpaint : {"none", "top", "left"}
        Known half of each image, taken from the held-out images (the training images when
        nothing is held out).
    threshold : float
        A sample is a copy when ``d1/d2 < threshold``.
    seed : int
        Seeds the split and the sampler: the same seed gives the same bytes.
    grey : bool
        Convert colour images to grey.
    progress : bool or callable
        A progress bar on stderr (``True``) or a callback with the number of steps done.

    Returns
    -------
    SamplingResult
    """
    check_choice(inpaint, name="inpaint", choices=INPAINT)
    sched = Schedule.from_string(schedule, T=T) if isinstance(schedule, str) else schedule
    sched = Schedule.coerce(sched)
    split = load_split(data, heldout=heldout, seed=seed, grey=grey)
    train, held = split.train, split.heldout
    model = _denoiser(denoiser, split, sched, point_index)
    known, mask = _known_pixels(inpaint, split, tuple(model.image_shape), num_samples)
    baseline = None
    if held is not None and train.shape[0] >= 2:
        # the yardstick: how often a real image the denoiser never saw is flagged as a copy
        baseline = memorization_report(held, train, threshold=threshold)
    start = time.perf_counter()
    result = sample(
        model,
        num_samples=num_samples,
        sampler=sampler,
        rng=seed,
        num_steps=num_steps,
        eta=eta,
        known=known,
        mask=mask,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    report = None
    if train.shape[0] >= 2:
        report = memorization_report(result.samples, train, heldout=held, threshold=threshold)
    return SamplingResult(
        data=split.name,
        denoiser=denoiser if isinstance(denoiser, str) else str(denoiser),
        inpaint=inpaint,
        seconds=seconds,
        sample=result,
        memorization=report,
        baseline=baseline,
        train=train,
        heldout=held,
        value_scale=split.value_scale,
    )
