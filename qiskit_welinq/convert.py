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

import math

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit, ClassicalRegister as _CReg, IfElseOp, ParameterExpression
from qiskit.circuit.classical import expr

from welinq_core import gates
from welinq_core.circuit import Circuit, Condition, Operation
from welinq_core.errors import CircuitError, UnboundParameterError, UnsupportedGateError

__all__ = ["circuit_from_qiskit", "circuit_to_qiskit", "BASIS_GATES"]

#: Gate names the backend's Target advertises (all understood by the core).
BASIS_GATES = tuple(g for g in gates.supported_gates() if g != "id") + ("id",)

_ALIASES = {"u1": "p", "u3": "u", "cu1": "cp", "cnot": "cx", "phase": "p"}
_IGNORED = {"delay", "global_phase"}


def _condition(qc: QuantumCircuit, cond: object, negate: bool = False) -> Condition:
    if isinstance(cond, tuple) and len(cond) == 2:
        target, value = cond
        if isinstance(target, Clbit):
            bits, val = (qc.find_bit(target).index,), int(bool(value))
        elif isinstance(target, _CReg):
            bits, val = tuple(qc.find_bit(b).index for b in target), int(value)
        else:
            raise UnsupportedGateError(f"unsupported condition target {target!r}")
        if negate:
            if len(bits) != 1:
                raise UnsupportedGateError(
                    "an else branch on a multi-bit register condition is not supported; "
                    "rewrite it as separate if_test blocks"
                )
            val = 1 - val
        return Condition(clbits=bits, value=val)
    raise UnsupportedGateError(
        f"classical condition {cond!r} is not supported; use if_test((clbit, value)) or "
        "if_test((register, value))"
    )


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


_MAX_DEFINITION_DEPTH = 64


def _convert_block(qc: QuantumCircuit, block: QuantumCircuit, qmap: list[int], cmap: list[int],
                   condition: Condition | None, out: list[Operation], depth: int = 0) -> None:
    for inst in block.data:
        op = inst.operation
        name = _ALIASES.get(op.name, op.name)
        qs = tuple(qmap[block.find_bit(q).index] for q in inst.qubits)
        cs = tuple(cmap[block.find_bit(c).index] for c in inst.clbits)
        if name in _IGNORED:
            continue
        if isinstance(op, IfElseOp):
            if condition is not None:
                raise UnsupportedGateError("nested if_test blocks are not supported; flatten the conditions")
            true_body, false_body = op.blocks[0], (op.blocks[1] if len(op.blocks) > 1 else None)
            inner_q = list(qs)
            inner_c = list(cs)
            cond = _condition(qc, _remap_condition(block, op.condition, cmap, qc))
            _convert_block(qc, true_body, inner_q, inner_c, cond, out)
            if false_body is not None and len(false_body.data):
                neg = _condition(qc, _remap_condition(block, op.condition, cmap, qc), negate=True)
                _convert_block(qc, false_body, inner_q, inner_c, neg, out)
            continue
        if op.name in ("while_loop", "for_loop", "switch_case", "box", "store"):
            raise UnsupportedGateError(
                f"control-flow operation {op.name!r} is not supported; only if_test/else blocks "
                "with a (clbit, value) or (register, value) condition are"
            )
        if getattr(op, "condition", None) is not None and not isinstance(op, IfElseOp):
            raise UnsupportedGateError(f"legacy c_if condition on {op.name!r} is not supported; use if_test")
        if name == "measure":
            out.append(Operation(name="measure", qubits=qs, clbits=cs, condition=condition))
        elif name == "reset":
            out.append(Operation(name="reset", qubits=qs, condition=condition))
        elif name == "barrier":
            if condition is None:
                out.append(Operation(name="barrier", qubits=qs))
        else:
            if not gates.is_supported(name):
                # Decompose only what the core does not understand, by the gate's own
                # definition (no transpiler pass rewrites the gates it does understand).
                definition = getattr(op, "definition", None)
                if definition is None or depth >= _MAX_DEFINITION_DEPTH:
                    raise UnsupportedGateError(
                        f"circuit uses gate(s) {[op.name]} on qubits {qs} that the core does not know and "
                        "that have no definition; give them one (build them from standard gates) or use gates from "
                        f"{', '.join(BASIS_GATES)}"
                    )
                _convert_block(qc, definition, list(qs), list(cs), condition, out, depth + 1)
                continue
            params = tuple(_param(p, op.name) for p in op.params)
            out.append(Operation(name=name, qubits=qs, params=params, condition=condition))


def _remap_condition(block: QuantumCircuit, cond: object, cmap: list[int], qc: QuantumCircuit) -> object:
    if isinstance(cond, expr.Expr):
        raise UnsupportedGateError(
            "classical expressions in if_test are not supported; use (clbit, value) or (register, value)"
        )
    if block is qc:
        return cond
    target, value = cond  # type: ignore[misc]
    if isinstance(target, Clbit):
        return (qc.clbits[cmap[block.find_bit(target).index]], value)
    return cond


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
    ops: list[Operation] = []
    _convert_block(qc, qc, list(range(qc.num_qubits)), list(range(qc.num_clbits)), None, ops)
    return Circuit(num_qubits=qc.num_qubits, num_clbits=qc.num_clbits, operations=ops, name=qc.name)


def circuit_to_qiskit(circuit: Circuit, *, user_clbits: int | None = None) -> QuantumCircuit:
    """Convert an IR circuit to a Qiskit circuit that Aer can run.

    ``pauli_channel`` operations become Aer ``pauli_error`` instructions (labels are
    reversed to Qiskit's little-endian order).

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
    from qiskit_aer.noise import pauli_error as _pauli_error  # Aer is needed only for noisy circuits

    errors: dict[tuple[tuple[str, float], ...], object] = {}

    def pauli_error(terms: list[tuple[str, float]]) -> object:
        """One QuantumError per distinct channel (building them dominates the conversion)."""
        key = tuple(terms)
        err = errors.get(key)
        if err is None:
            err = errors[key] = _pauli_error(terms)
        return err

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
