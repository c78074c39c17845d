"""Packet order: commuting gates reordered so packets are contiguous; exact, and cheaper plans."""

from __future__ import annotations

import contextlib
import io
import json
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.partitioning.test_canonical import unitary
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import Cluster
from welinq_core.errors import CircuitError
from welinq_core.lowering import canonicalize, count_bell_pairs, lower
from welinq_core.lowering import planner as planner_module
from welinq_core.lowering.packet_order import PacketOrder, commutation_dag, group_packets
from welinq_core.lowering.packets import cover_items, segments
from welinq_core.partitioning.cost import plan_cost
from welinq_core.reference import simulate

ANGLE = st.floats(min_value=-3.2, max_value=3.2, allow_nan=False, allow_infinity=False)
# Diagonal gates dominate, so that there is something to reorder.
_KINDS = ["cp", "rzz", "cz", "cp", "rzz", "cz", "cx", "rz", "u0", "u", "h", "measure", "cond"]


@st.composite
def mixed_circuits(draw, max_qubits: int = 4, max_ops: int = 22, measured: bool = True):
    """Random circuits of cp, rzz, cz, cx, u, h, rz (and measurements, conditioned gates)."""
    n = draw(st.integers(2, max_qubits))
    kinds = _KINDS if measured else _KINDS[:-2]
    ops = []
    for _ in range(draw(st.integers(0, max_ops))):
        kind = draw(st.sampled_from(kinds))
        pair = tuple(draw(st.permutations(range(n)))[:2])
        q = pair[0]
        if kind in ("cp", "rzz"):
            ops.append(Operation(name=kind, qubits=pair, params=(draw(ANGLE),)))
        elif kind in ("cz", "cx"):
            ops.append(Operation(name=kind, qubits=pair))
        elif kind == "rz":
            ops.append(Operation(name="rz", qubits=(q,), params=(draw(ANGLE),)))
        elif kind == "u0":  # a transpiled phase: diagonal
            ops.append(Operation(name="u", qubits=(q,), params=(0.0, draw(ANGLE), draw(ANGLE))))
        elif kind == "u":
            ops.append(Operation(name="u", qubits=(q,), params=(draw(ANGLE), draw(ANGLE), draw(ANGLE))))
        elif kind == "h":
            ops.append(Operation(name="h", qubits=(q,)))
        elif kind == "measure":
            ops.append(Operation(name="measure", qubits=(q,), clbits=(draw(st.integers(0, n - 1)),)))
        else:  # a conditioned gate, diagonal or not
            name = draw(st.sampled_from(["cz", "cx", "rz", "x"]))
            qubits = pair if name in ("cz", "cx") else (q,)
            params = (draw(ANGLE),) if name == "rz" else ()
            cond = Condition(clbits=(draw(st.integers(0, n - 1)),), value=draw(st.integers(0, 1)))
            ops.append(Operation(name=name, qubits=qubits, params=params, condition=cond))
    clbits = n if measured else 0
    if measured:
        ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n) if draw(st.booleans())]
    return Circuit(num_qubits=n, num_clbits=clbits, operations=ops)


@st.composite
def reorderings(draw, measured: bool = True):
    """A circuit, an assignment onto 2 or 3 QPUs and a cover: the planner's or an arbitrary one."""
    circuit = draw(mixed_circuits(measured=measured))
    n = circuit.num_qubits
    names = [f"qpu{i}" for i in range(draw(st.integers(2, 3)))]
    where = tuple(draw(st.sampled_from(names)) for _ in range(n))
    segs = segments(circuit)
    if draw(st.booleans()):
        cover = cover_items(circuit, segs, where, {name: k for k, name in enumerate(names)})
    else:
        items = sorted({(s, name) for row in segs for s in row if s >= 0 for name in names})
        cover = set(draw(st.lists(st.sampled_from(items), unique=True))) if items else set()
    return circuit, where, cover


def _check_evidence(circuit: Circuit, out: PacketOrder, cover) -> None:
    assert sorted(out.order) == list(range(len(circuit.operations)))
    if out.order == tuple(range(len(out.order))):
        assert out.circuit is circuit  # nothing moved: the planner need not plan it again
    assert list(out.circuit.operations) == [circuit.operations[i] for i in out.order]
    assert out.circuit.num_clbits == circuit.num_clbits
    # Every gate keeps its segments, so the cover names the same copies.
    old, new = segments(circuit), segments(out.circuit)
    rename = {}
    for k, i in enumerate(out.order):
        for a, b in zip(old[i], new[k]):
            assert (a < 0) == (b < 0)
            if a >= 0:
                assert rename.setdefault(a, b) == b
    assert out.cover == {(rename[s], t) for s, t in cover if s in rename}


@settings(max_examples=150, deadline=None)
@given(reorderings(measured=False))
def test_reordering_keeps_the_unitary_exactly(case):
    circuit, where, cover = case
    out = group_packets(circuit, where, cover)
    _check_evidence(circuit, out, cover)
    np.testing.assert_allclose(unitary(out.circuit), unitary(circuit), rtol=0, atol=1e-12)


@settings(max_examples=120, deadline=None)
@given(reorderings(measured=True))
def test_reordering_keeps_measurements_and_conditions_exactly(case):
    circuit, where, cover = case
    out = group_packets(circuit, where, cover)
    _check_evidence(circuit, out, cover)
    got, want = simulate(out.circuit), simulate(circuit)
    np.testing.assert_allclose(got.density_matrix(), want.density_matrix(), rtol=0, atol=1e-12)
    gp, wp = got.probabilities(), want.probabilities()
    for key in set(gp) | set(wp):
        assert abs(gp.get(key, 0.0) - wp.get(key, 0.0)) < 1e-12, key


def test_dependencies_are_conservative():
    c = Circuit(num_qubits=3, num_clbits=1, operations=[
        Operation(name="cz", qubits=(0, 1)),  # 0
        Operation(name="cx", qubits=(0, 2)),  # 1: diagonal on 0, commutes with 0
        Operation(name="measure", qubits=(2,), clbits=(0,)),  # 2: after the cx on 2
        Operation(name="rz", qubits=(1,), params=(0.3,), condition=Condition(clbits=(0,), value=1)),  # 3
        Operation(name="cz", qubits=(0, 1)),  # 4: after the conditioned rz on 1
        Operation(name="cx", qubits=(1, 0)),  # 5: not diagonal on 0
    ])
    assert commutation_dag(c) == [[3, 5], [2, 5], [3], [4, 5], [5], []]


def test_qaoa_layer_becomes_one_packet_per_root():
    # rzz between every qubit of A = {0, 1} and every qubit of B = {2, 3}, interleaved.
    zz = [Operation(name="rzz", qubits=(a, b), params=(0.4,)) for b in (2, 3) for a in (0, 1)]
    c = Circuit(num_qubits=4, operations=[Operation(name="h", qubits=(q,)) for q in range(4)] + zz)
    where = ("A", "A", "B", "B")
    cover = cover_items(c, segments(c), where, {"A": 0, "B": 1})
    out = group_packets(c, where, cover)
    roots = [op.qubits for op in out.circuit.operations[4:]]
    assert out.packets == 2 and out.order[:4] == (0, 1, 2, 3)
    assert roots in ([(0, 2), (0, 3), (1, 2), (1, 3)], [(0, 2), (1, 2), (0, 3), (1, 3)])


def test_bad_assignment_is_refused():
    c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
    with pytest.raises(CircuitError, match="one QPU per qubit"):
        group_packets(c, ("qpu0",), set())
    with pytest.raises(CircuitError, match="permutation"):
        PacketOrder(circuit=c, order=(1,), cover=frozenset(), packets=0)


# -- the planner: reordered plans -------------------------------------------------------

def _cost_layers(n: int, edges, layers: int = 1) -> Circuit:
    ops = [Operation(name="h", qubits=(q,)) for q in range(n)]
    for layer in range(layers):
        ops += [Operation(name="rzz", qubits=e, params=(0.3 + 0.1 * layer,)) for e in edges]
        ops += [Operation(name="rx", qubits=(q,), params=(0.7,)) for q in range(n)]
    return Circuit(num_qubits=n, operations=ops)


def _without_reordering():
    """The planner as it was: the reordered plan is the circuit itself (never cheaper)."""
    def same(circuit, assignment, cover):
        return PacketOrder(circuit=circuit, order=tuple(range(len(circuit.operations))),
                           cover=frozenset(cover), packets=0)
    return mock.patch.object(planner_module, "group_packets", same)


def _check_program(circuit: Circuit, cluster: Cluster, assignment, protocols="telegate") -> int:
    """Lower, check the program against the monolithic state, claimed == consumed pairs."""
    prog = lower(circuit, cluster, assignment, protocols=protocols)
    assert count_bell_pairs(circuit, cluster, assignment, protocols=protocols)[0] == prog.num_bell_pairs
    cost = plan_cost(circuit, cluster, assignment, protocols=protocols)
    again = lower(circuit, cluster, assignment, protocols=cost.protocols, plan=cost.plan)
    assert again.num_bell_pairs == cost.bell_pairs
    assert sum(len(p.bell_pairs) for p in prog.packets) + sum(len(t.bell_pairs) for t in prog.teleports) \
        == prog.num_bell_pairs
    ex = prog.explicit_circuit()
    got = simulate(ex.circuit, keep_clbits=ex.num_user_clbits)
    want = simulate(circuit)
    n = circuit.num_qubits
    np.testing.assert_allclose(got.density_matrix(range(n)), want.density_matrix(), atol=1e-9)
    gp, wp = got.probabilities(), want.probabilities()
    for key in set(gp) | set(wp):
        assert abs(gp.get(key, 0.0) - wp.get(key, 0.0)) < 1e-9, key
    return prog.num_bell_pairs


def test_interleaved_packets_cost_as_with_unlimited_communication_qubits():
    # A random graph on 6 qubits (3 per QPU), its edges in a random order.
    edges = [(1, 2), (3, 4), (4, 0), (2, 3), (5, 1), (0, 3), (5, 2), (0, 5), (4, 1)]
    c = _cost_layers(6, edges)
    where = ("qpu0",) * 3 + ("qpu1",) * 3
    costs = {}
    for comm in (1, 2, 6):
        cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, comm_qubits_per_qpu=comm)
        costs[comm] = _check_program(c, cluster, where)
        with _without_reordering():
            before = count_bell_pairs(c, cluster, where)[0]
        assert costs[comm] <= before
    assert costs == {1: 3, 2: 3, 6: 3}
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, comm_qubits_per_qpu=1)
    with _without_reordering():
        assert count_bell_pairs(c, cluster, where)[0] == 6  # the planner's order needs 3 more pairs
    prog = lower(c, cluster, where)
    assert prog.circuit != canonicalize(c)  # the program runs the reordered circuit


@st.composite
def planned(draw):
    """A small circuit rich in commuting gates, a homogeneous cluster with 1-2 comm qubits, a placement."""
    circuit = draw(mixed_circuits(max_qubits=5, max_ops=12, measured=draw(st.booleans())))
    n = circuit.num_qubits
    # A block of commuting diagonal gates in a random order (a QAOA cost layer), somewhere.
    block = []
    for _ in range(draw(st.integers(6, 16))):
        name = draw(st.sampled_from(["cp", "rzz", "cz"]))
        params = () if name == "cz" else (draw(ANGLE),)
        block.append(Operation(name=name, qubits=tuple(draw(st.permutations(range(n)))[:2]), params=params))
    at = draw(st.integers(0, len(circuit.operations)))
    circuit = circuit.with_operations(list(circuit.operations[:at]) + block + list(circuit.operations[at:]))
    k = draw(st.integers(2, 3))
    topology = draw(st.sampled_from(["all-to-all", "line"]))
    cluster = Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=n, topology=topology,
                                  comm_qubits_per_qpu=draw(st.sampled_from([1, 1, 2])) + (topology == "line"))
    order = draw(st.permutations(range(n)))  # balanced: remote gates are what this is about
    where = tuple(cluster.qpu_names[order.index(q) % k] for q in range(n))
    return circuit, cluster, where


@settings(max_examples=80, deadline=None)
@given(planned(), st.sampled_from(["telegate", "auto"]))
def test_planner_with_reordering_is_exact_and_never_worse(case, protocols):
    circuit, cluster, where = case
    pairs = _check_program(circuit, cluster, where, protocols=protocols)
    with _without_reordering():
        before = count_bell_pairs(circuit, cluster, where, protocols=protocols)[0]
    assert pairs <= before


def test_qiskit_qaoa_16_costs_the_unlimited_plan_with_one_or_two_communication_qubits(tmp_path):
    # qaoa_ansatz of a G(16, 0.5) graph (seed 1) in {u, cp}, through the CLI on 2 QPUs of 9 qubits.
    nx = pytest.importorskip("networkx")
    pytest.importorskip("qiskit")
    from qiskit import qasm2, transpile
    from qiskit.circuit.library import qaoa_ansatz
    from qiskit.quantum_info import SparsePauliOp

    from qiskit_welinq.cli import main as welinq
    from qiskit_welinq.convert import circuit_from_qiskit

    graph = nx.gnp_random_graph(16, 0.5, seed=1)
    cost = SparsePauliOp.from_sparse_list([("ZZ", [a, b], 1.0) for a, b in graph.edges], num_qubits=16)
    qc = qaoa_ansatz(cost, reps=1)
    qc = transpile(qc.assign_parameters([0.4, 0.7]), basis_gates=["u", "cp", "cx"], optimization_level=0)
    path = tmp_path / "qaoa16.qasm"
    path.write_text(qasm2.dumps(qc))
    out = {}
    for comm in (1, 2):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert welinq(["partition", str(path), "--qpus", "2", "--qubits-per-qpu", "9", "--seed", "1",
                           "--json", "--quiet", "--comm-qubits", str(comm)]) == 0
        out[comm] = json.loads(buf.getvalue())
    assert out[1]["bell_pairs"] == out[2]["bell_pairs"] == 6
    # On one assignment, the plan with 1 or 2 communication qubits costs the unlimited plan.
    ir = circuit_from_qiskit(qc)
    costs = [count_bell_pairs(ir, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=9, comm_qubits_per_qpu=c),
                              out[2]["assignment"])[0] for c in (1, 2, 16)]
    assert costs == [6, 6, 6]
