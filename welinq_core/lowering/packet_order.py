r"""Packet order: reorder commuting gates so that each packet's gates run back to back.

A QPU holds a linked copy in one of its few communication qubits while the copy's
packet is open. The planner walks the circuit in the order it is given; when two
packets interleave (a QAOA cost layer touches every pair of qubits in some order)
more copies are open at once than a QPU has communication qubits, and a copy is
evicted and made again later for one more Bell pair. Gates that commute can run in
any order, though: :func:`group_packets` list-schedules the circuit's commutation
DAG so that each packet's gates are as contiguous as the DAG allows, and a plan of
the reordered circuit then keeps only a few copies open at a time.

Two operations commute here when every qubit they share is acted on diagonally by
both (both are then block diagonal in that qubit's computational basis): a ``cp``,
``cz`` or ``rzz`` on either qubit, the control of a ``cx``, a diagonal one-qubit
gate. Anything else is taken not to commute on the qubits it touches: measurements,
resets, barriers, noise channels, conditioned gates, non-diagonal gates; operations
that read or write a classical bit keep their order on that bit. Only commuting
neighbours swap places, so the reordered circuit is the same unitary (the same
channel, with measurements), exactly, not just up to a phase. The gates each qubit
meets keep their order up to swaps of gates diagonal on it, so every gate stays in
its packet segment (:func:`~welinq_core.lowering.packets.segments`) and a cover of
linked copies carries over (``PacketOrder.cover``).

The schedule (Wu et al., "AutoComm", MICRO 2022, aggregate a qubit's communication
by commuting gates into bursts; Mengoni et al., arXiv 2507.01090, reorder gates to
merge packets): local operations run as soon as they are ready; then a ready gate of
a packet already started (the earliest started first); else the packet with most
ready gates starts.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> zz = lambda a, b: Operation(name="rzz", qubits=(a, b), params=(0.5,))
    >>> c = Circuit(num_qubits=4, operations=[zz(0, 2), zz(1, 3), zz(0, 3), zz(1, 2)])
    >>> segs = [s for s in segments(c)]
    >>> cover = {(segs[0][0], "B"), (segs[1][0], "B")}  # qubits 0 and 1 root copies on B
    >>> out = group_packets(c, ("A", "A", "B", "B"), cover)
    >>> out.order, [op.qubits for op in out.circuit]
    ((0, 2, 1, 3), [(0, 2), (0, 3), (1, 3), (1, 2)])
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Collection, Sequence

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import CircuitError
from welinq_core.lowering.packets import is_diagonal_1q, packet_index, segments

__all__ = ["PacketOrder", "group_packets", "commutation_dag"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PacketOrder:
    """A reordering of a circuit and its evidence.

    Attributes:
        circuit: The reordered circuit (same unitary, same measurements); the very
            circuit given when no operation moved.
        order: ``order[k]`` is the index in the original circuit of the reordered
            circuit's ``k``-th operation (a permutation of ``range(len(circuit))``).
        cover: The given cover of linked copies, ``(segment, target QPU)``, in the
            reordered circuit's segment numbering.
        packets: Packets the schedule grouped (``(segment, target QPU)`` with a gate).
    """

    circuit: Circuit
    order: tuple[int, ...]
    cover: frozenset[tuple[int, str]]
    packets: int

    def __post_init__(self) -> None:
        if sorted(self.order) != list(range(len(self.circuit.operations))):
            raise CircuitError(
                f"order must be a permutation of range({len(self.circuit.operations)}), got {self.order!r}"
            )


def _diagonal_on(op: Operation, pos: int) -> bool:
    """Whether ``op`` acts diagonally on its ``pos``-th qubit (False for anything but a plain gate)."""
    if not op.is_gate or op.name == "pauli_channel" or op.condition is not None:
        return False
    if len(op.qubits) == 1:
        return is_diagonal_1q(op)
    return len(op.qubits) == 2 and pos in gates.spec(op.name).diagonal_on


def commutation_dag(circuit: Circuit) -> list[list[int]]:
    """Successors of each operation: the later operations it must stay before.

    The relation (its transitive closure) is exactly "shares a qubit on which not both
    act diagonally, or a classical bit" (see the module docstring); an operation on
    no qubit and no bit is a fence for everything. Edges: O(operations).

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1)),
        ...     Operation(name="t", qubits=(0,)), Operation(name="h", qubits=(0,))])
        >>> commutation_dag(c)
        [[2], [2], []]
    """
    ops = circuit.operations
    succ: list[list[int]] = [[] for _ in ops]
    last: dict[object, int] = {}  # wire -> last operation not diagonal on it
    run: dict[object, list[int]] = {}  # wire -> diagonal operations since then
    fence: int | None = None
    since_fence: list[int] = []
    for i, op in enumerate(ops):
        preds: set[int] = set()
        wires: list[tuple[object, bool]] = [(q, _diagonal_on(op, pos)) for pos, q in enumerate(op.qubits)]
        if op.clbits or op.condition is not None:
            bits = set(op.clbits) | (set(op.condition.clbits) if op.condition is not None else set())
            wires += [(("clbit", b), False) for b in sorted(bits)]
        if not wires:
            preds.update(since_fence)
            since_fence = []
            fence = i
        elif fence is not None:
            preds.add(fence)
        for wire, diagonal in wires:
            j = last.get(wire)
            if j is not None:
                preds.add(j)
            if diagonal:
                run.setdefault(wire, []).append(i)
            else:
                preds.update(run.pop(wire, ()))
                last[wire] = i
        since_fence.append(i)
        for j in preds:
            succ[j].append(i)
    return succ


def _roots(circuit: Circuit, segs: list[tuple[int, ...]], where: Sequence[str],
           cover: Collection[tuple[int, str]]) -> list[tuple[int, str] | None]:
    """The packet ``(segment, target QPU)`` of each non-local gate (None: local operation).

    A gate goes to its covered end; with both ends covered (or neither), to the end
    whose copy serves more gates; ties go to the first qubit, as the planner's do.
    """
    ops = circuit.operations
    key: list[tuple[int, str] | None] = [None] * len(ops)
    both: list[tuple[int, list[tuple[int, str]]]] = []
    size: dict[tuple[int, str], int] = {}
    for i, op in enumerate(ops):
        if len(op.qubits) != 2 or not op.is_gate or op.name == "pauli_channel":
            continue
        a, b = op.qubits
        if where[a] == where[b]:
            continue
        cands = [(segs[i][pos], where[op.qubits[1 - pos]]) for pos in (0, 1) if segs[i][pos] >= 0]
        if not cands:
            continue  # not distributable by a copy: stays where it is in the DAG, as a local op
        covered = [c for c in cands if c in cover] or cands
        if len(covered) == 1:
            key[i] = covered[0]
            size[covered[0]] = size.get(covered[0], 0) + 1
        else:
            both.append((i, covered))
    for i, covered in both:
        pick = max(covered, key=lambda c: (size.get(c, 0), -covered.index(c)))
        key[i] = pick
        size[pick] = size.get(pick, 0) + 1
    return key


def group_packets(circuit: Circuit, assignment: Sequence[str],
                  cover: Collection[tuple[int, str]]) -> PacketOrder:
    """Reorder ``circuit`` so that each packet's gates are as contiguous as commutation allows.

    Args:
        circuit: A canonical circuit (:func:`~welinq_core.lowering.canonical.canonicalize`).
        assignment: QPU of each qubit.
        cover: Linked copies ``(segment, target QPU)`` that root the non-local gates
            (segments of :func:`~welinq_core.lowering.packets.segments`, as the
            planner's ``cover``); a gate whose ends are both or neither covered goes to
            the copy serving more gates.

    Returns:
        The :class:`PacketOrder`: reordered circuit, permutation, translated cover.

    Raises:
        CircuitError: If ``assignment`` does not give one QPU per qubit.

    The schedule is a list schedule of :func:`commutation_dag`: ready local operations
    first (in their original order), then ready gates of packets already started (the
    earliest started first), else the packet with most ready gates starts (ties: the
    one whose first ready gate comes first). O(n log n).
    """
    if len(assignment) != circuit.num_qubits:
        raise CircuitError(
            f"assignment has {len(assignment)} entries for a circuit of {circuit.num_qubits} qubits; "
            "give one QPU per qubit"
        )
    ops = circuit.operations
    n = len(ops)
    segs = packet_index(circuit).segments  # cached: the planner has it, and plans the result next
    key = _roots(circuit, segs, assignment, cover)
    succ = commutation_dag(circuit)
    indeg = [0] * n
    for s in succ:
        for j in s:
            indeg[j] += 1
    remaining: dict[tuple[int, str], int] = {}
    for k in key:
        if k is not None:
            remaining[k] = remaining.get(k, 0) + 1
    ready: dict[tuple[int, str], list[int]] = {}
    started: dict[tuple[int, str], int] = {}  # packet -> start rank
    local: list[int] = []
    candidates: list[tuple[int, int, tuple[int, str]]] = []  # (-ready gates, first ready gate, packet)
    live: list[tuple[int, tuple[int, str]]] = []  # (start rank, packet) of started packets with ready gates

    def make_ready(i: int) -> None:
        p = key[i]
        if p is None:
            heapq.heappush(local, i)
            return
        heap = ready.setdefault(p, [])
        heapq.heappush(heap, i)
        if p in started:
            if len(heap) == 1:
                heapq.heappush(live, (started[p], p))
        else:
            heapq.heappush(candidates, (-len(heap), heap[0], p))

    for i in range(n):
        if indeg[i] == 0:
            make_ready(i)
    order: list[int] = []
    while len(order) < n:
        if local:
            i = heapq.heappop(local)
        else:
            while live and not ready[live[0][1]]:
                heapq.heappop(live)
            if live:
                p = live[0][1]
            else:
                while True:  # stale entries: the packet started or gained ready gates since
                    count, _, p = heapq.heappop(candidates)
                    if p not in started and -count == len(ready[p]):
                        break
                started[p] = len(started)
                heapq.heappush(live, (started[p], p))
            i = heapq.heappop(ready[p])
        order.append(i)
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                make_ready(j)
    same = all(k == i for k, i in enumerate(order))
    reordered = circuit if same else circuit.with_operations([ops[i] for i in order])
    new_segs = packet_index(reordered).segments
    rename: dict[int, int] = {}
    for k, i in enumerate(order):
        for old, new in zip(segs[i], new_segs[k]):
            if old >= 0:
                rename[old] = new
    return PacketOrder(
        circuit=reordered,
        order=tuple(order),
        cover=frozenset((rename[s], t) for s, t in cover if s in rename),
        packets=len(remaining),
    )
