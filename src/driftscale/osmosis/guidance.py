r"""Guidance images for osmosis: the positive Gaussian noise of the paper's Fig. 1.

Section 4.2 of Peter 2023 takes "a standard normal noise sample v" as guidance of the canonical
drift :math:`\mathbf d = \nabla v / v`. A standard normal sample is not positive, and osmosis
needs :math:`v > 0` (the drift and the steady state :math:`w = (\mu_f / \mu_v) v` are undefined
otherwise), so the noise is shifted: :math:`v = \text{offset} + g`, :math:`g \sim N(0, I)`. The
offset is an explicit option because it changes the drift
(:math:`\mathbf d \approx \nabla g / (\text{offset} + g)`) and the contrast of the steady state
(standard deviation / mean of ``w`` is about ``1 / offset``), hence the whole strip.

The default ``offset = 6`` keeps ``v`` positive with high probability: a pixel is non-positive
with probability :math:`\Phi(-6) \approx 9.9 \times 10^{-10}`, so for the 135,300 pixels of the grey
cat all are positive except with probability about :math:`1.3 \times 10^{-4}`; smaller offsets give
more contrast but fail often (``offset = 4``: about 4 non-positive pixels expected). A failure is
an error naming the fix, never a clip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftscale._validation import as_rng
from driftscale.typing import FloatArray, RNGLike

__all__ = ["DEFAULT_NOISE_OFFSET", "noise_guidance"]

DEFAULT_NOISE_OFFSET = 6.0


def noise_guidance(
    shape: tuple[int, ...], *, offset: float = DEFAULT_NOISE_OFFSET, rng: RNGLike = None
) -> FloatArray:
    r"""Positive Gaussian noise ``v = offset + g``, ``g ~ N(0, I)``: the guidance of Fig. 1.

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(H, W)`` or ``(H, W, C)``.
    offset : float
        Shift that makes the noise positive (module docstring explains the default 6).
    rng : {numpy.random.Generator, int, None}, optional
        Random generator or seed; the same seed gives the same bytes.

    Returns
    -------
    ndarray of float64, shape ``shape``, strictly positive

    Examples
    --------
    >>> v = noise_guidance((2, 3), rng=0)
    >>> v.shape, bool(v.min() > 0)
    ((2, 3), True)
    """
    shape = _check_shape(shape)
    if isinstance(offset, bool) or not isinstance(offset, int | float | np.integer | np.floating):
        raise TypeError(f"`offset` must be a number, got {offset!r}")
    if not (np.isfinite(offset) and offset > 0):
        raise ValueError(
            f"`offset` must be a positive finite number, got {offset!r}; the default "
            f"{DEFAULT_NOISE_OFFSET:g} keeps Gaussian noise positive with high probability"
        )
    rng = as_rng(rng)
    v = float(offset) + rng.standard_normal(shape)  # v = offset + g, g ~ N(0, I)
    if v.min() <= 0:
        raise ValueError(
            f"`offset` = {offset:g} leaves {int(np.count_nonzero(v <= 0))} non-positive guidance "
            f"pixels (minimum {float(v.min()):.3g}); osmosis needs v > 0: raise `offset` (default "
            f"{DEFAULT_NOISE_OFFSET:g}) or change the seed"
        )
    return v


def _check_shape(shape: Any) -> tuple[int, ...]:
    try:
        dims = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"`shape` must be a tuple (H, W) or (H, W, C), got {shape!r}") from None
    if len(dims) not in (2, 3) or min(dims) < 1 or dims != tuple(shape):
        raise ValueError(f"`shape` must be (H, W) or (H, W, C) with positive sizes, got {shape!r}")
    return dims
