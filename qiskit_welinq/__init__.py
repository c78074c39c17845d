"""qiskit_welinq: run Qiskit circuits on a virtual networked cluster of QPUs.

Examples:
    >>> from qiskit_welinq import ClusterBackend
    >>> ClusterBackend("ideal").num_qubits
    16
"""

from qiskit_welinq.backend import ClusterBackend, target_from_cluster
from qiskit_welinq.convert import BASIS_GATES, circuit_from_qiskit, circuit_to_qiskit
from qiskit_welinq.job import ClusterJob
from qiskit_welinq.sweep import sweep

__all__ = [
    "BASIS_GATES",
    "ClusterBackend",
    "ClusterJob",
    "circuit_from_qiskit",
    "circuit_to_qiskit",
    "sweep",
    "target_from_cluster",
]
