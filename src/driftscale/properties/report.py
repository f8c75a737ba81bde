"""Result types of the property engine: PropertyResult, LyapunovSequence, PropertyReport.

The JSON form (:meth:`PropertyReport.to_dict`) is the schema of ``driftscale properties --json``:
``process``, ``data``, ``properties`` (a list of ``id``, ``holds``, ``claim``, ``evidence``,
``method``), ``lyapunov`` (for each sequence ``steps``, ``values``, ``stderr``) and ``settings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from driftscale._io import to_jsonable

__all__ = ["PROPERTY_IDS", "LyapunovSequence", "PropertyReport", "PropertyResult"]

# The ids of DESIGN.md, in report order.
PROPERTY_IDS: tuple[str, ...] = (
    "initial_state",
    "semigroup",
    "differential_entropy_increasing",
    "conditional_entropy_increasing",
    "relative_entropy_decreasing",
    "permutation_invariance",
    "steady_state",
    "mass_conservation",
    "positivity",
    "relative_entropy_increasing",
)


@dataclass(frozen=True)
class PropertyResult:
    """One measured scale-space property.

    ``holds`` is True, False, or None where the property does not apply to the process;
    ``claim`` cites the paper, ``evidence`` holds the numbers, ``method`` says how they were
    measured.
    """

    id: str
    claim: str
    holds: bool | None
    evidence: dict[str, Any]
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (NaN as null, infinities as strings)."""
        return {
            "id": self.id,
            "holds": self.holds,
            "claim": self.claim,
            "evidence": to_jsonable(self.evidence),
            "method": self.method,
        }


@dataclass(frozen=True)
class LyapunovSequence:
    """A measured Lyapunov sequence: ``values[k] +- stderr[k]`` at ``steps[k]``.

    ``expected`` is the direction the paper claims (``"increasing"`` or ``"decreasing"``),
    ``limit`` the value it tends to where known (e.g. :math:`\\tfrac n2\\ln 2\\pi e`).
    """

    id: str
    claim: str
    steps: tuple[float, ...]
    values: tuple[float, ...]
    stderr: tuple[float, ...]
    expected: str
    limit: float | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "values", "stderr"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        if self.limit is not None:
            object.__setattr__(self, "limit", float(self.limit))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "claim": self.claim,
            "expected": self.expected,
            "steps": to_jsonable(list(self.steps)),
            "values": to_jsonable(list(self.values)),
            "stderr": to_jsonable(list(self.stderr)),
            "limit": to_jsonable(self.limit),
        }


@dataclass(frozen=True)
class PropertyReport:
    """All properties measured for one process on one data set (``check_properties``)."""

    process: str
    data: str
    properties: tuple[PropertyResult, ...]
    lyapunov: tuple[LyapunovSequence, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, property_id: str) -> PropertyResult:
        for result in self.properties:
            if result.id == property_id:
                return result
        known = ", ".join(r.id for r in self.properties)
        raise KeyError(f"no property {property_id!r} in this report; known: {known}")

    def sequence(self, sequence_id: str) -> LyapunovSequence:
        """The Lyapunov sequence ``sequence_id``."""
        for seq in self.lyapunov:
            if seq.id == sequence_id:
                return seq
        known = ", ".join(s.id for s in self.lyapunov)
        raise KeyError(f"no Lyapunov sequence {sequence_id!r}; known: {known}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON schema of ``driftscale properties --json`` (see the module docstring)."""
        return {
            "process": self.process,
            "data": self.data,
            "properties": [r.to_dict() for r in self.properties],
            "lyapunov": {s.id: s.to_dict() for s in self.lyapunov},
            "settings": to_jsonable(self.settings),
        }


def not_applicable(property_id: str, claim: str, reason: str) -> PropertyResult:
    """A result with ``holds=None`` for a property that does not apply to a process."""
    return PropertyResult(property_id, claim, None, {}, f"not applicable: {reason}")
