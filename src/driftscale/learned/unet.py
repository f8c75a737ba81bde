r"""A small U-Net that learns the reverse process (Sec. 3.2, Peter 2023).

The reverse process of Section 3.2 of [1]_ needs the posterior mean :math:`E[u_0 \mid u_i = x]`;
for a finite data set its exact value (:class:`~driftscale.reverse.denoisers.ExactDenoiser`)
only regenerates the training images (arXiv:2501.17054 [2]_). Here a network learns it instead:

:class:`UNet`: sinusoidal embedding of the step ``i``, residual blocks with group norm and SiLU,
``len(channel_mults) - 1`` down-samplings by 2, optional self-attention at the lowest resolution;
input and output ``(B, C, H, W)``. Any ``H, W`` divisible by ``2 ** (len(channel_mults) - 1)``
works (8x8 digits, 16x16, 32x32, grey or colour). It predicts the noise :math:`\epsilon`
(default, Ho et al. 2020 [3]_) or :math:`u_0`; its architecture is a torch-free
:class:`~driftscale.learned.config.UNetConfig`, and
:class:`~driftscale.learned.denoiser.NetworkDenoiser` wraps it as a Denoiser.

Images follow driftscale's layout ``(B, H, W)`` or ``(B, H, W, C)``;
:func:`to_channels_first` and :func:`to_channels_last` move the channel axis for the network and
back.

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] "Generative diffusion models from a PDE perspective", arXiv:2501.17054 (2025).
.. [3] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from driftscale.learned.config import PREDICTIONS, NetworkShapeError, UNetConfig

__all__ = [
    "PREDICTIONS",
    "NetworkShapeError",
    "ResBlock",
    "SelfAttention",
    "UNet",
    "UNetConfig",
    "timestep_embedding",
    "to_channels_first",
    "to_channels_last",
]


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
