r"""Beta schedules of the forward Markov chain and their derived sequences, Eq. (3)-(5) and (10).

A schedule is a frozen dataclass: ``beta[i]`` is :math:`\beta_i` for the steps ``i = 1..T``
(``beta[0] = 0`` stands for the data), ``alpha_bar[i] = prod_{j<=i} (1 - beta_j)`` with
``alpha_bar[0] = 1`` (Eq. 5). Schedules are registered by name and parsed from strings::

    Schedule.from_string("constant:0.02")          # the paper's Fig. 1
    Schedule.from_string("linear:1e-4,0.02", T=1000)  # DDPM (Ho et al. 2020)
    Schedule.from_string("cosine")                 # Nichol & Dhariwal (2021)

The equation numbers are those of Peter 2023 [1]_; the linear schedule is DDPM's [2]_, the
cosine one Nichol and Dhariwal's [3]_.

References
----------
.. [1] P. Peter, "Generalised Scale-Space Properties for Probabilistic Diffusion Models",
       SSVM 2023, LNCS 14009, pp. 601-613.
.. [2] J. Ho, A. Jain, P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020.
.. [3] A. Nichol, P. Dhariwal, "Improved denoising diffusion probabilistic models", ICML 2021.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from driftscale._validation import check_array, check_open_unit_interval, check_positive_int
from driftscale.typing import FloatArray

__all__ = [
    "ArraySchedule",
    "ConstantSchedule",
    "CosineSchedule",
    "LinearSchedule",
    "Schedule",
    "ScheduleError",
    "SigmoidSchedule",
    "admissibility_bounds",
    "entropy_admissibility",
]

LOG_2PI_E = math.log(2.0 * math.pi * math.e)


def _parse_numbers(rest: str, spec: str) -> list[float]:
    """The finite numbers after ``name:`` of a schedule string."""
    try:
        values = [float(v) for v in rest.split(",")] if rest.strip() else []
    except ValueError:
        values = [math.nan]
    if not values or not all(math.isfinite(v) for v in values):
        raise ScheduleError(
            f"`schedule` parameters must be numbers separated by commas (finite), got {rest!r} "
            f"in {spec!r}"
        )
    return values


class ScheduleError(ValueError):
    """An unknown or malformed schedule specification."""


@dataclass(frozen=True, kw_only=True)
class Schedule:
    r"""Base class of the beta schedules; subclasses register themselves under ``name``.

    Parameters
    ----------
    T : int
        Number of steps of the chain (steps are ``0..T``; step 0 is the data).
    """

    T: int = 1000

    name: ClassVar[str] = ""
    _params: ClassVar[tuple[str, ...]] = ()
    _required: ClassVar[int] = 0  # parameters needed after "name:" (the rest have defaults)
    _registry: ClassVar[dict[str, type[Schedule]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            Schedule._registry[cls.name] = cls

    def __post_init__(self) -> None:
        check_positive_int(self.T, name="T")
        check_open_unit_interval(self._betas(), name="beta")

    # -- to be provided by subclasses -------------------------------------------------------
    def _betas(self) -> FloatArray:
        """Return beta_1..beta_T as an array of length T."""
        raise TypeError("Schedule is abstract; use a registered subclass or Schedule.from_string")

    # -- derived sequences -------------------------------------------------------------------
    @cached_property
    def beta(self) -> FloatArray:
        r"""Array of length ``T + 1``: ``beta[0] = 0`` (the data), ``beta[i]`` = :math:`\beta_i`."""
        out = np.concatenate([[0.0], self._betas()])
        out.setflags(write=False)
        return out

    @cached_property
    def log_alpha_bar(self) -> FloatArray:
        r""":math:`\ln \bar\alpha_i = \sum_{j \le i} \ln(1 - \beta_j)`, accurate where
        :math:`\bar\alpha_i` underflows."""
        out = np.cumsum(np.log1p(-self.beta))
        out.setflags(write=False)
        return out

    @cached_property
    def alpha_bar(self) -> FloatArray:
        r""":math:`\bar\alpha_i = \prod_{j=0}^{i} (1 - \beta_j)`, Eq. (5); ``alpha_bar[0] = 1``."""
        out = np.exp(self.log_alpha_bar)
        out.setflags(write=False)
        return out

    def jump_coefficients(self, i: int, j: int) -> tuple[float, float]:
        r"""Mean factor and variance of the exact jump :math:`p(u_j \mid u_i)`, ``i <= j``.

        By the semigroup property (Property 2) and Eq. (5),
        :math:`p(u_j \mid u_i) = \mathcal N(\sqrt{\bar\alpha_j/\bar\alpha_i}\,u_i,
        (1 - \bar\alpha_j/\bar\alpha_i) I)`.
        """
        log_ratio = float(self.log_alpha_bar[j] - self.log_alpha_bar[i])
        return math.exp(0.5 * log_ratio), -math.expm1(log_ratio)

    # -- continuous time ---------------------------------------------------------------------
    def time(self, i: Any) -> FloatArray:
        """Continuous time ``t = i / T`` in [0, 1] of step ``i`` (the VP-SDE's clock)."""
        return np.asarray(i, dtype=np.float64) / self.T

    def integrated_beta(self, t: Any) -> FloatArray:
        r""":math:`B(t) = \int_0^t \beta(s)\,ds = -\ln \bar\alpha(t)`, piecewise linear in ``t``.

        Chosen so that the continuous-time marginal of the VP-SDE matches Eq. (5) exactly at every
        step: ``exp(-integrated_beta(i / T)) == alpha_bar[i]``.
        """
        t = np.asarray(t, dtype=np.float64)
        grid = np.arange(self.T + 1) / self.T
        return np.interp(t, grid, -self.log_alpha_bar)

    def beta_continuous(self, t: Any) -> FloatArray:
        r"""Rate :math:`\beta(t)` of the VP-SDE :math:`du = -\tfrac12\beta(t)u\,dt +
        \sqrt{\beta(t)}\,dW`: on step ``i``'s interval it is ``-T ln(1 - beta_i)``."""
        t = np.asarray(t, dtype=np.float64)
        idx = np.clip(np.ceil(t * self.T).astype(np.int64), 1, self.T)
        return -self.T * np.log1p(-self.beta[idx])

    # -- Eq. (10) ----------------------------------------------------------------------------
    def entropy_admissible(self, n: int) -> np.ndarray:
        """Whether each beta_1..beta_T satisfies the paper's condition Eq. (10) for ``n`` pixels.

        See :func:`entropy_admissibility` for the log-space evaluation.
        """
        return entropy_admissibility(self._betas(), n)

    # -- (de)serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary that :meth:`from_dict` turns back into an equal schedule."""
        out: dict[str, Any] = {"name": self.name, "T": self.T}
        for key in self._params:
            value = getattr(self, key)
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        name = data.pop("name", None)
        klass = cls._lookup(name)
        return klass(**data)

    def to_string(self) -> str:
        """A string that :meth:`from_string` (with ``T=self.T``) parses back into this schedule."""
        values = [getattr(self, key) for key in self._params]
        flat: list[float] = []
        for v in values:
            flat.extend(v if isinstance(v, tuple) else [v])
        return self.name + (":" + ",".join(repr(float(v)) for v in flat) if flat else "")

    @classmethod
    def names(cls) -> list[str]:
        """The registered schedule names."""
        return sorted(cls._registry)

    @classmethod
    def _lookup(cls, name: Any) -> type[Schedule]:
        if name not in cls._registry:
            raise ScheduleError(f"Unknown schedule {name!r}. Known: {', '.join(cls.names())}")
        return cls._registry[name]

    @classmethod
    def from_name(cls, name: str, **params: Any) -> Schedule:
        """Build a registered schedule by name, e.g. ``Schedule.from_name("linear", T=500)``."""
        return cls._lookup(name)(**params)

    @classmethod
    def from_string(cls, spec: str, *, T: int | None = None) -> Schedule:
        """Parse ``"name"`` or ``"name:p1,p2,..."``; ``T`` overrides the default length.

        Examples
        --------
        >>> float(Schedule.from_string("linear:1e-4,0.02", T=10).beta[1])
        0.0001
        >>> Schedule.from_string("constant:0.02").T
        1000
        """
        if not isinstance(spec, str) or not spec.strip():
            raise ScheduleError(
                f"`schedule` must be a string such as 'constant:0.02', got {spec!r}. "
                f"Known: {', '.join(cls.names())}"
            )
        name, colon, rest = spec.strip().partition(":")
        klass = cls._lookup(name.strip().lower())
        values = _parse_numbers(rest, spec) if colon else []
        if colon and len(values) < klass._required:
            raise ScheduleError(
                f"`schedule` {klass.name!r} after ':' needs at least {klass._required} "
                "parameter(s) "
                f"({', '.join(klass._params)}), got {len(values)} in {spec!r}; give them all, or "
                f"write {klass.name!r} alone for the defaults"
            )
        kwargs = klass._parse_values(values, spec)
        if T is not None:
            kwargs.setdefault("T", T)
        try:
            return klass(**kwargs)
        except ValueError as exc:
            raise ScheduleError(f"invalid schedule {spec!r}: {exc}") from exc

    @classmethod
    def coerce(cls, schedule: Schedule | str, *, name: str = "schedule") -> Schedule:
        """A :class:`Schedule` from a schedule or a string spec (parsed by :meth:`from_string`).

        The one place where public functions accept ``Schedule | str``; ``name`` is the argument
        named in the error.

        Examples
        --------
        >>> Schedule.coerce("constant:0.02").T
        1000
        """
        if isinstance(schedule, str):
            return cls.from_string(schedule)
        if not isinstance(schedule, Schedule):
            raise TypeError(
                f"`{name}` must be a Schedule or a string such as 'linear:1e-4,0.02', "
                f"got {type(schedule).__name__}"
            )
        return schedule

    @classmethod
    def _parse_values(cls, values: list[float], spec: str) -> dict[str, Any]:
        if len(values) > len(cls._params):
            raise ScheduleError(
                f"schedule {cls.name!r} takes at most {len(cls._params)} parameters "
                f"({', '.join(cls._params) or 'none'}), got {len(values)} in {spec!r}"
            )
        return dict(zip(cls._params, values, strict=False))

    # convenient constructors -------------------------------------------------------------------
    @staticmethod
    def constant(beta: float = 0.02, *, T: int = 1000) -> ConstantSchedule:
        """The paper's Fig. 1 schedule: ``beta_i = beta`` for every step."""
        return ConstantSchedule(beta=beta, T=T)

    @staticmethod
    def linear(beta_start: float = 1e-4, beta_end: float = 0.02, *, T: int = 1000) -> Schedule:
        """DDPM's schedule (Ho et al. 2020): beta linear from ``beta_start`` to ``beta_end``."""
        return LinearSchedule(beta_start=beta_start, beta_end=beta_end, T=T)

    @staticmethod
    def cosine(s: float = 0.008, *, T: int = 1000) -> Schedule:
        """Nichol and Dhariwal's cosine schedule (Nichol and Dhariwal 2021)."""
        return CosineSchedule(s=s, T=T)


@dataclass(frozen=True, kw_only=True)
class ConstantSchedule(Schedule):
    """``beta_i = beta`` for ``i = 1..T`` (the paper's Fig. 1 uses ``beta = 0.02``)."""

    beta_value: float = 0.02
    name: ClassVar[str] = "constant"
    _params: ClassVar[tuple[str, ...]] = ("beta_value",)
    _required: ClassVar[int] = 1

    def __init__(self, *, beta: float = 0.02, T: int = 1000) -> None:
        object.__setattr__(self, "beta_value", float(beta))
        object.__setattr__(self, "T", T)
        self.__post_init__()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "T": self.T, "beta": self.beta_value}

    @classmethod
    def _parse_values(cls, values: list[float], spec: str) -> dict[str, Any]:
        kwargs = super()._parse_values(values, spec)
        if "beta_value" in kwargs:
            kwargs["beta"] = kwargs.pop("beta_value")
        return kwargs

    def _betas(self) -> FloatArray:
        return np.full(self.T, self.beta_value)


@dataclass(frozen=True, kw_only=True)
class LinearSchedule(Schedule):
    """``beta_i`` linear from ``beta_start`` (i = 1) to ``beta_end`` (i = T), as in DDPM."""

    beta_start: float = 1e-4
    beta_end: float = 0.02
    name: ClassVar[str] = "linear"
    _params: ClassVar[tuple[str, ...]] = ("beta_start", "beta_end")
    _required: ClassVar[int] = 2

    def _betas(self) -> FloatArray:
        return np.linspace(self.beta_start, self.beta_end, self.T)


@dataclass(frozen=True, kw_only=True)
class CosineSchedule(Schedule):
    r"""Cosine schedule of Nichol and Dhariwal 2021, in closed form.

    :math:`\bar\alpha(t) = f(t)/f(0)`, :math:`f(t) = \cos^2(\frac{t/T + s}{1 + s} \frac\pi2)`,
    ``beta_i = 1 - alpha_bar(i)/alpha_bar(i-1)`` clipped at ``max_beta``.
    """

    s: float = 0.008
    max_beta: float = 0.999
    name: ClassVar[str] = "cosine"
    _params: ClassVar[tuple[str, ...]] = ("s", "max_beta")
    _required: ClassVar[int] = 1

    def __post_init__(self) -> None:
        # s < 0 makes f(0) = 0 or negative alpha_bar (division by zero, NaN betas)
        if not (math.isfinite(self.s) and 0.0 <= self.s <= 1.0):
            raise ValueError(f"`s` (cosine offset) must lie in [0, 1], got {self.s!r}")
        if not (math.isfinite(self.max_beta) and 0.0 < self.max_beta < 1.0):
            raise ValueError(f"`max_beta` must lie strictly inside (0, 1), got {self.max_beta!r}")
        super().__post_init__()

    def _betas(self) -> FloatArray:
        t = np.arange(self.T + 1) / self.T
        f = np.cos((t + self.s) / (1.0 + self.s) * np.pi / 2.0) ** 2
        alpha_bar = f / f[0]
        return np.minimum(1.0 - alpha_bar[1:] / alpha_bar[:-1], self.max_beta)


@dataclass(frozen=True, kw_only=True)
class SigmoidSchedule(Schedule):
    """``beta_i = beta_start + (beta_end - beta_start) * sigmoid(x_i)``, ``x`` evenly spaced on
    ``[-width, width]`` (the sigmoid schedule of GeoDiff, Xu et al. 2022)."""

    beta_start: float = 1e-4
    beta_end: float = 0.02
    width: float = 6.0
    name: ClassVar[str] = "sigmoid"
    _params: ClassVar[tuple[str, ...]] = ("beta_start", "beta_end", "width")
    _required: ClassVar[int] = 2

    def _betas(self) -> FloatArray:
        x = np.linspace(-self.width, self.width, self.T)
        return self.beta_start + (self.beta_end - self.beta_start) / (1.0 + np.exp(-x))


@dataclass(frozen=True, kw_only=True)
class ArraySchedule(Schedule):
    """Any user sequence ``beta_1..beta_T``; ``T`` is its length."""

    betas: tuple[float, ...] = field(default=())
    name: ClassVar[str] = "array"
    _params: ClassVar[tuple[str, ...]] = ("betas",)
    _required: ClassVar[int] = 1

    def __init__(self, *, betas: Any, T: int | None = None) -> None:
        arr = check_array(betas, name="betas", ndim=1)
        if T is not None and T != arr.size:
            raise ValueError(
                f"`T` must equal len(betas) = {arr.size} for an array schedule, got {T}"
            )
        object.__setattr__(self, "betas", tuple(float(b) for b in arr))
        object.__setattr__(self, "T", int(arr.size))
        self.__post_init__()

    @classmethod
    def _parse_values(cls, values: list[float], spec: str) -> dict[str, Any]:
        if not values:
            raise ScheduleError(
                f"schedule 'array' needs its betas, e.g. 'array:0.1,0.2', got {spec!r}"
            )
        return {"betas": values}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "betas": list(self.betas)}

    def _betas(self) -> FloatArray:
        return np.asarray(self.betas, dtype=np.float64)


def entropy_admissibility(beta: Any, n: int) -> np.ndarray:
    r"""Evaluate the paper's condition Eq. (10) on ``beta`` for ``n`` pixels, in log space.

    Eq. (10) is equivalent to Eq. (15), :math:`\beta(1-\beta) \ge (2\pi e)^{-n}`; we test
    :math:`\ln\beta + \ln(1-\beta) \ge -n \ln(2\pi e)`, which stays finite where
    :math:`(2\pi e)^{-n}` underflows (already for n > 260 pixels in float64).

    Note that the proof of Prop. 1 treats the entropy of a sum of independent variables as a sum
    of entropies (Eq. 12), which is not true in general; whether the differential entropy really
    increases is measured, not assumed, by ``driftscale.properties``.

    Returns
    -------
    ndarray of bool, the shape of ``beta``

    Examples
    --------
    >>> bool(entropy_admissibility(0.02, 64))
    True
    >>> bool(entropy_admissibility(1e-3, 1))   # (2 pi e)^-1 ~ 0.0585 > 1e-3 * (1 - 1e-3)
    False
    """
    beta = check_open_unit_interval(beta, name="beta")
    n = check_positive_int(n, name="n")
    return np.log(beta) + np.log1p(-beta) >= -n * LOG_2PI_E


def admissibility_bounds(n: int) -> dict[str, float]:
    r"""The interval of Eq. (10), ``lower <= beta <= upper``, with ``log_lower`` for large ``n``.

    ``lower = 1/2 - sqrt(1/4 - eps)`` is evaluated as ``eps / (1/2 + sqrt(1/4 - eps))`` with
    ``eps = (2 pi e)^(-n)`` to avoid cancellation; ``log_lower`` stays finite when ``lower``
    underflows to 0.

    Examples
    --------
    >>> b = admissibility_bounds(1)
    >>> round(b["lower"], 6), round(b["upper"], 6)
    (0.06245, 0.93755)
    """
    n = check_positive_int(n, name="n")
    log_eps = -n * LOG_2PI_E
    eps = math.exp(log_eps)
    root = math.sqrt(0.25 - eps)
    log_lower = log_eps - math.log(0.5 + root)
    lower = math.exp(log_lower)
    return {
        "n": n,
        "log_eps": log_eps,
        "lower": lower,
        "upper": 1.0 - lower,
        "log_lower": log_lower,
    }
