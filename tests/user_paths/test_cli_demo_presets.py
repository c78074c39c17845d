"""``welinq demo --cluster PRESET`` runs on every listed preset, smaller ones included."""

from __future__ import annotations

import pytest

from qiskit_welinq.cli import main
from welinq_core import Cluster


@pytest.mark.parametrize("preset", ["oxford-ions-2025"])
def test_demo_runs_on_a_preset_smaller_than_twelve_qubits(preset, capsys):
    # The demo's GHZ circuit used to be 12 qubits whatever the cluster: on the 8-qubit
    # oxford-ions-2025 preset `welinq demo --cluster oxford-ions-2025` exited with an error.
    width = Cluster.preset(preset).num_data_qubits
    assert width < 12
    assert main(["demo", "--cluster", preset, "--shots", "200", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert f"ghz{width} ({width} qubits" in out
    p = {label: float(out.split(f"P(all equal) on {label:>7}: ")[1][:5]) for label in ("cluster", "one QPU", "ideal")}
    assert p["ideal"] == 1.0 and 0.5 < p["cluster"] < 1.0


def test_every_preset_fits_the_demo_or_is_big_enough():
    # Every preset either holds the 12-qubit demo or gets a GHZ circuit of its own width.
    from qiskit_welinq.cli.demo import _demo_circuit

    for name in Cluster.presets():
        cluster = Cluster.preset(name)
        qc = _demo_circuit(min(12, cluster.num_data_qubits))
        assert qc.num_qubits <= cluster.num_data_qubits
        assert qc.num_qubits == min(12, cluster.num_data_qubits)
