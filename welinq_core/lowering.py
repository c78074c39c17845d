r"""Lowering: replace every non-local two-qubit gate by its Bell-pair protocol.

A non-local gate ``G(x, y)`` that is diagonal on ``x`` (``cx`` from its control,
``cz``/``cp``/``rzz`` from either side) runs from a *linked copy* of ``x`` on
``y``'s QPU, made by the cat-entangler and undone by the cat-disentangler of
Eisert, Jacobs, Papadopoulos and Plenio, PRA 62, 052317 (2000)::

    x (QPU A) ──●──────────────────────────────── Z^m2 ──
                │
    a (comm A) ─X─ M=m1 ─┐                          ║
    b (comm B) ──────── X^m1 ──●── ... ── H ─ M=m2 ═╝
                               │
    y (QPU B) ─────────────── G ──

One copy (one Bell pair per hop) serves a whole *packet*: every following gate
diagonal on ``x`` with a partner on the same remote QPU, as long as ``x`` meets
only diagonal gates in between. QPUs that are not neighbours are reached along a
shortest route by entanglement swapping (a Bell measurement on each
intermediate QPU, with Pauli corrections on the far end).

The lowering is a pure function returning its evidence: the ordered protocol
steps, the packets, and the ledger of Bell pairs per link. Two renderings share
these steps: :meth:`DistributedProgram.explicit_circuit` (communication qubits,
mid-circuit measurement and feed-forward, as hardware does it) and
:meth:`DistributedProgram.effective_circuit` (data qubits only).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> c = Circuit(num_qubits=3, operations=[Operation(name="h", qubits=(0,)),
    ...     Operation(name="cx", qubits=(0, 1)), Operation(name="cx", qubits=(0, 2))])
    >>> cluster = Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2)
    >>> prog = lower(c, cluster, ("qpu0", "qpu1", "qpu1"))
    >>> prog.num_bell_pairs, [p.num_gates for p in prog.packets]
    (1, [2])
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, OrderedDict
import bisect
from collections.abc import Mapping, Sequence

import networkx as nx

from welinq_core import gates
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import Cluster
from welinq_core.errors import (
    CommunicationQubitError,
    InsufficientQubitsError,
    NoRouteError,
    OptionsError,
    UnsupportedGateError,
)

__all__ = [
    "BellPairUse",
    "Packet",
    "Teleport",
    "PROTOCOLS",
    "Step",
    "DistributedProgram",
    "ExplicitCircuit",
    "canonicalize",
    "lower",
    "count_bell_pairs",
    "route",
]

_LOOKAHEAD = 64
_MOVE_HORIZON = 6  # two-qubit gates of a qubit the TeleData decision looks ahead (tuned on QV-16/32)

#: Remote-operation protocols the planner can use.
PROTOCOLS = ("telegate", "teledata")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BellPairUse:
    """One Bell pair the program consumes.

    Attributes:
        index: Position in the program's ledger.
        link: The two QPU names of the link that generates it (sorted).
        packet: Index of the packet that consumes it (None for a TeleData pair).
        hop: Position of the link along the packet's (or teleport's) route (0 = at the source QPU).
        purpose: ``"telegate"`` (a packet's linked copy) or ``"teledata"`` (a state teleport).
        teleport: Index of the teleport that consumes it (None for a TeleGate pair).
    """

    index: int
    link: tuple[str, str]
    packet: int | None
    hop: int
    purpose: str = "telegate"
    teleport: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Packet:
    """Gates served by one linked copy of a control qubit on a remote QPU.

    Attributes:
        index: Packet number, in opening order.
        control: Logical qubit that is copied.
        source: QPU holding ``control``.
        target: QPU holding the copy.
        route: QPU names from ``source`` to ``target`` (swapping at the inner ones).
        gates: Indices (in the canonical circuit) of the gates it serves.
        bell_pairs: Ledger indices of its Bell pairs, one per hop.
    """

    index: int
    control: int
    source: str
    target: str
    route: tuple[str, ...]
    gates: tuple[int, ...]
    bell_pairs: tuple[int, ...]

    @property
    def num_gates(self) -> int:
        """Number of gates it serves."""
        return len(self.gates)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Teleport:
    """A TeleData move: the state of a logical qubit is teleported to another QPU.

    One Bell pair per hop (entanglement swapping at the inner QPUs), a Bell
    measurement of the qubit with the source half, X/Z corrections on the target
    half, which becomes the qubit's new home in a free data slot of ``target``.

    Attributes:
        index: Teleport number, in program order.
        qubit: Logical qubit moved.
        source: QPU it leaves.
        target: QPU it arrives on.
        route: QPU names from ``source`` to ``target``.
        slot: Data slot of ``target`` it occupies from then on.
        bell_pairs: Ledger indices of its Bell pairs, one per hop.
    """

    index: int
    qubit: int
    source: str
    target: str
    route: tuple[str, ...]
    slot: int
    bell_pairs: tuple[int, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Step:
    """One step of the distributed program.

    ``kind`` is ``"local"`` (operation ``op`` runs on one QPU), ``"open"`` (packet
    ``packet`` is entangled), ``"remote"`` (gate ``op`` runs through packet
    ``packet``), ``"close"`` (packet ``packet`` is disentangled) or ``"teleport"``
    (teleport ``teleport`` moves a qubit to another QPU; from that step on the
    qubit's QPU is the teleport's target).
    """

    kind: str
    op: int | None = None
    packet: int | None = None
    teleport: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExplicitCircuit:
    """The explicit rendering and its maps.

    Attributes:
        circuit: Data qubits ``0..n-1`` keep their logical index; communication
            qubits follow. Classical bits ``0..m-1`` are the user's; scratch bits follow.
        num_data_qubits: n.
        num_user_clbits: m.
        pair_qubits: For each ledger pair, the two simulator qubits it is prepared on.
        pair_positions: For each ledger pair, the index in ``circuit.operations``
            right after its preparation (where pair noise is inserted).
    """

    circuit: Circuit
    num_data_qubits: int
    num_user_clbits: int
    pair_qubits: tuple[tuple[int, int], ...]
    pair_positions: tuple[int, ...]

    @property
    def num_comm_qubits(self) -> int:
        """Simulator qubits used as communication qubits."""
        return self.circuit.num_qubits - self.num_data_qubits


@dataclasses.dataclass(frozen=True, kw_only=True)
class DistributedProgram:
    """The lowered program with its evidence.

    Attributes:
        circuit: The canonical input circuit (non-local ``swap`` expanded to ``cx``).
        cluster: The cluster it runs on.
        assignment: Initial QPU of each logical qubit (teleports move qubits later;
            see :meth:`placement_at`).
        data_slots: Initial ``(qpu, slot)`` of each logical qubit on its QPU.
        steps: Ordered protocol steps.
        packets: The packets, in opening order.
        bell_pairs: Ledger of every Bell pair consumed (packets' and teleports').
        teleports: The TeleData moves, in program order (empty with TeleGate only).
    """

    circuit: Circuit
    cluster: Cluster
    assignment: tuple[str, ...]
    data_slots: tuple[tuple[str, int], ...]
    steps: tuple[Step, ...]
    packets: tuple[Packet, ...]
    bell_pairs: tuple[BellPairUse, ...]
    teleports: tuple[Teleport, ...] = ()

    def placement_at(self, step: int) -> tuple[str, ...]:
        """QPU of each logical qubit right before ``steps[step]`` runs (``len(steps)``: at the end)."""
        if not 0 <= step <= len(self.steps):
            raise IndexError(f"step {step} is outside 0..{len(self.steps)}; pass a step index of this program")
        where = list(self.assignment)
        for s in self.steps[:step]:
            if s.kind == "teleport":
                tp = self.teleports[s.teleport]  # type: ignore[index]
                where[tp.qubit] = tp.target
        return tuple(where)

    @property
    def final_assignment(self) -> tuple[str, ...]:
        """QPU of each logical qubit after the last step."""
        return self.placement_at(len(self.steps))

    @property
    def num_bell_pairs(self) -> int:
        """Bell pairs consumed in total."""
        return len(self.bell_pairs)

    @property
    def num_remote_gates(self) -> int:
        """Gates executed through packets."""
        return sum(p.num_gates for p in self.packets)

    def bell_pairs_per_link(self) -> dict[tuple[str, str], int]:
        """``{(qpu_a, qpu_b): pairs}`` for every link of the cluster (zero included)."""
        counts = Counter(p.link for p in self.bell_pairs)
        return {k: counts.get(k, 0) for k, _ in self.cluster.links}

    # ------------------------------------------------------------------ renderings
    def effective_circuit(self) -> Circuit:
        """The program on data qubits only: every gate in place, no communication qubits.

        With perfect Bell pairs this is exactly what the explicit protocol does to the
        data qubits (the noise stage inserts the pairs' channels here).
        """
        ops = [self.circuit.operations[s.op] for s in self.steps if s.kind in ("local", "remote")]
        return self.circuit.with_operations(ops)

    def explicit_circuit(self) -> ExplicitCircuit:
        """The program as hardware runs it: Bell pairs on communication qubits,
        entanglement swapping, cat-entangler/disentangler, mid-circuit measurements
        and classical feed-forward.

        Communication qubits are drawn from a pool and reset before each use, so the
        simulator holds only as many as are ever in use at once. A teleport ends with
        an ideal ``swap`` of the target half into simulator qubit ``q``: a relabelling
        (the target communication qubit is q's new home), so logical qubit ``q``
        always lives on simulator qubit ``q`` and the data-qubit density matrix and
        final measurements are comparable with the monolithic circuit.
        """
        n, m = self.circuit.num_qubits, self.circuit.num_clbits
        free: list[int] = []
        pool_size = 0
        ops: list[Operation] = []
        copy_qubit: dict[int, int] = {}
        pair_qubits: list[tuple[int, int]] = [(-1, -1)] * len(self.bell_pairs)
        pair_positions: list[int] = [-1] * len(self.bell_pairs)

        def take() -> int:
            nonlocal pool_size
            if free:
                return free.pop()
            pool_size += 1
            return n + pool_size - 1

        def scratch(q: int) -> int:
            return m + (q - n)

        def measure(q: int) -> int:
            c = scratch(q)
            ops.append(Operation(name="measure", qubits=(q,), clbits=(c,)))
            return c

        def prepare(pair_ids: Sequence[int]) -> tuple[int, int]:
            """Prepare one pair per hop, swap along the route; the two end qubits."""
            ends: list[tuple[int, int]] = []
            for pair_index in pair_ids:
                qa, qb = take(), take()
                ops.extend(
                    [
                        Operation(name="reset", qubits=(qa,)),
                        Operation(name="reset", qubits=(qb,)),
                        Operation(name="h", qubits=(qa,)),
                        Operation(name="cx", qubits=(qa, qb)),
                    ]
                )
                pair_qubits[pair_index] = (qa, qb)
                pair_positions[pair_index] = len(ops)
                ends.append((qa, qb))
            # Entanglement swapping along the route: fold hop k into the running pair.
            first, last = ends[0]
            for qa, qb in ends[1:]:
                ops.append(Operation(name="cx", qubits=(last, qa)))
                ops.append(Operation(name="h", qubits=(last,)))
                cz_bit, cx_bit = measure(last), measure(qa)
                ops.append(Operation(name="x", qubits=(qb,), condition=Condition(clbits=(cx_bit,), value=1)))
                ops.append(Operation(name="z", qubits=(qb,), condition=Condition(clbits=(cz_bit,), value=1)))
                free.extend([last, qa])
                last = qb
            return first, last

        for step in self.steps:
            if step.kind == "local":
                ops.append(self.circuit.operations[step.op])  # type: ignore[index]
            elif step.kind == "remote":
                op = self.circuit.operations[step.op]  # type: ignore[index]
                pk = self.packets[step.packet]  # type: ignore[index]
                b = copy_qubit[pk.index]
                ops.append(dataclasses.replace(op, qubits=tuple(b if q == pk.control else q for q in op.qubits)))
            elif step.kind == "open":
                pk = self.packets[step.packet]  # type: ignore[index]
                first, last = prepare(pk.bell_pairs)
                # Cat-entangler.
                ops.append(Operation(name="cx", qubits=(pk.control, first)))
                bit = measure(first)
                ops.append(Operation(name="x", qubits=(last,), condition=Condition(clbits=(bit,), value=1)))
                free.append(first)
                copy_qubit[pk.index] = last
            elif step.kind == "teleport":
                tp = self.teleports[step.teleport]  # type: ignore[index]
                q = tp.qubit
                first, last = prepare(tp.bell_pairs)
                # Bell measurement of (q, source half); the Z bit goes to the target half's scratch bit.
                ops.append(Operation(name="cx", qubits=(q, first)))
                ops.append(Operation(name="h", qubits=(q,)))
                z_bit = scratch(last)
                ops.append(Operation(name="measure", qubits=(q,), clbits=(z_bit,)))
                x_bit = measure(first)
                ops.append(Operation(name="x", qubits=(last,), condition=Condition(clbits=(x_bit,), value=1)))
                ops.append(Operation(name="z", qubits=(last,), condition=Condition(clbits=(z_bit,), value=1)))
                # ``last`` now holds q on the target QPU. Relabel (ideal, not a physical
                # operation): keep logical q on simulator qubit q.
                ops.append(Operation(name="swap", qubits=(last, q)))
                free.extend([first, last])
            elif step.kind == "close":
                pk = self.packets[step.packet]  # type: ignore[index]
                b = copy_qubit.pop(pk.index)
                ops.append(Operation(name="h", qubits=(b,)))
                bit = measure(b)
                ops.append(Operation(name="z", qubits=(pk.control,), condition=Condition(clbits=(bit,), value=1)))
                free.append(b)
        circuit = Circuit(
            num_qubits=n + pool_size,
            num_clbits=m + pool_size,
            operations=ops,
            name=f"{self.circuit.name}-explicit",
        )
        return ExplicitCircuit(
            circuit=circuit,
            num_data_qubits=n,
            num_user_clbits=m,
            pair_qubits=tuple(pair_qubits),
            pair_positions=tuple(pair_positions),
        )


def canonicalize(circuit: Circuit) -> Circuit:
    """Expand two-qubit gates that are diagonal on neither qubit (``swap``) into ``cx``.

    Examples:
        >>> c = Circuit(num_qubits=2, operations=[Operation(name="swap", qubits=(0, 1))])
        >>> [op.name for op in canonicalize(c)]
        ['cx', 'cx', 'cx']
    """
    if all(not (op.is_gate and len(op.qubits) == 2 and not gates.spec(op.name).diagonal_on) for op in circuit):
        return circuit
    out: list[Operation] = []
    for op in circuit:
        if op.is_gate and len(op.qubits) == 2 and not gates.spec(op.name).diagonal_on:
            if op.name != "swap":
                raise UnsupportedGateError(f"gate {op.name!r} cannot be distributed; decompose it into cx")
            a, b = op.qubits
            for qs in ((a, b), (b, a), (a, b)):
                out.append(Operation(name="cx", qubits=qs, condition=op.condition))
        else:
            out.append(op)
    return circuit.with_operations(out)


def route(cluster: Cluster, source: str, target: str) -> tuple[str, ...]:
    """Shortest route (fewest hops) between two QPUs, deterministic.

    Raises:
        NoRouteError: If the QPUs are not connected.
    """
    try:
        return tuple(nx.shortest_path(cluster.network(), source, target))
    except (nx.NetworkXNoPath, nx.NodeNotFound) as err:
        raise NoRouteError(
            f"no network route from QPU {source!r} to {target!r}; add a link",
            qpu_a=source,
            qpu_b=target,
        ) from err


def _is_diagonal_1q(op: Operation) -> bool:
    """Whether a one-qubit gate is diagonal, by its spec or by its angles.

    Transpilers emit ``p(l)`` and ``rz`` as ``u(0, 0, l)`` (and QAOA's ``rzz`` as
    ``cp`` with ``u(0, 0, .)`` phases); ``u``/``rx``/``ry`` with a rotation angle
    that is a multiple of 2*pi are diagonal, so they must not break a packet.
    """
    if gates.spec(op.name).is_diagonal:
        return True
    if op.name in ("u", "rx", "ry") and op.params:
        theta = op.params[0]
        return abs(math.remainder(theta, 2 * math.pi)) < 1e-12
    return False


def _segments(circuit: Circuit) -> list[tuple[int, ...]]:
    """Packet segment of each operation's qubits (``-1`` where the op is not diagonal on it).

    A *segment* of qubit ``q`` is a maximal run of its operations that are all
    diagonal on ``q`` (barriers excepted); one linked copy of ``q`` can serve every
    remote gate of a segment. Segments depend on the circuit only, not on the
    assignment, and break exactly where the planner closes ``q``'s packets.
    """
    current: dict[int, int] = {}
    next_id = 0
    out: list[tuple[int, ...]] = []

    def seg(q: int) -> int:
        nonlocal next_id
        if q not in current:
            current[q] = next_id
            next_id += 1
        return current[q]

    for op in circuit.operations:
        if op.name == "barrier":
            out.append(tuple(-1 for _ in op.qubits))
            continue
        if not op.is_gate or op.name == "pauli_channel":
            for q in op.qubits:
                current.pop(q, None)
            out.append(tuple(-1 for _ in op.qubits))
            continue
        s = gates.spec(op.name)
        if len(op.qubits) == 1:
            q = op.qubits[0]
            if _is_diagonal_1q(op):
                out.append((seg(q),))
            else:
                current.pop(q, None)
                out.append((-1,))
            continue
        ids = []
        for pos, q in enumerate(op.qubits):
            if pos in s.diagonal_on:
                ids.append(seg(q))
            else:
                current.pop(q, None)
                ids.append(-1)
        out.append(tuple(ids))
    return out


def _cover_items(
    circuit: Circuit, segs: list[tuple[int, ...]], where: Sequence[str], order: dict[str, int]
) -> set[tuple[int, str]]:
    """The fewest ``(segment, target QPU)`` copies that serve every non-local gate.

    A non-local gate diagonal on one side only forces that side's copy; a gate
    diagonal on both sides is an edge between its two possible copies. Every
    edge joins a copy going ``A -> B`` with one going ``B -> A``, so the graph
    is bipartite (split by ``order[source] < order[target]``) and a minimum
    vertex cover (Koenig's theorem, Hopcroft-Karp matching) is exact. All copies
    of one component share one QPU pair and hence one route cost, so the
    unweighted cover is also the minimum of hop-weighted pairs when no QPU runs
    out of communication qubits.
    """
    forced: set[tuple[int, str]] = set()
    edges: list[tuple[tuple[int, str], tuple[int, str]]] = []
    for i, op in enumerate(circuit.operations):
        if len(op.qubits) != 2 or not op.is_gate:
            continue
        a, b = op.qubits
        qa, qb = where[a], where[b]
        if qa == qb:
            continue
        sa, sb = segs[i]
        if sa >= 0 and sb >= 0:
            edges.append(((sa, qb), (sb, qa)))
        elif sa >= 0:
            forced.add((sa, qb))
        else:
            forced.add((sb, qa))
    adj: dict[tuple[int, str], list[tuple[int, str]]] = {}
    seg_source: dict[int, str] = {}
    for i, op in enumerate(circuit.operations):
        for pos, q in enumerate(op.qubits):
            if segs[i][pos] >= 0:
                seg_source[segs[i][pos]] = where[q]
    for u, v in edges:
        if u in forced or v in forced:
            continue
        if order[seg_source[u[0]]] > order[u[1]]:
            u, v = v, u
        adj.setdefault(u, []).append(v)
    return forced | _koenig_cover(adj)


def _koenig_cover(adj: dict) -> set:
    """Minimum vertex cover of a bipartite graph given as ``{left: [right, ...]}``.

    Maximum matching by augmenting paths (Kuhn, iterative DFS, greedy start), then
    Koenig's construction: with ``Z`` the vertices reachable from unmatched left
    vertices by alternating paths, the cover is ``(L - Z) | (R & Z)``.
    """
    for u in adj:
        adj[u] = list(dict.fromkeys(adj[u]))
    match_l: dict = {}
    match_r: dict = {}
    for u in adj:  # greedy start
        for v in adj[u]:
            if v not in match_r:
                match_l[u], match_r[v] = v, u
                break
    for root in adj:
        if root in match_l:
            continue
        # Iterative DFS for an augmenting path from root.
        parent: dict = {}
        stack = [(root, 0)]
        seen_r: set = set()
        found = None
        while stack and found is None:
            u, k = stack[-1]
            nbrs = adj[u]
            if k >= len(nbrs):
                stack.pop()
                continue
            stack[-1] = (u, k + 1)
            v = nbrs[k]
            if v in seen_r:
                continue
            seen_r.add(v)
            parent[v] = u
            w = match_r.get(v)
            if w is None:
                found = v
            else:
                stack.append((w, 0))
        while found is not None:
            u = parent[found]
            nxt = match_l.get(u)
            match_l[u], match_r[found] = found, u
            found = nxt
    z_left: set = set()
    z_right: set = set()
    frontier = [u for u in adj if u not in match_l]
    z_left.update(frontier)
    while frontier:
        u = frontier.pop()
        for v in adj[u]:
            if v in z_right:
                continue
            z_right.add(v)
            w = match_r.get(v)
            if w is not None and w not in z_left:
                z_left.add(w)
                frontier.append(w)
    return {u for u in adj if u not in z_left} | z_right


def check_protocols(protocols: Sequence[str] | str) -> tuple[str, ...]:
    """Validate a protocol set; returns it as a tuple in canonical order.

    Raises:
        OptionsError: On an empty set or an unknown protocol.
    """
    if isinstance(protocols, str):
        protocols = tuple(p.strip() for p in protocols.split(",") if p.strip())
    given = tuple(protocols)
    unknown = [p for p in given if p not in PROTOCOLS]
    if unknown or not given:
        raise OptionsError(
            f"protocols={given!r} is invalid; give a non-empty subset of {PROTOCOLS} "
            "(e.g. ('telegate',) or ('telegate', 'teledata'))"
        )
    return tuple(p for p in PROTOCOLS if p in given)


class _Planner:
    """Single pass over the canonical circuit that forms packets and steps."""

    def __init__(self, circuit: Circuit, cluster: Cluster, assignment: Sequence[str],
                 protocols: Sequence[str] = ("telegate",),
                 moves: Mapping[int, Sequence[tuple[int, str]]] | None = None) -> None:
        self.circuit = circuit
        self.cluster = cluster
        self.protocols = check_protocols(protocols)
        self.teledata = "teledata" in self.protocols
        self.telegate = "telegate" in self.protocols
        self.moves = {int(k): tuple(v) for k, v in (moves or {}).items()}
        self.where = list(assignment)
        self.comm = {q.name: q.num_comm_qubits for q in cluster.qpus}
        g = cluster.network()
        self.paths = dict(nx.all_pairs_shortest_path(g))
        self.capacity = {q.name: q.num_data_qubits for q in cluster.qpus}
        slots = _data_slots(cluster, assignment)
        self.slot_of = [slot for _, slot in slots]
        self.free_slots: dict[str, list[int]] = {
            name: sorted(set(range(cap)) - {s for (qpu, s) in slots if qpu == name}, reverse=True)
            for name, cap in self.capacity.items()
        }
        self.teleport_info: list[dict] = []
        self.open: dict[int, OrderedDict[str, int]] = {}  # control -> {target qpu: packet}
        self.hosted: dict[str, OrderedDict[int, None]] = {n: OrderedDict() for n in cluster.qpu_names}
        self.packet_info: list[dict] = []
        self.pairs: list[BellPairUse] = []
        self.steps: list[Step] = []
        self.timeline: dict[int, list[int]] = {}
        for i, op in enumerate(circuit.operations):
            for q in op.qubits:
                self.timeline.setdefault(q, []).append(i)
        self.cursor: dict[int, int] = Counter()
        self.segs = _segments(circuit)
        order = {name: k for k, name in enumerate(cluster.qpu_names)}
        self.cover = _cover_items(circuit, self.segs, self.where, order)

    # -- packets -----------------------------------------------------------------------
    def close(self, packet: int) -> None:
        info = self.packet_info[packet]
        self.open[info["control"]].pop(info["target"])
        self.hosted[info["target"]].pop(packet)
        self.steps.append(Step(kind="close", packet=packet))

    def close_all(self, qubit: int) -> None:
        for packet in list(self.open.get(qubit, {}).values()):
            self.close(packet)

    def make_room(self, qpu: str, needed: int) -> None:
        if self.comm[qpu] < needed:
            raise CommunicationQubitError(
                f"QPU {qpu!r} has {self.comm[qpu]} communication qubit(s) but a remote gate needs "
                f"{needed} there (1 per Bell-pair end, 2 to swap for others); raise num_comm_qubits "
                "or add a direct link"
            )
        while len(self.hosted[qpu]) + needed > self.comm[qpu]:
            self.close(next(iter(self.hosted[qpu])))  # least recently used copy

    def open_packet(self, control: int, target: str) -> int:
        source = self.where[control]
        path = self.route(source, target)
        # Copy at the target holds a qubit for the packet's life; the source end and the
        # swapping QPUs need theirs only while the pair is being made.
        self.make_room(target, 1)
        self.make_room(source, 1)
        for inner in path[1:-1]:
            self.make_room(inner, 2)
        index = len(self.packet_info)
        pair_ids = []
        for hop, (u, v) in enumerate(zip(path, path[1:])):
            pair_ids.append(len(self.pairs))
            self.pairs.append(BellPairUse(index=len(self.pairs), link=tuple(sorted((u, v))), packet=index, hop=hop))  # type: ignore[arg-type]
        self.packet_info.append(
            {"control": control, "source": source, "target": target, "route": path, "gates": [], "pairs": pair_ids}
        )
        self.open.setdefault(control, OrderedDict())[target] = index
        self.hosted[target][index] = None
        self.steps.append(Step(kind="open", packet=index))
        return index

    def route(self, source: str, target: str) -> tuple[str, ...]:
        try:
            return tuple(self.paths[source][target])
        except KeyError:
            raise NoRouteError(
                f"no network route from QPU {source!r} to {target!r}; add a link",
                qpu_a=source,
                qpu_b=target,
            ) from None

    def hops(self, a: str, b: str) -> int:
        return len(self.route(a, b)) - 1

    def teleport(self, qubit: int, target: str) -> int:
        """Move ``qubit`` to a free data slot of ``target`` (TeleData, one pair per hop)."""
        source = self.where[qubit]
        if not self.free_slots[target]:
            raise InsufficientQubitsError(
                f"cannot teleport qubit {qubit} to QPU {target!r}: its {self.capacity[target]} data slots "
                "are all in use; move a qubit out first or raise data_qubits_per_qpu",
                required=self.capacity[target] + 1,
                available=self.capacity[target],
            )
        path = self.route(source, target)
        self.close_all(qubit)
        self.make_room(target, 1)
        self.make_room(source, 1)
        for inner in path[1:-1]:
            self.make_room(inner, 2)
        index = len(self.teleport_info)
        pair_ids = []
        for hop, (u, v) in enumerate(zip(path, path[1:])):
            pair_ids.append(len(self.pairs))
            self.pairs.append(BellPairUse(index=len(self.pairs), link=tuple(sorted((u, v))), packet=None,  # type: ignore[arg-type]
                                          hop=hop, purpose="teledata", teleport=index))
        slot = self.free_slots[target].pop()
        self.free_slots[source].append(self.slot_of[qubit])
        self.free_slots[source].sort(reverse=True)
        self.slot_of[qubit] = slot
        self.where[qubit] = target
        self.teleport_info.append(
            {"qubit": qubit, "source": source, "target": target, "route": path, "slot": slot, "pairs": pair_ids}
        )
        self.steps.append(Step(kind="teleport", teleport=index))
        return index

    def _future(self, qubit: int, op_index: int) -> list[int]:
        tl = self.timeline.get(qubit, [])
        k = bisect.bisect_left(tl, op_index)
        return tl[k:]

    def estimate(self, qubit: int, at: str, op_index: int) -> int:
        """Approximate pairs ``qubit``'s next gates cost if it sat on ``at`` (others fixed)."""
        cost = 0
        copies: set[str] = set()
        seen = 0
        for j in self._future(qubit, op_index):
            op = self.circuit.operations[j]
            if not op.is_gate or op.name == "pauli_channel":
                if op.name != "barrier":
                    copies.clear()
                continue
            if len(op.qubits) == 1:
                if not _is_diagonal_1q(op):
                    copies.clear()
                continue
            pos = op.qubits.index(qubit)
            partner_qpu = self.where[op.qubits[1 - pos]]
            diag = pos in gates.spec(op.name).diagonal_on
            if partner_qpu != at:
                if diag:
                    if partner_qpu not in copies:
                        cost += self.hops(at, partner_qpu)
                        copies.add(partner_qpu)
                else:
                    cost += self.hops(at, partner_qpu)
                    copies.clear()
            elif not diag:
                copies.clear()
            seen += 1
            if seen >= _MOVE_HORIZON:
                break
        return cost

    def consider_move(self, op_index: int, a: int, b: int, force: bool) -> None:
        """TeleData: move ``a`` to ``b``'s QPU or ``b`` to ``a``'s (with an eviction
        back when the destination is full) when that saves pairs over the horizon."""
        best: tuple[int, list[tuple[int, str]]] | None = None
        for q, other in ((a, b), (b, a)):
            src, dst = self.where[q], self.where[other]
            stay = self.estimate(q, src, op_index)
            if self.free_slots[dst]:
                delta = self.hops(src, dst) + self.estimate(q, dst, op_index) - stay
                plan = [(q, dst)]
            else:
                # Make room: send the qubit of dst that is cheapest to move to a QPU with a free slot.
                self.where[q] = dst
                best_r = None
                room = [z for z in self.capacity if z != dst and self.free_slots[z]]
                for r in range(len(self.where)):
                    if r == other or r == q or self.where[r] != dst:
                        continue
                    here = self.estimate(r, dst, op_index)
                    for z in room:
                        d = self.hops(dst, z) + self.estimate(r, z, op_index) - here
                        if best_r is None or d < best_r[0]:
                            best_r = (d, r, z)
                self.where[q] = src
                if best_r is None:
                    continue
                delta = self.hops(src, dst) + self.estimate(q, dst, op_index) - stay + best_r[0]
                plan = [(best_r[1], best_r[2]), (q, dst)]
            if best is None or delta < best[0]:
                best = (delta, plan)
        if best is None or (best[0] >= 0 and not force):
            return
        for qubit, target in best[1]:
            self.teleport(qubit, target)

    def run_length(self, qubit: int, target: str, op_index: int) -> int:
        """Upcoming gates a copy of ``qubit`` on ``target`` would serve."""
        count = 0
        tl = self.timeline[qubit]
        k = tl.index(op_index, self.cursor[qubit])
        for i in tl[k : k + _LOOKAHEAD]:
            op = self.circuit.operations[i]
            if not op.is_gate:
                if op.name == "barrier":
                    continue
                break
            s = gates.spec(op.name)
            pos = op.qubits.index(qubit)
            if len(op.qubits) == 1:
                if not _is_diagonal_1q(op):
                    break
            elif pos not in s.diagonal_on:
                break
            if len(op.qubits) == 2 and self.where[op.qubits[1 - pos]] == target:
                count += 1
        return count

    # -- main loop ---------------------------------------------------------------------
    def plan(self) -> None:
        for i, op in enumerate(self.circuit.operations):
            for q, target in self.moves.get(i, ()):
                if self.where[q] != target:
                    self.teleport(q, target)
            for q in op.qubits:
                self.cursor[q] = self.timeline[q].index(i, self.cursor[q])
            if op.name == "barrier":
                self.steps.append(Step(kind="local", op=i))
                continue
            if not op.is_gate or op.name == "pauli_channel":
                for q in op.qubits:
                    self.close_all(q)
                self.steps.append(Step(kind="local", op=i))
                continue
            s = gates.spec(op.name)
            if len(op.qubits) == 1:
                if not _is_diagonal_1q(op):
                    self.close_all(op.qubits[0])
                self.steps.append(Step(kind="local", op=i))
                continue
            a, b = op.qubits
            qa, qb = self.where[a], self.where[b]
            if qa != qb and self.teledata and not any(
                self.where[y] in self.open.get(x, {}) for x, y, pos in ((a, b, 0), (b, a, 1)) if pos in s.diagonal_on
            ):
                self.consider_move(i, a, b, force=not self.telegate)
                qa, qb = self.where[a], self.where[b]
                if qa != qb and not self.telegate:
                    raise InsufficientQubitsError(
                        f"TeleData-only lowering cannot make gate {i} ({op.name} on qubits {a}, {b}) local: "
                        f"no free data slot on {qa!r}, {qb!r} or elsewhere to move a qubit to; raise "
                        "data_qubits_per_qpu or add 'telegate' to protocols",
                        required=self.cluster.num_data_qubits + 1,
                        available=self.cluster.num_data_qubits,
                    )
            if qa == qb:
                for pos, q in enumerate((a, b)):
                    if pos not in s.diagonal_on:
                        self.close_all(q)
                self.steps.append(Step(kind="local", op=i))
                continue
            sides = [(a, qb, 0), (b, qa, 1)]
            candidates = [(q, tgt, pos) for q, tgt, pos in sides if pos in s.diagonal_on]
            if len(candidates) == 2:
                # Serve the gate from a copy in the minimum cover (see _cover_items).
                covered = [c for c in candidates if (self.segs[i][c[2]], c[1]) in self.cover]
                candidates = covered or candidates
            chosen = next(((q, tgt, pos) for q, tgt, pos in candidates if tgt in self.open.get(q, {})), None)
            if chosen is None:
                chosen = max(candidates, key=lambda c: (self.run_length(c[0], c[1], i), -c[2]))
            control, target, pos = chosen
            other = op.qubits[1 - pos]
            if (1 - pos) not in s.diagonal_on:
                self.close_all(other)
            packet = self.open.get(control, {}).get(target)
            if packet is None:
                packet = self.open_packet(control, target)
            else:
                self.hosted[target].move_to_end(packet)
            self.packet_info[packet]["gates"].append(i)
            self.steps.append(Step(kind="remote", op=i, packet=packet))
        for q in list(self.open):
            self.close_all(q)


def _data_slots(cluster: Cluster, assignment: Sequence[str]) -> tuple[tuple[str, int], ...]:
    used: Counter[str] = Counter()
    slots = []
    for name in assignment:
        slots.append((name, used[name]))
        used[name] += 1
    return tuple(slots)


def lower(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], *,
          protocols: Sequence[str] = ("telegate",),
          moves: Mapping[int, Sequence[tuple[int, str]]] | None = None) -> DistributedProgram:
    """Lower a circuit onto a cluster for a given qubit assignment.

    Args:
        circuit: The logical circuit (gates of at most two qubits).
        cluster: The cluster.
        assignment: Initial QPU name of each logical qubit (``Partition.assignment``).
        protocols: ``("telegate",)`` (default: linked copies only) or with
            ``"teledata"``: the planner may also teleport a qubit's state to another
            QPU (one pair per hop) when its next gates are mostly with that QPU.
            ``("teledata",)`` alone makes every non-local gate local by moves.
        moves: Forced teleports, ``{op index: [(qubit, target QPU), ...]}``: run
            before that operation of the canonical circuit (a qubit already on the
            target stays). Mainly for tests; works with any ``protocols``.

    Returns:
        The :class:`DistributedProgram` with its steps, packets and Bell-pair ledger.

    Raises:
        NoRouteError: If two QPUs that must share a pair are not connected.
        CommunicationQubitError: If a QPU lacks the communication qubits a remote gate needs.
        InsufficientQubitsError: If a (forced) teleport finds no free data slot.
        OptionsError: On an unknown protocol.
    """
    if len(assignment) != circuit.num_qubits:
        raise ValueError(f"assignment has {len(assignment)} entries for {circuit.num_qubits} qubits")
    canonical = canonicalize(circuit)
    planner = _Planner(canonical, cluster, assignment, protocols, moves)
    planner.plan()
    packets = tuple(
        Packet(
            index=k,
            control=info["control"],
            source=info["source"],
            target=info["target"],
            route=info["route"],
            gates=tuple(info["gates"]),
            bell_pairs=tuple(info["pairs"]),
        )
        for k, info in enumerate(planner.packet_info)
    )
    return DistributedProgram(
        circuit=canonical,
        cluster=cluster,
        assignment=tuple(assignment),
        data_slots=_data_slots(cluster, assignment),
        steps=tuple(planner.steps),
        packets=packets,
        bell_pairs=tuple(planner.pairs),
        teleports=tuple(
            Teleport(index=k, qubit=t["qubit"], source=t["source"], target=t["target"], route=t["route"],
                     slot=t["slot"], bell_pairs=tuple(t["pairs"]))
            for k, t in enumerate(planner.teleport_info)
        ),
    )


def count_bell_pairs(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], *,
                     protocols: Sequence[str] = ("telegate",)) -> tuple[int, int]:
    """``(Bell pairs, non-local gates)`` that :func:`lower` would use, without rendering.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> from welinq_core.cluster import Cluster
        >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
        >>> count_bell_pairs(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0", "qpu1"))
        (1, 1)
    """
    planner = _Planner(canonicalize(circuit), cluster, assignment, protocols)
    planner.plan()
    return len(planner.pairs), sum(len(p["gates"]) for p in planner.packet_info)
