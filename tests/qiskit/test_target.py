"""The Target tells the truth: qubits, gates, durations, errors, coupling, remote-gate costs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate
from qiskit.quantum_info import Statevector
from qiskit_aer import AerSimulator

from welinq_core import QPU, Cluster, Link
from welinq_core.circuit import Circuit, Operation
from welinq_core.pipeline import compile_program
from qiskit_welinq import ClusterBackend, target_from_cluster
from qiskit_welinq.backend import target_from_cluster as target_from_backend_module
from qiskit_welinq.convert import circuit_to_qiskit
from qiskit_welinq.target import MAX_EXPLICIT_QUBIT_PAIRS, qubit_qpus, remote_gate_cost


def _noisy_qpu(name: str = "q", n: int = 3) -> QPU:
    return QPU(name=name, num_data_qubits=n, single_qubit_gate_error=3e-3, two_qubit_gate_error=1e-2,
               readout_error=2e-2, single_qubit_gate_duration_s=1e-6, two_qubit_gate_duration_s=5e-6,
               measurement_duration_s=1e-4, t1_s=2.0, t2_s=1.0)


def test_importable_from_both_places():
    assert target_from_cluster is target_from_backend_module


def test_local_properties_follow_the_qpu_model():
    cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, qpu=_noisy_qpu(),
                             link=Link(bell_pair_fidelity=0.95))
    t = target_from_cluster(cl)
    assert t.num_qubits == 6
    for i in range(6):
        assert t.qubit_properties[i].t1 == 2.0 and t.qubit_properties[i].t2 == 1.0
        assert t["sx"][(i,)].duration == 1e-6
        assert t["sx"][(i,)].error == pytest.approx(3e-3 * 2 / 3)  # average infidelity of depolarizing
        assert t["measure"][(i,)].error == 2e-2
    assert t["cx"][(0, 1)].duration == 5e-6
    assert t["cx"][(0, 1)].error == pytest.approx(1e-2 * 4 / 5)
    # every pair is coupled: local all-to-all, remote across QPUs
    assert set(t.build_coupling_map().get_edges()) == set(itertools.permutations(range(6), 2))


def test_qpu_coupling_graph_restricts_local_edges():
    qpu = QPU(name="q", num_data_qubits=3, coupling=((0, 1), (1, 2)))
    cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=3, qpu=qpu)
    cl = Cluster(qpus=[dataclass_replace(q, coupling=((0, 1), (1, 2))) for q in cl.qpus], links=dict(cl.links))
    edges = set(target_from_cluster(cl).build_coupling_map().get_edges())
    assert (0, 2) not in edges and (2, 0) not in edges and (0, 1) in edges and (1, 0) in edges
    assert (0, 3) in edges and (5, 2) in edges  # remote edges between all cross-QPU pairs


def dataclass_replace(obj, **kw):
    import dataclasses

    return dataclasses.replace(obj, **kw)


@pytest.mark.parametrize("fidelity", [0.99, 0.9, 0.75])
def test_remote_error_equals_the_report_werner_link(fidelity):
    """On ideal QPUs, a remote CNOT's channel is the pair's Pauli channel; the Target's error is
    the average infidelity d/(d+1) (1 - F) with F the effective pair fidelity in the run report."""
    cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, link=Link(bell_pair_fidelity=fidelity))
    backend = ClusterBackend(cl)
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    qc.cx(0, 3)
    qc.measure(range(4), range(4))
    report = backend.run(qc, shots=10, seed_simulator=1, assignment={0: "qpu0", 1: "qpu0", 2: "qpu1", 3: "qpu1"}
                         ).result().results[0].metadata["welinq"]
    (packet,) = report["noise"]["packets"]
    assert backend.target["cx"][(0, 3)].error == pytest.approx(0.8 * (1 - packet["effective_pair_fidelity"]), abs=1e-9)
    assert backend.target["cx"][(3, 0)].error == pytest.approx(0.8 * (1 - fidelity), abs=1e-12)


def test_remote_error_equals_the_compiled_channel_with_local_noise():
    """With noisy QPUs and memory, the Target's remote error is the exact average infidelity of
    the channel the backend simulates; checked independently with Aer's density matrix."""
    from welinq_core.physics.memory import QuantumMemory

    cl = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=2, topology="line", qpu=_noisy_qpu(n=2),
                             link=Link(bell_pair_fidelity=0.96, bell_pair_rate_hz=500.0, length_km=5.0,
                                       memory=QuantumMemory.depolarizing(time_s=0.05)))
    t = target_from_cluster(cl)
    for gate, (i, j), (a, b) in [("cx", (0, 2), ("qpu0", "qpu1")), ("cz", (1, 5), ("qpu0", "qpu2"))]:
        compiled = compile_program(Circuit(num_qubits=2, operations=[Operation(name=gate, qubits=(0, 1))]),
                                   cl, assignment=(a, b), seed=0)
        noisy = circuit_to_qiskit(compiled.circuit)
        n = noisy.num_qubits
        full = QuantumCircuit(n + 2)
        for q in (0, 1):
            full.h(n + q)
            full.cx(n + q, q)
        full.compose(noisy, qubits=range(n), inplace=True)
        full.save_density_matrix(qubits=[0, 1, n, n + 1])
        rho = AerSimulator(method="density_matrix").run(full).result().data()["density_matrix"].data
        ideal = QuantumCircuit(4)
        for q in (0, 1):
            ideal.h(2 + q)
            ideal.cx(2 + q, q)
        getattr(ideal, gate)(0, 1)
        psi = Statevector(ideal).data
        process_fidelity = float(np.real(psi.conj() @ rho @ psi))
        assert t[gate][(i, j)].error == pytest.approx(0.8 * (1 - process_fidelity), abs=1e-9)
        assert t[gate][(i, j)].error > t[gate][(0, 1)].error  # remote costs more than local
    # two hops cost more than one
    assert t["cx"][(0, 4)].error > t["cx"][(0, 2)].error
    assert t["cx"][(0, 4)].duration > t["cx"][(0, 2)].duration > t["cx"][(0, 1)].duration


def test_remote_gate_cost_reports_route_and_pairs():
    cl = Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line", link=Link(bell_pair_fidelity=0.9))
    cost = remote_gate_cost(cl, "cx", "qpu0", "qpu2")
    assert cost.route == ("qpu0", "qpu1", "qpu2") and cost.bell_pairs == 2
    # Werner swapping: w = w1 w2 with w = (4F - 1)/3
    w = ((4 * 0.9 - 1) / 3) ** 2
    assert cost.effective_pair[0] == pytest.approx((3 * w + 1) / 4)
    assert cost.error == pytest.approx(0.8 * (1 - (3 * w + 1) / 4))


def test_mean_pair_wait_in_duration():
    cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=Link(bell_pair_rate_hz=100.0))
    assert target_from_cluster(cl)["cx"][(0, 1)].duration == pytest.approx(1 / 100.0)


def test_large_clusters_do_not_build_quadratic_targets():
    cl = Cluster.homogeneous(num_qpus=10, data_qubits_per_qpu=100, topology="ring")
    assert cl.num_data_qubits * (cl.num_data_qubits - 1) > MAX_EXPLICIT_QUBIT_PAIRS
    t = target_from_cluster(cl)
    assert t.num_qubits == 1000
    assert t["cx"] == {None: None}  # one global entry, not 10^6
    assert t.build_coupling_map() is None


def test_backend_str_repr_coupling_and_qubit_properties():
    b = ClusterBackend("demo")
    assert "demo" in str(b) and "3 QPU" in str(b) and "12 qubits" in str(b)
    assert "cluster='demo'" in repr(b) and "qpus=3" in repr(b)
    assert b.coupling_map.size() == 12
    assert b.qubit_properties(0).t1 == b.cluster.qpus[0].t1_s
    big = ClusterBackend("ft-ready")  # above the explicit limit: full coupling, gates everywhere
    assert len(big.coupling_map.get_edges()) == 64 * 63
    assert qubit_qpus(b.cluster)[4] == "qpu1"


def _aer_from_backend_bell(backend):
    sim = AerSimulator.from_backend(backend)
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    counts = sim.run(transpile(qc, sim, seed_transpiler=1), shots=400, seed_simulator=1).result().get_counts()
    assert counts.get("00", 0) + counts.get("11", 0) >= 380


def test_aer_from_backend_runs():
    qpu = dataclass_replace(_noisy_qpu(n=2), t1_s=None, t2_s=None)
    cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=qpu, link=Link(bell_pair_fidelity=0.97))
    _aer_from_backend_bell(ClusterBackend(cl))


@pytest.mark.slow
def test_aer_from_backend_runs_with_thermal_relaxation():  # ~8 s in Aer
    cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, qpu=_noisy_qpu(n=2),
                             link=Link(bell_pair_fidelity=0.97))
    _aer_from_backend_bell(ClusterBackend(cl))


@pytest.mark.slow
def test_aer_from_backend_runs_on_a_16_qubit_preset():  # ~15 s in Aer's NoiseModel.from_backend
    _aer_from_backend_bell(ClusterBackend("werner-0.97"))


def test_native_gates_are_what_each_qpu_advertises():
    ion = QPU(name="ion", num_data_qubits=2, native_gates=("rx", "ry", "rz", "rzz"))
    sc = QPU(name="sc", num_data_qubits=2, native_gates=("rz", "sx", "x", "cz", "rzz"))
    cl = Cluster(qpus=[ion, sc], links={("ion", "sc"): Link(bell_pair_fidelity=0.9)})
    t = target_from_cluster(cl)
    assert set(t["rx"]) == {(0,), (1,)} and set(t["sx"]) == {(2,), (3,)}
    assert set(t["cz"]) == {(2, 3), (3, 2)}
    assert (0, 2) in t["rzz"] and (0, 1) in t["rzz"] and "cx" not in t.operation_names
    qc = QuantumCircuit(4)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(2, 3)
    tq = transpile(qc, target=t, seed_transpiler=1)
    for inst in tq.data:
        assert t.instruction_supported(inst.operation.name, tuple(tq.find_bit(q).index for q in inst.qubits))


LINE_4X4 = Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=4, topology="line", name="ideal-4x4-line")


@pytest.mark.parametrize("preset", ["ideal", "ideal-4x4-line", "werner-0.97"])
@pytest.mark.parametrize("kind", ["qft", "ghz"])
def test_transpile_then_run_is_correct_and_does_not_inflate_pairs(preset, kind):
    # transpile(qc, backend) widens the circuit to every Target qubit; 16-qubit clusters keep
    # the widened circuit within the engine's memory estimate on a loaded machine
    backend = ClusterBackend(LINE_4X4 if preset == "ideal-4x4-line" else preset)
    n = 10
    qc = QuantumCircuit(n)
    if kind == "qft":  # the Fourier state of x, then the inverse QFT: exactly |x>
        x = 0b1011001101
        qc.h(range(n))
        for k in range(n):
            qc.p(2 * np.pi * x * 2**k / 2**n, k)
        qc.append(QFTGate(n).inverse(), range(n))
    else:
        qc.h(0)
        for i in range(n - 1):
            qc.cx(i, i + 1)
    ideal = Statevector(qc).probabilities_dict()
    qc.measure_all()
    tq = transpile(qc, backend, seed_transpiler=3)
    assert "swap" not in tq.count_ops()  # every pair is coupled: no routing swaps
    direct = backend.run(qc, shots=10, seed_simulator=1).result().results[0].metadata["welinq"]
    shots = 4000
    res = backend.run(tq, shots=shots, seed_simulator=1).result()
    meta = res.results[0].metadata["welinq"]
    assert meta["total_bell_pairs"] <= direct["total_bell_pairs"]
    counts = res.get_counts()
    if preset.startswith("ideal"):
        support = {k for k, p in ideal.items() if p > 1e-9}
        assert set(counts) <= support
        if kind == "qft":
            assert counts == {format(x, f"0{n}b"): shots}
        else:
            assert abs(counts["0" * n] / shots - 0.5) < 0.04  # 5 sigma
    else:
        assert sum(counts.values()) == shots


def test_a_repeater_qpu_without_data_qubits_hosts_no_gates():
    qpus = [QPU(name="a", num_data_qubits=2), QPU(name="r", num_data_qubits=0), QPU(name="b", num_data_qubits=2)]
    link = Link(bell_pair_fidelity=0.95)
    cl = Cluster(qpus=qpus, links={("a", "r"): link, ("r", "b"): link})
    t = target_from_cluster(cl)
    assert t.num_qubits == 4 and qubit_qpus(cl) == ("a", "a", "b", "b")
    w = ((4 * 0.95 - 1) / 3) ** 2  # swapped at r
    assert t["cx"][(0, 2)].error == pytest.approx(0.8 * (1 - (3 * w + 1) / 4))
