"""BBM92 key rates: QBER from the exact density matrix, the Werner closed form, finite size,
the cluster view, the report and the ``welinq links`` command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _physics_reference import X, Z, bds_matrix, kron
from hypothesis import given, settings
from hypothesis import strategies as st

from welinq_core.cluster import Cluster, Link
from welinq_core.errors import PhysicsParameterError
from welinq_core.key_rates import cluster_key_rates
from welinq_core.physics import BellPair, swap_chain
from welinq_core.physics.qkd import bbm92_key_rate, bbm92_qber, binary_entropy, werner_qber_threshold


def _h(p):
    return 0.0 if p in (0.0, 1.0) else -p * math.log2(p) - (1 - p) * math.log2(1 - p)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda p: sum(p) > 0.1))
def test_qber_equals_measured_correlations_of_the_density_matrix(raw):
    pair = BellPair.from_probabilities([p / sum(raw) for p in raw])
    rho = bds_matrix(pair.probabilities)
    zz = float(np.real(np.trace(rho @ kron(Z, Z))))
    xx = float(np.real(np.trace(rho @ kron(X, X))))
    e_z, e_x = bbm92_qber(pair)
    assert e_z == pytest.approx((1 - zz) / 2, abs=1e-12)  # outcomes differ in Z
    assert e_x == pytest.approx((1 - xx) / 2, abs=1e-12)  # outcomes differ in X (Phi+: XX = +1)


@pytest.mark.parametrize("qber", [0.0, 0.01, 0.05, 0.09, 0.12, 0.3])
@pytest.mark.parametrize("f", [1.0, 1.16])
def test_werner_pairs_follow_the_closed_form(qber, f):
    pair = BellPair.werner(1 - 1.5 * qber)  # e_z = e_x = 2 (1 - F) / 3
    est = bbm92_key_rate(pair, 2000.0, error_correction_efficiency=f)
    assert (est.qber_z, est.qber_x) == pytest.approx((qber, qber), abs=1e-12)
    r = 1 - (1 + f) * _h(qber)
    assert est.secret_fraction == pytest.approx(r, abs=1e-12)
    assert est.secret_key_rate_bps == pytest.approx(2000.0 * 0.5 * max(r, 0.0), abs=1e-9)


def test_werner_key_vanishes_at_eleven_percent():
    e1 = werner_qber_threshold(1.0)
    assert e1 == pytest.approx(0.110028, abs=1e-5)  # h(e) = 1/2: the Shor-Preskill 11 %
    assert binary_entropy(e1) == pytest.approx(0.5, abs=1e-12)
    below = bbm92_key_rate(BellPair.werner(1 - 1.5 * (e1 - 1e-3)), 1.0, error_correction_efficiency=1.0)
    above = bbm92_key_rate(BellPair.werner(1 - 1.5 * (e1 + 1e-3)), 1.0, error_correction_efficiency=1.0)
    assert below.secret_key_rate_bps > 0 and above.secret_key_rate_bps == 0.0
    e116 = werner_qber_threshold(1.16)
    assert binary_entropy(e116) == pytest.approx(1 / 2.16, abs=1e-12) and e116 < e1


def test_finite_size_is_below_and_converges_to_the_asymptotic_rate():
    pair = BellPair.werner(0.97)
    asym = bbm92_key_rate(pair, 1e3).secret_key_rate_bps
    rates = [bbm92_key_rate(pair, 1e3, block_size=n).secret_key_rate_bps for n in (10**5, 10**7, 10**12)]
    assert rates[0] < rates[1] < rates[2] < asym
    assert rates[2] == pytest.approx(asym, rel=1e-2)
    assert bbm92_key_rate(pair, 1e3, block_size=1000).secret_key_rate_bps == 0.0  # too small a block


@pytest.mark.parametrize("kwargs, word", [
    ({"error_correction_efficiency": 0.9}, "error_correction_efficiency"),
    ({"sifting_factor": 0.0}, "sifting_factor"),
    ({"block_size": 2}, "block_size"),
    ({"block_size": 10**6, "epsilon_sec": 0.0}, "epsilon_sec"),
])
def test_bad_arguments_raise_project_errors(kwargs, word):
    with pytest.raises(PhysicsParameterError, match=word):
        bbm92_key_rate(BellPair.werner(0.9), 1.0, **kwargs)
    with pytest.raises(ValueError):
        bbm92_key_rate(BellPair.werner(0.9), -1.0)


def test_cluster_view_links_and_routes():
    link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=500.0, length_km=1.0)
    cluster = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line", link=link)
    rows = {r.label: r for r in cluster_key_rates(cluster)}
    assert set(rows) == {"qpu0-qpu1", "qpu1-qpu2", "qpu0-qpu1-qpu2"}
    route = rows["qpu0-qpu1-qpu2"].estimate
    swapped = swap_chain([BellPair.werner(0.95)] * 2)
    assert route.fidelity == pytest.approx(swapped.fidelity, abs=1e-12)
    assert route.qber_z == pytest.approx(swapped.p_x + swapped.p_y, abs=1e-12)
    assert route.pair_rate_hz == 500.0
    assert route.secret_key_rate_bps < rows["qpu0-qpu1"].estimate.secret_key_rate_bps


def test_report_carries_the_quantum_safe_view():
    from qiskit import QuantumCircuit

    from qiskit_welinq import ClusterBackend

    qc = QuantumCircuit(16, 16)
    qc.h(0)
    qc.cx(0, 15)
    qc.measure(range(16), range(16))
    result = ClusterBackend(Cluster.preset("werner-0.97")).run(qc, shots=20, seed_simulator=1).result()
    report = result.results[0].metadata["welinq"]
    q = report["quantum_safe"]["qpu0-qpu1"]
    assert q["qber_z"] == pytest.approx(0.02, abs=1e-12)
    assert q["secret_key_rate_bps"] == pytest.approx(200 * 0.5 * (1 - 2.16 * _h(0.02)), rel=1e-12)
    json.dumps(report, allow_nan=False)


def test_cli_links(capsys):
    from qiskit_welinq.cli import main

    assert main(["links", "demo"]) == 0
    out = capsys.readouterr().out
    assert "qpu0-qpu1: F 0.9700" in out and "qpu0-qpu1-qpu2" in out and "bit/s" in out
    assert main(["links", "demo", "--json", "--no-routes"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["kind"] for r in rows] == ["link", "link"]
    assert main(["links", "demo", "--ec-efficiency", "0.5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error_correction_efficiency=0.5" in err
