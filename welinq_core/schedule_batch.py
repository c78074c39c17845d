r"""Many shots' schedules at once: the event simulation vectorised over shots.

Every shot of a run on finite-rate links draws its own schedule
(:mod:`welinq_core.shot_schedules`). Simulating each shot's event loop
(:class:`~welinq_core.schedule.simulation.ShotSimulation`) costs milliseconds of pure
Python per shot. Most of that loop is deterministic bookkeeping: every step waits for
the resources it uses (data qubits, a packet's copy, classical bits) *in program order*,
so its start is the latest release time of those resources, whatever the shot's draws.
The times of all steps therefore follow a max-plus recurrence over the program's fixed
dependency graph, which :func:`simulate_schedules` evaluates for all shots at once with
numpy, step by step in program order.

Only the links are stateful: each link's
:class:`~welinq_core.pair_source.PairSource` (bank, cutoff, prefetch plan, distillation,
retrieval losses) must see its requests in time order, as the event loop serves them.
Here every shot keeps its own sources, called in program order with the vectorised
request times. A shot is replayed exactly by the event loop instead wherever that
order might differ from the event loop's:

* two requests on one link are not strictly increasing in time in program order (the
  event loop would serve them in time order, or break a tie by its queue);
* a packet spanning several hops holds a pair that reaches its memory cutoff no later
  than the last hop's pair arrives (the event loop would discard it and ask again).

**Same random numbers.** Every shot and link draws from its own stream of uniforms
(:class:`ShotStreams`): geometric attempt counts by inversion, retrieval losses and
distillation outcomes by comparison. The sources consume their stream in the same
order in both simulations, so a shot replayed by the event loop, or simulated by it
from the start (:func:`simulate_schedules_scalar`, the reference the tests compare
with), gets bit-identical generation times; the result is the per-shot schedules of
the event loop, not an approximation of their distribution.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster, Link
    >>> from welinq_core.lowering import lower
    >>> from welinq_core.physics import QuantumMemory
    >>> link = Link(bell_pair_fidelity=0.95, bell_pair_rate_hz=1e3,
    ...             memory=QuantumMemory.depolarizing(time_s=0.01))
    >>> cl = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1, link=link)
    >>> ops = [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(0, 1))]
    >>> program = lower(Circuit(num_qubits=2, operations=ops), cl, ("qpu0", "qpu1"))
    >>> streams = ShotStreams.draw(program, 100, np.random.default_rng(1))
    >>> fast = simulate_schedules(program, streams, capacities={("qpu0", "qpu1"): 0})
    >>> slow = simulate_schedules_scalar(program, streams, capacities={("qpu0", "qpu1"): 0})
    >>> bool(np.array_equal(fast.makespan_s, slow.makespan_s)), fast.replayed_shots  # 1: the pilot shot
    (True, 1)
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from welinq_core.lowering import DistributedProgram
from welinq_core.physics.bell_pair import _BITS, _INDEX_OF_BITS, BellPair
from welinq_core.physics.memory import QuantumMemory, age
from welinq_core.schedule.distillation import DistillingSource, link_distillation
from welinq_core.schedule.records import copy_idle_waits
from welinq_core.schedule.simulation import ShotRun, ShotSimulation, idle_intervals, op_duration_s, pair_sources

__all__ = ["ScheduleBatch", "ShotStreams", "simulate_schedules", "simulate_schedules_scalar"]

LinkKey = tuple[str, str]
#: Uniforms per block of a stream that runs past its first block.
_EXTRA_BLOCK = 64


class _Stream:
    """One shot's and one link's random numbers, as a pair source asks for them
    (``random()`` and ``geometric(p)``, like a :class:`numpy.random.Generator`)."""

    __slots__ = ("_block", "_pos", "_extra_key", "_blocks")

    def __init__(self, block: np.ndarray, extra_key: tuple[int, ...]) -> None:
        self._block = block
        self._pos = 0
        self._extra_key = extra_key
        self._blocks = 0

    def random(self) -> float:
        if self._pos == len(self._block):  # past the pre-drawn block: deterministic extension
            self._blocks += 1
            self._block = np.random.default_rng([*self._extra_key, self._blocks]).random(_EXTRA_BLOCK)
            self._pos = 0
        u = float(self._block[self._pos])
        self._pos += 1
        return u

    def geometric(self, p: float) -> int:
        """Trials up to the first success (success probability ``p``), by inversion:
        ``ceil(log(U) / log(1 - p))`` with ``U`` uniform in (0, 1]."""
        if self._pos == len(self._block):
            u = 1.0 - self.random()
        else:
            u = 1.0 - float(self._block[self._pos])
            self._pos += 1
        return max(1, math.ceil(math.log(u) / math.log1p(-p)))


@dataclasses.dataclass(frozen=True)
class ShotStreams:
    """The random numbers of ``shots`` schedules: per shot and link a stream of uniforms.

    Attributes:
        links: The links, in the cluster's order.
        uniforms: Shape ``(shots, links, block)``: the first uniforms of every stream.
        entropy: Seed of the blocks drawn when a stream runs past its first block.
    """

    links: tuple[LinkKey, ...]
    uniforms: np.ndarray
    entropy: int

    @property
    def shots(self) -> int:
        return int(self.uniforms.shape[0])

    @classmethod
    def draw(cls, program: DistributedProgram, shots: int, rng: np.random.Generator) -> ShotStreams:
        """Streams for ``shots`` shots of ``program``; the first block holds twice the
        pairs a link delivers per shot (distilling links: per raw pair), plus a margin."""
        links = tuple(key for key, _ in program.cluster.links)
        per_link: dict[LinkKey, int] = defaultdict(int)
        for pair in program.bell_pairs:
            per_link[tuple(sorted(pair.link))] += 1  # type: ignore[index]
        distilled = link_distillation(program.cluster)
        need = max([2 * n * 2 ** distilled.get(k, (0, ""))[0] for k, n in per_link.items()] + [0]) + 4
        return cls(links=links, uniforms=rng.random((int(shots), len(links), need)),
                   entropy=int(rng.integers(2 ** 63)))

    def for_shot(self, shot: int) -> dict[LinkKey, _Stream]:
        """Fresh streams of one shot, from their start: ``{link: stream}``."""
        return {key: _Stream(self.uniforms[shot, j], (self.entropy, shot, j)) for j, key in enumerate(self.links)}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScheduleBatch:
    """What every shot's schedule says, as arrays over shots.

    Attributes:
        makespan_s: Shape ``(shots,)``.
        stall_s: Total time the shot's packets waited for their pairs, ``(shots,)``.
        pair_probabilities: Aged state ``(p_I, p_X, p_Y, p_Z)`` of every ledger pair,
            ``(shots, pairs, 4)``.
        pair_age_s: Storage age of every ledger pair, ``(shots, pairs)``.
        idle_waits_s: ``{(step, qubit): (shots,)}``: a data qubit's wait right before
            ``step`` (zero in shots where it does not wait; places where no shot waits are
            left out).
        copy_waits_s: ``{step: (shots,)}``: the same for a packet copy's waits
            (:func:`~welinq_core.schedule.records.copy_idle_waits`).
        replayed_shots: Shots replayed by the event loop (see the module docstring).
    """

    makespan_s: np.ndarray
    stall_s: np.ndarray
    pair_probabilities: np.ndarray
    pair_age_s: np.ndarray
    idle_waits_s: dict[tuple[int, int], np.ndarray]
    copy_waits_s: dict[int, np.ndarray]
    replayed_shots: int


class _Arrays:
    """Mutable per-shot outputs shared by the vectorised and the scalar simulation."""

    def __init__(self, shots: int, pairs: int) -> None:
        self.makespan = np.zeros(shots)
        self.stall = np.zeros(shots)
        self.probs = np.zeros((shots, pairs, 4))
        self.ages = np.zeros((shots, pairs))
        self.idle: dict[tuple[int, int], np.ndarray] = {}
        self.copy: dict[int, np.ndarray] = {}

    def record_run(self, i: int, run: ShotRun, program: DistributedProgram) -> None:
        """Write one event-loop shot into row ``i`` (every other place of row ``i`` zero)."""
        shots = len(self.makespan)
        for col in (*self.idle.values(), *self.copy.values()):
            col[i] = 0.0
        for k, rec in enumerate(run.pairs):
            self.probs[i, k] = rec.probabilities  # type: ignore[union-attr]
            self.ages[i, k] = rec.age_s  # type: ignore[union-attr]
        self.makespan[i] = run.makespan
        self.stall[i] = sum(pt.stall_s for pt in run.packets if pt is not None)
        for iv in idle_intervals(program, run.busy):
            self.idle.setdefault((iv.step, iv.qubit), np.zeros(shots))[i] += iv.duration_s
        for step, t in copy_idle_waits(run.ops, run.packets).items():  # type: ignore[arg-type]
            self.copy.setdefault(step, np.zeros(shots))[i] = t

    def batch(self, replayed: int) -> ScheduleBatch:
        return ScheduleBatch(makespan_s=self.makespan, stall_s=self.stall, pair_probabilities=self.probs,
                             pair_age_s=self.ages, idle_waits_s=dict(sorted(self.idle.items())),
                             copy_waits_s=dict(sorted(self.copy.items())), replayed_shots=replayed)


def simulate_schedules_scalar(
    program: DistributedProgram,
    streams: ShotStreams,
    *,
    capacities: dict[LinkKey, int],
    warmup_s: float = 0.0,
    distillation: Mapping[LinkKey, tuple[int, str]] | None = None,
    prefetch: Mapping[LinkKey, tuple[float, Sequence[float]]] | None = None,
) -> ScheduleBatch:
    """The reference: every shot through the event loop, with its own streams."""
    out = _Arrays(streams.shots, len(program.bell_pairs))
    for i in range(streams.shots):
        run = ShotSimulation(program, rng=streams.for_shot(i), capacities=capacities, warmup_s=warmup_s,
                             instant_pairs=False, zero_latency=False, distillation=distillation,
                             prefetch=prefetch).run()
        out.record_run(i, run, program)
    return out.batch(streams.shots)


def _pauli_channel(memory: QuantumMemory, t: np.ndarray) -> np.ndarray:
    """:meth:`QuantumMemory.pauli_probabilities` for many durations: shape ``(..., 4)``."""
    out = np.zeros(t.shape + (4,))
    out[..., 0] = 1.0
    if memory.model == "depolarizing":
        q = -np.expm1(-t / memory.depolarizing_time_s) / 4.0
        out[..., 0], out[..., 1], out[..., 2], out[..., 3] = 1.0 - 3.0 * q, q, q, q
    elif memory.model == "dephasing":
        pz = -np.expm1(-t / memory.t2_s) / 2.0
        out[..., 0], out[..., 3] = 1.0 - pz, pz
    elif memory.model != "ideal":  # pragma: no cover - T1/T2 memories are aged per shot
        raise ValueError(memory.model)
    return out


def _convolve(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """:func:`~welinq_core.physics.bell_pair.convolve_pauli` over rows, same summation order."""
    out = np.zeros(np.broadcast_shapes(p.shape, q.shape))
    for a in range(4):
        for b in range(4):
            out[..., _INDEX_OF_BITS[_BITS[a] ^ _BITS[b]]] += p[..., a] * q[..., b]
    return out


def _age(fresh: np.ndarray, wait_a: np.ndarray, wait_b: np.ndarray, memory: QuantumMemory | None) -> np.ndarray:
    """:func:`~welinq_core.physics.memory.age` of pairs ``fresh`` (``(shots, 4)``) with both
    halves in ``memory``."""
    if memory is None:
        return np.array(fresh, dtype=float)
    if memory.model == "t1t2":  # exact density-matrix ageing: per shot
        return np.array([age(BellPair.from_probabilities(f), float(a), float(b), memory, memory).probabilities
                         for f, a, b in zip(fresh, wait_a, wait_b)])
    return _convolve(_convolve(fresh, _pauli_channel(memory, wait_a)), _pauli_channel(memory, wait_b))


def _link_keys(sim: ShotSimulation, p: int) -> list[LinkKey]:
    route = sim.packets[p].route
    return [tuple(sorted(route[h: h + 2])) for h in range(len(sim.packets[p].bell_pairs))]  # type: ignore[misc]


def _opened(sim: ShotSimulation, s: int) -> int | None:
    """The (pseudo-)packet that step ``s`` opens, if any."""
    step = sim.steps[s]
    if step.kind == "open":
        return step.packet
    if step.kind == "teleport":
        return sim.n_pk + step.teleport  # type: ignore[operator]
    return None


def _service_orders(sim: ShotSimulation, run: ShotRun) -> dict[LinkKey, list[int]]:
    """Per link, the opening steps in the order the event loop served them in ``run``
    (by request time, then program order)."""
    orders: dict[LinkKey, list[tuple[float, int]]] = defaultdict(list)
    for s in range(len(sim.steps)):
        p = _opened(sim, s)
        if p is not None:
            for key in _link_keys(sim, p):
                orders[key].append((run.ops[s].start_s, s))
    return {key: [s for _, s in sorted(v)] for key, v in orders.items()}


def _processing_order(sim: ShotSimulation, orders: Mapping[LinkKey, list[int]]) -> list[int]:
    """Steps in a topological order of the resource queues and the links' service orders
    (program order where free)."""
    n = len(sim.steps)
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for users in [*sim.users.values(), *orders.values()]:
        for a, b in zip(users, users[1:]):
            succ[a].append(b)
            indeg[b] += 1
    ready = [s for s in range(n) if indeg[s] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        a = heapq.heappop(ready)
        out.append(a)
        for b in succ[a]:
            indeg[b] -= 1
            if indeg[b] == 0:
                heapq.heappush(ready, b)
    if len(out) != n:  # pragma: no cover - service orders of a real run follow its causality
        raise RuntimeError("schedule_batch: cyclic service order; please report this bug")
    return out


def _vector_pass(sim: ShotSimulation, order: list[int], orders: Mapping[LinkKey, list[int]],
                 sources: list[dict[LinkKey, Any]], rows: np.ndarray, out: _Arrays) -> np.ndarray:
    """Simulate the shots ``rows`` (``sources[j]``: the pair sources of shot ``rows[j]``)
    with steps in ``order`` (links serving in ``orders``); write them into ``out`` and
    return the mask of those the event loop must replay."""
    shots = len(rows)
    for col in (*out.idle.values(), *out.copy.values()):
        col[rows] = 0.0
    position = {key: {s: k for k, s in enumerate(v)} for key, v in orders.items()}
    distilling = {key: isinstance(src, DistillingSource) for key, src in sources[0].items()}
    replay = np.zeros(shots, dtype=bool)
    zero = np.zeros(shots)
    free: dict[Any, np.ndarray] = {}
    makespan = np.zeros(shots)
    busy: dict[int, list[tuple[np.ndarray, np.ndarray, int]]] = defaultdict(list)
    last_request: dict[LinkKey, tuple[np.ndarray, int]] = {}
    copy_from: dict[int, np.ndarray] = {}  # since when each packet's copy waits
    stall = np.zeros(shots)
    requested: dict[int, np.ndarray] = {}

    def release(r: Any, t: np.ndarray) -> None:
        nonlocal makespan
        free[r] = t
        makespan = np.maximum(makespan, t)

    def ready(rs: Sequence[Any]) -> np.ndarray:
        t = zero
        for r in rs:
            if r in free:
                t = np.maximum(t, free[r])
        return t

    def copy_wait(s: int, p: int, start: np.ndarray) -> None:
        wait = start - copy_from[p]
        if np.any(wait > 0):
            out.copy.setdefault(s, np.zeros(len(out.makespan)))[rows] = np.where(wait > 0, wait, 0.0)

    for s in order:
        step = sim.steps[s]
        rs = sim.res_of[s]
        if step.kind in ("local", "remote"):
            op = sim.circuit.operations[step.op]  # type: ignore[index]
            start = ready(rs)
            if step.kind == "local":
                end = start + op_duration_s(op, sim.qpus[sim.step_qpu[s]])
                control = None
            else:
                pk = sim.packets[step.packet]  # type: ignore[index]
                end = start + sim.qpus[pk.target].two_qubit_gate_duration_s
                control = pk.control
                copy_wait(s, pk.index, start)
                copy_from[pk.index] = end
            for q in op.qubits:
                if q != control:
                    busy[q].append((start, end, s))
            for r in rs:
                release(r, end)
        elif step.kind == "teleport" and step.packet is not None:  # a move through the packet's copy
            tp = sim.program.teleports[step.teleport]  # type: ignore[index]
            src_q, tgt_q = sim.qpus[tp.source], sim.qpus[tp.target]
            start = ready(rs)
            end = (start + src_q.single_qubit_gate_duration_s + src_q.measurement_duration_s
                   + sim.latency(tp.route, 0) + tgt_q.single_qubit_gate_duration_s)
            busy[tp.qubit].append((start, end, s))
            copy_wait(s, step.packet, start)
            for r in rs:
                release(r, end)
        elif step.kind in ("open", "teleport"):
            p = _opened(sim, s)  # type: ignore[assignment]
            pk = sim.packets[p]
            route = pk.route
            keys = _link_keys(sim, p)
            hops = len(keys)
            t = ready(rs)
            for key in keys:  # the event loop serves a link's requests by (time, program order)
                if position[key][s] > 0:
                    prev_t, prev_s = last_request[key]
                    replay |= (t < prev_t) | ((t == prev_t) & (s < prev_s))
                last_request[key] = (t, s)
            gen = np.repeat(t[:, None], hops, axis=1)
            got = gen.copy()
            fresh = np.zeros((shots, hops, 4))
            live = np.flatnonzero(~replay)
            served = []
            for j, tj in zip(live.tolist(), t[live].tolist()):
                src = sources[j]
                for key in keys:
                    served.append(src[key].request(tj)[:2])
            if served:
                both = np.array(served).reshape(len(live), hops, 2)
                gen[live], got[live] = both[..., 0], both[..., 1]
            for h, key in enumerate(keys):
                if distilling[key]:
                    for j in live.tolist():
                        fresh[j, h] = sources[j][key].pair_state(gen[j, h]).probabilities
            t_commit = got.max(axis=1)
            if hops > 1:  # a held pair reaching its cutoff before the commit: the event loop asks again
                cut = np.array([sources[0][key].cutoff_s for key in keys])
                replay |= np.any(gen + cut[None, :] <= t_commit[:, None], axis=1)
            src_q, tgt_q = sim.qpus[route[0]], sim.qpus[route[-1]]
            cat_end = t_commit + src_q.two_qubit_gate_duration_s + src_q.measurement_duration_s
            arrival = cat_end + sim.latency(route, 0)
            for j in range(1, hops):
                node = sim.qpus[route[j]]
                bsm_end = (t_commit + node.two_qubit_gate_duration_s + node.single_qubit_gate_duration_s
                           + node.measurement_duration_s)
                arrival = np.maximum(arrival, bsm_end + sim.latency(route, j))
            copy_ready = arrival + tgt_q.single_qubit_gate_duration_s
            for h, pair_index in enumerate(pk.bell_pairs):
                link = sim.links[keys[h]]
                if not distilling[keys[h]]:
                    fresh[:, h] = link.pauli_probabilities
                wait_a = t_commit - gen[:, h]
                wait_b = copy_ready - gen[:, h] if h == hops - 1 else wait_a
                out.probs[rows, pair_index] = _age(fresh[:, h], wait_a, wait_b, link.memory)
                out.ages[rows, pair_index] = t_commit - gen[:, h]
            if p >= sim.n_pk:  # teleport
                busy[pk.control].append((t_commit, copy_ready, s))
                release(("q", pk.control), copy_ready)
                continue
            c_end = t_commit + src_q.two_qubit_gate_duration_s
            busy[pk.control].append((t_commit, c_end, s))
            requested[p] = t_commit - t
            copy_from[p] = copy_ready
            release(("q", pk.control), c_end)
            release(("copy", p), copy_ready)
        else:  # close
            p = step.packet  # type: ignore[assignment]
            pk = sim.packets[p]
            src_q, tgt_q = sim.qpus[pk.source], sim.qpus[pk.target]
            b_start = free[("copy", p)]
            b_end = b_start + tgt_q.single_qubit_gate_duration_s + tgt_q.measurement_duration_s
            corr_start = np.maximum(free.get(("q", pk.control), zero), b_end + sim.latency(pk.route, 0))
            end = corr_start + src_q.single_qubit_gate_duration_s
            busy[pk.control].append((corr_start, end, s))
            copy_wait(s, p, b_start)
            release(("copy", p), b_end)
            release(("q", pk.control), end)
    for p in sorted(requested):  # the packets' stalls, summed in packet order as the event loop's records
        stall = stall + requested[p]
    out.makespan[rows] = makespan
    out.stall[rows] = stall
    for q, intervals in busy.items():
        for (_, prev_end, _), (start, _, s) in zip(intervals, intervals[1:]):
            wait = start - prev_end
            if np.any(wait > 0):
                out.idle.setdefault((s, q), np.zeros(len(out.makespan)))[rows] = np.where(wait > 0, wait, 0.0)
    return replay


#: Vectorised passes (each with the service order of one shot) before the rest is replayed shot by shot.
MAX_PASSES = 8


def simulate_schedules(
    program: DistributedProgram,
    streams: ShotStreams,
    *,
    capacities: dict[LinkKey, int],
    warmup_s: float = 0.0,
    distillation: Mapping[LinkKey, tuple[int, str]] | None = None,
    prefetch: Mapping[LinkKey, tuple[float, Sequence[float]]] | None = None,
) -> ScheduleBatch:
    """The schedules of ``streams.shots`` shots of ``program``, vectorised over shots.

    Equal, shot by shot, to :func:`simulate_schedules_scalar` with the same streams (the
    module docstring says why); the settings are those of
    :func:`~welinq_core.schedule.simulation.simulate_shot`. The order in which each link
    serves its requests is taken from one shot run by the event loop; the shots that
    keep it are simulated together, the others in a further pass with the order of one of
    them (at most :data:`MAX_PASSES` passes, then shot by shot).
    """
    dist = link_distillation(program.cluster) if distillation is None else distillation
    settings = dict(capacities=capacities, warmup_s=warmup_s, distillation=dist, prefetch=prefetch)
    # The event loop's static structure: resources per step, QPUs, pseudo-packets, latency.
    sim = ShotSimulation(program, rng=None, instant_pairs=True, zero_latency=False, **settings)  # type: ignore[arg-type]
    out = _Arrays(streams.shots, len(program.bell_pairs))
    remaining = np.arange(streams.shots)
    replayed = 0
    for _ in range(MAX_PASSES):
        if len(remaining) == 0:
            break
        first = int(remaining[0])
        run = ShotSimulation(program, rng=streams.for_shot(first), instant_pairs=False, zero_latency=False,
                             **settings).run()  # type: ignore[arg-type]
        out.record_run(first, run, program)
        replayed += 1
        rows = remaining[1:]
        if len(rows) == 0:
            remaining = rows
            break
        orders = _service_orders(sim, run)
        sources = [pair_sources(program.cluster, rng=streams.for_shot(int(i)), **settings)  # type: ignore[arg-type]
                   for i in rows]
        again = _vector_pass(sim, _processing_order(sim, orders), orders, sources, rows, out)  # type: ignore[arg-type]
        remaining = rows[again]
    for i in remaining:
        run = ShotSimulation(program, rng=streams.for_shot(int(i)), instant_pairs=False, zero_latency=False,
                             **settings).run()  # type: ignore[arg-type]
        out.record_run(int(i), run, program)
        replayed += 1
    for store in (out.idle, out.copy):  # places where no shot waits are left out, as in the event loop's
        for place in [k for k, col in store.items() if not np.any(col)]:
            del store[place]
    return out.batch(replayed)
