"""``ClusterBackend``: a Qiskit BackendV2 that runs circuits on a virtual cluster of QPUs.

Each circuit is partitioned across the cluster's QPUs, every gate between QPUs is
replaced by its Bell-pair protocol, and the result is simulated on Aer. Counts
and memory cover the user's classical bits only; the report of the distributed
run (partition, Bell pairs per link, packets) is in each experiment's metadata.

Examples:
    >>> from qiskit import QuantumCircuit
    >>> from welinq_core import Cluster
    >>> backend = ClusterBackend(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2))
    >>> qc = QuantumCircuit(4, 4)
    >>> _ = qc.h(0); _ = [qc.cx(i, i + 1) for i in range(3)]; _ = qc.measure(range(4), range(4))
    >>> result = backend.run(qc, shots=200, seed_simulator=7).result()
    >>> sorted(result.get_counts())
    ['0000', '1111']
    >>> result.results[0].metadata["welinq"]["total_bell_pairs"]
    1
"""

from __future__ import annotations

import os
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from qiskit import QuantumCircuit
from qiskit.providers import BackendV2, Options
from qiskit.result import Result
from qiskit.result.models import ExperimentResult, ExperimentResultData
from qiskit.transpiler import CouplingMap, Target

from welinq_core._version import __version__
from welinq_core.cluster import Cluster
from welinq_core.cluster_presets import DEFAULT_CLUSTER_PRESET
from welinq_core.errors import OptionsError
from welinq_core.resources import check_network_size, check_shots
from welinq_core.run_options import check_assignment, check_choice, check_flag, suggest
from welinq_core.noise import EFFECTIVE_RENDERINGS
from welinq_core.lowering import check_protocols
from welinq_core.lowering.near_identity import NEAR_IDENTITY_TOLERANCE, check_tolerance
from welinq_core.seeding import check_seed

from welinq_core.pipeline import CompiledProgram, MODES, compile_program
from qiskit_welinq.convert import circuit_from_qiskit
from qiskit_welinq.engine import METHODS, PROGRESS_AFTER_S, EngineResult, sample_program
from qiskit_welinq.executor import circuit_seeds, sample_task, sampling_tasks
from welinq_core.executor import check_executor, iter_completed
from qiskit_welinq.job import ClusterJob
from qiskit_welinq.parameter_binds import bind_circuits
from qiskit_welinq.target import cached_target, target_from_cluster

__all__ = ["ClusterBackend", "target_from_cluster", "circuit_ir"]

_MAX_FULL_COUPLING_QUBITS = 256
_CONTROL_FLOW = ["if_else", "for_loop", "while_loop", "switch_case"]
_DIRECTIVES = {"measure", "reset", "barrier", "delay", "break_loop", "continue_loop", *_CONTROL_FLOW}


class ClusterBackend(BackendV2):
    """Run Qiskit circuits on a virtual networked cluster of QPUs.

    Args:
        cluster: The cluster (a :class:`~welinq_core.cluster.Cluster`) or a preset name.
            Defaults to :data:`~welinq_core.cluster_presets.DEFAULT_CLUSTER_PRESET`
            (``"ideal-4-ring"``: 4 QPUs x 8 data qubits, perfect links).
        **options: Default run options (see :meth:`_default_options`).

    Run options:
        shots: Shots per circuit. Defaults to 1024.
        memory: Return per-shot memory. Defaults to False.
        seed_simulator: Seed of the sampler; same seed, same counts. Defaults to None.
        seed_partition: Seed of the partitioner. Defaults to 0 (deterministic).
        mode: ``"effective"`` (data qubits only, each remote packet's exact noise
            channel) or ``"explicit"`` (communication qubits, mid-circuit measurement
            and feed-forward simulated). Defaults to ``"effective"``.
        effective_rendering: ``"exact"`` (every effective run reproduces the explicit
            protocol exactly; packets of non-Clifford gates may add randomness
            qubits and feed-forward) or ``"static"`` (no extra qubits; approximate
            for such packets, flagged ``effective_exact: False`` in the report).
            Defaults to ``"exact"``.
        method: Simulation method, one of ``automatic`` (chosen per circuit: stim for
            Clifford circuits, density matrix for small noisy ones,
            state vector with shot branching, matrix product states for wide ones),
            ``stim``, ``stabilizer`` (Aer's), ``density_matrix``, ``statevector``,
            ``matrix_product_state``. Defaults to ``"automatic"``.
        assignment: Optional fixed ``{qubit: qpu}`` placement. Defaults to None.
        protocols: Remote-operation protocols: ``"auto"`` (the cheapest of TeleGate,
            TeleGate+TeleData and TeleData for each circuit), ``("telegate",)``,
            ``("telegate", "teledata")`` or ``("teledata",)``. Defaults to ``"auto"``.
        identity_tolerance: Two-qubit gates within this operator-norm distance of the
            identity are dropped before partitioning (they would cost Bell pairs for
            nothing a device could tell apart, like the tiny controlled phases of a large
            QFT); the report's ``near_identity`` says how many. 0 keeps every gate.
            Defaults to ``1e-12``.
        progress: Show a progress bar (over the tasks of a job, or over the shot
            groups of a single circuit): True, False, or None (only when the run takes
            more than a few seconds; ``WELINQ_PROGRESS=0`` turns it off). Defaults to None.
        executor: Where the job's sampling tasks run: a ``concurrent.futures.Executor``
            (``ProcessPoolExecutor``, ``ThreadPoolExecutor``), a ``dask.distributed.Client``,
            or None (in this process). Circuits are compiled here; each (circuit, shot
            group) task is sampled on the executor; a job of a single task runs in this
            process (handing it over would only add latency). Defaults to None.
        shots_per_task: Split each circuit's shots into groups of at most this many,
            sampled as separate tasks (so one circuit can use several workers), or None
            (one task per circuit). Defaults to None.

    Seeds: circuit ``i`` of a job is sampled with ``spawn_seeds(seed_simulator, n)[i]``
    (:mod:`welinq_core.seeding`), each shot group with a seed spawned from its
    circuit's; the counts depend only on the seed and the options, never on the
    executor or its number of workers.

    Compile once, sample many: the partition, lowering, schedule and noise stages of a
    circuit are cached, so running the same circuit again only re-samples.
    """

    _CACHE_SIZE = 64

    def __init__(self, cluster: Cluster | str | None = None, **options: Any) -> None:
        if cluster is None:
            cluster = DEFAULT_CLUSTER_PRESET
        if isinstance(cluster, str):
            cluster = Cluster.preset(cluster)
        if not isinstance(cluster, Cluster):
            raise OptionsError(f"cluster={cluster!r} must be a welinq Cluster or a preset name")
        super().__init__(
            provider=None,
            name=f"welinq_{cluster.name}",
            description=f"virtual networked backend on cluster {cluster.name!r}",
            backend_version=__version__,
        )
        self._cluster = cluster
        check_network_size(cluster)
        self._target: Target | None = None
        if options:
            self.set_options(**options)

    def set_options(self, **fields: Any) -> None:
        """Set default run options, checked as :meth:`run` checks them."""
        self._check_options(fields)
        super().set_options(**fields)

    @property
    def cluster(self) -> Cluster:
        """The cluster this backend runs on."""
        return self._cluster

    @property
    def target(self) -> Target:
        """The Target (:func:`~qiskit_welinq.target.target_from_cluster`): every data qubit
        with its QPU's T1/T2, gates with durations and errors, local and remote couplings
        with the remote gates' costs. Built on first use, shared by backends on equal clusters."""
        if self._target is None:
            self._target = cached_target(self._cluster)
        return self._target

    @property
    def coupling_map(self) -> CouplingMap | None:
        """Qubit pairs that two-qubit gates act on: the Target's (local coupling of each QPU
        and every cross-QPU pair). Targets too large for per-pair properties advertise their
        two-qubit gates on every pair; then this is the full map (up to
        :data:`_MAX_FULL_COUPLING_QUBITS` qubits, else None, Qiskit's "all-to-all")."""
        cmap = self.target.build_coupling_map()
        if cmap is None and 1 < self.num_qubits <= _MAX_FULL_COUPLING_QUBITS:
            cmap = CouplingMap.from_full(self.num_qubits)
        return cmap

    def __str__(self) -> str:
        c = self._cluster
        sizes = ", ".join(f"{q.name}: {q.num_data_qubits}" for q in c.qpus)
        return (
            f"ClusterBackend on cluster {c.name!r}: {c.num_qpus} QPU(s) ({sizes} data qubits), "
            f"{len(c.links)} link(s), {c.num_data_qubits} qubits"
        )

    def __repr__(self) -> str:
        c = self._cluster
        return (
            f"<ClusterBackend name={self.name!r} cluster={c.name!r} qpus={c.num_qpus} "
            f"data_qubits={c.num_data_qubits} links={len(c.links)}>"
        )

    @property
    def max_circuits(self) -> None:
        """No limit on circuits per job."""
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(
            shots=1024,
            memory=False,
            seed_simulator=None,
            seed_partition=0,
            mode="effective",
            effective_rendering="exact",
            method="automatic",
            assignment=None,
            protocols="auto",
            identity_tolerance=NEAR_IDENTITY_TOLERANCE,
            progress=None,
            executor=None,
            shots_per_task=None,
        )

    def _check_options(self, options: dict[str, Any]) -> None:
        """Check run options at the door (types, ranges, names); raise :class:`OptionsError`."""
        known = set(self._default_options().__dict__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise OptionsError(
                f"unknown run option(s) {unknown}{suggest(unknown[0], known)}; valid options are {sorted(known)}"
            )
        if options.get("shots") is not None:
            options["shots"] = check_shots(options["shots"])
        for name in ("seed_simulator", "seed_partition"):
            if name in options:
                options[name] = check_seed(options[name], name=name)
        if "memory" in options:
            options["memory"] = check_flag("memory", options["memory"])
        if "progress" in options:
            options["progress"] = check_flag("progress", options["progress"], allow_none=True)
        if "effective_rendering" in options:
            check_choice("effective_rendering", options["effective_rendering"], EFFECTIVE_RENDERINGS)
        if "method" in options:
            check_choice("method", options["method"], METHODS)
        if "protocols" in options:
            if not isinstance(options["protocols"], str | Iterable):
                raise OptionsError(
                    f"protocols={options['protocols']!r} must be 'auto', a name such as 'telegate', or a tuple "
                    "such as ('telegate', 'teledata')"
                )
            options["protocols"] = check_protocols(options["protocols"])
        if "identity_tolerance" in options:
            options["identity_tolerance"] = check_tolerance(options["identity_tolerance"])
        if "executor" in options:
            check_executor(options["executor"])
        per_task = options.get("shots_per_task")
        if per_task is not None and (not isinstance(per_task, int) or isinstance(per_task, bool) or per_task < 1):
            raise OptionsError(f"shots_per_task={per_task!r} must be a positive integer or None")
        if "mode" in options:
            check_choice("mode", options["mode"], MODES)
        if "assignment" in options:
            options["assignment"] = check_assignment(options["assignment"], self._cluster)

    def run(self, run_input: QuantumCircuit | Sequence[QuantumCircuit], parameter_binds: Any = None,
            **options: Any) -> ClusterJob:
        """Run one circuit or a list of circuits; returns a finished :class:`ClusterJob`.

        Args:
            run_input: A circuit or a list of circuits.
            parameter_binds: As on ``AerSimulator.run``: one dictionary per circuit,
                ``{parameter: [values]}``; each circuit runs once per position of its
                value lists (see :mod:`qiskit_welinq.parameter_binds`). Defaults to None.
            **options: Run options overriding the backend's (see the class documentation).
        """
        self._check_options(options)
        opts = {**self.options.__dict__, **options}
        if not isinstance(run_input, QuantumCircuit | Sequence):
            raise OptionsError(
                f"run_input is a {type(run_input).__name__}; give a QuantumCircuit or a list of them"
            )
        circuits = [run_input] if isinstance(run_input, QuantumCircuit) else list(run_input)
        for index, qc in enumerate(circuits):
            if not isinstance(qc, QuantumCircuit):
                raise OptionsError(f"run_input[{index}] is a {type(qc).__name__}, not a QuantumCircuit")
        if parameter_binds is not None:
            circuits = bind_circuits(circuits, parameter_binds)
        compiled = [self._prepare(qc, opts) for qc in circuits]
        # One independent seed per circuit, spawned from the user's (never seed + index).
        seeds = (circuit_seeds(check_seed(opts["seed_simulator"], name="seed_simulator"), len(circuits))
                 if opts["seed_simulator"] is not None else [None] * len(circuits))
        tasks = sampling_tasks(
            compiled, shots=opts["shots"], seed=None, seeds=seeds, method=opts["method"],
            shots_per_task=opts["shots_per_task"],
        )
        # One progress bar, over the tasks of a job; for a single task, over its shot groups.
        # Shown only when the run takes more than a few seconds (or progress=True), never
        # with progress=False or WELINQ_PROGRESS=0.
        quiet = opts["progress"] is False or os.environ.get("WELINQ_PROGRESS") == "0"
        samples: list[EngineResult | None] = [None] * len(tasks)
        if len(tasks) == 1:  # in this process, executor or not (see iter_completed): same samples
            t = tasks[0]
            samples[0] = sample_program(t.compiled, shots=t.shots, seed=t.seed, method=t.method,
                                        progress=False if quiet else opts["progress"])
            tasks_left: list = []
        else:
            tasks_left = tasks
        from tqdm import tqdm  # loads when a job runs, not with the package

        with tqdm(total=len(tasks_left), desc=f"{self.name}", unit="task", leave=False,
                  disable=True if quiet or not tasks_left else (False if opts["progress"] else None),
                  delay=0.0 if opts["progress"] else PROGRESS_AFTER_S) as bar:  # None: terminals only
            for i, sample in iter_completed(sample_task, tasks_left, executor=opts["executor"]):
                samples[i] = sample
                bar.update()
        results = []
        for index, (qc, program) in enumerate(zip(circuits, compiled)):
            groups = [s for t, s in zip(tasks, samples) if t.circuit_index == index]
            results.append(self._experiment_result(qc, program, groups, opts, seeds[index]))
        result = Result(
            backend_name=self.name,
            backend_version=self.backend_version,
            job_id=str(uuid.uuid4()),
            success=True,
            results=results,
        )
        return ClusterJob(self, result.job_id, result)

    def _compile(self, ir: Any, opts: dict[str, Any]) -> CompiledProgram:
        assignment = check_assignment(opts["assignment"], self._cluster, num_qubits=ir.num_qubits)
        key = (
            ir,
            opts["mode"],
            opts["effective_rendering"],
            opts["seed_partition"],
            None if assignment is None else (
                tuple(sorted(assignment.items())) if isinstance(assignment, dict) else tuple(assignment)
            ),
            check_protocols(opts["protocols"]),
            opts["identity_tolerance"],
        )
        cache = self.__dict__.setdefault("_compiled", OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        compiled = compile_program(
            ir,
            self._cluster,
            mode=opts["mode"],
            effective_rendering=opts["effective_rendering"],
            seed=opts["seed_partition"],
            assignment=assignment,
            protocols=opts["protocols"],
            identity_tolerance=opts["identity_tolerance"],
            draw_per_shot=True,
        )
        cache[key] = compiled
        if len(cache) > self._CACHE_SIZE:
            cache.popitem(last=False)
        return compiled

    def _prepare(self, qc: QuantumCircuit, opts: dict[str, Any]) -> CompiledProgram:
        """Transpile if needed, convert and compile (cached) one circuit."""
        return self._compile(circuit_ir(qc), opts)

    def _experiment_result(
        self, original: QuantumCircuit, compiled: CompiledProgram, groups: list[EngineResult],
        opts: dict[str, Any], seed: int | None,
    ) -> ExperimentResult:
        """One circuit's result from its shot groups (memory in group order)."""
        engine = groups[0]
        data: dict[str, Any] = {}
        measured = any(op.name == "measure" for op in compiled.program.circuit.operations)
        if engine.memory is not None and measured:
            memory = [v for g in groups for v in g.memory]
            counts: dict[str, int] = {}  # as on AerSimulator: no counts when nothing is measured
            for v in memory:
                key = hex(v)
                counts[key] = counts.get(key, 0) + 1
            data["counts"] = counts
            if opts["memory"] and original.num_clbits:
                data["memory"] = [hex(v) for v in memory]
        creg_sizes = [[r.name, r.size] for r in original.cregs]
        if not creg_sizes and original.num_clbits:
            creg_sizes = [["c", original.num_clbits]]
        header = {
            "name": original.name,
            "n_qubits": original.num_qubits,
            "memory_slots": original.num_clbits,
            "creg_sizes": creg_sizes,
            "qreg_sizes": [[r.name, r.size] for r in original.qregs],
            "clbit_labels": [[r.name, i] for r in original.cregs for i in range(r.size)],
            "metadata": dict(original.metadata or {}),
        }
        simulated = engine.metadata.get("simulated_qubits", compiled.circuit.num_qubits)
        report = compiled.report.to_dict()
        report["simulated_qubits"] = simulated  # after the engine's qubit reuse, as simulated
        metadata = {
            "welinq": report,
            "method": engine.method,
            "method_reason": engine.reason,
            "simulated_qubits": simulated,
        }
        for key in ("shot_groups", "per_shot_schedule"):
            if key in engine.metadata:
                metadata[key] = engine.metadata[key]
        return ExperimentResult(
            shots=opts["shots"],
            success=True,
            data=ExperimentResultData(**data),
            header=header,
            status="DONE",
            seed=seed,
            metadata=metadata,
        )


def circuit_ir(qc: QuantumCircuit) -> Any:
    """The welinq IR of a Qiskit circuit: gates the core knows are kept as written (no
    lossy transpile, so a ``cu1`` stays one controlled phase); others are replaced by
    their definitions.

    Raises:
        UnsupportedGateError: If a gate is unknown and has no definition.
    """
    return circuit_from_qiskit(qc)
