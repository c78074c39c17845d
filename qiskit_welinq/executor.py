"""A ``ClusterBackend`` job as independent sampling tasks for an executor.

A job of several circuits, each of ``shots`` shots, becomes one
:class:`SamplingTask` per (circuit, shot group): the circuit's compiled program
(compiled once, in the calling process), the group's shot count, the method and a
seed. Circuit ``i`` gets ``spawn_seeds(seed_simulator, num_circuits)[i]``; when its
shots are split into ``g > 1`` groups (run option ``shots_per_task``), group ``j``
gets ``spawn_seeds(circuit_seed, g)[j]``. Seeds depend only on indices, so the
counts are the same on any executor and any number of workers, and equal to the
serial run's (``executor=None``) with the same options.

Tasks and their results pickle: they can go to worker processes or to the machines
of a Dask cluster (see :mod:`welinq_core.executor`).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> from welinq_core.pipeline import compile_program
    >>> bell = Circuit(num_qubits=2, num_clbits=2, operations=[
    ...     Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="measure", qubits=(0,), clbits=(0,)),
    ...     Operation(name="measure", qubits=(1,), clbits=(1,))])
    >>> compiled = compile_program(bell, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1))
    >>> tasks = sampling_tasks([compiled], shots=10, seed=3, shots_per_task=4)
    >>> [t.shots for t in tasks], sorted(set(sample_task(tasks[0]).memory))
    ([4, 4, 2], [0, 3])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from welinq_core.executor import default_worker_threads, shot_groups
from welinq_core.pipeline import CompiledProgram
from welinq_core.seeding import spawn_seeds
from qiskit_welinq.engine import EngineResult, run_on_aer

__all__ = ["SamplingTask", "sample_task", "sampling_tasks", "circuit_seeds", "warm_worker"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SamplingTask:
    """One independent piece of a job.

    Attributes:
        circuit_index: Which circuit of the job.
        group_index: Which shot group of that circuit.
        compiled: The compiled program to sample.
        shots: Shots in this group.
        seed: Seed of this group's sampler.
        method: Engine method (see :data:`qiskit_welinq.engine.METHODS`).
    """

    circuit_index: int
    group_index: int
    compiled: CompiledProgram
    shots: int
    seed: int | None
    method: str = "automatic"


def sample_task(task: SamplingTask) -> EngineResult:
    """Sample one task (a pure function of the task: same task, same memory)."""
    return run_on_aer(task.compiled, shots=task.shots, seed=task.seed, method=task.method)


def circuit_seeds(seed: int | None, num_circuits: int) -> list[int]:
    """The seed of each circuit of a job (fresh entropy when ``seed`` is None)."""
    return spawn_seeds(seed, num_circuits)


def sampling_tasks(
    compiled: Sequence[CompiledProgram],
    *,
    shots: int,
    seed: int | None,
    method: str = "automatic",
    shots_per_task: int | None = None,
    seeds: Sequence[int] | None = None,
) -> list[SamplingTask]:
    """The tasks of a job: one per circuit and shot group, in (circuit, group) order.

    Args:
        compiled: The compiled program of each circuit.
        shots: Shots per circuit.
        seed: The job's seed (None: fresh entropy).
        method: Engine method.
        shots_per_task: Largest shot group (None: one group per circuit).
        seeds: Per-circuit seeds to use instead of spawning them from ``seed``.
    """
    per_circuit = list(seeds) if seeds is not None else circuit_seeds(seed, len(compiled))
    groups = shot_groups(shots, shots_per_task)
    tasks = []
    for i, (program, circuit_seed) in enumerate(zip(compiled, per_circuit)):
        group_seeds = [circuit_seed] if len(groups) == 1 else spawn_seeds(circuit_seed, len(groups))
        for j, (n, s) in enumerate(zip(groups, group_seeds)):
            tasks.append(SamplingTask(
                circuit_index=i, group_index=j, compiled=program, shots=n, seed=s, method=method
            ))
    return tasks


def warm_worker() -> None:
    """Prepare a worker process: one simulator thread, and the engine and sweep code loaded.

    Use it as a process pool's ``initializer`` (with ``qiskit_welinq.executor`` in a
    forkserver's preload list the imports are done once, before the workers fork) or
    run it on Dask workers with ``client.run(warm_worker)``. A cold worker otherwise
    spends its first task importing Qiskit and Aer (a second or two).

    Examples:
        >>> import os
        >>> saved = dict(os.environ)
        >>> warm_worker(); os.environ["WELINQ_AER_THREADS"]
        '1'
        >>> os.environ.clear(); os.environ.update(saved)
    """
    default_worker_threads()
    import qiskit_welinq.studies  # noqa: F401 - the sweep's task function and its imports
