"""cirq_welinq: run Cirq circuits on a virtual networked cluster of QPUs.

Swap ``cirq.Simulator()`` for ``ClusterSimulator(cluster)`` and a Cirq program
runs as if its qubits were spread over the cluster's QPUs, every gate between
QPUs carried out with Bell pairs. ``ClusterDevice`` describes the cluster as a
``cirq.Device``; ``circuit_from_cirq`` and ``circuit_to_cirq`` convert to and
from the framework-neutral IR of ``welinq_core``.

Examples:
    >>> import cirq, cirq_welinq
    >>> from welinq_core import Cluster
    >>> a, b = cirq.LineQubit.range(2)
    >>> bell = cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.measure(a, b, key="m"))
    >>> sim = cirq_welinq.ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), seed=3)
    >>> sorted(sim.run(bell, repetitions=20).histogram(key="m"))
    [0, 3]
"""

from typing import Any

from cirq_welinq.convert import MeasurementRecord, circuit_from_cirq, circuit_to_cirq
from cirq_welinq.device import ClusterDevice, ClusterDeviceMetadata
from cirq_welinq.simulator import ClusterSimulator
from welinq_core._version import __version__

__all__ = [
    "ClusterDevice",
    "ClusterDeviceMetadata",
    "ClusterSimulator",
    "__version__",
    "MeasurementRecord",
    "circuit_from_cirq",
    "circuit_to_cirq",
    "json_resolver",
]


def json_resolver(cirq_type: str) -> Any:
    """Resolve cirq_welinq types for ``cirq.read_json(..., resolvers=[json_resolver, *cirq.DEFAULT_RESOLVERS])``.

    Examples:
        >>> json_resolver("cirq_welinq.ClusterDevice") is ClusterDevice
        True
    """
    return {"cirq_welinq.ClusterDevice": ClusterDevice}.get(cirq_type)
