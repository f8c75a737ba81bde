"""The scale-space property engine: measure what Peter 2023 claims.

- :mod:`~driftscale.properties.engine` -- :func:`check_properties` (Properties 1-5, Prop. 1-4,
  Eq. 28), returning a :class:`PropertyReport`.
- :mod:`~driftscale.properties.report` -- :class:`PropertyReport`, :class:`PropertyResult`,
  :class:`LyapunovSequence`.
- :mod:`~driftscale.properties.stochastic` -- the checks for stochastic processes (Monte Carlo).
- :mod:`~driftscale.properties.deterministic` -- the checks for deterministic processes.
"""

from driftscale.properties.engine import check_properties
from driftscale.properties.report import (
    PROPERTY_IDS,
    LyapunovSequence,
    PropertyReport,
    PropertyResult,
)

__all__ = [
    "PROPERTY_IDS",
    "LyapunovSequence",
    "PropertyReport",
    "PropertyResult",
    "check_properties",
]
