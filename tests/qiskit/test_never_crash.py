"""Ordinary circuits never crash: every Target gate under every method, library circuits on
every preset, circuits that measure nothing, and clear errors instead of simulator failures."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate, get_standard_gate_name_mapping, grover_operator, n_local, quantum_volume
from qiskit.primitives import BackendSamplerV2
from qiskit.quantum_info import Statevector
from qiskit.result import Result
from qiskit_aer import AerSimulator

import qiskit_welinq.engine as engine
from qiskit_welinq import ClusterBackend
from qiskit_welinq.convert import BASIS_GATES
from welinq_core import Cluster, Link
from welinq_core.errors import OptionsError, SimulationError

METHODS = ("automatic", "density_matrix", "statevector", "matrix_product_state")
PRESETS = Cluster.presets()
ENTANGLERS = ("cx", "cy", "cz", "ch", "cp", "crx", "cry", "crz", "csx", "cs", "rzz", "swap")


def _gate_circuit(name: str) -> QuantumCircuit:
    """H on 3 qubits, the gate (random angles) across QPUs, H again, measure: the outcome
    distribution depends on the gate (a wrong decomposition changes it)."""
    gate = get_standard_gate_name_mapping()[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    if gate.params:
        gate = type(gate)(*rng.uniform(0.3, 2.8, len(gate.params)))
    qc = QuantumCircuit(3, 3)
    qc.h(range(3))
    qc.t(0)
    qc.append(gate, [0, 2][: gate.num_qubits] if gate.num_qubits <= 2 else [0, 1, 2])
    qc.h(range(3))
    qc.measure(range(3), range(3))
    return qc


def _exact(qc: QuantumCircuit) -> dict[str, float]:
    return Statevector(qc.remove_final_measurements(inplace=False)).probabilities_dict()


def _tvd(counts: dict[str, int], exact: dict[str, float]) -> float:
    shots = sum(counts.values())
    keys = set(counts) | set(exact)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - exact.get(k, 0.0)) for k in keys)


@pytest.mark.parametrize("mode", ["effective", "explicit"])
@pytest.mark.parametrize("method", METHODS)
def test_every_target_gate_runs_exactly_under_every_method(method, mode):
    backend = ClusterBackend(Cluster.homogeneous(num_qpus=3, data_qubits_per_qpu=1, topology="line"))
    assert set(BASIS_GATES) <= set(backend.target.operation_names)
    for name in BASIS_GATES:
        qc = _gate_circuit(name)
        counts = backend.run(qc, shots=1500, seed_simulator=3, method=method, mode=mode).result().get_counts()
        assert _tvd(counts, _exact(qc)) < 0.08, (name, method, mode)


def _library(n: int) -> dict[str, QuantumCircuit]:
    out: dict[str, QuantumCircuit] = {}
    qv = quantum_volume(n, depth=2, seed=5)
    out["qv"] = qv
    oracle = QuantumCircuit(3)
    oracle.cz(0, 2)
    out["grover"] = grover_operator(oracle)
    qft = QuantumCircuit(n)
    qft.h(0)
    qft.append(QFTGate(n), range(n))
    out["qft"] = qft
    t = QuantumCircuit(4)
    t.h([0, 1])
    t.ccx(0, 1, 2)
    t.cswap(0, 2, 3)
    t.mcx([0, 1, 2], 3)
    out["ccx-cswap-mcx"] = t
    for ent in ENTANGLERS:
        nl = n_local(4, ["ry", "rz"], ent, reps=1, entanglement="linear")
        out[f"n_local-{ent}"] = nl.assign_parameters(np.linspace(0.2, 2.9, nl.num_parameters))
    for qc in out.values():
        qc.measure_all()
    return out


def _run_library(preset: str, shots: int, mode: str, names: list[str] | None = None) -> None:
    backend = ClusterBackend(preset)
    for name, qc in _library(4).items():
        if names is not None and name not in names:
            continue
        counts = backend.run(transpile(qc, backend), shots=shots, seed_simulator=1, mode=mode).result().get_counts()
        assert sum(counts.values()) == shots, (preset, name, mode)


@pytest.mark.parametrize("preset, shots, mode, names", [
    ("demo", 100, "effective", ["qv", "grover", "ccx-cswap-mcx", "n_local-crx", "n_local-csx"]),
    ("oxford-ions-2025", 4000, "effective", ["n_local-cry", "n_local-ch"]),
    ("werner-0.97", 100, "explicit", ["qft", "n_local-crz", "n_local-cs"]),
    ("welinq-datacentre", 10, "explicit", ["qv", "ccx-cswap-mcx"]),
])
def test_library_circuits_run_on_presets(preset, shots, mode, names):
    _run_library(preset, shots, mode, names)


@pytest.mark.slow
@pytest.mark.parametrize("preset, shots, mode", list(itertools.product(PRESETS, (10, 100, 4000),
                                                                       ("effective", "explicit"))))
def test_library_matrix_on_every_preset(preset, shots, mode):
    _run_library(preset, shots, mode)


def test_circuits_that_measure_nothing_behave_as_on_aer():
    no_clbits = QuantumCircuit(2)
    no_clbits.h(0)
    no_clbits.cx(0, 1)
    unused_clbits = QuantumCircuit(2, 2)
    unused_clbits.h(0)
    unused_clbits.cx(0, 1)
    for qc in (no_clbits, unused_clbits):
        ours = ClusterBackend("demo").run(qc, shots=10, memory=True).result()
        aer = AerSimulator().run(qc, shots=10, memory=True).result()
        assert ours.success and ours.results[0].data.to_dict() == aer.results[0].data.to_dict() == {}
        with pytest.raises(Exception, match="No counts"):
            ours.get_counts()
    sampler = BackendSamplerV2(backend=ClusterBackend("demo"))
    result = sampler.run([unused_clbits, no_clbits], shots=50).result()
    assert result[0].data.c.get_counts() == {"00": 50}


def test_forced_stabilizer_on_non_clifford_circuit_is_refused_before_simulating():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.t(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    with pytest.raises(OptionsError, match=r"method='stabilizer'.*\['t'\]"):
        ClusterBackend("demo").run(qc, shots=10, method="stabilizer")


def test_aer_failure_raises_the_projects_error_with_aers_message(monkeypatch):
    class Failing:
        def __init__(self, **options):
            pass

        def run(self, *args, **kwargs):
            class Job:
                def result(self):
                    return Result.from_dict({
                        "backend_name": "aer", "backend_version": "0", "job_id": "x", "success": False,
                        "status": "ERROR: simulator exploded", "results": [
                            {"shots": 10, "success": False, "status": "ERROR: simulator exploded",
                             "data": {}}]})
            return Job()

    monkeypatch.setattr(engine, "AerSimulator", Failing)
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.t(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    with pytest.raises(SimulationError, match="simulator exploded"):
        ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1,
                                           link=Link(bell_pair_fidelity=0.97))).run(qc, shots=10, method="statevector")


@pytest.mark.parametrize("shots", [0, -3, 2.5, "10", True])
def test_bad_shot_counts_are_refused(shots):
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with pytest.raises(OptionsError, match="shots="):
        ClusterBackend("demo").run(qc, shots=shots)


def test_numpy_integer_shots_are_accepted():
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    assert ClusterBackend("ideal").run(qc, shots=np.int64(20)).result().get_counts() == {"1": 20}
