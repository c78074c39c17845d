"""Noise events: the independent random draws of one shot, placed on the data-qubit circuit.

The effective rendering sees the explicit protocol as a list of *events*: each is
one independent random draw (a pair's Bell-diagonal error, a gate's depolarizing
error, a readout flip, an idle error) at a position of the *base* circuit (the
user's operations in step order). An outcome carries the data-qubit Paulis it
applies and the packets whose linked copy it flips; :func:`effective_events` lists
them for a program, and :mod:`welinq_core.noise.effective` renders them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from welinq_core.circuit import Condition, Operation
from welinq_core.cluster import QPU
from welinq_core.errors import OptionsError
from welinq_core.noise.channels import idle_pauli_probabilities, pauli_channel_op
from welinq_core.noise.pauli import PAULI_BITS, PAULIS
from welinq_core.noise.sources import NoiseSources

__all__ = ["NoiseEvent", "EffectiveEvents", "effective_events", "plain_channel"]

#: Render events that surely flip no copy straight to their channel (:func:`plain_channel`,
#: templates cached per noise table); False sends every event through the general
#: rendering (the tests check both give the same circuit).
PLAIN_FAST_PATH = True


@dataclasses.dataclass
class NoiseEvent:
    """One independent random draw, at ``pos`` (before base op ``pos``).

    ``outcomes``: (probability, data Paulis at pos, packets whose copy it flips
    explicitly). X-parts of the data Paulis additionally flip every packet of that
    qubit open at ``pos`` (``open_at``).

    ``plain``: the event surely flips no copy (no packet is open on its qubits and it
    flips none explicitly), so it is the Pauli channel ``channel`` at ``pos`` (None:
    the identity); its ``outcomes`` and ``open_at`` are then left empty. Most events of
    a big circuit (local gate, readout and idle noise away from packets) are plain.
    """

    pos: int
    outcomes: list[tuple[float, dict[int, str], frozenset[int]]]
    open_at: dict[int, tuple[int, ...]]
    kind: str
    condition: Condition | None = None
    plain: bool = False
    channel: Operation | None = None
    #: A drawn location (:mod:`welinq_core.noise.locations`): ``outcomes`` are its four
    #: Paulis in the order I, X, Y, Z (zero probabilities kept), rendered as a drawn event.
    location: tuple | None = None


@functools.lru_cache(maxsize=4096)
def _plain_template(terms: tuple[tuple[str, float], ...], ranks: tuple[int, ...],
                    condition: Condition | None) -> tuple[tuple[int, ...], Operation] | None:
    """The channel a plain event renders to, on qubits ``ranks`` (the rank of each of
    the event's qubits among them), with the ranks its support has, or None for the
    identity: the same computation as rendering the event's outcomes
    (``EffectiveRenderer.emit_channel``), done once per noise table and qubit order."""
    outcomes = [(p, {r: ch for r, ch in zip(ranks, lab) if ch != "I"}) for lab, p in terms if p > 0]
    support = sorted({r for _, d in outcomes for r in d})
    if not support:
        return None
    op = pauli_channel_op(support, [("".join(d.get(r, "I") for r in support), p) for p, d in outcomes], condition)
    return None if op is None else (op.qubits, op)


def plain_channel(qubits: Sequence[int], terms: Sequence[tuple[str, float]],
                  condition: Condition | None = None) -> Operation | None:
    """The Pauli channel of an event on ``qubits`` with ``terms`` that flips no copy
    (None: the identity); equal to what the general rendering produces for it.

    Examples:
        >>> plain_channel((5, 2), (("II", 0.9), ("XI", 0.1))).qubits
        (5,)
        >>> plain_channel((5, 2), (("II", 0.9), ("XZ", 0.1))).pauli_terms
        (('II', 0.9), ('ZX', 0.1))
    """
    order = sorted(qubits)
    ranks = tuple(order.index(q) for q in qubits) if len(qubits) > 1 else (0,)
    found = _plain_template(tuple(terms), ranks, condition)
    if found is None:
        return None
    support, template = found
    return template.on_qubits([order[r] for r in support])


@dataclasses.dataclass(frozen=True, kw_only=True)
class EffectiveEvents:
    """The base circuit and its noise events.

    Attributes:
        base: The user's operations (local and remote gates) in step order.
        gate_pos: For each packet, the base positions of its remote gates.
        events: Every noise event, in program order.
        promoted: For each packet that ends by a teleport through its copy (the copy
            becomes the qubit): the base position of that teleport and the packets of
            the same qubit still open after it. A flip of such a copy becomes an ``X``
            on the qubit there, which flips those packets from there on.
    """

    base: list[Operation]
    gate_pos: dict[int, list[int]]
    events: list[NoiseEvent]
    promoted: dict[int, tuple[int, tuple[int, ...]]] = dataclasses.field(default_factory=dict)


def effective_events(src: NoiseSources) -> EffectiveEvents:
    """Every noise event of ``src.p`` for the effective rendering, in program order."""
    prog = src.p
    base: list[Operation] = []
    step_pos: list[int] = []
    for step in prog.steps:
        step_pos.append(len(base))
        if step.kind in ("local", "remote"):
            base.append(prog.circuit.operations[step.op])  # type: ignore[index]
    gate_pos: dict[int, list[int]] = {pk.index: [] for pk in prog.packets}
    for step, pos in zip(prog.steps, step_pos):
        if step.kind == "remote":
            gate_pos[step.packet].append(pos)  # type: ignore[index]
    events: list[NoiseEvent] = []
    open_of: dict[int, list[int]] = {}
    promoted: dict[int, tuple[int, tuple[int, ...]]] = {}
    in_window: dict[int, int] = {}  # control -> its open window packet

    def window_noise(what: str, packet: int) -> None:
        # Inside a restoring window the copy is the live qubit and the control only keeps the
        # branch: an error there is not a flip of later gates (their effect is not a Pauli
        # on the data qubits), so the data-qubit rendering cannot place it.
        raise OptionsError(
            f"{what} inside the restoring window of packet {packet} (qubit {prog.packets[packet].control}) "
            "has no exact effective rendering; use mode='explicit', or lower with windows=False"
        )

    def snapshot() -> dict[int, tuple[int, ...]]:
        return {q: tuple(v) for q, v in open_of.items() if v}

    def add(pos: int, qs: Sequence[int], terms: Sequence[tuple[str, float]] | None, kind: str,
            cond: Condition | None = None) -> None:
        if terms is None:
            return
        for q in qs:
            if q in in_window:
                window_noise(f"{kind} noise on qubit {q}", in_window[q])
        if PLAIN_FAST_PATH and not any(open_of.get(q) for q in qs):  # flips no copy: a plain channel
            events.append(NoiseEvent(pos=pos, outcomes=[], open_at={}, kind=kind, condition=cond, plain=True,
                                     channel=plain_channel(qs, terms, cond)))  # type: ignore[arg-type]
            return
        outcomes = []
        for lab, p in terms:
            if p <= 0:
                continue
            outcomes.append((p, {q: ch for q, ch in zip(qs, lab) if ch != "I"}, frozenset()))
        events.append(NoiseEvent(pos=pos, outcomes=outcomes, open_at=snapshot(), kind=kind, condition=cond))

    idles = src.step_idles()
    drawn_idle_at: dict[int, list[int]] = {}
    for s_, q_ in sorted(src.drawn_idles):
        drawn_idle_at.setdefault(s_, []).append(q_)

    def located(pos: int, location: tuple, probs: Sequence[float], effects: Sequence[tuple], kind: str) -> None:
        # a drawn location: its four Paulis as outcomes, in the order I, X, Y, Z
        events.append(NoiseEvent(pos=pos, kind=kind, open_at=snapshot(), location=location,
                                 outcomes=[(float(p), *e) for p, e in zip(probs, effects)]))

    def on_qubit(q: int) -> list[tuple]:
        return [({q: ch} if ch != "I" else {}, frozenset()) for ch in PAULIS]

    def idle_before(s: int, pos: int) -> None:
        kept = []
        for q, t in idles.get(s, ()):
            if q in in_window and src.idle_on and (s, q) in src.drawn_idles:
                window_noise(f"idle noise on qubit {q}", in_window[q])
            if (s, q) in src.drawn_idles:
                if src.idle_on:
                    located(pos, ("idle", s, q), idle_pauli_probabilities(src.qpu_of(q), float(t)), on_qubit(q),
                            "idle")
                kept.append(q)
            else:
                add(pos, (q,), src.idle_terms(src.qpu_of(q), t), "idle")
        for q in drawn_idle_at.get(s, ()):
            if q in in_window and src.idle_on:
                window_noise(f"idle noise on qubit {q}", in_window[q])
            if q not in kept and src.idle_on:  # no base wait there: the base channel is the identity
                located(pos, ("idle", s, q), (1.0, 0.0, 0.0, 0.0), on_qubit(q), "idle")

    def copy_idle_before(s: int, pos: int, packet: int, control: int) -> None:
        # a Pauli on the copy: X flips the packet's later gates, Z is Z on the control
        me = frozenset({packet})
        effect = {"I": ({}, frozenset()), "X": ({}, me), "Y": ({control: "Z"}, me), "Z": ({control: "Z"}, frozenset())}
        if in_window.get(control) == packet and prog.steps[s].kind == "remote" and (
                s in src.drawn_copies or src.copy_idle_terms(s, packet) is not None):
            window_noise("copy idle noise", packet)
        if s in src.drawn_copies:
            located(pos, ("copy", s), src.copy_idle_probabilities(s, packet), [effect[ch] for ch in PAULIS],
                    "copy_idle")
            return
        terms = src.copy_idle_terms(s, packet)
        if terms is None:
            return
        events.append(NoiseEvent(pos=pos, kind="copy_idle", open_at=snapshot(), outcomes=[
            (p, *effect[lab]) for lab, p in terms if p > 0]))

    for s, (step, pos) in enumerate(zip(prog.steps, step_pos)):
        if step.kind == "local":
            op = prog.circuit.operations[step.op]  # type: ignore[index]
            idle_before(s, pos)
            if op.name == "measure":
                for q in op.qubits:
                    add(pos, (q,), src.readout_terms(src.qpu_of(q)), "readout", op.condition)
            elif op.is_gate and op.name != "pauli_channel":
                add(pos + 1, op.qubits, src.gate_terms(src.qpu_of(op.qubits[0]), len(op.qubits)), "gate",
                    op.condition)
        elif step.kind == "open":
            pk = prog.packets[step.packet]  # type: ignore[index]
            source = src.cluster.qpu(pk.source)
            c = pk.control
            idle_before(s, pos)
            open_of.setdefault(c, []).append(pk.index)
            me = frozenset({pk.index})
            # The pair (after swapping): X -> flip, Z -> Z_c, Y -> both.
            effects = [({}, frozenset()), ({}, me), ({c: "Z"}, me), ({c: "Z"}, frozenset())]
            if pk.window == "x":
                # A copy made in the X basis: the window W runs after h, home h before the copy.
                # A flipped copy gives X W h X h = (X W X) . XZ, a phase Z_c gives W h Z h = W X:
                # X -> Y_c (its X part flips the packet), Z -> X_c (no flip), Y -> Z_c + flip.
                effects = [({}, frozenset()), ({c: "Y"}, frozenset()), ({c: "Z"}, me), ({c: "X"}, me)]
            pI, pX, pY, pZ = src.effective_pair(pk.index, src.drawn_pairs)
            events.append(NoiseEvent(pos=pos, kind="pair", open_at=snapshot(), outcomes=[
                (p, *e) for p, e in zip((pI, pX, pY, pZ), effects)]))
            for k in pk.bell_pairs:  # drawn pairs: Pauli channels on one qubit compose in any order
                if k in src.drawn_pairs:
                    located(pos, ("pair", k), src.states[k], effects, "pair")
            if pk.window and any(t is not None for t in (src.gate_terms(source, 2), src.readout_terms(source),
                                                         src.gate_terms(source, 1))):
                window_noise("cat-entangler noise", pk.index)
            if pk.window:
                in_window[c] = pk.index
            g2 = src.gate_terms(source, 2)
            if g2 is not None:  # cat-entangler cx(c, a): X-part on a flips the copy
                outs = []
                for lab, p in g2:
                    pc, pa = lab
                    d = {c: pc} if pc != "I" else {}
                    outs.append((p, d, me if PAULI_BITS[pa][0] else frozenset()))
                events.append(NoiseEvent(pos=pos, kind="protocol", open_at=snapshot(), outcomes=outs))
            ro = src.readout_terms(source)
            if ro is not None:
                events.append(NoiseEvent(pos=pos, kind="protocol", open_at=snapshot(), outcomes=[
                    (ro[0][1], {}, frozenset()), (ro[1][1], {}, me)]))
        elif step.kind == "remote":
            pk = prog.packets[step.packet]  # type: ignore[index]
            op = prog.circuit.operations[step.op]  # type: ignore[index]
            idle_before(s, pos)
            copy_idle_before(s, pos, pk.index, pk.control)
            if pk.window and src.gate_terms(src.cluster.qpu(pk.target), len(op.qubits)) is not None:
                window_noise("gate noise on the copy", pk.index)
            g2 = None if pk.window else src.gate_terms(src.cluster.qpu(pk.target), 2)
            if g2 is not None:  # on (copy, t): copy Z -> Z_c, copy X -> flip later gates
                cpos = op.qubits.index(pk.control)
                t = op.qubits[1 - cpos]
                outs = []
                for lab, p in g2:
                    pb, pt = lab[cpos], lab[1 - cpos]
                    d = {}
                    if PAULI_BITS[pb][1]:
                        d[pk.control] = "Z"
                    if pt != "I":
                        d[t] = pt
                    outs.append((p, d, frozenset({pk.index}) if PAULI_BITS[pb][0] else frozenset()))
                events.append(NoiseEvent(pos=pos + 1, kind="gate", open_at=snapshot(), outcomes=outs,
                                     condition=op.condition))
        elif step.kind == "close":
            pk = prog.packets[step.packet]  # type: ignore[index]
            c = pk.control
            in_window.pop(c, None)
            copy_idle_before(s, pos, pk.index, c)
            open_of[c].remove(pk.index)
            add(pos, (c,), _x_measurement_flip(src, src.cluster.qpu(pk.target)), "protocol")
            idle_before(s, pos)
        elif step.kind == "teleport" and prog.teleports[step.teleport].packet is not None:  # type: ignore[index]
            # Through the copy: X measurement of the qubit at the source, Z on the copy.
            tp = prog.teleports[step.teleport]  # type: ignore[index]
            c = tp.qubit
            copy_idle_before(s, pos, tp.packet, c)
            idle_before(s, pos)  # on the measured qubit: an X there is no error, a Z is Z on the copy
            open_of[c].remove(tp.packet)
            promoted[tp.packet] = (pos, tuple(open_of.get(c, ())))
            add(pos, (c,), _x_measurement_flip(src, src.cluster.qpu(tp.source)), "protocol")
            src.where[c] = tp.target
        elif step.kind == "teleport":  # identity on the data qubits + the pair's Pauli channel on q
            tp = prog.teleports[step.teleport]  # type: ignore[index]
            idle_before(s, pos)
            add(pos, (tp.qubit,), tuple(zip(PAULIS, src.teleport_channel(tp, src.drawn_pairs))), "pair")
            for k in tp.bell_pairs:  # a drawn pair's Pauli lands on the teleported qubit
                if k in src.drawn_pairs:
                    located(pos, ("pair", k), src.states[k], on_qubit(tp.qubit), "pair")
            src.where[tp.qubit] = tp.target

    return EffectiveEvents(base=base, gate_pos=gate_pos, events=events, promoted=promoted)


def _x_measurement_flip(src: NoiseSources, qpu: QPU) -> tuple[tuple[str, float], ...] | None:
    """``Z`` on the qubit that gets the correction of an X-basis measurement (``h``, then
    measure) on ``qpu``: its ``h``'s X or Y error (2/3 of p1) or a readout flip, not both."""
    if not src.local:
        return None
    a = 2 * qpu.single_qubit_gate_error / 3
    r = qpu.readout_error
    pz = a * (1 - r) + r * (1 - a)
    return (("I", 1 - pz), ("Z", pz)) if pz > 0 else None
