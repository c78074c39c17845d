"""Links built from the heralding model and the physics presets; cluster presets built on them."""

from __future__ import annotations

import dataclasses
import math

import pytest

from welinq_core import Cluster, Link, lower
from welinq_core.cluster_presets import cluster_preset_description
from welinq_core.errors import ClusterSpecError
from welinq_core.physics import HeraldedLinkModel, QuantumMemory, link_preset, link_presets, metro_link_model
from welinq_core.schedule import schedule


def test_from_physics_copies_rate_pair_length_and_memory():
    mem = QuantumMemory.depolarizing(time_s=1e-3)
    model = HeraldedLinkModel(length_km=20.0, collection_efficiency=0.3, visibility=0.9, memory=mem)
    link = Link.from_physics(model)
    assert link.bell_pair_rate_hz == pytest.approx(model.mean_pair_rate_hz)
    assert link.bell_pair_fidelity == pytest.approx(model.delivered_pair.fidelity)
    assert link.pauli_probabilities == pytest.approx(model.delivered_pair.probabilities)
    assert link.length_km == 20.0 and link.memory == mem
    assert Link.from_physics(length_km=20.0, collection_efficiency=0.3, visibility=0.9, memory=mem) == link
    assert Link.from_json_dict(link.to_json_dict()) == link


def test_from_physics_fidelity_and_rate_fall_with_distance():
    mem = QuantumMemory.depolarizing(time_s=1e-3)
    links = [Link.from_physics(length_km=L, collection_efficiency=0.3, memory=mem) for L in (1, 10, 50)]
    assert links[0].bell_pair_fidelity > links[1].bell_pair_fidelity > links[2].bell_pair_fidelity
    assert links[0].bell_pair_rate_hz > links[1].bell_pair_rate_hz > links[2].bell_pair_rate_hz


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((), {}, "needs a HeraldedLinkModel or its keyword arguments"),
        ((HeraldedLinkModel(length_km=1.0),), {"length_km": 2.0}, "give one or the other"),
        ((), {"length_km": -1.0}, "length_km=-1.0"),
        ((), {"length_km": 1.0, "colour": "red"}, "colour"),
        ((), {"length_km": 1.0, "detection_efficiency": 0.0}, "never heralds"),
        (("not a model",), {}, "is not a HeraldedLinkModel"),
    ],
)
def test_from_physics_errors(args, kwargs, match):
    with pytest.raises(ClusterSpecError, match=match):
        Link.from_physics(*args, **kwargs)


@pytest.mark.parametrize("name", link_presets())
def test_from_preset_matches_the_physics_preset(name):
    preset = link_preset(name)
    link = Link.from_preset(name)
    assert link.pauli_probabilities == pytest.approx(preset.bell_pair.probabilities, abs=1e-12)
    assert link.length_km == preset.length_km and link.memory == preset.memory
    if math.isinf(preset.bell_pair_rate_hz):
        assert link.bell_pair_rate_hz is None
    else:
        assert link.bell_pair_rate_hz == preset.bell_pair_rate_hz


def test_from_preset_unknown_name():
    with pytest.raises(ClusterSpecError, match="link preset name='nope' is unknown; choose one of ideal"):
        Link.from_preset("nope")


def test_metro_link_equals_its_model():
    assert Link.from_preset("metro_50km_frequency_converted") == Link.from_physics(metro_link_model())


NEW_PRESETS = {
    "oxford-ions-2025": ("trapped_ion_oxford_2025", "measured"),
    "welinq-datacentre": ("neutral_atom_welinq_datacentre", "company claims"),
    "metro-50km": ("metro_50km_frequency_converted", "projection"),
    "ft-ready": ("ft_ready_projection", "projection"),
}


@pytest.mark.parametrize("name", sorted(NEW_PRESETS))
def test_physics_cluster_presets(name):
    link_name, evidence = NEW_PRESETS[name]
    cluster = Cluster.preset(name)
    assert cluster.name == name
    assert all(link == Link.from_preset(link_name) for _, link in cluster.links)
    assert evidence in cluster_preset_description(name)
    assert "assumed" in cluster_preset_description(name)
    assert Cluster.from_json(cluster.to_json()) == cluster
    # a remote gate between the first two QPUs schedules and reports the preset's link
    from welinq_core import Circuit, Operation

    c = Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))])
    s = schedule(lower(c, cluster, cluster.qpu_names[:2]), seed=0)
    assert len(s.pairs) == 1
    assert s.pairs[0].fidelity <= Link.from_preset(link_name).bell_pair_fidelity + 1e-12


def test_modalities_of_physics_presets():
    assert {q.modality for q in Cluster.preset("oxford-ions-2025").qpus} == {"trapped-ion"}
    assert {q.modality for q in Cluster.preset("welinq-datacentre").qpus} == {"neutral-atom"}
    assert Cluster.preset("welinq-datacentre").num_qpus == 4
    assert dataclasses.replace(Cluster.preset("metro-50km").qpus[0]).t2_s == 1.0
