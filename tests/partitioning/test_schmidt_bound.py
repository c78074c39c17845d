"""Plans never claim fewer Bell pairs than physics allows: the operator-Schmidt-rank bound.

A protocol of local operations and classical communication that consumes ``e`` Bell pairs
between a QPU and the rest of the cluster can implement exactly only operators whose
operator Schmidt rank across that cut is at most ``2**e`` (Nielsen et al., "Quantum dynamics
as a physical resource", PRA 67, 052301 (2003); the Choi state of the operator cannot gain
Schmidt rank under LOCC). The cut puts each qubit's *input* leg on the QPU where the plan
starts it and its *output* leg on the QPU where the plan leaves it, so teleports and first-use
placement are accounted for. A cost model that packs gates through a non-diagonal rotation of
the packet's root undercounts below this bound; DisQCO's ``check_diag_gate`` takes
``u(pi/4, pi/2, -pi/2)`` (an ``rx(pi/4)``, as in every transpiled Toffoli) for anti-diagonal
and does exactly that, which is how it publishes 5 pairs for QASMBench's adder_n28 on 4 QPUs
(``test_packet_breaks_at_a_non_diagonal_root_rotation`` is the minimal case).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings, strategies as st

from welinq_core import Cluster, lower, partition_circuit
from welinq_core.circuit import Circuit, Operation
from welinq_core.gates import gate_matrix
from tests.partitioning._helpers import assert_lowering_equivalent
from tests.strategies import clusters_for, unitary_circuits


def unitary_tensor(circuit: Circuit) -> np.ndarray:
    """The circuit's unitary as a tensor with axes (out q0..q(n-1), in q0..q(n-1))."""
    n = circuit.num_qubits
    u = np.eye(2 ** n, dtype=complex).reshape((2,) * (2 * n))
    for op in circuit.operations:
        if op.name == "barrier":
            continue
        assert op.condition is None and op.name not in ("measure", "reset"), op
        k = len(op.qubits)
        g = gate_matrix(op.name, op.params).reshape((2,) * (2 * k))
        u = np.moveaxis(np.tensordot(g, u, axes=(list(range(k, 2 * k)), list(op.qubits))),
                        list(range(k)), list(op.qubits))
    return u


def schmidt_pair_bound(u: np.ndarray, inputs_here: list[int], outputs_here: list[int]) -> int:
    """``ceil(log2 r)``, r the operator Schmidt rank of ``u`` across (the given legs) | (all others)."""
    n = u.ndim // 2
    here = list(outputs_here) + [n + q for q in inputs_here]
    rest = [a for a in range(2 * n) if a not in here]
    m = np.transpose(u, here + rest).reshape(2 ** len(here), -1)
    s = np.linalg.svd(m, compute_uv=False)
    # interactions within 1e-12 of the identity may be dropped by the planner: count only
    # singular values that no such drop can explain
    rank = int((s > 1e-6 * s[0]).sum())
    return math.ceil(math.log2(rank))


def assert_respects_schmidt_bound(circuit: Circuit, prog) -> None:
    """Every QPU's links carry at least the bound of its cut (inputs where the plan starts
    each qubit, outputs where it leaves it); a pair routed through other QPUs uses one of them."""
    u = unitary_tensor(circuit)
    per_link = prog.bell_pairs_per_link()
    for qpu in prog.cluster.qpus:
        ins = [q for q, where in enumerate(prog.assignment) if where == qpu.name]
        outs = [q for q, where in enumerate(prog.final_assignment) if where == qpu.name]
        if not ins and not outs:
            continue
        incident = sum(c for (a, b), c in per_link.items() if qpu.name in (a, b))
        assert incident >= schmidt_pair_bound(u, ins, outs), (qpu.name, ins, outs, incident)


def _root_rotation_circuit(rotation: Operation) -> Circuit:
    """``cp(pi)(a, b)``, a one-qubit gate on ``a``, ``cp(pi)(a, c)``: a = 0, b = 1, c = 2."""
    return Circuit(num_qubits=3, operations=[
        Operation(name="cp", qubits=(0, 1), params=(math.pi,)),
        rotation,
        Operation(name="cp", qubits=(0, 2), params=(math.pi,)),
    ])


def test_packet_breaks_at_a_non_diagonal_root_rotation():
    # rx(pi/4) as a transpiled Toffoli writes it; b and c share a QPU, a is alone
    circuit = _root_rotation_circuit(Operation(name="u", qubits=(0,), params=(math.pi / 4, math.pi / 2, -math.pi / 2)))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    assignment = ("qpu0", "qpu1", "qpu1")
    bound = schmidt_pair_bound(unitary_tensor(circuit), [0], [0])
    assert bound == 2  # operator Schmidt rank 4: one linked copy of a cannot serve both gates
    prog = lower(circuit, cluster, assignment, protocols=("telegate",))
    assert prog.num_bell_pairs == 2
    assert_respects_schmidt_bound(circuit, prog)
    assert_lowering_equivalent(circuit, cluster, assignment)
    # with moves allowed, a qubit starts at its first use where a slot is free, for no pair:
    # the plan then splits {a, b} from c, whose bound is 1, and needs 1 pair
    prog = lower(circuit, cluster, assignment, protocols="auto")
    assert prog.num_bell_pairs == 1
    assert_respects_schmidt_bound(circuit, prog)


def test_packet_keeps_going_through_an_anti_diagonal_root_gate():
    # the counter-case: x on the root keeps one copy valid (x on every copy too), rank 2, 1 pair
    circuit = _root_rotation_circuit(Operation(name="x", qubits=(0,)))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    assignment = ("qpu0", "qpu1", "qpu1")
    assert schmidt_pair_bound(unitary_tensor(circuit), [0], [0]) == 1
    prog = lower(circuit, cluster, assignment)
    assert prog.num_bell_pairs == 1
    assert_lowering_equivalent(circuit, cluster, assignment)


@given(data=st.data(), circuit=unitary_circuits(max_qubits=5, max_ops=16))
@settings(max_examples=40, deadline=None)
def test_no_plan_claims_fewer_pairs_than_the_schmidt_bound(data, circuit):
    cluster = data.draw(clusters_for(circuit.num_qubits))
    seed = data.draw(st.integers(0, 3))
    part = partition_circuit(circuit, cluster, seed=seed)  # the default: protocols="auto"
    prog = lower(circuit, cluster, part.assignment, protocols=part.protocols)
    assert prog.num_bell_pairs == part.bell_pairs
    assert_respects_schmidt_bound(circuit, prog)
