"""Seeds: same seed same counts; copies of a circuit in one job and neighbouring seeds are independent."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qiskit_welinq import ClusterBackend


def _uniform4() -> QuantumCircuit:
    qc = QuantumCircuit(4, 4)
    qc.h(range(4))
    qc.cx(0, 3)
    qc.cx(3, 0)  # a remote gate on `demo`: the run goes through the whole pipeline
    qc.measure(range(4), range(4))
    return qc


def _agreement(a: list[str], b: list[str], shift: int = 0) -> float:
    """Fraction of shots i with a[i] == b[i + shift] (1/16 for independent uniform samples)."""
    n = min(len(a), len(b) - shift)
    return float(np.mean([a[i] == b[i + shift] for i in range(n)]))


def test_same_seed_same_counts_and_memory():
    backend = ClusterBackend("demo")
    a = backend.run(_uniform4(), shots=500, seed_simulator=5, memory=True).result()
    b = backend.run(_uniform4(), shots=500, seed_simulator=5, memory=True).result()
    assert a.get_memory() == b.get_memory()


def test_two_copies_of_a_circuit_in_one_job_are_independent():
    result = ClusterBackend("demo").run([_uniform4(), _uniform4()], shots=2000, seed_simulator=11,
                                        memory=True).result()
    m0, m1 = result.get_memory(0), result.get_memory(1)
    assert result.results[0].seed != result.results[1].seed
    # Independent uniform samples agree on 1/16 of the shots (binomial sd ~0.005).
    assert abs(_agreement(m0, m1) - 1 / 16) < 0.03
    assert abs(_agreement(m0, m1, shift=1) - 1 / 16) < 0.03


def test_neighbouring_seeds_give_independent_samples():
    backend = ClusterBackend("demo")
    m11 = backend.run(_uniform4(), shots=2000, seed_simulator=11, memory=True).result().get_memory()
    m12 = backend.run(_uniform4(), shots=2000, seed_simulator=12, memory=True).result().get_memory()
    for shift in (0, 1):
        assert abs(_agreement(m12, m11, shift) - 1 / 16) < 0.03
    count_sets = {
        tuple(sorted(backend.run(_uniform4(), shots=200, seed_simulator=s).result().get_counts().items()))
        for s in range(8)
    }
    assert len(count_sets) == 8
