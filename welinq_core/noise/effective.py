r"""The effective rendering: every noise event mapped exactly onto the data qubits.

Data qubits only (docs/physics.md 2.7). An X-type error on a packet's *copy* (pair
X/Y, an X on the cat-entangler's ancilla, a readout flip, an X on the copy after
one of its gates, or an X on the control *while* a copy exists) makes every LATER
gate of the packet act with the control flipped, ``G -> X_c G X_c``. For a
Clifford gate ``X_c G X_c = G E`` with a Pauli ``E``; for ``cp``/``crz``/``rzz``...
it is not a Pauli. A Z-type error on the copy is exactly ``Z_c`` anywhere in the
packet's span. Each event is rendered where it happens, in the first form that
applies: ``plain`` (flips no copy: a Pauli channel), ``clifford`` (flips propagate
through Clifford operations: one correlated Pauli channel), ``conditional``
(shared randomness, ``purified`` on never-measured randomness qubits or
``measured`` with feed-forward) and, only with ``effective_rendering="static"``,
``approximate`` (flips dropped; flagged ``effective_exact: False``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.lowering import DistributedProgram
from welinq_core.noise.channels import pauli_channel_op
from welinq_core.noise.drawn import DrawnEvent, DrawnEvents
from welinq_core.noise.events import NoiseEvent, effective_events
from welinq_core.noise.pauli import PAULI_BITS, flip_pauli, pauli_product, propagate
from welinq_core.noise.program import NoisyProgram
from welinq_core.noise.sources import NoiseSources

__all__ = ["EffectiveRenderer", "render_effective", "PURIFY_MAX_EXTRA_QUBITS"]

#: ``exact`` purifies shared randomness (static circuit) when it needs at most this many
#: more qubits than the measured form. Measured (Aer 0.18, 2 cores, 10,000 shots, state
#: vector with shot branching, engine deferring what it can of the measured form): QFT-like
#: 12 qubits, purified with 2 randomness qubits 10.2 s vs measured with 1 10.0 s; every
#: extra qubit costs ~2x since each shot branch holds a state vector.
PURIFY_MAX_EXTRA_QUBITS = 0


def render_effective(src: NoiseSources) -> NoisyProgram:
    """The effective rendering of ``src.p`` (see the module docstring)."""
    prog = src.p
    n = prog.circuit.num_qubits
    found = effective_events(src)
    base, gate_pos, events = found.base, found.gate_pos, found.events
    renderer = EffectiveRenderer(prog, base, gate_pos, n, src.rendering, found.promoted)
    for ev in events:
        renderer.render(ev)
        src.count(ev.kind)
    circuit, extra = renderer.finish()
    return NoisyProgram(
        circuit=circuit,
        num_user_clbits=prog.circuit.num_clbits,
        num_data_qubits=n,
        mode="effective",
        summary=src.summary("effective", extra),
        drawn=renderer.drawn_events,
        location_events=dict(renderer.location_events) if src.drawn_pairs or src.drawn_idles or src.drawn_copies
        else None,
    )




class EffectiveRenderer:
    """Places events into the data-qubit circuit (see the module docstring)."""

    def __init__(self, prog: DistributedProgram, base: list[Operation], gate_pos: dict[int, list[int]],
                 n: int, rendering: str, promoted: Mapping[int, tuple[int, tuple[int, ...]]] | None = None) -> None:
        self.prog = prog
        self.base = base
        self.gate_pos = gate_pos
        self.promoted = dict(promoted or {})
        self.n = n
        self.rendering = rendering
        self.inserts: list[tuple[int, int, int, Operation]] = []  # (pos, priority, seq, op)
        self.seq = 0
        self.rand_qubits = 0
        self.scratch = 0
        self.forms: dict[str, int] = {"plain": 0, "clifford": 0, "conditional": 0, "approximate": 0}
        self.flip_cache: dict[tuple[int, int], dict[int, str] | None] = {}
        self.shared: list[tuple[NoiseEvent, list]] = []  # conditional events, placed in finish()
        self.randomness: str | None = None
        self.drawn: list[DrawnEvent] = []  # events drawn per shot (rendering "drawn")
        self.location_events: dict[tuple, int] = {}  # drawn location -> its index in self.drawn

    def put(self, pos: int, prio: int, op: Operation) -> None:
        self.inserts.append((pos, prio, self.seq, op))
        self.seq += 1

    def flips(self, ev: NoiseEvent, data: Mapping[int, str], explicit: frozenset[int]) -> set[int]:
        out = set(explicit) ^ set()
        for q, ch in data.items():
            if PAULI_BITS[ch][0]:
                for pk in ev.open_at.get(q, ()):
                    out ^= {pk}
        return out

    def expand(self, flipped: set[int], pos: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        """What flipping the copies ``flipped`` at ``pos`` does later: ``(var, packet, gate
        position)`` for every later gate of an affected packet, and ``(var, position, qubit)``
        for every ``X`` on a qubit whose flipped copy became the qubit (a teleport through
        the copy); that ``X`` flips the qubit's packets still open from there on. ``var`` is
        the flipped packet the effect comes from (the random variable it depends on)."""
        affected: list[tuple[int, int, int]] = []
        late: list[tuple[int, int, int]] = []
        work = [(pk, pk, pos) for pk in sorted(flipped)]
        while work:
            var, pk, start = work.pop()
            affected.extend((var, pk, g) for g in self.gate_pos[pk] if g >= start)
            found = self.promoted.get(pk)
            if found is not None and found[0] >= start:
                late.append((var, found[0], self.prog.packets[pk].control))
                work.extend((var, other, found[0]) for other in found[1])
        return affected, late

    def flip_e(self, pk_index: int, gpos: int) -> dict[int, str] | None:
        key = (pk_index, gpos)
        if key not in self.flip_cache:
            op = self.base[gpos]
            c = self.prog.packets[pk_index].control
            lab = flip_pauli(op.name, op.params, op.qubits.index(c))
            self.flip_cache[key] = None if lab is None else {q: ch for q, ch in zip(op.qubits, lab) if ch != "I"}
        return self.flip_cache[key]

    def render(self, ev: NoiseEvent) -> None:
        if ev.location is not None:  # a drawn location: one outcome per Pauli, always drawn
            resolved = []
            for p, data, explicit in ev.outcomes:
                resolved.append((p, data, *self.expand(self.flips(ev, data, explicit), ev.pos)))
            self.location_events[ev.location] = len(self.drawn)
            self.drawn.append(self.drawn_event(ev, resolved))
            self.forms["drawn"] = self.forms.get("drawn", 0) + 1
            return
        if ev.plain:
            if ev.channel is not None:
                self.put(ev.pos, 0, ev.channel)
            self.forms["plain"] += 1
            return
        resolved = []  # (prob, data, [(var, packet, gate position)], [(var, position, qubit)])
        for p, data, explicit in ev.outcomes:
            if p <= 0:
                continue
            resolved.append((p, data, *self.expand(self.flips(ev, data, explicit), ev.pos)))
        if not any(a or lt for _, _, a, lt in resolved):
            self.emit_channel(ev.pos, [(p, d) for p, d, _, _ in resolved], ev.condition)
            self.forms["plain"] += 1
            return
        for target in self.targets(ev, resolved):
            combined = []
            ok = True
            for p, data, affected, late in resolved:
                tot = propagate(self.base, data, ev.pos, target)
                if tot is None:
                    ok = False
                    break
                moves = [(self.flip_e(pk, g), g) for _, pk, g in affected] + [({q: "X"}, lp) for _, lp, q in late]
                for e, g in moves:
                    moved = None if e is None else propagate(self.base, e, g, target)
                    if moved is None:
                        ok = False
                        break
                    tot = pauli_product(tot, moved)
                if not ok:
                    break
                combined.append((p, tot))
            if ok:
                self.emit_channel(target, combined, ev.condition)
                self.forms["clifford"] += 1
                return
        if self.rendering == "static":
            self.emit_channel(ev.pos, [(p, d) for p, d, _, _ in resolved], ev.condition)
            self.forms["approximate"] += 1
            return
        if self.rendering == "drawn" and ev.condition is None:
            self.drawn.append(self.drawn_event(ev, resolved))
            self.forms["drawn"] = self.forms.get("drawn", 0) + 1
            return
        self.shared.append((ev, resolved))
        self.forms["conditional"] += 1

    def targets(self, ev: NoiseEvent, resolved: list) -> list[int]:
        last = max([g + 1 for _, _, a, _ in resolved for _, _, g in a]
                   + [lp for _, _, _, lt in resolved for _, lp, _ in lt])
        return [ev.pos] if last == ev.pos else [last, ev.pos]

    def emit_channel(self, pos: int, outcomes: Sequence[tuple[float, Mapping[int, str]]],
                     cond: Condition | None) -> None:
        support = sorted({q for _, d in outcomes for q in d})
        if not support:
            return
        terms = [("".join(d.get(q, "I") for q in support), p) for p, d in outcomes]
        ch = pauli_channel_op(support, terms, cond)
        if ch is not None:
            self.put(pos, 0, ch)

    def place_shared(self) -> None:
        """Render the shared-randomness events, purified or measured (module docstring)."""
        if not self.shared:
            return
        per_event = [sorted({v for _, _, a, lt in resolved for v, *_ in a + lt}) for _, resolved in self.shared]
        k_measured = max(len(pks) for pks in per_event)
        placed = [self.moved(ev, resolved) for ev, resolved in self.shared]
        # Live range of each packet's randomness: first event .. last gate of the packet.
        start: dict[int, int] = {}
        for (pos, _), packets in zip(placed, per_event):
            for pk in packets:
                start[pk] = min(start.get(pk, pos), pos)
        live = sorted((s, max(self.gate_pos[pk]) + 1, pk) for pk, s in start.items())
        acc: dict[int, int] = {}  # packet -> its randomness qubit
        free_at: list[int] = []  # per randomness qubit: position from which it may be reused
        resets: list[tuple[int, int]] = []
        for s, e, pk in live:
            reuse = [i for i, f in enumerate(free_at) if f <= s]
            if reuse:
                i = reuse[0]
                resets.append((s, self.n + i))
                free_at[i] = e
            else:
                i = len(free_at)
                free_at.append(e)
            acc[pk] = self.n + i
        form = self.rendering
        if form not in ("purified", "measured"):
            form = "purified" if len(free_at) <= k_measured + PURIFY_MAX_EXTRA_QUBITS else "measured"
        if any(late for _, resolved in self.shared for *_, late in resolved):
            # A flipped copy that became its qubit: its flip moves onto the qubit and its
            # other copies, which the one-qubit-per-packet purified form does not express.
            form = "measured"
        self.randomness = form
        if form == "measured":
            for ev, resolved in self.shared:
                self.conditional(ev, resolved)
            return
        for pos, r in resets:  # the previous packet's value is dead; before this packet's events
            self.put(pos, -1, Operation(name="reset", qubits=(r,)))
        for (ev, _), (pos, resolved), packets in zip(self.shared, placed, per_event):
            data_support = sorted({q for _, d, _, _ in resolved for q in d})
            terms = []
            for p, data, affected, _ in resolved:
                hit = {pk for _, pk, _ in affected}
                lab = "".join("X" if pk in hit else "I" for pk in packets)
                terms.append((lab + "".join(data.get(q, "I") for q in data_support), p))
            ch = pauli_channel_op([acc[pk] for pk in packets] + data_support, terms, ev.condition)
            if ch is not None:
                self.put(pos, -1, ch)
        for pk, r in acc.items():
            flip = Operation(name="cx", qubits=(r, self.prog.packets[pk].control))
            for g in self.gate_pos[pk]:
                if g >= start[pk]:
                    self.put(g, 1, flip)
                    self.put(g + 1, -2, flip)
        self.rand_qubits = len(free_at)

    def moved(self, ev: NoiseEvent, resolved: list) -> tuple[int, list]:
        """The event moved forward to its first affected gate when its data Paulis propagate
        there through Clifford operations (shortens the randomness qubit's live range)."""
        first = min([g for _, _, a, _ in resolved for _, _, g in a] + [lp for _, _, _, lt in resolved for _, lp, _ in lt])
        if ev.condition is not None or first <= ev.pos:
            return ev.pos, resolved
        out = []
        for p, data, affected, late in resolved:
            d = propagate(self.base, data, ev.pos, first)
            if d is None:
                return ev.pos, resolved
            out.append((p, d, affected, late))
        return first, out

    def conditional(self, ev: NoiseEvent, resolved: list) -> None:
        packets = sorted({v for _, _, a, lt in resolved for v, *_ in a + lt})  # the flipped copies
        k = len(packets)
        self.rand_qubits = max(self.rand_qubits, k)
        rq = [self.n + i for i in range(k)]
        data_support = sorted({q for _, d, _, _ in resolved for q in d})
        qubits = rq + data_support
        terms = []
        for p, data, affected, late in resolved:
            hit = {v for v, *_ in affected + late}
            lab = "".join("X" if pk in hit else "I" for pk in packets)
            lab += "".join(data.get(q, "I") for q in data_support)
            terms.append((lab, p))
        for r in rq:
            self.put(ev.pos, -1, Operation(name="reset", qubits=(r,)))
        ch = pauli_channel_op(qubits, terms, ev.condition)
        if ch is not None:
            self.put(ev.pos, -1, ch)
        bits = []
        for r in rq:
            bit = self.scratch
            self.scratch += 1
            bits.append(bit)
            self.put(ev.pos, -1, Operation(name="measure", qubits=(r,), clbits=(-1 - bit,)))
        for v, bit in zip(packets, bits):
            cond = Condition(clbits=(_PLACEHOLDER_BASE + bit,), value=1)
            affected, late = self.expand({v}, ev.pos)  # what a flip of v does, whatever flipped it
            for _, pk, g in affected:
                c = self.prog.packets[pk].control
                self.put(g, 1, Operation(name="x", qubits=(c,), condition=cond))
                self.put(g + 1, -2, Operation(name="x", qubits=(c,), condition=cond))
            for _, lp, q in late:
                self.put(lp, 0, Operation(name="x", qubits=(q,), condition=cond))

    def drawn_event(self, ev: NoiseEvent, resolved: list) -> DrawnEvent:
        """The event as fixed gates per outcome: its data Paulis where it happens, and
        ``x`` on the control around every later gate of each packet whose copy it flips."""
        probs, inserts = [], []
        for p, data, affected, late in resolved:
            ops: list[tuple[int, int, Operation]] = [
                (ev.pos, 0, Operation(name=ch.lower(), qubits=(q,))) for q, ch in sorted(data.items())]
            for _, pk, g in affected:
                flip = Operation(name="x", qubits=(self.prog.packets[pk].control,))
                ops.append((g, 1, flip))
                ops.append((g + 1, -2, flip))
            for _, lp, q in late:
                ops.append((lp, 0, Operation(name="x", qubits=(q,))))
            probs.append(p)
            inserts.append(tuple(ops))
        total = sum(probs)
        return DrawnEvent(probabilities=tuple(x / total for x in probs), inserts=tuple(inserts))

    def finish(self) -> tuple[Circuit, dict[str, Any]]:
        self.place_shared()
        m = self.prog.circuit.num_clbits
        nq = self.n + self.rand_qubits
        nc = m + self.scratch

        def fix(op: Operation) -> Operation:
            if op.name == "measure" and op.clbits and op.clbits[0] < 0:
                return dataclasses.replace(op, clbits=(m + (-1 - op.clbits[0]),))
            if op.condition is not None and op.condition.clbits[0] >= _PLACEHOLDER_BASE:
                return dataclasses.replace(
                    op, condition=Condition(clbits=(m + op.condition.clbits[0] - _PLACEHOLDER_BASE,), value=1)
                )
            return op

        ins = sorted(self.inserts, key=lambda t: (t[0], t[1], t[2]))
        out: list[Operation] = []
        k = 0
        for i in range(len(self.base) + 1):
            while k < len(ins) and ins[k][0] == i:
                out.append(fix(ins[k][3]))
                k += 1
            if i < len(self.base):
                out.append(self.base[i])
        if self.randomness == "purified":  # cx(r, c) cx(r, c) between consecutive gates of a packet
            kept: list[Operation] = []
            for op in out:
                if (kept and op.name == "cx" and op.qubits[0] >= self.n and op.condition is None
                        and kept[-1] == op):
                    kept.pop()
                else:
                    kept.append(op)
            out = kept
        circuit = Circuit(num_qubits=nq, num_clbits=nc, operations=(), name=f"{self.prog.circuit.name}-effective")
        circuit = _unchecked(circuit, out)
        exact = self.forms["approximate"] == 0
        self.drawn_events = None
        if self.drawn:
            self.drawn_events = DrawnEvents(
                base=tuple(self.base), inserts=tuple((a, b, c, fix(op)) for a, b, c, op in ins),
                num_qubits=nq, num_clbits=nc, name=circuit.name, events=tuple(self.drawn),
                purified=self.randomness == "purified", num_data_qubits=self.n,
            )
        return circuit, {
            "drawn_events": len(self.drawn),
            "renderings": dict(self.forms),
            "randomness_qubits": self.rand_qubits,
            "randomness": self.randomness,
            "effective_exact": exact,
        }


_PLACEHOLDER_BASE = 1 << 40


def _unchecked(circuit: Circuit, ops: list[Operation]) -> Circuit:
    return Circuit(num_qubits=circuit.num_qubits, num_clbits=circuit.num_clbits, operations=ops, name=circuit.name)

