"""The same circuit, cluster and noise give the same distribution through Qiskit and through Cirq."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
from qiskit import QuantumCircuit
from scipy.stats import chi2_contingency

from cirq_welinq import ClusterSimulator
from qiskit_welinq import ClusterBackend
from welinq_core import Cluster, Link, QuantumMemory

N = 6
ASSIGNMENT = {0: "qpu0", 1: "qpu0", 2: "qpu1", 3: "qpu1", 4: "qpu2", 5: "qpu2"}


def _cluster() -> Cluster:
    link = Link(bell_pair_fidelity=0.9, length_km=1.0, memory=QuantumMemory.depolarizing(time_s=1e-3))
    return Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line", link=link)


def _qiskit_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(N, N)
    qc.h(0)
    for i in range(N - 1):
        qc.cx(i, i + 1)
    qc.rz(0.7, 3)
    qc.cz(0, 5)
    qc.h(0)
    qc.measure(range(N), range(N))
    return qc


def _cirq_circuit(qubits) -> cirq.Circuit:
    c = cirq.Circuit(cirq.H(qubits[0]))
    c += [cirq.CNOT(qubits[i], qubits[i + 1]) for i in range(N - 1)]
    c += [cirq.rz(0.7).on(qubits[3]), cirq.CZ(qubits[0], qubits[5]), cirq.H(qubits[0])]
    c += cirq.measure(*qubits, key="m")
    return c


@pytest.mark.parametrize("mode", ["effective", "explicit"])
def test_qiskit_and_cirq_distributions_agree_on_a_noisy_cluster(mode):
    shots = 2000
    cluster = _cluster()
    qiskit_counts = ClusterBackend(cluster, mode=mode, assignment=ASSIGNMENT).run(
        _qiskit_circuit(), shots=shots, seed_simulator=11).result().get_counts()
    qubits = cirq.LineQubit.range(N)
    sim = ClusterSimulator(cluster, seed=12, mode=mode, assignment=[ASSIGNMENT[i] for i in range(N)])
    result = sim.run(_cirq_circuit(qubits), repetitions=shots)
    # Cirq bits are big-endian over the listed qubits; Qiskit keys put qubit 0 rightmost.
    cirq_counts: dict[str, int] = {}
    for row in result.measurements["m"]:
        key = "".join(str(int(b)) for b in row[::-1])
        cirq_counts[key] = cirq_counts.get(key, 0) + 1
    assert sim.last_report.total_bell_pairs >= 2
    keys = sorted(set(qiskit_counts) | set(cirq_counts))
    table = np.array([[qiskit_counts.get(k, 0) for k in keys], [cirq_counts.get(k, 0) for k in keys]])
    assert chi2_contingency(table)[1] > 1e-3
    # and the links really cost something: outcomes outside the ideal support appear in both
    ideal = cirq.Simulator().run(_cirq_circuit(qubits), repetitions=shots).histogram(key="m")
    assert len(keys) > len(ideal)
