"""Tests of the link presets and of the physics package surface."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import welinq_core.physics as physics
from welinq_core.errors import PhysicsParameterError
from welinq_core.physics import (
    BellPair,
    LinkPreset,
    QuantumMemory,
    link_preset,
    link_presets,
    metro_link_model,
    one_way_latency_s,
)


def test_required_presets_exist_with_sources():
    names = link_presets()
    for required in ("ideal", "trapped_ion_oxford_2025", "neutral_atom_welinq_datacentre",
                     "metro_50km_frequency_converted", "ft_ready_projection"):
        assert required in names
    for name in names:
        preset = link_preset(name)
        assert preset.name == name
        assert preset.source
        assert preset.evidence in physics.EVIDENCE_LEVELS
        assert preset == link_preset(name)


def test_preset_values():
    oxford = link_preset("trapped_ion_oxford_2025")
    assert (oxford.bell_pair_fidelity, oxford.length_km, oxford.evidence) == (
        0.97, 0.002, "peer-reviewed")
    assert "Nature 638, 383" in oxford.source
    welinq = link_preset("neutral_atom_welinq_datacentre")
    assert welinq.evidence == "company-claim"
    assert welinq.memory.efficiency == 0.95
    assert welinq.memory.cutoff_s == 1e-3
    assert welinq.bell_pair_fidelity >= 0.9
    # qubit fidelity (1 + e)/2 after 1 ms storage is 99.5 %
    e = math.exp(-1e-3 / welinq.memory.depolarizing_time_s)
    assert (1 + e) / 2 == pytest.approx(0.995)
    ft = link_preset("ft_ready_projection")
    assert (ft.bell_pair_fidelity, ft.bell_pair_rate_hz, ft.evidence) == (0.99, 1e6, "projection")
    assert "2408.08955" in ft.source
    ideal = link_preset("ideal")
    assert ideal.bell_pair == BellPair.perfect() and ideal.bell_pair_rate_hz == math.inf


def test_metro_preset_is_consistent_with_its_model():
    preset = link_preset("metro_50km_frequency_converted")
    model = metro_link_model()
    assert preset.length_km == 50.0
    assert preset.herald_latency_s == pytest.approx(one_way_latency_s(50.0))
    assert preset.bell_pair == model.delivered_pair
    assert preset.bell_pair_fidelity < model.generated_pair.fidelity  # aged during the herald
    assert preset.bell_pair_fidelity > 0.92
    assert preset.bell_pair_rate_hz == pytest.approx(model.success_probability / 252e-6)


def test_unknown_preset_lists_valid_names():
    with pytest.raises(PhysicsParameterError, match="unknown; choose one of ideal, "):
        link_preset("oxford")


def test_invalid_preset_fields_raise():
    with pytest.raises(PhysicsParameterError, match="evidence='rumour'"):
        LinkPreset(name="x", bell_pair=BellPair.perfect(), bell_pair_rate_hz=1.0, length_km=0.0,
                   memory=QuantumMemory.ideal(), herald_latency_s=0.0, source="s",
                   evidence="rumour")
    with pytest.raises(PhysicsParameterError, match="length_km=-1.0 is negative"):
        LinkPreset(name="x", bell_pair=BellPair.perfect(), bell_pair_rate_hz=1.0, length_km=-1.0,
                   memory=QuantumMemory.ideal(), herald_latency_s=0.0, source="s",
                   evidence="synthetic")


def test_all_is_sorted_and_importable():
    assert list(physics.__all__) == sorted(physics.__all__, key=str.lower)
    for name in physics.__all__:
        assert hasattr(physics, name)


def test_physics_imports_only_stdlib_numpy_networkx():
    code = ("import sys, welinq_core.physics; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'scipy', 'qiskit', 'cirq', 'qiskit_aer', 'matplotlib', 'pandas'}); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={"PYTHONPATH": str(__import__('pathlib').Path(physics.__file__).parents[2])})
