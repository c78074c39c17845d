"""Distillation as a link policy: Link(distillation=...), Cluster.with_distillation, the cluster
format, and a user's backend.run getting distilled pairs (checked against the closed forms)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from welinq_core import Circuit, Cluster, Link, Operation, lower
from welinq_core.errors import ClusterSpecError
from welinq_core.physics import QuantumMemory
from welinq_core.pipeline import compile_program
from welinq_core.schedule import schedule


def _dejmps(p):
    """One DEJMPS round on two copies of (p_I, p_X, p_Y, p_Z) (Deutsch et al., PRL 77, 2818
    (1996), labels A = Phi+, B = Psi-, C = Psi+, D = Phi-)."""
    a, c, b, d = p
    n = (a + b) ** 2 + (c + d) ** 2
    return ((a * a + b * b) / n, (c * c + d * d) / n, 2 * c * d / n, 2 * a * b / n)


def _bbpssw_fidelity(f):
    """BBPSSW on two Werner pairs (Bennett et al., PRL 76, 722 (1996))."""
    q = (1 - f) / 3
    return (f * f + q * q) / (f * f + 2 * f * q + 5 * q * q)


def test_link_policy_is_validated_and_frozen():
    link = Link(bell_pair_fidelity=0.9, distillation="dejmps")
    assert link.distillation_rounds == 1 and link.distillation_policy.rounds == 1
    with pytest.raises(AttributeError):
        link.distillation = "bbpssw"  # type: ignore[misc]
    assert Link(bell_pair_fidelity=0.9, distillation="dejmps", distillation_target_fidelity=0.99).distillation_rounds == 3
    with pytest.raises(ClusterSpecError, match="'dejmp' is unknown"):
        Link(bell_pair_fidelity=0.9, distillation="dejmp")
    with pytest.raises(ClusterSpecError, match="not a positive integer"):
        Link(bell_pair_fidelity=0.9, distillation="dejmps", distillation_rounds=0)
    with pytest.raises(ClusterSpecError, match="need a protocol"):
        Link(bell_pair_fidelity=0.9, distillation_rounds=2)
    with pytest.raises(ClusterSpecError, match="best reachable is 0.5"):
        Link(bell_pair_fidelity=0.5, distillation="dejmps", distillation_target_fidelity=0.9)
    with pytest.raises(ClusterSpecError, match="contradicts"):
        Link(bell_pair_fidelity=0.9, distillation="dejmps", distillation_rounds=1, distillation_target_fidelity=0.99)


def test_cluster_format_round_trips_the_policy():
    c = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line", link=Link(bell_pair_fidelity=0.9))
    d = c.with_distillation("bbpssw", target_fidelity=0.95)
    assert all(l.distillation == "bbpssw" and l.distillation_rounds == 3 for _, l in d.links)  # 0.926, 0.947, 0.963
    assert Cluster.from_json(d.to_json()) == d
    assert d.with_distillation(None) == c
    doc = json.loads(d.to_json())
    doc["links"][0]["distillation_rounds"] = 0
    with pytest.raises(ClusterSpecError, match=r"\$\.links\[0\]\.distillation_rounds"):
        Cluster.from_json_dict(doc)
    with pytest.raises(ClusterSpecError, match="qpu0"):
        Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=Link(bell_pair_fidelity=0.5)).with_distillation(
            "dejmps", target_fidelity=0.999)


def test_schedule_runs_the_links_own_policy_and_counts_raw_pairs():
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1,
                                  link=Link(bell_pair_fidelity=0.8, bell_pair_rate_hz=1000.0,
                                            distillation="dejmps", distillation_rounds=2))
    prog = lower(Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))] * 3), cluster,
                 ("qpu0", "qpu1"))
    s = schedule(prog, seed=3)
    usage = s.links[0]
    assert usage.distillation_rounds == 2 and usage.consumed == len(s.pairs)
    # 4 raw pairs per delivered pair, and every failed round wastes at least 2 more
    assert usage.raw_consumed >= 4 * usage.consumed + 2 * usage.distillation_failures
    if usage.distillation_failures == 0:
        assert usage.raw_consumed == 4 * usage.consumed
    summary = s.summary()["links"]["qpu0-qpu1"]
    assert summary["raw_consumed"] == usage.raw_consumed and summary["consumed"] == usage.consumed
    two_rounds = _dejmps(_dejmps((0.8, 0.2 / 3, 0.2 / 3, 0.2 / 3)))
    for rec in s.pairs:  # ideal memory: the delivered pair is the closed form
        np.testing.assert_allclose(rec.probabilities, two_rounds, atol=1e-12)
    # a run-wide option overrides the link's policy
    s1 = schedule(prog, seed=3, distillation="bbpssw", distillation_rounds=1)
    assert s1.links[0].distillation_rounds == 1
    assert s1.pairs[0].fidelity == pytest.approx(_bbpssw_fidelity(0.8), abs=1e-12)


def test_link_policy_reaches_the_pipeline_with_memory():
    mem = QuantumMemory.depolarizing(time_s=0.05)
    link = Link(bell_pair_fidelity=0.85, bell_pair_rate_hz=500.0, memory=mem, distillation="dejmps")
    cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=link)
    c = Circuit(num_qubits=2, operations=[Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1))])
    compiled = compile_program(c, cluster, seed=1, assignment=("qpu0", "qpu1"))
    links = compiled.report.schedule["links"]["qpu0-qpu1"]
    assert links["raw_consumed"] >= 2 and links["consumed"] == 1
    # the distilled pair was aged in memory: below the ideal-memory closed form, above raw-aged
    f = compiled.schedule.pairs[0].fidelity
    assert f < _dejmps((0.85, 0.05, 0.05, 0.05))[0]


# -- a user's run: ClusterBackend.run ------------------------------------------------------------

def _bell_expectations(backend, shots, seed):
    from qiskit import QuantumCircuit

    out = {}
    for basis in ("XX", "YY", "ZZ"):
        qc = QuantumCircuit(2, 2)
        qc.h(0)
        qc.cx(0, 1)
        qc.barrier()  # the same remote gate in every basis (else the lowering may fold the basis change in)
        for q in (0, 1):
            if basis == "YY":
                qc.sdg(q)
            if basis != "ZZ":
                qc.h(q)
        qc.measure([0, 1], [0, 1])
        result = backend.run(qc, shots=shots, seed_simulator=seed).result()
        counts = result.get_counts()
        out[basis] = sum(v * (1 if k.count("1") % 2 == 0 else -1) for k, v in counts.items()) / shots
        out[basis + "_report"] = result.results[0].metadata["welinq"]
    return out


def test_backend_run_gets_distilled_pairs_matching_the_closed_form():
    pytest.importorskip("qiskit_aer")
    from qiskit_welinq import ClusterBackend

    shots = 20_000
    f = 0.8
    raw = (f, (1 - f) / 3, (1 - f) / 3, (1 - f) / 3)
    noisy = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=Link(bell_pair_fidelity=f))
    cases = {
        "none": (noisy, raw),
        "dejmps2": (noisy.with_distillation("dejmps", rounds=2), _dejmps(_dejmps(raw))),
    }
    fid = {}
    for name, (cluster, p) in cases.items():
        e = _bell_expectations(ClusterBackend(cluster), shots, seed=11)
        # remote CNOT on |+>|0> with pair error X -> X_t, Y -> Z_c X_t, Z -> Z_c (docs/physics.md 2.7)
        expected = {"XX": p[0] + p[1] - p[2] - p[3], "YY": -p[0] + p[1] - p[2] + p[3], "ZZ": p[0] - p[1] - p[2] + p[3]}
        for basis, value in expected.items():
            sigma = np.sqrt(max(1 - value**2, 1e-3) / shots)
            assert abs(e[basis] - value) < 4.5 * sigma, (name, basis, e[basis], value)
        fid[name] = (1 + e["XX"] - e["YY"] + e["ZZ"]) / 4
        link_report = e["ZZ_report"]["schedule"]["links"]["qpu0-qpu1"]
        if name == "none":
            assert "raw_consumed" not in link_report
        else:
            assert link_report["consumed"] == 1 and link_report["raw_consumed"] >= 4
    assert fid["none"] == pytest.approx(f, abs=0.012)
    assert fid["dejmps2"] == pytest.approx(_dejmps(_dejmps(raw))[0], abs=0.012)
    assert fid["dejmps2"] > fid["none"] + 0.05

    # BBPSSW, one round: the fidelity is the textbook F' (its error split is not Werner)
    e = _bell_expectations(ClusterBackend(noisy.with_distillation("bbpssw", rounds=1)), shots, seed=12)
    assert (1 + e["XX"] - e["YY"] + e["ZZ"]) / 4 == pytest.approx(_bbpssw_fidelity(f), abs=0.012)
