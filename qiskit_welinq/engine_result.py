"""What an engine returns: per-shot samples over the user's classical bits."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["EngineResult"]


@dataclasses.dataclass(frozen=True)
class EngineResult:
    """Per-shot samples over the user's classical bits.

    Attributes:
        memory: One integer per shot (user clbit ``i`` is bit ``i``), or None when
            the circuit measures nothing.
        method: The Aer simulation method used.
        metadata: Aer's experiment metadata.
        reason: Why this method was used.
        estimated_bytes: Memory estimate of the method for this circuit.
    """

    memory: list[int] | None
    method: str
    metadata: dict[str, Any]
    reason: str = ""
    estimated_bytes: int = 0
