"""ClusterBackend behaves like a native Qiskit backend and matches Aer on the monolithic circuit."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit import Parameter
from qiskit.synthesis.qft import synth_qft_full
from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_aer import AerSimulator
from scipy.stats import chi2_contingency

from qiskit_welinq import ClusterBackend, circuit_from_qiskit
from welinq_core import (
    Cluster,
    ClusterSpecError,
    InsufficientQubitsError,
    OptionsError,
    UnboundParameterError,
    UnsupportedGateError,
)
from welinq_core.reference import simulate


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(range(n), range(n))
    return qc


def random_circuit(n: int, depth: int, seed: int) -> QuantumCircuit:
    from qiskit.circuit.random import random_circuit as rc

    qc = rc(n, depth, max_operands=2, measure=True, seed=seed)
    return qc


@pytest.fixture(scope="module")
def line_backend():
    return ClusterBackend(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=3, topology="line"))


def test_ghz_counts_only_all_zeros_and_all_ones(line_backend):
    result = line_backend.run(ghz(9), shots=500, seed_simulator=3).result()
    counts = result.get_counts()
    assert set(counts) == {"0" * 9, "1" * 9}
    meta = result.results[0].metadata["welinq"]
    assert meta["total_bell_pairs"] == sum(meta["bell_pairs_per_link"].values()) >= 2


@pytest.mark.parametrize("seed", range(4))
def test_counts_match_aer_on_the_monolithic_circuit(line_backend, seed):
    qc = random_circuit(7, 6, seed)
    shots = 3000
    ours = line_backend.run(qc, shots=shots, seed_simulator=seed).result().get_counts()
    aer = AerSimulator().run(transpile(qc, AerSimulator()), shots=shots, seed_simulator=seed + 100).result().get_counts()
    keys = sorted(set(ours) | set(aer))
    table = np.array([[ours.get(k, 0) for k in keys], [aer.get(k, 0) for k in keys]])
    if len(keys) > 1:
        p = chi2_contingency(table + 1e-9)[1]
        assert p > 1e-3, (p, ours, aer)


@pytest.mark.parametrize("seed", range(3))
def test_exact_distribution_of_the_lowered_program_equals_the_statevector(seed):
    qc = random_circuit(6, 5, seed)
    qc.remove_final_measurements()
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="ring"))
    isa = transpile(qc, basis_gates=["u", "cx", "cz", "cp", "rzz", "crz", "swap"], optimization_level=0)
    from welinq_core.pipeline import compile_program

    compiled = compile_program(circuit_from_qiskit(isa), backend.cluster, mode="explicit", seed=0)
    rho = simulate(compiled.circuit, keep_clbits=0).density_matrix(range(6))
    # Qiskit's statevector is little-endian; the reference is big-endian over qubits 0..n-1.
    sv = Statevector(isa).reverse_qargs().data
    np.testing.assert_allclose(rho, np.outer(sv, sv.conj()), atol=1e-9)


def test_same_seed_same_counts_and_partition(line_backend):
    qc = random_circuit(8, 6, 11)
    a = line_backend.run(qc, shots=300, seed_simulator=5).result()
    b = line_backend.run(qc, shots=300, seed_simulator=5).result()
    assert a.get_counts() == b.get_counts()
    assert a.results[0].metadata["welinq"]["assignment"] == b.results[0].metadata["welinq"]["assignment"]


def test_memory_and_register_separated_counts():
    qr = QuantumRegister(4)
    a, b = ClassicalRegister(2, "a"), ClassicalRegister(2, "b")
    qc = QuantumCircuit(qr, a, b)
    qc.x(0)
    qc.cx(0, 3)
    qc.measure([0, 1], a)
    qc.measure([2, 3], b)
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    result = backend.run(qc, shots=20, memory=True, seed_simulator=1).result()
    assert result.get_counts() == {"10 01": 20}
    assert result.get_memory() == ["10 01"] * 20
    header = result.results[0].header
    assert header["creg_sizes"] == [["a", 2], ["b", 2]] and header["memory_slots"] == 4


def test_communication_qubit_measurements_never_leak():
    qc = ghz(4)
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=1, topology="line"))
    result = backend.run(qc, shots=100, memory=True, seed_simulator=2, mode="explicit").result()
    assert result.results[0].metadata["simulated_qubits"] > 4
    assert all(len(m) == 4 for m in result.get_memory())


def test_mid_circuit_measurement_and_feed_forward_across_qpus():
    # teleport |1> from qubit 0 to qubit 2, with qubits on different QPUs
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
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line"))
    counts = backend.run(qc, shots=400, seed_simulator=4).result().get_counts()
    assert all(k[0] == "1" for k in counts) and len(counts) == 4


def test_sampler_primitive_works_unchanged(line_backend):
    theta = Parameter("t")
    qc = QuantumCircuit(4)
    qc.ry(theta, 0)
    for i in range(3):
        qc.cx(i, i + 1)
    qc.measure_all()
    sampler = BackendSamplerV2(backend=line_backend)
    result = sampler.run([(qc, [[0.0], [np.pi]])], shots=200).result()
    counts = result[0].data.meas.get_counts(0), result[0].data.meas.get_counts(1)
    assert counts[0] == {"0000": 200} and counts[1] == {"1111": 200}


def test_estimator_primitive_works_unchanged(line_backend):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    isa = transpile(qc, line_backend, optimization_level=1)
    obs = [SparsePauliOp(p).apply_layout(isa.layout) for p in ("ZZ", "XX", "ZI")]
    estimator = BackendEstimatorV2(backend=line_backend, options={"default_precision": 0.02})
    evs = estimator.run([(isa, obs)]).result()[0].data.evs
    np.testing.assert_allclose(evs, [1.0, 1.0, 0.0], atol=0.08)


def test_qft_runs_and_matches_statevector_probabilities():
    qc = synth_qft_full(6, do_swaps=False)
    qc.x(0)
    qc.measure_all()
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2))
    result = backend.run(qc, shots=4000, seed_simulator=9).result()
    assert result.results[0].metadata["welinq"]["total_bell_pairs"] > 0
    probs = Statevector(qc.remove_final_measurements(inplace=False)).probabilities_dict()
    counts = result.get_counts()
    tvd = 0.5 * sum(abs(counts.get(k, 0) / 4000 - probs.get(k, 0)) for k in set(counts) | set(probs))
    assert tvd < 0.06


def test_circuit_wider_than_cluster():
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    qc = QuantumCircuit(5)
    qc.h(range(5))
    qc.cx(0, 4)
    qc.measure_all()
    with pytest.raises(InsufficientQubitsError, match="needs 5 data qubits but cluster .* has 4"):
        backend.run(qc)


def test_unbound_parameter_is_a_clear_error(line_backend):
    qc = QuantumCircuit(1)
    qc.rx(Parameter("alpha"), 0)
    qc.measure_all()
    with pytest.raises(UnboundParameterError, match=r"unbound parameter\(s\) \['alpha'\]"):
        line_backend.run(qc)


def test_undefinable_gate_is_a_clear_error(line_backend):
    from qiskit.circuit import Gate

    qc = QuantumCircuit(2)
    qc.append(Gate("mystery", 2, []), [0, 1])
    with pytest.raises(UnsupportedGateError, match=r"\['mystery'\]"):
        line_backend.run(qc)


def test_non_basis_gates_are_transpiled_automatically(line_backend):
    qc = QuantumCircuit(3, 3)
    qc.x([0, 1])
    qc.ccx(0, 1, 2)
    qc.measure(range(3), range(3))
    assert line_backend.run(qc, shots=50, seed_simulator=1).result().get_counts() == {"111": 50}


def test_unknown_option_is_an_error(line_backend):
    with pytest.raises(OptionsError, match=r"unknown run option\(s\) \['shotz'\]"):
        line_backend.run(ghz(2), shotz=10)
    with pytest.raises(OptionsError, match=r"shots=0 must be an integer in \[1, 1000000000\]"):
        line_backend.run(ghz(2), shots=0)


def test_backend_accepts_preset_names_and_rejects_garbage():
    assert ClusterBackend("ideal").num_qubits == 16
    with pytest.raises(ClusterSpecError, match="no cluster preset named"):
        ClusterBackend("not-a-preset")


def test_fixed_assignment_option(line_backend):
    qc = ghz(3)
    result = line_backend.run(qc, shots=10, assignment={0: "qpu0", 1: "qpu2", 2: "qpu1"}).result()
    meta = result.results[0].metadata["welinq"]
    assert meta["assignment"][:3] == ["qpu0", "qpu2", "qpu1"]
    # cx(0, 1) is routed qpu0-qpu1-qpu2 (one pair per hop); cx(1, 2) uses the qpu2-qpu1 link.
    assert meta["bell_pairs_per_link"] == {"qpu0-qpu1": 1, "qpu1-qpu2": 2}


def test_protocols_option_moves_qubits_and_keeps_the_distribution():
    qc = QuantumCircuit(4, 4)
    for layer in range(3):
        for a, b in ((0, 2 + layer % 2), (1, 3 - layer % 2)):
            qc.cx(a, b)
            qc.ry(0.4 + layer, a)
            qc.cx(b, a)
            qc.ry(0.9, b)
            qc.cx(a, b)
    qc.measure(range(4), range(4))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3)
    backend = ClusterBackend(cluster)
    fixed = ["qpu0", "qpu0", "qpu1", "qpu1"]  # every block crosses the link
    gate = backend.run(qc, shots=4000, seed_simulator=3, assignment=fixed, protocols=("telegate",)).result()
    tele = backend.run(qc, shots=4000, seed_simulator=3, assignment=fixed, protocols=("telegate", "teledata"),
                       mode="explicit").result()
    pairs = [r.results[0].metadata["welinq"]["total_bell_pairs"] for r in (gate, tele)]
    assert pairs[1] < pairs[0]
    ideal = AerSimulator(seed_simulator=3).run(transpile(qc, AerSimulator()), shots=4000).result().get_counts()
    for counts in (gate.get_counts(), tele.get_counts()):
        keys = sorted(set(ideal) | set(counts))
        table = [[ideal.get(k, 0) + 1 for k in keys], [counts.get(k, 0) + 1 for k in keys]]
        assert chi2_contingency(table)[1] > 1e-3
    with pytest.raises(OptionsError, match="teledata"):
        backend.run(qc, protocols=("teleport",))


def test_compile_once_sample_many():
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    qc = ghz(4)
    first = backend.run(qc, shots=100, seed_simulator=1).result()
    second = backend.run(qc.copy(), shots=100, seed_simulator=2).result()
    assert len(backend._compiled) == 1  # the second run re-sampled the cached compilation
    assert first.results[0].metadata["welinq"] == second.results[0].metadata["welinq"]
    backend.run(qc, shots=10, mode="explicit")
    assert len(backend._compiled) == 2


def test_progress_bar_only_for_long_runs_or_when_asked(capsys, monkeypatch):
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    result = backend.run([ghz(3)] * 6, shots=20, seed_simulator=1).result()
    assert len(result.results) == 6
    assert "/6" not in capsys.readouterr().err  # a short job shows no bar
    backend.run([ghz(3)] * 6, shots=20, progress=True)
    assert "/6 [" in capsys.readouterr().err
    monkeypatch.setenv("WELINQ_PROGRESS", "0")
    backend.run([ghz(3)] * 6, shots=20, progress=True)
    assert "/6" not in capsys.readouterr().err


def test_a_small_circuit_transpiled_onto_a_large_cluster_simulates_only_its_own_qubits():
    # transpile(qc, backend) widens a 5-qubit circuit to the cluster's 32 qubits; the idle
    # ones must not be simulated (a 32-qubit state vector, or a silent switch to MPS)
    backend = ClusterBackend("ideal-4-ring")
    qc = random_circuit(5, 5, 11)
    isa = transpile(qc, backend, seed_transpiler=1)
    assert isa.num_qubits == backend.num_qubits == 32
    result = backend.run(isa, shots=3000, seed_simulator=2).result()
    assert result.results[0].metadata["simulated_qubits"] <= 5
    assert result.results[0].metadata["method"] == "statevector"
    counts = result.get_counts()
    aer = AerSimulator().run(transpile(qc, AerSimulator()), shots=3000, seed_simulator=5).result().get_counts()
    keys = sorted(set(counts) | set(aer))
    table = np.array([[counts.get(k, 0) for k in keys], [aer.get(k, 0) for k in keys]])
    assert chi2_contingency(table + 1e-9)[1] > 1e-3


def test_near_identity_gates_cost_no_pairs_by_default_and_the_report_says_so():
    """A controlled phase no device could tell from the identity is dropped (and reported), as
    ``welinq partition`` does; ``identity_tolerance=0`` keeps it and pays its pairs."""
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    qc = QuantumCircuit(4, 4)
    qc.h(range(4))
    qc.cp(np.pi / 2**45, 0, 2)  # 46-qubit QFT's tiniest phase: 2 sin(theta / 8) < 1e-13
    qc.cp(np.pi / 2**45, 1, 3)
    qc.cx(0, 1)
    qc.cx(2, 3)
    qc.measure(range(4), range(4))
    kept = backend.run(qc, shots=10, seed_simulator=1, identity_tolerance=0).result().results[0].metadata["welinq"]
    dropped = backend.run(qc, shots=10, seed_simulator=1).result().results[0].metadata["welinq"]
    assert kept["near_identity"]["dropped"] == 0 and kept["total_bell_pairs"] >= 2
    assert dropped["near_identity"]["dropped"] == 2 and dropped["total_bell_pairs"] == 0
    assert 0 < dropped["near_identity"]["total_distance"] < 1e-12
    with pytest.raises(OptionsError, match="-1"):
        backend.run(qc, shots=10, identity_tolerance=-1)


def test_metadata_reports_the_qubits_actually_simulated():
    """Explicit mode reuses communication qubits whose live ranges do not overlap: the
    metadata and the report inside it both give the reduced count the engine simulated."""
    from qiskit import QuantumCircuit as _QC

    from welinq_core.cluster import QPU, Link as _Link

    qpu = QPU(name="t", num_data_qubits=2, readout_error=2e-2)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, qpu=qpu, topology="line",
                                  link=_Link(bell_pair_fidelity=0.9))
    qc = _QC(3)
    for i in range(3):
        qc.h(i)
        for j in range(i + 1, 3):
            qc.cp(np.pi / 2 ** (j - i), j, i)
    qc.measure_all()
    backend = ClusterBackend(cluster)
    result = backend.run(qc, shots=20, mode="explicit", seed_simulator=1,
                         assignment=["qpu0", "qpu1", "qpu2"]).result()
    meta = result.results[0].metadata
    compiled = backend._compiled[next(reversed(backend._compiled))]
    assert meta["simulated_qubits"] < compiled.circuit.num_qubits  # reuse saved qubits
    assert meta["welinq"]["simulated_qubits"] == meta["simulated_qubits"]
