"""The engine picks the simulation method, reports it, and refuses runs that do not fit."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit

from qiskit_welinq import ClusterBackend
from qiskit_welinq import engine
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.errors import OptionsError, SimulationTooLargeError
from welinq_core.pipeline import compile_program


def _noisy(num_qpus=2, per=3):
    qpu = QPU(name="t", num_data_qubits=per, two_qubit_gate_error=0.01, readout_error=0.01)
    return Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=per, qpu=qpu,
                               link=Link(bell_pair_fidelity=0.95))


def _ghz(n, t_gate=False):
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    if t_gate:
        qc.t(0)
    qc.measure(range(n), range(n))
    return qc


@pytest.mark.parametrize("t_gate,expected", [(False, "stim"), (True, "density_matrix")])
def test_method_is_chosen_and_reported(t_gate, expected):
    res = ClusterBackend(_noisy()).run(_ghz(6, t_gate), shots=400, seed_simulator=1).result()
    meta = res.results[0].metadata
    assert meta["method"] == expected
    assert meta["method_reason"]


def test_few_shots_prefer_state_vectors_to_one_density_matrix():
    c = Circuit(num_qubits=10, operations=[Operation(name="t", qubits=(0,)),
                Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.9), ("Z", 0.1)))])
    assert engine.choose_method(c, shots=10_000)[0] == "density_matrix"
    assert engine.choose_method(c, shots=200)[0] == "statevector"


def test_wide_noisy_non_clifford_uses_statevector_then_mps():
    c = Circuit(num_qubits=20, operations=[Operation(name="t", qubits=(0,)),
                Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.9), ("Z", 0.1)))])
    assert engine.choose_method(c)[0] == "statevector"
    assert engine.choose_method(Circuit(num_qubits=40, operations=c.operations))[0] == "matrix_product_state"


def test_forced_method_is_used():
    res = ClusterBackend(_noisy(), method="statevector").run(_ghz(6), shots=100, seed_simulator=1).result()
    assert res.results[0].metadata["method"] == "statevector"
    assert res.results[0].metadata["method_reason"] == "forced by the method option"


def test_too_large_raises_with_numbers_and_a_suggestion(monkeypatch):
    monkeypatch.setattr(engine, "memory_budget_bytes", lambda: 1 << 8)  # below 3 qubits as density matrix
    compiled = compile_program(Circuit(num_qubits=6, num_clbits=1, operations=[
        Operation(name="t", qubits=(0,)), Operation(name="cx", qubits=(0, 5)),
        Operation(name="measure", qubits=(0,), clbits=(0,))]), _noisy(), mode="explicit",
        assignment=("qpu0", "qpu0", "qpu0", "qpu1", "qpu1", "qpu1"))
    assert compiled.circuit.num_qubits > 6
    with pytest.raises(SimulationTooLargeError, match="mode='effective'") as err:
        engine.run_on_aer(compiled, shots=10, seed=1, method="density_matrix")
    assert err.value.required_bytes > err.value.available_bytes
    with pytest.raises(OptionsError, match="unknown"):
        engine.run_on_aer(compiled, shots=10, seed=1, method="gpu_magic")
