"""QPU presets per modality: valid templates usable on a cluster, ordered as published."""

from __future__ import annotations

import pytest

from welinq_core.cluster import Cluster
from welinq_core.qpu_presets import PRESETS, neutral_atom, superconducting, trapped_ion


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_a_noisy_cluster(name):
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=5, qpu=PRESETS[name]())
    assert not cluster.is_ideal
    for qpu in cluster.qpus:
        assert qpu.num_data_qubits == 5
        assert 0 < qpu.single_qubit_gate_error < qpu.two_qubit_gate_error < 0.01
        assert qpu.t2_s <= 2 * qpu.t1_s


def test_modalities_differ_the_way_the_sources_say():
    ion, atom, sc = trapped_ion(), neutral_atom(), superconducting()
    assert ion.two_qubit_gate_error < sc.two_qubit_gate_error < atom.two_qubit_gate_error
    assert sc.two_qubit_gate_duration_s < atom.two_qubit_gate_duration_s < ion.two_qubit_gate_duration_s
    assert sc.t2_s < atom.t2_s < ion.t2_s
    # Coherence measured in gate times: ions and atoms hold thousands, transmons ~a thousand.
    assert ion.t2_s / ion.two_qubit_gate_duration_s > 1e4
    assert 1e3 < sc.t2_s / sc.two_qubit_gate_duration_s < 1e4
