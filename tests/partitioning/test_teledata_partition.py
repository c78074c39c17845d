"""The partitioner with TeleData: claimed pairs = consumed pairs, never worse than TeleGate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from welinq_core import Cluster, lower, partition_circuit
from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import InsufficientQubitsError, OptionsError
from welinq_core.lowering.planner import AUTO_SETS
from welinq_core.pipeline import compile_program
from welinq_core.reference import simulate
from tests.strategies import clusters_for, unitary_circuits


@given(data=st.data(), circuit=unitary_circuits(max_qubits=7, max_ops=24))
@settings(max_examples=30, deadline=None)
def test_claimed_pairs_are_consumed_and_auto_never_worse_than_telegate(data, circuit):
    cluster = data.draw(clusters_for(circuit.num_qubits))
    seed = data.draw(st.integers(0, 3))
    auto = partition_circuit(circuit, cluster, seed=seed)  # protocols="auto" is the default
    gate = partition_circuit(circuit, cluster, seed=seed, protocols="telegate")
    both = partition_circuit(circuit, cluster, seed=seed, protocols=("telegate", "teledata"))
    assert auto.protocols in AUTO_SETS and gate.protocols == ("telegate",)
    assert both.protocols == ("telegate", "teledata")
    for p in (auto, gate, both):
        assert lower(circuit, cluster, p.assignment, protocols=p.protocols).num_bell_pairs == p.bell_pairs
    assert auto.bell_pairs <= gate.bell_pairs


def _blocks(n: int, layers: int) -> Circuit:
    """QV-like: each layer pairs qubits (i, i + layer + 1) with cx-ry-cx-ry-cx blocks."""
    ops = []
    for layer in range(layers):
        for a in range(0, n, 2):
            b = (a + 2 * layer + 1) % n
            for g in range(3):
                ops.append(Operation(name="cx", qubits=(a, b) if g % 2 == 0 else (b, a)))
                ops.append(Operation(name="ry", qubits=(a,), params=(0.3 + g,)))
                ops.append(Operation(name="ry", qubits=(b,), params=(0.7 + g,)))
    return Circuit(num_qubits=n, operations=ops)


def test_teledata_cuts_pairs_on_dense_block_circuits_and_runs_end_to_end():
    c = _blocks(8, 4)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=5)
    gate = partition_circuit(c, cluster, seed=1, protocols="telegate")
    tele = partition_circuit(c, cluster, seed=1, protocols="telegate,teledata")
    assert partition_circuit(c, cluster, seed=1).bell_pairs == tele.bell_pairs  # auto picks TeleData here
    assert tele.protocols == ("telegate", "teledata") and tele.bell_pairs < gate.bell_pairs
    compiled = compile_program(c, cluster, seed=1, protocols=("telegate", "teledata"))
    assert compiled.program.teleports and compiled.program.num_bell_pairs == compiled.partition.bell_pairs
    fixed = compile_program(c, cluster, assignment=tele.assignment, protocols=("telegate", "teledata"))
    assert fixed.partition.bell_pairs == fixed.program.num_bell_pairs


def test_auto_takes_teledata_alone_when_it_is_cheapest_and_stays_exact():
    c = _blocks(6, 4)
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=4)
    auto = partition_circuit(c, cluster, seed=1)
    both = partition_circuit(c, cluster, seed=1, protocols="telegate,teledata")
    assert auto.protocols == ("teledata",) and auto.bell_pairs < both.bell_pairs
    program = lower(c, cluster, auto.assignment, protocols=auto.protocols)
    assert program.num_bell_pairs == auto.bell_pairs and program.packets == () and program.teleports
    assert lower(c, cluster, auto.assignment, protocols="auto").num_bell_pairs == auto.bell_pairs
    explicit = program.explicit_circuit()  # ideal links: the distributed run is the monolithic state
    got = simulate(explicit.circuit, keep_clbits=explicit.num_user_clbits).density_matrix(range(c.num_qubits))
    np.testing.assert_allclose(got, simulate(c).density_matrix(), atol=1e-9)


def test_auto_leaves_out_teledata_alone_when_no_qpu_has_a_free_slot():
    c = _blocks(4, 2)
    full = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    p = partition_circuit(c, full, seed=1)
    assert p.protocols != ("teledata",) and p.bell_pairs > 0
    assert lower(c, full, p.assignment, protocols="auto").num_bell_pairs == p.bell_pairs
    with pytest.raises(InsufficientQubitsError):
        lower(c, full, p.assignment, protocols=("teledata",))


def test_unknown_protocol_is_an_options_error():
    c = _blocks(4, 1)
    with pytest.raises(OptionsError, match="telegate"):
        partition_circuit(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3), protocols=("epr",))
