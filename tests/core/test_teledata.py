"""TeleData (state teleportation) in the lowering: exact with ideal links, honest ledger."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from welinq_core import Circuit, Cluster, Operation, lower
from welinq_core.errors import InsufficientQubitsError, OptionsError
from welinq_core.lowering import PROTOCOLS, canonicalize, count_bell_pairs
from welinq_core.reference import simulate
from tests.strategies import assignments_for, clusters_for, dynamic_circuits, unitary_circuits


@st.composite
def forced_moves(draw, circuit: Circuit, cluster: Cluster, assignment):
    """Random feasible teleports ``{op index: [(qubit, qpu)]}`` (a free slot at that time)."""
    where = list(assignment)
    cap = {q.name: q.num_data_qubits for q in cluster.qpus}
    moves: dict[int, list[tuple[int, str]]] = {}
    for i in range(len(canonicalize(circuit).operations)):  # moves index the canonical circuit
        if not draw(st.booleans()):
            continue
        q = draw(st.integers(0, circuit.num_qubits - 1))
        room = [n for n in cluster.qpu_names if n != where[q] and sum(w == n for w in where) < cap[n]]
        if not room:
            continue
        target = draw(st.sampled_from(room))
        moves.setdefault(i, []).append((q, target))
        where[q] = target
    return moves


def _check_capacity(program):
    """No QPU holds more qubits than it has data slots, and no two qubits in use share a slot.

    A qubit holds its slot from its first step on (before it, it has met nothing and may
    start on a slot that another qubit leaves by a teleport)."""
    cap = {q.name: q.num_data_qubits for q in program.cluster.qpus}
    first = program.first_steps()
    slot = list(program.data_slots)
    assert [qpu for qpu, _ in slot] == list(program.assignment)
    for s in range(len(program.steps) + 1):
        used = program.slots_in_use(s)
        for name, c in cap.items():
            assert used[name] <= c
        live = [slot[q] for q in range(len(slot)) if first[q] is not None and first[q] < s]
        assert len(set(live)) == len(live) and all(k < cap[qpu] for qpu, k in live)
        if s < len(program.steps) and program.steps[s].kind == "teleport":
            tp = program.teleports[program.steps[s].teleport]
            slot[tp.qubit] = (tp.target, tp.slot)


def _check_ledger(program):
    explicit = program.explicit_circuit()
    ops = explicit.circuit.operations
    assert program.num_bell_pairs == len(explicit.pair_positions)
    consumers = [i for pk in program.packets for i in pk.bell_pairs] + [i for tp in program.teleports for i in tp.bell_pairs]
    assert sorted(consumers) == list(range(program.num_bell_pairs))  # every pair has exactly one consumer
    for tp in program.teleports:
        assert tp.route[0] == tp.source and tp.route[-1] == tp.target
        if tp.packet is not None:  # through a linked copy: no pair of its own, the packet ends there
            pk = program.packets[tp.packet]
            assert tp.bell_pairs == () and (pk.control, pk.target) == (tp.qubit, tp.target)
            ends = [s for s in program.steps if s.packet == tp.packet and s.kind in ("close", "teleport")]
            assert [(s.kind, s.teleport) for s in ends] == [("teleport", tp.index)]
            continue
        assert len(tp.bell_pairs) == len(tp.route) - 1 >= 1
        for hop, pair in enumerate(tp.bell_pairs):
            use = program.bell_pairs[pair]
            assert use.purpose == "teledata" and use.teleport == tp.index and use.packet is None
            assert use.link == tuple(sorted(tp.route[hop : hop + 2])) and use.hop == hop
    for use in program.bell_pairs:
        if use.purpose == "telegate":
            assert use.teleport is None and use in [program.bell_pairs[i] for i in program.packets[use.packet].bell_pairs]
    for (qa, qb), pos in zip(explicit.pair_qubits, explicit.pair_positions):
        assert ops[pos - 2].name == "h" and ops[pos - 2].qubits == (qa,)
        assert ops[pos - 1].name == "cx" and ops[pos - 1].qubits == (qa, qb)
    return explicit


def _assert_same_state(circuit, program):
    explicit = _check_ledger(program)
    result = simulate(explicit.circuit, keep_clbits=explicit.num_user_clbits)
    expected = simulate(circuit).density_matrix()
    np.testing.assert_allclose(result.density_matrix(range(circuit.num_qubits)), expected, atol=1e-9)


@given(data=st.data(), circuit=unitary_circuits(max_qubits=5, max_ops=12))
@settings(max_examples=60, deadline=None)
def test_forced_teleports_are_exact_on_every_topology(data, circuit):
    cluster = data.draw(clusters_for(circuit.num_qubits))
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    moves = data.draw(forced_moves(circuit, cluster, assignment))
    program = lower(circuit, cluster, assignment, moves=moves)
    assert len(program.teleports) == sum(len(v) for v in moves.values())
    _check_capacity(program)
    _assert_same_state(circuit, program)


@given(data=st.data(), circuit=dynamic_circuits(max_qubits=4, max_ops=10))
@settings(max_examples=40, deadline=None)
def test_forced_teleports_keep_the_output_distribution_of_dynamic_circuits(data, circuit):
    cluster = data.draw(clusters_for(circuit.num_qubits))
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    moves = data.draw(forced_moves(circuit, cluster, assignment))
    program = lower(circuit, cluster, assignment, moves=moves)
    explicit = _check_ledger(program)
    got = simulate(explicit.circuit, keep_clbits=explicit.num_user_clbits).probabilities()
    expected = simulate(circuit).probabilities()
    for key in set(got) | set(expected):
        assert got.get(key, 0.0) == pytest.approx(expected.get(key, 0.0), abs=1e-9)


@given(data=st.data(), circuit=unitary_circuits(max_qubits=6, max_ops=16),
       protocols=st.sampled_from([("telegate", "teledata"), ("teledata",)]))
@settings(max_examples=60, deadline=None)
def test_teledata_planner_is_exact_and_counts_what_it_consumes(data, circuit, protocols):
    program = _lower_on_drawn_cluster(data, circuit, protocols)
    if program is not None and protocols == ("teledata",):
        assert program.packets == ()


def _lower_on_drawn_cluster(data, circuit: Circuit, protocols: tuple[str, ...]):
    """Lower ``circuit`` on a drawn cluster and assignment, check its slots, that the counted
    pairs are the consumed ones and that it prepares the circuit's state; return the program,
    or None when TeleData alone finds no free slot (the only failure allowed)."""
    cluster = data.draw(clusters_for(circuit.num_qubits))
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    try:
        program = lower(circuit, cluster, assignment, protocols=protocols)
    except InsufficientQubitsError:
        assert protocols == ("teledata",)  # no free slot to make a gate local
        return None
    _check_capacity(program)
    assert count_bell_pairs(circuit, cluster, assignment, protocols=protocols)[0] == program.num_bell_pairs
    _assert_same_state(circuit, program)
    return program


def test_a_qubit_that_works_with_the_other_qpu_is_moved_once():
    # qubit 0 does four blocks of cx-ry-cx with qubit 1 on the other QPU: telegate needs a
    # pair per cx (the ry breaks every packet), one teleport makes them all local. Both are
    # in use before (a cz with a neighbour), so the move costs its pair.
    ops = [Operation(name="cz", qubits=(0, 2)), Operation(name="cz", qubits=(1, 3))]
    for _ in range(4):
        ops += [Operation(name="cx", qubits=(0, 1)), Operation(name="ry", qubits=(0,), params=(0.4,)),
                Operation(name="ry", qubits=(1,), params=(0.2,)), Operation(name="cx", qubits=(1, 0))]
    c = Circuit(num_qubits=4, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3)
    assignment = ("qpu0", "qpu1", "qpu0", "qpu1")
    tele = lower(c, cluster, assignment, protocols=("telegate", "teledata"))
    gate = lower(c, cluster, assignment, protocols="telegate")
    assert gate.num_bell_pairs == 8
    assert tele.num_bell_pairs == 1 and len(tele.teleports) == 1 and tele.packets == ()
    assert tele.final_assignment in (("qpu1", "qpu1", "qpu0", "qpu1"), ("qpu0", "qpu0", "qpu0", "qpu1"))
    _check_capacity(tele)
    _assert_same_state(c, tele)


def test_telegate_only_never_teleports():
    ops = [Operation(name="cx", qubits=(0, 1)), Operation(name="h", qubits=(0,))] * 4
    c = Circuit(num_qubits=2, operations=ops)
    program = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), ("qpu0", "qpu1"),
                    protocols="telegate")
    assert program.teleports == () and program.protocols == ("telegate",) and all(u.purpose == "telegate" for u in program.bell_pairs)
    assert program.final_assignment == program.assignment


def test_bad_protocols_and_full_targets_are_refused_with_the_fix():
    c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
    full = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1)
    with pytest.raises(OptionsError, match="teledata"):
        lower(c, full, ("qpu0", "qpu1"), protocols=("teleport",))
    with pytest.raises(OptionsError, match="non-empty"):
        lower(c, full, ("qpu0", "qpu1"), protocols=())
    with pytest.raises(InsufficientQubitsError, match="qpu1"):
        lower(c, full, ("qpu0", "qpu1"), moves={0: [(0, "qpu1")]})
    with pytest.raises(InsufficientQubitsError, match="telegate"):
        lower(c, full, ("qpu0", "qpu1"), protocols=("teledata",))
    assert PROTOCOLS == ("telegate", "teledata")
