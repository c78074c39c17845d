"""The Aer engine: sample a compiled program and keep only the user's classical bits.

Aer runs dynamic circuits (mid-circuit measurement and ``if_test`` feed-forward)
fastest with shot branching, which is switched on for them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from qiskit_aer import AerSimulator

from welinq_core.pipeline import CompiledProgram
from qiskit_welinq.convert import circuit_to_qiskit

__all__ = ["EngineResult", "run_on_aer"]


@dataclasses.dataclass(frozen=True)
class EngineResult:
    """Per-shot samples over the user's classical bits.

    Attributes:
        memory: One integer per shot (user clbit ``i`` is bit ``i``).
        method: The Aer simulation method used.
        metadata: Aer's experiment metadata.
    """

    memory: list[int]
    method: str
    metadata: dict[str, Any]


def run_on_aer(
    compiled: CompiledProgram, *, shots: int, seed: int | None, method: str = "automatic"
) -> EngineResult:
    """Simulate ``compiled`` on Aer for ``shots`` shots.

    Args:
        compiled: The compiled program.
        shots: Number of shots.
        seed: Aer's ``seed_simulator`` (None: Aer draws one).
        method: Aer simulation method.
    """
    qc = circuit_to_qiskit(compiled.circuit, user_clbits=compiled.num_user_clbits)
    if compiled.circuit.num_clbits == 0:
        return EngineResult(memory=[0] * shots, method="none", metadata={})
    dynamic = compiled.circuit.has_mid_circuit_measurement() or any(
        op.name == "pauli_channel" for op in compiled.circuit.operations
    )
    sim = AerSimulator(method=method, shot_branching_enable=dynamic)
    result = sim.run(qc, shots=shots, seed_simulator=seed, memory=True).result()
    exp = result.results[0]
    mask = (1 << compiled.num_user_clbits) - 1
    memory = [int(h, 16) & mask for h in exp.data.memory]
    meta = dict(exp.metadata) if exp.metadata else {}
    return EngineResult(memory=memory, method=str(meta.get("method", method)), metadata=meta)
