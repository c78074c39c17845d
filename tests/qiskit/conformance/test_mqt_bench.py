"""MQT Bench circuits (written by others, for benchmarking compilers) through transpile(qc,
backend) + run: exact probabilities for static circuits, Aer for the dynamic ones."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from mqt.bench import BenchmarkLevel, get_benchmark
from qiskit import transpile
from qiskit_aer import AerSimulator
from scipy.stats import chi2_contingency

from qiskit_welinq import ClusterBackend
from welinq_core import Cluster

sys.path.insert(0, str(Path(__file__).parent))
from _conformance_helpers import P_MIN, exact_probabilities, goodness_of_fit  # noqa: E402

STATIC = ["ghz", "qft", "qftentangled", "dj", "bv", "graphstate", "wstate", "qpeexact", "qpeinexact", "ae",
          "grover", "vqe_su2", "vqe_real_amp", "randomcircuit", "qwalk", "qnn"]
DYNAMIC = ["ghz_dynamic", "iqpe", "dynamic_qft"]
DEFAULT = {"ghz", "randomcircuit", "iqpe"}  # the rest with -m slow (default budget)


def _marks(name):
    return () if name in DEFAULT else (pytest.mark.slow,)


@pytest.fixture(scope="module")
def backend():
    return ClusterBackend(Cluster.homogeneous(num_qpus=4, data_qubits_per_qpu=4, topology="line"))


def _benchmark(name, size):
    qc = get_benchmark(name, BenchmarkLevel.INDEP, size)
    if not any(i.operation.name == "measure" for i in qc.data):
        qc.measure_all()
    return qc


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in STATIC])
def test_static_benchmarks_match_exact_probabilities(backend, name):
    qc = _benchmark(name, 5)
    tq = transpile(qc, backend, seed_transpiler=1)
    result = backend.run(tq, shots=4000, seed_simulator=2).result()
    p = goodness_of_fit(result.get_counts(), exact_probabilities(qc))
    assert p > P_MIN, (name, p)
    assert result.results[0].metadata["welinq"]["total_bell_pairs"] >= 0


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in DYNAMIC])
def test_dynamic_benchmarks_match_aer(backend, name):
    qc = _benchmark(name, 4)
    tq = transpile(qc, backend, seed_transpiler=1)
    ours = backend.run(tq, shots=3000, seed_simulator=3).result().get_counts()
    aer = AerSimulator().run(transpile(qc, AerSimulator()), shots=3000, seed_simulator=4).result().get_counts()
    keys = sorted(set(ours) | set(aer))
    if len(keys) > 1:
        table = np.array([[ours.get(k, 0) for k in keys], [aer.get(k, 0) for k in keys]])
        assert chi2_contingency(table)[1] > P_MIN, (name, ours, aer)
    else:
        assert ours == aer


@pytest.mark.slow
@pytest.mark.parametrize("size", [3, 6, 8])
@pytest.mark.parametrize("name", STATIC)
def test_static_benchmarks_at_other_sizes(backend, name, size):
    try:
        qc = _benchmark(name, size)
    except (ValueError, RuntimeError) as err:  # some benchmarks exist only at some sizes
        pytest.skip(f"mqt.bench has no {name} at size {size}: {err}")
    tq = transpile(qc, backend, seed_transpiler=1)
    result = backend.run(tq, shots=4000, seed_simulator=2).result()
    assert goodness_of_fit(result.get_counts(), exact_probabilities(qc)) > P_MIN
