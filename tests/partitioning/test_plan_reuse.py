"""The partitioner's plan is lowered as it is: same program, same numbers, planned once."""

from __future__ import annotations

import pytest
from _helpers import random_circuit, random_cluster
from hypothesis import given, settings
from hypothesis import strategies as st

from welinq_core.circuit import Circuit, Operation
from welinq_core.cluster import Cluster, Link
from welinq_core.lowering import canonicalize, lower
from welinq_core.lowering.packets import packet_index, segments
from welinq_core.partitioning import partition_and_plan, partition_circuit
from welinq_core.partitioning.cost import plan_cost
from welinq_core.partitioning.partitioner import _unbeatable
from welinq_core.pipeline import compile_program


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 9), comm=st.sampled_from([None, 2, 8]),
       method=st.sampled_from(["hypergraph", "greedy-fm"]),
       protocols=st.sampled_from(["auto", "telegate", "telegate,teledata"]))
def test_lowering_the_partitioners_plan_gives_the_program_lower_plans(seed, n, comm, method, protocols):
    circuit = random_circuit(n, 30, seed, measure=seed % 2 == 0)
    cluster = random_cluster(seed, n, comm=comm)
    p, plan = partition_and_plan(circuit, cluster, seed=seed, method=method, protocols=protocols)
    assert plan is not None and plan.finished
    again = partition_circuit(circuit, cluster, seed=seed, method=method, protocols=protocols)
    assert (p.assignment, p.bell_pairs, p.protocols, p.infidelity) == (
        again.assignment, again.bell_pairs, again.protocols, again.infidelity)
    fresh = lower(circuit, cluster, p.assignment, protocols=p.protocols)
    reused = lower(circuit, cluster, p.assignment, protocols=p.protocols, plan=plan)
    assert reused == fresh
    assert reused.num_bell_pairs == p.bell_pairs


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 8), comm=st.sampled_from([None, 2, 8]))
def test_stopping_at_the_lower_bound_changes_no_cost(seed, n, comm):
    circuit = random_circuit(n, 24, seed)
    cluster = random_cluster(seed, n, comm=comm)
    p = partition_circuit(circuit, cluster, seed=seed)
    bound = _unbeatable(circuit, cluster)
    for assignment in (p.assignment, tuple(reversed(p.assignment))):
        if any(assignment.count(q.name) > q.num_data_qubits for q in cluster.qpus):
            continue
        full = plan_cost(circuit, cluster, assignment)
        short = plan_cost(circuit, cluster, assignment, unbeatable=bound)
        assert (short.bell_pairs, short.nonlocal_gates, short.infidelity, short.protocols) == (
            full.bell_pairs, full.nonlocal_gates, full.infidelity, full.protocols)


def test_chain_on_a_line_plans_one_protocol_set():
    """GHZ along a line meets the bound with TeleGate: the other sets are not planned, same cost."""
    n, k = 12, 4
    ghz = Circuit(num_qubits=n, operations=[Operation(name="h", qubits=(0,))]
                  + [Operation(name="cx", qubits=(i, i + 1)) for i in range(n - 1)])
    line = Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=n // k, topology="line",
                               link=Link(bell_pair_fidelity=0.97))
    assignment = tuple(f"qpu{q // (n // k)}" for q in range(n))
    bound = _unbeatable(ghz, line)
    short = plan_cost(ghz, line, assignment, unbeatable=bound)
    full = plan_cost(ghz, line, assignment)
    assert short == full and short.bell_pairs == k - 1 == bound.bell_pairs
    assert short.protocols == ("telegate",)


def test_a_plan_of_other_inputs_is_not_used():
    circuit = random_circuit(6, 30, 3)
    cluster = random_cluster(3, 6, comm=8)
    p, plan = partition_and_plan(circuit, cluster, seed=3)
    other = tuple(reversed(p.assignment))
    if any(other.count(q.name) > q.num_data_qubits for q in cluster.qpus):
        pytest.skip("reversed placement does not fit")
    assert lower(circuit, cluster, other, protocols=p.protocols, plan=plan) == lower(
        circuit, cluster, other, protocols=p.protocols)
    wrong_protocols = ("telegate", "teledata") if p.protocols == ("telegate",) else ("telegate",)
    got = lower(circuit, cluster, p.assignment, protocols=wrong_protocols, plan=plan)
    assert got.protocols == wrong_protocols


def test_compile_program_lowers_the_partitioners_plan_with_the_same_result():
    circuit = random_circuit(7, 40, 11, measure=True)
    cluster = random_cluster(11, 7, comm=2)
    compiled = compile_program(circuit, cluster, seed=5)
    p = partition_circuit(circuit, cluster, seed=5)
    assert compiled.program == lower(circuit, cluster, p.assignment, protocols=p.protocols)
    given_assignment = compile_program(circuit, cluster, seed=5, assignment=p.assignment)
    assert given_assignment.program == compiled.program


def test_packet_index_is_computed_once_per_circuit():
    c = canonicalize(random_circuit(5, 20, 1))
    index = packet_index(c)
    assert packet_index(c) is index
    assert index.segments == segments(c)
    for q, ops in index.timeline.items():
        assert ops == [i for i, op in enumerate(c.operations) if q in op.qubits]
