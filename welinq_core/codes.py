"""Error-correction awareness: QPUs described in logical qubits of a code.

A QPU whose ``encoding`` is set counts its ``num_data_qubits`` in *logical* qubits.
A remote logical two-qubit gate between two blocks of a CSS code such as the
surface code is done transversally, one remote physical CNOT per pair of
corresponding data qubits, each consuming one physical Bell pair (cat-entangler);
lattice surgery across a module boundary has the same order, d Bell pairs per
stabiliser round for d rounds (Ramette et al., npj Quantum Inf. 10, 58 (2024)).
So one logical Bell pair of the plan costs ``bell_pairs_per_logical_pair``
physical pairs on each hop.

Examples:
    >>> enc = LogicalEncoding.surface_code(distance=5)
    >>> enc.physical_qubits_per_logical, enc.bell_pairs_per_logical_pair
    (49, 25)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from welinq_core.errors import ClusterSpecError

__all__ = ["LogicalEncoding"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogicalEncoding:
    """How a QPU encodes each logical qubit.

    Attributes:
        code: A label (``"surface"``, ``"repetition"`` or any name for a custom code).
        distance: Code distance d (>= 1).
        physical_qubits_per_logical: Physical qubits per logical qubit (data and ancillas).
        bell_pairs_per_logical_pair: Physical Bell pairs one remote logical gate consumes per hop.
    """

    code: str
    distance: int
    physical_qubits_per_logical: int
    bell_pairs_per_logical_pair: int

    def __post_init__(self) -> None:
        for name in ("distance", "physical_qubits_per_logical", "bell_pairs_per_logical_pair"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ClusterSpecError(f"LogicalEncoding: {name}={v!r} must be an integer >= 1")

    @classmethod
    def surface_code(cls, *, distance: int) -> LogicalEncoding:
        """Rotated surface code: d^2 data + d^2 - 1 ancilla qubits; a transversal remote
        CNOT uses d^2 physical Bell pairs."""
        if not isinstance(distance, int) or distance < 1:
            raise ClusterSpecError(f"surface code distance={distance!r} must be an integer >= 1")
        return cls(code="surface", distance=distance, physical_qubits_per_logical=2 * distance**2 - 1,
                   bell_pairs_per_logical_pair=distance**2)

    @classmethod
    def repetition_code(cls, *, distance: int) -> LogicalEncoding:
        """Repetition code: d data + d - 1 ancilla qubits; d physical Bell pairs per remote gate."""
        if not isinstance(distance, int) or distance < 1:
            raise ClusterSpecError(f"repetition code distance={distance!r} must be an integer >= 1")
        return cls(code="repetition", distance=distance, physical_qubits_per_logical=2 * distance - 1,
                   bell_pairs_per_logical_pair=distance)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> LogicalEncoding:
        """Inverse of :meth:`to_json_dict`."""
        try:
            return cls(**d)
        except TypeError as err:
            raise ClusterSpecError(f"malformed encoding {dict(d)!r}: {err}") from err
