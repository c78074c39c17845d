"""The planner's exact packet cover: minimal, and the lowered program stays equivalent."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
from _helpers import assert_lowering_equivalent, qft, random_circuit, random_cluster

from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import Cluster
from welinq_core.lowering import count_bell_pairs, lower
from welinq_core.lowering.packets import koenig_cover as _koenig_cover


@pytest.mark.parametrize("seed", range(40))
def test_koenig_cover_is_a_minimum_vertex_cover(seed):
    r = random.Random(seed)
    adj: dict = {}
    for _ in range(r.randint(1, 30)):
        adj.setdefault(("l", r.randrange(8)), []).append(("r", r.randrange(8)))
    cover = _koenig_cover({k: list(v) for k, v in adj.items()})
    assert all(u in cover or v in cover for u in adj for v in adj[u])
    g = nx.Graph([(u, v) for u in adj for v in adj[u]])
    matching = nx.bipartite.hopcroft_karp_matching(g, set(adj))
    assert len(cover) == len(matching) // 2


def test_cover_serves_a_star_of_cz_from_the_hub():
    # Hub 0 on qpu0 talks to 3 qubits on qpu1: one copy of 0 beats three copies.
    c = Circuit(num_qubits=4, operations=[Operation(name="cz", qubits=(q, 0)) for q in (1, 2, 3)])
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, comm_qubits_per_qpu=4)
    prog = lower(c, cluster, ("qpu0", "qpu1", "qpu1", "qpu1"))
    assert prog.num_bell_pairs == 1
    assert [p.control for p in prog.packets] == [0]


def test_qft16_contiguous_halves_cost_eight_pairs():
    # The cut gates form K_{8,8} between pre-H segments of 8..15 and post-H segments of
    # 0..7, whose minimum cover has 8 copies (one per qubit of either half).
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=9, comm_qubits_per_qpu=16)
    assignment = tuple("qpu0" if q < 8 else "qpu1" for q in range(16))
    assert count_bell_pairs(qft(16), cluster, assignment)[0] == 8


@pytest.mark.parametrize("seed", range(14))
def test_lowered_program_equals_input_exactly(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 5))
    circuit = random_circuit(n, 14, seed, measure=seed % 3 == 0)
    cluster = random_cluster(seed, n, comm=None if seed % 2 else 3)
    names = [q.name for q in cluster.qpus for _ in range(q.num_data_qubits)]
    assignment = tuple(rng.permutation(names)[:n])
    assert_lowering_equivalent(circuit, cluster, assignment)


def test_transpiled_phase_gates_do_not_break_a_packet():
    # u(0, 0, l) is p(l): a copy of 0 on qpu1 serves both cp gates across it.
    ops = [Operation(name="cp", qubits=(0, 1), params=(0.3,)),
           Operation(name="u", qubits=(0,), params=(0.0, 0.0, 0.7)),
           Operation(name="cp", qubits=(0, 2), params=(0.5,)),
           Operation(name="u", qubits=(0,), params=(2 * np.pi, 0.1, 0.2)),
           Operation(name="cx", qubits=(0, 1))]
    c = Circuit(num_qubits=3, operations=ops)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, comm_qubits_per_qpu=2)
    assignment = ("qpu0", "qpu1", "qpu1")
    assert lower(c, cluster, assignment).num_bell_pairs == 1
    assert_lowering_equivalent(c, cluster, assignment)
    broken = c.with_operations(ops[:1] + [Operation(name="u", qubits=(0,), params=(0.1, 0.0, 0.7))] + ops[2:])
    assert lower(broken, cluster, assignment).num_bell_pairs == 2


def test_bursts_are_served_by_the_copy_they_use_now_when_communication_qubits_run_out():
    # Rows then columns of controlled phases between A = {0..3} on qpu0 and B = {4..8} on
    # qpu1. With room for every copy, four copies of A serve everything. With one
    # communication qubit per QPU, serving the rows from copies of B (one burst each) and
    # the columns from copies of A costs about 9 pairs; the minimum cover alone (or the
    # short-lived one) reopens copies of A for most row gates (19 pairs).
    a_side, b_side = range(4), range(4, 9)
    ops = [Operation(name="cp", qubits=(j, k), params=(0.1 * (j + k),)) for j in b_side for k in a_side]
    ops += [Operation(name="cp", qubits=(j, k), params=(0.2 * (j - k),)) for k in a_side for j in b_side]
    circuit = Circuit(num_qubits=9, operations=ops)
    assignment = ("qpu0",) * 4 + ("qpu1",) * 5
    roomy = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=5, comm_qubits_per_qpu=8)
    tight = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=5, comm_qubits_per_qpu=1)
    assert count_bell_pairs(circuit, roomy, assignment)[0] == 4
    program = lower(circuit, tight, assignment)
    assert program.num_bell_pairs == count_bell_pairs(circuit, tight, assignment)[0] <= 12
    assert_lowering_equivalent(circuit, tight, assignment)
