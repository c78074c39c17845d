"""Conversions between Qiskit circuits and the welinq IR.

Examples:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2, 2)
    >>> _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.measure([0, 1], [0, 1])
    >>> ir = circuit_from_qiskit(qc)
    >>> [op.name for op in ir]
    ['h', 'cx', 'measure', 'measure']
    >>> circuit_to_qiskit(ir).count_ops()["cx"]
    1
"""

from __future__ import annotations

import functools
import math

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import (
    CASE_DEFAULT,
    BreakLoopOp,
    ContinueLoopOp,
    ControlFlowOp,
    ForLoopOp,
    IfElseOp,
    ParameterExpression,
    SwitchCaseOp,
    WhileLoopOp,
)
from qiskit.circuit.classical import expr

from welinq_core import gates
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.errors import CircuitError, UnboundParameterError, UnsupportedGateError
from qiskit_welinq.channels import CHANNEL_INSTRUCTIONS, channel_from_qiskit, kraus_instruction
from qiskit_welinq.conditions import Cube, condition_cubes, conjoin

__all__ = ["circuit_from_qiskit", "circuit_to_qiskit", "BASIS_GATES"]

#: Gate names the backend's Target advertises (all understood by the core).
BASIS_GATES = tuple(g for g in gates.supported_gates() if g != "id") + ("id",)

_ALIASES = {"u1": "p", "u3": "u", "cu1": "cp", "cnot": "cx", "phase": "p"}
_IGNORED = {"delay", "global_phase"}
_CONTROL = (ControlFlowOp, BreakLoopOp, ContinueLoopOp)  # instructions the converter handles one by one


def _param(p: object, name: str) -> float:
    if isinstance(p, ParameterExpression):
        if p.parameters:
            names = sorted(str(x) for x in p.parameters)
            raise UnboundParameterError(
                f"gate {name!r} has unbound parameter(s) {names}; bind them with "
                "circuit.assign_parameters({...}) or pass parameter values to the primitive"
            )
        return float(p)
    try:
        return float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CircuitError(f"gate {name!r} has a non-numeric parameter {p!r}") from None


#: At most this many operations come out of unrolling ``for_loop``s and expanding
#: conditions (a guard against ``for_loop(range(10**9))``).
MAX_FLAT_OPERATIONS = 2_000_000

#: Gates the core does not know are replaced by their definitions, at most this deep.
_MAX_DEFINITION_DEPTH = 64


class _Flattener:
    """Flattens control flow into the IR's per-operation conditions.

    ``for_loop`` is unrolled (its parameter bound per iteration; an unconditional
    ``break_loop``/``continue_loop`` ends the iteration or the loop). ``if_else`` and
    ``switch_case`` become their blocks under disjoint condition cubes
    (:mod:`qiskit_welinq.conditions`), nested conditions are conjoined. ``while_loop``
    and conditional ``break_loop``/``continue_loop`` cannot be flattened (their
    iteration count is decided at run time, while the distributed program is
    partitioned, lowered and scheduled ahead of time) and raise.
    """

    def __init__(self, qc: QuantumCircuit) -> None:
        self.qc = qc
        self.out: list[Operation] = []

    def emit(self, op: Operation) -> None:
        self.out.append(op)
        if len(self.out) > MAX_FLAT_OPERATIONS:
            raise UnsupportedGateError(
                f"unrolling the circuit's loops and conditions gives more than {MAX_FLAT_OPERATIONS} "
                "operations; use fewer loop iterations"
            )

    def block(self, block: QuantumCircuit, qmap: list[int], cmap: list[int], cubes: list[Cube] | None,
              in_loop: bool = False) -> str | None:
        """Convert one block; returns "break"/"continue" if it hit an unconditional one."""
        qpos = {bit: i for i, bit in enumerate(block.qubits)}  # (block.find_bit(bit).index)
        cpos = {bit: i for i, bit in enumerate(block.clbits)}
        for inst in block.data:
            op = inst.operation
            name = _ALIASES.get(op.name, op.name)
            qs = tuple(qmap[qpos[q]] for q in inst.qubits)
            cs = tuple(cmap[cpos[c]] for c in inst.clbits)
            if name in _IGNORED:
                continue
            if isinstance(op, _CONTROL):  # (one check for the ordinary gates)
                kind = self.control(op, qs, cs, cubes, in_loop, block, cmap)
                if kind in ("break", "continue"):
                    return kind
                if kind is None:
                    continue
            if op.name in ("box", "store"):
                raise UnsupportedGateError(
                    f"{op.name!r} is not supported; remove it (box) or use classical bits instead of "
                    "real-time variables (store)"
                )
            if getattr(op, "condition", None) is not None:
                raise UnsupportedGateError(f"legacy c_if condition on {op.name!r} is not supported; use if_test")
            for condition in (None,) if cubes is None else [_to_condition(c) for c in cubes]:
                self.operation(op, name, qs, cs, condition)
        return None

    def control(self, op: object, qs: tuple[int, ...], cs: tuple[int, ...], cubes: list[Cube] | None,
                in_loop: bool, block: QuantumCircuit, cmap: list[int]) -> str | None:
        """One control-flow instruction: "break"/"continue" when it is an unconditional one,
        None once converted, "other" when it is none the converter handles here (``box``)."""
        index = lambda bit, block=block: cmap[block.find_bit(bit).index]  # noqa: E731
        if isinstance(op, (BreakLoopOp, ContinueLoopOp)):
            kind = "break" if isinstance(op, BreakLoopOp) else "continue"
            if not in_loop:
                raise UnsupportedGateError(f"{op.name} outside a for_loop body")
            if cubes is not None:
                raise UnsupportedGateError(
                    f"{op.name} inside an if_test/switch cannot be distributed: whether the loop goes on "
                    "is decided at run time, but the distributed program is compiled ahead of time; "
                    "put the rest of the loop body under the negated condition instead"
                )
            return kind
        if isinstance(op, ForLoopOp):
            self.for_loop(op, list(qs), list(cs), cubes)
        elif isinstance(op, WhileLoopOp):
            raise UnsupportedGateError(
                "while_loop cannot be distributed: its number of iterations is decided at run time, "
                "but the cluster's program (partition, Bell pairs, schedule) is compiled ahead of "
                "time; bound it with a for_loop over a fixed range whose body is an if_test on the "
                "loop condition"
            )
        elif isinstance(op, IfElseOp):
            branches = [(condition_cubes(op.condition, index), op.blocks[0])]
            if len(op.blocks) > 1 and op.blocks[1] is not None and len(op.blocks[1].data):
                branches.append((condition_cubes(op.condition, index, negate=True), op.blocks[1]))
            self.branches(branches, list(qs), list(cs), cubes, in_loop, op.name)
        elif isinstance(op, SwitchCaseOp):
            self.branches(self.switch_cases(op, index), list(qs), list(cs), cubes, in_loop, op.name)
        else:
            return "other"
        return None

    def operation(self, op: object, name: str, qs: tuple[int, ...], cs: tuple[int, ...],
                  condition: Condition | None, depth: int = 0) -> None:
        if name == "measure":
            self.emit(Operation(name="measure", qubits=qs, clbits=cs, condition=condition))
        elif name == "reset":
            self.emit(Operation(name="reset", qubits=qs, condition=condition))
        elif name == "barrier":
            if condition is None:
                self.emit(Operation(name="barrier", qubits=qs))
        elif name in CHANNEL_INSTRUCTIONS:
            self.emit(channel_from_qiskit(op, qs, condition))
        elif not gates.is_supported(name):
            self.decompose(op, qs, cs, condition, depth)
        else:
            params = tuple(_param(p, op.name) for p in op.params)  # type: ignore[attr-defined]
            self.emit(Operation(name=name, qubits=qs, params=params, condition=condition))

    def decompose(self, op: object, qs: tuple[int, ...], cs: tuple[int, ...], condition: Condition | None,
                  depth: int) -> None:
        """Replace a gate the core does not know by its Qiskit definition, recursively.

        Gates the core knows are never rewritten (no transpiler pass runs), so a ``cu1``
        stays one controlled phase and keeps the structure that packets need.
        """
        key = _definition_key(op) if depth < _MAX_DEFINITION_DEPTH else None
        steps = _DEFINITIONS.get(key) if key is not None else None
        if steps is None:
            steps = _definition_steps(op, qs, depth)
            if key is not None:
                if len(_DEFINITIONS) >= _DEFINITIONS_SIZE:
                    _DEFINITIONS.clear()
                _DEFINITIONS[key] = steps
        for sub, sub_name, sub_q, sub_c in steps:
            self.operation(sub, sub_name, tuple(qs[k] for k in sub_q), tuple(cs[k] for k in sub_c),
                           condition, depth + 1)

    def for_loop(self, op: ForLoopOp, qs: list[int], cs: list[int], cubes: list[Cube] | None) -> None:
        indexset, parameter, body = op.params
        for value in indexset:
            bound = body.assign_parameters({parameter: value}, inplace=False) if parameter is not None else body
            if self.block(bound, qs, cs, cubes, in_loop=True) == "break":
                break

    def switch_cases(self, op: SwitchCaseOp, index: object) -> list[tuple[list[Cube], QuantumCircuit]]:
        target = op.target
        subject = expr.lift(target) if not isinstance(target, expr.Expr) else target
        branches = []
        seen: list[int] = []
        for values, body in op.cases_specifier():
            if any(v is CASE_DEFAULT for v in values):
                cond = expr.lift(True)
                for v in seen:
                    cond = expr.logic_and(cond, expr.not_equal(subject, _case_value(v, subject)))
            else:
                seen.extend(values)
                cond = expr.lift(False)
                for v in values:
                    cond = expr.logic_or(cond, expr.equal(subject, _case_value(v, subject)))
            branches.append((condition_cubes(cond, index), body))  # type: ignore[arg-type]
        return branches

    def branches(self, branches: list[tuple[list[Cube], QuantumCircuit]], qs: list[int], cs: list[int],
                 outer: list[Cube] | None, in_loop: bool, what: str) -> None:
        read = {b for cubes, _ in branches for cube in cubes for b in cube}
        start = len(self.out)
        emitted = 0
        for cubes, body in branches:
            combined = conjoin(outer, cubes)
            if not combined:
                continue
            emitted += len(combined)
            if self.block(body, qs, cs, combined, in_loop) is not None:
                raise UnsupportedGateError(  # unreachable: conditional break raises first
                    f"break_loop/continue_loop inside {what} cannot be distributed"
                )
        ops = self.out[start:]
        writes = [i for i, o in enumerate(ops) if o.name == "measure" and set(o.clbits) & read]
        if writes and (emitted > 1 or writes != [len(ops) - 1]):
            bits = sorted({c for i in writes for c in ops[i].clbits} & read)
            raise UnsupportedGateError(
                f"a {what} block measures into classical bit(s) {bits} that its own condition reads; "
                "the cluster applies conditions operation by operation, so later operations of the "
                "block would see the new value. Measure into other bits (or make that measurement "
                "the block's last operation, with no else branch)"
            )


# A file of 25,600 ``ccx`` would build Qiskit's definition of each anew: a standard gate's
# definition depends only on its class, parameters and control state.
_DEFINITIONS: dict[tuple, list[tuple]] = {}
_DEFINITIONS_SIZE = 4096


def _definition_key(op: object) -> tuple | None:
    """Cache key of a Qiskit standard gate's definition (None: not cached)."""
    cls = getattr(op, "base_class", type(op))  # (the class behind Qiskit's singleton gates)
    if getattr(op, "_standard_gate", None) is None or not (cls.__module__ or "").startswith("qiskit."):
        return None
    params = getattr(op, "params", ())
    if not all(isinstance(p, (int, float)) for p in params):
        return None
    return (cls, op.name, tuple(float(p) for p in params), getattr(op, "ctrl_state", None))  # type: ignore[attr-defined]


def _definition_steps(op: object, qs: tuple[int, ...], depth: int) -> list[tuple]:
    """``(sub-operation, its name, qubit positions, clbit positions)`` of ``op``'s definition."""
    definition = getattr(op, "definition", None)
    if definition is None and depth < _MAX_DEFINITION_DEPTH:
        definition = _synthesised(op)
    if definition is None or depth >= _MAX_DEFINITION_DEPTH:
        raise UnsupportedGateError(
            f"circuit uses gate(s) {[op.name]} on qubits {qs} that welinq does not know and that have "  # type: ignore[attr-defined]
            "no definition; give them one (build them from standard gates) or use gates from "
            f"{', '.join(BASIS_GATES)}"
        )
    steps = []
    for inst in definition.data:
        sub = inst.operation
        sub_name = _ALIASES.get(sub.name, sub.name)
        if sub_name in _IGNORED:
            continue
        if isinstance(sub, ControlFlowOp) or getattr(sub, "condition", None) is not None:
            raise UnsupportedGateError(
                f"the definition of gate {op.name!r} contains control flow ({sub.name!r}); "  # type: ignore[attr-defined]
                "decompose the gate before running it"
            )
        steps.append((sub, sub_name, tuple(definition.find_bit(q).index for q in inst.qubits),
                      tuple(definition.find_bit(c).index for c in inst.clbits)))
    return steps


def _synthesised(op: object) -> QuantumCircuit | None:
    """A gate without a ``definition`` (e.g. ``PermutationGate``, built by a synthesis
    plugin) synthesised by Qiskit's transpiler into the core's gates; None if it cannot be."""
    from qiskit import transpile

    num_qubits = getattr(op, "num_qubits", 0)
    num_clbits = getattr(op, "num_clbits", 0)
    if not num_qubits:
        return None
    single = QuantumCircuit(num_qubits, num_clbits)
    single.append(op, range(num_qubits), range(num_clbits))  # type: ignore[arg-type]
    try:
        return transpile(single, basis_gates=list(BASIS_GATES), optimization_level=0)
    except Exception:  # noqa: BLE001 - any failure of the synthesis means "no definition"
        return None


def _case_value(v: object, subject: object) -> object:
    if isinstance(v, bool) or getattr(subject, "type", None) == expr.lift(True).type:
        return expr.lift(bool(v))
    return expr.lift(int(v), subject.type)  # type: ignore[attr-defined]


def _to_condition(cube: Cube) -> Condition | None:
    if not cube:
        return None
    bits = tuple(sorted(cube))
    return Condition(clbits=bits, value=sum(cube[b] << i for i, b in enumerate(bits)))


def circuit_from_qiskit(qc: QuantumCircuit) -> Circuit:
    """Convert a Qiskit circuit to the IR (qubit and clbit indices are Qiskit's).

    Gates the core knows (with the aliases ``u1``/``u3``/``cu1``/``cnot``/``phase``)
    are converted as they are, so a ``cu1`` stays one controlled phase; any other
    gate is replaced by its Qiskit definition, recursively (``ccx``, ``mcx``,
    library blocks such as ``QFTGate``).

    Raises:
        UnsupportedGateError: For gates without a definition and unsupported control flow.
        UnboundParameterError: If a parameter is unbound.
    """
    if getattr(qc, "num_vars", 0):
        raise UnsupportedGateError(
            "circuits with real-time classical variables (add_var/store) are not supported"
        )
    flat = _Flattener(qc)
    flat.block(qc, list(range(qc.num_qubits)), list(range(qc.num_clbits)), None)
    return Circuit(num_qubits=qc.num_qubits, num_clbits=qc.num_clbits, operations=flat.out, name=qc.name)


def circuit_to_qiskit(circuit: Circuit, *, user_clbits: int | None = None) -> QuantumCircuit:
    """Convert an IR circuit to a Qiskit circuit that Aer can run.

    ``pauli_channel`` operations become Aer ``pauli_error`` instructions (labels are
    reversed to Qiskit's little-endian order), ``kraus`` operations Aer ``kraus``
    instructions (see :mod:`qiskit_welinq.channels`).

    Args:
        circuit: The IR circuit.
        user_clbits: Classical bits ``0..user_clbits-1`` form register ``c``; the rest
            form register ``scratch``. Defaults to all bits in ``c``.
    """
    m = circuit.num_clbits if user_clbits is None else user_clbits
    qr = QuantumRegister(circuit.num_qubits, "q")
    regs: list = [qr]
    if m:
        regs.append(ClassicalRegister(m, "c"))
    if circuit.num_clbits > m:
        regs.append(ClassicalRegister(circuit.num_clbits - m, "scratch"))
    qc = QuantumCircuit(*regs, name=circuit.name)
    clbits = qc.clbits
    pauli_error = _cached_pauli_error
    for op in circuit.operations:
        if op.condition is not None:
            bits = [clbits[c] for c in op.condition.clbits]
            if len(bits) == 1:
                cond: object = (bits[0], bool(op.condition.value))
            else:
                terms = [
                    expr.lift(b) if (op.condition.value >> i) & 1 else expr.logic_not(b)
                    for i, b in enumerate(bits)
                ]
                cond = terms[0]
                for t in terms[1:]:
                    cond = expr.logic_and(cond, t)
            with qc.if_test(cond):  # type: ignore[arg-type]
                _append(qc, op, pauli_error)
        else:
            _append(qc, op, pauli_error)
    return qc


@functools.lru_cache(maxsize=8192)
def _pauli_error_of(terms: tuple[tuple[str, float], ...]) -> object:
    from qiskit_aer.noise import pauli_error  # Aer is needed only for noisy circuits

    return pauli_error(list(terms))


def _cached_pauli_error(terms: list[tuple[str, float]]) -> object:
    """One Aer ``QuantumError`` per distinct channel, shared by every circuit of the process.

    Building a ``QuantumError`` costs milliseconds, and the shot groups of one run (each
    its own circuit) repeat the same channels thousands of times. Aer treats the error
    as an immutable instruction, so sharing it between circuits is safe.
    """
    return _pauli_error_of(tuple(terms))


def _append(qc: QuantumCircuit, op: Operation, pauli_error: object) -> None:
    qubits = [qc.qubits[q] for q in op.qubits]
    if op.name == "measure":
        qc.measure(qubits, [qc.clbits[c] for c in op.clbits])
    elif op.name == "reset":
        for q in qubits:
            qc.reset(q)
    elif op.name == "barrier":
        qc.barrier(qubits)
    elif op.name == "pauli_channel":
        terms = [(label[::-1], p) for label, p in op.pauli_terms if p > 0]
        if len(terms) == 1 and set(terms[0][0]) == {"I"}:
            return
        qc.append(pauli_error(terms), qubits)  # type: ignore[operator]
    elif op.name == "kraus":
        qc.append(kraus_instruction(op), qubits)
    elif op.name in _AER_SUBSTITUTES:
        for name, params, positions in _AER_SUBSTITUTES[op.name]:
            getattr(qc, name)(*params, *(qubits[i] for i in positions))
    else:
        getattr(qc, op.name)(*op.params, *qubits)


# Gates Aer does not execute natively, as exact products of gates it does (global phase included).
_AER_SUBSTITUTES = {
    "cs": [("cp", (math.pi / 2,), (0, 1))],
    "csdg": [("cp", (-math.pi / 2,), (0, 1))],
    "ch": [("s", (), (1,)), ("h", (), (1,)), ("t", (), (1,)), ("cx", (), (0, 1)), ("tdg", (), (1,)),
           ("h", (), (1,)), ("sdg", (), (1,))],
}
