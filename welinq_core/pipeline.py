"""The run as one line of pure stages: partition, lower, schedule, add noise.

:func:`compile_program` runs every stage once for a circuit and a cluster and
returns a :class:`CompiledProgram`: the circuit an engine must simulate, the map
of the user's classical bits, and the :class:`~welinq_core.report.Report`.
Engines (Aer in ``qiskit_welinq``, Cirq's simulators in ``cirq_welinq``) then
sample it as many times as they like: compile once, sample many.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> ghz = Circuit(num_qubits=4, num_clbits=4, operations=[Operation(name="h", qubits=(0,))]
    ...     + [Operation(name="cx", qubits=(i, i + 1)) for i in range(3)]
    ...     + [Operation(name="measure", qubits=(i,), clbits=(i,)) for i in range(4)])
    >>> compiled = compile_program(ghz, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), mode="explicit")
    >>> compiled.report.total_bell_pairs, compiled.circuit.num_qubits > 4
    (1, True)
"""

from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Mapping, Sequence

from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.errors import OptionsError
from welinq_core.lowering import DistributedProgram, lower
from welinq_core.lowering.near_identity import NEAR_IDENTITY_TOLERANCE, drop_near_identity
from welinq_core.noise import add_noise
from welinq_core.noise.drawn import DrawnEvents
from welinq_core.partitioning import Partition, assignment_from_dict, partition_and_plan
from welinq_core.report import Report, build_report
from welinq_core.schedule import Schedule, bank_capacities, distillation_rounds_per_link, schedule

__all__ = ["CompiledProgram", "compile_program", "MODES", "waits_change_errors"]

#: Execution modes: ``effective`` (the default) simulates data qubits only with each
#: packet's exact channel; ``explicit`` simulates communication qubits and feed-forward.
MODES = ("explicit", "effective")


@dataclasses.dataclass(frozen=True, kw_only=True)
class CompiledProgram:
    """Everything an engine needs to sample a distributed run.

    Attributes:
        circuit: The circuit to simulate. Qubits ``0..n-1`` are the user's qubits;
            classical bits ``0..num_user_clbits-1`` are the user's.
        num_user_clbits: Classical bits reported to the user (the rest are scratch).
        mode: ``"explicit"`` or ``"effective"``.
        partition: Where each qubit lives, with its cost.
        program: The lowered program (steps, packets, Bell-pair ledger).
        report: The human- and machine-readable report.
        schedule: The timed schedule of one shot (pair states, idle times), or None.
        drawn: Noise events drawn per shot (``circuit`` lacks them), or None; sample
            with :func:`welinq_core.shots.plan_shots`.
        per_shot_schedule: Whether every shot draws its own schedule (pair generation
            times, ages, stalls, idle waits) and its own link and idle errors
            (:mod:`welinq_core.shot_schedules`); then ``circuit``/``drawn`` describe the
            schedule drawn with ``seed`` only (the report's).
        noise_rendering: The noise stage's ``effective_rendering``.
        schedule_settings: Keyword arguments of
            :func:`~welinq_core.schedule.simulation.simulate_shot` (bank capacities, warm-up,
            distillation) that reproduce the compiled schedule's settings for every shot.
    """

    circuit: Circuit
    num_user_clbits: int
    mode: str
    partition: Partition
    program: DistributedProgram
    report: Report
    schedule: Schedule | None = None
    drawn: DrawnEvents | None = None
    per_shot_schedule: bool = False
    noise_rendering: str = "exact"
    schedule_settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def waits_change_errors(program: DistributedProgram,
                        distilled: Mapping[tuple[str, str], Any] | None = None) -> bool:
    """Whether the waits of a shot are random and change its errors, so that every shot
    must draw its own schedule.

    The schedule is random when a used link has a finite rate or distils (``distilled``,
    default: the links' own policies; failures are random). It changes the noise only
    through waits: a pair's or a copy's in a link memory that decoheres, a data qubit's
    T1/T2 idling. Without any of those every schedule renders the same circuit.
    """
    cluster = program.cluster
    if distilled is None:
        from welinq_core.schedule.distillation import link_distillation

        distilled = link_distillation(cluster)
    used = [(cluster.link(*u.link), tuple(sorted(u.link))) for u in program.bell_pairs]
    waits_matter = (any(q.t1_s is not None or q.t2_s is not None for q in cluster.qpus)
                    or any(link.memory is not None and link.memory.model != "ideal" for link, _ in used))
    return waits_matter and any(link.bell_pair_rate_hz is not None or key in distilled for link, key in used)


def compile_program(
    circuit: Circuit,
    cluster: Cluster,
    *,
    mode: str = "effective",
    seed: int | None = None,
    assignment: Sequence[str] | Mapping[int, str] | None = None,
    partition_method: str | None = None,
    pair_states: Sequence[Sequence[float]] | None = None,
    idle_durations: Mapping[int, tuple[float, float]] | None = None,
    effective_rendering: str = "exact",
    protocols: Sequence[str] | str = "auto",
    draw_per_shot: bool = False,
    distillation: Any = None,
    distillation_rounds: int | None = None,
    distillation_target_fidelity: float | None = None,
    prefetch: float | str | None = "auto",
    identity_tolerance: float = NEAR_IDENTITY_TOLERANCE,
    place_unused_qubits: bool | None = None,
) -> CompiledProgram:
    """Partition, lower, schedule and add noise: everything but sampling.

    Args:
        circuit: The user's circuit in the IR.
        cluster: The cluster to run on.
        mode: One of :data:`MODES`.
        seed: Seed of every randomised stage (partitioning, pair-generation times);
            same seed, same plan and schedule.
        assignment: Optional fixed placement (sequence of QPU names per qubit, or a
            ``{qubit: qpu}`` mapping); skips partitioning. Its qubits stay where it puts
            them until a teleport moves them (see ``place_unused_qubits``).
        partition_method: Partitioning method passed to
            :func:`~welinq_core.partitioning.partition_circuit` (None = its default).
        protocols: Remote-operation protocols: ``"auto"`` (default, the cheapest of
            TeleGate, TeleGate+TeleData and TeleData per circuit), ``("telegate",)``,
            ``("telegate", "teledata")`` or ``("teledata",)``, see :func:`~welinq_core.lowering.lower`.
        pair_states: Optional ``(p_I, p_X, p_Y, p_Z)`` per ledger pair (see
            :func:`~welinq_core.noise.add_noise`); forces the noise stage. Defaults to
            the schedule's aged pair states.
        idle_durations: Optional idle waits for :func:`~welinq_core.noise.add_noise`.
            Defaults to the schedule's idle intervals.
        effective_rendering: ``"exact"`` (default) or ``"static"`` (see
            :func:`~welinq_core.noise.add_noise`).
        draw_per_shot: With ``effective_rendering="exact"``, render the events that
            need shared randomness as events drawn per shot (``drawn``, sampled by
            :func:`welinq_core.shots.plan_shots`) instead of randomness qubits. Engines
            that sample through :func:`~welinq_core.shots.plan_shots` set it.
        distillation, distillation_rounds, distillation_target_fidelity: Distil every
            link's pairs in the schedule (see :func:`~welinq_core.schedule.schedule`);
            default None: pairs are used as delivered.
        prefetch: Links generate each pair ahead of its planned use by a lead (see
            :mod:`~welinq_core.schedule.prefetch`): ``"auto"`` (default: each link's
            expected delivery time, so pairs are due when the packet opens, without
            filling the bank long before and ageing there), a lead in seconds, or None
            (the bank fills whenever a slot is free).
        identity_tolerance: Two-qubit gates within this operator-norm distance of the
            identity (up to a global phase) are dropped before partitioning, so they cost
            no Bell pair (see :mod:`~welinq_core.lowering.near_identity`; the controlled
            phases of angle ``pi / 2**k`` of a large QFT reach ``1e-12`` for ``k > 41``).
            Default ``1e-12``; 0 keeps every gate that is not exactly the identity. The
            report says how many were dropped and bounds the distance.
        place_unused_qubits: Whether the lowering may place a qubit that has met only
            one-qubit gates on another QPU for no pair (see
            :func:`~welinq_core.lowering.lower`). None (default): yes when the partitioner
            places the qubits, no for a fixed ``assignment`` (its qubits stay where it puts
            them); True with a fixed assignment allows it there too.

    The noise stage runs only when the cluster is not ideal (or ``pair_states`` is
    given): ideal runs simulate exactly the noiseless rendering.

    Raises:
        OptionsError: On an unknown mode, or ``place_unused_qubits=False`` without an assignment.
        InsufficientQubitsError: If the circuit does not fit on the cluster.
    """
    if mode not in MODES:
        raise OptionsError(f"mode={mode!r} is unknown; choose one of {MODES}")
    if place_unused_qubits is None:
        place_unused_qubits = assignment is None
    elif not place_unused_qubits and assignment is None:
        raise OptionsError("place_unused_qubits=False keeps qubits where a fixed assignment puts them; "
                           "pass assignment= too, or leave place_unused_qubits at None")
    near = drop_near_identity(circuit, tolerance=identity_tolerance)
    circuit = near.circuit
    if assignment is not None:
        mapping = dict(assignment) if isinstance(assignment, Mapping) else dict(enumerate(assignment))
        full = assignment_from_dict(circuit, cluster, mapping)
        from welinq_core.partitioning.cost import plan_cost

        cost = plan_cost(circuit, cluster, full, protocols=protocols, place_unused_qubits=place_unused_qubits)
        partition = Partition(assignment=full, bell_pairs=cost.bell_pairs, nonlocal_gates=cost.nonlocal_gates,
                              protocols=cost.protocols)
        plan = cost.plan
    else:
        kwargs = {} if partition_method is None else {"method": partition_method}
        partition, plan = partition_and_plan(circuit, cluster, seed=seed, protocols=protocols, **kwargs)
    # The partitioner's plan of the chosen placement is lowered as it is (not planned again).
    program = lower(circuit, cluster, partition.assignment, protocols=partition.protocols, plan=plan,
                    place_unused_qubits=place_unused_qubits)
    if (not cluster.is_ideal or pair_states is not None) and any(pk.window for pk in program.packets):
        # Local and idle noise inside a restoring window has no exact data-qubit rendering
        # (welinq_core.noise.events): noisy runs use ordinary packets on the same placement.
        program = lower(circuit, cluster, partition.assignment, protocols=partition.protocols,
                        place_unused_qubits=place_unused_qubits, windows=False)
        partition = dataclasses.replace(partition, bell_pairs=program.num_bell_pairs,
                                        nonlocal_gates=program.num_remote_gates)
    timed = schedule(program, seed=seed, distillation=distillation, distillation_rounds=distillation_rounds,
                     distillation_target_fidelity=distillation_target_fidelity, prefetch=prefetch)
    noise_summary = None
    drawn = None
    if not cluster.is_ideal or pair_states is not None:
        noisy = add_noise(
            program,
            mode=mode,
            pair_states=timed.pair_states() if pair_states is None else pair_states,
            idle_durations=timed.idle_durations() if idle_durations is None else idle_durations,
            effective_rendering="drawn" if draw_per_shot and effective_rendering == "exact" else effective_rendering,
            copy_idle_durations=timed.copy_idle_durations() if idle_durations is None else None,
        )
        simulated, user_bits, noise_summary = noisy.circuit, noisy.num_user_clbits, noisy.summary
        drawn = noisy.drawn
    elif mode == "explicit":
        explicit = program.explicit_circuit()
        simulated, user_bits = explicit.circuit, explicit.num_user_clbits
    else:
        simulated, user_bits = program.effective_circuit(), circuit.num_clbits
    report = build_report(
        partition=partition, program=program, mode=mode, simulated=simulated,
        schedule=timed.summary(), noise=noise_summary,
        near_identity={"dropped": near.dropped, "tolerance": near.tolerance,
                       "max_distance": near.max_distance, "total_distance": near.total_distance},
    )
    if report.total_bell_pairs != partition.bell_pairs:
        raise AssertionError(  # an internal invariant, not an input check
            f"partition claimed {partition.bell_pairs} Bell pairs but the lowering consumed "
            f"{report.total_bell_pairs}; please report this bug"
        )
    rendering = "drawn" if draw_per_shot and effective_rendering == "exact" else effective_rendering
    distilled = distillation_rounds_per_link(cluster, distillation, distillation_rounds, distillation_target_fidelity)
    settings = {"capacities": bank_capacities(cluster, bank=True, bank_capacity=None), "warmup_s": 0.0,
                "distillation": distilled, "prefetch": dict(timed.prefetch_plan) or None}
    per_shot = (draw_per_shot and noise_summary is not None and pair_states is None and idle_durations is None
                and waits_change_errors(program, distilled))
    return CompiledProgram(
        circuit=simulated,
        num_user_clbits=user_bits,
        mode=mode,
        partition=partition,
        program=program,
        report=report,
        schedule=timed,
        drawn=drawn,
        per_shot_schedule=per_shot,
        noise_rendering=rendering,
        schedule_settings=settings,
    )
