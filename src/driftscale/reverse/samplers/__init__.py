r"""Reverse samplers over one Denoiser interface: DDPM, DDIM, reverse SDE, probability-flow ODE.

One file per update rule, registered by name in :data:`SAMPLERS`; :func:`sample` drives any of
them with any :class:`~driftscale.reverse.denoisers.Denoiser`:

========= ================================================================ ====================
``ddpm``  ancestral: the forward posterior :math:`q(u_s \mid u_t, \hat u_0)` Ho et al. 2020
``ddim``  DDIM with ``eta`` (0: deterministic, 1: DDPM)                      Song et al. (DDIM)
``sde``   Euler-Maruyama on the reverse VP-SDE                               Song et al. 2021
``ode``   Heun on the probability-flow ODE (2 denoiser calls a step)         Song et al. 2021
========= ================================================================ ====================

- :mod:`~driftscale.reverse.samplers.base` -- :class:`ReverseRule` and the registry;
- :mod:`~driftscale.reverse.samplers.ddpm`, :mod:`~driftscale.reverse.samplers.ddim`,
  :mod:`~driftscale.reverse.samplers.sde`, :mod:`~driftscale.reverse.samplers.ode` -- the rules;
- :mod:`~driftscale.reverse.samplers.driver` -- :func:`sample`, :class:`SampleResult`,
  :func:`time_grid`.

A new rule is one file with a ``ReverseRule`` subclass that sets ``name``, imported here.
"""

from driftscale.reverse.samplers.base import SAMPLERS, ReverseRule, rule_class

# isort: off
# The import order is the registration order: the order of SAMPLERS and of its error messages.
from driftscale.reverse.samplers.ddpm import DDPMRule
from driftscale.reverse.samplers.ddim import DDIMRule
from driftscale.reverse.samplers.sde import SDERule
from driftscale.reverse.samplers.ode import ODERule

# isort: on
from driftscale.reverse.samplers.driver import SampleResult, sample, time_grid

__all__ = [
    "SAMPLERS",
    "DDIMRule",
    "DDPMRule",
    "ODERule",
    "ReverseRule",
    "SDERule",
    "SampleResult",
    "rule_class",
    "sample",
    "time_grid",
]
