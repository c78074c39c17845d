"""``parameter_binds`` as on AerSimulator.run: one dictionary per circuit, one run per value."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit_aer import AerSimulator

from qiskit_welinq import ClusterBackend
from welinq_core import Cluster
from welinq_core.errors import OptionsError


@pytest.fixture(scope="module")
def backend():
    return ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1))


def _circuits():
    a, b = Parameter("a"), ParameterVector("b", 2)
    one = QuantumCircuit(2, 2, name="one")
    one.rx(a, 0)
    one.cx(0, 1)  # remote: the two qubits sit on different QPUs
    one.measure([0, 1], [0, 1])
    two = QuantumCircuit(2, 2, name="two")
    two.ry(b[0], 0)
    two.rx(b[1] + np.pi / 2, 1)
    two.measure([0, 1], [0, 1])
    return one, two, a, b


def test_same_experiments_in_the_same_order_as_aer(backend):
    one, two, a, b = _circuits()
    binds = [{a: [0.0, np.pi, 0.0]}, {b[0]: [np.pi, 0.0, np.pi], b[1]: np.array([np.pi / 2, -np.pi / 2, np.pi / 2])}]
    ours = backend.run([one, two], parameter_binds=binds, shots=50, seed_simulator=1).result()
    aer = AerSimulator().run([one, two], parameter_binds=binds, shots=50, seed_simulator=1).result()
    assert len(ours.results) == len(aer.results) == 6
    for i in range(6):
        assert ours.results[i].header.get("name") == aer.results[i].header["name"]
        assert ours.get_counts(i) == aer.get_counts(i)  # every binding here is deterministic
    assert ours.get_counts(1) == {"11": 50}
    assert ours.results[1].metadata["welinq"]["remote_gates"] == 1


def test_a_single_number_is_one_run(backend):
    one, _, a, _ = _circuits()
    result = backend.run(one, parameter_binds=[{a: np.pi}], shots=20, seed_simulator=2).result()
    assert result.get_counts() == {"11": 20}


@pytest.mark.parametrize(
    "binds, match",
    [
        ("oops", "must be a list"),
        ([{}, {}], "2 dictionaries for 1 circuit"),
        ([[0.1]], "give a dictionary"),
        ([{}], r"no values for parameter\(s\) \['a'\]"),
        ([{Parameter("zz"): [1.0]}], r"names parameter\(s\) \['zz'\]"),
        ([{"a": [1.0]}], r"names parameter\(s\) \['a'\]"),
    ],
)
def test_bad_binds_name_the_problem(backend, binds, match):
    one, _, _, _ = _circuits()
    with pytest.raises(OptionsError, match=match):
        backend.run(one, parameter_binds=binds, shots=10)


def test_unequal_value_lists_are_refused(backend):
    _, two, _, b = _circuits()
    with pytest.raises(OptionsError, match="different lengths"):
        backend.run(two, parameter_binds=[{b[0]: [1.0, 2.0], b[1]: [1.0]}], shots=10)
