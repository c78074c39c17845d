"""With ideal links the lowered program is equivalent to the input circuit (exactly)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from welinq_core import Circuit, Cluster, Link, Operation, QPU, lower, partition_circuit
from welinq_core.errors import CommunicationQubitError
from welinq_core.reference import simulate
from tests.strategies import assignments_for, clusters_for, dynamic_circuits, unitary_circuits


def _explicit_state(circuit, cluster, assignment):
    program = lower(circuit, cluster, assignment)
    explicit = program.explicit_circuit()
    result = simulate(explicit.circuit, keep_clbits=explicit.num_user_clbits)
    return program, explicit, result


@given(data=st.data(), circuit=unitary_circuits())
def test_explicit_protocol_reproduces_the_monolithic_state(data, circuit):
    cluster = data.draw(clusters_for(circuit.num_qubits))
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    _, explicit, result = _explicit_state(circuit, cluster, assignment)
    expected = simulate(circuit).density_matrix()
    got = result.density_matrix(range(circuit.num_qubits))
    np.testing.assert_allclose(got, expected, atol=1e-9)


@given(data=st.data(), circuit=dynamic_circuits())
def test_explicit_protocol_reproduces_the_output_distribution_of_dynamic_circuits(data, circuit):
    cluster = data.draw(clusters_for(circuit.num_qubits))
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    _, _, result = _explicit_state(circuit, cluster, assignment)
    expected = simulate(circuit).probabilities()
    got = result.probabilities()
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-9)
    for key in set(got) | set(expected):
        assert got.get(key, 0.0) == pytest.approx(expected.get(key, 0.0), abs=1e-9)


@given(data=st.data(), circuit=unitary_circuits(max_qubits=7, max_ops=20))
def test_every_claimed_bell_pair_is_prepared_and_consumed(data, circuit):
    cluster = data.draw(clusters_for(circuit.num_qubits))
    partition = partition_circuit(circuit, cluster, seed=data.draw(st.integers(0, 3)))
    program = lower(circuit, cluster, partition.assignment, protocols=partition.protocols)
    explicit = program.explicit_circuit()
    assert partition.bell_pairs == program.num_bell_pairs == len(explicit.pair_positions)
    last_hop = {tp.bell_pairs[-1] for tp in program.teleports}
    assert sum(program.bell_pairs_per_link().values()) == program.num_bell_pairs
    ops = explicit.circuit.operations
    for index, ((qa, qb), pos) in enumerate(zip(explicit.pair_qubits, explicit.pair_positions)):
        # prepared: H on qa then CX(qa, qb) right before the recorded position
        assert ops[pos - 2].name == "h" and ops[pos - 2].qubits == (qa,)
        assert ops[pos - 1].name == "cx" and ops[pos - 1].qubits == (qa, qb)
        # consumed: both halves are measured later (a teleport's last target half becomes the qubit)
        for q in ((qa,) if index in last_hop else (qa, qb)):
            assert any(op.name == "measure" and op.qubits == (q,) for op in ops[pos:])
    for packet in program.packets:
        assert len(packet.bell_pairs) == len(packet.route) - 1
        for hop, pair in enumerate(packet.bell_pairs):
            assert program.bell_pairs[pair].link == tuple(sorted(packet.route[hop : hop + 2]))


def test_purely_local_circuit_lowers_to_itself():
    c = Circuit(num_qubits=3, operations=[Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
                                          Operation(name="cz", qubits=(1, 2))])
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3)
    program = lower(c, cluster, ("qpu1",) * 3)
    assert program.num_bell_pairs == 0
    assert program.explicit_circuit().circuit.operations == c.operations


def test_one_pair_serves_a_fanout_packet():
    ops = [Operation(name="h", qubits=(0,))] + [Operation(name="cx", qubits=(0, t)) for t in (1, 2, 3)]
    c = Circuit(num_qubits=4, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3)
    program = lower(c, cluster, ("qpu0", "qpu1", "qpu1", "qpu1"))
    assert program.num_bell_pairs == 1 and program.packets[0].num_gates == 3


def test_non_diagonal_gate_on_the_control_closes_the_packet():
    # (On one pair of qubits, cx h cx is a controlled phase up to local gates: one pair.)
    ops = [Operation(name="cx", qubits=(0, 1)), Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 2))]
    program = lower(Circuit(num_qubits=3, operations=ops), Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2),
                    ("qpu0", "qpu1", "qpu1"))
    assert program.num_bell_pairs == 2


def test_diagonal_gate_on_the_control_keeps_the_packet():
    ops = [Operation(name="cx", qubits=(0, 1)), Operation(name="t", qubits=(0,)), Operation(name="ry", qubits=(1,), params=(0.3,)),
           Operation(name="cx", qubits=(0, 2))]
    program = lower(Circuit(num_qubits=3, operations=ops), Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2),
                    ("qpu0", "qpu1", "qpu1"))
    assert program.num_bell_pairs == 1 and program.num_remote_gates == 2


def test_remote_gate_between_line_ends_swaps_through_the_middle():
    c = Circuit(num_qubits=2, operations=[Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1))])
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line")
    program, _, result = _explicit_state(c, cluster, ("qpu0", "qpu2"))
    assert program.packets[0].route == ("qpu0", "qpu1", "qpu2")
    assert program.bell_pairs_per_link() == {("qpu0", "qpu1"): 1, ("qpu1", "qpu2"): 1}
    np.testing.assert_allclose(result.density_matrix([0, 1]), simulate(c).density_matrix(), atol=1e-12)


def test_qpu_without_communication_qubits_cannot_host_a_remote_gate():
    qpus = [QPU(name="a", num_data_qubits=1, num_comm_qubits=0), QPU(name="b", num_data_qubits=1)]
    cluster = Cluster(qpus=qpus, links={("a", "b"): Link()})
    c = Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))])
    with pytest.raises(CommunicationQubitError, match="'a' has 0 communication qubit"):
        lower(c, cluster, ("a", "b"))


def test_swapping_qpu_needs_two_communication_qubits():
    qpus = [QPU(name="a", num_data_qubits=1), QPU(name="m", num_data_qubits=1, num_comm_qubits=1),
            QPU(name="b", num_data_qubits=1)]
    cluster = Cluster(qpus=qpus, links={("a", "m"): Link(), ("m", "b"): Link()})
    c = Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))])
    with pytest.raises(CommunicationQubitError, match="raise num_comm_qubits"):
        lower(c, cluster, ("a", "b"))


def test_limited_communication_qubits_evict_copies_and_stay_exact():
    # qubit 0 and 1 on qpu0 both control gates on qpu1, which can hold one copy at a time.
    ops = [Operation(name="h", qubits=(0,)), Operation(name="h", qubits=(1,))]
    ops += [Operation(name="cx", qubits=(0, 2)), Operation(name="cx", qubits=(1, 3)),
            Operation(name="ry", qubits=(2,), params=(0.3,)), Operation(name="ry", qubits=(3,), params=(0.4,)),
            Operation(name="cx", qubits=(0, 3)), Operation(name="cx", qubits=(1, 2)),
            Operation(name="ry", qubits=(2,), params=(0.3,)), Operation(name="ry", qubits=(3,), params=(0.4,))]
    c = Circuit(num_qubits=4, operations=ops)
    qpus = [QPU(name="a", num_data_qubits=2, num_comm_qubits=2), QPU(name="b", num_data_qubits=2, num_comm_qubits=1)]
    tight = Cluster(qpus=qpus, links={("a", "b"): Link()})
    roomy = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, comm_qubits_per_qpu=3)
    assignment = ("a", "a", "b", "b")
    program, _, result = _explicit_state(c, tight, assignment)
    roomy_pairs = lower(c, roomy, ("qpu0", "qpu0", "qpu1", "qpu1")).num_bell_pairs
    assert roomy_pairs == 2 and program.num_bell_pairs > roomy_pairs
    np.testing.assert_allclose(result.density_matrix(range(4)), simulate(c).density_matrix(), atol=1e-9)
