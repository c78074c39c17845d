"""The essential cases of Qiskit's own BackendSamplerV2 / BackendEstimatorV2 tests
(test/python/primitives/test_backend_{sampler,estimator}_v2.py), re-written against
ClusterBackend on an ideal cluster, with exact references (Statevector primitives) instead of
hard-coded numbers. Circuits are transpiled at optimization level 0, as there."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.circuit.library import UnitaryGate, real_amplitudes
from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2, StatevectorEstimator
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.providers import JobStatus
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit.transpiler import generate_preset_pass_manager

from qiskit_welinq import ClusterBackend
from welinq_core import Cluster

sys.path.insert(0, str(Path(__file__).parent))
from _conformance_helpers import P_MIN, goodness_of_fit  # noqa: E402

SHOTS = 2000
PRECISION = 0.01


@pytest.fixture(scope="module")
def backend():
    # 2 QPUs x 2 qubits: most two-qubit gates of these small circuits are remote
    return ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))


@pytest.fixture(scope="module")
def pm(backend):
    return generate_preset_pass_manager(optimization_level=0, backend=backend)


def _int_probs(qc: QuantumCircuit, values=None) -> dict[int, float]:
    bare = qc.remove_final_measurements(inplace=False)
    if values is not None:
        bare = bare.assign_parameters(values)
    return {int(k, 2): p for k, p in Statevector(bare).probabilities_dict().items()}


def _fits(bitarray, probs: dict[int, float]) -> float:
    width = bitarray.num_bits
    counts = {format(k, f"0{width}b"): v for k, v in bitarray.get_int_counts().items()}
    return goodness_of_fit(counts, {format(k, f"0{width}b"): p for k, p in probs.items()})


# ------------------------------------------------------------------------------------ sampler
def test_sampler_bell_and_parameterised(backend, pm):
    bell = QuantumCircuit(2, name="Bell")
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    pqc = QuantumCircuit(2)
    pqc.append(real_amplitudes(num_qubits=2, reps=2), [0, 1])
    pqc.measure_all()
    bell_t, pqc_t = pm.run([bell, pqc])
    sampler = BackendSamplerV2(backend=backend, options={"seed_simulator": 123})
    vals = [[0, 1, 1, 2, 3, 5], [1, 2, 3, 4, 5, 6]]
    result = sampler.run([bell_t, (pqc_t, vals)], shots=SHOTS).result()
    assert len(result) == 2 and result[1].data.meas.shape == (2,)
    assert _fits(result[0].data.meas, {0: 0.5, 3: 0.5}) > P_MIN
    for i, v in enumerate(vals):
        assert _fits(result[1].data.meas[i], _int_probs(pqc, v)) > P_MIN
    assert sampler.run([bell_t], shots=SHOTS).result()[0].data.meas.get_counts() == \
        result[0].data.meas.get_counts()  # same seed, same samples


def test_sampler_basis_states_and_endianness(backend, pm):
    circuits = []
    for x in range(4):
        qc = QuantumCircuit(2)
        if x & 1:
            qc.x(0)
        if x & 2:
            qc.x(1)
        qc.measure_all()
        circuits.append(qc)
    result = BackendSamplerV2(backend=backend).run(pm.run(circuits), shots=100).result()
    for x in range(4):
        assert result[x].data.meas.get_int_counts() == {x: 100}


def test_sampler_reverse_measurement_order(backend, pm):
    x, y = Parameter("x"), Parameter("y")
    qc = QuantumCircuit(3, 3)
    qc.rx(x, 0)
    qc.rx(y, 1)
    qc.x(2)
    qc.measure(0, 2)
    qc.measure(1, 1)
    qc.measure(2, 0)
    qc = pm.run(qc)
    sampler = BackendSamplerV2(backend=backend, options={"seed_simulator": 1})
    result = sampler.run([(qc, [0, 0]), (qc, [np.pi / 2, 0])], shots=SHOTS).result()
    assert result[0].data.c.get_int_counts() == {1: SHOTS}
    assert _fits(result[1].data.c, {1: 0.5, 5: 0.5}) > P_MIN


def test_sampler_unmeasured_qubits_and_multiple_registers(backend, pm):
    a, b, c = ClassicalRegister(1, "a"), ClassicalRegister(5, "b"), ClassicalRegister(3, "c")
    qc = QuantumCircuit(QuantumRegister(3), a, b, c)
    qc.h(range(3))
    qc.measure([0, 1, 2, 2], [0, 2, 4, 5])
    result = BackendSamplerV2(backend=backend, options={"seed_simulator": 2}).run([pm.run(qc)], shots=SHOTS).result()
    data = result[0].data
    assert _fits(data.a, {0: 0.5, 1: 0.5}) > P_MIN
    assert _fits(data.b, {0: 0.25, 2: 0.25, 24: 0.25, 26: 0.25}) > P_MIN
    assert data.c.get_int_counts() == {0: SHOTS}
    empty = QuantumCircuit(4, 3)
    empty.measure(range(3), range(3))
    assert BackendSamplerV2(backend=backend).run([pm.run(empty)], shots=50).result()[0].data.c.get_int_counts() == {0: 50}


def test_sampler_unitary_gates_numpy_parameters_and_shots(backend, pm):
    for matrix, outcome in ((np.eye(2), 0), ([[0, 1], [1, 0]], 1)):
        qc = QuantumCircuit(1)
        qc.append(UnitaryGate(matrix), [0])
        qc.measure_all()
        job = BackendSamplerV2(backend=backend).run([pm.run(qc)], shots=64)
        assert job.result()[0].data.meas.get_int_counts() == {outcome: 64}
        assert job.status() == JobStatus.DONE
    qc = QuantumCircuit(2)
    qc.append(real_amplitudes(num_qubits=2, reps=2), [0, 1])
    qc.measure_all()
    qc = pm.run(qc)
    params = np.linspace(0, 1, 3 * qc.num_parameters).reshape(3, qc.num_parameters)
    sampler = BackendSamplerV2(backend=backend, options={"default_shots": 300, "seed_simulator": 4})
    result = sampler.run([(qc, params), SamplerPub.coerce((qc, params[0], 77))]).result()
    assert result[0].data.meas.shape == (3,) and result[0].data.meas.num_shots == 300
    assert result[1].data.meas.num_shots == 77


def test_sampler_errors(backend, pm):
    qc1 = QuantumCircuit(1)
    qc1.measure_all()
    qc2 = QuantumCircuit(2)
    qc2.append(real_amplitudes(num_qubits=1, reps=1), [0])
    qc2.measure_all()
    qc1, qc2 = pm.run([qc1, qc2])
    sampler = BackendSamplerV2(backend=backend)
    for pubs, kw in [([(qc1, [1e2])], {}), ([qc2], {}), ([(qc2, [1e2])], {}), ([(qc2, [1e2] * 100)], {}),
                     ([qc1], {"shots": -1}), ([qc1], {"shots": 0}), ([(qc1, None, 0)], {})]:
        with pytest.raises(ValueError):
            sampler.run(pubs, **kw).result()


# ---------------------------------------------------------------------------------- estimator
HAMILTONIANS = (
    SparsePauliOp.from_list([("II", 1), ("IZ", 2), ("XI", 3)]),
    SparsePauliOp.from_list([("IZ", 1)]),
    SparsePauliOp.from_list([("ZI", 1), ("ZZ", 1)]),
)


def _close(result_evs, result_stds, exact, norms):
    tolerance = 6 * np.maximum(result_stds, PRECISION * np.asarray(norms))
    assert np.all(np.abs(np.asarray(result_evs) - np.asarray(exact)) <= tolerance), (result_evs, exact, tolerance)


@pytest.mark.parametrize("abelian_grouping", [True, False])
def test_estimator_parameterised_pubs_match_statevector(backend, pm, abelian_grouping):
    psi1, psi2 = pm.run([real_amplitudes(num_qubits=2, reps=2), real_amplitudes(num_qubits=2, reps=3)])
    theta1, theta2, theta3 = [0, 1, 1, 2, 3, 5], [0, 1, 1, 2, 3, 5, 8, 13], [1, 2, 3, 4, 5, 6]
    h1, h2, h3 = HAMILTONIANS
    pubs = [
        (psi1, [h1.apply_layout(psi1.layout), h3.apply_layout(psi1.layout)], [theta1, theta3]),
        (psi2, h2.apply_layout(psi2.layout), theta2),
    ]
    estimator = BackendEstimatorV2(backend=backend, options={"default_precision": PRECISION, "seed_simulator": 12})
    estimator.options.abelian_grouping = abelian_grouping
    ours = estimator.run(pubs).result()
    exact = StatevectorEstimator().run(pubs).result()
    _close(ours[0].data.evs, ours[0].data.stds, exact[0].data.evs, [4 * np.sqrt(2 * 14) / 4, 2])
    _close(ours[1].data.evs, ours[1].data.stds, exact[1].data.evs, [1])
    assert ours[0].metadata["target_precision"] == PRECISION


def test_estimator_endianness_and_identity(backend, pm):
    qc, qc2 = QuantumCircuit(2), QuantumCircuit(2)
    qc2.x(0)
    qc, qc2 = pm.run([qc, qc2])
    estimator = BackendEstimatorV2(backend=backend, options={"default_precision": PRECISION, "seed_simulator": 1})
    expected = {("II", 0): 1, ("II", 1): 1, ("ZI", 0): 1, ("ZI", 1): 1, ("IZ", 0): 1, ("IZ", 1): -1}
    for (label, which), value in expected.items():
        circ = (qc, qc2)[which]
        (pub,) = estimator.run([(circ, SparsePauliOp(label).apply_layout(circ.layout))]).result()
        assert pub.data.evs == pytest.approx(value)


def test_estimator_numpy_parameters(backend, pm):
    qc = pm.run(real_amplitudes(num_qubits=2, reps=2))
    op = SparsePauliOp.from_list([("IZ", 1), ("XI", 2), ("ZY", -1)]).apply_layout(qc.layout)
    params = np.random.default_rng(12).random((3, qc.num_parameters))
    estimator = BackendEstimatorV2(backend=backend, options={"default_precision": PRECISION, "seed_simulator": 3})
    (ours,) = estimator.run([(qc, op, params)]).result()
    (exact,) = StatevectorEstimator().run([(qc, op, params)]).result()
    assert ours.data.evs.shape == (3,)
    _close(ours.data.evs, ours.data.stds, exact.data.evs, [4, 4, 4])


def test_estimator_errors(backend):
    qc, qc2 = QuantumCircuit(1), QuantumCircuit(2)
    op, op2 = SparsePauliOp("I"), SparsePauliOp("II")
    est = BackendEstimatorV2(backend=backend)
    for pubs, kw in [([(qc, op2)], {}), ([(qc, op, [[1e4]])], {}), ([(qc2, op2, [[1, 2]])], {}),
                     ([(qc, op)], {"precision": -1}), ([(qc, op)], {"precision": 0}), ([(qc, 1j * op)], {})]:
        with pytest.raises(ValueError):
            est.run(pubs, **kw).result()
