"""The Aer engine: sample a compiled program and keep only the user's classical bits.

:func:`sample_program` splits the shots into groups by the noise events each shot drew
(:func:`welinq_core.shots.plan_shots`) and simulates them:

* Clifford programs go to stim (:mod:`qiskit_welinq.stim_engine`) when it is installed;
* otherwise Aer, with the method :func:`~qiskit_welinq.aer_methods.choose_method` picks
  (or the backend's ``method`` option): the largest group as one experiment, the other
  groups through one parameterised circuit (:mod:`qiskit_welinq.slot_template`).

Scratch measurements whose only use is a Pauli correction are first deferred
(:func:`~qiskit_welinq.deferred.defer_measurements`), and qubits no measurement can see
are not simulated. Before simulating, the memory the method needs is estimated and
compared with the machine's available memory; a run that would not fit raises
:class:`~welinq_core.errors.SimulationTooLargeError` with a suggestion instead of
exhausting the machine.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from typing import Any

from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import OptionsError, SimulationError, SimulationTooLargeError
from welinq_core.resources import memory_budget_bytes
from welinq_core.noise.drawn import SLOT_MARKER
from welinq_core.pipeline import CompiledProgram
from welinq_core.qubit_reuse import fewest_qubits
from welinq_core.progress import PROGRESS_AFTER_S, progress_bar
from welinq_core.shots import plan_shots
from qiskit_welinq.aer_methods import (
    DENSITY_MATRIX_MAX_QUBITS,
    DENSITY_MATRIX_SHOTS_PER_AMPLITUDE,
    METHODS,
    STATEVECTOR_MAX_QUBITS,
    _is_clifford,
    aer_simulator,
    check_representable,
    choose_method,
    estimate_memory_bytes,
    fit_to_method,
    method_basis,
)
from qiskit_welinq.convert import circuit_to_qiskit
from qiskit_welinq.deferred import defer_measurements
from qiskit_welinq.engine_result import EngineResult
from qiskit_welinq import slot_template, stim_engine  # noqa: E402  (they use this module's runner)

__all__ = [
    "EngineResult",
    "run_on_aer",
    "sample_program",
    "choose_method",
    "defer_measurements",
    "estimate_memory_bytes",
    "method_basis",
    "fit_to_method",
    "METHODS",
    "DENSITY_MATRIX_MAX_QUBITS",
    "DENSITY_MATRIX_SHOTS_PER_AMPLITUDE",
    "STATEVECTOR_MAX_QUBITS",
    "PROGRESS_AFTER_S",
]

#: Fraction of the available memory a simulation may use.
MEMORY_FRACTION = 0.6


def __getattr__(name: str) -> Any:
    # Aer loads with the first run, not with the package (``engine.AerSimulator`` still works).
    if name == "AerSimulator":
        from qiskit_aer import AerSimulator

        globals()["AerSimulator"] = AerSimulator
        return AerSimulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_shots(shots: Any) -> int:
    if isinstance(shots, bool) or not isinstance(shots, numbers.Integral) or int(shots) < 1:
        raise OptionsError(f"shots={shots!r} must be a positive integer (e.g. shots=1000)")
    return int(shots)


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
    if one_circuit and (method == "stim" or method == "automatic" and stim_engine.stim_can_run(compiled.circuit)):
        return stim_engine.run_on_stim(compiled, shots=shots, seed=seed, forced=method == "stim")
    if method == "stim" and not stim_engine.stim_can_run(compiled.circuit):  # refuse before drawing the shots
        return stim_engine.run_on_stim(compiled, shots=shots, seed=seed, forced=True)  # raises, naming the problem
    groups, statistics = plan_shots(compiled, shots=shots, seed=seed)
    if groups[0].drawn is not None:  # per-shot schedules rendered once: the groups' choices refer to it
        compiled = dataclasses.replace(compiled, drawn=groups[0].drawn, per_shot_schedule=False)
    if method == "stim" or (method == "automatic" and stim_engine.stim_can_run(compiled.circuit)
                            and stim_engine.stim_can_run_groups(compiled, groups)):
        return stim_engine.run_groups_on_stim(compiled, groups, statistics, shots=shots, forced=method == "stim")
    main, minors = groups[0], groups[1:]
    jobs: list[tuple[_Prepared, list]] = [(_prepare(main.circuit(compiled), compiled, main.num_shots, method), [main])]
    main_circuit = jobs[0][0].circuit
    if (len(minors) > 1 and compiled.drawn is not None and not compiled.per_shot_schedule
            and not _is_clifford(main_circuit)):  # Clifford groups keep the stabilizer method: no template
        jobs += slot_template.template_jobs(compiled, minors, method)
    else:
        jobs += [(_prepare(g.circuit(compiled), compiled, g.num_shots, method), [g]) for g in minors]
    memory = [0] * shots
    methods: dict[str, int] = {}
    first: EngineResult | None = None
    for prep, gs in _progress(jobs, progress):
        if not prep.template:
            results = [_run_prepared(prep, compiled, shots=gs[0].num_shots, seed=gs[0].seed)]
        else:
            results = slot_template.run_template(prep, compiled, gs)
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
    # explicit mode: fewest simulator qubits (welinq_core.qubit_reuse), then defer
    out = defer_measurements(fewest_qubits(circuit, keep_order=_is_slot), keep_clbits)
    # qubits no measurement can see (e.g. the idle ones of a circuit transpiled onto the whole
    # cluster) are not simulated; slot placeholders of a template stay
    slots = (q for op in out.operations if op.name == "u" and op.params and op.params[2] == SLOT_MARKER
             for q in op.qubits)
    out, _ = out.observed_part(keep=slots)
    if len(_REDUCED) >= 4:
        _REDUCED.pop(next(iter(_REDUCED)))
    _REDUCED[id(circuit)] = (circuit, keep_clbits, out)
    return out


def _is_slot(op: Operation) -> bool:
    return op.name == "u" and bool(op.params) and op.params[2] == SLOT_MARKER


def _prepare(circuit: Circuit, compiled: CompiledProgram, shots: int, method: str) -> _Prepared:
    circuit = _reduce(circuit, compiled.num_user_clbits)
    if method == "automatic":
        method, reason = choose_method(circuit, shots)
    else:
        check_representable(circuit, method)
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
    sim = aer_simulator()(**options)
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
