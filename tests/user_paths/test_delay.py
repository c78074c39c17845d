"""Circuits with ``delay`` go through ``transpile(qc, backend)`` and run, on every kind of preset."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit, transpile

from qiskit_welinq import ClusterBackend


@pytest.mark.parametrize("preset", ["ideal", "demo", "oxford-ions-2025"])
def test_transpile_keeps_delays_and_the_run_matches_the_circuit_without_them(preset):
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    qc.barrier()
    for i in range(3):
        qc.cx(i, i + 1)
    qc.delay(100, 0, unit="ns")
    qc.delay(1, 2, unit="us")
    qc.delay(2e-6, 3, unit="s")
    qc.measure(range(4), range(4))
    backend = ClusterBackend(preset)
    assert backend.target.instruction_supported("delay", (0,))
    tq = transpile(qc, backend, seed_transpiler=1)  # used to raise TranspilerError
    assert tq.count_ops()["delay"] == 3
    counts = backend.run(tq, shots=300, seed_simulator=5).result().get_counts()
    # Delays are ignored by the run: same counts as the circuit without them, same seed.
    plain = qc.copy_empty_like()
    for inst in qc.data:
        if inst.operation.name != "delay":
            plain.append(inst)
    assert counts == backend.run(transpile(plain, backend, seed_transpiler=1), shots=300,
                                 seed_simulator=5).result().get_counts()
    assert sum(counts.get(k, 0) for k in ("0000", "1111")) >= (300 if preset == "ideal" else 200)
