"""Result types shared by the distributions and the entropy estimators."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["LOG_2PI_E", "EntropyEstimate"]

LOG_2PI_E = math.log(2.0 * math.pi * math.e)


@dataclass(frozen=True)
class EntropyEstimate:
    """An estimated entropy (or relative entropy) in nats with its standard error.

    ``stderr`` is the standard error of the Monte-Carlo mean (``std / sqrt(num_samples)``);
    ``method`` says how the number was computed.
    """

    value: float
    stderr: float
    num_samples: int
    method: str
