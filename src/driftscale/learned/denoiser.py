r"""A trained U-Net as a Denoiser, and loading one from a checkpoint (Sec. 3.2, Peter 2023).

The network of :mod:`driftscale.learned.unet` predicts the noise :math:`\epsilon` (default,
Ho et al. 2020 [3]_) or :math:`u_0`; with the forward marginal
:math:`u_i = \sqrt{\bar\alpha_i}\,u_0 + \sqrt{1-\bar\alpha_i}\,\epsilon` (Eq. 5 of [1]_),
:math:`\hat u_0 = (x - \sqrt{1-\bar\alpha_i}\,\hat\epsilon) / \sqrt{\bar\alpha_i}`.
:class:`NetworkDenoiser` returns that posterior mean :math:`E[u_0 \mid u_i = x]`, so every sampler
of :mod:`driftscale.reverse.samplers` runs it unchanged, beside the exact denoiser of the
training set (arXiv:2501.17054 [2]_).

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] "Generative diffusion models from a PDE perspective", arXiv:2501.17054 (2025).
.. [3] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from driftscale._validation import check_positive_int
from driftscale.learned.checkpoints import CheckpointError, load_checkpoint
from driftscale.learned.config import UNetConfig
from driftscale.learned.distributed import default_device
from driftscale.learned.unet import UNet, to_channels_first, to_channels_last
from driftscale.reverse.denoisers import DenoiserError, _check_batch, check_steps_for_batch
from driftscale.schedules import Schedule

__all__ = ["NetworkDenoiser", "load_denoiser"]


class NetworkDenoiser:
    r"""A trained :class:`UNet` as a Denoiser: :math:`E[u_0 \mid u_i = x]` for every sampler.

    For an epsilon-predicting network, by Eq. (5) of Peter 2023,
    :math:`\hat u_0 = (x - \sqrt{1-\bar\alpha_i}\,\hat\epsilon(x, i)) / \sqrt{\bar\alpha_i}`;
    a u0-predicting network gives :math:`\hat u_0` directly. At ``i = 0`` the result is ``x``
    itself (the exact posterior mean when ``u_0`` is observed).

    Parameters
    ----------
    model : UNet
        The network (its ``config`` gives ``image_shape`` and the prediction target).
    schedule : Schedule or str
        The schedule the network was trained with.
    clip : float, optional
        Clip :math:`\hat u_0` to ``[-clip, clip]`` (DDPM's sampling practice for data scaled to
        ``[-1, 1]``); default ``None``: no clipping.
    batch_size : int, optional
        Evaluate the network on at most this many images at once.

    Notes
    -----
    NumPy input is converted to the model's device and dtype (float32 by default) and the result
    back to float64 NumPy; a torch tensor in gives a tensor of its dtype on its device out.
    The network runs in ``eval`` mode without gradients.

    Examples
    --------
    >>> net = UNet(UNetConfig(image_shape=(8, 8), base_channels=8))
    >>> D = NetworkDenoiser(net, "linear:1e-4,0.02")
    >>> D(np.zeros((3, 8, 8)), 500).dtype, D(np.zeros((3, 8, 8)), 500).shape
    (dtype('float64'), (3, 8, 8))
    """

    def __init__(
        self,
        model: UNet,
        schedule: Schedule | str,
        *,
        clip: float | None = None,
        batch_size: int | None = None,
    ) -> None:
        if not isinstance(model, UNet):
            raise TypeError(
                f"`model` must be a driftscale UNet (see UNetConfig), got {type(model).__name__}"
            )
        self.model = model
        self.schedule = Schedule.coerce(schedule)
        self.image_shape: tuple[int, ...] = model.config.image_shape
        self.prediction = model.config.prediction
        if clip is not None and not (np.isfinite(clip) and clip > 0):
            raise ValueError(f"`clip` must be a positive number or None, got {clip!r}")
        self.clip = None if clip is None else float(clip)
        self.batch_size = (
            None if batch_size is None else check_positive_int(batch_size, name="batch_size")
        )
        self._sqrt_ab = torch.as_tensor(np.exp(0.5 * self.schedule.log_alpha_bar))
        self._sqrt_1mab = torch.as_tensor(np.sqrt(-np.expm1(self.schedule.log_alpha_bar)))

    def __repr__(self) -> str:
        return (
            f"NetworkDenoiser(image_shape={self.image_shape}, prediction={self.prediction!r}, "
            f"parameters={self.model.num_parameters}, T={self.schedule.T}, clip={self.clip})"
        )

    @classmethod
    def from_checkpoint(
        cls, path: Any, *, ema: bool = True, device: str | None = None, clip: float | None = None
    ) -> NetworkDenoiser:
        """Load a run folder or checkpoint file of :func:`~driftscale.learned.training.train`
        (EMA weights by default); see :func:`load_denoiser`."""
        return load_denoiser(path, ema=ema, device=device, clip=clip)

    @property
    def device(self) -> torch.device:
        """Device of the model's parameters."""
        return next(self.model.parameters()).device

    def __call__(self, x: Any, i: Any) -> Any:
        r"""Posterior mean :math:`\hat u_0` for a batch ``x`` of shape ``(B, *image_shape)``."""
        x = _check_batch(x, self.image_shape)
        steps = check_steps_for_batch(i, T=self.schedule.T, batch=x.shape[0])
        param = next(self.model.parameters())
        if isinstance(x, torch.Tensor):
            dtype = x.dtype if x.is_floating_point() else param.dtype
            out = self._predict(x.to(param.device, param.dtype), steps)
            return out.to(x.device, dtype)
        xt = torch.as_tensor(np.ascontiguousarray(x), dtype=param.dtype, device=param.device)
        out = self._predict(xt, steps).detach().cpu().double().numpy()
        if not np.all(np.isfinite(out)):
            raise DenoiserError("the network returned NaN/Inf; is the checkpoint corrupt?")
        return out

    @torch.no_grad()
    def _predict(self, x: torch.Tensor, steps: np.ndarray) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        try:
            size = x.shape[0] if self.batch_size is None else self.batch_size
            parts = []
            for a in range(0, x.shape[0], size):
                xb, sb = x[a : a + size], torch.as_tensor(steps[a : a + size], device=x.device)
                out = to_channels_last(
                    self.model(to_channels_first(xb, self.image_shape), sb), self.image_shape
                )
                shape = (-1,) + (1,) * len(self.image_shape)
                if self.prediction == "epsilon":
                    a_t = self._sqrt_ab[sb.cpu()].to(x.device, x.dtype).reshape(shape)
                    s_t = self._sqrt_1mab[sb.cpu()].to(x.device, x.dtype).reshape(shape)
                    out = (xb - s_t * out) / a_t  # Eq. (5) solved for u0
                if self.clip is not None:
                    out = out.clamp(-self.clip, self.clip)
                out = torch.where((sb == 0).reshape(shape), xb, out)  # i = 0: u0 is observed
                parts.append(out)
            return torch.cat(parts)
        finally:
            self.model.train(was_training)


def load_denoiser(
    path: str | os.PathLike[str],
    *,
    ema: bool = True,
    device: str | torch.device | None = None,
    clip: float | None = None,
) -> NetworkDenoiser:
    """A :class:`NetworkDenoiser` from a run folder or checkpoint file (EMA weights by default).

    Raises :class:`~driftscale.learned.checkpoints.RunNotFoundError` or
    :class:`~driftscale.learned.checkpoints.CheckpointError` (see :func:`load_checkpoint`).
    """
    state = load_checkpoint(path)
    try:
        net_config = UNetConfig.from_dict(state["network"])
        model = UNet(net_config)
        model.load_state_dict(state["ema" if ema else "model"])
        schedule = Schedule.from_dict(state["schedule"])
    except (KeyError, TypeError, RuntimeError, ValueError) as exc:
        raise CheckpointError(
            f"`checkpoint` {str(path)!r} does not hold a consistent U-Net ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160]})"
        ) from None
    dev = torch.device(device) if device is not None else default_device(0)
    dtype = state["model"][next(iter(state["model"]))].dtype
    return NetworkDenoiser(model.to(dev, dtype), schedule, clip=clip)
