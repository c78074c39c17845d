"""``ClusterSimulator``: a drop-in replacement for ``cirq.Simulator`` that runs on a cluster.

Each circuit is resolved, converted to the welinq IR, compiled for the cluster
(partition, lowering of every gate between QPUs to its Bell-pair protocol, and
the link-noise stage) and simulated. Replace ``cirq.Simulator()`` by
``ClusterSimulator(cluster)`` and the rest of a Cirq program runs unchanged:
``run``, ``run_sweep``, ``sample``, ``simulate``, ``simulate_expectation_values``
and ``compute_amplitudes``, repeated measurement keys, ``invert_mask``, classical
controls, resets, sympy parameters and sweeps, and a ``noise=`` model of any
channels with a Kraus representation. Measurement records have the dtype, shape
and key order ``cirq.Simulator`` gives the same circuit (see :func:`record_dtype`).

Engine: Cirq's own simulators run the compiled circuit, converted back to Cirq
(:func:`~cirq_welinq.convert.circuit_to_cirq`), so results have exactly Cirq's
types and random-number use.

* Sampling uses ``cirq.Simulator`` (state vectors; ``pauli_channel`` ops become
  ``cirq.MixedUnitaryChannel`` mixtures and ``kraus`` ops ``cirq.KrausChannel``
  that it samples once per repetition, i.e. exact quantum trajectories). When the compiled circuit is noisy but has no
  mid-circuit measurement or feed-forward (``mode="effective"``), has at most 10 qubits and
  enough repetitions to pay for it (about half as many as the state has amplitudes), it
  uses ``cirq.DensityMatrixSimulator`` instead, which computes the state once and samples
  every repetition from it.
* ``simulate`` uses ``cirq.Simulator`` when the compiled circuit has no
  channel (``pauli_channel`` or ``kraus``) and returns a ``cirq.StateVectorTrialResult`` over the user's
  qubits: the communication qubits end every protocol measured, so the final
  state is a product of the data qubits' state and a basis state of the
  communication qubits, which is sliced off. With noisy links it uses
  ``cirq.DensityMatrixSimulator``, traces out the communication qubits and
  returns a ``cirq.DensityMatrixTrialResult``.

Examples:
    >>> import cirq
    >>> from welinq_core import Cluster
    >>> q = cirq.LineQubit.range(4)
    >>> ghz = cirq.Circuit(cirq.H(q[0]), [cirq.CNOT(q[i], q[i + 1]) for i in range(3)],
    ...                    cirq.measure(*q, key="m"))
    >>> sim = ClusterSimulator(Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), seed=1)
    >>> sorted(set(sim.run(ghz, repetitions=50).histogram(key="m")))
    [0, 15]
    >>> sim.last_report.total_bell_pairs
    1
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import cirq
import numpy as np

from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.cluster_presets import DEFAULT_CLUSTER_PRESET
from welinq_core.errors import OneScheduleWarning, OptionsError, SimulationTooLargeError, UnboundParameterError
from welinq_core.resources import check_network_size, check_shots, memory_budget_bytes
from welinq_core.progress import progress_bar
from welinq_core.run_options import check_assignment, check_choice, check_flag
from welinq_core.seeding import check_seed
from welinq_core.pipeline import MODES, CompiledProgram, compile_program, waits_change_errors
from welinq_core.qubit_reuse import fewest_qubits
from welinq_core.report import Report
from welinq_core.executor import check_executor, run_tasks
from welinq_core.seeding import MAX_SEED, spawn_seeds
from cirq_welinq.convert import (
    MeasurementRecord,
    _build_cirq,
    _extend_qubits,
    _Source,
    circuit_from_cirq,
    records_by_key,
)
from cirq_welinq.device import ClusterDevice

__all__ = ["ClusterSimulator", "record_dtype"]

_CACHE_SIZE = 64
#: Engines of ``ClusterSimulator(method=...)``: ``automatic`` picks stim for Clifford circuits.
METHODS = ("automatic", "stim", "cirq")
#: Noisy static circuits up to this many qubits may use ``cirq.DensityMatrixSimulator``...
_DENSITY_MATRIX_MAX_QUBITS = 10
#: ... when there are at least ``this * 2**n`` repetitions: one density matrix costs about as
#: much as this many state-vector repetitions per amplitude. Measured (Cirq 1.x, noisy QAOA
#: layers, 2 cores): 8 qubits DM 2.5 s vs 0.3 s per noisy repetition; 10 qubits 77 s vs 0.31 s;
#: a 12-qubit density matrix took minutes per run, so a run of a few repetitions was hours.
_DENSITY_MATRIX_REPETITIONS_PER_AMPLITUDE = 0.5


def _density_matrix_pays(num_qubits: int, repetitions: int) -> bool:
    """Whether one density matrix is cheaper than ``repetitions`` state-vector trajectories.

    Examples:
        >>> _density_matrix_pays(8, 1000), _density_matrix_pays(8, 10), _density_matrix_pays(12, 10**6)
        (True, False, False)
    """
    return (num_qubits <= _DENSITY_MATRIX_MAX_QUBITS
            and repetitions >= _DENSITY_MATRIX_REPETITIONS_PER_AMPLITUDE * 2**num_qubits)


#: Bytes the device description takes per data qubit and per qubit pair (its connectivity graph).
_DEVICE_BYTES_PER_QUBIT = 400
_DEVICE_BYTES_PER_PAIR = 600


def _checked_cluster(cluster: Any) -> Cluster:
    """The cluster (a preset name resolved), refused before the device is built if it would not fit."""
    if isinstance(cluster, str):
        cluster = Cluster.preset(cluster)
    if not isinstance(cluster, Cluster):
        raise OptionsError(f"cluster={cluster!r} must be a welinq Cluster or a preset name")
    check_network_size(cluster)
    n = cluster.num_data_qubits
    need = n * _DEVICE_BYTES_PER_QUBIT + n * (n - 1) // 2 * _DEVICE_BYTES_PER_PAIR
    budget = int(memory_budget_bytes() * 0.6)
    if need > budget:
        raise SimulationTooLargeError(
            f"cluster {cluster.name!r} has {n} data qubits: the Cirq device lists every qubit and qubit pair, "
            f"about {need / 2**30:.1f} GiB, but only {budget / 2**30:.1f} GiB may be used; describe only the "
            "qubits your circuits use (fewer data qubits per QPU)",
            required_bytes=need,
            available_bytes=budget,
        )
    return cluster


def _checked_random_state(seed: Any) -> Any:
    """A seed Cirq's ``parse_random_state`` takes: None, an int in [0, 2**32 - 1] (NumPy ints too),
    a ``numpy.random.RandomState`` or the ``numpy.random`` module."""
    if seed is None or isinstance(seed, np.random.RandomState) or seed is np.random:
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool | np.bool_):
        if 0 <= int(seed) <= 2**32 - 1:
            return int(seed)
        raise OptionsError(f"seed={int(seed)} is outside [0, 2**32 - 1] (NumPy's RandomState range); pick a "
                           "seed in that range")
    raise OptionsError(
        f"seed={seed!r} must be an integer in [0, 2**32 - 1], a numpy.random.RandomState or None; got a "
        f"{type(seed).__name__}"
    )


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """A circuit ready for the engine: the compiled program and its Cirq rendering."""

    compiled: CompiledProgram
    qubits: tuple[cirq.Qid, ...]
    engine_qubits: tuple[cirq.Qid, ...]
    layout: tuple[MeasurementRecord, ...]
    engine: cirq.Circuit
    sources: dict[int, _Source]
    record_dtype: type[np.integer]

    @property
    def noisy(self) -> bool:
        return any(op.name in ("pauli_channel", "kraus") for op in self.compiled.circuit.operations)

    @property
    def dynamic(self) -> bool:
        return self.compiled.circuit.has_mid_circuit_measurement()

    def records(self, engine_records: dict[str, np.ndarray], repetitions: int) -> dict[str, np.ndarray]:
        """The user's records ``{key: (repetitions, instances, bits)}`` from the engine's."""
        out = {}
        for key, recs in records_by_key(self.layout).items():
            width = max(len(r.clbits) for r in recs)
            arr = np.zeros((repetitions, len(recs), width), dtype=self.record_dtype)
            for j, rec in enumerate(recs):
                for i, (c, inv) in enumerate(zip(rec.clbits, rec.invert_mask)):
                    src = self.sources.get(c)
                    if src is None:  # never written (cannot happen for a measured bit)
                        arr[:, j, i] = int(inv)
                        continue
                    held = engine_records[src.key][:, src.instance, src.position]
                    arr[:, j, i] = held ^ (int(src.inverted) ^ int(inv))
            out[key] = arr
        return out

    def last_measurements(self, engine_measurements: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The user's ``{key: bits}`` of the last instance of each key, from one trajectory."""
        out = {}
        for key, recs in records_by_key(self.layout).items():
            rec = recs[-1]
            bits = []
            for c, inv in zip(rec.clbits, rec.invert_mask):
                src = self.sources.get(c)
                held = 0 if src is None else int(engine_measurements[src.key][src.position])
                bits.append(held ^ int(src.inverted if src else 0) ^ int(inv))
            out[key] = np.array(bits, dtype=np.uint8)
        return out


class ClusterSimulator(
    cirq.SimulatesSamples,
    cirq.SimulatesFinalState,
    cirq.SimulatesExpectationValues,
    cirq.SimulatesAmplitudes,
):
    """Simulate Cirq circuits as they would run distributed over a cluster of QPUs.

    Args:
        cluster: The cluster (a :class:`~welinq_core.cluster.Cluster`) or a preset name.
            Defaults to :data:`~welinq_core.cluster_presets.DEFAULT_CLUSTER_PRESET`
            (``"ideal-4-ring"``: 4 QPUs x 8 data qubits on a ring of perfect links, so
            results equal ``cirq.Simulator``'s), which makes ``ClusterSimulator()`` a
            one-line replacement for ``cirq.Simulator()``.
        seed: Random seed or ``numpy.random.RandomState`` of the sampler, as for
            ``cirq.Simulator``. Defaults to None: draw from NumPy's global random
            state (so ``np.random.seed(...)`` makes runs reproducible).
        mode: ``"explicit"`` (communication qubits, mid-circuit measurements and
            feed-forward are simulated) or ``"effective"`` (data qubits only, each
            Bell pair's effect as a channel). Defaults to ``"effective"``, as ``ClusterBackend``.
        noise: A ``cirq.NOISE_MODEL_LIKE`` applied to the user's circuit before
            compilation: any channel with a Kraus representation (``cirq.depolarize``,
            ``cirq.amplitude_damp``, ``cirq.KrausChannel``, ...) on at most 3 qubits.
            Non-Pauli channels run on Cirq's density-matrix simulator (or as exact
            trajectories when the program has mid-circuit measurements), with the
            cluster's link noise added as usual. Defaults to None (no extra noise).
        dtype: Complex dtype of the state vectors. Defaults to ``np.complex64``.
        seed_partition: Seed of the partitioner; the same seed gives the same
            placement. Defaults to 0.
        assignment: Optional fixed placement, a sequence of QPU names (one per qubit
            in ``cirq.QubitOrder.DEFAULT`` order) or a ``{qubit_index: qpu}`` mapping.
            Defaults to None (the partitioner decides).
        executor: Where the points of ``run_sweep`` (and ``run``) are sampled: a
            ``concurrent.futures.Executor``, a ``dask.distributed.Client``, or None (in
            this process, drawing from ``seed`` as ``cirq.Simulator`` does). With an
            executor, circuits are compiled here, one seed is drawn from ``seed`` per
            call, and point ``i`` is sampled with ``spawn_seeds(that_seed, points)[i]``:
            the same ``seed`` gives the same results on any executor and any number of
            workers. Defaults to None.
        method: Sampling engine of ``run``: ``"automatic"`` (stim for Clifford circuits
            with Pauli noise, measurements and fed-forward Pauli corrections, when stim
            is installed; Cirq's simulators otherwise), ``"stim"`` (forced; a
            non-Clifford circuit raises ``UnsupportedGateError``) or ``"cirq"``.
            Defaults to ``"automatic"``.
        progress: A progress bar over the points of ``run_sweep`` (and the circuits of
            ``run_batch``): None (default) shows it on a terminal once a sweep takes more
            than a few seconds; True always, False never; ``WELINQ_PROGRESS=0`` turns
            it off (see :mod:`welinq_core.progress`).

    Attributes:
        last_compiled: The :class:`~welinq_core.pipeline.CompiledProgram` of the last
            circuit run or simulated (None before the first).
    """

    def __init__(
        self,
        cluster: Cluster | str | None = None,
        *,
        seed: cirq.RANDOM_STATE_OR_SEED_LIKE = None,
        mode: str = "effective",
        noise: cirq.NOISE_MODEL_LIKE = None,
        dtype: type[np.complexfloating] = np.complex64,
        seed_partition: int | None = 0,
        assignment: Sequence[str] | dict[int, str] | None = None,
        executor: Any = None,
        method: str = "automatic",
        progress: bool | None = None,
    ) -> None:
        self._device = ClusterDevice(_checked_cluster(DEFAULT_CLUSTER_PRESET if cluster is None else cluster))
        check_choice("mode", mode, MODES)
        try:
            kind = np.dtype(dtype).kind
        except (TypeError, ValueError):
            kind = None
        if kind != "c":
            raise OptionsError(f"dtype={dtype!r} must be a complex dtype (np.complex64 or np.complex128)")
        check_executor(executor)
        self._executor = executor
        if method not in METHODS:
            raise OptionsError(f"method={method!r} is unknown; choose one of {METHODS}")
        self._method = method
        self._progress = check_flag("progress", progress, allow_none=True)
        self._mode = mode
        self._dtype = dtype
        self._prng = cirq.value.parse_random_state(_checked_random_state(seed))
        try:
            self._noise = cirq.NoiseModel.from_noise_model_like(noise)
        except (TypeError, ValueError) as err:
            raise OptionsError(f"noise={noise!r} is not a Cirq noise model: {err}") from err
        self._seed_partition = check_seed(seed_partition, name="seed_partition")
        self._assignment = check_assignment(assignment, self.cluster)
        self._compiled: OrderedDict[Circuit, CompiledProgram] = OrderedDict()
        self._placements: OrderedDict[tuple, tuple[str, ...]] = OrderedDict()
        self.last_compiled: CompiledProgram | None = None

    # ---- properties -------------------------------------------------------------------------
    @property
    def cluster(self) -> Cluster:
        """The cluster circuits run on."""
        return self._device.cluster

    @property
    def device(self) -> ClusterDevice:
        """The cluster as a ``cirq.Device``."""
        return self._device

    @property
    def mode(self) -> str:
        """Execution mode (``"explicit"`` or ``"effective"``)."""
        return self._mode

    @property
    def noise(self) -> cirq.NoiseModel:
        """The extra noise model applied to the user's circuits."""
        return self._noise

    @property
    def last_report(self) -> Report | None:
        """The report of the last circuit run or simulated (None before the first)."""
        return None if self.last_compiled is None else self.last_compiled.report

    def __repr__(self) -> str:
        return (
            f"cirq_welinq.ClusterSimulator(cluster={self.cluster.name!r}, mode={self._mode!r}, "
            f"noise={self._noise!r}, dtype=np.{np.dtype(self._dtype).name})"
        )

    # ---- compilation ------------------------------------------------------------------------
    def compile(
        self,
        circuit: cirq.AbstractCircuit,
        param_resolver: cirq.ParamResolverOrSimilarType = None,
        qubit_order: cirq.QubitOrderOrList = cirq.QubitOrder.DEFAULT,
    ) -> CompiledProgram:
        """Compile a circuit for the cluster without simulating it.

        Returns:
            The :class:`~welinq_core.pipeline.CompiledProgram` (``.report`` says where
            each qubit went and how many Bell pairs each link supplies).

        Raises:
            UnboundParameterError: If a symbol is left unresolved.
            InsufficientQubitsError: If the circuit needs more qubits than the cluster holds.
        """
        return self._prepare(circuit, param_resolver, qubit_order).compiled

    def _compile_ir(self, ir: Circuit, per_shot: bool = False) -> CompiledProgram:
        if per_shot:  # every shot draws its own schedule: same placement, shot-drawn rendering
            key = ("per-shot", ir)
            compiled = self._compiled.get(key)
            if compiled is None:
                placement = self._compile_ir(ir).partition.assignment
                compiled = compile_program(ir, self.cluster, mode=self._mode, seed=self._seed_partition,
                                           assignment=placement, draw_per_shot=True,
                                           place_unused_qubits=self._assignment is None)
                _remember(self._compiled, key, compiled)
            self.last_compiled = compiled
            return compiled
        compiled = self._compiled.get(ir)
        if compiled is None:
            # Placement depends on which qubits interact, not on angles: a sweep compiles
            # (partitions) once and re-lowers each point with the same placement.
            structure = (ir.num_qubits, tuple(op.qubits for op in ir.operations if op.is_gate and len(op.qubits) == 2))
            fixed = check_assignment(self._assignment, self.cluster, num_qubits=ir.num_qubits)
            placement = fixed if fixed is not None else self._placements.get(structure)
            compiled = compile_program(  # the partitioner's own placement may place unused qubits
                ir, self.cluster, mode=self._mode, seed=self._seed_partition, assignment=placement,
                place_unused_qubits=fixed is None,
            )
            _remember(self._placements, structure, compiled.partition.assignment)
            _remember(self._compiled, ir, compiled)
        self.last_compiled = compiled
        return compiled

    def _prepare(
        self,
        circuit: cirq.AbstractCircuit,
        param_resolver: cirq.ParamResolverOrSimilarType,
        qubit_order: cirq.QubitOrderOrList = cirq.QubitOrder.DEFAULT,
        *,
        sampling: bool = False,
        per_shot: bool = False,
    ) -> _Prepared:
        resolved = cirq.resolve_parameters(circuit, cirq.ParamResolver(param_resolver))
        if cirq.is_parameterized(resolved):
            names = sorted(cirq.parameter_names(resolved))
            raise UnboundParameterError(
                f"circuit has unresolved symbol(s) {names}; give their values with "
                "param_resolver={...} or a sweep (params=cirq.Linspace(...))"
            )
        if self._noise is not cirq.NO_NOISE:
            resolved = cirq.Circuit(self._noise.noisy_moments(resolved, sorted(resolved.all_qubits())))
            if sampling:  # e.g. the noise a noise model adds after the final measurements
                resolved = _without_unobserved_operations(resolved)
        ir, qubits, layout = circuit_from_cirq(resolved, qubit_order)
        compiled = self._compile_ir(ir)
        if per_shot and waits_change_errors(compiled.program):
            compiled = self._compile_ir(ir, per_shot=True)
        engine_ir = fewest_qubits(compiled.circuit) if sampling else compiled.circuit
        engine_qubits = tuple(_extend_qubits(engine_ir, qubits))
        prefix = "welinq_c"
        while any(rec.key.startswith(prefix) for rec in layout):
            prefix = "_" + prefix
        engine, sources = _build_cirq(engine_ir, engine_qubits, layout, prefix)
        dtype = record_dtype(cirq.resolve_parameters(circuit, cirq.ParamResolver(param_resolver)), self._noise)
        return _Prepared(compiled, qubits, engine_qubits, layout, engine, sources, dtype)

    # ---- sampling ---------------------------------------------------------------------------
    def _run(
        self, circuit: cirq.AbstractCircuit, param_resolver: cirq.ParamResolver, repetitions: int
    ) -> dict[str, np.ndarray]:
        repetitions = check_shots(repetitions, name="repetitions", minimum=0)
        prep = self._prepare(circuit, param_resolver, sampling=True, per_shot=True)
        if not prep.layout:
            return {}
        if prep.compiled.per_shot_schedule:
            return self._run_shot_groups(prep, repetitions)
        if self._method == "stim" or self._method == "automatic" and _stim_can_run(prep.compiled.circuit):
            from welinq_core.qec.stim_sampler import sample_clbits

            seed = int(self._prng.randint(0, 2**63 - 1, dtype=np.int64))
            return _records_from_clbits(prep, sample_clbits(prep.compiled.circuit, shots=repetitions, seed=seed))
        use_dm = self._use_dm(prep, repetitions)
        engine: cirq.SimulatesSamples = (
            cirq.DensityMatrixSimulator(dtype=self._dtype, seed=self._prng)
            if use_dm
            else cirq.Simulator(dtype=self._dtype, seed=self._prng)
        )
        result = engine.run(prep.engine, repetitions=repetitions)
        return prep.records(dict(result.records), repetitions)

    def _run_shot_groups(self, prep: _Prepared, repetitions: int) -> dict[str, np.ndarray]:
        """Sample a program whose shots each draw their own schedule (finite-rate or distilling
        links): shots that drew the same errors share a circuit
        (:func:`welinq_core.shots.plan_shots`), each group is sampled with its own seed, and
        the records go back to their shots' rows, as in ``ClusterBackend.run``."""
        from welinq_core.shots import plan_shots

        seed = int(self._prng.randint(0, 2**63 - 1, dtype=np.int64))
        groups, _ = plan_shots(prep.compiled, shots=repetitions, seed=seed)
        out: dict[str, np.ndarray] | None = None
        prefix = "welinq_c"
        while any(rec.key.startswith(prefix) for rec in prep.layout):
            prefix = "_" + prefix
        for g in groups:
            circuit = fewest_qubits(g.circuit(prep.compiled))
            group_seed = (seed if g.seed is None else int(g.seed)) % 2**32
            if self._method == "stim" or self._method == "automatic" and _stim_can_run(circuit):
                from welinq_core.qec.stim_sampler import sample_clbits

                records = _records_from_clbits(prep, sample_clbits(circuit, shots=g.num_shots, seed=group_seed))
            else:
                group_qubits = tuple(_extend_qubits(circuit, prep.qubits))
                engine, sources = _build_cirq(circuit, group_qubits, prep.layout, prefix)
                noisy = any(op.name in ("pauli_channel", "kraus") for op in circuit.operations)
                use_dm = (noisy and not circuit.has_mid_circuit_measurement()
                          and _density_matrix_pays(len(group_qubits), g.num_shots))
                simulator = (cirq.DensityMatrixSimulator(dtype=self._dtype, seed=group_seed) if use_dm
                             else cirq.Simulator(dtype=self._dtype, seed=group_seed))
                group = dataclasses.replace(prep, engine=engine, sources=sources)
                records = group.records(dict(simulator.run(engine, repetitions=g.num_shots).records), g.num_shots)
            if out is None:
                out = {k: np.zeros((repetitions,) + v.shape[1:], dtype=v.dtype) for k, v in records.items()}
            for k, v in records.items():
                out[k][g.shots] = v
        return out or {}

    def run_sweep_iter(
        self, program: cirq.AbstractCircuit, params: cirq.Sweepable, repetitions: int = 1
    ) -> Iterator[cirq.Result]:
        """As ``cirq.Simulator.run_sweep_iter``; with an executor, the points are sampled on it
        (here, in this process, when every shot draws its own schedule)."""
        if self._executor is None or repetitions == 0 or self._draws_schedules(program, params):
            points = list(cirq.to_resolvers(params))
            results = super().run_sweep_iter(program, points, repetitions)
            if len(points) > 1:
                results = progress_bar(results, desc="welinq sweep", unit="point", progress=self._progress,
                                       total=len(points))
            yield from results
            return
        if not program.has_measurements():
            raise ValueError("Circuit has no measurements to sample.")
        resolvers = list(cirq.to_resolvers(params))
        preps = [self._prepare(program, r, sampling=True) for r in resolvers]
        job_seed = int(self._prng.randint(0, MAX_SEED, dtype=np.int64))
        seeds = spawn_seeds(job_seed, len(preps))
        tasks = [
            _SampleTask(engine=p.engine, repetitions=repetitions, seed=s, density_matrix=self._use_dm(p, repetitions),
                        dtype=np.dtype(self._dtype).name)
            for p, s in zip(preps, seeds)
        ]
        engine_records = run_tasks(_sample_cirq, tasks, executor=self._executor)
        for resolver, prep, records in zip(resolvers, preps, engine_records):
            user = prep.records(records, repetitions) if prep.layout else {}
            yield cirq.ResultDict(params=resolver, records=user)

    def _draws_schedules(self, program: cirq.AbstractCircuit, params: cirq.Sweepable) -> bool:
        resolvers = list(cirq.to_resolvers(params))
        return bool(resolvers) and self._prepare(program, resolvers[0], sampling=True,
                                                 per_shot=True).compiled.per_shot_schedule

    @staticmethod
    def _use_dm(prep: _Prepared, repetitions: int) -> bool:
        return prep.noisy and not prep.dynamic and _density_matrix_pays(len(prep.engine_qubits), repetitions)

    # ---- final states -----------------------------------------------------------------------
    def simulate_sweep_iter(
        self,
        program: cirq.AbstractCircuit,
        params: cirq.Sweepable,
        qubit_order: cirq.QubitOrderOrList = cirq.QubitOrder.DEFAULT,
        initial_state: Any = None,
    ) -> Iterator[cirq.StateVectorTrialResult | cirq.DensityMatrixTrialResult]:
        """Simulate the circuit for each point of ``params`` and yield its final state.

        Yields ``cirq.StateVectorTrialResult`` (over the user's qubits, in
        ``qubit_order``) when the compiled circuit is noiseless, else
        ``cirq.DensityMatrixTrialResult``. ``initial_state`` is an integer, a state
        vector or (noisy case) a density matrix over the user's qubits.
        """
        warned = False
        for resolver in cirq.to_resolvers(params):
            prep = self._prepare(program, resolver, qubit_order)
            if not warned and prep.noisy and waits_change_errors(prep.compiled.program):
                warnings.warn(OneScheduleWarning(
                    f"cluster {self.cluster.name!r} has finite-rate or distilling links and memories that decohere, "
                    "so every shot has its own schedule; this final state is for one drawn schedule "
                    "(seed_partition), not their mixture: use run() for samples that draw each shot's schedule"),
                    stacklevel=2)
                warned = True
            n, k = len(prep.qubits), len(prep.engine_qubits) - len(prep.qubits)
            init = _extend_initial_state(initial_state, n, k, density=prep.noisy)
            if prep.noisy:
                res = cirq.DensityMatrixSimulator(dtype=self._dtype, seed=self._prng).simulate(
                    prep.engine, qubit_order=prep.engine_qubits, initial_state=init
                )
                rho = res.final_density_matrix
                if k:
                    rho = cirq.partial_trace(rho.reshape((2,) * (2 * (n + k))), range(n)).reshape(2**n, 2**n)
                state = cirq.DensityMatrixSimulationState(
                    qubits=prep.qubits, initial_state=rho, dtype=self._dtype
                )
                yield cirq.DensityMatrixTrialResult(
                    params=resolver, measurements=prep.last_measurements(res.measurements),
                    final_simulator_state=state,
                )
            else:
                res = cirq.Simulator(dtype=self._dtype, seed=self._prng).simulate(
                    prep.engine, qubit_order=prep.engine_qubits, initial_state=init
                )
                vector = _data_state(res.final_state_vector, n, k)
                state = cirq.StateVectorSimulationState(
                    qubits=prep.qubits, initial_state=vector.astype(self._dtype), dtype=self._dtype
                )
                yield cirq.StateVectorTrialResult(
                    params=resolver, measurements=prep.last_measurements(res.measurements),
                    final_simulator_state=state,
                )

    def simulate_expectation_values_sweep_iter(
        self,
        program: cirq.AbstractCircuit,
        observables: cirq.PauliSumLike | list[cirq.PauliSumLike],
        params: cirq.Sweepable,
        qubit_order: cirq.QubitOrderOrList = cirq.QubitOrder.DEFAULT,
        initial_state: Any = None,
        permit_terminal_measurements: bool = False,
    ) -> Iterator[list[float]]:
        """Expectation values of ``observables`` in the final state, per point of ``params``.

        Raises:
            ValueError: If the circuit has terminal measurements and
                ``permit_terminal_measurements`` is False (as ``cirq.Simulator``).
        """
        if not permit_terminal_measurements and program.are_any_measurements_terminal():
            raise ValueError(
                "Provided circuit has terminal measurements, which may skew expectation values. "
                "If this is intentional, set permit_terminal_measurements=True."
            )
        order = cirq.QubitOrder.as_qubit_order(qubit_order)
        qmap = {q: i for i, q in enumerate(order.order_for(program.all_qubits()))}
        obs = observables if isinstance(observables, list) else [observables]
        sums = [cirq.PauliSum.wrap(o) for o in obs]
        for result in self.simulate_sweep_iter(program, params, qubit_order=order, initial_state=initial_state):
            if isinstance(result, cirq.StateVectorTrialResult):
                psi = result.final_state_vector
                yield [s.expectation_from_state_vector(psi, qmap) for s in sums]
            else:
                rho = result.final_density_matrix
                yield [s.expectation_from_density_matrix(rho, qmap) for s in sums]

    def compute_amplitudes_sweep_iter(
        self,
        program: cirq.AbstractCircuit,
        bitstrings: Sequence[int],
        params: cirq.Sweepable,
        qubit_order: cirq.QubitOrderOrList = cirq.QubitOrder.DEFAULT,
    ) -> Iterator[Sequence[complex]]:
        """Amplitudes of ``bitstrings`` (big-endian integers) in the final state.

        Raises:
            ValueError: If the compiled circuit is noisy (the final state is mixed).
        """
        for result in self.simulate_sweep_iter(program, params, qubit_order=qubit_order):
            if not isinstance(result, cirq.StateVectorTrialResult):
                raise ValueError(
                    "amplitudes are undefined for a mixed final state (the cluster's links or the "
                    "noise model are noisy); use simulate() for the density matrix"
                )
            psi = result.final_state_vector
            yield [complex(psi[b]) for b in bitstrings]


@dataclasses.dataclass(frozen=True, kw_only=True)
class _SampleTask:
    """One point of a sweep for an executor: the engine circuit, repetitions and seed (picklable)."""

    engine: cirq.Circuit
    repetitions: int
    seed: int
    density_matrix: bool
    dtype: str


def _sample_cirq(task: _SampleTask) -> dict[str, np.ndarray]:
    """The engine's measurement records of one task (a pure function of the task)."""
    dtype = np.dtype(task.dtype).type
    prng = np.random.RandomState(np.random.MT19937(task.seed))
    engine: cirq.SimulatesSamples = (
        cirq.DensityMatrixSimulator(dtype=dtype, seed=prng)
        if task.density_matrix else cirq.Simulator(dtype=dtype, seed=prng)
    )
    return dict(engine.run(task.engine, repetitions=task.repetitions).records)


def _stim_can_run(circuit: Circuit) -> bool:
    """Whether stim (installed, Clifford circuit) can sample ``circuit``."""
    try:
        from welinq_core.qec.stim_sampler import stim_incompatibility
    except ImportError:
        return False
    return stim_incompatibility(circuit) is None


def _records_from_clbits(prep: _Prepared, bits: np.ndarray) -> dict[str, np.ndarray]:
    """The user's records ``{key: (repetitions, instances, bits)}`` from sampled IR classical bits."""
    out = {}
    for key, recs in records_by_key(prep.layout).items():
        width = max(len(r.clbits) for r in recs)
        arr = np.zeros((bits.shape[0], len(recs), width), dtype=prep.record_dtype)
        for j, rec in enumerate(recs):
            for i, (c, inv) in enumerate(zip(rec.clbits, rec.invert_mask)):
                arr[:, j, i] = bits[:, c] ^ int(inv)
        out[key] = arr
    return out


def record_dtype(circuit: cirq.AbstractCircuit, noise: cirq.NoiseModel = cirq.NO_NOISE) -> type[np.integer]:
    """The integer type of ``cirq.Simulator(noise=noise).run(circuit)``'s measurement records.

    ``cirq.Simulator`` samples every repetition from one final state (records ``int8``) when
    the operations that follow its unitary prefix are all measurements, and otherwise
    simulates repetition by repetition (records ``uint8``); a noise model that is not
    unitary always means the latter. :class:`ClusterSimulator` returns the same type, so
    arithmetic such as ``np.mean(1 - 2 * bits)`` behaves as it does with ``cirq.Simulator``.

    Examples:
        >>> q = cirq.LineQubit.range(2)
        >>> record_dtype(cirq.Circuit(cirq.H(q[0]), cirq.measure(*q, key="m"))).__name__
        'int8'
        >>> record_dtype(cirq.Circuit(cirq.measure(q[0], key="a"), cirq.X(q[0]), cirq.measure(q[0], key="b"))).__name__
        'uint8'
    """
    if noise is not cirq.NO_NOISE and not cirq.has_unitary(noise):
        return np.uint8
    # The per-qubit prefix split of cirq.Simulator._run: an operation joins the unitary
    # prefix while none of its qubits or keys has met a non-unitary operation.
    blocked_qubits: set[cirq.Qid] = set()
    blocked_keys: set[cirq.MeasurementKey] = set()
    for op in circuit.all_operations():
        keys = cirq.measurement_keys_touched(op)
        if cirq.has_unitary(op) and blocked_qubits.isdisjoint(op.qubits) and blocked_keys.isdisjoint(keys):
            continue
        if not isinstance(op.gate, cirq.MeasurementGate):
            return np.uint8
        blocked_qubits.update(op.qubits)
        blocked_keys.update(keys)
    return np.int8


def _without_unobserved_operations(circuit: cirq.Circuit) -> cirq.Circuit:
    """The circuit without the operations no later measurement can observe.

    An operation none of whose qubits is measured afterwards (directly, or through a later
    operation that couples it to a measured qubit) cannot change any record, so sampling
    may skip it; this keeps a noise model's channels after the terminal measurements from
    forcing a repetition-by-repetition simulation.
    """
    live: set[cirq.Qid] = set()
    keep: list[list[cirq.Operation]] = []
    for moment in reversed(circuit.moments):
        kept = []
        for op in moment.operations:
            if cirq.is_measurement(op) or cirq.control_keys(op) or live.intersection(op.qubits):
                live.update(op.qubits)
                kept.append(op)
        keep.append(kept)
    return cirq.Circuit(cirq.Moment(ops) for ops in reversed(keep))


def _remember(cache: OrderedDict, key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def _extend_initial_state(initial_state: Any, n: int, k: int, *, density: bool) -> Any:
    """The engine's initial state: the user's state with communication qubits in |0>."""
    if initial_state is None:
        return 0
    if isinstance(initial_state, (int, np.integer)):
        return int(initial_state) << k
    state = np.asarray(initial_state)
    zero = np.zeros(2**k, dtype=complex)
    zero[0] = 1
    if state.ndim == 2 and state.shape == (2**n, 2**n):
        if not density:
            raise ValueError("a density-matrix initial_state needs a noisy simulation; give a state vector")
        return np.kron(state, np.outer(zero, zero))
    if state.shape != (2**n,):
        raise ValueError(
            f"initial_state has shape {state.shape}; expected an integer or a state vector of "
            f"length {2**n} for {n} qubits"
        )
    return np.kron(state, zero)


def _data_state(psi: np.ndarray, n: int, k: int) -> np.ndarray:
    """The data qubits' state, given that the communication qubits are in a basis state."""
    if k == 0:
        return psi
    m = psi.reshape(2**n, 2**k)
    norms = np.linalg.norm(m, axis=0)
    j = int(np.argmax(norms))
    if abs(norms[j] - 1) > 1e-4:  # an internal invariant, not an input check
        raise AssertionError(
            f"communication qubits are entangled with the data qubits at the end of the "
            f"program (weight {norms[j] ** 2:.6f}); please report this bug"
        )
    return m[:, j] / norms[j]
