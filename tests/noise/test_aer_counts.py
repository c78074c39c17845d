"""Aer samples of the two renderings agree statistically (local, idle and link noise)."""

from __future__ import annotations

import math

from qiskit import QuantumCircuit

from qiskit_welinq import ClusterBackend
from welinq_core.cluster import QPU, Cluster, Link


def _g_test_p(a: dict[str, int], b: dict[str, int]) -> float:
    """Chi-square two-sample homogeneity test p-value (scipy)."""
    from scipy.stats import chi2_contingency

    keys = sorted(set(a) | set(b))
    table = [[a.get(k, 0) + 0.5 for k in keys], [b.get(k, 0) + 0.5 for k in keys]]
    return float(chi2_contingency(table)[1])


def test_effective_and_explicit_counts_agree_on_a_noisy_cluster():
    qpu = QPU(name="t", num_data_qubits=2, single_qubit_gate_error=0.01, two_qubit_gate_error=0.03,
              readout_error=0.02, t1_s=1e-3, t2_s=5e-4)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line", qpu=qpu,
                                  link=Link(bell_pair_fidelity=0.9, length_km=5.0))
    qc = QuantumCircuit(6, 6)
    qc.h(0)
    for i in range(5):
        qc.cx(i, i + 1)
    qc.t(3)
    qc.cp(0.8, 0, 5)
    qc.h(5)
    qc.measure(range(6), range(6))
    backend = ClusterBackend(cluster)
    shots = 6000
    counts = {}
    for mode in ("effective", "explicit"):
        res = backend.run(qc, shots=shots, seed_simulator=11, mode=mode).result()
        counts[mode] = res.get_counts()
        noise = res.results[0].metadata["welinq"]["noise"]
        assert noise["mode"] == mode and noise["effective_exact"] is True
    p = _g_test_p(counts["effective"], counts["explicit"])
    assert p > 1e-3, (p, counts)
    # The noise is visible: ideally clbits 0..4 always agree (GHZ); here they often do not.
    for mode in counts:
        ghz = sum(v for k, v in counts[mode].items() if len(set(k[1:])) == 1) / shots
        assert 0.5 < ghz < 0.9, (mode, ghz)
    assert not math.isnan(p)
