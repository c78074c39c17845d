"""Tests of cirq_welinq.ClusterDevice."""

from __future__ import annotations

import cirq
import pytest

from welinq_core import QPU, Cluster, Link
from welinq_core.errors import CircuitError, UnsupportedGateError
from cirq_welinq import ClusterDevice, ClusterDeviceMetadata, json_resolver


@pytest.fixture
def line3() -> Cluster:
    return Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line")


def test_qubits_are_grid_qubits_row_qpu_col_slot(line3: Cluster) -> None:
    device = ClusterDevice(line3)
    assert device.qubits == tuple(cirq.GridQubit(r, c) for r in range(3) for c in range(2))
    assert [device.qpu_of(q) for q in device.qubits] == ["qpu0", "qpu0", "qpu1", "qpu1", "qpu2", "qpu2"]
    assert isinstance(device, cirq.Device)


def test_validate_accepts_any_pair_and_classical_controls(line3: Cluster) -> None:
    device = ClusterDevice(line3)
    a, b = cirq.GridQubit(0, 0), cirq.GridQubit(2, 1)
    circuit = cirq.Circuit(
        cirq.H(a), cirq.CZ(a, b), cirq.measure(a, key="m"), cirq.X(b).with_classical_controls("m"),
        cirq.reset(a), cirq.measure(a, b, cirq.GridQubit(1, 0), key="all"),
    )
    device.validate_circuit(circuit)  # raises on failure
    assert device.metadata.nx_graph.edges[a, b]["hops"] == 2


def test_validate_rejects_qubits_off_the_device(line3: Cluster) -> None:
    device = ClusterDevice(line3)
    with pytest.raises(ValueError, match=r"GridQubit\(0, 2\) is not on the device.*qpu 0 \(qpu0\): slots 0..1"):
        device.validate_operation(cirq.H(cirq.GridQubit(0, 2)))
    with pytest.raises(CircuitError, match="LineQubit"):
        device.validate_operation(cirq.CNOT(cirq.GridQubit(0, 0), cirq.LineQubit(1)))


def test_validate_rejects_unsupported_and_three_qubit_gates(line3: Cluster) -> None:
    device = ClusterDevice(line3)
    q = device.qubits
    with pytest.raises(UnsupportedGateError, match="acts on 3 qubits.*decompose"):
        device.validate_operation(cirq.CCX(*q[:3]))
    with pytest.raises(ValueError, match="not supported by the device"):
        device.validate_operation(cirq.PhasedISwapPowGate(exponent=0.5).on(q[0], q[1]))
    device.validate_operation(cirq.amplitude_damp(0.1).on(q[0]))  # channels are accepted


def test_metadata_carries_graph_network_and_gatesets() -> None:
    cluster = Cluster(
        qpus=[QPU(name="a", num_data_qubits=3, coupling=((0, 1), (1, 2))), QPU(name="b", num_data_qubits=1)],
        links={("a", "b"): Link(bell_pair_fidelity=0.9)},
    )
    md = ClusterDevice(cluster).metadata
    assert isinstance(md, ClusterDeviceMetadata) and isinstance(md, cirq.DeviceMetadata)
    g = md.nx_graph
    a0, a1, a2, b0 = cirq.GridQubit(0, 0), cirq.GridQubit(0, 1), cirq.GridQubit(0, 2), cirq.GridQubit(1, 0)
    assert g.edges[a0, a1] == {"remote": False}
    assert not g.has_edge(a0, a2)  # not coupled inside QPU a
    assert g.edges[a2, b0] == {"remote": True, "hops": 1, "route": ("a", "b")}
    assert g.nodes[b0]["qpu"] == "b"
    assert md.network.edges["a", "b"]["link"].bell_pair_fidelity == 0.9
    assert cirq.CZ in md.gateset and cirq.CCX not in md.gateset
    c = cirq.Circuit(cirq.CCX(a0, a1, b0))
    lowered = cirq.optimize_for_target_gateset(c, gateset=md.compilation_target_gatesets[0])
    ClusterDevice(cluster).validate_circuit(lowered)  # raises on failure


def test_equality_repr_and_json(line3: Cluster) -> None:
    other = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    eq = cirq.testing.EqualsTester()
    eq.add_equality_group(ClusterDevice(line3), ClusterDevice(Cluster.from_json(line3.to_json())))
    eq.add_equality_group(ClusterDevice(other))
    cirq.testing.assert_equivalent_repr(
        ClusterDevice(line3), setup_code="import cirq\nimport welinq_core\nimport cirq_welinq"
    )
    text = cirq.to_json(ClusterDevice(line3))
    assert cirq.read_json(json_text=text, resolvers=[json_resolver, *cirq.DEFAULT_RESOLVERS]) == ClusterDevice(line3)
    assert "qpu0 (2 qubits)" in str(ClusterDevice(line3))


def test_preset_name_and_bad_cluster() -> None:
    assert ClusterDevice("ideal").cluster == Cluster.preset("ideal")
    with pytest.raises(ValueError, match="must be a welinq Cluster"):
        ClusterDevice(42)  # type: ignore[arg-type]
