"""Circuit IR validation and serialisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import operations
from welinq_core import Circuit, CircuitError, Condition, Operation, UnboundParameterError, UnsupportedGateError, reference


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


_PAULI_NOISE = st.sampled_from([(("I", 0.9), ("X", 0.1)), (("I", 0.7), ("Z", 0.2), ("Y", 0.1))])


@st.composite
def _partly_measured_circuits(draw):
    """Random gates, one-qubit Pauli noise, resets and conditions on 3-6 qubits; a random
    subset of the qubits is measured, so some qubits are invisible to the output."""
    n = draw(st.integers(3, 6))
    ops = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["gate", "gate", "noise", "reset"]))
        q = draw(st.integers(0, n - 1))
        if kind == "gate":
            ops.append(draw(operations(n, num_clbits=n, allow_conditions=True)))
        elif kind == "noise":
            ops.append(Operation(name="pauli_channel", qubits=(q,), pauli_terms=draw(_PAULI_NOISE)))
        else:
            ops.append(Operation(name="reset", qubits=(q,)))
    measured = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in measured]
    return Circuit(num_qubits=n, num_clbits=n, operations=ops)


@settings(max_examples=60, deadline=None)
@given(_partly_measured_circuits())
def test_observed_part_leaves_the_distribution_of_every_bit_exactly_unchanged(circuit):
    small, kept = circuit.observed_part()
    assert small.num_clbits == circuit.num_clbits and len(kept) == small.num_qubits
    full = reference.simulate(circuit).probabilities()
    part = reference.simulate(small).probabilities()
    for key in set(full) | set(part):
        assert abs(full.get(key, 0.0) - part.get(key, 0.0)) < 1e-12


def test_observed_part_drops_idle_and_unmeasured_qubits_only():
    ops = [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 2)),
           Operation(name="t", qubits=(4,)), Operation(name="cx", qubits=(4, 5)),
           Operation(name="barrier", qubits=(0, 1, 2, 3, 4, 5)),
           Operation(name="measure", qubits=(2,), clbits=(0,))]
    small, kept = Circuit(num_qubits=6, num_clbits=1, operations=ops).observed_part()
    assert kept == (0, 2)
    assert [(op.name, op.qubits) for op in small.operations] == [
        ("h", (0,)), ("cx", (0, 1)), ("barrier", (0, 1)), ("measure", (1,))]
    assert Circuit(num_qubits=6, num_clbits=1, operations=ops).observed_part(keep=(5,))[1] == (0, 2, 4, 5)
