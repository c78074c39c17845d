"""Cluster model: validation, factories, presets, JSON round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from welinq_core import QPU, TOPOLOGIES, Cluster, ClusterSpecError, Link, QuantumMemory


def test_link_rejects_fidelity_above_one():
    with pytest.raises(ClusterSpecError, match=r"bell_pair_fidelity=1.3 is outside \[0.25, 1\]"):
        Link(bell_pair_fidelity=1.3)


@pytest.mark.parametrize("kwargs, match", [
    ({"bell_pair_rate_hz": 0.0}, "bell_pair_rate_hz=0.0 must be > 0"),
    ({"length_km": -1.0}, "length_km=-1.0 must be a finite number >= 0"),
    ({"bell_pair_fidelity": 0.9, "bell_pair_probabilities": (0.8, 0.1, 0.05, 0.05)}, "differs from bell_pair_fidelity"),
])
def test_link_rejects_bad_values(kwargs, match):
    with pytest.raises(ClusterSpecError, match=match):
        Link(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_data_qubits": -1}, r"num_data_qubits=-1 must be an integer in \[0, 1000000\]"),
    ({"num_data_qubits": 2, "two_qubit_gate_error": 2.0}, r"two_qubit_gate_error=2.0 must be a finite number in \[0.0, 1.0\]"),
    ({"num_data_qubits": 2, "modality": "photonic-magic"}, "modality='photonic-magic'"),
    ({"num_data_qubits": 2, "coupling": ((0, 5),)}, r"coupling edge \(0, 5\)"),
    ({"num_data_qubits": 2, "t1_s": 1e-3, "t2_s": 5e-3}, "exceeds 2\\*t1_s"),
])
def test_qpu_rejects_bad_values(kwargs, match):
    with pytest.raises(ClusterSpecError, match=match):
        QPU(name="a", **kwargs)


def test_cluster_rejects_disconnected_network():
    qpus = [QPU(name=n, num_data_qubits=1) for n in "abc"]
    with pytest.raises(ClusterSpecError, match="disconnected, components"):
        Cluster(qpus=qpus, links={("a", "b"): Link()})


def test_cluster_rejects_unknown_endpoint_and_duplicates():
    qpus = [QPU(name="a", num_data_qubits=1), QPU(name="b", num_data_qubits=1)]
    with pytest.raises(ClusterSpecError, match="unknown QPU 'z'"):
        Cluster(qpus=qpus, links={("a", "z"): Link()})
    with pytest.raises(ClusterSpecError, match="duplicate QPU name"):
        Cluster(qpus=qpus + [QPU(name="a", num_data_qubits=3)], links={("a", "b"): Link()})


@pytest.mark.parametrize("topology, edges", [("all-to-all", 6), ("line", 3), ("ring", 4), ("star", 3), ("grid", 4)])
def test_homogeneous_topologies(topology, edges):
    c = Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=3, topology=topology)
    assert c.network().number_of_edges() == edges
    assert c.num_data_qubits == 12


def test_unknown_topology_names_the_choices():
    with pytest.raises(ClusterSpecError, match="topology='torus' is unknown"):
        Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, topology="torus")


@given(
    k=st.integers(1, 6),
    per=st.integers(1, 5),
    topology=st.sampled_from(TOPOLOGIES),
    fidelity=st.floats(0.25, 1.0),
    length=st.floats(0, 200),
)
def test_json_round_trip(k, per, topology, fidelity, length):
    link = Link(bell_pair_fidelity=fidelity, length_km=length, memory=QuantumMemory.depolarizing(time_s=0.01))
    c = Cluster.homogeneous(num_qpus=k, data_qubits_per_qpu=per, topology=topology, link=link)
    assert Cluster.from_json(c.to_json()) == c


def test_from_json_reads_a_file(tmp_path):
    path = tmp_path / "c.json"
    c = Cluster.preset("ideal-4-line")
    path.write_text(c.to_json())
    assert Cluster.from_json(path) == c


@pytest.mark.parametrize("text, match", [
    ("{not json", "not valid JSON"),
    ('{"name": "x"}', r"\$: missing required key 'qpus'"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2, "color": "red"}]}', r"\$.qpus\[0\]: unknown key 'color'"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2}, {"name": "b", "num_data_qubits": 1}],'
     ' "links": [{"qpus": ["a"], "bell_pair_fidelity": 0.9}]}', r"links\[0\].qpus = \[\"a\"\]: expected at least 2 item"),
    ('{"qpus": [{"name": "a", "num_data_qubits": 2}, {"name": "b", "num_data_qubits": 1}],'
     ' "links": [{"qpus": ["a", "b"], "bell_pair_fidelity": 1.3}]}', r"\$.links\[0\].bell_pair_fidelity = 1.3: expected a number in \[0.25, 1\]"),
])
def test_malformed_cluster_json_is_rejected_clearly(text, match):
    with pytest.raises(ClusterSpecError, match=match):
        Cluster.from_json(text)


def test_missing_cluster_file_is_a_clear_error():
    with pytest.raises(ClusterSpecError, match="cannot read cluster file .no/such/file.json.: No such file"):
        Cluster.from_json("no/such/file.json")


def test_presets_list_themselves_and_build():
    names = Cluster.presets()
    assert "ideal" in names
    for name in names:
        assert Cluster.preset(name).name == name
    assert Cluster.preset("ideal").is_ideal
    with pytest.raises(ClusterSpecError, match="no cluster preset named 'nope'"):
        Cluster.preset("nope")


def test_cluster_json_has_a_version_field():
    assert json.loads(Cluster.preset("ideal").to_json())["welinq_cluster_version"] == 1


def test_value_types_are_frozen_and_hashable():
    link = Link(bell_pair_fidelity=0.9)
    with pytest.raises(AttributeError):
        link.bell_pair_fidelity = 0.5  # type: ignore[misc]
    assert hash(Cluster.preset("ideal")) == hash(Cluster.preset("ideal"))
