"""Placing qubits on QPUs and choosing the remote-operation protocols.

:func:`partition_circuit` is the entry point: it returns a :class:`Partition`
whose ``bell_pairs`` is exactly what :func:`welinq_core.lowering.lower` consumes
for its assignment and protocols.

Modules: :mod:`.placement` (the entry point and the :class:`Partition` result),
:mod:`.greedy` (the baseline placement), :mod:`.hypergraph` (the packet
hypergraph), :mod:`.refine` (FM refinement), :mod:`.partitioner` (KaHyPar/FM
candidates scored on the true cost), :mod:`.cost` (that true cost).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
    >>> partition_circuit(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), seed=0).bell_pairs
    0
"""

from welinq_core.partitioning.placement import (
    METHODS,
    Partition,
    assignment_from_dict,
    interaction_graph,
    partition_and_plan,
    partition_circuit,
)

__all__ = ["METHODS", "Partition", "assignment_from_dict", "interaction_graph", "partition_and_plan",
           "partition_circuit"]
