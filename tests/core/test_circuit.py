"""Circuit IR validation and serialisation."""

from __future__ import annotations

import pytest

from welinq_core import Circuit, CircuitError, Condition, Operation, UnboundParameterError, UnsupportedGateError


def test_unknown_gate_is_rejected_with_the_supported_list():
    with pytest.raises(UnsupportedGateError, match="gate 'ccx' is not supported; decompose it into .*cx"):
        Operation(name="ccx", qubits=(0, 1, 2))


def test_qubit_out_of_range_names_the_operation():
    with pytest.raises(CircuitError, match=r"operation 0 \(h\) uses qubit 3, but the circuit has 2 qubits"):
        Circuit(num_qubits=2, operations=[Operation(name="h", qubits=(3,))])


def test_unbound_parameter_is_rejected():
    class Symbol:
        pass

    with pytest.raises(UnboundParameterError, match="bind every parameter"):
        Operation(name="rz", qubits=(0,), params=(Symbol(),))


def test_wrong_arity_and_params():
    with pytest.raises(CircuitError, match="acts on 2 qubit"):
        Operation(name="cx", qubits=(0,))
    with pytest.raises(CircuitError, match="takes 1 parameter"):
        Operation(name="rz", qubits=(0,))


def test_pauli_channel_probabilities_must_sum_to_one():
    with pytest.raises(CircuitError, match="sum to 0.5"):
        Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.25), ("X", 0.25)))


def test_condition_value_must_fit():
    with pytest.raises(CircuitError, match="does not fit in 1 bit"):
        Condition(clbits=(0,), value=2)


def test_json_round_trip_with_conditions_and_channels():
    c = Circuit(num_qubits=2, num_clbits=1, operations=[
        Operation(name="rx", qubits=(0,), params=(0.5,)),
        Operation(name="measure", qubits=(0,), clbits=(0,)),
        Operation(name="x", qubits=(1,), condition=Condition(clbits=(0,), value=1)),
        Operation(name="pauli_channel", qubits=(0, 1), pauli_terms=(("II", 0.9), ("XZ", 0.1))),
    ])
    assert Circuit.from_json(c.to_json()) == c
    assert c.has_mid_circuit_measurement()
