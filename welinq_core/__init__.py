"""welinq_core: the framework-neutral core of the welinq virtual networked backend.

Cluster model, circuit IR, partitioning, lowering to Bell-pair protocols, link
physics, scheduling and noise. Imports only the standard library, numpy and
networkx; never Qiskit or Cirq.

Examples:
    >>> import welinq_core as wc
    >>> cluster = wc.Cluster.preset("ideal")
    >>> cluster.num_qpus, cluster.num_data_qubits
    (2, 16)
"""

from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import MODALITIES, QPU, TOPOLOGIES, Cluster, Link
from welinq_core.errors import (
    CircuitError,
    ClusterSpecError,
    CommunicationQubitError,
    InfeasibleError,
    InsufficientQubitsError,
    NoRouteError,
    OptionsError,
    PhysicsParameterError,
    SimulationTooLargeError,
    UnboundParameterError,
    UnsupportedGateError,
    WelinqError,
)
from welinq_core.lowering import BellPairUse, DistributedProgram, Packet, count_bell_pairs, lower
from welinq_core.partitioning import Partition, partition_circuit
from welinq_core.codes import LogicalEncoding
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.memory import QuantumMemory
from welinq_core.pipeline import CompiledProgram, compile_program
from welinq_core.report import Report
from welinq_core.schedule import Schedule, schedule

from welinq_core._version import __version__

__all__ = [
    "BellPair",
    "BellPairUse",
    "CompiledProgram",
    "LogicalEncoding",
    "Report",
    "Schedule",
    "compile_program",
    "schedule",
    "Circuit",
    "CircuitError",
    "Cluster",
    "ClusterSpecError",
    "CommunicationQubitError",
    "Condition",
    "DistributedProgram",
    "InfeasibleError",
    "InsufficientQubitsError",
    "Link",
    "MODALITIES",
    "NoRouteError",
    "Operation",
    "OptionsError",
    "Packet",
    "Partition",
    "PhysicsParameterError",
    "QPU",
    "QuantumMemory",
    "SimulationTooLargeError",
    "TOPOLOGIES",
    "UnboundParameterError",
    "UnsupportedGateError",
    "WelinqError",
    "count_bell_pairs",
    "lower",
    "partition_circuit",
]
