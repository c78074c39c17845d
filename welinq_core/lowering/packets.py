"""Packet analysis: packet segments and the minimum cover of linked copies.

A *segment* of a qubit is a maximal run of its operations that are all diagonal
on it; one linked copy of the qubit (one Bell pair per hop) can serve every
remote gate of a segment. Which copies to make is a minimum vertex cover of a
bipartite graph (Koenig's theorem), computed here for a given placement.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1)),
    ...     Operation(name="h", qubits=(1,)), Operation(name="cz", qubits=(0, 1))])
    >>> segments(c)
    [(0, 1), (-1,), (0, 2)]
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from collections.abc import Sequence

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation

__all__ = ["is_diagonal_1q", "segments", "PacketIndex", "packet_index", "cover_items", "koenig_cover"]


def is_diagonal_1q(op: Operation) -> bool:
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


def segments(circuit: Circuit) -> list[tuple[int, ...]]:
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
            if is_diagonal_1q(op):
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


@dataclasses.dataclass(frozen=True, kw_only=True)
class PacketIndex:
    """What the planner reads of a circuit whatever the placement (shared, read-only).

    Attributes:
        segments: :func:`segments` of the circuit.
        timeline: Indices of the operations on each qubit, in order.
        seg_uses: For each segment, ``(op indices, partners)`` of its two-qubit gates in order.
    """

    segments: list[tuple[int, ...]]
    timeline: dict[int, list[int]]
    seg_uses: dict[int, tuple[list[int], list[int]]]


_INDEX: dict[int, tuple[weakref.ref, PacketIndex]] = {}
_INDEX_SIZE = 8


def packet_index(circuit: Circuit) -> PacketIndex:
    """The :class:`PacketIndex` of ``circuit``, computed once per circuit object.

    The partitioner plans one circuit under many placements and protocol sets; this part
    of the planner's work depends on the circuit alone (a circuit is immutable).

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
        >>> packet_index(c).seg_uses, packet_index(c) is packet_index(c)
        ({0: ([0], [1]), 1: ([0], [0])}, True)
    """
    hit = _INDEX.get(id(circuit))
    if hit is not None and hit[0]() is circuit:
        return hit[1]
    segs = segments(circuit)
    timeline: dict[int, list[int]] = {}
    seg_uses: dict[int, tuple[list[int], list[int]]] = {}
    for i, op in enumerate(circuit.operations):
        for q in op.qubits:
            timeline.setdefault(q, []).append(i)
        if len(op.qubits) != 2 or not op.is_gate:
            continue
        for pos in (0, 1):
            sid = segs[i][pos]
            if sid >= 0:
                idx, partners = seg_uses.setdefault(sid, ([], []))
                idx.append(i)
                partners.append(op.qubits[1 - pos])
    index = PacketIndex(segments=segs, timeline=timeline, seg_uses=seg_uses)
    _INDEX[id(circuit)] = (weakref.ref(circuit), index)
    while len(_INDEX) > _INDEX_SIZE:
        _INDEX.pop(next(iter(_INDEX)))
    return index


def cover_items(
    circuit: Circuit, segs: list[tuple[int, ...]], where: Sequence[str], order: dict[str, int],
    short_lived: bool = False, promote: bool = False,
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

    With ``short_lived=True`` the cover is instead greedy, gate by gate, for the
    copy that lives shorter (its first to last gate): more copies, but fewer of
    them open at once, which is what counts when communication qubits run out.

    With ``promote=True`` a copy ``(segment of q, QPU T)`` whose segment ends at a
    two-qubit gate with a partner on ``T`` is taken whenever it is a candidate: the
    planner can then move ``q`` to ``T`` through that copy (no pair) and make the
    ending gate local (see :class:`~welinq_core.lowering.program.Teleport`).
    """
    forced: set[tuple[int, str]] = set()
    edges: list[tuple[tuple[int, str], tuple[int, str]]] = []
    span: dict[tuple[int, str], list[int]] = {}
    for i, op in enumerate(circuit.operations):
        if len(op.qubits) != 2 or not op.is_gate:
            continue
        a, b = op.qubits
        qa, qb = where[a], where[b]
        if qa == qb:
            continue
        sa, sb = segs[i]
        if short_lived:
            for item in ((sa, qb), (sb, qa)):
                if item[0] >= 0:
                    span.setdefault(item, [i, i])[1] = i
        if sa >= 0 and sb >= 0:
            edges.append(((sa, qb), (sb, qa)))
        elif sa >= 0:
            forced.add((sa, qb))
        else:
            forced.add((sb, qa))
    if promote:
        promotable = _promotable(circuit, segs, where)
        forced |= {item for edge in edges for item in edge if item in promotable}
    if short_lived:
        chosen = set(forced)
        for u, v in edges:
            if u not in chosen and v not in chosen:
                chosen.add(min((u, v), key=lambda c: (span[c][1] - span[c][0], c[1])))
        return chosen
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
    return forced | koenig_cover(adj)


def _promotable(circuit: Circuit, segs: list[tuple[int, ...]], where: Sequence[str]) -> set[tuple[int, str]]:
    """``(segment, QPU)`` of every segment that ends at a two-qubit gate with a partner on that QPU."""
    last: dict[int, int] = {}
    out: set[tuple[int, str]] = set()
    for i, op in enumerate(circuit.operations):
        for pos, q in enumerate(op.qubits):
            sid = segs[i][pos]
            if sid >= 0:
                last[q] = sid
                continue
            prev = last.pop(q, None)
            if prev is not None and len(op.qubits) == 2 and op.is_gate:
                other = where[op.qubits[1 - pos]]
                if other != where[q]:
                    out.add((prev, other))
    return out


def koenig_cover(adj: dict) -> set:
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

