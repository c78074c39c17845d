"""The discrete-event simulation of one shot, in named steps.

:class:`ShotSimulation` runs a lowered program on its cluster: each step waits
for the resources it uses (data qubits, a packet's linked copy, classical bits)
in program order, then starts. The handlers are the physics of the protocols:

* :meth:`ShotSimulation.start_local` / :meth:`~ShotSimulation.start_remote`: a
  gate or measurement for its QPU's duration;
* :meth:`~ShotSimulation.start_open`: a packet (or teleport) requests one pair per
  hop from the links' :class:`~welinq_core.pair_source.PairSource`;
* :meth:`~ShotSimulation.deliver` / :meth:`~ShotSimulation.expire`: a pair arrives,
  or reaches its memory cutoff before every hop holds one and is requested again;
* :meth:`~ShotSimulation.commit`: every hop holds a pair; cat-entangler and Bell
  measurements run, outcomes travel, every pair is aged until it is used;
* :meth:`~ShotSimulation.start_close`: the cat-disentangler and the Z correction.

``rng=None`` with ``instant_pairs=True`` gives the deterministic reference runs
(instantaneous pairs, with or without latency) behind the bottleneck verdict.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from welinq_core.circuit import Operation
from welinq_core.cluster import QPU, Cluster
from welinq_core.errors import InfeasibleError
from welinq_core.lowering import DistributedProgram, Packet
from welinq_core.pair_source import PairSource
from welinq_core.physics.bell_pair import BellPair
from welinq_core.physics.memory import age
from welinq_core.schedule.distillation import DistillingSource, link_distillation
from welinq_core.schedule.records import IdleInterval, OpTiming, PacketTiming, PairRecord
from welinq_core.schedule.text import fmt_time

__all__ = ["ShotRun", "ShotSimulation", "simulate_shot", "idle_intervals", "pair_sources", "MAX_REQUESTS_PER_HOP"]

#: Pair requests per hop after which a packet is declared infeasible (pairs keep expiring).
MAX_REQUESTS_PER_HOP = 100_000

Resource = tuple[str, int]  # ("q", qubit), ("copy", packet) or ("c", clbit)


def op_duration_s(op: Operation, qpu: QPU) -> float:
    """How long ``op`` takes on ``qpu`` (barriers and noise channels take no time)."""
    if op.name in ("barrier", "pauli_channel", "kraus"):
        return 0.0
    if op.name in ("measure", "reset"):
        return qpu.measurement_duration_s
    return qpu.single_qubit_gate_duration_s if len(op.qubits) == 1 else qpu.two_qubit_gate_duration_s


@dataclasses.dataclass
class ShotRun:
    """The raw outcome of one simulated shot."""

    makespan: float
    ops: list[OpTiming]
    pairs: list[PairRecord | None]
    packets: list[PacketTiming | None]
    busy: dict[int, list[tuple[float, float, int]]]
    sources: dict[tuple[str, str], PairSource]
    #: ``(time, link)`` of every pair request made at a packet (or teleport) open.
    requests: list[tuple[float, tuple[str, str]]] = dataclasses.field(default_factory=list)


def simulate_shot(
    program: DistributedProgram,
    *,
    rng: np.random.Generator | Mapping[tuple[str, str], Any] | None,
    capacities: dict[tuple[str, str], int],
    warmup_s: float,
    instant_pairs: bool,
    zero_latency: bool,
    distillation: Mapping[tuple[str, str], tuple[int, str]] | None = None,
    warm_start: Mapping[tuple[str, str], int] | None = None,
    prefetch: Mapping[tuple[str, str], tuple[float, Sequence[float]]] | None = None,
) -> ShotRun:
    """Run one shot of ``program`` (see :class:`ShotSimulation`).

    ``rng`` is one Generator for every link, or ``{link: generator}``: every link's
    pair source (and its distillation) draws from its own stream
    (:mod:`welinq_core.schedule_batch` replays those streams for many shots at once).

    ``prefetch`` maps links to ``(lead_s, planned request times)``
    (:func:`~welinq_core.schedule.prefetch.planned_requests`): those links generate
    ahead of the plan by the lead, into their ``capacities`` slots.
    """
    return ShotSimulation(program, rng=rng, capacities=capacities, warmup_s=warmup_s,
                          instant_pairs=instant_pairs, zero_latency=zero_latency,
                          distillation=distillation, warm_start=warm_start, prefetch=prefetch).run()


def pair_sources(
    cluster: Cluster,
    *,
    rng: np.random.Generator | Mapping[tuple[str, str], Any] | None,
    capacities: dict[tuple[str, str], int],
    warmup_s: float,
    distillation: Mapping[tuple[str, str], tuple[int, str]] | None = None,
    warm_start: Mapping[tuple[str, str], int] | None = None,
    prefetch: Mapping[tuple[str, str], tuple[float, Sequence[float]]] | None = None,
) -> dict[tuple[str, str], PairSource]:
    """Every link's pair source for one shot (``rng``: one Generator, or one per link)."""
    if distillation is None:  # the links' own policies
        distillation = link_distillation(cluster)
    qpus = {q.name: q for q in cluster.qpus}
    sources: dict[tuple[str, str], PairSource] = {}
    for key, _link in cluster.links:
        lead, plan = (prefetch or {}).get(key, (None, ()))
        link_rng = rng[key] if isinstance(rng, Mapping) else rng  # one stream per link, or shared
        sources[key] = PairSource(_link, capacity=capacities[key], rng=link_rng,  # type: ignore[arg-type]
                                  start_s=-warmup_s, initial_pairs=(warm_start or {}).get(key, 0),
                                  plan_s=plan, lead_s=lead)
        if distillation and key in distillation:  # the link hands out distilled pairs
            rounds, protocol = distillation[key]
            sources[key] = DistillingSource(  # type: ignore[assignment]
                sources[key], link=_link, qpus=(qpus[key[0]], qpus[key[1]]),
                rounds=rounds, protocol=protocol, rng=link_rng)  # type: ignore[arg-type]
    return sources


class ShotSimulation:
    """One shot's event loop (see the module docstring)."""

    def __init__(
        self,
        program: DistributedProgram,
        *,
        rng: np.random.Generator | Mapping[tuple[str, str], Any] | None,
        capacities: dict[tuple[str, str], int],
        warmup_s: float,
        instant_pairs: bool,
        zero_latency: bool,
        distillation: Mapping[tuple[str, str], tuple[int, str]] | None = None,
        warm_start: Mapping[tuple[str, str], int] | None = None,
        prefetch: Mapping[tuple[str, str], tuple[float, Sequence[float]]] | None = None,
    ) -> None:
        self.program = program
        cluster: Cluster = program.cluster
        self.circuit = program.circuit
        self.qpus = {q.name: q for q in cluster.qpus}
        self.links = dict(cluster.links)
        self.steps = program.steps
        self.instant_pairs = instant_pairs
        self.zero_latency = zero_latency
        # Teleports request and commit their pairs like packet opens: they ride along as
        # pseudo-packets numbered after the real ones (no gates, no close).
        self.n_pk = len(program.packets)
        self.packets = tuple(program.packets) + tuple(
            Packet(index=self.n_pk + t.index, control=t.qubit, source=t.source, target=t.target, route=t.route,
                   gates=(), bell_pairs=t.bell_pairs)
            for t in program.teleports
        )
        self.sources: dict[tuple[str, str], PairSource] = {}
        if not instant_pairs:
            self.sources = pair_sources(cluster, rng=rng, capacities=capacities, warmup_s=warmup_s,
                                        distillation=distillation, warm_start=warm_start, prefetch=prefetch)
        self.res_of, self.step_qpu = self._resources()
        self.users: dict[Resource, list[int]] = defaultdict(list)
        for s, rs in enumerate(self.res_of):
            for r in rs:
                self.users[r].append(s)
        self.head: dict[Resource, int] = defaultdict(int)
        self.free: dict[Resource, float] = defaultdict(float)
        self.enabled = [False] * len(self.steps)
        self.events: list[tuple[float, int, str, tuple]] = []
        self.seq = 0
        self.now = 0.0
        self.makespan = 0.0
        self.ops: list[OpTiming | None] = [None] * len(self.steps)
        self.pair_records: list[PairRecord | None] = [None] * len(program.bell_pairs)
        self.packet_records: list[PacketTiming | None] = [None] * self.n_pk
        self.busy: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
        self.open_state: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[float, tuple[str, str]]] = []

    # -- setup ---------------------------------------------------------------------
    def _resources(self) -> tuple[list[tuple[Resource, ...]], dict[int, str]]:
        """The resources of every step, in program order, and the QPU of each local step
        (qubits move with teleports)."""
        res_of: list[tuple[Resource, ...]] = []
        cur = list(self.program.assignment)
        step_qpu: dict[int, str] = {}
        for s_i, step in enumerate(self.steps):
            rs: list[Resource] = []
            if step.kind == "teleport":
                tp = self.program.teleports[step.teleport]  # type: ignore[index]
                rs = [("q", tp.qubit)] if tp.packet is None else [("q", tp.qubit), ("copy", tp.packet)]
                cur[tp.qubit] = tp.target
            elif step.kind in ("local", "remote"):
                op = self.circuit.operations[step.op]  # type: ignore[index]
                if step.kind == "local":
                    step_qpu[s_i] = cur[op.qubits[0]]
                ctrl = self.packets[step.packet].control if step.kind == "remote" else None  # type: ignore[index]
                for q in op.qubits:
                    rs.append(("copy", step.packet) if q == ctrl else ("q", q))  # type: ignore[arg-type]
                rs.extend(("c", b) for b in op.clbits)
                if op.condition is not None:
                    rs.extend(("c", b) for b in op.condition.clbits)
            else:
                pk = self.packets[step.packet]  # type: ignore[index]
                rs = [("q", pk.control), ("copy", pk.index)]
            res_of.append(tuple(dict.fromkeys(rs)))
        return res_of, step_qpu

    def latency(self, route: Sequence[str], start: int) -> float:
        """Classical latency from ``route[start]`` to the route's end."""
        if self.zero_latency:
            return 0.0
        return sum(self.links[tuple(sorted(h))].latency_s  # type: ignore[index]
                   for h in zip(route[start:], route[start + 1 :]))

    def source_of(self, p: int, h: int) -> PairSource:
        return self.sources[tuple(sorted(self.packets[p].route[h : h + 2]))]  # type: ignore[index]

    # -- event queue and resources -------------------------------------------------
    def push(self, t: float, kind: str, payload: tuple, order: tuple[int, int] = (-1, -1)) -> None:
        """Queue an event at ``t``. Pair requests (``order`` = their open step and hop)
        come after every other event at the same instant, in program order."""
        heapq.heappush(self.events, (t, order, self.seq, kind, payload))
        self.seq += 1

    def try_enable(self, s: int) -> None:
        """Queue step ``s`` once it is first in line for every resource it uses."""
        if self.enabled[s] or any(self.users[r][self.head[r]] != s for r in self.res_of[s]):
            return
        self.enabled[s] = True
        if self.steps[s].kind == "close":
            t = self.free[("copy", self.steps[s].packet)]  # type: ignore[index]
        else:
            t = max((self.free[r] for r in self.res_of[s]), default=0.0)
        self.push(max(t, self.now), "start", (s,))

    def release(self, r: Resource, t: float) -> None:
        """``r`` is free from ``t``; its next user may be enabled."""
        self.free[r] = t
        self.makespan = max(self.makespan, t)
        self.head[r] += 1
        if self.head[r] < len(self.users[r]):
            self.try_enable(self.users[r][self.head[r]])

    # -- pairs ---------------------------------------------------------------------
    def issue(self, p: int, h: int, t: float) -> None:
        """Request a pair for hop ``h`` of packet ``p`` at time ``t``: a link serves the
        requests made at one instant in program order, once everything else that happens
        at that instant has (so the order never depends on the event queue's history, and
        :mod:`welinq_core.schedule_batch` can replay it for many shots at once)."""
        self.push(t, "request", (p, h), order=(self.open_state[p]["step"], h))

    def serve(self, p: int, h: int) -> None:
        """Serve the request of hop ``h`` of packet ``p`` now."""
        t = self.now
        st = self.open_state[p]
        st["requests"] += 1
        if st["requests"] > MAX_REQUESTS_PER_HOP * len(st["held"]):
            pk = self.packets[p]
            key = tuple(sorted(pk.route[h : h + 2]))
            raise InfeasibleError(
                f"packet {p} on route {list(pk.route)} made {st['requests']} pair requests: pairs keep "
                f"reaching the memory cutoff ({fmt_time(self.sources[key].cutoff_s)} on link {key}) before "  # type: ignore[index]
                "every hop holds one; raise the link rates or the cutoff, or use a shorter route"
            )
        if self.instant_pairs:
            self.push(t, "deliver", (p, h, t, t, False, st["requests"]))
            return
        g, d, from_bank = self.source_of(p, h).request(t)
        self.push(d, "deliver", (p, h, g, t, from_bank, st["requests"]))

    def deliver(self, p: int, h: int, g: float, requested: float, from_bank: bool, token: int) -> None:
        """A pair for hop ``h`` arrives; commit when every hop holds one."""
        st = self.open_state[p]
        st["held"][h] = (g, requested, from_bank, token)
        cut = math.inf if self.instant_pairs else self.source_of(p, h).cutoff_s
        if math.isfinite(cut):
            self.push(g + cut, "expire", (p, h, token))
        if all(x is not None for x in st["held"]):
            self.commit(p, self.now)

    def expire(self, p: int, h: int, token: int) -> None:
        """A held pair reaches its cutoff before the commit: discard it and ask again."""
        st = self.open_state[p]
        held = st["held"][h]
        if "committed" in st or held is None or held[3] != token:
            return
        self.source_of(p, h).discard_held()
        st["held"][h] = None
        self.issue(p, h, self.now)

    def age_pairs(self, p: int, t_commit: float, copy_ready: float) -> None:
        """Record every pair of ``p``, aged from its generation until it is used."""
        st = self.open_state[p]
        pk = self.packets[p]
        route = pk.route
        k = len(route) - 1
        for h, pair_index in enumerate(pk.bell_pairs):
            g, requested, from_bank, _ = st["held"][h]
            link = self.links[tuple(sorted(route[h : h + 2]))]  # type: ignore[index]
            wait_a = t_commit - g
            wait_b = copy_ready - g if h == k - 1 else t_commit - g
            src = self.sources.get(tuple(sorted(route[h : h + 2])))  # type: ignore[call-overload]
            if isinstance(src, DistillingSource):
                fresh = src.pair_state(g)  # the distilled pair when it is ready
            else:
                fresh = BellPair.from_probabilities(link.pauli_probabilities)
            aged = age(fresh, wait_a, wait_b, link.memory, link.memory) if link.memory else fresh
            self.pair_records[pair_index] = PairRecord(
                index=pair_index,
                link=self.program.bell_pairs[pair_index].link,
                packet=p if p < self.n_pk else None,
                hop=h,
                requested_s=requested,
                generated_s=g,
                consumed_s=t_commit,
                age_s=t_commit - g,
                wait_a_s=wait_a,
                wait_b_s=wait_b,
                probabilities=aged.probabilities,
                from_bank=from_bank,
            )

    def commit(self, p: int, t_commit: float) -> None:
        """Every hop holds a pair: run the cat-entangler and swaps, send the outcomes."""
        st = self.open_state[p]
        pk = self.packets[p]
        route = pk.route
        k = len(route) - 1
        src, tgt = self.qpus[route[0]], self.qpus[route[-1]]
        cat_end = t_commit + src.two_qubit_gate_duration_s + src.measurement_duration_s
        arrivals = [cat_end + self.latency(route, 0)]
        for i in range(1, k):
            node = self.qpus[route[i]]
            bsm_end = (t_commit + node.two_qubit_gate_duration_s + node.single_qubit_gate_duration_s
                       + node.measurement_duration_s)
            arrivals.append(bsm_end + self.latency(route, i))
        copy_ready = max(arrivals) + tgt.single_qubit_gate_duration_s
        self.age_pairs(p, t_commit, copy_ready)
        st.update(committed=t_commit, copy_ready=copy_ready, latency=self.latency(route, 0))
        if p >= self.n_pk:  # teleport: Bell measurement at the source, corrections at the target
            self.busy[pk.control].append((t_commit, copy_ready, st["step"]))
            self.ops[st["step"]] = OpTiming(step=st["step"], kind="teleport", op=None, packet=None,
                                            qpu=pk.target, start_s=st["request"], end_s=copy_ready)
            self.release(("q", pk.control), copy_ready)
            return
        c_end = t_commit + src.two_qubit_gate_duration_s
        self.busy[pk.control].append((t_commit, c_end, st["step"]))
        self.ops[st["step"]] = OpTiming(step=st["step"], kind="open", op=None, packet=p, qpu=pk.source,
                                        start_s=st["request"], end_s=copy_ready)
        self.release(("q", pk.control), c_end)
        self.release(("copy", p), copy_ready)

    # -- step handlers -------------------------------------------------------------
    def start_local(self, s: int) -> None:
        step = self.steps[s]
        op = self.circuit.operations[step.op]  # type: ignore[index]
        qpu = self.qpus[self.step_qpu[s]]
        end = self.now + op_duration_s(op, qpu)
        self.ops[s] = OpTiming(step=s, kind="local", op=step.op, packet=None, qpu=qpu.name,
                               start_s=self.now, end_s=end)
        for q in op.qubits:
            self.busy[q].append((self.now, end, s))
        for r in self.res_of[s]:
            self.release(r, end)

    def start_remote(self, s: int) -> None:
        step = self.steps[s]
        op = self.circuit.operations[step.op]  # type: ignore[index]
        pk = self.packets[step.packet]  # type: ignore[index]
        end = self.now + self.qpus[pk.target].two_qubit_gate_duration_s
        self.ops[s] = OpTiming(step=s, kind="remote", op=step.op, packet=pk.index, qpu=pk.target,
                               start_s=self.now, end_s=end)
        for q in op.qubits:
            if q != pk.control:
                self.busy[q].append((self.now, end, s))
        for r in self.res_of[s]:
            self.release(r, end)

    def start_open(self, s: int) -> None:
        step = self.steps[s]
        p = step.packet if step.kind == "open" else self.n_pk + step.teleport  # type: ignore[operator]
        hops = len(self.packets[p].bell_pairs)  # type: ignore[index]
        self.open_state[p] = {"step": s, "request": self.now, "held": [None] * hops,  # type: ignore[index]
                              "requests": 0}
        route = self.packets[p].route  # type: ignore[index]
        for h in range(hops):
            self.requests.append((self.now, tuple(sorted(route[h : h + 2]))))  # type: ignore[arg-type]
            self.issue(p, h, self.now)  # type: ignore[arg-type]

    def start_close(self, s: int) -> None:
        p = self.steps[s].packet
        pk = self.packets[p]  # type: ignore[index]
        st = self.open_state[p]  # type: ignore[index]
        src, tgt = self.qpus[pk.source], self.qpus[pk.target]
        b_start = self.free[("copy", p)]  # type: ignore[index]
        b_end = b_start + tgt.single_qubit_gate_duration_s + tgt.measurement_duration_s
        corr_start = max(self.free[("q", pk.control)], b_end + self.latency(pk.route, 0))
        end = corr_start + src.single_qubit_gate_duration_s
        self.ops[s] = OpTiming(step=s, kind="close", op=None, packet=p, qpu=pk.source, start_s=b_start, end_s=end)
        self.busy[pk.control].append((corr_start, end, s))
        self.packet_records[p] = PacketTiming(  # type: ignore[index]
            index=p, requested_s=st["request"], committed_s=st["committed"],  # type: ignore[arg-type]
            copy_ready_s=st["copy_ready"], closed_s=b_end, done_s=end,
            stall_s=st["committed"] - st["request"], message_latency_s=st["latency"],
            num_requests=st["requests"],
        )
        self.release(("copy", p), b_end)  # type: ignore[arg-type]
        self.release(("q", pk.control), end)

    def start_through_copy(self, s: int) -> None:
        """A move through the packet's copy: the qubit is measured in the X basis at the
        source, the bit travels the packet's route, the copy gets its Z correction."""
        p = self.steps[s].packet
        pk = self.packets[p]  # type: ignore[index]
        tp = self.program.teleports[self.steps[s].teleport]  # type: ignore[index]
        st = self.open_state[p]  # type: ignore[index]
        src, tgt = self.qpus[tp.source], self.qpus[tp.target]
        m_end = self.now + src.single_qubit_gate_duration_s + src.measurement_duration_s
        end = m_end + self.latency(tp.route, 0) + tgt.single_qubit_gate_duration_s
        self.ops[s] = OpTiming(step=s, kind="teleport", op=None, packet=p, qpu=pk.target, start_s=self.now,
                               end_s=end)
        self.busy[pk.control].append((self.now, end, s))
        self.packet_records[p] = PacketTiming(  # type: ignore[index]
            index=p, requested_s=st["request"], committed_s=st["committed"],  # type: ignore[arg-type]
            copy_ready_s=st["copy_ready"], closed_s=end, done_s=end,
            stall_s=st["committed"] - st["request"], message_latency_s=st["latency"],
            num_requests=st["requests"],
        )
        for r in self.res_of[s]:
            self.release(r, end)

    def start(self, s: int) -> None:
        kind = self.steps[s].kind
        if kind == "teleport" and self.steps[s].packet is not None:
            self.start_through_copy(s)
        elif kind == "local":
            self.start_local(s)
        elif kind == "remote":
            self.start_remote(s)
        elif kind in ("open", "teleport"):
            self.start_open(s)
        else:
            self.start_close(s)

    # -- the loop ------------------------------------------------------------------
    def run(self) -> ShotRun:
        for s in range(len(self.steps)):
            self.try_enable(s)
        while self.events:
            self.now, _, _, kind, payload = heapq.heappop(self.events)
            if kind == "start":
                self.start(*payload)
            elif kind == "deliver":
                self.deliver(*payload)
            elif kind == "request":
                self.serve(*payload)
            else:
                self.expire(*payload)
        if any(o is None for o in self.ops):
            stuck = [i for i, o in enumerate(self.ops) if o is None][:5]
            raise RuntimeError(f"schedule: steps {stuck} never ran; please report this bug")  # internal invariant
        return ShotRun(makespan=self.makespan, ops=self.ops, pairs=self.pair_records,  # type: ignore[arg-type]
                       packets=self.packet_records, busy=self.busy, sources=self.sources,
                       requests=self.requests)


def idle_intervals(program: DistributedProgram, busy: dict[int, list[tuple[float, float, int]]]) -> list[IdleInterval]:
    """The waits of every data qubit between two of its operations."""
    out = []
    for q, intervals in busy.items():
        intervals = sorted(intervals, key=lambda x: (x[0], x[2]))
        for (_, prev_end, _), (start, _, step) in zip(intervals, intervals[1:]):
            if start > prev_end:
                out.append(IdleInterval(qubit=q, step=step, start_s=prev_end, end_s=start,
                                        is_remote=program.steps[step].kind != "local"))
    return sorted(out, key=lambda i: (i.step, i.qubit))
