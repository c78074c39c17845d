"""Moving a qubit while its linked copies stay open, and through one of them (no pair).

A qubit with open linked copies is in a cat state with them. Teleporting it keeps
the copies valid; and when it has a copy on the destination, measuring it in the X
basis and correcting that copy with Z makes the copy the qubit, for no new pair.
Checked here: exact state vectors against the monolithic circuit, the ledger, and the
W-state chain, which the step brings from 2 pairs to 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.test_teledata import _check_capacity, _check_ledger
from welinq_core import Circuit, Cluster, Operation, lower
from welinq_core.lowering import count_bell_pairs
from welinq_core.reference import simulate
from tests.strategies import assignments_for, dynamic_circuits, unitary_circuits


def _w_state(n: int) -> Circuit:
    """The W-state preparation of QASMBench's ``wstate`` files: a ``cz`` chain between
    ``ry`` pairs, then a ``cx`` chain (both from the last qubit down)."""
    ops = [Operation(name="x", qubits=(n - 1,))]
    for i in range(n - 2, -1, -1):
        theta = math.acos(math.sqrt(1 / (i + 2)))
        ops += [Operation(name="ry", qubits=(i,), params=(-theta,)), Operation(name="cz", qubits=(i + 1, i)),
                Operation(name="ry", qubits=(i,), params=(theta,))]
    ops += [Operation(name="cx", qubits=(i, i + 1)) for i in range(n - 2, -1, -1)]
    return Circuit(num_qubits=n, operations=ops)


def _same_state(circuit: Circuit, program) -> None:
    explicit = _check_ledger(program)
    got = simulate(explicit.circuit, keep_clbits=explicit.num_user_clbits).density_matrix(range(circuit.num_qubits))
    np.testing.assert_allclose(got, simulate(circuit).density_matrix(), atol=1e-9)


def test_w_state_chain_costs_one_pair_through_the_copy():
    n = 6
    circuit = _w_state(n)
    psi = simulate(circuit).density_matrix()
    weight_one = [1 << k for k in range(n)]
    assert np.allclose(np.diag(psi).real[weight_one], 1 / n)  # it is the W state
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4)
    assignment = ("qpu0",) * 3 + ("qpu1",) * 3
    telegate = lower(circuit, cluster, assignment, protocols="telegate")
    program = lower(circuit, cluster, assignment, protocols="auto")
    assert (telegate.num_bell_pairs, program.num_bell_pairs) == (2, 1)
    (tp,) = program.teleports
    assert tp.packet is not None and tp.bell_pairs == () and tp.qubit == 3 and tp.target == "qpu0"
    assert program.final_assignment[3] == "qpu0"
    assert count_bell_pairs(circuit, cluster, assignment, protocols="auto")[0] == 1
    _check_capacity(program)
    _same_state(circuit, program)


def test_copies_stay_open_when_their_qubit_is_teleported():
    # qubit 0 (qpu0) has a copy on qpu1 for its first cz, moves to qpu2, and its copy on
    # qpu1 still serves the second cz: 2 pairs (copy + move), not 3.
    ops = [Operation(name="ry", qubits=(q,), params=(0.4 + q,)) for q in range(2)]
    ops += [Operation(name="cz", qubits=(0, 1)), Operation(name="t", qubits=(0,)), Operation(name="cp", qubits=(1, 0), params=(0.9,))]
    circuit = Circuit(num_qubits=2, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1)
    program = lower(circuit, cluster, ("qpu0", "qpu1"), moves={3: [(0, "qpu2")]})
    assert program.num_bell_pairs == 2 and len(program.packets) == 1 and program.packets[0].num_gates == 2
    assert [s.kind for s in program.steps if s.kind != "local"] == ["open", "remote", "teleport", "remote", "close"]
    _same_state(circuit, program)


def test_a_qubit_that_moved_can_still_move_through_its_copy():
    # qubit 0 copies itself onto qpu1, is teleported to qpu2 (the copy stays), then moves to
    # qpu1 through that copy: its correction bit travels qpu2 -> qpu1, not the packet's route.
    ops = [Operation(name="ry", qubits=(q,), params=(0.4 + q,)) for q in range(2)]
    ops += [Operation(name="cz", qubits=(0, 1)), Operation(name="t", qubits=(0,)),
            Operation(name="ry", qubits=(1,), params=(0.5,)), Operation(name="rz", qubits=(0,), params=(0.3,)),
            Operation(name="cx", qubits=(1, 0))]
    circuit = Circuit(num_qubits=2, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, comm_qubits_per_qpu=3, topology="line")
    program = lower(circuit, cluster, ("qpu0", "qpu1"), moves={3: [(0, "qpu2")], 5: [(0, "qpu1")]})
    first, second = program.teleports
    assert (first.packet, first.route) == (None, ("qpu0", "qpu1", "qpu2"))
    assert (second.packet, second.source, second.route, second.bell_pairs) == (0, "qpu2", ("qpu2", "qpu1"), ())
    assert program.num_bell_pairs == 3  # the copy (1 hop) and the move over 2 hops
    _same_state(circuit, program)


def _moves_through_copies(program, pick: int) -> dict[int, list[tuple[int, str]]]:
    """A forced move of some packet's qubit onto that packet's QPU, at the operation
    where the packet closes (so it is still open there): the move goes through the copy."""
    found = []
    for k, step in enumerate(program.steps):
        if step.kind != "close":
            continue
        nxt = next((s.op for s in program.steps[k + 1 :] if s.op is not None), None)
        if nxt is not None:
            pk = program.packets[step.packet]
            found.append((nxt, pk.control, pk.target))
    if not found:
        return {}
    i, qubit, target = found[pick % len(found)]
    return {i: [(qubit, target)]}


def _roomy(n: int, k: int, topology: str) -> Cluster:
    return Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=n, comm_qubits_per_qpu=2 * n + 2, topology=topology)


@given(data=st.data(), circuit=unitary_circuits(max_qubits=5, max_ops=14), k=st.integers(2, 3),
       topology=st.sampled_from(["line", "all-to-all", "ring"]), pick=st.integers(0, 20))
@settings(max_examples=60, deadline=None)
def test_forced_moves_through_copies_are_exact(data, circuit, k, topology, pick):
    cluster = _roomy(circuit.num_qubits, k, topology)
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    moves = _moves_through_copies(lower(circuit, cluster, assignment), pick)
    program = lower(circuit, cluster, assignment, moves=moves)
    if moves:  # the move goes through the copy: no pair of its own (the ledger check below)
        assert [tp.packet is not None for tp in program.teleports] == [True]
        assert all(use.purpose == "telegate" for use in program.bell_pairs)
    _check_capacity(program)
    _same_state(circuit, program)


@given(data=st.data(), circuit=dynamic_circuits(max_qubits=4, max_ops=10), k=st.integers(2, 3),
       pick=st.integers(0, 20))
@settings(max_examples=30, deadline=None)
def test_forced_moves_through_copies_keep_the_distribution_of_dynamic_circuits(data, circuit, k, pick):
    cluster = _roomy(circuit.num_qubits, k, "all-to-all")
    assignment = data.draw(assignments_for(circuit.num_qubits, cluster))
    program = lower(circuit, cluster, assignment, moves=_moves_through_copies(lower(circuit, cluster, assignment), pick))
    explicit = _check_ledger(program)
    got = simulate(explicit.circuit, keep_clbits=explicit.num_user_clbits).probabilities()
    expected = simulate(circuit).probabilities()
    for key in set(got) | set(expected):
        assert abs(got.get(key, 0.0) - expected.get(key, 0.0)) < 1e-9


def _ladder(n: int, order: list[int], diagonal: list[tuple[str, float]], angles: list[float], flips: list[bool]) -> Circuit:
    """A W-state-like ladder along ``order``: each link gets a diagonal gate between two
    rotations of its lower qubit (the copies), then a ``cx`` chain back along the links (where
    a copy can become its qubit)."""
    ops = [Operation(name="ry", qubits=(q,), params=(0.3 + 0.5 * q,)) for q in range(n)]
    links = list(zip(order, order[1:]))
    for (a, b), (name, theta), phi in zip(links, diagonal, angles):
        ops += [Operation(name="ry", qubits=(b,), params=(-phi,)),
                Operation(name=name, qubits=(a, b), params=(theta,) if name != "cz" else ()),
                Operation(name="ry", qubits=(b,), params=(phi,))]
    for (a, b), flip in zip(links, flips):
        ops.append(Operation(name="cx", qubits=(b, a) if flip else (a, b)))
    return Circuit(num_qubits=n, operations=ops)


@st.composite
def ladder_circuits(draw):
    n = draw(st.integers(3, 5))
    order = draw(st.permutations(range(n)))
    diagonal = [draw(st.sampled_from([("cz", 0.0), ("cp", 0.7), ("crz", -1.2), ("rzz", 0.4)])) for _ in range(n - 1)]
    angles = [draw(st.floats(-3, 3)) for _ in range(n - 1)]
    flips = [draw(st.booleans()) for _ in range(n - 1)]
    return _ladder(n, list(order), diagonal, angles, flips)


@given(data=st.data(), circuit=ladder_circuits(), k=st.integers(2, 3))
@settings(max_examples=60, deadline=None)
def test_planner_with_moves_through_copies_is_exact_and_counts_what_it_consumes(data, circuit, k):
    n = circuit.num_qubits
    cluster = Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=-(-n // k) + 1, comm_qubits_per_qpu=2 * n)
    assignment = data.draw(assignments_for(n, cluster))
    program = lower(circuit, cluster, assignment, protocols=("telegate", "teledata"))
    assert count_bell_pairs(circuit, cluster, assignment, protocols=("telegate", "teledata"))[0] == program.num_bell_pairs
    _check_capacity(program)
    _same_state(circuit, program)


def test_the_planner_moves_through_copies_on_random_ladders():
    """The ladder family above really exercises the step, and never costs more than TeleGate."""
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(40):
        n = 5
        order = [int(x) for x in rng.permutation(n)]
        c = _ladder(n, order, [("cz", 0.0)] * (n - 1), [0.7] * (n - 1), [bool(x) for x in rng.integers(0, 2, n - 1)])
        cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4, comm_qubits_per_qpu=8)
        assignment = tuple(str(x) for x in rng.permutation(["qpu0", "qpu0", "qpu1", "qpu1", "qpu1"]))
        prog = lower(c, cl, assignment, protocols=("telegate", "teledata"))
        hits += any(tp.packet is not None for tp in prog.teleports)
        assert prog.num_bell_pairs <= lower(c, cl, assignment, protocols="telegate").num_bell_pairs
    assert hits >= 3


@pytest.mark.parametrize("timed", [False, True])
def test_vectorised_schedules_of_moves_through_copies_equal_the_event_loop(timed):
    """The shot schedules drawn for a run (vectorised over shots) time a move through a copy
    as the event loop does: X measurement at the source, the bit's latency, Z at the copy."""
    from tests.schedule.test_schedule_batch import _assert_same
    from welinq_core import QPU, Link
    from welinq_core.physics import QuantumMemory
    from welinq_core.schedule import bank_capacities
    from welinq_core.schedule_batch import ShotStreams, simulate_schedules, simulate_schedules_scalar

    qpu = QPU(name="t", num_data_qubits=4, single_qubit_gate_duration_s=1e-5 * timed,
              two_qubit_gate_duration_s=1e-4 * timed, measurement_duration_s=3e-4 * timed)
    link = Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=3e3, length_km=2.0,
                memory=QuantumMemory.depolarizing(time_s=2e-3))
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4, qpu=qpu, link=link)
    program = lower(_w_state(6), cluster, ("qpu0",) * 3 + ("qpu1",) * 3, protocols="auto")
    assert [tp.packet for tp in program.teleports] == [0]
    opts = {"capacities": bank_capacities(cluster, bank=False, bank_capacity=None), "warmup_s": 0.0}
    streams = ShotStreams.draw(program, 40, np.random.default_rng(4))
    _assert_same(simulate_schedules(program, streams, **opts), simulate_schedules_scalar(program, streams, **opts))
