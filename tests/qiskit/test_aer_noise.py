"""aer_noise_model equals Aer's NoiseModel.from_backend, computed per class of equal entries."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from qiskit_welinq import ClusterBackend
from qiskit_welinq.aer_noise import aer_noise_model, aer_simulator, distinct_entries
from welinq_core import Cluster, Link
from welinq_core.cluster import QPU


def _noisy_cluster(**qpu_fields) -> Cluster:
    qpu = QPU(name="q", num_data_qubits=2, native_gates=("sx", "rz", "cx"),
              single_qubit_gate_error=1e-3, two_qubit_gate_error=1e-2, readout_error=2e-2,
              single_qubit_gate_duration_s=1e-6, two_qubit_gate_duration_s=5e-6,
              measurement_duration_s=1e-5, **qpu_fields)
    return Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line", qpu=qpu,
                               link=Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=1e3, length_km=0.01))


@pytest.mark.parametrize("relaxation", [
    dict(t1_s=1e-3, t2_s=5e-4),
    pytest.param(dict(t1_s=None, t2_s=2e-3), marks=pytest.mark.slow),
    pytest.param({}, marks=pytest.mark.slow),
])
def test_equals_aers_own_model(relaxation):
    backend = ClusterBackend(_noisy_cluster(**relaxation))
    reference = NoiseModel.from_backend(backend)
    model = aer_noise_model(backend)
    assert model == reference
    assert not model.is_ideal()
    entries, distinct = distinct_entries(backend)
    assert distinct < entries / 3  # the saving: local pairs share one class, remote pairs one per route kind


def test_heterogeneous_qpus_are_not_merged():
    """QPUs with different T1 must get their own errors (classes key on qubit properties)."""
    a = QPU(name="a", num_data_qubits=2, native_gates=("rz", "sx", "cx"), two_qubit_gate_error=1e-2,
            two_qubit_gate_duration_s=5e-6, single_qubit_gate_duration_s=1e-6, t1_s=1e-3, t2_s=1e-3)
    b = QPU(name="b", num_data_qubits=2, native_gates=("rz", "sx", "cx"), two_qubit_gate_error=1e-2,
            two_qubit_gate_duration_s=5e-6, single_qubit_gate_duration_s=1e-6, t1_s=1e-4, t2_s=1e-4)
    cluster = Cluster(name="hetero", qpus=(a, b), links={("a", "b"): Link(bell_pair_fidelity=0.9)})
    backend = ClusterBackend(cluster)
    assert aer_noise_model(backend) == NoiseModel.from_backend(backend)


def test_aer_simulator_runs_and_uses_the_model():
    backend = ClusterBackend(_noisy_cluster(t1_s=1e-3, t2_s=5e-4))
    sim = aer_simulator(backend)
    assert sim.options.noise_model == aer_noise_model(backend)
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.measure([0, 1], [0, 1])
    counts = sim.run(transpile(qc, sim), shots=2000, seed_simulator=3).result().get_counts()
    assert sum(counts.values()) == 2000
    assert 0 < counts.get("00", 0) < 200  # readout error 2e-2 flips some shots


def test_ideal_cluster_same_simulator_as_aers():
    backend = ClusterBackend("ideal")
    assert aer_simulator(backend).options.noise_model == AerSimulator.from_backend(backend).options.noise_model
