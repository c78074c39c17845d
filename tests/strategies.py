"""Hypothesis strategies for clusters, circuits and assignments."""

from __future__ import annotations

from hypothesis import strategies as st

from welinq_core import gates
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import TOPOLOGIES, Cluster

ONE_QUBIT = [g for g in gates.supported_gates() if gates.spec(g).num_qubits == 1]
TWO_QUBIT = [g for g in gates.supported_gates() if gates.spec(g).num_qubits == 2]
ANGLE = st.floats(min_value=-3.2, max_value=3.2, allow_nan=False, allow_infinity=False)


@st.composite
def operations(draw, num_qubits: int, num_clbits: int = 0, allow_conditions: bool = False):
    name = draw(st.sampled_from(ONE_QUBIT + TWO_QUBIT * 2 if num_qubits > 1 else ONE_QUBIT))
    spec = gates.spec(name)
    qubits = tuple(draw(st.permutations(range(num_qubits)))[: spec.num_qubits])
    params = tuple(draw(ANGLE) for _ in range(spec.num_params))
    condition = None
    if allow_conditions and num_clbits and draw(st.booleans()):
        condition = Condition(clbits=(draw(st.integers(0, num_clbits - 1)),), value=draw(st.integers(0, 1)))
    return Operation(name=name, qubits=qubits, params=params, condition=condition)


@st.composite
def unitary_circuits(draw, min_qubits: int = 2, max_qubits: int = 6, max_ops: int = 14):
    n = draw(st.integers(min_qubits, max_qubits))
    ops = draw(st.lists(operations(n), min_size=1, max_size=max_ops))
    return Circuit(num_qubits=n, operations=ops)


@st.composite
def dynamic_circuits(draw, min_qubits: int = 2, max_qubits: int = 5, max_ops: int = 12):
    """Circuits with mid-circuit measurements, resets, classical conditions and final measurements."""
    n = draw(st.integers(min_qubits, max_qubits))
    ops: list[Operation] = []
    for _ in range(draw(st.integers(1, max_ops))):
        kind = draw(st.sampled_from(["gate"] * 6 + ["measure", "reset"]))
        if kind == "gate":
            ops.append(draw(operations(n, num_clbits=n, allow_conditions=True)))
        elif kind == "measure":
            q = draw(st.integers(0, n - 1))
            ops.append(Operation(name="measure", qubits=(q,), clbits=(q,)))
        else:
            ops.append(Operation(name="reset", qubits=(draw(st.integers(0, n - 1)),)))
    ops += [Operation(name="measure", qubits=(q,), clbits=(q,)) for q in range(n)]
    return Circuit(num_qubits=n, num_clbits=n, operations=ops)


@st.composite
def clusters_for(draw, num_qubits: int, max_qpus: int = 4):
    k = draw(st.integers(2, max_qpus))
    per = max(1, -(-num_qubits // k)) + draw(st.integers(0, 1))
    topology = draw(st.sampled_from(TOPOLOGIES))
    return Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=per, topology=topology)


@st.composite
def assignments_for(draw, num_qubits: int, cluster: Cluster):
    """A random capacity-respecting assignment of ``num_qubits`` qubits."""
    slots = [q.name for q in cluster.qpus for _ in range(q.num_data_qubits)]
    order = draw(st.permutations(slots))
    return tuple(order[:num_qubits])
