"""Qiskit channels (quantum_info Kraus/SuperOp/Choi/..., Aer QuantumError) appended to circuits:
exactly Aer's density matrix on an ideal cluster, link noise added as usual on a noisy one."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Instruction
from qiskit.quantum_info import PTM, Chi, Choi, Kraus, Stinespring, SuperOp
from qiskit_aer import AerSimulator
from qiskit_aer.noise import (
    amplitude_damping_error,
    depolarizing_error,
    pauli_error,
    phase_damping_error,
    thermal_relaxation_error,
)
from scipy.stats import chisquare

from qiskit_welinq import ClusterBackend
from qiskit_welinq.channels import reverse_qubit_order
from qiskit_welinq.convert import circuit_from_qiskit, circuit_to_qiskit
from welinq_core import QPU, Cluster, Link
from welinq_core.errors import OptionsError, UnsupportedGateError
from welinq_core.pipeline import compile_program
from welinq_core.reference import simulate as reference_simulate

IDEAL = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, topology="line")
NOISY = Cluster.homogeneous(
    num_qpus=2, data_qubits_per_qpu=2, topology="line", link=Link(bell_pair_fidelity=0.9),
    qpu=QPU(name="q", num_data_qubits=2, two_qubit_gate_error=0.01),
)
SPLIT = {0: "qpu0", 1: "qpu1", 2: "qpu0", 3: "qpu1"}


def _two_qubit_kraus() -> Kraus:
    g = 0.35  # |11> decays to |00>
    k0 = np.diag([1, 1, 1, np.sqrt(1 - g)]).astype(complex)
    k1 = np.zeros((4, 4), complex)
    k1[0, 3] = np.sqrt(g)
    return Kraus([k0, k1])


def _not_symmetric_2q() -> Kraus:
    # amplitude damping on the instruction's first qubit only: catches a wrong qubit order
    return Kraus(amplitude_damping_error(0.4)).tensor(Kraus(np.eye(2)))


CHANNELS = {
    "Kraus": lambda: Kraus(amplitude_damping_error(0.3)),
    "SuperOp": lambda: SuperOp(phase_damping_error(0.4)),
    "Choi": lambda: Choi(amplitude_damping_error(0.2, excited_state_population=0.3)),
    "Chi": lambda: Chi(Kraus(amplitude_damping_error(0.25))),
    "PTM": lambda: PTM(Kraus(phase_damping_error(0.6))),
    "Stinespring": lambda: Stinespring(Kraus(amplitude_damping_error(0.5))),
    "aer_thermal_relaxation": lambda: thermal_relaxation_error(50e-6, 70e-6, 20e-6),
    "aer_depolarizing_2q": lambda: depolarizing_error(0.2, 2),
    "kraus_2q": _two_qubit_kraus,
    "kraus_2q_asymmetric": _not_symmetric_2q,
}


def with_channel(channel: object, measure: bool = False) -> QuantumCircuit:
    """Remote gates before and after the channel, which sits on a qubit of a remote gate."""
    qc = QuantumCircuit(4, 4 if measure else 0)
    qc.h(0)
    qc.ry(0.7, 2)
    qc.cx(0, 1)
    qc.cz(0, 3)
    qc.append(channel, [1, 0] if channel.num_qubits == 2 else [0])
    qc.cx(0, 3)
    qc.cz(2, 1)
    qc.ry(0.4, 0)
    qc.rx(0.3, 1)
    if measure:
        qc.measure(range(4), range(4))
    return qc


def aer_density_matrix(qc: QuantumCircuit) -> np.ndarray:
    """Aer's final density matrix of ``qc``, big-endian over qubits 0..n-1 (the IR's order)."""
    qc = qc.copy()
    qc.save_density_matrix()
    rho = AerSimulator(method="density_matrix").run(qc).result().data()["density_matrix"]
    return reverse_qubit_order(np.asarray(rho))


@pytest.mark.parametrize("name", CHANNELS)
@pytest.mark.parametrize("mode", ["effective", "explicit"])
def test_channels_on_an_ideal_cluster_equal_aer_density_matrix(name: str, mode: str) -> None:
    qc = with_channel(CHANNELS[name]())
    ir = circuit_from_qiskit(qc)
    compiled = compile_program(ir, IDEAL, mode=mode, assignment=SPLIT)
    assert compiled.report.remote_gates >= 3
    ours = reference_simulate(compiled.circuit, keep_clbits=0).density_matrix(range(4))
    np.testing.assert_allclose(ours, aer_density_matrix(qc), atol=1e-9)


@pytest.mark.parametrize("name", ["Kraus", "kraus_2q_asymmetric", "aer_thermal_relaxation"])
def test_round_trip_to_aer_keeps_the_channel(name: str) -> None:
    qc = with_channel(CHANNELS[name]())
    back = circuit_to_qiskit(circuit_from_qiskit(qc))
    np.testing.assert_allclose(aer_density_matrix(back), aer_density_matrix(qc), atol=1e-12)


def _chi2_pvalue(counts: dict[str, int], exact: dict[str, float]) -> float:
    shots = sum(counts.values())
    assert set(counts) <= {k for k, p in exact.items() if p > 0}
    keys = [k for k, p in exact.items() if p > 0]
    return chisquare([counts.get(k, 0) for k in keys], [shots * exact[k] for k in keys]).pvalue


@pytest.mark.parametrize("name", ["Kraus", "kraus_2q_asymmetric"])
def test_backend_samples_aer_density_matrix_distribution(name: str) -> None:
    qc = with_channel(CHANNELS[name](), measure=True)
    backend = ClusterBackend(IDEAL, assignment=SPLIT)
    result = backend.run(qc, shots=4000, seed_simulator=3).result()
    exact = _aer_probabilities(qc)
    assert result.results[0].metadata["method"] == "density_matrix"
    assert _chi2_pvalue(result.get_counts(), exact) > 1e-3


def _aer_probabilities(qc: QuantumCircuit) -> dict[str, float]:
    bare = qc.remove_final_measurements(inplace=False)
    bare.save_probabilities_dict()
    probs = AerSimulator(method="density_matrix").run(bare).result().data()["probabilities"]
    return {format(int(k, 16) if isinstance(k, str) else k, f"0{qc.num_clbits}b"): p for k, p in probs.items()}


def test_link_noise_is_added_around_the_channel() -> None:
    mode = "effective"  # the exact reference of the explicit protocol branches too much for a fast test
    qc = with_channel(CHANNELS["Kraus"](), measure=True)
    compiled = compile_program(circuit_from_qiskit(qc), NOISY, mode=mode, assignment=SPLIT)
    exact = reference_simulate(compiled.circuit, keep_clbits=compiled.num_user_clbits).probabilities()
    ideal = _aer_probabilities(qc)
    assert max(abs(exact.get(k, 0) - ideal.get(k, 0)) for k in set(exact) | set(ideal)) > 0.01  # links add noise
    backend = ClusterBackend(NOISY, assignment=SPLIT, mode=mode)
    counts = backend.run(qc, shots=4000, seed_simulator=5).result().get_counts()
    assert _chi2_pvalue(counts, exact) > 1e-3


def test_pauli_errors_stay_pauli_channels_and_clifford() -> None:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.append(pauli_error([("X", 0.1), ("Z", 0.2), ("I", 0.7)]), [0])
    qc.append(depolarizing_error(0.1, 1), [1])
    qc.append(pauli_error([("XZ", 0.25), ("II", 0.75)]), [0, 1])  # Z on qubit 0, X on qubit 1
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    ops = [op for op in circuit_from_qiskit(qc) if op.name == "pauli_channel"]
    assert [op.name for op in ops] == ["pauli_channel"] * 3
    assert dict(ops[0].pauli_terms) == pytest.approx({"X": 0.1, "Z": 0.2, "I": 0.7})
    assert dict(ops[2].pauli_terms) == pytest.approx({"ZX": 0.25, "II": 0.75})
    result = ClusterBackend(IDEAL).run(qc, shots=2000, seed_simulator=1).result()
    assert result.results[0].metadata["method"] in ("stim", "stabilizer")
    assert _chi2_pvalue(result.get_counts(), _aer_probabilities(qc)) > 1e-3


def test_bad_channels_get_clear_errors() -> None:
    not_tp = Instruction("kraus", 1, 0, [np.diag([1.0, 0.5])])
    qc = QuantumCircuit(1)
    qc.append(not_tp, [0])
    with pytest.raises(UnsupportedGateError, match="channel instruction 'kraus' on qubits \\(0,\\).*trace"):
        circuit_from_qiskit(qc)
    wrong_shape = Instruction("kraus", 1, 0, [np.eye(4)])
    qc = QuantumCircuit(1)
    qc.append(wrong_shape, [0])
    with pytest.raises(UnsupportedGateError, match="shapes"):
        circuit_from_qiskit(qc)
    qc = with_channel(CHANNELS["Kraus"](), measure=True)
    with pytest.raises(OptionsError, match="stabilizer.*kraus"):
        ClusterBackend(IDEAL).run(qc, shots=10, method="stabilizer").result()


def test_transpile_for_the_backend_keeps_channels() -> None:
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.append(Kraus(amplitude_damping_error(0.3)), [0])
    qc.append(thermal_relaxation_error(50e-6, 70e-6, 20e-6), [2])
    qc.cx(0, 1)
    qc.ccx(0, 1, 2)
    qc.measure(range(3), range(3))
    backend = ClusterBackend("ideal")
    compiled = transpile(qc, backend, seed_transpiler=1)
    assert {"kraus", "quantum_channel"} <= set(compiled.count_ops())
    counts = backend.run(compiled, shots=3000, seed_simulator=2).result().get_counts()
    assert _chi2_pvalue(counts, _aer_probabilities(qc)) > 1e-3


def test_pauli_channels_build_one_aer_error_per_distinct_channel(monkeypatch) -> None:
    """Shot groups repeat the same channels: each Aer error is built once per process."""
    import qiskit_aer.noise

    from welinq_core.circuit import Circuit, Operation

    built = []
    monkeypatch.setattr(qiskit_aer.noise, "pauli_error", lambda terms: built.append(terms) or pauli_error(terms))

    def channel(p: float) -> Operation:
        return Operation(name="pauli_channel", qubits=(0, 1), pauli_terms=(("II", 1 - p), ("XZ", p)))

    p, q = 0.1234567891, 0.2345678912  # not used by any other test: not cached yet
    first = circuit_to_qiskit(Circuit(num_qubits=2, operations=[channel(p), channel(q), channel(p)]))
    second = circuit_to_qiskit(Circuit(num_qubits=2, operations=[channel(q)]))
    assert sorted(built) == sorted([[("II", 1 - p), ("ZX", p)], [("II", 1 - q), ("ZX", q)]])
    assert len(first.data) == 3 and len(second.data) == 1
