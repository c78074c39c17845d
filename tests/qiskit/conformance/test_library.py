"""Qiskit's circuit library through the paths users take: transpile(qc, backend) + run,
BackendSamplerV2, BackendEstimatorV2; exact probabilities on ideal presets (chi-square),
success and shape on noisy ones."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit import transpile
from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
from qiskit.quantum_info import SparsePauliOp, Statevector

from qiskit_welinq import ClusterBackend
from welinq_core import Cluster

sys.path.insert(0, str(Path(__file__).parent))
from _conformance_helpers import P_MIN, exact_probabilities, goodness_of_fit, library_circuits  # noqa: E402

CIRCUITS = library_circuits()
NAMES = sorted(CIRCUITS)
IDEAL = ("ideal", "ideal-4-line", "ideal-4-ring")
NOISY = tuple(p for p in Cluster.presets() if p not in IDEAL)
#: The default run covers these; the rest run with ``-m slow`` (default budget ~60 s).
DEFAULT = {"qft", "quantum_volume", "grover_operator", "initialize", "pauli_evolution", "mcx"}


def _names(default=DEFAULT):
    return [pytest.param(n, marks=() if n in default else (pytest.mark.slow,)) for n in NAMES]


def test_the_fit_check_rejects_a_wrong_distribution():
    assert goodness_of_fit({"0": 2150, "1": 1850}, {"0": 0.5, "1": 0.5}) < P_MIN
    assert goodness_of_fit({"0": 3999, "11": 1}, {"0": 1.0}) == 0.0


@pytest.fixture(scope="module")
def ideal_line():
    return ClusterBackend(Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=4, topology="line"))


@pytest.mark.parametrize("name", _names())
def test_transpile_then_run_matches_exact_probabilities(ideal_line, name):
    qc = CIRCUITS[name]
    tq = transpile(qc, ideal_line, seed_transpiler=1)
    result = ideal_line.run(tq, shots=4000, seed_simulator=5).result()
    p = goodness_of_fit(result.get_counts(), exact_probabilities(qc))
    assert p > P_MIN, (name, p)


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n == "qft" else (pytest.mark.slow,))
                                  for n in ["qft", "quantum_volume", "qaoa_ansatz", "initialize", "pauli_evolution"]])
def test_sampler_v2_matches_exact_probabilities(name):
    backend = ClusterBackend("ideal")
    qc = transpile(CIRCUITS[name], backend, seed_transpiler=2)
    sampler = BackendSamplerV2(backend=backend, options={"seed_simulator": 3})
    (pub,) = sampler.run([qc], shots=4000).result()
    counts = pub.data.meas.get_counts()
    assert pub.data.meas.num_shots == 4000
    assert goodness_of_fit(counts, exact_probabilities(CIRCUITS[name])) > P_MIN


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n == "qft" else (pytest.mark.slow,))
                                  for n in ["qft", "real_amplitudes", "unitary_gate"]])
def test_estimator_v2_matches_exact_expectations(name):
    backend = ClusterBackend("ideal")
    bare = CIRCUITS[name].remove_final_measurements(inplace=False)
    n = bare.num_qubits
    observables = [
        SparsePauliOp("Z" * n),
        SparsePauliOp(["X" + "I" * (n - 1), "I" * (n - 2) + "YY"], coeffs=[0.6, -1.2]),
    ]
    tq = transpile(bare, backend, seed_transpiler=4)
    layout_obs = [o.apply_layout(tq.layout) for o in observables]
    estimator = BackendEstimatorV2(backend=backend, options={"seed_simulator": 6, "default_precision": 0.01})
    (pub,) = estimator.run([(tq, layout_obs)]).result()
    exact = np.array([Statevector(bare).expectation_value(o).real for o in observables])
    # precision 0.01 means ~10,000 shots per group; allow 6 standard errors (reported or nominal)
    tolerance = 6 * np.maximum(pub.data.stds, 0.01 * np.array([1.0, 1.8]))
    assert np.all(np.abs(pub.data.evs - exact) <= tolerance), (pub.data.evs, exact, tolerance)


@pytest.mark.parametrize("preset", [pytest.param(p, marks=() if p == "werner-0.97" else (pytest.mark.slow,))
                                    for p in NOISY])
def test_noisy_presets_run_library_circuits(preset):
    backend = ClusterBackend(preset)
    for name in ("qft", "grover_operator", "mcx"):
        qc = CIRCUITS[name]
        tq = transpile(qc, backend, seed_transpiler=1)
        result = backend.run(tq, shots=100, seed_simulator=2, memory=True).result()
        counts = result.get_counts()
        assert sum(counts.values()) == 100 and all(len(k) == qc.num_clbits for k in counts)
        assert len(result.get_memory()) == 100


@pytest.mark.slow
@pytest.mark.parametrize("shots", [10, 100, 4000])
@pytest.mark.parametrize("preset", Cluster.presets())
def test_every_library_circuit_on_every_preset(preset, shots):
    backend = ClusterBackend(preset)
    for name in NAMES:
        qc = CIRCUITS[name]
        if qc.num_qubits > backend.num_qubits:
            continue
        tq = transpile(qc, backend, seed_transpiler=1)
        result = backend.run(tq, shots=shots, seed_simulator=3).result()
        counts = result.get_counts()
        assert sum(counts.values()) == shots and all(len(k.replace(" ", "")) == qc.num_clbits for k in counts)
        if preset in IDEAL and shots == 4000:
            assert goodness_of_fit(counts, exact_probabilities(qc)) > P_MIN, (preset, name)
