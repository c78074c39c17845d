"""ClusterBackend and ClusterSimulator pick stim for Clifford circuits; stim and Aer/Cirq agree statistically."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import random_clifford
from scipy.stats import chi2_contingency

from cirq_welinq import ClusterSimulator
from qiskit_welinq import ClusterBackend
from welinq_core import QPU, Cluster, Link
from welinq_core.errors import OptionsError, UnsupportedGateError


def _noisy_cluster(num_qpus: int = 2, per: int = 3) -> Cluster:
    qpu = QPU(name="t", num_data_qubits=per, single_qubit_gate_error=0.002, two_qubit_gate_error=0.01,
              readout_error=0.01)
    return Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=per, qpu=qpu, topology="line",
                               link=Link(bell_pair_fidelity=0.9))


def _same_distribution(a: dict, b: dict) -> float:
    keys = sorted(set(a) | set(b))
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])
    return float(chi2_contingency(table).pvalue) if len(keys) > 1 else 1.0


@pytest.mark.parametrize("mode", ["effective", "explicit"])
@pytest.mark.parametrize("seed", [1, 2])
def test_stim_and_aer_agree_on_random_clifford_circuits_with_noisy_links(mode, seed):
    n = 5
    qc = random_clifford(n, seed=seed).to_circuit()
    qc.measure_all()
    cluster = _noisy_cluster(num_qpus=2, per=3)
    runs = {}
    for method in ("automatic", "stabilizer"):
        result = ClusterBackend(cluster, mode=mode, method=method).run(qc, shots=2000, seed_simulator=seed,
                                                                       memory=True).result()
        runs[method] = result
    assert runs["automatic"].results[0].metadata["method"] == "stim"
    assert runs["stabilizer"].results[0].metadata["method"] == "stabilizer"
    assert runs["automatic"].results[0].metadata["welinq"]["total_bell_pairs"] > 0
    assert _same_distribution(runs["automatic"].get_counts(), runs["stabilizer"].get_counts()) > 1e-4
    memory = runs["automatic"].get_memory()
    assert len(memory) == 2000 and all(len(m) == n for m in memory)


def test_feed_forward_runs_on_stim_and_teleports():
    # teleport X|0> = |1> from qubit 0 to qubit 2 with mid-circuit measurements and classical corrections
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.h(1)
    qc.cx(1, 2)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.measure(1, 1)
    with qc.if_test((qc.clbits[1], 1)):
        qc.x(2)
    with qc.if_test((qc.clbits[0], 1)):
        qc.z(2)
    qc.measure(2, 2)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line")
    for mode in ("effective", "explicit"):
        result = ClusterBackend(cluster, mode=mode).run(qc, shots=500, seed_simulator=4).result()
        assert result.results[0].metadata["method"] == "stim"
        counts = result.get_counts()
        assert sum(v for k, v in counts.items() if k[0] == "1") == 500
        assert len(counts) == 4  # the two measured bits are uniformly random


def test_forcing_stim_on_a_non_clifford_circuit_is_refused_with_the_gate_named():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.t(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    with pytest.raises(OptionsError, match="method='stim' cannot simulate.*'t'"):
        ClusterBackend(_noisy_cluster(), method="stim").run(qc, shots=10).result()
    # automatic picks Aer for it
    result = ClusterBackend(_noisy_cluster()).run(qc, shots=100, seed_simulator=1).result()
    assert result.results[0].metadata["method"] != "stim"


def _cirq_ghz(n: int) -> cirq.Circuit:
    q = cirq.LineQubit.range(n)
    return cirq.Circuit(cirq.H(q[0]), [cirq.CNOT(q[i], q[i + 1]) for i in range(n - 1)],
                        cirq.measure(*q, key="m"))


def test_cirq_simulator_picks_stim_and_agrees_with_cirqs_engine():
    circuit = _cirq_ghz(4)
    cluster = _noisy_cluster(num_qpus=2, per=2)
    noise = cirq.depolarize(0.01)
    hist = {}
    for method in ("automatic", "cirq"):
        sim = ClusterSimulator(cluster, seed=3, method=method, noise=noise)
        hist[method] = dict(sim.run(circuit, repetitions=800).histogram(key="m"))
        assert sim.last_report.remote_gates > 0
    assert _same_distribution(hist["automatic"], hist["cirq"]) > 1e-4
    assert hist["automatic"].get(0, 0) + hist["automatic"].get(15, 0) > 400  # GHZ outcomes dominate


def test_cirq_records_keep_repeated_keys_and_inverted_measurements():
    q = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.X(q[0]), cirq.measure(q[0], key="k"), cirq.CNOT(q[0], q[2]),
                           cirq.measure(q[2], key="k", invert_mask=(True,)), cirq.measure(q[1], key="z"))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    for method in ("stim", "cirq"):
        result = ClusterSimulator(cluster, seed=1, method=method).run(circuit, repetitions=5)
        np.testing.assert_array_equal(result.records["k"][:, 0, 0], [1] * 5)
        np.testing.assert_array_equal(result.records["k"][:, 1, 0], [0] * 5)
        np.testing.assert_array_equal(result.records["z"][:, 0, 0], [0] * 5)


def test_cirq_bad_method_and_forced_stim_on_non_clifford():
    with pytest.raises(OptionsError, match="method='gpu'"):
        ClusterSimulator("ideal", method="gpu")
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.T(q[0]), cirq.CNOT(q[0], q[1]), cirq.measure(*q, key="m"))
    with pytest.raises(UnsupportedGateError, match="non-Clifford gate 't'"):
        ClusterSimulator("ideal", method="stim").run(circuit, repetitions=2)


def test_per_shot_schedules_run_on_stim_group_by_group_and_agree_with_aer():
    """Finite-rate links: every shot draws its own schedule (pair ages, idle waits); stim
    samples each group of shots with its own circuit, as Aer's stabilizer method does."""
    from welinq_core.physics import QuantumMemory

    qpu = QPU(name="t", num_data_qubits=2, single_qubit_gate_error=0.002, two_qubit_gate_error=0.01,
              readout_error=0.02, t1_s=2e-3, t2_s=1e-3)
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=2e3, memory=QuantumMemory.depolarizing(time_s=1e-3))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=qpu, topology="line", link=link)
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    for q in range(3):
        qc.cx(q, q + 1)
    qc.measure(range(4), range(4))
    runs = {m: ClusterBackend(cluster, method=m).run(qc, shots=800, seed_simulator=4).result()
            for m in ("automatic", "stim", "stabilizer")}
    meta = runs["automatic"].results[0].metadata
    assert meta["method"] == "stim" and "per_shot_schedule" in meta and meta["shot_groups"] > 1
    assert runs["stabilizer"].results[0].metadata["method"] == "stabilizer"
    assert runs["stim"].get_counts() == runs["automatic"].get_counts()  # same seed, same groups, same counts
    assert _same_distribution(runs["automatic"].get_counts(), runs["stabilizer"].get_counts()) > 1e-4
