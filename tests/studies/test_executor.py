"""The executor option: same counts on any executor and any number of workers; tasks pickle."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import cirq
import pytest
import sympy
from qiskit import QuantumCircuit
from qiskit.synthesis import synth_qft_full

from cirq_welinq import ClusterSimulator
from qiskit_welinq import ClusterBackend
from qiskit_welinq.executor import sample_task, sampling_tasks
from welinq_core import Cluster, Link, QPU
from welinq_core.errors import OptionsError
from welinq_core.seeding import spawn_seeds

CLUSTER = Cluster.homogeneous(
    num_qpus=2, data_qubits_per_qpu=3, topology="line",
    link=Link(bell_pair_fidelity=0.9, length_km=1.0),
    qpu=QPU(name="q", num_data_qubits=3, two_qubit_gate_error=0.02, readout_error=0.01),
)


def circuits():
    ghz = QuantumCircuit(5, 5, name="ghz")
    ghz.h(0)
    for i in range(4):
        ghz.cx(i, i + 1)
    ghz.measure(range(5), range(5))
    qft = QuantumCircuit(4, 4, name="qft")
    qft.x(0)
    qft.compose(synth_qft_full(4), inplace=True)
    qft.measure(range(4), range(4))
    return [ghz, qft, ghz.copy(name="ghz2")]


def counts(executor, **options):
    backend = ClusterBackend(CLUSTER)
    result = backend.run(circuits(), shots=400, seed_simulator=11, executor=executor, **options).result()
    return [result.get_counts(i) for i in range(3)], [r.seed for r in result.results]



def test_serial_equals_threads_processes_and_dask(process_pool, dask_client):
    serial = counts(None, shots_per_task=150)
    assert counts(process_pool, shots_per_task=150) == serial
    assert counts(dask_client, shots_per_task=150) == serial


def test_seeds_are_spawned_per_circuit_and_shot_group():
    (c_one, seeds), (c_split, seeds_split) = counts(None), counts(None, shots_per_task=150)
    assert seeds == seeds_split == spawn_seeds(11, 3)
    # a copy of a circuit in one job gets its own samples, not a shifted copy
    assert c_one[0] != c_one[2]
    assert all(sum(c.values()) == 400 for c in c_one + c_split)
    tasks = sampling_tasks([object()] * 2, shots=400, seed=11, shots_per_task=150)  # type: ignore[list-item]
    assert [t.shots for t in tasks] == [150, 150, 100] * 2
    assert [t.seed for t in tasks[:3]] == spawn_seeds(spawn_seeds(11, 2)[0], 3)


def test_tasks_and_results_pickle():
    backend = ClusterBackend(CLUSTER)
    compiled = backend._prepare(circuits()[1], {**backend.options.__dict__})
    task = sampling_tasks([compiled], shots=50, seed=3)[0]
    clone = pickle.loads(pickle.dumps(task))
    assert clone == task
    result = sample_task(task)
    assert pickle.loads(pickle.dumps(result)) == result
    assert sample_task(clone).memory == result.memory


def test_cirq_simulator_executor(process_pool):
    q = cirq.LineQubit.range(5)
    t = sympy.Symbol("t")
    circuit = cirq.Circuit(cirq.H(q[0]), [cirq.CNOT(q[i], q[i + 1]) for i in range(4)], cirq.rx(t)(q[2]),
                           cirq.measure(*q, key="m"))
    sweep = cirq.Linspace("t", 0, 1, 3)

    def histograms(executor):
        sim = ClusterSimulator(CLUSTER, seed=5, executor=executor)
        return [r.histogram(key="m") for r in sim.run_sweep(circuit, sweep, repetitions=300)]

    with ThreadPoolExecutor(1) as one:
        serial = histograms(one)
    assert histograms(process_pool) == serial
    assert all(sum(h.values()) == 300 for h in serial)


def test_bad_executor_options():
    backend = ClusterBackend(CLUSTER)
    with pytest.raises(OptionsError, match="executor=4"):
        backend.run(circuits()[0], executor=4)
    with pytest.raises(OptionsError, match="shots_per_task=0"):
        backend.run(circuits()[0], shots_per_task=0)
    with pytest.raises(OptionsError, match="executor="):
        ClusterSimulator(CLUSTER, executor="dask")


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts the tasks handed to it."""

    def __init__(self) -> None:
        super().__init__(1)
        self.submitted = 0

    def submit(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        self.submitted += 1
        return super().submit(*args, **kwargs)


def test_a_single_task_runs_in_process_with_the_serial_result():
    backend = ClusterBackend(CLUSTER)
    qc = circuits()[1]
    serial = backend.run(qc, shots=300, seed_simulator=5, memory=True).result()
    with CountingExecutor() as pool:
        one = backend.run(qc, shots=300, seed_simulator=5, memory=True, executor=pool).result()
        assert pool.submitted == 0  # nothing to parallelise: no hand-over
        split = backend.run(qc, shots=300, seed_simulator=5, executor=pool, shots_per_task=100).result()
        assert pool.submitted == 3
    assert one.get_memory(0) == serial.get_memory(0) and one.get_counts() == serial.get_counts()
    assert sum(split.get_counts().values()) == 300
