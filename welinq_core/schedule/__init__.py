r"""Timed schedule of one shot: local gates, Bell-pair generation, swapping, feed-forward.

:func:`schedule` is a seeded discrete-event simulation of a
:class:`~welinq_core.lowering.DistributedProgram` on its cluster:

* every operation runs as soon as its qubits (and the classical bits it reads or
  writes) are free, for the QPU's ``single_qubit_gate_duration_s``,
  ``two_qubit_gate_duration_s`` or ``measurement_duration_s`` (also used for
  ``reset``); barriers synchronise their qubits;
* a packet's Bell pairs (one per hop of its route) are requested when its control
  qubit is free for the cat-entangler. Each link is a :class:`PairSource`: on demand
  it generates pairs one after the other, each after a geometric number of attempts
  (:attr:`~welinq_core.cluster.Link.attempts`; mean 1/``bell_pair_rate_hz``, instantly
  when the rate is None); with an entanglement
  bank it generates ahead into ``capacity`` buffer slots, serves the freshest stored
  pair first and discards pairs older than the memory cutoff;
* when every hop holds a live pair the protocol commits: the cat-entangler at the
  source (CNOT + measurement) and the Bell measurements at the swapping QPUs run in
  parallel, their outcomes travel to the target (``link.latency_s`` per hop), and
  the X correction there makes the linked copy usable. A held pair that reaches the
  cutoff before the commit is discarded and requested again;
* every pair ages in the link's memory on both ends (:func:`~welinq_core.physics.age`)
  from its generation until its qubit is measured (source end, swapping QPUs) or the
  copy is usable (target end): storage, waiting for the other hops and classical
  transit all decohere it (SeQUeNCe #377 and PR #359 are the counter-examples);
* the cat-disentangler measures the copy and sends the outcome back to the source,
  whose Z correction ends the packet.

Three runs make the bottleneck verdict: the seeded one, one with instantaneous pairs
(the difference is the time lost waiting for pairs), and one with instantaneous pairs
and zero latency (the local critical path). The largest share names the bottleneck.
When the links hand out their pairs at once (no rate, no distillation, no warm bank) the
seeded run is the first reference run, and without classical latency the second one too:
those runs are not repeated.

A TeleData teleport requests its pairs like a packet open (when the qubit is free),
commits when every hop holds one, and the qubit is usable on the target QPU after
the Bell measurement, the classical message and the corrections.

With ``distillation`` every link hands out pairs distilled by recurrence from its raw
pairs (:mod:`~welinq_core.schedule.distillation`): raw pairs wait in memory for their
partners, every round takes the local gates and one classical exchange, failures are
discarded, and the link usage counts raw and delivered pairs.

With ``prefetch`` (a lead in seconds, or ``"auto"``: each link's expected delivery
time) the links follow the program's plan (:mod:`~welinq_core.schedule.prefetch`):
the n-th pair a link is planned to hand out (at the request times of the run with
instantaneous pairs) is generated from ``planned - lead`` on, into the bank's slots;
the schedule then also runs the same shot with requests at the packet open and
records the stall saved and the mean pair fidelity this costs.

Simplifications: without ``prefetch``, pairs are requested at the packet open (or a
bank fills whenever a slot is free); communication qubits and buffer slots are not shared between links; local gates on
different qubits of a QPU run in parallel.

The package: :mod:`~welinq_core.schedule.records` (what is recorded),
:mod:`~welinq_core.schedule.simulation` (the event loop, one handler per protocol step),
:mod:`~welinq_core.schedule.distillation` (links that distil their pairs),
:mod:`~welinq_core.schedule.text` (numbers and the verdict for humans).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster, Link, QPU
    >>> from welinq_core.lowering import lower
    >>> qpu = QPU(name="q", num_data_qubits=2, two_qubit_gate_duration_s=1e-4,
    ...           single_qubit_gate_duration_s=1e-5, measurement_duration_s=1e-4)
    >>> cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, qpu=qpu,
    ...                               link=Link(bell_pair_fidelity=0.97, bell_pair_rate_hz=100.0))
    >>> c = Circuit(num_qubits=2, operations=[Operation(name="cx", qubits=(0, 1))])
    >>> s = schedule(lower(c, cluster, ("qpu0", "qpu1")), seed=1, bank=False)
    >>> s.bottleneck, len(s.pairs), s.pairs[0].fidelity
    ('network', 1, 0.97)
    >>> s.makespan_s > s.local_makespan_s
    True
"""


from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from typing import Any

import numpy as np

from welinq_core.cluster import Cluster
from welinq_core.errors import OptionsError
from welinq_core.lowering import DistributedProgram
from welinq_core.pair_source import PairSource, effective_cutoff_s  # re-exported
from welinq_core.physics.bell_pair import BellPair
from welinq_core.schedule.distillation import DistillationPolicy, DistillingSource, link_distillation
from welinq_core.schedule.prefetch import planned_requests, prefetch_leads
from welinq_core.schedule.records import (
    BOTTLENECKS,
    IdleInterval,
    LinkUsage,
    OpTiming,
    PacketTiming,
    PairRecord,
    Schedule,
    copy_idle_waits,
)
from welinq_core.schedule.simulation import ShotRun, idle_intervals, simulate_shot
from welinq_core.schedule.text import verdict

__all__ = [
    "BOTTLENECKS",
    "copy_idle_waits",
    "DistillationPolicy",
    "IdleInterval",
    "LinkUsage",
    "OpTiming",
    "PacketTiming",
    "PairRecord",
    "PairSource",
    "Schedule",
    "effective_cutoff_s",
    "schedule",
]


def schedule(
    program: DistributedProgram,
    *,
    seed: int | np.random.Generator | None = None,
    bank: bool = True,
    bank_capacity: int | None = None,
    warmup_s: float = 0.0,
    distillation: str | DistillationPolicy | None = None,
    distillation_rounds: int | None = None,
    distillation_target_fidelity: float | None = None,
    bank_warm_start: int | str | None = None,
    prefetch: float | str | None = None,
) -> Schedule:
    """Schedule one shot of a lowered program on its cluster.

    Args:
        program: The lowered program (its ``cluster`` supplies durations, links and
            memories).
        seed: Seed or Generator of the pair-generation times; the same seed, inputs
            and welinq version give the same schedule.
        bank: Whether links with a finite rate generate ahead into an entanglement
            bank (True) or only on request (False). Defaults to True.
        bank_capacity: Slots per link. Defaults to None: the link memory's
            ``capacity``, else the smaller ``num_comm_qubits`` of its two QPUs.
        warmup_s: How long the banks have been generating before the shot starts,
            in seconds. Defaults to 0.0 (banks start empty).
        distillation: None (default: each link follows its own policy,
            ``Link(distillation=...)``; links without one use their pairs as delivered),
            ``"dejmps"`` or ``"bbpssw"`` (every link distils its pairs by recurrence,
            :mod:`~welinq_core.schedule.distillation`, whatever its own policy), or a
            :class:`~welinq_core.schedule.distillation.DistillationPolicy`.
        distillation_rounds: Recurrence rounds (with a protocol name). Defaults to 1
            when neither rounds nor a target fidelity is given.
        distillation_target_fidelity: Fidelity to reach from fresh pairs with the fewest
            rounds (with a protocol name), instead of ``distillation_rounds``.
        bank_warm_start: Pairs every bank holds when the banks start (``"full"`` = its
            capacity), fresh at that time; None (default) starts empty. The schedule then
            also runs the same shot cold and records the stall time saved
            (``warm_start_stall_saved_s``).
        prefetch: Generate each link's pairs ahead of their planned use by a lead:
            ``"auto"`` (each link's expected delivery time,
            :func:`~welinq_core.schedule.prefetch.expected_delivery_s`), a lead in
            seconds, or None (default: no plan; see ``bank``). Prefetched pairs wait in
            the bank's slots (``bank_capacity``, else the memory's capacity, else the
            communication qubits), whatever ``bank``. The schedule then also runs the same
            shot with requests at the packet open and no bank, and records
            ``prefetch_stall_saved_s`` and ``prefetch_fidelity_cost``.

    Returns:
        The :class:`Schedule`.

    Raises:
        OptionsError: On a negative warm-up, a bank capacity below 1, a warm start larger
            than a bank's capacity (or without banks), a prefetch lead that is negative or
            not a number (nor ``"auto"``), or a distillation
            setting that is invalid or whose target fidelity no number of rounds reaches
            (the message names the best reachable).
        InfeasibleError: If pairs keep expiring at the cutoff before every hop of a
            route holds one.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> from welinq_core.cluster import Cluster
        >>> from welinq_core.lowering import lower
        >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
        >>> s = schedule(lower(c, Cluster.preset("ideal"), ("qpu0", "qpu1")), seed=0)
        >>> s.makespan_s, s.bottleneck, s.pair_states()
        (0.0, 'none', ((1.0, 0.0, 0.0, 0.0),))
    """
    if not isinstance(program, DistributedProgram):
        raise OptionsError(f"schedule needs a DistributedProgram (from lower()), got {type(program).__name__}")
    if not (isinstance(warmup_s, (int, float)) and math.isfinite(warmup_s) and warmup_s >= 0):
        raise OptionsError(f"warmup_s={warmup_s!r} must be a finite time >= 0 seconds")
    if bank_capacity is not None and (not isinstance(bank_capacity, int) or isinstance(bank_capacity, bool)
                                      or bank_capacity < 1):
        raise OptionsError(f"bank_capacity={bank_capacity!r} must be an integer >= 1, or None (memory capacity)")
    distilled = distillation_rounds_per_link(program.cluster, distillation, distillation_rounds,
                                             distillation_target_fidelity)
    leads = prefetch_leads(program.cluster, prefetch, distilled)
    capacities = bank_capacities(program.cluster, bank=bank or bool(leads), bank_capacity=bank_capacity)
    warm = warm_start_pairs(program.cluster, capacities, bank_warm_start)
    # The reference runs (instantaneous pairs; and zero latency) are the seeded run itself
    # when it has nothing they leave out (see _instant_links): one event simulation
    # instead of three for clusters of instantaneous, latency-free links.
    with_latency = None
    if leads or not _instant_links(program.cluster, distilled, warm):
        with_latency = simulate_shot(program, rng=None, capacities=capacities, warmup_s=0.0,
                                     instant_pairs=True, zero_latency=False)
    plan = planned_requests(with_latency.requests, leads, distilled) if leads else {}  # type: ignore[union-attr]
    run = simulate_shot(program, rng=np.random.default_rng(seed), capacities=capacities, warmup_s=float(warmup_s),
                        instant_pairs=False, zero_latency=False, distillation=distilled, warm_start=warm,
                        prefetch=plan or None)
    latency_makespan = run.makespan if with_latency is None else with_latency.makespan
    if all(link.latency_s == 0.0 for _, link in program.cluster.links):
        local_makespan = latency_makespan  # no latency to leave out
    else:
        local_makespan = simulate_shot(program, rng=None, capacities=capacities, warmup_s=0.0,
                                       instant_pairs=True, zero_latency=True).makespan
    extra: dict[str, Any] = {}
    if warm:
        cold = simulate_shot(program, rng=np.random.default_rng(seed), capacities=capacities,
                             warmup_s=float(warmup_s), instant_pairs=False, zero_latency=False,
                             distillation=distilled, prefetch=plan or None)
        extra["warm_start_stall_saved_s"] = _stall(cold) - _stall(run)
    if leads:
        at_open = simulate_shot(program, rng=np.random.default_rng(seed),
                                capacities=bank_capacities(program.cluster, bank=False, bank_capacity=None),
                                warmup_s=float(warmup_s), instant_pairs=False, zero_latency=False,
                                distillation=distilled)
        extra.update(policy="prefetch", prefetch_plan=plan, prefetch_lead_s=tuple(sorted(leads.items())),
                     prefetch_stall_saved_s=_stall(at_open) - _stall(run),
                     prefetch_fidelity_cost=_mean_fidelity(at_open) - _mean_fidelity(run))
    timed = assemble_schedule(program, run, latency_makespan, local_makespan, bank=bank,
                              seed=seed if isinstance(seed, int) else None)
    return dataclasses.replace(timed, **extra) if extra else timed


def _instant_links(cluster: Cluster, distilled: dict, warm: dict) -> bool:
    """Whether the seeded run is the run with instantaneous pairs: every link hands out its
    pair at the request (no rate), none distils and no bank starts warm.

    Such a source serves ``(t, t)`` without drawing, and a pair's cutoff cannot strike
    before the commit (every hop's pair arrives at the open, the commit follows at once),
    so the two runs start every step at the same time.
    """
    return not distilled and not warm and all(link.bell_pair_rate_hz is None for _, link in cluster.links)


def _stall(run: ShotRun) -> float:
    return float(sum(p.stall_s for p in run.packets))  # type: ignore[union-attr]


def _mean_fidelity(run: ShotRun) -> float:
    fids = [p.probabilities[0] for p in run.pairs]  # type: ignore[union-attr]
    return float(np.mean(fids)) if fids else 1.0


def warm_start_pairs(cluster: Cluster, capacities: dict[tuple[str, str], int],
                     bank_warm_start: int | str | None) -> dict[tuple[str, str], int]:
    """Pairs each bank holds at the start (empty dict: cold start)."""
    if bank_warm_start is None:
        return {}
    finite = {key: cap for key, cap in capacities.items() if dict(cluster.links)[key].bell_pair_rate_hz is not None}
    if bank_warm_start == "full":
        if not any(finite.values()):
            raise OptionsError("bank_warm_start='full' needs entanglement banks (bank=True and a finite link rate)")
        return {key: cap for key, cap in finite.items() if cap > 0}
    k = bank_warm_start
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise OptionsError(f"bank_warm_start={k!r} must be an integer >= 0, 'full' or None")
    for key, cap in finite.items():
        if k > cap:
            raise OptionsError(
                f"bank_warm_start={k} exceeds the bank capacity {cap} of link {key[0]}-{key[1]}; give at "
                f"most {cap}, 'full', or raise bank_capacity")
    return {key: k for key in finite} if k > 0 else {}


def distillation_rounds_per_link(
    cluster: Cluster,
    distillation: str | DistillationPolicy | None,
    rounds: int | None,
    target_fidelity: float | None,
) -> dict[tuple[str, str], tuple[int, str]]:
    """``{link: (rounds, protocol)}`` for the links that distil: every link with imperfect
    pairs under a run-wide ``distillation``, else the links' own policies
    (``Link(distillation=...)``; empty when no link distils)."""
    if distillation is None:
        if rounds is not None or target_fidelity is not None:
            raise OptionsError(
                f"distillation_rounds={rounds!r} / distillation_target_fidelity={target_fidelity!r} need a "
                "protocol: pass distillation='dejmps' or 'bbpssw'")
        return link_distillation(cluster)
    if isinstance(distillation, DistillationPolicy):
        if rounds is not None or target_fidelity is not None:
            raise OptionsError("give rounds or target_fidelity inside the DistillationPolicy, not both ways")
        policy = distillation
    elif isinstance(distillation, str):
        if rounds is None and target_fidelity is None:
            rounds = 1
        policy = DistillationPolicy(protocol=distillation, rounds=rounds, target_fidelity=target_fidelity)
    else:
        raise OptionsError(
            f"distillation={distillation!r} must be None, 'dejmps', 'bbpssw' or a DistillationPolicy")
    out = {}
    for key, link in cluster.links:
        if link.bell_pair_fidelity >= 1.0:
            continue  # perfect pairs: nothing to distil
        out[key] = (policy.rounds_for(BellPair.from_probabilities(link.pauli_probabilities)), policy.protocol)
    return out


def bank_capacities(cluster: Cluster, *, bank: bool, bank_capacity: int | None) -> dict[tuple[str, str], int]:
    """Buffer slots per link: 0 on demand; else the given capacity, the memory's, or the
    smaller number of communication qubits of the link's two QPUs."""
    qpus = {q.name: q for q in cluster.qpus}
    capacities: dict[tuple[str, str], int] = {}
    for (a, b), link in cluster.links:
        if not bank:
            capacities[(a, b)] = 0
        elif bank_capacity is not None:
            capacities[(a, b)] = bank_capacity
        elif link.memory is not None and link.memory.capacity is not None:
            capacities[(a, b)] = link.memory.capacity
        else:
            capacities[(a, b)] = max(1, min(qpus[a].num_comm_qubits, qpus[b].num_comm_qubits))
    return capacities


def link_usage(program: DistributedProgram, run: ShotRun, local_makespan: float) -> list[LinkUsage]:
    """What every link of the cluster did during the shot ``run``."""
    makespan = run.makespan
    for src in run.sources.values():
        src.advance(max(makespan, src.now))
    consumed: dict[tuple[str, str], int] = defaultdict(int)
    for rec in run.pairs:
        consumed[rec.link] += 1  # type: ignore[union-attr]
    usage = []
    for key, link in program.cluster.links:
        src = run.sources[key]
        busy = src.busy_s(0.0, makespan)
        distilling = isinstance(src, DistillingSource)
        usage.append(LinkUsage(
            link=key,
            rate_hz=link.bell_pair_rate_hz,
            capacity=src.capacity,
            generated=src.num_generated,
            consumed=consumed[key],
            discarded=src.num_discarded,
            lost=src.num_lost,
            busy_s=busy,
            utilisation=busy / makespan if makespan > 0 and link.bell_pair_rate_hz is not None else None,
            demand_rate_hz=consumed[key] / local_makespan if local_makespan > 0 else None,
            raw_consumed=src.num_raw_consumed if distilling else None,
            distillation_rounds=src.rounds if distilling else None,
            distillation_failures=src.num_failures if distilling else None,
        ))
    return usage


def stall_per_qpu(program: DistributedProgram, run: ShotRun) -> dict[str, float]:
    """Seconds spent waiting for pairs by the packets with each QPU as source or target."""
    stall: dict[str, float] = {name: 0.0 for name in program.cluster.qpu_names}
    for pk, timing in zip(program.packets, run.packets):
        for name in {pk.source, pk.target}:
            stall[name] += timing.stall_s  # type: ignore[union-attr]
    return stall


def assemble_schedule(program: DistributedProgram, run: ShotRun, latency_makespan: float, local_makespan: float,
                      *, bank: bool, seed: int | None) -> Schedule:
    """The :class:`Schedule` of the shot ``run``, with the reference makespans for the verdict."""
    cluster = program.cluster
    usage = link_usage(program, run, local_makespan)
    bottleneck, text = verdict(run.makespan, latency_makespan, local_makespan, usage)
    if all(link.bell_pair_rate_hz is None for _, link in cluster.links):
        policy = "instantaneous"
    else:
        policy = "bank" if bank else "on-demand"
    return Schedule(
        makespan_s=run.makespan,
        local_makespan_s=local_makespan,
        latency_makespan_s=latency_makespan,
        policy=policy,
        operations=tuple(run.ops),
        pairs=tuple(run.pairs),  # type: ignore[arg-type]
        packets=tuple(run.packets),  # type: ignore[arg-type]
        links=tuple(usage),
        idle=tuple(idle_intervals(program, run.busy)),
        stall_s_per_qpu=tuple(stall_per_qpu(program, run).items()),
        bottleneck=bottleneck,
        verdict=text,
        seed=seed,
    )
