"""Shared builders for the schedule tests."""

from __future__ import annotations

import dataclasses

from welinq_core import Circuit, Cluster, Link, Operation, QPU, lower
from welinq_core.lowering import DistributedProgram

TIMED_QPU = QPU(
    name="t", num_data_qubits=2, single_qubit_gate_duration_s=1e-5,
    two_qubit_gate_duration_s=1e-4, measurement_duration_s=3e-4,
)


def ghz_circuit(n: int) -> Circuit:
    ops = [Operation(name="h", qubits=(0,))]
    ops += [Operation(name="cx", qubits=(i, i + 1)) for i in range(n - 1)]
    ops += [Operation(name="measure", qubits=(i,), clbits=(i,)) for i in range(n)]
    return Circuit(num_qubits=n, num_clbits=n, operations=ops)


def line_program(link: Link, *, num_qpus: int = 3, qpu: QPU = TIMED_QPU, per_qpu: int = 2) -> DistributedProgram:
    """GHZ over a line of QPUs, two qubits per QPU (one packet per link)."""
    cluster = Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=per_qpu, topology="line",
                                  qpu=qpu, link=link)
    n = num_qpus * per_qpu
    assignment = tuple(f"qpu{q // per_qpu}" for q in range(n))
    return lower(ghz_circuit(n), cluster, assignment)


def end_to_end_program(link: Link, *, num_qpus: int = 4, qpu: QPU = TIMED_QPU) -> DistributedProgram:
    """One CX between the two ends of a line: one packet swapped over num_qpus - 1 hops."""
    cluster = Cluster.homogeneous(num_qpus=num_qpus, data_qubits_per_qpu=1, topology="line",
                                  qpu=qpu, link=link)
    c = Circuit(num_qubits=2, num_clbits=2, operations=[
        Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
        Operation(name="measure", qubits=(0,), clbits=(0,)), Operation(name="measure", qubits=(1,), clbits=(1,)),
    ])
    return lower(c, cluster, ("qpu0", f"qpu{num_qpus - 1}"))


def draw_timed_cluster(data, num_qubits: int, links: list[Link]) -> Cluster:
    """A hypothesis draw: 2 or 3 timed QPUs (line or all-to-all) that hold ``num_qubits``
    qubits, fast or slow two-qubit gates, one of ``links``."""
    from hypothesis import strategies as st

    k = data.draw(st.integers(2, 3))
    topology = data.draw(st.sampled_from(["line", "all-to-all"]))
    qpu = dataclasses.replace(TIMED_QPU, two_qubit_gate_duration_s=data.draw(st.sampled_from([1e-4, 1e-6])))
    link = data.draw(st.sampled_from(links))
    return Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=-(-num_qubits // k), topology=topology,
                               qpu=qpu, link=link)
