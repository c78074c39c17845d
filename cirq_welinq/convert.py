"""Conversions between Cirq circuits and the welinq IR.

:func:`circuit_from_cirq` maps Cirq qubits (of any type) to integers in a
deterministic order (``cirq.QubitOrder.DEFAULT``, i.e. sorted, unless an order is
given), gates to the core's gate names (decomposing what the core does not know
into one- and two-qubit gates), measurements to classical bits, classical
controls to :class:`~welinq_core.circuit.Condition`, Pauli channels (such as
``cirq.depolarize``) to ``pauli_channel`` and every other channel with a Kraus
representation (``cirq.amplitude_damp``, ``cirq.phase_damp``,
``cirq.generalized_amplitude_damp``, ``cirq.KrausChannel``, ...) on at most
:data:`MAX_CHANNEL_QUBITS` qubits to ``kraus``. It returns the IR together with the
qubit list and the *measurement layout*: one :class:`MeasurementRecord` per
measurement, in circuit order, which says which classical bits hold which
instance of which measurement key.

:func:`circuit_to_cirq` goes back: an IR circuit (for instance the compiled,
distributed one) becomes a Cirq circuit that Cirq's simulators run, with the
user's measurement keys restored from the layout.

Global phases are dropped: every mapping is exact up to a global phase of the
whole operation (controlled gates are mapped as a unit, so relative phases are
kept).

Examples:
    >>> import cirq
    >>> a, b = cirq.LineQubit.range(2)
    >>> circuit = cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.measure(a, b, key="m"))
    >>> ir, qubits, layout = circuit_from_cirq(circuit)
    >>> [op.name for op in ir], qubits, layout[0].clbits
    (['h', 'cx', 'measure'], (cirq.LineQubit(0), cirq.LineQubit(1)), (0, 1))
    >>> print(circuit_to_cirq(ir, qubits, layout))
    0: ───H───@───M('m')───
              │   │
    1: ───────X───M────────
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import cirq
import numpy as np

from welinq_core import gates
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.errors import CircuitError, UnboundParameterError, UnsupportedGateError

__all__ = ["MAX_CHANNEL_QUBITS", "MeasurementRecord", "PauliChannel", "circuit_from_cirq", "circuit_to_cirq", "records_by_key"]

_PI = math.pi
_ATOL = 1e-9
_MAX_CONDITION_BITS = 10
#: Largest number of qubits a non-Pauli channel (``kraus`` operation) may act on.
MAX_CHANNEL_QUBITS = 3
_MAX_DEPTH = 32


@dataclasses.dataclass(frozen=True, kw_only=True)
class MeasurementRecord:
    """One measurement of the user's circuit: which classical bits hold which key instance.

    Attributes:
        key: The measurement key, as Cirq names it in results (``str(cirq.MeasurementKey)``).
        clbits: IR classical bits holding the *raw* outcomes, one per measured qubit,
            in the measurement's qubit order.
        invert_mask: Per bit, whether Cirq reports the inverted outcome.
        qubits: IR qubits measured.

    Examples:
        >>> MeasurementRecord(key="m", clbits=(0,), invert_mask=(False,), qubits=(0,)).key
        'm'
    """

    key: str
    clbits: tuple[int, ...]
    invert_mask: tuple[bool, ...]
    qubits: tuple[int, ...]


def records_by_key(layout: Iterable[MeasurementRecord]) -> dict[str, list[MeasurementRecord]]:
    """Group a measurement layout by key (instances in circuit order, keys by first use).

    Examples:
        >>> r = MeasurementRecord(key="m", clbits=(0,), invert_mask=(False,), qubits=(0,))
        >>> {k: len(v) for k, v in records_by_key([r, r]).items()}
        {'m': 2}
    """
    out: dict[str, list[MeasurementRecord]] = {}
    for rec in layout:
        out.setdefault(rec.key, []).append(rec)
    return out


# --------------------------------------------------------------------------------------
# Cirq -> IR
# --------------------------------------------------------------------------------------


def _near(x: float, target: float, period: float = 2.0) -> bool:
    d = (x - target) % period
    return min(d, period - d) < _ATOL


def _u_params(m: np.ndarray) -> tuple[float, float, float]:
    """(theta, phi, lam) with ``u(theta, phi, lam)`` equal to ``m`` up to a global phase."""
    m = np.asarray(m, dtype=complex)
    v = m / np.sqrt(np.linalg.det(m))
    theta = 2 * math.atan2(abs(v[1, 0]), abs(v[0, 0]))
    plus = 2 * np.angle(v[1, 1]) if abs(v[1, 1]) > _ATOL else 0.0
    minus = 2 * np.angle(v[1, 0]) if abs(v[1, 0]) > _ATOL else 0.0
    if abs(v[1, 1]) <= _ATOL:  # theta = pi: only phi - lam matters
        plus = 0.0
    return float(theta), float((plus + minus) / 2), float((plus - minus) / 2)


def _one_qubit(gate: cirq.Gate, q: int) -> list[Operation]:
    if isinstance(gate, cirq.XPowGate):
        e, shift = float(gate.exponent), float(gate.global_shift)
        if _near(e, 1):
            return [Operation(name="x", qubits=(q,))]
        if shift == 0 and _near(e, 0.5):
            return [Operation(name="sx", qubits=(q,))]
        if shift == 0 and _near(e, -0.5):
            return [Operation(name="sxdg", qubits=(q,))]
        return [Operation(name="rx", qubits=(q,), params=(_PI * e,))]
    if isinstance(gate, cirq.YPowGate):
        e = float(gate.exponent)
        if _near(e, 1):
            return [Operation(name="y", qubits=(q,))]
        return [Operation(name="ry", qubits=(q,), params=(_PI * e,))]
    if isinstance(gate, cirq.ZPowGate):
        e, shift = float(gate.exponent), float(gate.global_shift)
        for target, name in ((1, "z"), (0.5, "s"), (-0.5, "sdg"), (0.25, "t"), (-0.25, "tdg")):
            if _near(e, target):
                return [Operation(name=name, qubits=(q,))]
        name = "rz" if shift == -0.5 else "p"
        return [Operation(name=name, qubits=(q,), params=(_PI * e,))]
    if isinstance(gate, cirq.HPowGate) and _near(float(gate.exponent), 1):
        return [Operation(name="h", qubits=(q,))]
    if isinstance(gate, cirq.IdentityGate):
        return [Operation(name="id", qubits=(q,))]
    m = cirq.unitary(gate, None)
    if m is None:
        return []  # not a unitary: the caller tries other routes
    return [Operation(name="u", qubits=(q,), params=_u_params(np.asarray(m, dtype=complex)))]


def _controlled_one_qubit(sub: cirq.Gate, c: int, t: int) -> list[Operation] | None:
    """Controlled-``sub`` (control value 1), exactly, or None if not a known form."""
    qs = (c, t)
    if isinstance(sub, (cirq.XPowGate, cirq.YPowGate, cirq.ZPowGate)):
        e, shift = float(sub.exponent), float(sub.global_shift)
        letter = "x" if isinstance(sub, cirq.XPowGate) else "y" if isinstance(sub, cirq.YPowGate) else "z"
        if shift == 0 and _near(e, 1, 4):
            return [Operation(name="c" + letter, qubits=qs)]
        if letter == "z" and shift == 0:
            for target, name in ((0.5, "cs"), (-0.5, "csdg")):
                if _near(e, target, 4):
                    return [Operation(name=name, qubits=qs)]
            return [Operation(name="cp", qubits=qs, params=(_PI * e,))]
        if letter == "x" and shift == 0 and _near(e, 0.5, 4):
            return [Operation(name="csx", qubits=qs)]
        # P^e = exp(i pi (shift + 1/2) e) R_P(pi e): a rotation plus a phase on the control.
        out = [Operation(name="cr" + letter, qubits=qs, params=(_PI * e,))]
        phase = _PI * (shift + 0.5) * e
        if not _near(phase, 0, 2 * _PI):
            out.append(Operation(name="p", qubits=(c,), params=(phase,)))
        return out
    if isinstance(sub, cirq.HPowGate) and float(sub.global_shift) == 0 and _near(float(sub.exponent), 1):
        return [Operation(name="ch", qubits=qs)]
    return None


def _two_qubit(gate: cirq.Gate, a: int, b: int) -> list[Operation] | None:
    qs = (a, b)
    if isinstance(gate, cirq.CZPowGate):
        e = float(gate.exponent)
        for target, name in ((1, "cz"), (0.5, "cs"), (-0.5, "csdg")):
            if _near(e, target):
                return [Operation(name=name, qubits=qs)]
        return [Operation(name="cp", qubits=qs, params=(_PI * e,))]
    if isinstance(gate, cirq.CXPowGate):
        return _controlled_one_qubit(cirq.XPowGate(exponent=gate.exponent), a, b)
    if isinstance(gate, cirq.SwapPowGate) and _near(float(gate.exponent), 1):
        return [Operation(name="swap", qubits=qs)]
    if isinstance(gate, cirq.ZZPowGate):
        return [Operation(name="rzz", qubits=qs, params=(_PI * float(gate.exponent),))]
    if isinstance(gate, cirq.XXPowGate):
        h = [Operation(name="h", qubits=(q,)) for q in qs]
        return h + [Operation(name="rzz", qubits=qs, params=(_PI * float(gate.exponent),))] + h
    if isinstance(gate, cirq.YYPowGate):
        pre = [Operation(name=n, qubits=(q,)) for q in qs for n in ("sdg", "h")]
        post = [Operation(name=n, qubits=(q,)) for q in qs for n in ("h", "s")]
        return pre + [Operation(name="rzz", qubits=qs, params=(_PI * float(gate.exponent),))] + post
    if isinstance(gate, cirq.IdentityGate):
        return [Operation(name="id", qubits=(q,)) for q in qs]
    if (
        isinstance(gate, cirq.ControlledGate)
        and gate.num_controls() == 1
        and tuple(gate.control_values.expand()) == ((1,),)
        and cirq.num_qubits(gate.sub_gate) == 1
    ):
        return _controlled_one_qubit(gate.sub_gate, a, b)
    return None


def _pauli_channel(op: cirq.Operation, qs: tuple[int, ...]) -> list[Operation] | None:
    """A mixture of Pauli strings as ``pauli_channel``, or None if it is not one."""
    if not cirq.has_mixture(op) or len(qs) > 3:
        return None
    terms: dict[str, float] = {}
    for p, u in cirq.mixture(op):
        u = np.asarray(u, dtype=complex)
        for label in itertools.product("IXYZ", repeat=len(qs)):
            m = gates.pauli_matrix("".join(label))
            overlap = np.trace(m.conj().T @ u) / u.shape[0]
            if abs(abs(overlap) - 1) < 1e-8:
                key = "".join(label)
                terms[key] = terms.get(key, 0.0) + float(p)
                break
        else:
            return None
    if set(terms) <= {"I" * len(qs)}:
        return []
    total = sum(terms.values())
    return [
        Operation(
            name="pauli_channel",
            qubits=qs,
            pauli_terms=tuple((k, v / total) for k, v in terms.items()),
        )
    ]


def _kraus_channel(op: cirq.Operation, qs: tuple[int, ...]) -> list[Operation] | None:
    """Any other channel as a ``kraus`` operation, or None if it has no Kraus representation."""
    if not cirq.has_kraus(op):
        return None
    if len(qs) > MAX_CHANNEL_QUBITS:
        raise UnsupportedGateError(
            f"channel {op!r} acts on {len(qs)} qubits; welinq simulates channels on at most "
            f"{MAX_CHANNEL_QUBITS} qubits: apply it as a product of smaller channels"
        )
    matrices = [np.asarray(k, dtype=complex) for k in cirq.kraus(op)]
    return [Operation(name="kraus", qubits=qs, kraus=tuple(tuple(map(tuple, m)) for m in matrices))]


class _FromCirq:
    def __init__(self, qubits: Sequence[cirq.Qid]) -> None:
        self.index = {q: i for i, q in enumerate(qubits)}
        self.ops: list[Operation] = []
        self.layout: list[MeasurementRecord] = []
        self.num_clbits = 0
        # The raw-bit instances of each key so far (cirq.MeasurementKey -> records).
        self.instances: dict[cirq.MeasurementKey, list[MeasurementRecord]] = {}

    # ---- classical conditions -------------------------------------------------------------
    def _conditions(self, controls: Iterable[cirq.Condition]) -> list[Condition | None] | None:
        """The IR conditions equivalent to the AND of ``controls``: one per satisfying assignment.

        Returns None if no assignment satisfies them (the operation never runs) and
        ``[None]`` if every assignment does.
        """
        refs: list[tuple[cirq.Condition, cirq.MeasurementKey, MeasurementRecord]] = []
        for cond in controls:
            index = getattr(cond, "index", -1)
            for key in cond.keys:
                recs = self.instances.get(key)
                if not recs:
                    raise CircuitError(
                        f"classical control {cond} reads measurement key {str(key)!r} before any "
                        "measurement writes it; measure first"
                    )
                try:
                    refs.append((cond, key, recs[index]))
                except IndexError:
                    raise CircuitError(
                        f"classical control {cond} reads instance {index} of key {str(key)!r}, "
                        f"which has only {len(recs)} instance(s) at that point"
                    ) from None
        bits = sorted({c for _, _, rec in refs for c in rec.clbits})
        if len(bits) > _MAX_CONDITION_BITS:
            raise UnsupportedGateError(
                f"classical controls read {len(bits)} bits; at most {_MAX_CONDITION_BITS} are supported"
            )
        satisfying = []
        for values in itertools.product((0, 1), repeat=len(bits)):
            raw = dict(zip(bits, values))
            store = cirq.ClassicalDataDictionaryStore()
            for key, recs in self.instances.items():
                for rec in recs:
                    store.record_measurement(
                        key,
                        [raw.get(c, 0) ^ int(inv) for c, inv in zip(rec.clbits, rec.invert_mask)],
                        [cirq.LineQubit(q) for q in rec.qubits],
                    )
            if all(cond.resolve(store) for cond in {c for c, _, _ in refs}):
                satisfying.append(values)
        if not satisfying:
            return None
        if len(satisfying) == 2 ** len(bits):
            return [None]
        return [Condition(clbits=tuple(bits), value=sum(v << i for i, v in enumerate(vals))) for vals in satisfying]

    # ---- operations -----------------------------------------------------------------------
    def emit(self, ops: Iterable[Operation], conditions: Sequence[Condition | None]) -> None:
        for op in ops:
            for cond in conditions:
                if cond is not None and op.condition is not None:
                    raise UnsupportedGateError("nested classical controls are not supported")
                self.ops.append(op if cond is None else dataclasses.replace(op, condition=cond))

    def convert(
        self, op: cirq.Operation, conditions: Sequence[Condition | None] = (None,), depth: int = 0
    ) -> None:
        if depth > _MAX_DEPTH:
            raise UnsupportedGateError(f"operation {op!r} does not decompose into supported gates")
        if isinstance(op, cirq.TaggedOperation):
            op = op.untagged
        if isinstance(op, cirq.ClassicallyControlledOperation):
            if conditions != (None,):
                raise UnsupportedGateError(f"nested classical controls are not supported: {op!r}")
            conds = self._conditions(op.classical_controls)
            if conds is None:
                return
            inner = op.without_classical_controls()
            if cirq.is_measurement(inner) and conds != [None]:
                raise UnsupportedGateError(
                    f"classically controlled measurement {op!r} is not supported"
                )
            self.convert(inner, conds, depth + 1)
            return
        if isinstance(op, cirq.CircuitOperation):
            if op.repeat_until is not None:
                raise UnsupportedGateError(
                    "cirq.CircuitOperation with repeat_until is not supported (the number of "
                    "repetitions must be known when the circuit is compiled)"
                )
            for sub in op.mapped_circuit(deep=False).all_operations():
                self.convert(sub, conditions, depth + 1)
            return
        qs = tuple(self.index[q] for q in op.qubits)
        gate = op.gate
        if isinstance(gate, cirq.MeasurementGate):
            self._measure(op, gate, qs)
            return
        if isinstance(gate, cirq.ResetChannel):
            self.emit([Operation(name="reset", qubits=(q,)) for q in qs], conditions)
            return
        if isinstance(gate, cirq.GlobalPhaseGate) or (not qs and cirq.has_unitary(op)):
            return
        if gate is not None and not cirq.is_parameterized(op):
            direct: list[Operation] | None = None
            if len(qs) == 1 and cirq.has_unitary(gate):
                direct = _one_qubit(gate, qs[0])
            elif len(qs) == 2:
                direct = _two_qubit(gate, *qs)
            if direct:
                self.emit(direct, conditions)
                return
        if not cirq.has_unitary(op) and not cirq.is_parameterized(op):
            channel = _pauli_channel(op, qs)
            if channel is None:
                channel = _kraus_channel(op, qs)
            if channel is not None:
                self.emit(channel, conditions)
                return
        if cirq.is_parameterized(op):
            raise UnboundParameterError(
                f"operation {op!r} has unresolved symbol(s) {sorted(cirq.parameter_names(op))}"
            )
        if len(qs) == 1 and cirq.has_unitary(op):
            self.emit(_one_qubit(cirq.MatrixGate(cirq.unitary(op)), qs[0]), conditions)
            return
        decomposed = cirq.decompose_once(op, default=None)
        if decomposed is None and cirq.has_unitary(op) and len(qs) in (2, 3):
            u = cirq.unitary(op)
            if len(qs) == 2:
                decomposed = cirq.two_qubit_matrix_to_cz_operations(*op.qubits, u, allow_partial_czs=False)
            else:
                decomposed = cirq.three_qubit_matrix_to_operations(*op.qubits, u)
        if decomposed is None:
            what = "channel" if not cirq.has_unitary(op) else "gate"
            raise UnsupportedGateError(
                f"{what} {op!r} is not supported: welinq runs one- and two-qubit unitary gates "
                f"({', '.join(gates.supported_gates())}), measurements, resets, classical controls "
                f"and channels with a Kraus representation (cirq.kraus) on at most {MAX_CHANNEL_QUBITS} "
                "qubits; decompose it first"
            )
        for sub in decomposed:
            self.convert(sub, conditions, depth + 1)

    def _measure(self, op: cirq.Operation, gate: cirq.MeasurementGate, qs: tuple[int, ...]) -> None:
        if gate.confusion_map:
            raise UnsupportedGateError(
                f"measurement {op!r} has a confusion_map, which is not supported; "
                "model readout error in the cluster's QPUs (readout_error) instead"
            )
        key = gate.mkey
        clbits = tuple(range(self.num_clbits, self.num_clbits + len(qs)))
        self.num_clbits += len(qs)
        rec = MeasurementRecord(
            key=str(key),
            clbits=clbits,
            invert_mask=tuple(bool(b) for b in gate.full_invert_mask()),
            qubits=qs,
        )
        self.layout.append(rec)
        self.instances.setdefault(key, []).append(rec)
        self.ops.append(Operation(name="measure", qubits=qs, clbits=clbits))


def _check_qubits(qubits: Iterable[cirq.Qid]) -> None:
    for q in qubits:
        if q.dimension != 2:
            raise CircuitError(
                f"qudit {q!r} has dimension {q.dimension}; welinq simulates qubits only "
                "(dimension 2)"
            )


def circuit_from_cirq(
    circuit: cirq.AbstractCircuit, qubit_order: cirq.QubitOrderOrList | None = None
) -> tuple[Circuit, tuple[cirq.Qid, ...], tuple[MeasurementRecord, ...]]:
    """Convert a Cirq circuit to the IR.

    Args:
        circuit: A circuit with every symbol resolved.
        qubit_order: Order of the qubits (qubit ``i`` of the IR is the ``i``-th).
            Defaults to ``cirq.QubitOrder.DEFAULT`` (sorted), so that the IR does not
            depend on how the circuit was built.

    Returns:
        ``(ir, qubits, layout)``: the IR circuit, the Cirq qubit of each IR qubit, and
        one :class:`MeasurementRecord` per measurement in circuit order (each
        measurement, including each repetition of a key, gets its own classical bits).

    Raises:
        UnboundParameterError: If a symbol is unresolved (the message names them).
        UnsupportedGateError: For operations that cannot be reduced to the core's gates,
            channels without a Kraus representation or on more than
            :data:`MAX_CHANNEL_QUBITS` qubits, confusion maps and ``repeat_until``.
        CircuitError: For qudits (dimension other than 2).

    Examples:
        >>> import cirq, sympy
        >>> q = cirq.LineQubit(0)
        >>> ir, _, _ = circuit_from_cirq(cirq.Circuit(cirq.rx(0.5).on(q), cirq.Z(q) ** 0.3))
        >>> [(op.name, round(op.params[0], 4)) for op in ir]
        [('rx', 0.5), ('p', 0.9425)]
        >>> circuit_from_cirq(cirq.Circuit(cirq.X(q) ** sympy.Symbol("t")))
        Traceback (most recent call last):
        ...
        welinq_core.errors.UnboundParameterError: circuit has unresolved symbol(s) ['t']; ...
    """
    if cirq.is_parameterized(circuit):
        names = sorted(cirq.parameter_names(circuit))
        raise UnboundParameterError(
            f"circuit has unresolved symbol(s) {names}; resolve them with "
            "cirq.resolve_parameters(circuit, {...}) or pass a param_resolver / sweep to the sampler"
        )
    all_qubits = circuit.all_qubits()
    qubits = tuple(cirq.QubitOrder.as_qubit_order(qubit_order or cirq.QubitOrder.DEFAULT).order_for(all_qubits))
    _check_qubits(qubits)
    builder = _FromCirq(qubits)
    for op in circuit.all_operations():
        builder.convert(op)
    ir = Circuit(num_qubits=len(qubits), num_clbits=builder.num_clbits, operations=builder.ops, name="cirq")
    return ir, qubits, tuple(builder.layout)


# --------------------------------------------------------------------------------------
# IR -> Cirq
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Source:
    """Where the current value of a classical bit lives in the Cirq circuit's records."""

    key: str
    instance: int
    position: int
    width: int
    inverted: bool  # whether Cirq's record holds the inverted outcome


def _cirq_gate(name: str, params: tuple[float, ...]) -> cirq.Gate:
    simple = {
        "id": cirq.I,
        "x": cirq.X,
        "y": cirq.Y,
        "z": cirq.Z,
        "h": cirq.H,
        "s": cirq.S,
        "sdg": cirq.S**-1,
        "t": cirq.T,
        "tdg": cirq.T**-1,
        "sx": cirq.XPowGate(exponent=0.5),
        "sxdg": cirq.XPowGate(exponent=-0.5),
        "cx": cirq.CNOT,
        "cy": cirq.ControlledGate(cirq.Y),
        "cz": cirq.CZ,
        "ch": cirq.ControlledGate(cirq.H),
        "cs": cirq.CZ**0.5,
        "csdg": cirq.CZ**-0.5,
        "csx": cirq.CXPowGate(exponent=0.5),
        "swap": cirq.SWAP,
    }
    if name in simple:
        return simple[name]
    if name in ("rx", "ry", "rz"):
        return getattr(cirq, name)(params[0])
    if name == "p":
        return cirq.ZPowGate(exponent=params[0] / _PI)
    if name == "cp":
        return cirq.CZPowGate(exponent=params[0] / _PI)
    if name in ("crx", "cry", "crz"):
        return cirq.ControlledGate(getattr(cirq, name[1:])(params[0]))
    if name == "rzz":
        return cirq.ZZPowGate(exponent=params[0] / _PI, global_shift=-0.5)
    return cirq.MatrixGate(gates.gate_matrix(name, params), name=name)


def _pauli_mixture(op: Operation) -> cirq.Gate | None:
    return _pauli_mixture_of(tuple(op.pauli_terms))


@functools.lru_cache(maxsize=4096)
def _pauli_mixture_of(terms: tuple[tuple[str, float], ...]) -> cirq.Gate | None:
    """The (immutable, hence shared) channel of a Pauli distribution: an explicit circuit
    repeats the same few distributions hundreds of times, and every shot group converts it."""
    kept = [(label, p) for label, p in terms if p > 0]
    if all(set(label) == {"I"} for label, _ in kept):
        return None
    return PauliChannel(kept)


_PAULI_GATES = {"X": cirq.X, "Y": cirq.Y, "Z": cirq.Z}


class PauliChannel(cirq.MixedUnitaryChannel):
    """A mixture of Pauli strings (``pauli_channel``), as a ``cirq.MixedUnitaryChannel``.

    State-vector simulation draws the string and applies only its non-identity Paulis
    (``cirq.MixedUnitaryChannel`` multiplies the state by the drawn matrix, the identity
    included, which is most draws of a weak channel); every other simulator and protocol sees
    the mixture. Same distribution either way.

    Examples:
        >>> ch = PauliChannel([("I", 0.9), ("X", 0.1)])
        >>> q = cirq.LineQubit(0)
        >>> bits = cirq.Simulator(seed=1).run(cirq.Circuit(ch.on(q), cirq.measure(q, key="m")), repetitions=2000)
        >>> bool(0.08 < bits.measurements["m"].mean() < 0.12), cirq.has_mixture(ch)
        (True, True)
    """

    def __init__(self, terms: Sequence[tuple[str, float]]) -> None:
        super().__init__([(p, gates.pauli_matrix(label)) for label, p in terms])
        self._labels = tuple(label for label, _ in terms)
        probs = np.array([p for _, p in terms], dtype=float)
        self._cdf = np.cumsum(probs / probs.sum())

    def _act_on_(self, sim_state: Any, qubits: Sequence[cirq.Qid]) -> Any:
        if not isinstance(sim_state, cirq.StateVectorSimulationState):
            return NotImplemented
        k = min(int(np.searchsorted(self._cdf, sim_state.prng.random_sample(), side="right")), len(self._labels) - 1)
        for q, ch in zip(qubits, self._labels[k]):
            if ch != "I":
                cirq.act_on(_PAULI_GATES[ch], sim_state, [q])
        return True


def _build_cirq(
    ir: Circuit,
    qubits: Sequence[cirq.Qid],
    layout: Sequence[MeasurementRecord],
    scratch_prefix: str,
) -> tuple[cirq.Circuit, dict[int, _Source]]:
    whole = {rec.clbits: rec for rec in layout}
    instances: dict[str, int] = {}
    source: dict[int, _Source] = {}
    out: list[cirq.Operation] = []

    def record(key: str) -> int:
        n = instances.get(key, 0)
        instances[key] = n + 1
        return n

    for op in ir.operations:
        qs = [qubits[q] for q in op.qubits]
        if op.name == "measure":
            rec = whole.get(op.clbits)
            if op.condition is not None:
                raise UnsupportedGateError("classically controlled measurements cannot be converted to Cirq")
            if rec is not None and rec.qubits == op.qubits:
                n = record(rec.key)
                out.append(cirq.measure(*qs, key=rec.key, invert_mask=rec.invert_mask))
                for i, c in enumerate(op.clbits):
                    source[c] = _Source(rec.key, n, i, len(qs), rec.invert_mask[i])
            else:
                for q, c in zip(qs, op.clbits):
                    key = f"{scratch_prefix}{c}"
                    n = record(key)
                    out.append(cirq.measure(q, key=key))
                    source[c] = _Source(key, n, 0, 1, False)
            continue
        if op.name == "barrier":
            continue
        if op.name == "reset":
            ops = [cirq.ResetChannel().on(q) for q in qs]
        elif op.name == "pauli_channel":
            g = _pauli_mixture(op)
            ops = [] if g is None else [g.on(*qs)]
        elif op.name == "kraus":
            ops = [cirq.KrausChannel(op.kraus_matrices()).on(*qs)]
        else:
            ops = [_cirq_gate(op.name, op.params).on(*qs)]
        if op.condition is not None:
            controls: dict[tuple[str, int], list[int]] = {}  # (key, instance) -> [mask, target, width]
            never = False
            for i, c in enumerate(op.condition.clbits):
                want = (op.condition.value >> i) & 1
                src = source.get(c)
                if src is None:  # never written: the bit is 0
                    never = never or want == 1
                    continue
                weight = 1 << (src.width - 1 - src.position)  # Cirq's integers are big-endian
                entry = controls.setdefault((src.key, src.instance), [0, 0, src.width])
                entry[0] |= weight
                if want ^ int(src.inverted):
                    entry[1] |= weight
            if never:
                continue
            conds = [
                cirq.BitMaskKeyCondition(key, index=inst, target_value=t, equal_target=True, bitmask=m)
                for (key, inst), (m, t, _) in controls.items()
            ]
            if conds:
                ops = [o.with_classical_controls(*conds) for o in ops]
        out.extend(ops)
    return cirq.Circuit(out), source


def circuit_to_cirq(
    ir: Circuit,
    qubits: Sequence[cirq.Qid] | None = None,
    layout: Sequence[MeasurementRecord] = (),
    *,
    scratch_prefix: str = "welinq_c",
) -> cirq.Circuit:
    """Convert an IR circuit to a Cirq circuit that Cirq's simulators run.

    Measurements listed in ``layout`` keep the user's key and ``invert_mask``; every
    other measurement (for example of a communication qubit) writes a key
    ``f"{scratch_prefix}{clbit}"`` per classical bit. Conditions become
    ``cirq.BitMaskKeyCondition`` on the instance of the key that last wrote each bit.
    ``pauli_channel`` becomes a :class:`PauliChannel` (a ``cirq.MixedUnitaryChannel``; label character ``i``
    acts on ``qubits[i]``), ``kraus`` a ``cirq.KrausChannel``; barriers are dropped.

    Args:
        ir: The IR circuit.
        qubits: The Cirq qubit of each IR qubit. Defaults to ``cirq.LineQubit.range(n)``;
            if shorter than the circuit (a compiled circuit has communication qubits),
            it is extended with ``cirq.NamedQubit("welinq_comm_<i>")``.
        layout: The measurement layout from :func:`circuit_from_cirq`. Defaults to none.
        scratch_prefix: Key prefix of measurements not in ``layout``.

    Examples:
        >>> import cirq
        >>> from welinq_core.circuit import Circuit, Operation
        >>> ir = Circuit(num_qubits=1, num_clbits=1, operations=[
        ...     Operation(name="x", qubits=(0,)), Operation(name="measure", qubits=(0,), clbits=(0,))])
        >>> cirq.Simulator().run(circuit_to_cirq(ir)).measurements["welinq_c0"].tolist()
        [[1]]
    """
    return _build_cirq(ir, _extend_qubits(ir, qubits), layout, scratch_prefix)[0]


def _extend_qubits(ir: Circuit, qubits: Sequence[cirq.Qid] | None) -> list[cirq.Qid]:
    qs = list(cirq.LineQubit.range(ir.num_qubits) if qubits is None else qubits)
    extra = 0
    while len(qs) < ir.num_qubits:
        q = cirq.NamedQubit(f"welinq_comm_{extra}")
        extra += 1
        if q not in qs:
            qs.append(q)
    return qs
