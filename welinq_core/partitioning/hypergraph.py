"""The packet hypergraph of a circuit (Andres-Martinez & Heunen, PRA 2019; pytket-dqc).

Vertices are the circuit's qubits ``0..n-1`` followed by one *gate vertex* per
two-qubit gate that is diagonal on both of its qubits (``cz``, ``cp``, ``rzz``...).
Each hyperedge is one *packet segment* of a qubit ``q``: a maximal run of
operations diagonal on ``q`` (see :func:`welinq_core.lowering.packets.segments`). Its
pins are ``q`` itself, the partner qubit of every gate the segment must serve
(gates diagonal on ``q`` only, such as a ``cx`` controlled by ``q``), and the gate
vertex of every doubly-diagonal gate in it.

Placing the gate vertex of ``G(a, b)`` on ``a``'s block means "``b``'s copy serves
it"; with every gate vertex placed on one of its qubits' blocks, the
connectivity-minus-one (km1) cost of the hypergraph is the number of Bell pairs
the lowering consumes on an all-to-all network with enough communication qubits.
With hop distances ``d`` the cost of a hyperedge with source block ``s`` is
``sum(d[s][t] for t in blocks(e) if t != s)``.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> c = Circuit(num_qubits=3, operations=[Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="cz", qubits=(0, 2)), Operation(name="h", qubits=(0,))])
    >>> hg = build_packet_hypergraph(c)
    >>> hg.num_vertices, hg.edges
    (4, ((0, 1, 3), (2, 3)))
"""

from __future__ import annotations

import dataclasses

from welinq_core.circuit import Circuit
from welinq_core.lowering.canonical import canonicalize
from welinq_core.lowering.packets import packet_index

__all__ = ["PacketHypergraph", "build_packet_hypergraph"]


@dataclasses.dataclass(frozen=True)
class PacketHypergraph:
    """Packet hypergraph (see the module docstring).

    Attributes:
        num_qubits: Qubit vertices ``0..num_qubits-1``.
        gate_ends: For each gate vertex ``num_qubits + g``, its two qubits.
        edges: Pins of each hyperedge; the first pin is the segment's own qubit.
    """

    num_qubits: int
    gate_ends: tuple[tuple[int, int], ...]
    edges: tuple[tuple[int, ...], ...]

    @property
    def num_gate_vertices(self) -> int:
        """Number of gate vertices."""
        return len(self.gate_ends)

    @property
    def num_vertices(self) -> int:
        """Qubit vertices plus gate vertices."""
        return self.num_qubits + len(self.gate_ends)

    def incidence(self) -> list[list[int]]:
        """Hyperedges incident to each vertex."""
        inc: list[list[int]] = [[] for _ in range(self.num_vertices)]
        for e, pins in enumerate(self.edges):
            for v in pins:
                inc[v].append(e)
        return inc


def build_packet_hypergraph(circuit: Circuit) -> PacketHypergraph:
    """Build the packet hypergraph of ``circuit`` (non-local ``swap`` expanded to ``cx``).

    Hyperedges with a single pin (segments that can never need a copy) are dropped.
    """
    canonical = canonicalize(circuit)
    segs = packet_index(canonical).segments
    n = canonical.num_qubits
    pins: dict[int, list[int]] = {}
    owner: dict[int, int] = {}
    gate_ends: list[tuple[int, int]] = []
    for i, op in enumerate(canonical.operations):
        if not op.is_gate or len(op.qubits) != 2:
            continue
        a, b = op.qubits
        sa, sb = segs[i]
        if sa >= 0 and sb >= 0:
            gv = n + len(gate_ends)
            gate_ends.append((a, b))
            for s, q in ((sa, a), (sb, b)):
                owner.setdefault(s, q)
                pins.setdefault(s, []).append(gv)
        elif sa >= 0:
            owner.setdefault(sa, a)
            pins.setdefault(sa, []).append(b)
        elif sb >= 0:
            owner.setdefault(sb, b)
            pins.setdefault(sb, []).append(a)
    edges = []
    for s in sorted(pins):
        q = owner[s]
        rest = sorted(set(pins[s]) - {q})
        if rest:
            edges.append((q, *rest))
    return PacketHypergraph(num_qubits=n, gate_ends=tuple(gate_ends), edges=tuple(edges))
