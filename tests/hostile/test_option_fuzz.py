"""Random option values for ClusterBackend and ClusterSimulator: a correct run or our own error."""

from __future__ import annotations

import cirq
import numpy as np
from hypothesis import given, settings, strategies as st
from qiskit import QuantumCircuit

from cirq_welinq import ClusterSimulator
from qiskit_welinq import ClusterBackend
from welinq_core import Cluster, Link
from welinq_core.errors import WelinqError

ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6), st.sampled_from(["qpu0", "qpu1", "automatic", "stabilizer", "explicit", "telegate"]),
    st.lists(st.sampled_from(["qpu0", "qpu1", "qpu2", 0, None]), max_size=4),
    st.dictionaries(st.integers(-2, 5), st.sampled_from(["qpu0", "qpu1", "x"]), max_size=3),
    st.builds(np.int64, st.integers(-5, 300)), st.builds(np.float32, st.floats(-2, 2)),
    st.tuples(st.sampled_from(["telegate", "teledata", "x"])),
)
OPTION_NAMES = ["shots", "seed_simulator", "seed_partition", "method", "mode", "effective_rendering", "assignment",
                "protocols", "memory", "progress"]

_CLUSTER = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2, link=Link(bell_pair_fidelity=0.98))
_BACKEND = ClusterBackend(_CLUSTER)


def _ghz() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    return qc


@settings(max_examples=20)
@given(st.dictionaries(st.sampled_from(OPTION_NAMES), ODD, min_size=1, max_size=3))
def test_backend_options_run_correctly_or_raise_our_error(options):
    options = {"shots": 32, **options} if "shots" not in options else options
    try:
        result = _BACKEND.run(_ghz(), **options).result()
    except WelinqError as err:
        assert isinstance(err, ValueError | TypeError | MemoryError)
        assert "\n" not in str(err)
        return
    counts = result.get_counts()
    assert sum(counts.values()) == int(options["shots"])
    assert all(len(k) == 3 for k in counts)


@settings(max_examples=12)
@given(st.dictionaries(st.sampled_from(["seed", "seed_partition", "mode", "assignment", "dtype"]), ODD, max_size=3),
       st.one_of(st.integers(-3, 40), ODD))
def test_simulator_arguments_run_correctly_or_raise_our_error(kwargs, repetitions):
    q = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(q[0], q[1]), cirq.CNOT(q[1], q[2]), cirq.measure(*q, key="m"))
    try:
        result = ClusterSimulator(_CLUSTER, **kwargs).run(circuit, repetitions=repetitions)
    except WelinqError as err:
        assert isinstance(err, ValueError | TypeError | MemoryError)
        return
    assert len(result.measurements["m"]) == int(repetitions)
