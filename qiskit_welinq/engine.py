"""The Aer engine: sample a compiled program and keep only the user's classical bits.

The simulation method is chosen for the user (:func:`choose_method`), unless the
backend's ``method`` option forces one. Circuits whose gates are all Clifford (with
Pauli noise, measurements, resets and fed-forward Pauli corrections) go to stim
(:mod:`welinq_core.qec.stim_sampler`) when it is installed: 10-100x faster than Aer's
stabilizer method on the same programs (``benchmarks/qec.py ghz``). Otherwise Aer:

* ``stabilizer`` when every gate is Clifford (Pauli noise, measurements, resets and
  feed-forward allowed): polynomial in the number of qubits;
* ``density_matrix`` for noisy circuits of at most :data:`DENSITY_MATRIX_MAX_QUBITS`
  qubits without mid-circuit measurement: one run covers every shot's noise exactly
  (with feed-forward, shot branching would copy whole density matrices, so such
  circuits go to the state vector);
* ``statevector`` otherwise, with Aer's shot branching for dynamic or noisy circuits
  (measured: 12-qubit noisy GHZ, 10,000 shots, 9.8 s -> 1.2 s with qiskit-aer 0.18 on 2 cores);
* ``matrix_product_state`` beyond :data:`STATEVECTOR_MAX_QUBITS` qubits.

Protocol measurements whose only use is a Pauli correction (cat-entangler and
disentangler, entanglement swapping, the measured shared-randomness form) are first
replaced by their exact deferred form (:func:`defer_measurements`): no feed-forward,
so Aer does not branch on outcomes that cannot change the user's distribution.

Before simulating, the memory the method needs is estimated and compared with the
machine's available memory; a run that would not fit raises
:class:`~welinq_core.errors.SimulationTooLargeError` with a suggestion instead of
exhausting the machine.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import os
from typing import Any

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import OptionsError, SimulationError, SimulationTooLargeError
from welinq_core.resources import memory_budget_bytes
from welinq_core.noise.drawn import SLOT_MARKER
from welinq_core.pipeline import CompiledProgram
from welinq_core.progress import PROGRESS_AFTER_S, progress_bar
from welinq_core.shots import plan_shots
from qiskit_welinq.convert import circuit_to_qiskit

__all__ = [
    "EngineResult",
    "run_on_aer",
    "sample_program",
    "choose_method",
    "defer_measurements",
    "estimate_memory_bytes",
    "METHODS",
    "DENSITY_MATRIX_MAX_QUBITS",
    "STATEVECTOR_MAX_QUBITS",
]

#: Methods the engine accepts (``automatic`` = :func:`choose_method`).
METHODS = ("automatic", "stim", "stabilizer", "density_matrix", "statevector", "matrix_product_state")
#: Noisy static circuits up to this many qubits use the density-matrix method. Measured
#: (Aer 0.18, 2 cores, 10,000 shots, effective QFT-like circuits with inline Pauli
#: channels): 10 qubits DM 0.6 s vs state vector with shot branching 2.6 s; 12 qubits
#: DM 14 s vs 3.9 s.
DENSITY_MATRIX_MAX_QUBITS = 10
#: ... and only with at least this many shots per state-vector amplitude: one density
#: matrix costs ~4^n, shot-branched state vectors ~shots x 2^n (10 qubits, 200 shots:
#: DM 0.6 s vs state vector 0.07 s; 10,000 shots: 0.6 s vs 2.6 s).
DENSITY_MATRIX_SHOTS_PER_AMPLITUDE = 4
#: Wider non-Clifford circuits use matrix product states.
STATEVECTOR_MAX_QUBITS = 28
#: Shot groups bound per Aer call on the slot template. Each call drops the placeholders
#: none of its groups uses and costs one conversion of the circuit (~10 ms); Aer's cost per
#: bound experiment also grows with the experiments of a call. Measured (QFT-12 on 3 QPUs,
#: F = 0.97, 199 placeholders, one thread, CPU time per single-shot group): all groups in
#: one call 7.8 ms, 128 per call 6.6-7.1 ms, pruned 128 per call 5.3 ms, pruned 32 per
#: call 5.3-5.5 ms; whole runs were fastest with 64.
TEMPLATE_GROUPS_PER_CALL = 64
#: Fraction of the available memory a simulation may use.
MEMORY_FRACTION = 0.6


@dataclasses.dataclass(frozen=True)
class EngineResult:
    """Per-shot samples over the user's classical bits.

    Attributes:
        memory: One integer per shot (user clbit ``i`` is bit ``i``), or None when
            the circuit measures nothing.
        method: The Aer simulation method used.
        metadata: Aer's experiment metadata.
        reason: Why this method was used.
        estimated_bytes: Memory estimate of the method for this circuit.
    """

    memory: list[int] | None
    method: str
    metadata: dict[str, Any]
    reason: str = ""
    estimated_bytes: int = 0


def _is_clifford(circuit: Circuit) -> bool:
    for op in circuit.operations:
        if op.name == "kraus" or op.is_gate and op.name != "pauli_channel" and not gates.spec(op.name).is_clifford:
            return False  # a general (Kraus) channel is not a Pauli channel: no stabilizer method
    return True


_CONTROLLED = {"x": "cx", "y": "cy", "z": "cz"}


def defer_measurements(circuit: Circuit, keep_clbits: int) -> Circuit:
    """The deferred-measurement form of scratch measurements used only for Pauli corrections.

    A measurement of qubit ``q`` into a scratch bit (index >= ``keep_clbits``) whose bit is
    read only by single-bit conditions ``== 1`` on ``x``/``y``/``z`` corrections, while ``q``
    is left alone until it is reset (or never used again), is dropped and each correction
    becomes ``cx``/``cy``/``cz`` controlled by ``q``; an ``h`` on ``q`` follows the last one.
    Measuring and then discarding ``q`` equals tracing it out, which the reset does, so
    the distribution of the kept bits is exactly the same (deferred-measurement
    principle); the ``h`` only returns the protocols' disentangled ``|+>``/``|->`` to the
    computational basis so that Aer's reset does not branch. Without mid-circuit
    measurement the circuit can be sampled from one state per noise branch.

    Examples:
        >>> from welinq_core.circuit import Circuit, Condition, Operation
        >>> c = Circuit(num_qubits=2, num_clbits=2, operations=[
        ...     Operation(name="h", qubits=(1,)), Operation(name="measure", qubits=(1,), clbits=(1,)),
        ...     Operation(name="x", qubits=(0,), condition=Condition(clbits=(1,), value=1)),
        ...     Operation(name="measure", qubits=(0,), clbits=(0,))])
        >>> [op.name for op in defer_measurements(c, keep_clbits=1)]
        ['h', 'cx', 'h', 'measure']
    """
    ops = list(circuit.operations)
    drop: set[int] = set()
    replace: dict[int, list] = {}
    for i, op in enumerate(ops):
        if op.name != "measure" or len(op.qubits) != 1 or op.condition is not None or op.clbits[0] < keep_clbits:
            continue
        q, bit = op.qubits[0], op.clbits[0]
        reads: list[int] = []
        ok, touched = True, False
        for j in range(i + 1, len(ops)):
            o = ops[j]
            if bit in o.clbits:  # the bit is written again: later reads are not ours
                break
            if o.condition is not None and bit in o.condition.clbits:
                if (touched or o.condition.clbits != (bit,) or o.condition.value != 1
                        or o.name not in _CONTROLLED or q in o.qubits):
                    ok = False
                    break
                reads.append(j)
            if q in o.qubits and not touched:
                if o.name != "reset":
                    ok = False
                    break
                touched = True
        if not ok or not reads:
            continue
        drop.add(i)
        for j in reads:
            replace[j] = [Operation(name=_CONTROLLED[ops[j].name], qubits=(q, ops[j].qubits[0]))]
        replace[reads[-1]] = replace[reads[-1]] + [Operation(name="h", qubits=(q,))]
    if not drop:
        return circuit
    out: list = []
    for i, op in enumerate(ops):
        if i in drop:
            continue
        out.extend(replace.get(i, (op,)))
    return circuit.with_operations(out)


def choose_method(circuit: Circuit, shots: int | None = None) -> tuple[str, str]:
    """``(method, reason)`` for simulating ``circuit`` on Aer.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> choose_method(Circuit(num_qubits=30, operations=[Operation(name="h", qubits=(0,))]))[0]
        'stabilizer'
        >>> choose_method(Circuit(num_qubits=3, operations=[Operation(name="t", qubits=(0,)),
        ...     Operation(name="pauli_channel", qubits=(0,), pauli_terms=(("I", 0.9), ("X", 0.1)))]))[0]
        'density_matrix'
    """
    n = circuit.num_qubits
    noisy = any(op.name in ("pauli_channel", "kraus") for op in circuit.operations)
    if _is_clifford(circuit):
        return "stabilizer", "every gate is Clifford (noise is Pauli): stabilizer simulation is polynomial"
    dynamic = circuit.has_mid_circuit_measurement()
    few_shots = shots is not None and shots < DENSITY_MATRIX_SHOTS_PER_AMPLITUDE * 2**n
    if noisy and not dynamic and n <= DENSITY_MATRIX_MAX_QUBITS and not few_shots:
        return "density_matrix", f"noisy circuit on {n} <= {DENSITY_MATRIX_MAX_QUBITS} qubits: density matrix"
    if n > STATEVECTOR_MAX_QUBITS:
        return "matrix_product_state", f"{n} > {STATEVECTOR_MAX_QUBITS} qubits: a state vector would not fit"
    why = "dynamic circuit" if dynamic else "non-Clifford circuit"
    return "statevector", f"{why} on {n} qubits: state vector with shot branching"


def _stim_can_run(circuit: Circuit) -> bool:
    """Whether stim (installed, Clifford circuit) can sample ``circuit``."""
    try:
        from welinq_core.qec.stim_sampler import stim_incompatibility
    except ImportError:
        return False
    return any(op.name == "measure" for op in circuit.operations) and stim_incompatibility(circuit) is None


def _run_on_stim(compiled: CompiledProgram, *, shots: int, seed: int | None, forced: bool) -> EngineResult:
    """Sample with stim's Pauli-frame sampler (see :mod:`welinq_core.qec.stim_sampler`)."""
    try:
        from welinq_core.qec.stim_sampler import sample_memory, stim_incompatibility
    except ImportError as err:
        raise OptionsError("method='stim' needs stim: pip install 'welinq[qec]'") from err
    problem = stim_incompatibility(compiled.circuit)
    if problem is not None:
        raise OptionsError(f"method='stim' cannot simulate this circuit: it has {problem}; "
                           "use method='automatic' (stim is chosen whenever it can run the circuit)")
    if not any(op.name == "measure" for op in compiled.circuit.operations):
        return EngineResult(memory=None, method="none", metadata={}, reason="the circuit measures nothing")
    memory = sample_memory(compiled.circuit, shots=shots, seed=seed, num_clbits=compiled.num_user_clbits)
    reason = ("forced by the method option" if forced else
              "every gate is Clifford and noise is Pauli: stim's Pauli-frame sampler (all shots at once)")
    return EngineResult(memory=memory, method="stim", metadata={"method": "stim"}, reason=reason,
                        estimated_bytes=compiled.circuit.num_qubits * shots // 4)


def _stim_can_run_groups(compiled: CompiledProgram, groups: list) -> bool:
    """Whether stim can sample every shot group's circuit (they add fixed Paulis to the
    compiled circuit's, which stim can run)."""
    from welinq_core.qec.stim_sampler import stim_incompatibility

    return all(stim_incompatibility(g.circuit(compiled)) is None for g in groups)


def _run_groups_on_stim(compiled: CompiledProgram, groups: list, statistics: Any, *, shots: int,
                        forced: bool) -> EngineResult:
    """Every shot group (its own drawn errors or schedule) sampled with stim, each with its seed."""
    memory = [0] * shots
    first: EngineResult | None = None
    for g in groups:
        own = dataclasses.replace(compiled, circuit=g.circuit(compiled), drawn=None, per_shot_schedule=False)
        res = _run_on_stim(own, shots=g.num_shots, seed=g.seed, forced=forced)
        first = first or res
        for i, v in zip(g.shots.tolist(), res.memory):  # type: ignore[arg-type]
            memory[i] = v
    assert first is not None
    meta = dict(first.metadata, shot_groups=len(groups))
    if statistics is not None:
        meta["per_shot_schedule"] = statistics.to_dict()
    reason = first.reason + (f"; {len(groups)} shot groups (noise events drawn per shot)" if len(groups) > 1 else "")
    return EngineResult(memory=memory, method="stim", metadata=meta, reason=reason,
                        estimated_bytes=first.estimated_bytes)


def estimate_memory_bytes(method: str, num_qubits: int) -> int:
    """Rough peak memory of an Aer method for ``num_qubits`` qubits (complex128 amplitudes).

    Examples:
        >>> estimate_memory_bytes("statevector", 20)
        16777216
    """
    if method == "statevector":
        return 16 * 2**num_qubits
    if method == "density_matrix":
        return 16 * 4**num_qubits
    if method == "stabilizer":
        return 64 * num_qubits * num_qubits + (1 << 20)
    return 64 * num_qubits * 2**10  # MPS: bounded bond dimension, grows with entanglement


def method_basis(method: str) -> frozenset[str]:
    """Instruction names Aer's ``method`` executes natively (control flow included).

    Examples:
        >>> "crx" in method_basis("density_matrix"), "crx" in method_basis("statevector")
        (False, True)
    """
    return _method_basis(method)


def __getattr__(name: str) -> Any:
    # Aer loads with the first run, not with the package (``engine.AerSimulator`` still works).
    if name == "AerSimulator":
        from qiskit_aer import AerSimulator

        globals()["AerSimulator"] = AerSimulator
        return AerSimulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _aer_simulator() -> Any:
    """The ``AerSimulator`` class (imported on first use)."""
    return globals()["AerSimulator"] if "AerSimulator" in globals() else __getattr__("AerSimulator")


@functools.lru_cache(maxsize=8)
def _method_basis(method: str) -> frozenset[str]:
    return frozenset(_aer_simulator()(method=method).configuration().basis_gates) | {"if_else", "barrier", "measure", "reset"}


def fit_to_method(qc: Any, method: str) -> Any:
    """``qc`` with every instruction ``method`` lacks replaced by its exact definition.

    Aer's density-matrix and matrix-product-state methods lack ``crx``/``cry``/``crz``/
    ``csx``...; Qiskit's standard definitions of these gates are exact (global phase
    included, which matters under a control), applied recursively, inside
    ``if_else`` blocks too. Circuits that need nothing are returned unchanged.
    """
    basis = method_basis(method)
    if all(inst.operation.name in basis and not getattr(inst.operation, "blocks", ()) for inst in qc.data):
        return qc
    return _decompose_into(qc, basis)


def _decompose_into(qc: Any, basis: frozenset[str]) -> Any:
    out = qc.copy_empty_like()
    for inst in qc.data:
        op = inst.operation
        if getattr(op, "blocks", ()):
            op = op.replace_blocks([_decompose_into(b, basis) for b in op.blocks])
            out.append(op, inst.qubits, inst.clbits)
        elif op.name in basis or op.definition is None:
            out.append(op, inst.qubits, inst.clbits)
        else:
            sub = _decompose_into(op.definition, basis)
            out.compose(sub, qubits=list(inst.qubits), clbits=list(inst.clbits), inplace=True)
    return out


def _check_shots(shots: Any) -> int:
    if isinstance(shots, bool) or not isinstance(shots, numbers.Integral) or int(shots) < 1:
        raise OptionsError(f"shots={shots!r} must be a positive integer (e.g. shots=1000)")
    return int(shots)


def _check_representable(circuit: Circuit, method: str) -> None:
    """A forced method that cannot represent ``circuit`` fails here, before any simulation."""
    if method == "stabilizer" and not _is_clifford(circuit):
        bad = sorted({op.name for op in circuit.operations if op.name == "kraus"
                      or op.is_gate and op.name != "pauli_channel" and not gates.spec(op.name).is_clifford})
        raise OptionsError(
            f"method='stabilizer' cannot simulate the non-Clifford operation(s) {bad} of this circuit; "
            "use method='automatic' (or 'statevector')"
        )


def sample_program(
    compiled: CompiledProgram, *, shots: int, seed: int | None, method: str = "automatic",
    progress: bool | None = None,
) -> EngineResult:
    """Sample ``compiled`` on Aer for ``shots`` shots: the engine's unit of work.

    A pure function of its arguments (picklable, so executors may run it anywhere):
    the shots are split into groups by :func:`welinq_core.shots.plan_shots` (each
    shot draws its own noise events; shots that drew the same share one circuit),
    each group is simulated with its own seed spawned from ``seed``, and the
    samples go back to their shots.

    Args:
        compiled: The compiled program.
        shots: Number of shots (a positive Python or NumPy integer).
        seed: Seed of the run (None: fresh entropy); same seed, same samples.
        method: One of :data:`METHODS`; ``"automatic"`` uses :func:`choose_method`
            for every group.
        progress: Show a progress bar over the groups: None (default) when the run
            takes more than a few seconds, unless ``WELINQ_PROGRESS=0``.

    Returns:
        An :class:`EngineResult`; its ``memory`` is None when the circuit measures nothing
        (as on ``AerSimulator``, such a run has no counts).

    Raises:
        OptionsError: On an unknown method, a method that cannot represent the circuit,
            or a bad shot count.
        SimulationTooLargeError: If the method would need more memory than available.
        SimulationError: If Aer fails (the message carries Aer's).
    """
    if method not in METHODS:
        raise OptionsError(f"method={method!r} is unknown; choose one of {METHODS}")
    shots = _check_shots(shots)
    if not any(op.name == "measure" for op in compiled.circuit.operations):
        return EngineResult(memory=None, method="none", metadata={}, reason="the circuit measures nothing")
    one_circuit = compiled.drawn is None and not compiled.per_shot_schedule
    if one_circuit and (method == "stim" or method == "automatic" and _stim_can_run(compiled.circuit)):
        return _run_on_stim(compiled, shots=shots, seed=seed, forced=method == "stim")
    if method == "stim" and not _stim_can_run(compiled.circuit):  # refuse before drawing the shots
        return _run_on_stim(compiled, shots=shots, seed=seed, forced=True)  # raises, naming the problem
    groups, statistics = plan_shots(compiled, shots=shots, seed=seed)
    if groups[0].drawn is not None:  # per-shot schedules rendered once: the groups' choices refer to it
        compiled = dataclasses.replace(compiled, drawn=groups[0].drawn, per_shot_schedule=False)
    if method == "stim" or (method == "automatic" and _stim_can_run(compiled.circuit)
                            and _stim_can_run_groups(compiled, groups)):
        return _run_groups_on_stim(compiled, groups, statistics, shots=shots, forced=method == "stim")
    main, minors = groups[0], groups[1:]
    jobs: list[tuple[_Prepared, list]] = [(_prepare(main.circuit(compiled), compiled, main.num_shots, method), [main])]
    main_circuit = jobs[0][0].circuit
    if (len(minors) > 1 and compiled.drawn is not None and not compiled.per_shot_schedule
            and not _is_clifford(main_circuit)):  # Clifford groups keep the stabilizer method: no template
        # One parameterised circuit serves every minor group, in calls of up to
        # TEMPLATE_GROUPS_PER_CALL groups of one size class: a group of k shots runs with the
        # next power of two >= k shots and keeps its first k samples (independent draws of
        # its circuit: exact), so a run makes few Aer calls instead of one per group.
        template = compiled.drawn.slot_template()  # type: ignore[union-attr]
        by_size: dict[int, list] = {}
        for g in minors:
            by_size.setdefault(1 << (g.num_shots - 1).bit_length(), []).append(g)
        converted: dict[str, Any] = {}  # one conversion per method serves every group size
        labels = {g.choices: compiled.drawn.slot_paulis(g.choices) for g in minors}  # type: ignore[union-attr]
        for size, gs in sorted(by_size.items()):
            prep = _prepare(template, compiled, size, method)
            prep.converted = converted
            # Each call binds a few groups and keeps only the placeholders one of them uses
            # (an identity placeholder costs Aer a pass over the state, as any gate); groups
            # sorted by the placeholders they use share more of them.
            gs = sorted(gs, key=lambda g: [i for i, x in enumerate(labels[g.choices]) if x != "I"])
            jobs += [(prep, gs[i:i + TEMPLATE_GROUPS_PER_CALL]) for i in range(0, len(gs), TEMPLATE_GROUPS_PER_CALL)]
    else:
        jobs += [(_prepare(g.circuit(compiled), compiled, g.num_shots, method), [g]) for g in minors]
    memory = [0] * shots
    methods: dict[str, int] = {}
    first: EngineResult | None = None
    for prep, gs in _progress(jobs, progress):
        if not prep.template:
            results = [_run_prepared(prep, compiled, shots=gs[0].num_shots, seed=gs[0].seed)]
        else:
            results = _run_template(prep, compiled, gs)
        for g, res in zip(gs, results):
            first = first or res
            methods[res.method] = methods.get(res.method, 0) + g.num_shots
            for i, v in zip(g.shots.tolist(), res.memory):  # type: ignore[arg-type]
                memory[i] = v
    assert first is not None
    meta = dict(first.metadata)
    meta["shot_groups"] = len(groups)
    if statistics is not None:
        meta["per_shot_schedule"] = statistics.to_dict()
    if len(methods) > 1:
        meta["methods_by_shots"] = methods
    reason = first.reason
    if len(groups) > 1:
        reason += f"; {len(groups)} shot groups (noise events drawn per shot)"
    return EngineResult(memory=memory, method=first.method, metadata=meta, reason=reason,
                        estimated_bytes=first.estimated_bytes)


_U_OF = {"I": (0.0, 0.0, 0.0), "X": (math.pi, 0.0, math.pi), "Y": (math.pi, math.pi / 2, math.pi / 2),
         "Z": (0.0, 0.0, math.pi)}


def _run_template(prep: _Prepared, compiled: CompiledProgram, gs: list) -> list[EngineResult]:
    """Run the slot template with one parameter binding per group (all of one size class),
    without the placeholders that every group of ``gs`` leaves at the identity."""
    qc, where = _template_qiskit(prep, compiled)
    labels = [compiled.drawn.slot_paulis(g.choices) for g in gs]  # type: ignore[union-attr]
    pruned, binds = pruned_template(qc, where, labels)
    shots = 1 << (max(g.num_shots for g in gs) - 1).bit_length()  # each group keeps its first samples
    return _run_prepared(prep, compiled, shots=shots, seed=gs[0].seed, qc=pruned, parameter_binds=binds,
                         experiments=len(gs))


def pruned_template(qc: Any, where: list[int], labels: list[list[str]]) -> tuple[Any, list[dict]]:
    """The slot template ``qc`` without the placeholders every row of ``labels`` leaves at
    ``"I"``, and Aer's ``parameter_binds`` giving row ``e`` to experiment ``e``.

    ``where[i]`` is the index in ``qc.data`` of placeholder ``i`` (a ``u`` gate with
    parameters ``slot[3i..3i+2]``); ``labels[e][i]`` is its Pauli in experiment ``e``. A
    dropped placeholder would be ``u(0, 0, 0)``, the identity: the circuits are the same.
    """
    used = [i for i in range(len(where)) if any(row[i] != "I" for row in labels)] or [0]
    keep = set(used)
    drop = {j for i, j in enumerate(where) if i not in keep}
    pruned = qc.copy_empty_like()
    pruned.data = [inst for j, inst in enumerate(qc.data) if j not in drop] if drop else qc.data
    params = {p.index: p for p in pruned.parameters}
    return pruned, [{params[3 * i + a]: [_U_OF[row[i]][a] for row in labels] for i in used for a in range(3)}]


def _template_qiskit(prep: _Prepared, compiled: CompiledProgram) -> tuple[Any, list[int]]:
    """The slot template as a Qiskit circuit whose placeholder ``i`` is a ``u`` gate with
    parameters ``slot[3i..3i+2]``, and the index of every placeholder in its data
    (converted once per method, shared by the runs of every group size)."""
    from qiskit.circuit import ParameterVector
    from qiskit.circuit.library import UGate

    k = compiled.drawn.num_placeholders  # type: ignore[union-attr]
    if prep.method not in prep.converted:  # type: ignore[operator]
        qc = fit_to_method(circuit_to_qiskit(prep.circuit, user_clbits=compiled.num_user_clbits), prep.method)
        params = ParameterVector("slot", 3 * k)
        where = []
        for j, inst in enumerate(qc.data):
            op = inst.operation
            if op.name == "u" and not op.is_parameterized() and float(op.params[2]) == SLOT_MARKER:
                i = len(where)
                qc.data[j] = inst.replace(operation=UGate(params[3 * i], params[3 * i + 1], params[3 * i + 2]))
                where.append(j)
        if len(where) != k:
            raise AssertionError(f"slot template has {len(where)} placeholders for {k} slots; please report this bug")
        prep.converted[prep.method] = (qc, where)  # type: ignore[index]
    return prep.converted[prep.method]  # type: ignore[index]


def run_on_aer(
    compiled: CompiledProgram, *, shots: int, seed: int | None, method: str = "automatic"
) -> EngineResult:
    """Simulate ``compiled`` on Aer (same as :func:`sample_program`)."""
    return sample_program(compiled, shots=shots, seed=seed, method=method)


def _progress(groups: list, progress: bool | None) -> Any:
    if len(groups) < 2:
        return groups
    return progress_bar(groups, desc="welinq shot groups", unit="group", progress=progress)


@dataclasses.dataclass
class _Prepared:
    circuit: Circuit
    method: str
    reason: str
    need: int
    converted: dict[str, Any] | None = None  # slot template: its parameterised Qiskit circuit by method

    @property
    def template(self) -> bool:
        return self.converted is not None


#: The last few circuits :func:`_reduce` reduced: ``id -> (circuit, user clbits, reduced)`` (a
#: slot template is prepared once per shot-count class of its groups, reduced once).
_REDUCED: dict[int, tuple[Circuit, int, Circuit]] = {}


def _reduce(circuit: Circuit, keep_clbits: int) -> Circuit:
    """``circuit`` with scratch measurements deferred and only the part measurements can see."""
    hit = _REDUCED.get(id(circuit))
    if hit is not None and hit[0] is circuit and hit[1] == keep_clbits:
        return hit[2]
    out = defer_measurements(circuit, keep_clbits)
    # qubits no measurement can see (e.g. the idle ones of a circuit transpiled onto the whole
    # cluster) are not simulated; slot placeholders of a template stay
    slots = (q for op in out.operations if op.name == "u" and op.params and op.params[2] == SLOT_MARKER
             for q in op.qubits)
    out, _ = out.observed_part(keep=slots)
    if len(_REDUCED) >= 4:
        _REDUCED.pop(next(iter(_REDUCED)))
    _REDUCED[id(circuit)] = (circuit, keep_clbits, out)
    return out


def _prepare(circuit: Circuit, compiled: CompiledProgram, shots: int, method: str) -> _Prepared:
    circuit = _reduce(circuit, compiled.num_user_clbits)
    if method == "automatic":
        method, reason = choose_method(circuit, shots)
    else:
        _check_representable(circuit, method)
        reason = "forced by the method option"
    n = circuit.num_qubits
    need = estimate_memory_bytes(method, n)
    budget = int(memory_budget_bytes() * MEMORY_FRACTION)  # MemAvailable, RLIMIT_AS, cgroup
    if need > budget:
        hint = (
            "use mode='effective' (no communication qubits)" if compiled.mode == "explicit"
            else "choose method='matrix_product_state' or 'stabilizer' (Clifford circuits), or split the circuit"
        )
        raise SimulationTooLargeError(
            f"simulating {n} qubits with method={method!r} needs about {need / 2**30:.1f} GiB but only "
            f"{budget / 2**30:.1f} GiB may be used; {hint}",
            required_bytes=need,
            available_bytes=budget,
        )
    return _Prepared(circuit=circuit, method=method, reason=reason, need=need)


def _run_prepared(prep: _Prepared, compiled: CompiledProgram, *, shots: int, seed: int | None, qc: Any = None,
                  parameter_binds: list | None = None, experiments: int = 1) -> Any:
    circuit, method, n = prep.circuit, prep.method, prep.circuit.num_qubits
    if qc is None:
        qc = circuit_to_qiskit(circuit, user_clbits=compiled.num_user_clbits)
    qc = fit_to_method(qc, method)
    dynamic = circuit.has_mid_circuit_measurement() or any(
        op.name in ("pauli_channel", "kraus") for op in circuit.operations)
    options: dict[str, Any] = {"method": method}
    if method in ("statevector", "density_matrix") and dynamic:
        options["shot_branching_enable"] = True
    if experiments > 1:
        # a few shots per bound experiment: parallelise over experiments (Aer picks how many)
        options["max_parallel_experiments"] = 0
    if os.environ.get("WELINQ_AER_THREADS"):
        options["max_parallel_threads"] = int(os.environ["WELINQ_AER_THREADS"])
    sim = _aer_simulator()(**options)
    kwargs: dict[str, Any] = {} if parameter_binds is None else {"parameter_binds": parameter_binds}
    result = sim.run(qc, shots=shots, seed_simulator=seed, memory=True, **kwargs).result()
    exps = list(result.results or [])
    bad = next((e for e in exps if not e.success), None)
    if not result.success or len(exps) != experiments or bad is not None:
        status = (getattr(bad, "status", None) if bad is not None else None) or getattr(result, "status", "")
        raise SimulationError(
            f"Aer's {method!r} method failed on the {compiled.mode} circuit ({n} qubits): {status}; "
            "try another method= option, or report this circuit"
        )
    mask = (1 << compiled.num_user_clbits) - 1
    out = []
    for exp in exps:
        raw = getattr(exp.data, "memory", None)
        memory = [0] * shots if raw is None else [int(h, 16) & mask for h in raw]
        meta = dict(exp.metadata) if exp.metadata else {}
        meta["simulated_qubits"] = n
        out.append(EngineResult(memory=memory, method=str(meta.get("method", method)), metadata=meta,
                                reason=prep.reason, estimated_bytes=prep.need))
    return out if parameter_binds is not None else out[0]
