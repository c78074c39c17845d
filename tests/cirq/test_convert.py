"""Tests of cirq_welinq.convert: Cirq <-> IR, checked with unitaries and Cirq's own simulator."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy

from welinq_core import gates
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.errors import CircuitError, UnboundParameterError, UnsupportedGateError
from cirq_welinq import circuit_from_cirq, circuit_to_cirq
from cirq_welinq.convert import PauliChannel, _u_params

Q = cirq.LineQubit.range(3)


ONE_QUBIT_GATES = [
    g(exponent=e, global_shift=s)
    for g in (cirq.XPowGate, cirq.YPowGate, cirq.ZPowGate, cirq.HPowGate)
    for e in (1, 0.5, -0.5, 0.25, -0.25, 0.3, 3, -1.7)
    for s in (0, -0.5, 0.2)
] + [
    cirq.PhasedXPowGate(phase_exponent=0.3, exponent=0.7),
    cirq.PhasedXZGate(x_exponent=0.2, z_exponent=0.4, axis_phase_exponent=0.1),
    cirq.MatrixGate(cirq.testing.random_unitary(2, random_state=4)),
    cirq.I,
]
TWO_QUBIT_GATES = [
    g(exponent=e, global_shift=s)
    for g in (
        cirq.CZPowGate,
        cirq.CXPowGate,
        cirq.SwapPowGate,
        cirq.ISwapPowGate,
        cirq.ZZPowGate,
        cirq.XXPowGate,
        cirq.YYPowGate,
    )
    for e in (1, 0.5, -0.5, 0.3, 3)
    for s in (0, 0.2)
] + [
    cirq.ControlledGate(g(exponent=e, global_shift=s))
    for g in (cirq.XPowGate, cirq.YPowGate, cirq.ZPowGate, cirq.HPowGate)
    for e in (1, 0.5, -0.5, 0.3)
    for s in (0, -0.5, 0.2)
] + [
    cirq.FSimGate(0.3, 0.4),
    cirq.PhasedISwapPowGate(exponent=0.3),
    cirq.MatrixGate(cirq.testing.random_unitary(4, random_state=5)),
    cirq.ControlledGate(cirq.MatrixGate(cirq.testing.random_unitary(2, random_state=6))),
    cirq.ControlledGate(cirq.X, control_values=[0]),
    cirq.IdentityGate(2),
]
THREE_QUBIT_OPS = [
    cirq.CCX(*Q),
    cirq.CSWAP(*Q),
    cirq.CCZ(*Q) ** 0.3,
    cirq.qft(*Q),
    cirq.MatrixGate(cirq.testing.random_unitary(8, random_state=7)).on(*Q),
    cirq.X(Q[0]) * cirq.Y(Q[1]) * cirq.Z(Q[2]),
]


@pytest.mark.parametrize("gate", ONE_QUBIT_GATES + TWO_QUBIT_GATES, ids=str)
def test_gate_maps_to_core_gates_with_same_unitary(gate: cirq.Gate) -> None:
    op = gate.on(*Q[: cirq.num_qubits(gate)])
    ir, _, _ = circuit_from_cirq(cirq.Circuit(op))
    assert all(gates.is_supported(o.name) for o in ir)
    assert all(len(o.qubits) <= 2 for o in ir)
    # Rebuild the unitary from the core's own matrices, not from Cirq's gates.
    full = cirq.Circuit(
        cirq.MatrixGate(gates.gate_matrix(o.name, o.params)).on(*[Q[i] for i in o.qubits]) for o in ir
    )
    expected = cirq.unitary(op)
    actual = cirq.unitary(full, None) if len(full) else np.eye(expected.shape[0])
    if actual.shape != expected.shape:  # identity ops may leave qubits unused
        actual = np.eye(expected.shape[0])
    cirq.testing.assert_allclose_up_to_global_phase(actual, expected, atol=1e-7)


@pytest.mark.parametrize("op", THREE_QUBIT_OPS, ids=str)
def test_multi_qubit_ops_are_decomposed_exactly(op: cirq.Operation) -> None:
    ir, qubits, _ = circuit_from_cirq(cirq.Circuit(op))
    assert ir and all(len(o.qubits) <= 2 for o in ir)
    full = cirq.Circuit(
        cirq.MatrixGate(gates.gate_matrix(o.name, o.params)).on(*[qubits[i] for i in o.qubits]) for o in ir
    )
    cirq.testing.assert_allclose_up_to_global_phase(
        cirq.unitary(full), cirq.unitary(cirq.Circuit(op)), atol=1e-6
    )


def test_named_gates_convert_to_expected_core_names() -> None:
    a, b = Q[:2]
    circuit = cirq.Circuit(
        cirq.X(a), cirq.rx(0.25).on(a), cirq.rz(0.5).on(a), cirq.Z(a) ** 0.2, cirq.T(a), cirq.S(a) ** -1,
        cirq.X(a) ** 0.5, cirq.CNOT(a, b), cirq.CZ(a, b), cirq.CZ(a, b) ** 0.5, cirq.SWAP(a, b),
        cirq.ZZ(a, b) ** 0.4, cirq.ControlledGate(cirq.H).on(a, b), cirq.ControlledGate(cirq.rz(0.1)).on(a, b),
    )
    ir, _, _ = circuit_from_cirq(circuit)
    assert [o.name for o in ir] == [
        "x", "rx", "rz", "p", "t", "sdg", "sx", "cx", "cz", "cs", "swap", "rzz", "ch", "crz",
    ]
    assert ir.operations[1].params == pytest.approx((0.25,))
    assert ir.operations[3].params == pytest.approx((0.2 * np.pi,))
    assert ir.operations[11].params == pytest.approx((0.4 * np.pi,))


@pytest.mark.parametrize("name", gates.supported_gates())
def test_every_core_gate_converts_to_cirq_with_its_matrix(name: str) -> None:
    spec = gates.spec(name)
    params = tuple(0.3 + 0.4 * i for i in range(spec.num_params))
    ir = Circuit(num_qubits=spec.num_qubits, operations=[Operation(name=name, qubits=tuple(range(spec.num_qubits)), params=params)])
    c = circuit_to_cirq(ir)
    u = cirq.unitary(c) if cirq.num_qubits(c) == spec.num_qubits else np.eye(2)
    np.testing.assert_allclose(u, gates.gate_matrix(name, params), atol=1e-7)


def test_u_params_reproduce_random_and_degenerate_unitaries() -> None:
    mats = [cirq.testing.random_unitary(2, random_state=k) for k in range(50)]
    mats += [np.diag([1, 1j]), np.array([[0, 1], [1, 0]]), np.array([[0, 1j], [1, 0]]), np.eye(2)]
    for m in mats:
        cirq.testing.assert_allclose_up_to_global_phase(gates.gate_matrix("u", _u_params(m)), m, atol=1e-9)


def test_qubits_are_sorted_whatever_their_type_and_insertion_order() -> None:
    g, n, l = cirq.GridQubit(1, 0), cirq.NamedQubit("zeta"), cirq.LineQubit(3)
    circuit = cirq.Circuit(cirq.CNOT(n, g), cirq.H(l))
    ir, qubits, _ = circuit_from_cirq(circuit)
    assert qubits == tuple(sorted([g, n, l]))
    assert ir.operations[0].qubits == (qubits.index(n), qubits.index(g))
    ir2, qubits2, _ = circuit_from_cirq(circuit, qubit_order=[l, n, g])
    assert qubits2 == (l, n, g) and ir2.operations[0].qubits == (1, 2)


def test_measurement_layout_keys_multi_qubit_repeated_and_inverted() -> None:
    a, b, c = Q
    circuit = cirq.Circuit(
        cirq.measure(a, b, key="ab", invert_mask=(True,)),
        cirq.measure(c, key="r"),
        cirq.X(c),
        cirq.measure(c, key="r"),
    )
    ir, _, layout = circuit_from_cirq(circuit)
    assert ir.num_clbits == 4
    assert [(r.key, r.clbits, r.invert_mask, r.qubits) for r in layout] == [
        ("ab", (0, 1), (True, False), (0, 1)),
        ("r", (2,), (False,), (2,)),
        ("r", (3,), (False,), (2,)),
    ]
    assert [o.name for o in ir] == ["measure", "measure", "x", "measure"]


def test_classical_controls_become_conditions_on_the_latest_instance() -> None:
    a, b = Q[:2]
    circuit = cirq.Circuit(
        cirq.measure(a, key="m"),
        cirq.measure(a, key="m"),
        cirq.X(b).with_classical_controls("m"),
        cirq.Z(b).with_classical_controls(cirq.KeyCondition(cirq.MeasurementKey("m"), index=0)),
    )
    ir, _, _ = circuit_from_cirq(circuit)
    assert ir.operations[2].condition == Condition(clbits=(1,), value=1)
    assert ir.operations[3].condition == Condition(clbits=(0,), value=1)


def test_condition_on_multi_bit_key_and_inverted_bit_enumerates_values() -> None:
    a, b, c = Q
    circuit = cirq.Circuit(
        cirq.measure(a, b, key="ab"),
        cirq.measure(c, key="n", invert_mask=(True,)),
        cirq.X(c).with_classical_controls("ab"),  # fires unless both bits are 0
        cirq.Y(c).with_classical_controls("n"),  # recorded bit = raw ^ 1
        cirq.Z(c).with_classical_controls(sympy.Eq(sympy.Symbol("ab"), 2)),
    )
    ir, _, _ = circuit_from_cirq(circuit)
    xs = [o.condition for o in ir if o.name == "x"]
    assert sorted(cond.value for cond in xs) == [1, 2, 3] and all(c.clbits == (0, 1) for c in xs)
    assert [o.condition for o in ir if o.name == "y"] == [Condition(clbits=(2,), value=0)]
    # Cirq's integer is big-endian: ab == 2 means a=1, b=0, i.e. clbit 0 = 1, clbit 1 = 0.
    assert [o.condition for o in ir if o.name == "z"] == [Condition(clbits=(0, 1), value=1)]


def test_reset_global_phase_and_circuit_operations() -> None:
    a, b = Q[:2]
    sub = cirq.FrozenCircuit(cirq.X(a), cirq.measure(a, key="k"))
    circuit = cirq.Circuit(
        cirq.reset(a), cirq.global_phase_operation(1j), cirq.CircuitOperation(sub, repetitions=2), cirq.H(b)
    )
    ir, _, layout = circuit_from_cirq(circuit)
    assert [o.name for o in ir] == ["reset", "h", "x", "measure", "x", "measure"]
    cirq_records = cirq.Simulator(seed=0).run(circuit).records
    assert {r.key for r in layout} == set(cirq_records)
    assert [r.key for r in layout].count("k") == cirq_records["k"].shape[1] == 2


def test_pauli_channels_become_pauli_channel_ops() -> None:
    a, b = Q[:2]
    ir, _, _ = circuit_from_cirq(
        cirq.Circuit(cirq.depolarize(0.3).on(a), cirq.bit_flip(0.1).on(b), cirq.depolarize(0.15, n_qubits=2).on(a, b))
    )
    assert [o.name for o in ir] == ["pauli_channel"] * 3
    assert dict(ir.operations[0].pauli_terms) == pytest.approx({"I": 0.7, "X": 0.1, "Y": 0.1, "Z": 0.1})
    assert dict(ir.operations[1].pauli_terms) == pytest.approx({"I": 0.9, "X": 0.1})
    terms = dict(ir.operations[2].pauli_terms)
    assert len(terms) == 16 and terms["XZ"] == pytest.approx(0.01)


def test_pauli_channel_label_is_big_endian_in_cirq() -> None:
    ir = Circuit(
        num_qubits=2,
        num_clbits=2,
        operations=[
            Operation(name="pauli_channel", qubits=(0, 1), pauli_terms=(("XI", 1.0),)),
            Operation(name="measure", qubits=(0, 1), clbits=(0, 1)),
        ],
    )
    result = cirq.Simulator(seed=1).run(circuit_to_cirq(ir), repetitions=5)
    assert result.measurements["welinq_c0"].ravel().tolist() == [1] * 5
    assert result.measurements["welinq_c1"].ravel().tolist() == [0] * 5


def test_round_trip_runs_like_the_original_on_cirq() -> None:
    a, b, c = Q
    circuit = cirq.Circuit(
        cirq.X(a),
        cirq.measure(a, b, key="ab", invert_mask=(False, True)),
        cirq.X(c).with_classical_controls("ab"),
        cirq.measure(c, key="c"),
        cirq.reset(c),
        cirq.measure(c, key="c"),
    )
    ir, qubits, layout = circuit_from_cirq(circuit)
    back = circuit_to_cirq(ir, qubits, layout)
    r1 = cirq.Simulator(seed=2).run(circuit, repetitions=4)
    r2 = cirq.Simulator(seed=2).run(back, repetitions=4)
    assert r1.records.keys() == r2.records.keys()
    for key in r1.records:
        np.testing.assert_array_equal(r1.records[key], r2.records[key])


def test_unresolved_symbols_raise_unbound_parameter_error_naming_them() -> None:
    t, u = sympy.symbols("theta gamma")
    circuit = cirq.Circuit(cirq.rx(t).on(Q[0]), cirq.ZZ(Q[0], Q[1]) ** u)
    with pytest.raises(UnboundParameterError, match=r"\['gamma', 'theta'\]"):
        circuit_from_cirq(circuit)
    with pytest.raises(ValueError, match="unresolved"):
        circuit_from_cirq(circuit)


def test_qudits_are_rejected_with_a_clear_message() -> None:
    qutrit = cirq.LineQid(0, dimension=3)
    with pytest.raises(CircuitError, match="qudit .* dimension 3"):
        circuit_from_cirq(cirq.Circuit(cirq.MatrixGate(np.eye(3), qid_shape=(3,)).on(qutrit)))


@pytest.mark.parametrize(
    "op, match",
    [
        (cirq.depolarize(0.1, n_qubits=4).on(*cirq.LineQubit.range(4)), "channel .* acts on 4 qubits"),
        (cirq.measure(Q[0], key="m", confusion_map={(0,): np.eye(2)}), "confusion_map"),
        (
            cirq.CircuitOperation(
                cirq.FrozenCircuit(cirq.X(Q[0]), cirq.measure(Q[0], key="m")),
                use_repetition_ids=False,
                repeat_until=cirq.KeyCondition(cirq.MeasurementKey("m")),
            ),
            "repeat_until",
        ),
    ],
)
def test_unsupported_operations_raise_value_errors(op: cirq.Operation, match: str) -> None:
    with pytest.raises(UnsupportedGateError, match=match):
        circuit_from_cirq(cirq.Circuit(op))


def test_engine_circuit_honours_every_ir_directive_exactly() -> None:
    """pauli_channel (multi-qubit, conditioned), measure, reset and barrier, against the reference."""
    from welinq_core.reference import simulate as reference_simulate

    ops = [
        Operation(name="x", qubits=(3,)),
        Operation(name="measure", qubits=(3,), clbits=(0,)),  # deterministic 1: the DM stays exact
        Operation(name="h", qubits=(0,)),
        Operation(name="cx", qubits=(0, 1)),
        Operation(name="ry", qubits=(2,), params=(0.4,)),
        Operation(name="pauli_channel", qubits=(0, 1, 2), pauli_terms=(("III", 0.7), ("XYZ", 0.2), ("ZIX", 0.1))),
        Operation(name="pauli_channel", qubits=(2,), pauli_terms=(("I", 0.4), ("Y", 0.6)),
                  condition=Condition(clbits=(0,), value=1)),
        Operation(name="pauli_channel", qubits=(1,), pauli_terms=(("X", 1.0),),
                  condition=Condition(clbits=(0,), value=0)),  # never fires
        Operation(name="barrier", qubits=(0, 1, 2, 3)),
        Operation(name="cp", qubits=(1, 2), params=(0.9,)),
        Operation(name="reset", qubits=(0,)),
        Operation(name="h", qubits=(0,)),
    ]
    ir = Circuit(num_qubits=4, num_clbits=1, operations=ops)
    expected = reference_simulate(ir).density_matrix()
    got = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(
        circuit_to_cirq(ir), qubit_order=cirq.LineQubit.range(4)
    ).final_density_matrix
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_pauli_channels_sample_their_mixture_in_state_vector_runs() -> None:
    """``pauli_channel`` converts to a PauliChannel whose state-vector fast path (draw the string,
    apply its non-identity Paulis) samples the same distribution as the channel's mixture, which
    the density-matrix simulator applies exactly."""
    terms = (("II", 0.6), ("XI", 0.15), ("IY", 0.1), ("ZX", 0.1), ("YY", 0.05))
    ir = Circuit(num_qubits=2, num_clbits=2, operations=[
        Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)), Operation(name="ry", qubits=(1,), params=(0.7,)),
        Operation(name="pauli_channel", qubits=(0, 1), pauli_terms=terms),
        Operation(name="h", qubits=(0,)),
        Operation(name="measure", qubits=(0,), clbits=(0,)), Operation(name="measure", qubits=(1,), clbits=(1,))])
    circuit = circuit_to_cirq(ir)
    assert any(isinstance(op.gate, PauliChannel) for op in circuit.all_operations())
    # exact outcome probabilities from the density matrix before the measurements
    unmeasured = cirq.Circuit(op for op in circuit.all_operations() if not cirq.is_measurement(op))
    rho = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(unmeasured).final_density_matrix
    exact = np.real(np.diag(rho))
    shots = 20000
    rec = cirq.Simulator(seed=3).run(circuit, repetitions=shots)
    m0, m1 = rec.measurements["welinq_c0"][:, 0], rec.measurements["welinq_c1"][:, 0]
    freq = np.bincount(2 * m0 + m1, minlength=4) / shots
    assert np.all(np.abs(freq - exact) < 5 * np.sqrt(exact * (1 - exact) / shots) + 1e-3), (freq, exact)
