"""The planner: one pass over the canonical circuit that forms packets, teleports and steps.

:func:`lower` runs it and assembles the :class:`~welinq_core.lowering.program.DistributedProgram`;
:func:`count_bell_pairs` runs it without building the program (the partitioner's cost).

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> c = Circuit(num_qubits=3, operations=[Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="cx", qubits=(0, 2))])
    >>> count_bell_pairs(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=2), ("qpu0", "qpu1", "qpu1"))
    (1, 2)
"""

from __future__ import annotations

import bisect
import math
import time
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence

import networkx as nx

from welinq_core import gates
from welinq_core.circuit import Circuit
from welinq_core.cluster import Cluster
from welinq_core.errors import (
    CommunicationQubitError,
    InsufficientQubitsError,
    NoRouteError,
    OptionsError,
)
from welinq_core.lowering.canonical import canonicalize
from welinq_core.lowering.packet_order import group_packets
from welinq_core.lowering.packets import cover_items, is_diagonal_1q, packet_index
from welinq_core.lowering.windows import MAX_SLICE_OPS, restoring
from welinq_core.lowering.program import (
    BellPairUse,
    DistributedProgram,
    Packet,
    Step,
    Teleport,
    data_slots,
)

__all__ = ["PROTOCOLS", "AUTO", "AUTO_SETS", "Planner", "plan_with", "check_protocols", "protocol_sets", "auto_plans", "route", "lower", "count_bell_pairs"]

_LOOKAHEAD = 64
_NEXT_USE_SCAN = 256  # segment gates the eviction rule scans for a copy's next use
_DENSITY_WINDOW = 12  # operations the "dense" choice looks ahead
_MOVE_HORIZON = 6  # two-qubit gates of a qubit the TeleData decision looks ahead (tuned on QV-16/32)
_WINDOW_TRIES = 6  # window ends tested (from the furthest back) when a window could start


class _WindowConflict(Exception):
    """A QPU needs a communication qubit that only open windows hold (a window cannot close early)."""

#: Remote-operation protocols the planner can use.
PROTOCOLS = ("telegate", "teledata")
#: The default choice: per circuit, the cheapest of the sets in :data:`AUTO_SETS`.
AUTO = "auto"
#: TeleGate alone, TeleGate with TeleData moves, and TeleData alone (every non-local gate made
#: local by moves: what dense random circuits such as Quantum Volume want; skipped when no QPU
#: has a free data slot to move into).
AUTO_SETS = (("telegate",), ("telegate", "teledata"), ("teledata",))


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



def check_protocols(protocols: Sequence[str] | str) -> tuple[str, ...]:
    """Validate a protocol choice; returns it as a tuple in canonical order.

    ``"auto"`` (or ``("auto",)``) is kept as ``("auto",)``: the cheapest of
    TeleGate alone, TeleGate with TeleData and TeleData alone, decided per circuit
    and placement.

    Examples:
        >>> check_protocols("teledata, telegate"), check_protocols("auto")
        (('telegate', 'teledata'), ('auto',))

    Raises:
        OptionsError: On an empty set or an unknown protocol.
    """
    if isinstance(protocols, str):
        protocols = tuple(p.strip() for p in protocols.split(",") if p.strip())
    try:
        given = tuple(protocols)
    except TypeError:
        given = (protocols,)  # type: ignore[assignment]
    if given == (AUTO,):
        return given
    unknown = [p for p in given if p not in PROTOCOLS]
    if unknown or not given:
        raise OptionsError(
            f"protocols={given!r} is invalid; give 'auto' or a non-empty subset of {PROTOCOLS} "
            "(e.g. 'telegate' or 'telegate,teledata')"
        )
    return tuple(p for p in PROTOCOLS if p in given)


def protocol_sets(protocols: Sequence[str] | str) -> list[tuple[str, ...]]:
    """The concrete protocol sets a choice stands for (``"auto"``: three, else one).

    Examples:
        >>> protocol_sets("auto")
        [('telegate',), ('telegate', 'teledata'), ('teledata',)]
    """
    chosen = check_protocols(protocols)
    return list(AUTO_SETS) if chosen == (AUTO,) else [chosen]


def _best_planner(circuit: Circuit, cluster: Cluster, assignment: Sequence[str],
                  protocols: Sequence[str] | str,
                  moves: Mapping[int, Sequence[tuple[int, str]]] | None = None,
                  relocate: bool = True, windows: bool = True) -> Planner:
    """Run the planner for each concrete set of ``protocols``; the one using fewest pairs."""
    best: Planner | None = None
    for _ps, planner in auto_plans(circuit, cluster, assignment, protocols, moves, bound=True, relocate=relocate,
                                   windows=windows):
        if best is None or len(planner.pairs) < len(best.pairs):
            best = planner
    return best  # type: ignore[return-value]


def auto_plans(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], protocols: Sequence[str] | str,
               moves: Mapping[int, Sequence[tuple[int, str]]] | None = None,
               bound: bool = False, relocate: bool = True,
               deadline: float | None = None, windows: bool = True) -> Iterator[tuple[tuple[str, ...], Planner]]:
    """``(protocol set, planner)`` for every concrete set ``protocols`` stands for (``circuit`` canonical).

    Under ``"auto"`` a set that cannot lower the circuit at all (TeleData alone with no free
    data slot to move into) is left out; an explicit choice raises instead. With ``bound``,
    a set is abandoned (and left out) as soon as it uses more pairs than the best set so far:
    only the plan with fewest pairs is wanted. The sets are planned as they are iterated
    (a caller that has what it needs stops there). ``relocate``, ``deadline``, ``windows``: see :func:`plan_with`.
    """
    sets = protocol_sets(protocols)
    best: int | None = None
    for ps in sets:
        try:
            planner = plan_with(circuit, cluster, assignment, ps, moves, limit=best if bound else None,
                                relocate=relocate, deadline=deadline, windows=windows)
        except InsufficientQubitsError:
            if len(sets) == 1 or "telegate" in ps:
                raise
            continue
        if planner.aborted:
            continue
        if best is None or len(planner.pairs) < best:
            best = len(planner.pairs)
        yield ps, planner


def plan_with(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], protocols: Sequence[str],
              moves: Mapping[int, Sequence[tuple[int, str]]] | None = None, limit: int | None = None,
              relocate: bool = True, deadline: float | None = None, windows: bool = True) -> Planner:
    """Plan with one concrete protocol set (``circuit`` already canonical).

    The copies are a minimum vertex cover, and a circuit usually has several; when
    communication qubits run out (copies are evicted and reopened), three other
    choices are planned too and the plan with fewest pairs is kept: gate by gate the
    copy with most uses in the next few operations (``"dense"``: a copy serving a burst
    of gates now, rather than one gate every so often for a long time), a cover of
    short-lived copies, and the minimum cover of the other orientation; and the first
    plan's copies on the circuit reordered so that each copy's gates run back to back
    (:func:`~welinq_core.lowering.packet_order.group_packets`: commuting gates only, the
    same unitary). Such a plan's ``circuit`` is that reordering (its ``canonical`` is
    the circuit given).

    With ``limit``, planning stops once more than ``limit`` pairs are used and the
    planner comes back with ``aborted`` set (its plan is incomplete and must not be used).

    ``relocate`` (default): a qubit not used yet (only one-qubit gates so far) may be
    placed on another QPU for no pair when a move would help (see :meth:`Planner.relocate`);
    such a plan is also planned without placements and the one with fewer pairs is kept.
    False keeps every qubit where ``assignment`` puts it until a teleport moves it.

    ``deadline``: a ``time.perf_counter()`` value; a plan still running then is abandoned
    (``aborted``, like a plan past ``limit``); the best finished one is kept.

    ``windows`` (default): with TeleGate alone, a packet may carry a *restoring window*
    of its root (see :mod:`~welinq_core.lowering.windows` and :meth:`Planner.try_window`);
    such a plan is also planned without windows and the one with fewer pairs is kept.
    """
    planner = _plan_once(circuit, cluster, assignment, protocols, moves, limit=limit, relocate=relocate,
                         deadline=deadline, windows=windows)
    if planner.relocations and not planner.aborted:
        # Placing unused qubits is decided greedily, gate by gate; planning without it
        # too keeps a plan never worse than one that counts every qubit from the start.
        fixed = _plan_once(circuit, cluster, assignment, protocols, moves, limit=len(planner.pairs) - 1,
                           relocate=False, deadline=deadline, windows=windows)
        if not fixed.aborted and len(fixed.pairs) < len(planner.pairs):
            planner = fixed
    if planner.teledata and planner.telegate and not planner.aborted:
        # Copies that can later become their qubit (a teleport through the copy, no pair):
        # a cover that prefers them.
        other = Planner(circuit, cluster, assignment, protocols, moves, cover="promote", limit=len(planner.pairs), relocate=relocate,
                        deadline=deadline, windows=windows)
        if other.cover != planner.cover:  # else the same plan
            other.plan()
            if not other.aborted and len(other.pairs) < len(planner.pairs):
                planner = other
    first = planner
    if planner.evictions and not planner.aborted:
        for kind in ("dense", "short-lived", "min-flipped"):
            other = _plan_once(circuit, cluster, assignment, protocols, moves, cover=kind, limit=len(planner.pairs),
                               relocate=relocate, deadline=deadline, windows=windows)
            if not other.aborted and len(other.pairs) < len(planner.pairs):
                planner = other
            if not planner.evictions:
                break
    if first.evictions and not planner.aborted and not moves and first.cover:
        # Gates that commute may run in another order: with each packet's gates made
        # contiguous (first's copies), fewer copies are open at a time.
        grouped = group_packets(circuit, assignment, first.cover)
        if grouped.circuit is not circuit:  # else the same plan
            other = Planner(grouped.circuit, cluster, assignment, protocols, cover=grouped.cover,
                            limit=len(planner.pairs) - 1, relocate=first.relocate_unused, deadline=deadline,
                            windows=False)
            other.canonical = circuit
            other.plan()
            if not other.aborted and len(other.pairs) < len(planner.pairs):
                planner = other
    if planner.windows_used and not planner.aborted:
        # Windows are opened greedily, gate by gate: the plan without them is kept when it
        # is no worse, so windows never cost pairs.
        plain = plan_with(circuit, cluster, assignment, protocols, moves, limit=len(planner.pairs),
                          relocate=relocate, deadline=deadline, windows=False)
        if not plain.aborted and len(plain.pairs) <= len(planner.pairs):
            planner = plain
    return planner


def _plan_once(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], protocols: Sequence[str],
               moves: Mapping[int, Sequence[tuple[int, str]]] | None = None, *, windows: bool = True,
               **kwargs: object) -> Planner:
    """One :class:`Planner` run; a run whose windows ran out of communication qubits is
    planned again without windows."""
    planner = Planner(circuit, cluster, assignment, protocols, moves, windows=windows, **kwargs)  # type: ignore[arg-type]
    try:
        planner.plan()
    except _WindowConflict:
        planner = Planner(circuit, cluster, assignment, protocols, moves, windows=False, **kwargs)  # type: ignore[arg-type]
        planner.plan()
    return planner


class Planner:
    """Single pass over the canonical circuit that forms packets and steps."""

    def __init__(self, circuit: Circuit, cluster: Cluster, assignment: Sequence[str],
                 protocols: Sequence[str] = ("telegate",),
                 moves: Mapping[int, Sequence[tuple[int, str]]] | None = None,
                 cover: str | Collection[tuple[int, str]] = "min", limit: int | None = None,
                 relocate: bool = True, deadline: float | None = None, windows: bool = True) -> None:
        self.circuit = circuit
        self.canonical = circuit  # what the plan lowers: circuit is a reordering of it, or it
        self.assignment = tuple(assignment)
        self.limit = limit
        self.deadline = deadline
        self.aborted = False
        self.finished = False  # plan() ran to the end
        self.cover_kind = cover if isinstance(cover, str) else "given"
        self.evictions = 0
        self.now = 0
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
        slots = data_slots(cluster, assignment)
        self.slot_of = [slot for _, slot in slots]
        self.free_slots: dict[str, list[int]] = {
            # Only the lowest len(assignment) slots can ever be occupied: plan what the circuit uses.
            name: sorted(set(range(min(cap, len(self.where)))) - {s for (qpu, s) in slots if qpu == name},
                         reverse=True)
            for name, cap in self.capacity.items()
        }
        self.teleport_info: list[dict] = []
        # Unused qubits: a qubit that has met only unconditioned one-qubit gates is still in
        # a known product state and holds no data: its gates can run anywhere, later. The
        # planner may place it elsewhere for no pair (a relocation, see teleport()); its
        # one-qubit steps then move after that point. ``start``/``start_slot``: where each
        # qubit is when its first step runs (the program's assignment and data slots).
        self.relocate_unused = relocate
        self.unused = [relocate] * len(self.where)
        self.unused_steps: dict[int, list[int]] = {}
        self.start = list(self.where)
        self.start_slot = list(self.slot_of)
        self.relocations = 0
        self.open: dict[int, OrderedDict[str, int]] = {}  # control -> {target qpu: packet}
        self.hosted: dict[str, OrderedDict[int, None]] = {n: OrderedDict() for n in cluster.qpu_names}
        self.packet_info: list[dict] = []
        self.pairs: list[BellPairUse] = []
        self.steps: list[Step] = []
        index = packet_index(circuit)  # per circuit, shared by its plans (read-only)
        self.timeline: dict[int, list[int]] = index.timeline
        self.cursor: dict[int, int] = Counter()
        self.segs = index.segments
        names = list(reversed(cluster.qpu_names)) if cover == "min-flipped" else list(cluster.qpu_names)
        order = {name: k for k, name in enumerate(names)}
        self.cover = set(cover) if not isinstance(cover, str) else set() if cover == "dense" else cover_items(
            circuit, self.segs, self.where, order, short_lived=cover == "short-lived", promote=cover == "promote")
        # Two-qubit gates of each segment, in order: (op index, partner) for the next-use rule.
        self.seg_uses: dict[int, tuple[list[int], list[int]]] = index.seg_uses
        # Restoring windows (TeleGate alone: no qubit moves while a window is open).
        self.windows_on = windows and self.telegate and not self.teledata and not self.moves
        self.window_root: dict[int, tuple[int, int]] = {}  # root of an open window -> (packet, last op)
        self.windows_used = 0

    # -- packets -----------------------------------------------------------------------
    def close(self, packet: int) -> None:
        info = self.packet_info[packet]
        self.open[info["control"]].pop(info["target"])
        self.hosted[info["target"]].pop(packet)
        self.steps.append(Step(kind="close", packet=packet))

    def close_all(self, qubit: int) -> None:
        for packet in list(self.open.get(qubit, {}).values()):
            self.close(packet)

    def _next_use(self, packet: int) -> float:
        """Index of the next gate the packet's copy would serve (inf: none in its segment)."""
        info = self.packet_info[packet]
        control, target = info["control"], info["target"]
        tl = self.timeline[control]
        k = bisect.bisect_left(tl, self.now)
        if k >= len(tl):
            return math.inf
        nxt = tl[k]
        pos = self.circuit.operations[nxt].qubits.index(control)
        sid = self.segs[nxt][pos]
        if sid < 0:
            return math.inf
        idx, partners = self.seg_uses.get(sid, ((), ()))
        j = bisect.bisect_left(idx, self.now)
        for m in range(j, min(j + _NEXT_USE_SCAN, len(idx))):
            if self.where[partners[m]] == target:
                return float(idx[m])
        return math.inf if j + _NEXT_USE_SCAN >= len(idx) else float(idx[-1])

    def make_room(self, qpu: str, needed: int) -> None:
        if self.comm[qpu] < needed:
            raise CommunicationQubitError(
                f"QPU {qpu!r} has {self.comm[qpu]} communication qubit(s) but a remote gate needs "
                f"{needed} there (1 per Bell-pair end, 2 to swap for others); raise num_comm_qubits "
                "or add a direct link"
            )
        while len(self.hosted[qpu]) + needed > self.comm[qpu]:
            # Evict the copy needed furthest in the future (Belady); ties: least recently used.
            # An open window cannot close before its last gate.
            free = [p for p in self.hosted[qpu] if "window" not in self.packet_info[p]]
            if not free:
                raise _WindowConflict(qpu)
            victim = max(free, key=self._next_use)
            self.evictions += 1
            self.close(victim)

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

    def move_cost(self, qubit: int, target: str) -> int:
        """Pairs a move of ``qubit`` to ``target`` costs: none through an open linked copy
        there, none for a qubit not used yet (it is placed there instead)."""
        if self.unused[qubit] or target in self.open.get(qubit, {}):
            return 0
        return self.hops(self.where[qubit], target)

    def use(self, qubit: int) -> None:
        """``qubit``'s first operation that is not a plain one-qubit gate is about to run."""
        if self.unused[qubit]:
            self.unused[qubit] = False
            self.unused_steps.pop(qubit, None)

    def relocate(self, qubit: int, target: str) -> None:
        """Place a qubit not used yet on a free data slot of ``target`` (no pair, no step).

        It has met only one-qubit gates, which commute with everything on other qubits:
        its steps move here, after every step so far, so the qubit takes its slot only from
        now on (the slot may have been another qubit's until a step ago)."""
        source = self.where[qubit]
        slot = self.free_slots[target].pop()
        self.free_slots[source].append(self.slot_of[qubit])
        self.free_slots[source].sort(reverse=True)
        self.slot_of[qubit] = slot
        self.where[qubit] = target
        self.start[qubit], self.start_slot[qubit] = target, slot
        self.relocations += 1
        moved = []
        for k in self.unused_steps.get(qubit, ()):
            moved.append(len(self.steps))
            self.steps.append(self.steps[k])
            self.steps[k] = None  # type: ignore[call-overload]
        if moved:
            self.unused_steps[qubit] = moved

    def teleport(self, qubit: int, target: str, forced: bool = False) -> int:
        """Move ``qubit`` to a free data slot of ``target``.

        Through its open linked copy on ``target`` when it has one (no pair: the copy
        becomes the qubit, see :class:`~welinq_core.lowering.program.Teleport`), else
        TeleData with one pair per hop. The qubit's other open copies stay open. A qubit
        not used yet is relocated instead (:meth:`relocate`; returns -1) unless ``forced``.
        """
        source = self.where[qubit]
        if not self.free_slots[target]:
            raise InsufficientQubitsError(
                f"cannot teleport qubit {qubit} to QPU {target!r}: its {self.capacity[target]} data slots "
                "are all in use; move a qubit out first or raise data_qubits_per_qpu",
                required=self.capacity[target] + 1,
                available=self.capacity[target],
            )
        if self.unused[qubit] and not forced:
            self.relocate(qubit, target)
            return -1
        self.use(qubit)
        index = len(self.teleport_info)
        pair_ids = []
        via = self.open.get(qubit, {}).get(target)
        if via is not None:  # through the linked copy on target: it becomes the qubit
            path = self.route(source, target)  # what the correction bit travels (the qubit may have moved)
            self.open[qubit].pop(target)
            self.hosted[target].pop(via)
            self.packet_info[via]["promoted"] = index
        else:
            path = self.route(source, target)
            self.make_room(target, 1)
            self.make_room(source, 1)
            for inner in path[1:-1]:
                self.make_room(inner, 2)
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
            {"qubit": qubit, "source": source, "target": target, "route": path, "slot": slot, "pairs": pair_ids,
             "packet": via}
        )
        self.steps.append(Step(kind="teleport", teleport=index, packet=via))
        return index

    def consider_promote(self, op_index: int, a: int, b: int, diagonal_on: Sequence[int]) -> None:
        """Before a non-local gate that is not diagonal on ``x`` (``a`` or ``b``) while ``x``
        has a linked copy on its partner's QPU: move ``x`` there through that copy (no
        pair, the gate becomes local) when its next gates cost no more from there."""
        for pos, (x, y) in enumerate(((a, b), (b, a))):
            if pos in diagonal_on:
                continue
            src, dst = self.where[x], self.where[y]
            if src == dst or dst not in self.open.get(x, {}) or not self.free_slots[dst]:
                continue
            # Staying: the gate needs a copy of y on src (free if one is open and y's side is diagonal).
            now = 0 if ((1 - pos) in diagonal_on and src in self.open.get(y, {})) else self.hops(src, dst)
            stay = now + self.estimate(x, src, op_index + 1)
            if self.estimate(x, dst, op_index + 1) < stay:
                self.teleport(x, dst)
            return

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
                if not is_diagonal_1q(op):
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
                delta = self.move_cost(q, dst) + self.estimate(q, dst, op_index) - stay
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
                        d = self.move_cost(r, z) + self.estimate(r, z, op_index) - here
                        if best_r is None or d < best_r[0]:
                            best_r = (d, r, z)
                self.where[q] = src
                if best_r is None:
                    continue
                delta = self.move_cost(q, dst) + self.estimate(q, dst, op_index) - stay + best_r[0]
                plan = [(best_r[1], best_r[2]), (q, dst)]
            if best is None or delta < best[0]:
                best = (delta, plan)
        if best is None or (best[0] >= 0 and not force):
            return
        for qubit, target in best[1]:
            self.teleport(qubit, target)

    def density(self, qubit: int, target: str, op_index: int, pos: int) -> int:
        """Gates a copy of ``qubit`` on ``target`` would serve in the next few operations."""
        sid = self.segs[op_index][pos]
        idx, partners = self.seg_uses.get(sid, ((), ()))
        count = 0
        for m in range(bisect.bisect_left(idx, op_index), len(idx)):
            if idx[m] >= op_index + _DENSITY_WINDOW:
                break
            count += self.where[partners[m]] == target
        return count

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
                if not is_diagonal_1q(op):
                    break
            elif pos not in s.diagonal_on:
                break
            if len(op.qubits) == 2 and self.where[op.qubits[1 - pos]] == target:
                count += 1
        return count

    # -- restoring windows -------------------------------------------------------------
    def window_end(self, i: int, x: int, target: str) -> tuple[int, int, str] | None:
        """``(last op, two-qubit gates, basis)`` of the longest restoring window of ``x`` from gate ``i``
        towards ``target`` (None: none worth a copy).

        The window runs over ``x``'s operations from ``i`` while they are unconditioned gates
        whose partners all sit on ``target`` (so ``x`` idles at home and its copy is the live
        qubit), and ends at a two-qubit gate where the causal slice from ``i`` commutes with
        ``Z_x`` (:func:`~welinq_core.lowering.windows.restoring`; ``basis`` ``"x"``: once
        preceded by ``h`` on ``x``, the copy then made in the X basis). It must hold a gate that is
        not diagonal on ``x`` (else an ordinary packet serves it) and two two-qubit gates.
        """
        ops = self.circuit.operations
        tl = self.timeline[x]
        ends: list[tuple[int, int]] = []  # (op, two-qubit gates up to it)
        bent = -1  # first op not diagonal on x
        count = 0
        # A partner that is the root of an open window is live on its copy's QPU: the window
        # stops before it (windows nest otherwise: a ripple's inner carries open inside).
        busy = self.window_root
        for j in tl[self.cursor[x]:]:
            if j - i > MAX_SLICE_OPS:
                break
            op = ops[j]
            if not op.is_gate or op.condition is not None or op.name in ("barrier", "pauli_channel"):
                break
            if len(op.qubits) == 1:
                if bent < 0 and not is_diagonal_1q(op):
                    bent = j
                continue
            pos = op.qubits.index(x)
            y = op.qubits[1 - pos]
            if self.where[y] != target or y in busy:
                break
            if bent < 0 and pos not in gates.spec(op.name).diagonal_on:
                bent = j
            count += 1
            ends.append((j, count))
        tried = 0
        for j, n in reversed(ends):
            if n < 2 or bent < 0 or j < bent or tried >= _WINDOW_TRIES:
                break
            tried += 1
            for basis in ("z", "x"):
                if restoring(self.circuit, x, i, j, basis):
                    return j, n, basis
        return None

    def try_window(self, i: int, a: int, b: int, diagonal_on: Sequence[int]) -> bool:
        """Open a window packet at non-local gate ``i`` when one of its qubits has a restoring
        window towards the other's QPU (the one with more two-qubit gates); serves gate ``i``."""
        best: tuple[int, int, int, int, str] | None = None  # (gates, -pos, root, last, basis)
        for pos, (x, y) in enumerate(((a, b), (b, a))):
            target = self.where[y]
            if pos in diagonal_on and target in self.open.get(x, {}):
                continue  # an open copy serves this gate; a window may start at x's next bend
            found = self.window_end(i, x, target)
            if found is not None and (best is None or (found[1], -pos) > best[:2]):
                best = (found[1], -pos, x, found[0], found[2])
        if best is None:
            return False
        _, _, x, last, basis = best
        target = self.where[a if x == b else b]
        self.close_all(x)  # x's other copies end here: its copy on target becomes the live qubit
        packet = self.open_packet(x, target)
        self.packet_info[packet]["window"] = basis
        self.window_root[x] = (packet, last)
        self.windows_used += 1
        self.window_step(i, x)
        return True

    def window_step(self, i: int, x: int) -> None:
        """Operation ``i`` on the root ``x`` of an open window runs on its copy."""
        packet, last = self.window_root[x]
        op = self.circuit.operations[i]
        s = gates.spec(op.name)
        for pos, q in enumerate(op.qubits):
            if q != x:
                self.use(q)
                if pos not in s.diagonal_on:
                    self.close_all(q)
        self.packet_info[packet]["gates"].append(i)
        self.steps.append(Step(kind="remote", op=i, packet=packet))
        if i == last:
            del self.window_root[x]
            self.close(packet)

    # -- main loop ---------------------------------------------------------------------
    def plan(self) -> None:
        for i, op in enumerate(self.circuit.operations):
            if self.limit is not None and len(self.pairs) > self.limit:
                self.aborted = True  # already worse than a plan the caller has: stop here
                return
            if self.deadline is not None and not i & 1023 and time.perf_counter() > self.deadline:
                self.aborted = True  # out of time: the caller keeps a plan it has
                return
            self.now = i
            for q, target in self.moves.get(i, ()):
                if self.where[q] != target:
                    self.teleport(q, target, forced=True)
            for q in op.qubits:
                self.cursor[q] = self.timeline[q].index(i, self.cursor[q])
            if self.window_root:
                root = next((q for q in op.qubits if q in self.window_root), None)
                if root is not None:
                    self.window_step(i, root)
                    continue
            if op.name == "barrier":
                for q in op.qubits:
                    self.use(q)
                self.steps.append(Step(kind="local", op=i))
                continue
            if not op.is_gate or op.name == "pauli_channel":
                for q in op.qubits:
                    self.use(q)
                    self.close_all(q)
                self.steps.append(Step(kind="local", op=i))
                continue
            s = gates.spec(op.name)
            if len(op.qubits) == 1:
                q = op.qubits[0]
                if not is_diagonal_1q(op):
                    self.close_all(q)
                if self.unused[q] and op.condition is None:
                    self.unused_steps.setdefault(q, []).append(len(self.steps))
                else:
                    self.use(q)
                self.steps.append(Step(kind="local", op=i))
                continue
            a, b = op.qubits
            qa, qb = self.where[a], self.where[b]
            if qa != qb and self.teledata and self.telegate:
                self.consider_promote(i, a, b, s.diagonal_on)
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
            self.use(a)
            self.use(b)
            if qa != qb and self.windows_on and self.try_window(i, a, b, s.diagonal_on):
                continue
            if qa == qb:
                for pos, q in enumerate((a, b)):
                    if pos not in s.diagonal_on:
                        self.close_all(q)
                self.steps.append(Step(kind="local", op=i))
                continue
            sides = [(a, qb, 0), (b, qa, 1)]
            candidates = [(q, tgt, pos) for q, tgt, pos in sides if pos in s.diagonal_on]
            if len(candidates) == 2 and self.cover_kind != "dense":
                # Serve the gate from a copy in the minimum cover (see _cover_items).
                covered = [c for c in candidates if (self.segs[i][c[2]], c[1]) in self.cover]
                candidates = covered or candidates
            chosen = next(((q, tgt, pos) for q, tgt, pos in candidates if tgt in self.open.get(q, {})), None)
            if chosen is None and self.cover_kind == "dense" and len(candidates) == 2:
                chosen = max(candidates, key=lambda c: (self.density(c[0], c[1], i, c[2]), -c[2]))
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
        if self.relocations:
            self.steps = [st for st in self.steps if st is not None]
        self.finished = True



def lower(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], *,
          protocols: Sequence[str] | str = ("telegate",),
          moves: Mapping[int, Sequence[tuple[int, str]]] | None = None,
          plan: Planner | None = None, place_unused_qubits: bool = True,
          windows: bool = True) -> DistributedProgram:
    """Lower a circuit onto a cluster for a given qubit assignment.

    Args:
        circuit: The logical circuit (gates of at most two qubits).
        cluster: The cluster.
        assignment: Initial QPU name of each logical qubit (``Partition.assignment``).
        protocols: ``("telegate",)`` (default): linked copies only; ``"auto"``:
            the cheapest plan of the sets in :data:`AUTO_SETS` (TeleGate alone, with TeleData, TeleData alone)
            (what :func:`~welinq_core.partitioning.partition_circuit` chooses by default);
            with ``"teledata"`` the planner may also teleport a qubit's state to another
            QPU (one pair per hop) when its next gates are mostly with that QPU;
            ``("teledata",)`` alone makes every non-local gate local by moves.
            ``DistributedProgram.protocols`` records the set used.
        moves: Forced teleports, ``{op index: [(qubit, target QPU), ...]}``: run
            before that operation of the canonical circuit (a qubit already on the
            target stays). Mainly for tests; works with any ``protocols`` (with
            ``"auto"``, forced moves mean ``("telegate",)`` plus these moves).
        plan: The finished planner of this very lowering, when the caller has it
            (``PlanCost.plan`` of :func:`~welinq_core.partitioning.cost.plan_cost`): it
            is assembled instead of planned again. A plan of another circuit, cluster,
            assignment or protocol set (or with ``moves``) is ignored.
        place_unused_qubits: With moves allowed (``"teledata"`` or ``"auto"``), a qubit
            that has met only one-qubit gates may be placed on another QPU for no pair
            (default); ``DistributedProgram.assignment`` then says where each qubit starts.
            False keeps every qubit where ``assignment`` puts it until a teleport moves it
            (a placement the caller fixed on purpose).
        windows: With TeleGate alone, a packet may carry a *restoring window* of its root
            (every gate on it, not only diagonal ones, while the rest of the circuit restores
            it; see :mod:`~welinq_core.lowering.windows`) when that saves pairs (default);
            False plans ordinary packets only (``Packet.window`` is then never set).

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
    if moves and check_protocols(protocols) == (AUTO,):
        protocols = ("telegate",)  # forced moves replace the automatic choice
    if plan is not None and _plan_fits(plan, canonical, cluster, assignment, protocols, moves) \
            and plan.relocate_unused == place_unused_qubits and (windows or not plan.windows_used):
        planner = plan
    else:
        planner = _best_planner(canonical, cluster, assignment, protocols, moves, relocate=place_unused_qubits,
                                windows=windows)
    packets = tuple(
        Packet(
            index=k,
            control=info["control"],
            source=info["source"],
            target=info["target"],
            route=info["route"],
            gates=tuple(info["gates"]),
            bell_pairs=tuple(info["pairs"]),
            window=info.get("window", ""),
        )
        for k, info in enumerate(planner.packet_info)
    )
    return DistributedProgram(
        circuit=planner.circuit,  # canonical, or a reordering of it (commuting gates swapped)
        cluster=cluster,
        assignment=tuple(planner.start),
        data_slots=tuple(zip(planner.start, planner.start_slot)),
        steps=tuple(planner.steps),
        packets=packets,
        bell_pairs=tuple(planner.pairs),
        protocols=planner.protocols,
        teleports=tuple(
            Teleport(index=k, qubit=t["qubit"], source=t["source"], target=t["target"], route=t["route"],
                     slot=t["slot"], bell_pairs=tuple(t["pairs"]), packet=t["packet"])
            for k, t in enumerate(planner.teleport_info)
        ),
    )


def _plan_fits(plan: Planner, canonical: Circuit, cluster: Cluster, assignment: Sequence[str],
               protocols: Sequence[str] | str, moves: Mapping[int, Sequence[tuple[int, str]]] | None) -> bool:
    """Whether ``plan`` is a finished plan of exactly this lowering (else :func:`lower` plans anew)."""
    chosen = check_protocols(protocols)
    return (isinstance(plan, Planner) and plan.finished and not plan.aborted and not moves and not plan.moves
            and plan.assignment == tuple(assignment) and (chosen == (AUTO,) or plan.protocols == chosen)
            and (plan.cluster is cluster or plan.cluster == cluster)
            and (plan.canonical is canonical or plan.canonical == canonical))


def count_bell_pairs(circuit: Circuit, cluster: Cluster, assignment: Sequence[str], *,
                     protocols: Sequence[str] | str = ("telegate",),
                     place_unused_qubits: bool = True) -> tuple[int, int]:
    """``(Bell pairs, non-local gates)`` that :func:`lower` would use, without rendering.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> from welinq_core.cluster import Cluster
        >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
        >>> count_bell_pairs(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0", "qpu1"))
        (1, 1)
    """
    planner = _best_planner(canonicalize(circuit), cluster, assignment, protocols, relocate=place_unused_qubits)
    return len(planner.pairs), sum(len(p["gates"]) for p in planner.packet_info)
