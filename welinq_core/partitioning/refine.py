"""Fiduccia-Mattheyses-style refinement of a packet-hypergraph partition.

The cost of a hyperedge ``e`` whose own qubit sits in block ``s`` is
``sum(dist[s][t] for t in blocks(e) if t != s)``: one copy of the segment's
qubit per other block, each costing the route's pairs (``objective="ebits"``) or
the route's expected infidelity (``objective="fidelity"``). Gate vertices are
weightless and live on one of their two qubits' blocks; qubit vertices weigh one
data qubit each and respect per-block capacities.

Moves are applied greedily by gain with the gate vertices of a moved qubit
following it; qubit swaps are tried when blocks are full. Everything is seeded
and deterministic.

Examples:
    >>> from welinq_core.partitioning.hypergraph import PacketHypergraph
    >>> hg = PacketHypergraph(num_qubits=4, gate_ends=(), edges=((0, 1), (2, 3), (0, 2)))
    >>> r = Refiner(hg, [[0, 1], [1, 0]], capacities=[2, 2], blocks=[0, 1, 0, 1])
    >>> r.total_cost()
    2
    >>> _ = r.refine(seed=0)
    >>> r.cost, r.blocks[:4]
    (1.0, [1, 1, 0, 0])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from welinq_core.partitioning.hypergraph import PacketHypergraph

__all__ = ["Refiner"]


class Refiner:
    """Mutable refinement state over a :class:`PacketHypergraph`.

    Args:
        hg: The hypergraph.
        dist: ``dist[s][t]``: cost of one copy from block ``s`` to block ``t``.
        capacities: Data qubits each block holds.
        blocks: Initial block of each qubit vertex (length ``hg.num_qubits``) or of
            every vertex; gate vertices default to their first qubit's block.
    """

    def __init__(self, hg: PacketHypergraph, dist: Sequence[Sequence[float]], *,
                 capacities: Sequence[int], blocks: Sequence[int]) -> None:
        self.hg = hg
        self.k = len(capacities)
        self.dist = [list(row) for row in dist]
        self.cap = list(capacities)
        n = hg.num_qubits
        self.blocks = list(blocks[:n])
        if len(blocks) >= hg.num_vertices:
            self.blocks += list(blocks[n:hg.num_vertices])
        else:
            self.blocks += [self.blocks[a] for a, _ in hg.gate_ends]
        self.inc = hg.incidence()
        self.gates_of: list[list[int]] = [[] for _ in range(n)]
        for g, (a, b) in enumerate(hg.gate_ends):
            self.gates_of[a].append(n + g)
            self.gates_of[b].append(n + g)
        self.load = [0] * self.k
        for q in range(n):
            self.load[self.blocks[q]] += 1
        self.cnt: list[dict[int, int]] = []
        for pins in hg.edges:
            c: dict[int, int] = {}
            for v in pins:
                c[self.blocks[v]] = c.get(self.blocks[v], 0) + 1
            self.cnt.append(c)
        self.edge_cost = [self._cost_of(e) for e in range(len(hg.edges))]
        self.cost = sum(self.edge_cost)

    def _cost_of(self, e: int) -> float:
        s = self.blocks[self.hg.edges[e][0]]
        row = self.dist[s]
        return sum(row[t] for t in self.cnt[e] if t != s)

    def total_cost(self) -> float:
        """Current hypergraph cost (recomputed from scratch)."""
        return sum(self._cost_of(e) for e in range(len(self.hg.edges)))

    def move(self, v: int, to: int) -> float:
        """Move vertex ``v`` to block ``to``; returns the cost change (negative = better)."""
        frm = self.blocks[v]
        if frm == to:
            return 0.0
        self.blocks[v] = to
        if v < self.hg.num_qubits:
            self.load[frm] -= 1
            self.load[to] += 1
        delta = 0.0
        for e in self.inc[v]:
            c = self.cnt[e]
            c[frm] -= 1
            if c[frm] == 0:
                del c[frm]
            c[to] = c.get(to, 0) + 1
            new = self._cost_of(e)
            delta += new - self.edge_cost[e]
            self.edge_cost[e] = new
        self.cost += delta
        return delta

    def _move_qubit(self, q: int, to: int) -> tuple[float, list[tuple[int, int]]]:
        """Move qubit ``q`` with its gate vertices that sat on its old block."""
        frm = self.blocks[q]
        undo = [(q, frm)]
        delta = self.move(q, to)
        for gv in self.gates_of[q]:
            if self.blocks[gv] == frm:
                undo.append((gv, frm))
                delta += self.move(gv, to)
        return delta, undo

    def _undo(self, undo: list[tuple[int, int]]) -> None:
        for v, b in reversed(undo):
            self.move(v, b)

    def settle_gates(self) -> float:
        """Put each gate vertex on the better of its two qubits' blocks."""
        n = self.hg.num_qubits
        total = 0.0
        for g, (a, b) in enumerate(self.hg.gate_ends):
            gv = n + g
            for target in {self.blocks[a], self.blocks[b]} - {self.blocks[gv]}:
                here = self.blocks[gv]
                d = self.move(gv, target)
                if d < -1e-12:
                    total += d
                else:
                    self.move(gv, here)
        return total

    def refine(self, *, seed: int | np.random.Generator | None = None, max_passes: int = 10,
               swaps: bool = True) -> int:
        """Greedy gain passes (moves, then swaps) until no pass improves; returns passes run."""
        rng = np.random.default_rng(seed)
        n = self.hg.num_qubits
        passes = 0
        self.settle_gates()
        for _ in range(max_passes):
            passes += 1
            before = self.cost
            for q in (int(x) for x in rng.permutation(n)):
                if not self.inc[q] and not self.gates_of[q]:
                    continue
                best, best_to = -1e-12, None
                for to in range(self.k):
                    if to == self.blocks[q] or self.load[to] >= self.cap[to]:
                        continue
                    d, undo = self._move_qubit(q, to)
                    self._undo(undo)
                    if d < best:
                        best, best_to = d, to
                if best_to is not None:
                    self._move_qubit(q, best_to)
            self.settle_gates()
            if swaps:
                self._swap_pass(rng)
                self.settle_gates()
            if self.cost > before - 1e-9:
                break
        return passes

    def _gain_table(self, qubits: list[int]) -> dict[tuple[int, int], float]:
        """Cost change of moving each qubit (with its gates) to each other block."""
        table: dict[tuple[int, int], float] = {}
        for q in qubits:
            for to in range(self.k):
                if to != self.blocks[q]:
                    d, undo = self._move_qubit(q, to)
                    self._undo(undo)
                    table[q, to] = d
        return table

    def _swap_pass(self, rng: np.random.Generator, partners: int = 4) -> None:
        """Swap qubits across blocks; partners are pre-screened by stale single-move gains."""
        n = self.hg.num_qubits
        live = [q for q in range(n) if self.inc[q] or self.gates_of[q]]
        table = self._gain_table(live)
        members: list[list[int]] = [[] for _ in range(self.k)]
        for q in live:
            members[self.blocks[q]].append(q)
        moved: set[int] = set()
        for q in (live[int(x)] for x in rng.permutation(len(live))):
            if q in moved:
                continue
            frm = self.blocks[q]
            options = sorted((table[q, to], to) for to in range(self.k) if to != frm)
            for d_alone, to in options[:2]:
                pool = sorted((table.get((r, frm), 0.0), r) for r in members[to] if r not in moved)
                if not pool or d_alone + pool[0][0] > 2.0 * max(self.dist[frm][to], 1e-9) + 1e-12:
                    continue
                d1, undo1 = self._move_qubit(q, to)
                best, partner = -1e-12, None
                for _, r in pool[:partners]:
                    d2, undo2 = self._move_qubit(r, frm)
                    self._undo(undo2)
                    if d1 + d2 < best:
                        best, partner = d1 + d2, r
                if partner is None:
                    self._undo(undo1)
                    continue
                self._move_qubit(partner, frm)
                moved.update((q, partner))
                members[frm].remove(q)
                members[to].append(q)
                members[to].remove(partner)
                members[frm].append(partner)
                break
