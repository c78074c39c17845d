"""Qubit reuse: simulate a circuit on as few qubits as its live ranges allow, exactly.

A qubit is *live* from its first operation to its last operation before a ``reset``
(or before the end of the circuit): after that, nothing reads it again, and the reset
(or the end) only traces it out. Each stretch of operations between resets is one
*live segment*. Two segments that do not overlap in time may share one simulator
qubit (a *slot*): the later one starts with a ``reset`` (kept, or inserted when it
started from the circuit's initial ``|0>``), which traces out what the earlier one
left there, exactly as the circuit's own reset or end would have. Colouring the
interval graph of the segments greedily by start time uses exactly as many slots as
segments are ever live at once, which is optimal for a fixed order of operations
(Golumbic, *Algorithmic Graph Theory and Perfect Graphs*, 2004, ch. 8; the same
count as register allocation on a straight-line program, Chaitin et al., Computer
Languages 6, 47 (1981)).

The order of operations can change that count: operations that act on disjoint
qubits and classical bits commute exactly (channels on different factors of the
state; a condition reads the bits its writer left), so any topological order of the
dependency graph (one wire per qubit and per classical bit) is the same channel.
:func:`narrow_order` picks one that runs every operation that starts no new segment
as early as possible, and starts a segment only when nothing else can run, so a Bell
pair is prepared just before its first use and a measured scratch qubit is freed as
soon as it is done. :func:`reuse_qubits` keeps that order only when it needs fewer
slots than the given one.

The distribution of every classical bit, hence of the kept bits, is unchanged;
``tests/core/test_qubit_reuse.py`` checks it with exact density matrices on random
circuits (measurements, resets, classical conditions, Pauli channels) and on
explicit-mode programs. Barriers are dropped (they do nothing to the state).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> c = Circuit(num_qubits=3, num_clbits=2, operations=(
    ...     Operation(name="h", qubits=(0,)),
    ...     Operation(name="measure", qubits=(0,), clbits=(0,)),   # qubit 0 is done here
    ...     Operation(name="x", qubits=(2,)),
    ...     Operation(name="cx", qubits=(2, 1)),
    ...     Operation(name="measure", qubits=(1,), clbits=(1,))))
    >>> r = reuse_qubits(c)
    >>> r.qubits_before, r.qubits_after, r.peak_live
    (3, 2, 2)
    >>> [(op.name, op.qubits) for op in r.circuit.operations]
    [('h', (0,)), ('measure', (0,)), ('reset', (0,)), ('x', (0,)), ('cx', (0, 1)), ('measure', (1,))]
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Sequence

from welinq_core.circuit import Circuit, Operation

__all__ = ["LiveSegment", "QubitReuse", "live_segments", "peak_live", "narrow_order", "reuse_qubits", "fewest_qubits"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class LiveSegment:
    """One live stretch of a qubit: operations ``start..end`` (indices into the circuit).

    Attributes:
        qubit: The circuit's qubit.
        start: Index of its first operation (a ``reset`` when ``starts_with_reset``).
        end: Index of its last operation before the next reset of the qubit or the end.
        starts_with_reset: Whether the segment begins with the qubit's own reset.
    """

    qubit: int
    start: int
    end: int
    starts_with_reset: bool

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"a live segment needs 0 <= start <= end, got start={self.start} end={self.end}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class QubitReuse:
    """The circuit on fewer simulator qubits, and the evidence.

    Attributes:
        circuit: The rewritten circuit: ``qubits_after`` qubits, the same classical bits,
            the same distribution of every classical bit.
        slots: ``(qubit, start, slot)`` per live segment: the segment of ``qubit`` whose first
            operation is ``order[start]`` runs on simulator qubit ``slot``.
        order: The order of the input's operations used (indices into the input; barriers and
            segments that are only resets are left out).
        qubits_before: The input's number of qubits.
        qubits_after: Simulator qubits used (the most segments live at once in ``order``).
        peak_live: Most segments live at once in the input's own order.
        reordered: Whether ``order`` differs from the input's order.
        resets_inserted: Resets added where a segment starting in ``|0>`` reuses a slot.
    """

    circuit: Circuit
    slots: tuple[tuple[int, int, int], ...]
    order: tuple[int, ...]
    qubits_before: int
    qubits_after: int
    peak_live: int
    reordered: bool
    resets_inserted: int

    def __post_init__(self) -> None:
        if self.qubits_after > max(self.qubits_before, 1) or self.circuit.num_qubits != self.qubits_after:
            raise ValueError(f"qubits_after={self.qubits_after} must be the circuit's qubit count "
                             f"({self.circuit.num_qubits}) and at most qubits_before={self.qubits_before}")

    def to_dict(self) -> dict[str, object]:
        """The evidence as plain numbers (for reports and metadata)."""
        return {"qubits_before": self.qubits_before, "qubits_after": self.qubits_after,
                "peak_live_in_given_order": self.peak_live, "reordered": self.reordered,
                "resets_inserted": self.resets_inserted}


def live_segments(operations: Sequence[Operation]) -> tuple[LiveSegment, ...]:
    """Every qubit's live segments in ``operations`` (barriers ignored), by start.

    A segment made of resets only does nothing the kept bits can see and is still listed
    (:func:`reuse_qubits` drops it).

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> ops = [Operation(name="h", qubits=(0,)), Operation(name="reset", qubits=(0,)),
        ...        Operation(name="x", qubits=(0,))]
        >>> [(s.start, s.end, s.starts_with_reset) for s in live_segments(ops)]
        [(0, 0, False), (1, 2, True)]
    """
    open_start: dict[int, tuple[int, bool]] = {}
    last: dict[int, int] = {}
    out: list[LiveSegment] = []
    for i, op in enumerate(operations):
        if op.name == "barrier":
            continue
        for q in op.qubits:
            if op.name == "reset" and q in open_start:
                s, r = open_start.pop(q)
                out.append(LiveSegment(qubit=q, start=s, end=last[q], starts_with_reset=r))
            if q not in open_start:
                open_start[q] = (i, op.name == "reset")
            last[q] = i
    out += [LiveSegment(qubit=q, start=s, end=last[q], starts_with_reset=r) for q, (s, r) in open_start.items()]
    return tuple(sorted(out, key=lambda s: (s.start, s.qubit)))


def peak_live(operations: Sequence[Operation]) -> int:
    """Most live segments at once in ``operations`` (as ordered), resets-only segments excluded.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> peak_live([Operation(name="h", qubits=(0,)), Operation(name="measure", qubits=(0,), clbits=(0,)),
        ...            Operation(name="h", qubits=(1,))])
        1
    """
    return _colour([s for s in live_segments(operations) if not _only_resets(operations, s)])[1]


def _only_resets(operations: Sequence[Operation], s: LiveSegment) -> bool:
    return s.starts_with_reset and s.start == s.end


def _colour(segments: Sequence[LiveSegment]) -> tuple[dict[tuple[int, int], int], int]:
    """Greedy interval colouring by start: ``{(qubit, start): slot}`` and the slot count."""
    busy: list[tuple[int, int]] = []  # (end, slot)
    free: list[int] = []
    slot_of: dict[tuple[int, int], int] = {}
    count = 0
    for s in sorted(segments, key=lambda s: (s.start, s.qubit)):
        while busy and busy[0][0] < s.start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            slot = heapq.heappop(free)
        else:
            slot, count = count, count + 1
        slot_of[(s.qubit, s.start)] = slot
        heapq.heappush(busy, (s.end, slot))
    return slot_of, count


def narrow_order(operations: Sequence[Operation], *, keep_order: Callable[[Operation], bool] | None = None,
                 priority: str = "given") -> tuple[int, ...]:
    """An order of ``operations`` (indices) with the same channel and few live qubits at once.

    List scheduling on the dependency graph (an operation follows the previous one on each
    of its qubits, a condition follows the last write of its bits, a measurement follows
    the last write and the reads since of its bits): every ready operation that starts no
    live segment runs at once, in the given order; when only segment-starting operations
    are ready, the earliest given one runs (``priority="given"``), or the one whose segment
    first meets an already live qubit earliest (``priority="contact"``: a Bell pair is
    prepared when the protocol first touches it, not where it was written). Operations for which ``keep_order`` is true
    keep their relative order (e.g. numbered placeholders). Barriers are left out.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> ops = [Operation(name="h", qubits=(0,)), Operation(name="reset", qubits=(1,)),
        ...        Operation(name="x", qubits=(1,)), Operation(name="measure", qubits=(0,), clbits=(0,)),
        ...        Operation(name="measure", qubits=(1,), clbits=(1,))]
        >>> narrow_order(ops)  # the measurement frees qubit 0 before qubit 1 starts
        (0, 3, 1, 2, 4)
    """
    if priority not in ("given", "contact"):
        raise ValueError(f"priority={priority!r} is unknown; choose 'given' or 'contact'")
    idx = [i for i, op in enumerate(operations) if op.name != "barrier"]
    preds: dict[int, set[int]] = {i: set() for i in idx}
    last_on: dict[int, int] = {}
    last_write: dict[int, int] = {}
    reads_since: dict[int, list[int]] = {}
    last_fixed: int | None = None
    opens: dict[int, int] = {i: 0 for i in idx}
    urgency: dict[int, int] = {}
    segments = live_segments(operations)
    for s in segments:
        opens[s.start] += 1
        contact = _first_contact(operations, s, segments) if priority == "contact" else s.start
        urgency[s.start] = min(urgency.get(s.start, len(operations)), contact)
    for i in idx:
        op = operations[i]
        p = preds[i]
        for q in op.qubits:
            if q in last_on:
                p.add(last_on[q])
            last_on[q] = i
        if op.condition is not None:
            for c in op.condition.clbits:
                if c in last_write:
                    p.add(last_write[c])
                reads_since.setdefault(c, []).append(i)
        for c in op.clbits:
            if c in last_write:
                p.add(last_write[c])
            p.update(reads_since.pop(c, ()))
            last_write[c] = i
        if keep_order is not None and keep_order(op):
            if last_fixed is not None:
                p.add(last_fixed)
            last_fixed = i
        p.discard(i)
    succs: dict[int, list[int]] = {i: [] for i in idx}
    missing = {i: len(p) for i, p in preds.items()}
    for i, p in preds.items():
        for j in p:
            succs[j].append(i)
    ready_free: list[int] = []  # heap of indices
    ready_open: list[tuple[int, int]] = []  # (urgency, index)

    def push(i: int) -> None:
        if opens[i]:
            heapq.heappush(ready_open, (urgency[i], i))
        else:
            heapq.heappush(ready_free, i)

    for i in idx:
        if not missing[i]:
            push(i)
    order: list[int] = []
    while ready_free or ready_open:
        i = heapq.heappop(ready_free) if ready_free else heapq.heappop(ready_open)[1]
        order.append(i)
        for j in succs[i]:
            missing[j] -= 1
            if not missing[j]:
                push(j)
    if len(order) != len(idx):  # the graph is acyclic by construction
        raise AssertionError("narrow_order left operations unscheduled; please report this bug")
    return tuple(order)


def _first_contact(operations: Sequence[Operation], seg: LiveSegment, segments: Sequence[LiveSegment]) -> int:
    """Index of the first operation of ``seg`` that also acts on a qubit live since before
    ``seg`` started (its segment started earlier): when ``seg`` is first needed by the rest."""
    started = {s.qubit: s.start for s in segments if s.start < seg.start <= s.end}
    for k in range(seg.start, seg.end + 1):
        op = operations[k]
        if seg.qubit in op.qubits and any(q in started and started[q] <= k for q in op.qubits if q != seg.qubit):
            return k
    return seg.end


def reuse_qubits(circuit: Circuit, *, reorder: bool = True,
                 keep_order: Callable[[Operation], bool] | None = None) -> QubitReuse:
    """``circuit`` on the fewest simulator qubits its live segments need, same distribution.

    Args:
        circuit: Any circuit of the IR.
        reorder: Also try :func:`narrow_order` (both priorities) and keep the order that
            needs the fewest qubits.
        keep_order: Operations that must keep their relative order when reordering.

    Returns:
        A :class:`QubitReuse`; its ``circuit`` is ``circuit`` itself when nothing is saved
        (and no barrier or useless reset was there to drop).
    """
    ops = circuit.operations
    given = tuple(i for i, op in enumerate(ops) if op.name != "barrier")
    peak = peak_live(ops)
    order = given
    if reorder and peak > 1:
        best = peak
        for priority in ("given", "contact"):
            candidate = narrow_order(ops, keep_order=keep_order, priority=priority)
            width = peak_live([ops[i] for i in candidate])
            if candidate != given and width < best:
                order, best = candidate, width
    seq = [ops[i] for i in order]
    segments = [s for s in live_segments(seq) if not _only_resets(seq, s)]
    slot_of, count = _colour(segments)
    if count >= circuit.num_qubits and order == given and len(given) == len(ops) and len(segments) == len(
            live_segments(seq)):
        return QubitReuse(circuit=circuit, slots=tuple((s.qubit, s.start, s.qubit) for s in segments), order=order,
                          qubits_before=circuit.num_qubits, qubits_after=circuit.num_qubits, peak_live=peak,
                          reordered=False, resets_inserted=0)
    # Walk the chosen order: each qubit's current slot changes where its segments start.
    seg_at = {(s.qubit, s.start): s for s in segments}
    dropped = {(s.qubit, s.start) for s in live_segments(seq)} - set(seg_at)
    current: dict[int, int] = {}
    used: set[int] = set()
    out: list[Operation] = []
    inserted = 0
    for k, op in enumerate(seq):
        if op.name == "reset" and any((q, k) in dropped for q in op.qubits):
            keep = tuple(q for q in op.qubits if (q, k) not in dropped)
            for q in op.qubits:
                current.pop(q, None)
            if not keep:
                continue
            op = dataclasses.replace(op, qubits=keep)
        fresh_reset = []
        for q in op.qubits:
            s = seg_at.get((q, k))
            if s is not None:
                slot = slot_of[(q, k)]
                if slot in used and not s.starts_with_reset:
                    out.append(Operation(name="reset", qubits=(slot,)))
                    inserted += 1
                elif slot not in used and s.starts_with_reset:
                    fresh_reset.append(q)  # a reset of a never-used slot: it is already |0>
                used.add(slot)
                current[q] = slot
        if op.name == "reset" and fresh_reset:
            keep = tuple(q for q in op.qubits if q not in fresh_reset)
            if not keep:
                continue
            op = dataclasses.replace(op, qubits=keep)
        out.append(dataclasses.replace(op, qubits=tuple(current[q] for q in op.qubits)))
    slots = tuple(sorted((s.qubit, s.start, slot_of[(s.qubit, s.start)]) for s in segments))
    new = dataclasses.replace(circuit, num_qubits=count, operations=tuple(out))
    return QubitReuse(circuit=new, slots=slots, order=order, qubits_before=circuit.num_qubits,
                      qubits_after=count, peak_live=peak, reordered=order != given, resets_inserted=inserted)


def fewest_qubits(circuit: Circuit, *, keep_order: Callable[[Operation], bool] | None = None) -> Circuit:
    """The circuit an engine should sample: :func:`reuse_qubits`'s when ``circuit`` resets or
    measures mid-circuit (explicit mode), ``circuit`` itself otherwise (a circuit without
    either has every qubit live from its first operation to the end: nothing to share).

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> c = Circuit(num_qubits=2, num_clbits=2, operations=[
        ...     Operation(name="h", qubits=(0,)), Operation(name="measure", qubits=(0,), clbits=(0,)),
        ...     Operation(name="reset", qubits=(0,)),
        ...     Operation(name="h", qubits=(1,)), Operation(name="measure", qubits=(1,), clbits=(1,))])
        >>> fewest_qubits(c).num_qubits
        1
        >>> static = c.with_operations(c.operations[3:])
        >>> fewest_qubits(static) is static
        True
    """
    if any(op.name == "reset" for op in circuit.operations) or circuit.has_mid_circuit_measurement():
        return reuse_qubits(circuit, keep_order=keep_order).circuit
    return circuit
