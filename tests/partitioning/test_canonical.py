"""The canonical form keeps the unitary (up to a global phase) and exposes packets in any basis."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import Cluster
from welinq_core.lowering import canonicalize, count_bell_pairs, lower
from welinq_core.lowering.canonical import one_qubit_op


def unitary(circuit: Circuit) -> np.ndarray:
    """Exact unitary, big-endian (qubit 0 is the leftmost tensor factor)."""
    n = circuit.num_qubits
    u = np.eye(2**n, dtype=complex).reshape([2] * n + [2**n])
    for op in circuit.operations:
        m = gates.gate_matrix(op.name, op.params)
        k = len(op.qubits)
        m = m.reshape([2] * (2 * k))
        axes_in = list(op.qubits)
        u = np.tensordot(m, u, axes=(list(range(k, 2 * k)), axes_in))
        u = np.moveaxis(u, list(range(k)), axes_in)
    return u.reshape(2**n, 2**n)


def assert_equal_up_to_phase(a: np.ndarray, b: np.ndarray) -> None:
    k = np.unravel_index(np.argmax(np.abs(a)), a.shape)
    phase = b[k] / a[k]
    assert abs(abs(phase) - 1) < 1e-9
    np.testing.assert_allclose(a * phase, b, atol=1e-9)


ANGLE = st.floats(min_value=-3.2, max_value=3.2, allow_nan=False, allow_infinity=False)
_ONE = ["h", "x", "s", "t", "sx", "z", "rz", "p", "rx", "u", "udiag", "uh"]
_TWO = ["cx", "cx", "cx", "cz", "cp", "crz", "rzz", "swap", "cy"]


@st.composite
def patterned_circuits(draw, max_qubits: int = 4, max_ops: int = 24):
    """Random circuits rich in cx-phase-cx, h-cx-h and transpiler-style u(0, 0, l) gates."""
    n = draw(st.integers(2, max_qubits))
    ops: list[Operation] = []
    for _ in range(draw(st.integers(1, max_ops))):
        kind = draw(st.sampled_from(["one", "two", "cxd", "hcx"]))
        if kind == "one":
            name = draw(st.sampled_from(_ONE))
            q = draw(st.integers(0, n - 1))
            if name == "udiag":
                ops.append(Operation(name="u", qubits=(q,), params=(0.0, draw(ANGLE), draw(ANGLE))))
            elif name == "uh":
                ops.append(Operation(name="u", qubits=(q,), params=(math.pi / 2, 0.0, math.pi)))
            else:
                s = gates.spec(name)
                ops.append(Operation(name=name, qubits=(q,), params=tuple(draw(ANGLE) for _ in range(s.num_params))))
            continue
        a, b = draw(st.permutations(range(n)))[:2]
        if kind == "two":
            name = draw(st.sampled_from(_TWO))
            s = gates.spec(name)
            ops.append(Operation(name=name, qubits=(a, b), params=tuple(draw(ANGLE) for _ in range(s.num_params))))
        elif kind == "cxd":
            ops.append(Operation(name="cx", qubits=(a, b)))
            for _ in range(draw(st.integers(0, 2))):
                ops.append(Operation(name=draw(st.sampled_from(["rz", "p"])), qubits=(b,), params=(draw(ANGLE),)))
            if n > 2 and draw(st.booleans()):
                c = next(q for q in range(n) if q not in (a, b))
                ops.append(Operation(name="cp", qubits=(a, c), params=(draw(ANGLE),)))
            ops.append(Operation(name="cx", qubits=(a, b)))
        else:
            ops.append(Operation(name="h", qubits=(b,)))
            ops.append(Operation(name="cx", qubits=(a, b)))
            ops.append(Operation(name=draw(st.sampled_from(["h", "s", "x"])), qubits=(b,)))
    return Circuit(num_qubits=n, operations=ops)


@settings(max_examples=150, deadline=None)
@given(patterned_circuits())
def test_canonical_form_keeps_the_unitary(circuit):
    canonical = canonicalize(circuit)
    assert_equal_up_to_phase(unitary(circuit), unitary(canonical))
    # Idempotent: a canonical circuit has nothing left to rewrite.
    assert_equal_up_to_phase(unitary(canonical), unitary(canonicalize(canonical)))


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 3.2), st.floats(-3.2, 3.2), st.floats(-3.2, 3.2), st.integers(0, 3))
def test_one_qubit_op_is_exact_up_to_phase(theta, phi, lam, q):
    m = gates.gate_matrix("u", (theta, phi, lam))
    op = one_qubit_op(m, q)
    got = np.eye(2) if op is None else gates.gate_matrix(op.name, op.params)
    assert_equal_up_to_phase(m, got)
    assert op is None or op.qubits == (q,)


def _cp_in_cx_basis(a: int, b: int, theta: float) -> list[Operation]:
    """Qiskit's definition of cp, with its phases written as u(0, 0, l) as transpilers do."""
    return [
        Operation(name="u", qubits=(a,), params=(0.0, 0.0, theta / 2)),
        Operation(name="cx", qubits=(a, b)),
        Operation(name="u", qubits=(b,), params=(0.0, 0.0, -theta / 2)),
        Operation(name="cx", qubits=(a, b)),
        Operation(name="u", qubits=(b,), params=(0.0, 0.0, theta / 2)),
    ]


def _qft(n: int, cx_basis: bool) -> Circuit:
    ops: list[Operation] = []
    for j in reversed(range(n)):
        ops.append(Operation(name="h", qubits=(j,)) if not cx_basis
                   else Operation(name="u", qubits=(j,), params=(math.pi / 2, 0.0, math.pi)))
        for k in reversed(range(j)):
            theta = math.pi / 2 ** (j - k)
            ops.extend(_cp_in_cx_basis(j, k, theta) if cx_basis
                       else [Operation(name="cp", qubits=(j, k), params=(theta,))])
    return Circuit(num_qubits=n, operations=ops)


def test_qft_costs_the_same_in_cp_and_cx_bases():
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4, comm_qubits_per_qpu=8)
    assignment = ("qpu0",) * 4 + ("qpu1",) * 4
    in_cp, in_cx = _qft(8, cx_basis=False), _qft(8, cx_basis=True)
    assert count_bell_pairs(in_cx, cluster, assignment) == count_bell_pairs(in_cp, cluster, assignment)
    assert [op.name for op in canonicalize(in_cx) if len(op.qubits) == 2] == ["rzz"] * 28
    prog = lower(in_cx, cluster, assignment)
    assert_equal_up_to_phase(unitary(in_cx), unitary(prog.effective_circuit()))


def test_h_conjugated_cx_serves_a_packet_rooted_on_its_target():
    # q0 is the target of cx(1, 0) and cx(2, 0), each between h gates: as cz both are
    # diagonal on q0, so one copy of q0 on the other QPU serves both.
    ops = []
    for c in (1, 2):
        ops += [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(c, 0)), Operation(name="h", qubits=(0,))]
    circuit = Circuit(num_qubits=3, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    assert count_bell_pairs(circuit, cluster, ("qpu0", "qpu1", "qpu1")) == (1, 2)
    assert [op.name for op in canonicalize(circuit)] == ["cz", "cz"]


def test_conditioned_and_measured_gates_are_not_merged():
    from welinq_core.circuit import Condition

    ops = [Operation(name="cx", qubits=(0, 1)),
           Operation(name="rz", qubits=(1,), params=(0.3,), condition=Condition(clbits=(0,), value=1)),
           Operation(name="cx", qubits=(0, 1)), Operation(name="rz", qubits=(1,), params=(0.2,)),
           Operation(name="measure", qubits=(0,), clbits=(0,)), Operation(name="cx", qubits=(0, 1))]
    circuit = Circuit(num_qubits=2, num_clbits=1, operations=ops)
    assert canonicalize(circuit) is circuit
