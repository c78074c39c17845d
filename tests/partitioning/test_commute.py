"""Commutation rewrites and disguised controlled phases: exact unitaries, merged packets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.partitioning.test_canonical import assert_equal_up_to_phase, patterned_circuits, unitary
from tests.strategies import unitary_circuits
from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import Cluster
from welinq_core.lowering import canonicalize, count_bell_pairs, lower
from welinq_core.lowering.commute import conjugate_x_runs, fuse_one_qubit_runs, push_anti_diagonal
from welinq_core.lowering.twoqubit import controlled_phase_form, rewrite_blocks

ANGLE = st.floats(min_value=-3.2, max_value=3.2, allow_nan=False, allow_infinity=False)


def _random_su2(rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / abs(np.diag(r)))


@st.composite
def anti_diagonal_circuits(draw, max_qubits: int = 4, max_ops: int = 20):
    """Patterned circuits with x, y, u(pi, ., .), rx(pi) sprinkled in, also mid-packet."""
    base = draw(patterned_circuits(max_qubits=max_qubits, max_ops=max_ops))
    ops = list(base.operations)
    for _ in range(draw(st.integers(1, 6))):
        q = draw(st.integers(0, base.num_qubits - 1))
        kind = draw(st.sampled_from(["x", "y", "upi", "rxpi"]))
        if kind == "upi":
            op = Operation(name="u", qubits=(q,), params=(math.pi, draw(ANGLE), draw(ANGLE)))
        elif kind == "rxpi":
            op = Operation(name="rx", qubits=(q,), params=(math.pi,))
        else:
            op = Operation(name=kind, qubits=(q,))
        ops.insert(draw(st.integers(0, len(ops))), op)
    return Circuit(num_qubits=base.num_qubits, operations=ops)


@settings(max_examples=150, deadline=None)
@given(anti_diagonal_circuits())
def test_pushing_anti_diagonal_gates_keeps_the_unitary(circuit):
    pushed = circuit.with_operations(push_anti_diagonal(list(circuit.operations), circuit.num_qubits))
    assert_equal_up_to_phase(unitary(circuit), unitary(pushed))
    assert_equal_up_to_phase(unitary(circuit), unitary(canonicalize(circuit)))


@settings(max_examples=150, deadline=None)
@given(unitary_circuits(max_qubits=4, max_ops=18))
def test_canonical_form_keeps_the_unitary_on_every_gate(circuit):
    # Every supported gate, in any order: fusion, block rewriting and pushing are exact.
    for rewrite in (fuse_one_qubit_runs, push_anti_diagonal, rewrite_blocks, conjugate_x_runs):
        out = circuit.with_operations(rewrite(list(circuit.operations), circuit.num_qubits))
        assert_equal_up_to_phase(unitary(circuit), unitary(out))
    assert_equal_up_to_phase(unitary(circuit), unitary(canonicalize(circuit)))


_CONTROLLED = ["cp", "crz", "rzz", "cz", "cx", "cy", "ch", "crx", "cry", "cs", "csx"]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(_CONTROLLED), ANGLE, st.integers(0, 2**32 - 1))
def test_controlled_phase_form_recovers_any_dressed_controlled_gate(name, angle, seed):
    rng = np.random.default_rng(seed)
    s = gates.spec(name)
    g = gates.gate_matrix(name, (angle,) * s.num_params)
    u = np.kron(_random_su2(rng), _random_su2(rng)) @ g @ np.kron(_random_su2(rng), _random_su2(rng))
    form = controlled_phase_form(u)
    assert form is not None
    assert_equal_up_to_phase(u, form.matrix())


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_controlled_phase_form_refuses_what_is_not_a_controlled_phase(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    q, _ = np.linalg.qr(z)  # Haar-random: locally a controlled phase with probability 0
    assert controlled_phase_form(q) is None
    assert controlled_phase_form(gates.gate_matrix("swap", ())) is None
    # iSWAP-like interaction exp(i a (XX + YY)) needs two parameters: refused.
    xx = np.kron(gates.gate_matrix("x", ()), gates.gate_matrix("x", ()))
    yy = np.kron(gates.gate_matrix("y", ()), gates.gate_matrix("y", ()))
    w, v = np.linalg.eigh(xx + yy)
    assert controlled_phase_form(v @ np.diag(np.exp(0.3j * w)) @ v.conj().T) is None


def test_an_x_on_the_root_no_longer_splits_its_packet():
    # q0 on qpu0 talks to q1, q2 on qpu1 with an x between: D = X packet, one copy.
    ops = [Operation(name="cp", qubits=(0, 1), params=(0.5,)), Operation(name="x", qubits=(0,)),
           Operation(name="cx", qubits=(0, 2)), Operation(name="y", qubits=(0,)),
           Operation(name="crz", qubits=(0, 1), params=(0.3,)), Operation(name="h", qubits=(0,))]
    circuit = Circuit(num_qubits=3, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    assignment = ("qpu0", "qpu1", "qpu1")
    assert count_bell_pairs(circuit, cluster, assignment) == (1, 3)
    program = lower(circuit, cluster, assignment)
    assert program.num_bell_pairs == 1
    assert_equal_up_to_phase(unitary(circuit), unitary(program.effective_circuit()))


@st.composite
def shared_target_circuits(draw, max_qubits: int = 4):
    """Runs of cx/crx/csx gates onto one target with x, rx, sx and other gates around."""
    n = draw(st.integers(2, max_qubits))
    ops: list[Operation] = []
    for _ in range(draw(st.integers(1, 5))):
        t = draw(st.integers(0, n - 1))
        for _ in range(draw(st.integers(1, 4))):
            c = draw(st.sampled_from([q for q in range(n) if q != t]))
            name = draw(st.sampled_from(["cx", "crx", "csx", "x1", "rx1", "sx1", "cz", "h1"]))
            if name.endswith("1"):
                g = name[:-1]
                ops.append(Operation(name=g, qubits=(t,), params=(draw(ANGLE),) * gates.spec(g).num_params))
            else:
                ops.append(Operation(name=name, qubits=(c, t), params=(draw(ANGLE),) * gates.spec(name).num_params))
    return Circuit(num_qubits=n, operations=ops)


@settings(max_examples=120, deadline=None)
@given(shared_target_circuits())
def test_h_conjugating_x_type_runs_keeps_the_unitary(circuit):
    out = circuit.with_operations(conjugate_x_runs(list(circuit.operations), circuit.num_qubits))
    assert_equal_up_to_phase(unitary(circuit), unitary(out))
    assert_equal_up_to_phase(unitary(circuit), unitary(canonicalize(circuit)))


def test_crx_gates_onto_one_target_share_one_copy_of_it():
    # A multi-controlled x spelled with crx: the target is the root once h-conjugated.
    ops = [Operation(name="crx", qubits=(c, 0), params=(0.3 * c,)) for c in range(1, 5)]
    circuit = Circuit(num_qubits=5, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4)
    assignment = ("qpu0",) + ("qpu1",) * 4
    assert count_bell_pairs(circuit, cluster, assignment) == (1, 4)
    program = lower(circuit, cluster, assignment)
    assert_equal_up_to_phase(unitary(circuit), unitary(program.effective_circuit()))


def _dressed_cp(a: int, b: int, theta: float) -> list[Operation]:
    """cp(theta) as cx(b, a), cx(a, b) and u gates, none of them diagonal on ``a`` between the cx."""
    from welinq_core.lowering.canonical import one_qubit_op

    # cp = p_a(t/2) cx(a, b) p_b(-t/2) cx(a, b) p_b(t/2), with the first cx(a, b) written
    # as (h x h) cx(b, a) (h x h): the control meets an h on each side of cx(b, a).
    h = gates.gate_matrix("h", ())
    p = lambda t: gates.gate_matrix("p", (t,))  # noqa: E731
    return [one_qubit_op(h @ p(theta / 2), a), Operation(name="h", qubits=(b,)),
            Operation(name="cx", qubits=(b, a)), Operation(name="h", qubits=(a,)),
            one_qubit_op(p(-theta / 2) @ h, b), Operation(name="cx", qubits=(a, b)),
            Operation(name="p", qubits=(b,), params=(theta / 2,))]


def test_resynthesised_controlled_phases_cost_what_the_cp_circuit_costs():
    rng = np.random.default_rng(5)
    n = 6
    plain: list[Operation] = []
    dressed: list[Operation] = []
    for _ in range(4):
        for a in range(3):
            for b in range(3, n):
                theta = float(rng.uniform(-3, 3))
                plain.append(Operation(name="cp", qubits=(a, b), params=(theta,)))
                dressed += _dressed_cp(a, b, theta)
        for q in range(n):
            m = _random_su2(rng)
            plain.append(Operation(name="u", qubits=(q,), params=_angles(m)))
            dressed.append(Operation(name="u", qubits=(q,), params=_angles(m)))
    c_plain, c_dressed = Circuit(num_qubits=n, operations=plain), Circuit(num_qubits=n, operations=dressed)
    assert_equal_up_to_phase(unitary(c_plain), unitary(c_dressed))
    assert_equal_up_to_phase(unitary(c_dressed), unitary(canonicalize(c_dressed)))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, comm_qubits_per_qpu=8)
    assignment = ("qpu0",) * 3 + ("qpu1",) * 3
    want = count_bell_pairs(c_plain, cluster, assignment)
    assert want == (4 * 3, 36)
    assert count_bell_pairs(c_dressed, cluster, assignment) == want


def _angles(m: np.ndarray) -> tuple[float, float, float]:
    from welinq_core.lowering.canonical import one_qubit_op

    op = one_qubit_op(m, 0)
    assert op is not None and op.name == "u"
    return op.params


def test_qiskit_optimisation_level_3_keeps_the_packets():
    qiskit = pytest.importorskip("qiskit")
    from qiskit.synthesis import synth_qft_full

    from qiskit_welinq.convert import circuit_from_qiskit

    qft = synth_qft_full(8, do_swaps=False)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4, comm_qubits_per_qpu=8)
    assignment = ("qpu0",) * 4 + ("qpu1",) * 4
    costs = []
    for kw in (dict(basis_gates=["u", "cp"], optimization_level=0),
               dict(basis_gates=["u", "cx"], optimization_level=3, seed_transpiler=1)):
        ir = circuit_from_qiskit(qiskit.transpile(qft, **kw))
        costs.append(count_bell_pairs(ir, cluster, assignment)[0])
    assert costs == [costs[0], costs[0]]
