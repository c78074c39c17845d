"""TeleData under noise: the effective rendering (a single-qubit Pauli channel on the
teleported qubit, physics.md 2.7) equals the explicit teleportation, to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _dm import data_dm
from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import QPU, Cluster, Link
from welinq_core.lowering import canonicalize, lower
from welinq_core.noise import add_noise
from welinq_core.physics import QuantumMemory
from welinq_core.reference import simulate

GATES_1Q = [("h", 0), ("t", 0), ("rz", 1), ("ry", 1), ("sx", 0)]
GATES_2Q = [("cx", 0), ("cz", 0), ("cp", 1), ("rzz", 1)]


def _bds(draw):
    w = [draw(st.floats(0.0, 1.0)) for _ in range(4)]
    w[0] += 2.0
    s = sum(w)
    return tuple(x / s for x in w)


def _noisy_cluster(nq: int, n: int, topology: str) -> Cluster:
    qpu = QPU(name="t", num_data_qubits=n, single_qubit_gate_error=0.01, two_qubit_gate_error=0.03,
              readout_error=0.02, t1_s=2e-4, t2_s=1e-4)
    link = Link(bell_pair_fidelity=0.9, bell_pair_probabilities=(0.9, 0.05, 0.03, 0.02), length_km=2.0,
                memory=QuantumMemory.depolarizing(time_s=1e-3))
    return Cluster.homogeneous(num_qpus=nq, data_qubits_per_qpu=n, topology=topology, link=link, qpu=qpu)


@st.composite
def teledata_programs(draw, noisy: bool):
    n = 2 if noisy else draw(st.integers(2, 3))  # the density-matrix check grows fast with records
    nq = draw(st.integers(2, 3))
    ops = [Operation(name="ry", qubits=(q,), params=(0.3 + 0.7 * q,)) for q in range(n)]
    for _ in range(draw(st.integers(2, 5 if noisy else 7))):
        if draw(st.booleans()):
            name, k = draw(st.sampled_from(GATES_1Q))
            ops.append(Operation(name=name, qubits=(draw(st.integers(0, n - 1)),),
                                 params=tuple(draw(st.floats(-3, 3)) for _ in range(k))))
        else:
            name, k = draw(st.sampled_from(GATES_2Q))
            a = draw(st.integers(0, n - 1))
            b = draw(st.integers(0, n - 2))
            b = b + 1 if b >= a else b
            ops.append(Operation(name=name, qubits=(a, b), params=tuple(draw(st.floats(-3, 3)) for _ in range(k))))
    topology = draw(st.sampled_from(["line", "all-to-all"]))
    cluster = (_noisy_cluster(nq, n, topology) if noisy
               else Cluster.homogeneous(num_qpus=nq, data_qubits_per_qpu=n, topology=topology))
    names = list(cluster.qpu_names)
    assignment = tuple(names[draw(st.integers(0, nq - 1))] for _ in range(n))
    # at least one teleport, at a random point, to a random other QPU (every QPU has room for all n);
    # moves index the canonical circuit (cancelled gates leave it shorter than ``ops``)
    moves: dict[int, list[tuple[int, str]]] = {}
    where = list(assignment)
    num_canonical = len(canonicalize(Circuit(num_qubits=n, operations=ops)).operations)
    for _ in range(draw(st.integers(1, 2 if noisy else 3))):
        i = draw(st.integers(0, num_canonical - 1))
        q = draw(st.integers(0, n - 1))
        target = draw(st.sampled_from([x for x in names if x != where[q]]))
        moves.setdefault(i, []).append((q, target))
    circuit = Circuit(num_qubits=n, operations=ops)
    prog = lower(circuit, cluster, assignment, moves=dict(sorted(moves.items())))
    states = [_bds(draw) for _ in range(prog.num_bell_pairs)]
    return prog, states


@given(teledata_programs(noisy=False))
@settings(max_examples=25, deadline=None)
def test_teleport_effective_equals_explicit_with_random_bell_diagonal_pairs(case):
    prog, states = case
    assert prog.teleports
    n = prog.circuit.num_qubits
    ex = add_noise(prog, mode="explicit", pair_states=states)
    ef = add_noise(prog, mode="effective", pair_states=states)
    assert ef.summary["effective_exact"] is True
    a = simulate(ex.circuit, keep_clbits=0).density_matrix(range(n))
    b = simulate(ef.circuit, keep_clbits=0).density_matrix(range(n))
    assert np.abs(a - b).max() < 1e-9


@given(teledata_programs(noisy=True), st.booleans())
@settings(max_examples=15, deadline=None)
def test_teleport_effective_equals_explicit_with_local_and_idle_noise(case, scheduler_idle):
    prog, states = case
    n = prog.circuit.num_qubits
    idle = None
    if scheduler_idle:
        idle = [(s, q, 1e-5 * (1 + s % 3)) for s in range(len(prog.steps)) for q in range(n) if (s + q) % 2]
    ex = add_noise(prog, mode="explicit", pair_states=states, idle_durations=idle)
    ef = add_noise(prog, mode="effective", pair_states=states, idle_durations=idle)
    a = data_dm(ex.circuit, n)
    b = data_dm(ef.circuit, n)
    assert abs(np.trace(a) - 1) < 1e-9
    assert np.abs(a - b).max() < 1e-9


def test_teleport_of_one_qubit_is_the_pairs_pauli_channel():
    c = Circuit(num_qubits=1, operations=[Operation(name="ry", qubits=(0,), params=(0.7,))])
    prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0",), moves={0: [(0, "qpu1")]})
    pair = (0.91, 0.04, 0.03, 0.02)
    ef = add_noise(prog, mode="effective", pair_states=[pair])
    assert [op.name for op in ef.circuit] == ["pauli_channel", "ry"]
    assert dict(ef.circuit.operations[0].pauli_terms) == pytest.approx({"I": 0.91, "X": 0.04, "Y": 0.03, "Z": 0.02})
    assert ef.summary["pairs"][0]["packet"] is None
