"""The lowered program: protocol steps, packets, teleports, the Bell-pair ledger and its renderings.

:class:`DistributedProgram` is what :func:`welinq_core.lowering.lower` returns:
the evidence of a lowering (ordered steps, packets, teleports, one ledger entry per
Bell pair) and two renderings of it, the explicit one with communication qubits,
mid-circuit measurements and feed-forward, and the effective one on data qubits.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> from welinq_core.cluster import Cluster
    >>> from welinq_core.lowering import lower
    >>> c = Circuit(num_qubits=2, operations=[Operation(name="cz", qubits=(0, 1))])
    >>> prog = lower(c, Cluster.homogeneous(num_qpus=2, data_qubits_per_qpu=1), ("qpu0", "qpu1"))
    >>> [s.kind for s in prog.steps], prog.explicit_circuit().num_comm_qubits
    (['open', 'remote', 'close'], 2)
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.cluster import Cluster

__all__ = ["BellPairUse", "Packet", "Teleport", "Step", "ExplicitCircuit", "DistributedProgram", "data_slots"]


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
        window: ``""`` for an ordinary packet (gates diagonal on ``control``). ``"z"``:
            the packet carries a *restoring window* of ``control``
            (:mod:`~welinq_core.lowering.windows`): its gates are every operation on
            ``control`` from its first gate to its last (one-qubit gates and gates not
            diagonal on ``control`` included), run on the copy while ``control`` idles.
            ``"x"``: such a window whose copy is made in the X basis (``h`` on ``control``
            before the cat-entangler, ``h`` on the copy after it).
    """

    index: int
    control: int
    source: str
    target: str
    route: tuple[str, ...]
    gates: tuple[int, ...]
    bell_pairs: tuple[int, ...]
    window: str = ""

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
    The qubit's open linked copies stay valid (teleportation is the identity on
    the qubit, entanglement included), so its packets stay open.

    *Through a linked copy* (``packet`` set, no pair of its own): when the qubit
    already has a copy on ``target``, the qubit and its copies form a cat state
    ``sum_v a_v |v..v>``; measuring the qubit in the X basis (``h``, measure, bit
    ``m``) leaves ``sum_v (-1)^(m v) a_v |v..v>`` on the copies, and ``Z^m`` on the
    copy of ``packet`` makes that copy the qubit. The packet ends there (it has no
    close step); the qubit's other copies stay valid copies of it.

    Attributes:
        index: Teleport number, in program order.
        qubit: Logical qubit moved.
        source: QPU it leaves.
        target: QPU it arrives on.
        route: QPU names from ``source`` to ``target`` (for a teleport through a copy:
            the route its correction bit travels).
        slot: Data slot of ``target`` it occupies from then on.
        bell_pairs: Ledger indices of its Bell pairs, one per hop (empty through a copy).
        packet: The packet whose linked copy becomes the qubit (None: a teleport with
            its own pairs).
    """

    index: int
    qubit: int
    source: str
    target: str
    route: tuple[str, ...]
    slot: int
    bell_pairs: tuple[int, ...]
    packet: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Step:
    """One step of the distributed program.

    ``kind`` is ``"local"`` (operation ``op`` runs on one QPU), ``"open"`` (packet
    ``packet`` is entangled), ``"remote"`` (gate ``op`` runs through packet
    ``packet``), ``"close"`` (packet ``packet`` is disentangled) or ``"teleport"``
    (teleport ``teleport`` moves a qubit to another QPU; from that step on the
    qubit's QPU is the teleport's target). A teleport through a linked copy also
    names that copy's ``packet``, which it ends (see :class:`Teleport`).
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
        assignment: QPU of each logical qubit when its first step runs (teleports move
            qubits later; see :meth:`placement_at`). A qubit that meets only one-qubit gates
            before its first two-qubit gate may start elsewhere than the partition placed
            it: its gates run where it is first needed (see :meth:`slots_in_use`).
        data_slots: ``(qpu, slot)`` of each logical qubit when its first step runs.
        steps: Ordered protocol steps.
        packets: The packets, in opening order.
        bell_pairs: Ledger of every Bell pair consumed (packets' and teleports').
        teleports: The TeleData moves, in program order (empty with TeleGate only).
        protocols: The protocol set the planner used.
    """

    circuit: Circuit
    cluster: Cluster
    assignment: tuple[str, ...]
    data_slots: tuple[tuple[str, int], ...]
    steps: tuple[Step, ...]
    packets: tuple[Packet, ...]
    bell_pairs: tuple[BellPairUse, ...]
    teleports: tuple[Teleport, ...] = ()
    protocols: tuple[str, ...] = ("telegate",)

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

    def first_steps(self) -> tuple[int | None, ...]:
        """Index of the first step that acts on each logical qubit (None: no step does).

        A qubit takes its data slot at this step: before it the qubit has met nothing,
        not even its one-qubit gates, and needs no slot.
        """
        first: list[int | None] = [None] * self.circuit.num_qubits
        for s, step in enumerate(self.steps):
            if step.kind in ("local", "remote"):
                qubits = self.circuit.operations[step.op].qubits  # type: ignore[index]
            elif step.kind == "teleport":
                qubits = (self.teleports[step.teleport].qubit,)  # type: ignore[index]
            else:
                qubits = (self.packets[step.packet].control,)  # type: ignore[index]
            for q in qubits:
                if first[q] is None:
                    first[q] = s
        return tuple(first)

    def slots_in_use(self, step: int) -> dict[str, int]:
        """Data slots of each QPU in use right before ``steps[step]`` runs (``len(steps)``: at
        the end): the qubits that a step before has acted on, where they are then.

        Never more than the QPU's data qubits. A qubit first used late may take the slot
        that another qubit left by a teleport: :attr:`assignment` gives where each qubit is
        when it is first used, so two qubits may start on the same slot.
        """
        first = self.first_steps()
        where = self.placement_at(step)
        used = {name: 0 for name in self.cluster.qpu_names}
        for q, name in enumerate(where):
            if first[q] is not None and first[q] < step:  # type: ignore[operator]
                used[name] += 1
        return used

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
                if pk.window == "x":  # a copy in the X basis: h . h inserted before the window
                    ops.append(Operation(name="h", qubits=(pk.control,)))
                # Cat-entangler.
                ops.append(Operation(name="cx", qubits=(pk.control, first)))
                bit = measure(first)
                ops.append(Operation(name="x", qubits=(last,), condition=Condition(clbits=(bit,), value=1)))
                if pk.window == "x":
                    ops.append(Operation(name="h", qubits=(last,)))
                free.append(first)
                copy_qubit[pk.index] = last
            elif step.kind == "teleport" and self.teleports[step.teleport].packet is not None:  # type: ignore[index]
                tp = self.teleports[step.teleport]  # type: ignore[index]
                q = tp.qubit
                b = copy_qubit.pop(tp.packet)  # type: ignore[arg-type]
                # Through the linked copy: X-basis measurement of q, Z correction on the copy.
                ops.append(Operation(name="h", qubits=(q,)))
                bit = scratch(b)
                ops.append(Operation(name="measure", qubits=(q,), clbits=(bit,)))
                ops.append(Operation(name="z", qubits=(b,), condition=Condition(clbits=(bit,), value=1)))
                ops.append(Operation(name="swap", qubits=(b, q)))  # relabel, as for a teleport
                free.append(b)
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



def data_slots(cluster: Cluster, assignment: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Initial ``(qpu, slot)`` of each logical qubit: slots are filled in qubit order."""
    used: Counter[str] = Counter()
    slots = []
    for name in assignment:
        slots.append((name, used[name]))
        used[name] += 1
    return tuple(slots)

