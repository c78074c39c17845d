r"""Noise events drawn per shot: exact, without randomness qubits.

Some noise events of the effective rendering cannot be written as a Pauli channel
on the data qubits: an error that flips the linked copy of a packet of
non-Clifford gates (``cp``, ``crz``, ``rzz``...) turns every later gate ``G`` of the
packet into ``X_c G X_c``, which is no Pauli. Instead of carrying that shared
randomness on extra qubits, each such event is *drawn classically for every
shot*: a shot whose draw is outcome ``j`` runs the circuit with outcome ``j``
applied as fixed gates (its data Paulis, and ``x`` on the control around every
gate it flips). Shots that drew the same outcomes share one circuit (a *group*);
with good links almost every shot draws "no error" and the groups are few. All
other noise stays as Pauli channels that the simulator samples.

This is exact: the events are independent draws, so the distribution of a shot is
the average over outcomes, weighted by their probabilities, of the circuit with
those outcomes fixed -- which is exactly what drawing them and simulating does
(tests compare the weighted sum of exact density matrices over all outcome
combinations with the explicit protocol's to 1e-9).

Examples:
    >>> import numpy as np
    >>> from welinq_core.circuit import Operation
    >>> ev = DrawnEvent(probabilities=(0.9, 0.1),
    ...                 inserts=((), ((0, 0, Operation(name="x", qubits=(0,))),)))
    >>> d = DrawnEvents(base=(Operation(name="h", qubits=(0,)),), inserts=(), num_qubits=1,
    ...                 num_clbits=0, name="c", events=(ev,))
    >>> [op.name for op in d.circuit_for((1,))]
    ['x', 'h']
    >>> choices = d.draw(1000, np.random.default_rng(1))
    >>> sorted(group_shots(choices).items())[0][1].size > 850
    True
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np

from welinq_core.circuit import Circuit, Operation

__all__ = ["DrawnEvent", "DrawnEvents", "group_shots", "SLOT_MARKER"]

Insert = tuple[int, int, Operation]  # (position in the base circuit, priority, operation)

#: Third parameter of the placeholder ``u`` gates of :meth:`DrawnEvents.slot_template`.
SLOT_MARKER = -1.0e-300
_BITS = {"I": (0, 0), "X": (1, 0), "Y": (1, 1), "Z": (0, 1)}
_LABEL = {v: k for k, v in _BITS.items()}


@dataclasses.dataclass(frozen=True, kw_only=True)
class DrawnEvent:
    """One event drawn per shot.

    Attributes:
        probabilities: Probability of each outcome (summing to 1).
        inserts: For each outcome, the fixed operations it adds to the circuit.
    """

    probabilities: tuple[float, ...]
    inserts: tuple[tuple[Insert, ...], ...]

    def __post_init__(self) -> None:
        if len(self.probabilities) != len(self.inserts) or not self.probabilities:
            raise ValueError("DrawnEvent needs one insert list per outcome")
        if abs(sum(self.probabilities) - 1.0) > 1e-9 or min(self.probabilities) < 0:
            raise ValueError(f"DrawnEvent probabilities {self.probabilities} must be >= 0 and sum to 1")


@dataclasses.dataclass(frozen=True, kw_only=True)
class DrawnEvents:
    """The effective circuit without its drawn events, and the events.

    Attributes:
        base: The base operations (the user's, in step order).
        inserts: ``(position, priority, seq, op)`` of every operation the rendering
            placed (noise channels, shared-randomness gates), already final.
        num_qubits: Qubits of the rendered circuit.
        num_clbits: Classical bits of the rendered circuit.
        name: Circuit name.
        events: The drawn events.
        purified: Whether adjacent ``cx(r, c)`` pairs of the purified form cancel.
        num_data_qubits: Data qubits (randomness qubits come after them).
    """

    base: tuple[Operation, ...]
    inserts: tuple[tuple[int, int, int, Operation], ...]
    num_qubits: int
    num_clbits: int
    name: str
    events: tuple[DrawnEvent, ...]
    purified: bool = False
    num_data_qubits: int = 0

    def draw(self, shots: int, rng: np.random.Generator) -> np.ndarray:
        """Outcome index of every event for every shot, shape ``(shots, len(events))``."""
        out = np.zeros((shots, len(self.events)), dtype=np.int32)
        if not self.events:
            return out
        u = rng.random((shots, len(self.events)))
        for j, ev in enumerate(self.events):
            cum = np.cumsum(ev.probabilities)
            cum[-1] = 1.0 + 1e-12
            out[:, j] = np.searchsorted(cum, u[:, j], side="right")
        return out

    def circuit_for(self, choices: Sequence[int]) -> Circuit:
        """The circuit of the shots that drew outcome ``choices[j]`` of every event ``j``."""
        extra: list[tuple[int, int, int, Operation]] = []
        seq = 1 << 40
        for ev, j in zip(self.events, choices):
            for pos, prio, op in ev.inserts[int(j)]:
                extra.append((pos, prio, seq, op))
                seq += 1
        ins = sorted(list(self.inserts) + extra, key=lambda t: (t[0], t[1], t[2]))
        return assemble(self.base, ins, num_qubits=self.num_qubits, num_clbits=self.num_clbits, name=self.name,
                        purified=self.purified, num_data_qubits=self.num_data_qubits)

    def slots(self) -> tuple[tuple[int, int, int], ...]:
        """Every place an outcome may put a Pauli: ``(position, priority, qubit)``, sorted."""
        return self._slot_index[0]

    @functools.cached_property
    def _slot_index(self) -> tuple[tuple[tuple[int, int, int], ...], dict[tuple[int, int, int], int]]:
        slots = tuple(sorted({(pos, prio, op.qubits[0]) for ev in self.events for outcome in ev.inserts
                              for pos, prio, op in outcome}))
        return slots, {slot: k for k, slot in enumerate(slots)}

    def slot_template(self) -> Circuit:
        """The circuit with one placeholder ``u(0, 0, SLOT_MARKER)`` per template slot: with
        :meth:`slot_paulis` put in the placeholders (in circuit order) it is :meth:`circuit_for`
        of any choice (up to a global phase), so one parameterised circuit serves every group.

        Slots of one qubit that no operation separates share one placeholder (their
        Paulis multiply), so the template carries as few extra gates as possible.

        Examples:
            >>> from welinq_core.circuit import Operation
            >>> x = lambda pos, prio: (pos, prio, Operation(name="x", qubits=(0,)))
            >>> ev = DrawnEvent(probabilities=(0.9, 0.1), inserts=((), (x(1, 1), x(2, -2))))
            >>> d = DrawnEvents(base=(Operation(name="h", qubits=(0,)), Operation(name="t", qubits=(0,))),
            ...                 inserts=(), num_qubits=1, num_clbits=0, name="c", events=(ev,))
            >>> [op.name for op in d.slot_template()], d.slot_paulis((1,))
            (['h', 'u', 't', 'u'], ['X', 'X'])
        """
        return self._template[0]

    @functools.cached_property
    def _template(self) -> tuple[Circuit, tuple[int, ...]]:
        """The slot template and, for every slot of :meth:`slots`, its placeholder's index."""
        slots = self.slots()
        extra = [(pos, prio, (1 << 40) + k, Operation(name="u", qubits=(q,), params=(float(k), 0.0, SLOT_MARKER)))
                 for k, (pos, prio, q) in enumerate(slots)]
        ins = sorted(list(self.inserts) + extra, key=lambda t: (t[0], t[1], t[2]))
        full = assemble(self.base, ins, num_qubits=self.num_qubits, num_clbits=self.num_clbits, name=self.name,
                        purified=self.purified, num_data_qubits=self.num_data_qubits)
        placeholder = [0] * len(slots)
        last: dict[int, int] = {}  # qubit -> placeholder index when the last operation on it is one
        ops: list[Operation] = []
        count = 0
        for op in full.operations:
            if op.name == "u" and op.params[2] == SLOT_MARKER:
                q = op.qubits[0]
                if q in last:
                    placeholder[int(op.params[0])] = last[q]
                    continue
                placeholder[int(op.params[0])] = last[q] = count
                count += 1
                ops.append(Operation(name="u", qubits=(q,), params=(0.0, 0.0, SLOT_MARKER)))
                continue
            for q in op.qubits:
                last.pop(q, None)
            if op.condition is not None or op.name in ("barrier", "measure", "reset"):
                last.clear()  # keep placeholders apart from anything classical or structural
            ops.append(op)
        return full.with_operations(ops), tuple(placeholder)

    @property
    def num_placeholders(self) -> int:
        """How many placeholders :meth:`slot_template` has."""
        return max(self._template[1], default=-1) + 1

    def slot_paulis(self, choices: Sequence[int]) -> list[str]:
        """The Pauli (``"I"``, ``"X"``, ``"Y"``, ``"Z"``) of every placeholder of
        :meth:`slot_template` for ``choices``, in circuit order."""
        index = self._slot_index[1]
        placeholder = self._template[1]
        bits = [(0, 0)] * self.num_placeholders
        for ev, j in zip(self.events, choices):
            for pos, prio, op in ev.inserts[int(j)]:
                k = placeholder[index[(pos, prio, op.qubits[0])]]
                x, z = _BITS[op.name.upper()]
                bits[k] = (bits[k][0] ^ x, bits[k][1] ^ z)
        return [_LABEL[b] for b in bits]

    def num_combinations(self) -> int:
        """How many outcome combinations have a positive probability (without listing them)."""
        return math.prod(sum(1 for q in ev.probabilities if q > 0) for ev in self.events)

    def outcome_combinations(self) -> list[tuple[float, tuple[int, ...]]]:
        """Every combination of outcomes with its probability (for exact checks on small cases;
        check :meth:`num_combinations` first: it grows exponentially with the events)."""
        combos: list[tuple[float, tuple[int, ...]]] = [(1.0, ())]
        for ev in self.events:
            combos = [(p * q, c + (j,)) for p, c in combos for j, q in enumerate(ev.probabilities) if q > 0]
        return combos


def assemble(base: Sequence[Operation], inserts: Sequence[tuple[int, int, int, Operation]], *, num_qubits: int,
             num_clbits: int, name: str, purified: bool, num_data_qubits: int) -> Circuit:
    """Base operations with sorted ``inserts`` placed before base position ``pos``."""
    out: list[Operation] = []
    k = 0
    for i in range(len(base) + 1):
        while k < len(inserts) and inserts[k][0] == i:
            out.append(inserts[k][3])
            k += 1
        if i < len(base):
            out.append(base[i])
    if purified:  # cx(r, c) cx(r, c) between consecutive gates of a packet
        kept: list[Operation] = []
        for op in out:
            if (kept and op.name == "cx" and op.qubits[0] >= num_data_qubits and op.condition is None
                    and kept[-1] == op):
                kept.pop()
            else:
                kept.append(op)
        out = kept
    # x x on the same qubit (two flips around one gate) cancel.
    kept = []
    for op in out:
        if kept and op.name == "x" and op.condition is None and kept[-1] == op:
            kept.pop()
        else:
            kept.append(op)
    return Circuit(num_qubits=num_qubits, num_clbits=num_clbits, operations=kept, name=name)


def group_shots(choices: np.ndarray) -> dict[tuple[int, ...], np.ndarray]:
    """``{outcome choices: indices of the shots that drew them}``, largest group first."""
    if choices.shape[1] == 0:
        return {(): np.arange(choices.shape[0])}
    rows, inverse = np.unique(choices, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(rows) + 1))
    groups = {tuple(int(x) for x in rows[g]): order[bounds[g]:bounds[g + 1]] for g in range(len(rows))}
    return dict(sorted(groups.items(), key=lambda kv: -kv[1].size))

