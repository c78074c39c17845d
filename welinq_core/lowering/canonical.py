r"""Canonical form: rewrite a circuit so its packets do not depend on how it was spelled.

A transpiler spells one controlled phase in many ways: ``cp``, ``cu1``, ``crz``,
``cx``-``rz``-``cx``, ``cx``-``u(0, 0, l)``-``cx``, a ``cz`` as ``h``-``cx``-``h``...
Packets (runs of gates diagonal on one qubit, see :mod:`.packets`) only see the
first forms. :func:`canonicalize` applies three exact rewrites, each of which
keeps the circuit's unitary (up to a global phase, which no measurement sees):

1. a non-local ``swap`` becomes three ``cx`` (distributable gates only);
2. ``cx(c, t)`` - diagonal one-qubit gates on ``t`` - ``cx(c, t)`` becomes one
   ``rzz`` (AutoComm's merge of ``cx``-``rz``-``cx``, Wu et al., MICRO 2022):
   with ``D = diag(d0, d1)`` the product maps ``|c, t>`` to ``d_{c xor t} |c, t>``,
   which is ``rzz(arg(d1 / d0))`` times a phase. Gates between the two ``cx`` on
   ``c`` must be diagonal on ``c`` (they commute with both ``cx`` and the ``rzz``);
   an empty run cancels the pair;
3. ``U`` - ``cx(c, t)`` - ``V`` (``U``, ``V`` one-qubit gates on ``t``) becomes
   ``(H U)`` - ``cz(c, t)`` - ``(V H)`` when one of those products is diagonal, since
   ``cx = (I x H) cz (I x H)``: the ``h``-conjugated ``cx`` of a transpiled
   ``cz`` becomes diagonal on both qubits again, so either end can be a packet root.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> c = Circuit(num_qubits=3, operations=[Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="u", qubits=(1,), params=(0.0, 0.0, -0.5)), Operation(name="cx", qubits=(0, 1)),
    ...     Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(2, 0)), Operation(name="h", qubits=(0,))])
    >>> [(op.name, op.qubits) for op in canonicalize(c)]
    [('rzz', (0, 1)), ('cz', (2, 0))]
"""

from __future__ import annotations

import cmath
import math
import weakref

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Circuit, Operation
from welinq_core.errors import UnsupportedGateError
from welinq_core.lowering.commute import conjugate_x_runs, fuse_one_qubit_runs, push_anti_diagonal
from welinq_core.lowering.twoqubit import rewrite_blocks

__all__ = ["canonicalize", "one_qubit_op"]

_TOL = 1e-10
_H = gates.gate_matrix("h", ())


def _is_1q_gate(op: Operation) -> bool:
    return op.is_gate and op.name != "pauli_channel" and len(op.qubits) == 1 and op.condition is None


def _diag_of(op: Operation) -> tuple[complex, complex] | None:
    """``(d0, d1)`` when ``op`` is a diagonal one-qubit gate, else None."""
    m = gates.shared_gate_matrix(op.name, op.params)
    if abs(m[0, 1]) > _TOL or abs(m[1, 0]) > _TOL:
        return None
    return complex(m[0, 0]), complex(m[1, 1])


_NAMED_1Q = [(name, gates.gate_matrix(name, ())) for name in ("z", "s", "sdg", "x", "y", "h", "sx", "sxdg")]


def one_qubit_op(m: np.ndarray, qubit: int) -> Operation | None:
    """The one-qubit gate ``m`` (up to a global phase) as an operation; None for the identity.

    Named Clifford gates (``z``, ``s``, ``sdg``, ``x``, ``y``, ``h``, ``sx``, ``sxdg``) keep
    their names; other diagonal matrices become ``p``, anything else a ``u``.

    Examples:
        >>> op = one_qubit_op(gates.gate_matrix("t", ()), 0)
        >>> op.name, op.qubits, op.params
        ('p', (0,), (0.7853981633974483,))
        >>> one_qubit_op(gates.gate_matrix("s", ()) * 1j, 2).name
        's'
        >>> one_qubit_op(np.eye(2) * 1j, 3) is None
        True
    """
    key = (m.dtype.str, m.shape, m.tobytes(), qubit)
    hit = _ONE_QUBIT.get(key, _MISS)
    if hit is _MISS:
        hit = _one_qubit_op(m, qubit)
        if len(_ONE_QUBIT) >= _ONE_QUBIT_SIZE:
            _ONE_QUBIT.clear()
        _ONE_QUBIT[key] = hit
    return hit  # type: ignore[return-value]


# The rewrites meet the same few products over and over (a Toffoli decomposition's gates):
# one_qubit_op is a pure function of the matrix's bytes and the qubit (operations are frozen).
_ONE_QUBIT: dict[tuple, Operation | None] = {}
_ONE_QUBIT_SIZE = 1 << 16
_MISS = object()


def _one_qubit_op(m: np.ndarray, qubit: int) -> Operation | None:
    """:func:`one_qubit_op` without its cache."""
    for name, ref in _NAMED_1Q:  # Clifford gates keep their names (stabilizer engines need them)
        if abs(abs(np.vdot(ref, m)) - 2.0) < 1e-13 and np.allclose(m * (2.0 / np.vdot(ref, m)), ref, rtol=0, atol=1e-12):
            return Operation(name=name, qubits=(qubit,))
    a, b, c, d = complex(m[0, 0]), complex(m[0, 1]), complex(m[1, 0]), complex(m[1, 1])
    if abs(b) < _TOL and abs(c) < _TOL:
        lam = cmath.phase(d / a)
        if abs(lam) < _TOL:
            return None
        return Operation(name="p", qubits=(qubit,), params=(lam,))
    if abs(a) > _TOL and np.allclose(m * (abs(a) / a), _H, atol=1e-9):
        return Operation(name="h", qubits=(qubit,))
    theta = 2.0 * math.atan2(abs(c), abs(a))
    if abs(a) > _TOL:
        gamma = cmath.phase(a)
        phi = cmath.phase(c) - gamma
        lam = cmath.phase(-b) - gamma
    else:  # anti-diagonal: only phi + ... is fixed; put everything in lam relative to phi = 0
        gamma = cmath.phase(c)
        phi = 0.0
        lam = cmath.phase(-b) - gamma
    return Operation(name="u", qubits=(qubit,), params=(theta, phi, lam))


def _expand_swaps(ops: list[Operation]) -> list[Operation]:
    out: list[Operation] = []
    for op in ops:
        if op.is_gate and len(op.qubits) == 2 and not gates.spec(op.name).diagonal_on:
            if op.name != "swap":
                raise UnsupportedGateError(f"gate {op.name!r} cannot be distributed; decompose it into cx")
            a, b = op.qubits
            for qs in ((a, b), (b, a), (a, b)):
                out.append(Operation(name="cx", qubits=qs, condition=op.condition))
        else:
            out.append(op)
    return out


def _wires(ops: list[Operation | None], n: int) -> tuple[list[list[int]], dict[tuple[int, int], int]]:
    wires: list[list[int]] = [[] for _ in range(n)]
    pos: dict[tuple[int, int], int] = {}
    for i, op in enumerate(ops):
        if op is None:
            continue
        for q in op.qubits:
            pos[i, q] = len(wires[q])
            wires[q].append(i)
    return wires, pos


def cx_phase_block(cur: list[Operation | None], wires: list[list[int]], pos: dict[tuple[int, int], int],
                   i: int) -> tuple[list[int], int, float] | None:
    """The ``cx``-diagonal-``cx`` block opened by the ``cx`` at ``cur[i]``, or None.

    Returns ``(run, j, theta)``: the indices of the diagonal one-qubit gates on the target
    between the two ``cx``, the index of the closing ``cx``, and the block's interaction
    angle ``theta = arg(d1 / d0)`` (``D = diag(d0, d1)`` the run's product): on ``|c t>``
    the block is ``d0 * diag(1, r, r, 1)`` with ``r = exp(i theta)``, the ``rzz`` of the
    module docstring up to a global phase. Everything on the control between the two
    ``cx`` must be diagonal on it (it commutes with both ``cx``).
    """
    op = cur[i]
    if op is None or op.name != "cx" or op.condition is not None:
        return None
    c, t = op.qubits
    wt = wires[t]
    k = pos[i, t] + 1
    run: list[int] = []
    while k < len(wt) and cur[wt[k]] is not None and _is_1q_gate(cur[wt[k]]) and _diag_of(cur[wt[k]]):
        run.append(wt[k])
        k += 1
    if k >= len(wt):
        return None
    j = wt[k]
    other = cur[j]
    if other is None or other.name != "cx" or other.qubits != (c, t) or other.condition is not None:
        return None
    for m in wires[c][pos[i, c] + 1 : pos[j, c]]:
        g = cur[m]
        if g is None:
            continue
        if not g.is_gate or g.name == "pauli_channel":
            return None
        if len(g.qubits) == 1:
            if _diag_of(g) is None:
                return None
        elif g.qubits.index(c) not in gates.spec(g.name).diagonal_on:
            return None
    d0, d1 = 1.0 + 0j, 1.0 + 0j
    for m in run:
        e0, e1 = _diag_of(cur[m])  # type: ignore[arg-type, misc]
        d0, d1 = d0 * e0, d1 * e1
    return run, j, cmath.phase(d1 / d0)


#: Interaction angles below this are floating-point rounding of an exact cancellation
#: (``p(a)`` then ``p(-a)`` between two ``cx``): the block cancels. Deliberately tiny
#: gates are dropped, if at all, by :func:`welinq_core.lowering.near_identity.drop_near_identity`.
ROUNDING_ANGLE = 1e-13


def _merge_cx_phase_cx(ops: list[Operation], n: int) -> list[Operation]:
    """Rewrite 2: ``cx``-diagonal-``cx`` on the same qubits becomes ``rzz`` (or cancels)."""
    cur: list[Operation | None] = list(ops)
    wires, pos = _wires(cur, n)
    for i in range(len(ops)):
        block = cx_phase_block(cur, wires, pos, i)
        if block is None:
            continue
        run, j, theta = block
        c, t = cur[i].qubits  # type: ignore[union-attr]
        for m in run:
            cur[m] = None
        cur[i] = None
        cur[j] = None if abs(theta) < ROUNDING_ANGLE else Operation(name="rzz", qubits=(c, t), params=(theta,))
    return [op for op in cur if op is not None]


def _h_conjugated_cx(ops: list[Operation], n: int) -> list[Operation]:
    """Rewrite 3: ``U``-``cx``-``V`` on the target becomes ``(HU)``-``cz``-``(VH)`` where that helps."""
    wires, pos = _wires(list(ops), n)
    out: list[Operation | None] = []
    last_out: dict[int, int] = {}  # qubit -> index in out of its last operation
    replaced: dict[int, Operation | None] = {}  # input index -> replacement (None = dropped)
    for i, op in enumerate(ops):
        if i in replaced:
            new = replaced.pop(i)
            if new is not None:
                last_out[new.qubits[0]] = len(out)
                out.append(new)
            continue
        if op.name == "cx" and op.condition is None:
            c, t = op.qubits
            k_prev = last_out.get(t)
            u_op = out[k_prev] if k_prev is not None else None
            if u_op is not None and not _is_1q_gate(u_op):
                u_op = None
            wt = wires[t]
            nxt = pos[i, t] + 1
            v_idx = wt[nxt] if nxt < len(wt) else None
            v_op = ops[v_idx] if v_idx is not None and _is_1q_gate(ops[v_idx]) else None
            hu = _H @ gates.shared_gate_matrix(u_op.name, u_op.params) if u_op is not None else None
            vh = gates.shared_gate_matrix(v_op.name, v_op.params) @ _H if v_op is not None else None
            good = any(
                m is not None and abs(m[0, 1]) < _TOL and abs(m[1, 0]) < _TOL for m in (hu, vh)
            )
            if good:
                if hu is not None:
                    out[k_prev] = one_qubit_op(hu, t)  # type: ignore[index]
                else:
                    out.append(Operation(name="h", qubits=(t,)))
                cz = Operation(name="cz", qubits=(c, t))
                last_out[c] = last_out[t] = len(out)
                out.append(cz)
                if vh is not None:
                    replaced[v_idx] = one_qubit_op(vh, t)  # type: ignore[index]
                else:
                    last_out[t] = len(out)
                    out.append(Operation(name="h", qubits=(t,)))
                continue
        for q in op.qubits:
            last_out[q] = len(out)
        out.append(op)
    return [op for op in out if op is not None]


_CACHE: dict[int, tuple[weakref.ref, Circuit]] = {}
_CACHE_SIZE = 8


def canonicalize(circuit: Circuit) -> Circuit:
    """The circuit with the exact rewrites of the module docstring applied.

    The result has the same unitary up to a global phase (and the same
    measurements, resets and conditions); it is what the planner lowers.

    Raises:
        UnsupportedGateError: On a two-qubit gate diagonal on neither qubit other than ``swap``.

    Examples:
        >>> c = Circuit(num_qubits=2, operations=[Operation(name="swap", qubits=(0, 1))])
        >>> [op.name for op in canonicalize(c)]
        ['cx', 'cx', 'cx']
    """
    hit = _CACHE.get(id(circuit))
    if hit is not None and hit[0]() is circuit:  # the partitioner scores many plans of one circuit
        return hit[1]
    n = circuit.num_qubits
    ops = _expand_swaps(list(circuit.operations))
    # A Clifford circuit stays Clifford gate by gate (the stabilizer engines need it):
    # only the rewrites that map Clifford gates to Clifford gates run on it.
    clifford = all(gates.spec(op.name).is_clifford for op in ops if op.is_gate and op.name != "pauli_channel")
    if any(op.name == "cx" for op in ops):
        ops = _merge_cx_phase_cx(ops, n)
    if any(len(op.qubits) == 2 and len(gates.spec(op.name).diagonal_on) == 1 for op in ops if op.is_gate):
        if not clifford:
            ops = rewrite_blocks(ops, n)
        ops = conjugate_x_runs(ops, n)
    if any(op.name == "cx" for op in ops):
        ops = _h_conjugated_cx(ops, n)
    if not clifford:
        ops = fuse_one_qubit_runs(ops, n)
        ops = push_anti_diagonal(ops, n)
    if len(ops) == len(circuit.operations) and all(a is b for a, b in zip(ops, circuit.operations)):
        result = circuit
    else:
        result = circuit.with_operations(ops)
    for c in (circuit, result):
        _CACHE[id(c)] = (weakref.ref(c), result)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    return result
