"""Qiskit classical conditions as disjoint lists of bit patterns (the IR's conditions).

The IR conditions an operation on "these classical bits hold this value". Qiskit's
``if_test``/``switch`` conditions are richer: a bit, a register compared with a value,
or a classical expression (:mod:`qiskit.circuit.classical.expr`: ``logic_and``,
``bit_xor``, ``less``, ...). :func:`condition_cubes` turns any of them into a list of
*disjoint* cubes, ``{clbit: value}`` patterns of which at most one holds at run time,
by Shannon expansion over the bits the condition reads. A block under the condition is
then emitted once per cube, and exactly the cube that holds (if any) applies it.

Examples:
    >>> from qiskit import ClassicalRegister, QuantumCircuit
    >>> from qiskit.circuit.classical import expr
    >>> qc = QuantumCircuit(1); c = ClassicalRegister(2, "c"); qc.add_register(c)
    >>> index = lambda bit: qc.find_bit(bit).index
    >>> condition_cubes((c, 2), index)
    [{0: 0, 1: 1}]
    >>> condition_cubes(expr.logic_or(c[0], c[1]), index)
    [{0: 0, 1: 1}, {0: 1}]
    >>> condition_cubes(expr.logic_or(c[0], c[1]), index, negate=True)
    [{0: 0, 1: 0}]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qiskit.circuit import Clbit, ClassicalRegister
from qiskit.circuit.classical import expr, types

from welinq_core.errors import UnsupportedGateError

__all__ = ["Cube", "condition_cubes", "conjoin", "MAX_CONDITION_BITS"]

#: A condition may read at most this many classical bits (its expansion is exponential
#: in them in the worst case); conjunctions of literals, such as a register equal to a
#: value, are one pattern and may read any number.
MAX_CONDITION_BITS = 12

Cube = dict[int, int]


def _bits_of(node: Any, index: Callable[[Clbit], int], out: list[int]) -> None:
    if isinstance(node, expr.Var):
        if isinstance(node.var, Clbit):
            bits = [node.var]
        elif isinstance(node.var, ClassicalRegister):
            bits = list(node.var)
        else:
            raise UnsupportedGateError(
                f"the condition reads the real-time classical variable {node.var!r}; only "
                "classical bits and registers can be read (variables are not supported)"
            )
        for b in bits:
            i = index(b)
            if i not in out:
                out.append(i)
    elif isinstance(node, expr.Value):
        return
    elif isinstance(node, (expr.Unary, expr.Cast)):
        _bits_of(node.operand, index, out)
    elif isinstance(node, (expr.Binary, expr.Index)):
        _bits_of(node.left if isinstance(node, expr.Binary) else node.target, index, out)
        _bits_of(node.right if isinstance(node, expr.Binary) else node.index, index, out)
    else:
        raise UnsupportedGateError(f"classical expression node {type(node).__name__} is not supported")


def _evaluate(node: Any, values: dict[int, int], index: Callable[[Clbit], int]) -> int:
    """Value of an expression (booleans as 0/1, unsigned integers as ints)."""
    if isinstance(node, expr.Var):
        if isinstance(node.var, Clbit):
            return values[index(node.var)]
        return sum(values[index(b)] << k for k, b in enumerate(node.var))
    if isinstance(node, expr.Value):
        return int(node.value)
    if isinstance(node, expr.Cast):
        v = _evaluate(node.operand, values, index)
        if isinstance(node.type, types.Bool):
            return int(v != 0)
        return v & ((1 << node.type.width) - 1) if isinstance(node.type, types.Uint) else v
    if isinstance(node, expr.Index):
        return (_evaluate(node.target, values, index) >> _evaluate(node.index, values, index)) & 1
    if isinstance(node, expr.Unary):
        v = _evaluate(node.operand, values, index)
        if node.op is expr.Unary.Op.LOGIC_NOT:
            return int(not v)
        if node.op is expr.Unary.Op.BIT_NOT:
            if isinstance(node.type, types.Bool):
                return 1 - v
            return ~v & ((1 << node.type.width) - 1)
        raise UnsupportedGateError(f"classical operator {node.op.name} is not supported")
    if isinstance(node, expr.Binary):
        a, b = _evaluate(node.left, values, index), _evaluate(node.right, values, index)
        op = expr.Binary.Op
        table: dict[Any, Callable[[int, int], int]] = {
            op.BIT_AND: lambda x, y: x & y, op.BIT_OR: lambda x, y: x | y, op.BIT_XOR: lambda x, y: x ^ y,
            op.LOGIC_AND: lambda x, y: int(bool(x) and bool(y)), op.LOGIC_OR: lambda x, y: int(bool(x) or bool(y)),
            op.EQUAL: lambda x, y: int(x == y), op.NOT_EQUAL: lambda x, y: int(x != y),
            op.LESS: lambda x, y: int(x < y), op.LESS_EQUAL: lambda x, y: int(x <= y),
            op.GREATER: lambda x, y: int(x > y), op.GREATER_EQUAL: lambda x, y: int(x >= y),
        }
        if node.op in (op.SHIFT_LEFT, op.SHIFT_RIGHT):
            v = a << b if node.op is op.SHIFT_LEFT else a >> b
            return v & ((1 << node.type.width) - 1) if isinstance(node.type, types.Uint) else v
        if node.op not in table:
            raise UnsupportedGateError(f"classical operator {node.op.name} is not supported")
        return table[node.op](a, b)
    raise UnsupportedGateError(f"classical expression node {type(node).__name__} is not supported")


def _as_expr(condition: Any) -> Any:
    """A legacy ``(bit_or_register, value)`` condition as an expression."""
    if isinstance(condition, tuple) and len(condition) == 2:
        target, value = condition
        if isinstance(target, Clbit):
            return expr.lift(target) if bool(value) else expr.logic_not(target)
        if isinstance(target, ClassicalRegister):
            if not 0 <= int(value) < 2 ** len(target):
                raise UnsupportedGateError(
                    f"the condition compares register {target.name!r} of {len(target)} bit(s) with "
                    f"{int(value)}, which does not fit in it (Qiskit's expr.equal refuses it, and Aer "
                    f"compares only the low bits); give a value from 0 to {2 ** len(target) - 1}"
                )
            return expr.equal(target, int(value))
    if isinstance(condition, expr.Expr):
        return condition
    raise UnsupportedGateError(
        f"classical condition {condition!r} is not supported; use (clbit, value), (register, value) "
        "or a qiskit.circuit.classical.expr expression over classical bits and registers"
    )


def _expand(f: Callable[[dict[int, int]], bool], bits: list[int], fixed: dict[int, int]) -> list[Cube]:
    """Disjoint cubes on which ``f`` holds (Shannon expansion, constant branches cut)."""
    free = bits[len(fixed):]
    if not free:
        return [dict(fixed)] if f(fixed) else []
    outcomes = set()
    for k in range(2 ** len(free)):
        outcomes.add(f({**fixed, **{b: (k >> j) & 1 for j, b in enumerate(free)}}))
        if len(outcomes) == 2:
            break
    if outcomes == {False}:
        return []
    if outcomes == {True}:
        return [dict(fixed)]
    b = free[0]
    return _expand(f, bits, {**fixed, b: 0}) + _expand(f, bits, {**fixed, b: 1})


def _literal_cube(node: Any, index: Callable[[Clbit], int]) -> Cube | None | bool:
    """The one cube of a conjunction of literals (a bit, its negation, a bit or register equal to
    a value, ``logic_and`` of those), ``False`` if it can never hold, None for any other condition."""
    if isinstance(node, expr.Var) and isinstance(node.var, Clbit):
        return {index(node.var): 1}
    if (isinstance(node, expr.Unary) and node.op is expr.Unary.Op.LOGIC_NOT
            and isinstance(node.operand, expr.Var) and isinstance(node.operand.var, Clbit)):
        return {index(node.operand.var): 0}
    if isinstance(node, expr.Binary) and node.op is expr.Binary.Op.EQUAL:
        var, value = node.left, node.right
        if isinstance(var, expr.Value):
            var, value = value, var
        if not (isinstance(var, expr.Var) and isinstance(value, expr.Value)):
            return None
        if isinstance(var.var, Clbit):
            return {index(var.var): int(bool(value.value))}
        if isinstance(var.var, ClassicalRegister):
            v = int(value.value)
            if v < 0 or v >> len(var.var):
                return False
            cube: Cube = {}
            for k, b in enumerate(var.var):
                i, bit = index(b), (v >> k) & 1
                if cube.setdefault(i, bit) != bit:
                    return False
            return cube
        return None
    if isinstance(node, expr.Binary) and node.op is expr.Binary.Op.LOGIC_AND:
        left, right = _literal_cube(node.left, index), _literal_cube(node.right, index)
        if left is False or right is False:
            return False if left is not None and right is not None else None
        if left is None or right is None:
            return None
        merged = dict(left)
        for i, bit in right.items():
            if merged.setdefault(i, bit) != bit:
                return False
        return merged
    return None


def _shannon_order(cube: Cube, fixed: Cube | None = None, items: list | None = None) -> list[Cube]:
    """Disjoint cubes of NOT ``cube``, in the order the Shannon expansion over its bits gives them
    (so that a run's circuit, and its seeded counts, do not depend on which path converted it)."""
    items = list(cube.items()) if items is None else items
    fixed = {} if fixed is None else fixed
    if not items:
        return []
    (i, bit), rest = items[0], items[1:]
    differs = [{**fixed, i: 1 - bit}]
    goes_on = _shannon_order(cube, {**fixed, i: bit}, rest)
    return goes_on + differs if bit == 0 else differs + goes_on


def condition_cubes(condition: Any, index: Callable[[Clbit], int], *, negate: bool = False) -> list[Cube]:
    """Disjoint ``{clbit index: value}`` patterns whose union is the condition (or its negation).

    Args:
        condition: ``(Clbit, value)``, ``(ClassicalRegister, value)`` or a classical ``expr``.
        index: Maps a Clbit to its index in the flattened circuit.
        negate: Return the patterns of the negated condition (an ``else`` branch).

    Raises:
        UnsupportedGateError: On real-time variables, unsupported operators, or conditions
            reading more than :data:`MAX_CONDITION_BITS` bits that are not a conjunction of
            literals (a bit, its negation, a bit or register equal to a value).
    """
    node = _as_expr(condition)
    bits: list[int] = []
    _bits_of(node, index, bits)
    # A conjunction of literals (every (register, value) condition of OpenQASM 2 files) is one
    # cube, on any number of bits: no expansion, whose cost grows as 2^bits times the bits.
    cube = _literal_cube(node, index)
    if cube is False:
        return [{}] if negate else []
    if cube is not None:
        return _shannon_order(cube) if negate else [cube]
    if len(bits) > MAX_CONDITION_BITS:
        raise UnsupportedGateError(
            f"the condition reads {len(bits)} classical bits; at most {MAX_CONDITION_BITS} are supported "
            "(split it into nested if_test blocks over fewer bits)"
        )

    def holds(values: dict[int, int]) -> bool:
        return bool(_evaluate(node, values, index)) != negate

    return _expand(holds, bits, {})


def conjoin(outer: list[Cube] | None, inner: list[Cube]) -> list[Cube]:
    """Cubes of ``outer AND inner`` (None = always true); contradictory pairs are dropped."""
    if outer is None:
        return inner
    out = []
    for a in outer:
        for b in inner:
            if all(a[k] == v for k, v in b.items() if k in a):
                out.append({**a, **b})
    return out
