"""``ClusterDevice``: a cluster of QPUs as a ``cirq.Device``.

Qubits are ``cirq.GridQubit(row=qpu_index, col=slot)``: the row says which QPU
holds the qubit (in the cluster's QPU order) and the column is the data-qubit
slot on that QPU. ``GridQubit`` was chosen over ``NamedQubit`` because it sorts
naturally (QPU by QPU), prints compactly, and is what ``cirq.GridDeviceMetadata``
and Cirq's routing tools expect.

Any two data qubits may share a gate: gates between QPUs run through Bell pairs
(and entanglement swapping on routes longer than one link), so validation checks
the qubits and the gate set only, never coupling. The metadata graph still shows
the structure: an edge ``remote=False`` for every pair a QPU couples natively
(its ``coupling``, or every pair), and an edge ``remote=True, hops=k`` for every
pair on two different QPUs ``k`` links apart. The QPU-level network is
:attr:`ClusterDeviceMetadata.network`.

Examples:
    >>> import cirq
    >>> from welinq_core import Cluster
    >>> device = ClusterDevice(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    >>> device.qubits
    (cirq.GridQubit(0, 0), cirq.GridQubit(0, 1), cirq.GridQubit(1, 0), cirq.GridQubit(1, 1))
    >>> device.validate_operation(cirq.CZ(cirq.GridQubit(0, 0), cirq.GridQubit(1, 1)))
    >>> device.qpu_of(cirq.GridQubit(1, 0))
    'qpu1'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import cirq
import networkx as nx

from welinq_core.cluster import Cluster
from welinq_core.errors import CircuitError, UnsupportedGateError

__all__ = ["ClusterDevice", "ClusterDeviceMetadata", "GATESET"]

#: Gate families a :class:`ClusterDevice` accepts directly (each maps onto the core's gates).
GATESET = cirq.Gateset(
    cirq.XPowGate,
    cirq.YPowGate,
    cirq.ZPowGate,
    cirq.HPowGate,
    cirq.PhasedXPowGate,
    cirq.PhasedXZGate,
    cirq.IdentityGate,
    cirq.CZPowGate,
    cirq.CXPowGate,
    cirq.SwapPowGate,
    cirq.ISwapPowGate,
    cirq.ZZPowGate,
    cirq.XXPowGate,
    cirq.YYPowGate,
    cirq.FSimGate,
    cirq.PhasedFSimGate,
    cirq.MatrixGate,
    cirq.ControlledGate,
    cirq.GlobalPhaseGate,
    cirq.MeasurementGate,
    cirq.ResetChannel,
    cirq.DepolarizingChannel,
    cirq.AsymmetricDepolarizingChannel,
    cirq.BitFlipChannel,
    cirq.PhaseFlipChannel,
    cirq.AmplitudeDampingChannel,
    cirq.GeneralizedAmplitudeDampingChannel,
    cirq.PhaseDampingChannel,
    cirq.KrausChannel,
    cirq.MixedUnitaryChannel,
    name="welinq_cluster",
    unroll_circuit_op=True,
)


class ClusterDeviceMetadata(cirq.DeviceMetadata):
    """Device metadata of a cluster: the qubit graph, the gate set and the QPU network.

    Args:
        cluster: The cluster.

    Examples:
        >>> from welinq_core import Cluster
        >>> md = ClusterDevice(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1,
        ...     topology="line")).metadata
        >>> md.nx_graph.edges[cirq.GridQubit(0, 0), cirq.GridQubit(2, 0)]
        {'remote': True, 'hops': 2, 'route': ('qpu0', 'qpu1', 'qpu2')}
        >>> sorted(md.network.edges)
        [('qpu0', 'qpu1'), ('qpu1', 'qpu2')]
    """

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        qubits = _device_qubits(cluster)
        graph = nx.Graph()
        graph.add_nodes_from((q, {"qpu": cluster.qpus[q.row].name}) for q in qubits)
        network = cluster.network()
        for k, qpu in enumerate(cluster.qpus):
            pairs = (
                itertools.combinations(range(qpu.num_data_qubits), 2)
                if qpu.coupling is None
                else qpu.coupling
            )
            for a, b in pairs:
                graph.add_edge(cirq.GridQubit(k, a), cirq.GridQubit(k, b), remote=False)
        paths = dict(nx.all_pairs_shortest_path(network))
        for (ka, qa), (kb, qb) in itertools.combinations(enumerate(cluster.qpus), 2):
            route = tuple(paths[qa.name][qb.name])
            for a in range(qa.num_data_qubits):
                for b in range(qb.num_data_qubits):
                    graph.add_edge(
                        cirq.GridQubit(ka, a), cirq.GridQubit(kb, b), remote=True, hops=len(route) - 1,
                        route=route,
                    )
        super().__init__(qubits, graph)

    @property
    def cluster(self) -> Cluster:
        """The cluster described."""
        return self._cluster

    @property
    def network(self) -> nx.Graph:
        """The QPU-level network (nodes are QPU names; edges carry ``link`` and ``latency_s``)."""
        return self._cluster.network()

    @property
    def gateset(self) -> cirq.Gateset:
        """Gates the device accepts directly."""
        return GATESET

    @property
    def compilation_target_gatesets(self) -> tuple[cirq.CompilationTargetGateset, ...]:
        """Target gate sets for ``cirq.optimize_for_target_gateset``."""
        return (cirq.CZTargetGateset(),)

    def _value_equality_values_(self) -> Any:
        return self._cluster

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClusterDeviceMetadata):
            return NotImplemented
        return other._cluster == self._cluster

    def __hash__(self) -> int:
        return hash(self._cluster.to_json(indent=None))

    def __repr__(self) -> str:
        return f"cirq_welinq.ClusterDeviceMetadata({_cluster_repr(self._cluster)})"


def _device_qubits(cluster: Cluster) -> tuple[cirq.GridQubit, ...]:
    return tuple(
        cirq.GridQubit(k, slot) for k, qpu in enumerate(cluster.qpus) for slot in range(qpu.num_data_qubits)
    )


def _cluster_repr(cluster: Cluster) -> str:
    return f"welinq_core.Cluster.from_json({cluster.to_json(indent=None)!r})"


class ClusterDevice(cirq.Device):
    """The data qubits of a cluster as a Cirq device.

    Args:
        cluster: The cluster (a :class:`~welinq_core.cluster.Cluster`) or a preset name.

    Examples:
        >>> import cirq
        >>> from welinq_core import Cluster
        >>> device = ClusterDevice(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
        >>> device.validate_operation(cirq.H(cirq.LineQubit(0)))
        Traceback (most recent call last):
        ...
        welinq_core.errors.CircuitError: qubit cirq.LineQubit(0) is not on the device; ...
    """

    def __init__(self, cluster: Cluster | str) -> None:
        if isinstance(cluster, str):
            cluster = Cluster.preset(cluster)
        if not isinstance(cluster, Cluster):
            raise CircuitError(f"cluster={cluster!r} must be a welinq Cluster or a preset name")
        self._cluster = cluster
        self._metadata = ClusterDeviceMetadata(cluster)
        self._qubits = _device_qubits(cluster)
        self._qubit_set = frozenset(self._qubits)

    @property
    def cluster(self) -> Cluster:
        """The cluster."""
        return self._cluster

    @property
    def qubits(self) -> tuple[cirq.GridQubit, ...]:
        """Every data qubit, QPU by QPU: ``GridQubit(qpu_index, slot)``."""
        return self._qubits

    @property
    def metadata(self) -> ClusterDeviceMetadata:
        """The qubit graph, gate set and QPU network."""
        return self._metadata

    def qpu_of(self, qubit: cirq.Qid) -> str:
        """Name of the QPU holding ``qubit``.

        Raises:
            CircuitError: If the qubit is not on the device.
        """
        self._check_qubits([qubit])
        return self._cluster.qpus[qubit.row].name  # type: ignore[attr-defined]

    def _check_qubits(self, qubits: Iterable[cirq.Qid]) -> None:
        for q in qubits:
            if q not in self._qubit_set:
                raise CircuitError(
                    f"qubit {q!r} is not on the device; the device has GridQubit(qpu, slot) for "
                    + ", ".join(
                        f"qpu {k} ({p.name}): slots 0..{p.num_data_qubits - 1}"
                        for k, p in enumerate(self._cluster.qpus)
                    )
                )

    def validate_operation(self, operation: cirq.Operation) -> None:
        """Raise ``ValueError`` unless the operation can run on the device.

        Raises:
            CircuitError: If a qubit is not on the device (a ``ValueError``).
            UnsupportedGateError: If the gate is not in :data:`GATESET` or acts on
                more than two qubits (a ``ValueError``).
        """
        self._check_qubits(operation.qubits)
        op = operation.untagged
        if isinstance(op, cirq.ClassicallyControlledOperation):
            op = op.without_classical_controls().untagged
        if isinstance(op, cirq.CircuitOperation):
            for sub in op.mapped_circuit(deep=True).all_operations():
                self.validate_operation(sub)
            return
        if not isinstance(op.gate, cirq.MeasurementGate) and len(op.qubits) > 2:
            raise UnsupportedGateError(
                f"operation {operation!r} acts on {len(op.qubits)} qubits; the device runs one- and "
                "two-qubit gates: decompose it, e.g. with cirq.optimize_for_target_gateset(circuit, "
                "gateset=cirq.CZTargetGateset())"
            )
        if op.gate is None or op.gate not in GATESET:
            raise UnsupportedGateError(
                f"gate of {operation!r} is not supported by the device; convert the circuit with "
                "cirq.optimize_for_target_gateset(circuit, gateset=cirq.CZTargetGateset())"
            )

    def __repr__(self) -> str:
        return f"cirq_welinq.ClusterDevice({_cluster_repr(self._cluster)})"

    def __str__(self) -> str:
        parts = [f"{q.name} ({q.num_data_qubits} qubits)" for q in self._cluster.qpus]
        return f"ClusterDevice {self._cluster.name!r}: " + ", ".join(parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClusterDevice):
            return NotImplemented
        return other._cluster == self._cluster

    def __hash__(self) -> int:
        return hash((ClusterDevice, self._cluster.to_json(indent=None)))

    @classmethod
    def _json_namespace_(cls) -> str:
        return "cirq_welinq"

    def _json_dict_(self) -> dict[str, Any]:
        return {"cluster": self._cluster.to_json_dict()}

    @classmethod
    def _from_json_dict_(cls, cluster: dict[str, Any], **kwargs: Any) -> ClusterDevice:
        return cls(Cluster.from_json_dict(cluster))
