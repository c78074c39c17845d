"""What a schedule records: timings of steps, pairs and packets, link usage, idle waits.

Plain frozen value types; :class:`Schedule` holds them all with the bottleneck
verdict and a JSON-friendly :meth:`Schedule.summary` for the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from welinq_core.schedule.text import fmt_time, link_line, sig

__all__ = ["BOTTLENECKS", "copy_idle_waits", "IdleInterval", "LinkUsage", "OpTiming", "PacketTiming", "PairRecord", "Schedule"]

#: Values of :attr:`Schedule.bottleneck`.
BOTTLENECKS = ("network", "latency", "local", "none")


@dataclasses.dataclass(frozen=True, kw_only=True)
class OpTiming:
    """When one step of the program ran.

    Attributes:
        step: Index in ``program.steps``.
        kind: ``"local"``, ``"open"``, ``"remote"``, ``"close"`` or ``"teleport"`` (from
            the pair request to the corrections at the target).
        op: Operation index in ``program.circuit`` (None for open/close).
        packet: Packet index (None for local steps).
        qpu: QPU where it runs (the source QPU for open and close).
        start_s: Start, in seconds (for an open: when its pairs are requested).
        end_s: End, in seconds (for an open: when the linked copy is usable; for a
            close: when the source's Z correction is done).
    """

    step: int
    kind: str
    op: int | None
    packet: int | None
    qpu: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        """end_s - start_s."""
        return self.end_s - self.start_s


@dataclasses.dataclass(frozen=True, kw_only=True)
class PairRecord:
    """One consumed Bell pair (one entry of the program's ledger).

    Attributes:
        index: Ledger index (``program.bell_pairs[index]``).
        link: Sorted QPU names of its link.
        packet: Packet that consumed it (None for a teleport's pair: see
            ``program.bell_pairs[index].teleport``).
        hop: Position along the packet's (or teleport's) route.
        requested_s: When the request that obtained it was made.
        generated_s: When it was heralded (both nodes know).
        consumed_s: When the protocol committed it (measurements start).
        age_s: Storage age at the commit, consumed_s - generated_s (<= the cutoff).
        wait_a_s: How long its end nearer the source aged, in seconds.
        wait_b_s: How long its other end aged (for the last hop, until the copy is
            usable, classical transit included).
        probabilities: Bell-diagonal (p_I, p_X, p_Y, p_Z) after that ageing, before
            swapping (the noise stage swaps the hops of a route).
        from_bank: Whether it was served from a stored (banked) pair.
    """

    index: int
    link: tuple[str, str]
    packet: int | None
    hop: int
    requested_s: float
    generated_s: float
    consumed_s: float
    age_s: float
    wait_a_s: float
    wait_b_s: float
    probabilities: tuple[float, float, float, float]
    from_bank: bool

    @property
    def fidelity(self) -> float:
        """p_I of the aged pair."""
        return self.probabilities[0]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PacketTiming:
    """Timing of one packet (linked copy).

    Attributes:
        index: Packet index.
        requested_s: When its pairs were requested (control qubit free).
        committed_s: When every hop held a live pair.
        copy_ready_s: When the copy on the target QPU was usable.
        closed_s: When the copy was measured by the cat-disentangler.
        done_s: When the Z correction on the control ended the packet.
        stall_s: Waiting for pairs, committed_s - requested_s.
        message_latency_s: One-way classical latency along its route.
        num_requests: Pair requests made (more than the hops if pairs hit the cutoff).
    """

    index: int
    requested_s: float
    committed_s: float
    copy_ready_s: float
    closed_s: float
    done_s: float
    stall_s: float
    message_latency_s: float
    num_requests: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class LinkUsage:
    """What one link did during the shot (counted over ``[0, makespan_s]``).

    Attributes:
        link: Sorted QPU names.
        rate_hz: Its ``bell_pair_rate_hz`` (None = unlimited).
        capacity: Bank slots (0 = generated on demand).
        generated: Pairs heralded.
        consumed: Pairs the program used.
        discarded: Pairs dropped at the cutoff (stored or held).
        lost: Pairs lost on retrieval from the bank memory.
        busy_s: Time spent generating.
        utilisation: busy_s / makespan_s (None if the rate is unlimited or the shot
            takes no time).
        demand_rate_hz: consumed / local critical path: the rate at which the program
            would use pairs if they were free (None if the local path takes no time).
        raw_consumed: Raw pairs the link's distillation used to make the ``consumed``
            (delivered) pairs, or None without distillation.
        distillation_rounds: Recurrence rounds per delivered pair, or None.
        distillation_failures: Distillation rounds that failed (pairs discarded), or None.
    """

    link: tuple[str, str]
    rate_hz: float | None
    capacity: int
    generated: int
    consumed: int
    discarded: int
    lost: int
    busy_s: float
    utilisation: float | None
    demand_rate_hz: float | None
    raw_consumed: int | None = None
    distillation_rounds: int | None = None
    distillation_failures: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class IdleInterval:
    """A data qubit waiting between two of its operations.

    Attributes:
        qubit: Logical qubit.
        step: Step whose operation ends the wait (insert idle noise before it).
        start_s: End of the qubit's previous operation.
        end_s: Start of the operation of ``step``.
        is_remote: Whether ``step`` is part of a remote protocol (open, remote gate,
            close), i.e. the qubit waits on pairs or classical messages.
    """

    qubit: int
    step: int
    start_s: float
    end_s: float
    is_remote: bool

    @property
    def duration_s(self) -> float:
        """end_s - start_s."""
        return self.end_s - self.start_s


@dataclasses.dataclass(frozen=True, kw_only=True)
class Schedule:
    """A timed run of one shot, with the evidence for the report and the noise stage.

    Attributes:
        makespan_s: Duration of the shot.
        local_makespan_s: Duration with instantaneous pairs and zero latency (the
            local critical path, protocol gates included).
        latency_makespan_s: Duration with instantaneous pairs and real latency.
        policy: ``"bank"``, ``"on-demand"``, ``"prefetch"``, or ``"instantaneous"``
            when every link has an unlimited rate.
        operations: Timing of every step, in step order.
        pairs: Every consumed pair, in ledger order.
        packets: Timing of every packet.
        links: Usage of every link of the cluster.
        idle: Idle intervals of data qubits (waits before the first operation of a
            qubit and after its last one are not included).
        stall_s_per_qpu: ``((qpu, seconds), ...)``: waiting for pairs of the packets
            with that QPU as source or target.
        bottleneck: One of :data:`BOTTLENECKS`.
        verdict: One sentence with the numbers.
        seed: The seed given to :func:`schedule`.
        warm_start_stall_saved_s: With a bank warm start, the stall time of the same
            shot (same seed) started cold minus this shot's; else None.
        prefetch_lead_s: With prefetch, ``((link, lead_s), ...)`` of the prefetching
            links; else ().
        prefetch_plan: With prefetch, ``{link: (lead_s, planned raw-pair request
            times)}`` (pass it to
            :func:`~welinq_core.schedule.simulation.simulate_shot` as ``prefetch`` to draw
            more shots under the same plan); else empty.
        prefetch_stall_saved_s: With prefetch, the stall time of the same shot (same
            seed) with pairs requested at the packet open (no bank) minus this shot's;
            else None.
        prefetch_fidelity_cost: With prefetch, the mean consumed-pair fidelity of that
            same shot minus this shot's (the cost of storing pairs longer; negative
            when prefetching delivers fresher pairs); else None.
    """

    makespan_s: float
    local_makespan_s: float
    latency_makespan_s: float
    policy: str
    operations: tuple[OpTiming, ...]
    pairs: tuple[PairRecord, ...]
    packets: tuple[PacketTiming, ...]
    links: tuple[LinkUsage, ...]
    idle: tuple[IdleInterval, ...]
    stall_s_per_qpu: tuple[tuple[str, float], ...]
    bottleneck: str
    verdict: str
    seed: int | None = None
    warm_start_stall_saved_s: float | None = None
    prefetch_lead_s: tuple[tuple[tuple[str, str], float], ...] = ()
    prefetch_plan: Mapping[tuple[str, str], tuple[float, tuple[float, ...]]] = dataclasses.field(
        default_factory=dict, repr=False, compare=False)
    prefetch_stall_saved_s: float | None = None
    prefetch_fidelity_cost: float | None = None

    # -- derived ---------------------------------------------------------------------
    @property
    def total_stall_s(self) -> float:
        """Sum over packets of the time spent waiting for pairs."""
        return float(sum(p.stall_s for p in self.packets))

    @property
    def pair_wait_overhead_s(self) -> float:
        """Shot time added by waiting for pairs: makespan - latency_makespan."""
        return max(0.0, self.makespan_s - self.latency_makespan_s)

    @property
    def latency_overhead_s(self) -> float:
        """Shot time added by classical latency: latency_makespan - local_makespan."""
        return max(0.0, self.latency_makespan_s - self.local_makespan_s)

    @property
    def is_network_bound(self) -> bool:
        """Whether waiting for Bell pairs is the largest share of the shot."""
        return self.bottleneck == "network"

    @property
    def consumed_fidelities(self) -> tuple[float, ...]:
        """Fidelity of every consumed pair (per hop, aged), in ledger order."""
        return tuple(p.fidelity for p in self.pairs)

    def pair_states(self) -> tuple[tuple[float, float, float, float], ...]:
        """Bell-diagonal (p_I, p_X, p_Y, p_Z) of every ledger pair, aged to consumption.

        Indexed like ``program.bell_pairs``; hops of one packet are not yet swapped
        (use :func:`~welinq_core.physics.swap_chain` on a packet's pairs in hop order).
        """
        return tuple(p.probabilities for p in self.pairs)

    def copy_idle_durations(self) -> dict[int, float]:
        """``{step: seconds}``: how long a packet's copy idles on its communication qubit
        right before each of its remote gates and its close (see :func:`copy_idle_waits`);
        pass it to :func:`~welinq_core.noise.add_noise` as ``copy_idle_durations``."""
        return copy_idle_waits(self.operations, self.packets)

    def idle_durations(self) -> tuple[tuple[int, int, float], ...]:
        """``(step, qubit, seconds)``: data qubit ``qubit`` idles that long right before
        step ``step`` (sorted by step, then qubit; zero-length waits left out)."""
        return tuple(sorted((i.step, i.qubit, i.duration_s) for i in self.idle))

    def summary(self) -> dict[str, Any]:
        """Plain, JSON-serialisable summary for the report (scalars first, nested last)."""
        fids = self.consumed_fidelities
        out: dict[str, Any] = {
            "policy": self.policy,
            "makespan_s": sig(self.makespan_s),
            "bottleneck": self.bottleneck,
            "verdict": self.verdict,
            "local_critical_path_s": sig(self.local_makespan_s),
            "pair_wait_overhead_s": sig(self.pair_wait_overhead_s),
            "latency_overhead_s": sig(self.latency_overhead_s),
            "total_stall_s": sig(self.total_stall_s),
            "copy_idle_total_s": sig(float(sum(self.copy_idle_durations().values()))),
            **({} if self.warm_start_stall_saved_s is None else {
                "warm_start_stall_saved_s": sig(self.warm_start_stall_saved_s)}),
            **({} if self.prefetch_stall_saved_s is None else {
                "prefetch_stall_saved_s": sig(self.prefetch_stall_saved_s),
                "prefetch_fidelity_cost": sig(self.prefetch_fidelity_cost)}),  # type: ignore[arg-type]
            "stall per QPU": ", ".join(f"{q} {fmt_time(s)}" for q, s in self.stall_s_per_qpu),
            "pairs_consumed": len(self.pairs),
            "pairs_generated": sum(l.generated for l in self.links),
            "pairs_discarded": sum(l.discarded for l in self.links),
            "consumed_fidelity_mean": sig(float(np.mean(fids))) if fids else None,
            "consumed_fidelity_min": sig(min(fids)) if fids else None,
            "consumed_fidelity_max": sig(max(fids)) if fids else None,
        }
        for l in self.links:
            out[f"link {l.link[0]}-{l.link[1]}"] = link_line(l)
        out["links"] = {
            f"{l.link[0]}-{l.link[1]}": {
                "rate_hz": l.rate_hz,
                "capacity": l.capacity,
                "generated": l.generated,
                "consumed": l.consumed,
                "discarded": l.discarded,
                "lost": l.lost,
                "busy_s": sig(l.busy_s),
                "utilisation": None if l.utilisation is None else sig(l.utilisation),
                "demand_rate_hz": None if l.demand_rate_hz is None else sig(l.demand_rate_hz),
                **({} if l.raw_consumed is None else {
                    "raw_consumed": l.raw_consumed, "distillation_rounds": l.distillation_rounds,
                    "distillation_failures": l.distillation_failures}),
            }
            for l in self.links
        }
        out["stall_s_per_qpu"] = {q: sig(s) for q, s in self.stall_s_per_qpu}
        return out



def copy_idle_waits(operations: Sequence[OpTiming | None], packets: Sequence[PacketTiming | None]
                    ) -> dict[int, float]:
    """``{step: seconds}``: how long each packet's linked copy waits on its communication
    qubit right before each of its remote gates and its close (or the move of its qubit
    through it, which ends the packet too).

    The copy is usable at ``copy_ready_s`` (the pair it came from is aged until then);
    it then waits until its first gate, between consecutive gates, and from its last
    gate until the cat-disentangler measures it. Zero-length waits are left out. Works
    on a :class:`Schedule`'s records and on one simulated shot's (``ShotRun.ops``,
    ``ShotRun.packets``) alike.

    Examples:
        >>> ops = [OpTiming(step=0, kind="open", op=None, packet=0, qpu="a", start_s=0.0, end_s=1.0),
        ...        OpTiming(step=1, kind="remote", op=0, packet=0, qpu="b", start_s=1.5, end_s=2.0),
        ...        OpTiming(step=2, kind="remote", op=1, packet=0, qpu="b", start_s=2.0, end_s=2.5),
        ...        OpTiming(step=3, kind="close", op=None, packet=0, qpu="a", start_s=3.0, end_s=4.0)]
        >>> pk = PacketTiming(index=0, requested_s=0.0, committed_s=0.5, copy_ready_s=1.0, closed_s=3.5,
        ...                   done_s=4.0, stall_s=0.5, message_latency_s=0.0, num_requests=1)
        >>> copy_idle_waits(ops, [pk])
        {1: 0.5, 3: 0.5}
    """
    last = {pk.index: pk.copy_ready_s for pk in packets if pk is not None}
    out: dict[int, float] = {}
    for op in operations:
        if op is None or op.kind not in ("remote", "close", "teleport") or op.packet not in last:
            continue
        wait = op.start_s - last[op.packet]
        if wait > 0:
            out[op.step] = wait
        if op.kind == "remote":
            last[op.packet] = op.end_s
    return out
