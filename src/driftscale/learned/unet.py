r"""A small U-Net that learns the reverse process, wrapped as a Denoiser (Sec. 3.2, Peter 2023).

The reverse process of Section 3.2 of [1]_ needs the posterior mean :math:`E[u_0 \mid u_i = x]`;
for a finite data set its exact value (:class:`~driftscale.reverse.denoisers.ExactDenoiser`)
only regenerates the training images (seed 002, [2]_). Here a network learns it instead:

- :class:`UNet`: sinusoidal embedding of the step ``i``, residual blocks with group norm and SiLU,
  ``len(channel_mults) - 1`` down-samplings by 2, optional self-attention at the lowest
  resolution; input and output ``(B, C, H, W)``. Any ``H, W`` divisible by
  ``2 ** (len(channel_mults) - 1)`` works (8x8 digits, 16x16, 32x32, grey or colour).
- :class:`NetworkDenoiser`: the model as a Denoiser. The network predicts the noise
  :math:`\epsilon` (default, Ho et al. 2020 [3]_) or :math:`u_0`; with the forward marginal
  :math:`u_i = \sqrt{\bar\alpha_i}\,u_0 + \sqrt{1-\bar\alpha_i}\,\epsilon` (Eq. 5 of [1]_),
  :math:`\hat u_0 = (x - \sqrt{1-\bar\alpha_i}\,\hat\epsilon) / \sqrt{\bar\alpha_i}`.
  Every sampler of :mod:`driftscale.reverse.samplers` then works unchanged.

Images follow driftscale's layout ``(B, H, W)`` or ``(B, H, W, C)``; the channel axis is moved
for the network and back.

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] "Generative diffusion models from a PDE perspective", arXiv:2501.17054 (2025).
.. [3] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from driftscale._validation import check_choice, check_positive_int
from driftscale.reverse.denoisers import (
    DenoiserError,
    _check_batch,
    check_steps_for_batch,
)
from driftscale.schedules import Schedule

__all__ = ["PREDICTIONS", "NetworkDenoiser", "NetworkShapeError", "UNet", "UNetConfig"]

PREDICTIONS: tuple[str, ...] = ("epsilon", "u0")


class NetworkShapeError(ValueError):
    """An image size the U-Net cannot take (not divisible by its down-sampling factor)."""


@dataclass(frozen=True, kw_only=True)
class UNetConfig:
    """Architecture of a :class:`UNet`; :meth:`to_dict` / :meth:`from_dict` round-trip it.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` (grey) or ``(H, W, C)`` (colour), driftscale's layout.
    base_channels : int
        Channels at full resolution; level ``k`` has ``base_channels * channel_mults[k]``.
    channel_mults : tuple of int
        One entry per resolution; ``len - 1`` down-samplings by 2.
    num_res_blocks : int
        Residual blocks per resolution (down path; the up path has one more, as in DDPM).
    attention : bool
        Self-attention at the lowest resolution.
    groups : int
        Groups of the group norm (reduced to a divisor of each block's channels).
    prediction : {"epsilon", "u0"}
        What the network outputs.
    """

    image_shape: tuple[int, ...]
    base_channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2)
    num_res_blocks: int = 1
    attention: bool = True
    groups: int = 8
    prediction: str = "epsilon"

    def __post_init__(self) -> None:
        shape = tuple(int(s) for s in self.image_shape)
        if len(shape) not in (2, 3) or min(shape) <= 0:
            raise NetworkShapeError(
                f"`image_shape` must be (H, W) or (H, W, C) with positive sizes, got "
                f"{self.image_shape!r}"
            )
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "channel_mults", tuple(int(m) for m in self.channel_mults))
        check_positive_int(self.base_channels, name="base_channels")
        check_positive_int(self.num_res_blocks, name="num_res_blocks")
        check_positive_int(self.groups, name="groups")
        if not self.channel_mults or min(self.channel_mults) <= 0:
            raise ValueError(
                f"`channel_mults` must be positive integers, one per resolution, got "
                f"{self.channel_mults!r}"
            )
        check_choice(self.prediction, name="prediction", choices=PREDICTIONS)
        f = self.downsampling_factor
        H, W = shape[:2]
        if H % f or W % f:
            raise NetworkShapeError(
                f"`image_shape` {shape} must have H and W divisible by the U-Net's down-sampling "
                f"factor {f} (= 2 ** (len(channel_mults) - 1) with channel_mults="
                f"{self.channel_mults}); resize the images or use fewer levels"
            )

    @property
    def downsampling_factor(self) -> int:
        """``2 ** (len(channel_mults) - 1)``: H and W must be multiples of it."""
        return 2 ** (len(self.channel_mults) - 1)

    @property
    def channels(self) -> int:
        """Image channels (1 for grey images)."""
        return self.image_shape[2] if len(self.image_shape) == 3 else 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (lists for tuples)."""
        out = asdict(self)
        out["image_shape"] = list(self.image_shape)
        out["channel_mults"] = list(self.channel_mults)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UNetConfig:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["image_shape"] = tuple(data["image_shape"])
        data["channel_mults"] = tuple(data.get("channel_mults", (1, 2)))
        return cls(**data)


def timestep_embedding(i: torch.Tensor, dim: int, *, max_period: float = 10_000.0) -> torch.Tensor:
    r"""Sinusoidal embedding of the steps ``i`` (Vaswani et al. 2017, as in DDPM), ``(B, dim)``:
    :math:`[\cos(i\,\omega_k), \sin(i\,\omega_k)]`, :math:`\omega_k = P^{-k/(dim/2)}`."""
    half = dim // 2
    omega = torch.exp(-math.log(max_period) * torch.arange(half, device=i.device) / half)
    angles = i.to(torch.float32)[:, None] * omega[None, :]
    emb = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    if dim % 2:
        emb = torch.nn.functional.pad(emb, (0, 1))
    return emb


def _norm(channels: int, groups: int) -> nn.GroupNorm:
    g = math.gcd(channels, groups)  # a divisor of the channels, at most `groups`
    return nn.GroupNorm(g, channels)


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> 3x3 conv, plus the projected step embedding, twice; residual skip."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = _norm(c_in, groups), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2, self.conv2 = _norm(c_out, groups), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]
        h = self.conv2(nn.functional.silu(self.norm2(h)))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Single-head self-attention over the pixels of one resolution, residual."""

    def __init__(self, channels: int, groups: int) -> None:
        super().__init__()
        self.norm = _norm(channels, groups)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).unbind(1)
        w = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / math.sqrt(C), dim=-1)
        h = torch.einsum("bij,bcj->bci", w, v).reshape(B, C, H, W)
        return x + self.proj(h)


class UNet(nn.Module):
    """The U-Net of :class:`UNetConfig`: ``forward(x, i)`` with ``x`` of shape ``(B, C, H, W)``
    and integer steps ``i`` of shape ``(B,)``; returns ``(B, C, H, W)`` (epsilon or u0)."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        c0, g = config.base_channels, config.groups
        emb_dim = 4 * c0
        self.emb_dim = c0
        self.time_mlp = nn.Sequential(
            nn.Linear(c0, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)
        )
        self.stem = nn.Conv2d(config.channels, c0, 3, padding=1)
        widths = [c0 * m for m in config.channel_mults]
        self.down = nn.ModuleList()
        skips, c = [c0], c0
        for level, w in enumerate(widths):
            for _ in range(config.num_res_blocks):
                self.down.append(ResBlock(c, w, emb_dim, g))
                c = w
                skips.append(c)
            if level < len(widths) - 1:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
        self.mid1 = ResBlock(c, c, emb_dim, g)
        self.attn = SelfAttention(c, g) if config.attention else nn.Identity()
        self.mid2 = ResBlock(c, c, emb_dim, g)
        self.up = nn.ModuleList()
        for level in reversed(range(len(widths))):
            for _ in range(config.num_res_blocks + 1):
                self.up.append(ResBlock(c + skips.pop(), widths[level], emb_dim, g))
                c = widths[level]
            if level > 0:
                self.up.append(nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(c, c, 3, 1, 1)))
        self.out = nn.Sequential(
            _norm(c, g), nn.SiLU(), nn.Conv2d(c, config.channels, 3, padding=1)
        )

    def forward(self, x: torch.Tensor, i: torch.Tensor) -> torch.Tensor:
        emb = self.time_mlp(timestep_embedding(i, self.emb_dim).to(x.dtype))
        h = self.stem(x)
        hs = [h]
        for layer in self.down:
            h = layer(h, emb) if isinstance(layer, ResBlock) else layer(h)
            hs.append(h)
        h = self.mid2(self.attn(self.mid1(h, emb)), emb)
        for layer in self.up:
            if isinstance(layer, ResBlock):
                h = layer(torch.cat([h, hs.pop()], dim=1), emb)
            else:
                h = layer(h)
        return self.out(h)

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def to_channels_first(x: torch.Tensor, image_shape: tuple[int, ...]) -> torch.Tensor:
    """driftscale layout ``(B, H, W[, C])`` -> network layout ``(B, C, H, W)``."""
    return x[:, None] if len(image_shape) == 2 else x.permute(0, 3, 1, 2)


def to_channels_last(x: torch.Tensor, image_shape: tuple[int, ...]) -> torch.Tensor:
    """Network layout ``(B, C, H, W)`` -> driftscale layout ``(B, H, W[, C])``."""
    return x[:, 0] if len(image_shape) == 2 else x.permute(0, 2, 3, 1)


class NetworkDenoiser:
    r"""A trained :class:`UNet` as a Denoiser: :math:`E[u_0 \mid u_i = x]` for every sampler.

    For an epsilon-predicting network, by Eq. (5) of [1]_,
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
        (EMA weights by default); see :func:`~driftscale.learned.training.load_denoiser`."""
        from driftscale.learned.training import load_denoiser

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
