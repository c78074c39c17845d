r"""Two-qubit blocks that are a controlled phase in disguise.

A transpiler at its highest optimisation level collects each run of gates on one
pair of qubits into a 4x4 unitary and resynthesises it (two ``cx`` and a handful of
``u`` gates for a controlled phase). The result is exact but hides the structure
packets feed on: the ``u`` gates on the control are no longer diagonal one by one.

:func:`controlled_phase_form` recognises a 4x4 unitary that is *locally equivalent*
to ``rzz(theta)`` (every controlled phase, ``cz`` and ``cx`` is) and returns local
gates around one ``rzz``; :func:`rewrite_blocks` applies it to every maximal block
of a circuit that holds at least two two-qubit gates, one of them not diagonal on
both qubits. The decomposition is the Cartan (KAK) decomposition computed in the
magic basis, where local unitaries are real orthogonal matrices and
``exp(i(a XX + b YY + c ZZ))`` is diagonal (Khaneja and Glaser, Chem. Phys. 267, 11,
2001; Kraus and Cirac, PRA 63, 062309, 2001; Vatan and Williams, PRA 69, 032315,
2004). A unitary is locally equivalent to ``rzz`` exactly when at most one of
``a, b, c`` is non-zero modulo pi/2.

The local gates of one block are only fixed up to the gates that commute with
``rzz`` (diagonal, or ``X`` times diagonal, on both qubits). So where the original
circuit kept a qubit diagonal between two blocks, the local gates of the two blocks
multiply to a diagonal or anti-diagonal gate there: :mod:`.commute` then fuses them
and pushes the anti-diagonal ones out of the packet.

Examples:
    >>> import numpy as np
    >>> from welinq_core import gates
    >>> cp = gates.gate_matrix("cp", (0.7,))
    >>> form = controlled_phase_form(np.kron(gates.gate_matrix("h", ()), np.eye(2)) @ cp)
    >>> round(abs(form.theta), 6)
    0.35
    >>> controlled_phase_form(gates.gate_matrix("swap", ())) is None
    True
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Operation

__all__ = ["LocalRzz", "controlled_phase_form", "rewrite_blocks"]

_TOL = 1e-9
_MAGIC = np.array([[1, 0, 0, 1j], [0, 1j, 1, 0], [0, 1j, -1, 0], [1, 0, 0, -1j]]) / math.sqrt(2)
_MAGIC_H = _MAGIC.conj().T
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]])
_Z = np.diag([1.0 + 0j, -1.0])
_I2 = np.eye(2, dtype=complex)
_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_S = np.diag([1, 1j])
# exp(i(a XX + b YY + c ZZ)) is diagonal in the magic basis with phases g + T @ (a, b, c).
_SIGNS = np.array([[1, -1, 1], [1, 1, -1], [-1, -1, -1], [-1, 1, 1]], dtype=float)
_T = np.hstack([np.ones((4, 1)), _SIGNS])
_T_INV = np.linalg.inv(_T)
_PAULIS = (_X, _Y, _Z)
_TO_Z = (_H, _S @ _H, _I2)  # V with V Z V^dag = X, Y, Z


@dataclasses.dataclass(frozen=True, kw_only=True)
class LocalRzz:
    """``U = (after_0 x after_1) rzz(theta) (before_0 x before_1)`` up to a global phase.

    ``theta == 0`` means the unitary is local (no two-qubit gate needed).
    """

    before: tuple[np.ndarray, np.ndarray]
    theta: float
    after: tuple[np.ndarray, np.ndarray]

    def matrix(self) -> np.ndarray:
        """The 4x4 unitary this form stands for."""
        rzz = gates.gate_matrix("rzz", (self.theta,))
        return np.kron(*self.after) @ rzz @ np.kron(*self.before)


def _kron_factors(k: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(A, B)`` with ``k = A x B`` (each scaled to determinant modulus 1), or None."""
    r = k.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)
    u, s, vh = np.linalg.svd(r)
    if s[1] > 1e-7 * s[0]:
        return None
    a = math.sqrt(s[0]) * u[:, 0].reshape(2, 2)
    b = math.sqrt(s[0]) * vh[0].reshape(2, 2)
    a = a / math.sqrt(abs(np.linalg.det(a)))
    b = b / math.sqrt(abs(np.linalg.det(b)))
    return a, b


def _same_up_to_phase(a: np.ndarray, b: np.ndarray, tol: float = 1e-9) -> bool:
    k = np.unravel_index(np.argmax(np.abs(a)), a.shape)
    if abs(b[k]) < 1e-12:
        return False
    phase = a[k] / b[k]
    return abs(abs(phase) - 1) < tol and np.allclose(a, phase * b, rtol=0, atol=tol)


def controlled_phase_form(u: np.ndarray) -> LocalRzz | None:
    """Local gates around one ``rzz`` equal to the 4x4 unitary ``u``, if there are any.

    ``u`` acts on ``(q0, q1)`` with ``q0`` the most significant bit (the project's
    convention, see :mod:`welinq_core.gates`). Returns None when ``u`` is not locally
    equivalent to a controlled phase (a ``swap``, a Quantum-Volume block).

    Examples:
        >>> from welinq_core import gates
        >>> form = controlled_phase_form(gates.gate_matrix("cx", ()))
        >>> round(abs(form.theta), 6), np.allclose(abs(np.trace(form.matrix().conj().T
        ...     @ gates.gate_matrix("cx", ()))), 4)
        (1.570796, True)
    """
    ub = _MAGIC_H @ u @ _MAGIC
    m = ub.T @ ub  # symmetric unitary: O2^T D^2 O2
    p = None
    for r in (0.6180339887, 1.4142135623, 2.7182818284, 0.2679491924):
        _, vecs = np.linalg.eigh(m.real + r * m.imag)
        d = vecs.T @ m @ vecs
        if np.allclose(d, np.diag(np.diag(d)), rtol=0, atol=1e-9):
            p = vecs
            break
    if p is None:
        return None
    d = np.sqrt(np.diag(p.T @ m @ p))
    o1 = ub @ p @ np.diag(1 / d)
    if np.abs(o1.imag).max() > 1e-6:
        return None
    o1 = o1.real
    o2 = p.T.copy()
    if np.linalg.det(o1) < 0:
        o1[:, 0] *= -1
        d[0] *= -1
    if np.linalg.det(o2) < 0:
        o2[0, :] *= -1
        d[0] *= -1
    k1 = _kron_factors(_MAGIC @ o1 @ _MAGIC_H)
    k2 = _kron_factors(_MAGIC @ o2 @ _MAGIC_H)
    if k1 is None or k2 is None:
        return None
    coords = _T_INV @ np.angle(d)  # (g, a, b, c) modulo the 2 pi ambiguity of each phase
    reduced, turns = [], []
    for c in coords[1:]:
        k = round(c / (math.pi / 2))
        reduced.append(c - k * math.pi / 2)
        turns.append(k % 4)
    nonzero = [j for j, c in enumerate(reduced) if abs(c) > _TOL]
    if len(nonzero) > 1:
        return None
    # exp(i (c + k pi/2) PP) = exp(i c PP) (i PP)^k: the Pauli powers are local.
    q = _I2
    for pauli, k in zip(_PAULIS, turns):
        if k % 2:
            q = pauli @ q
    if nonzero:
        j = nonzero[0]
        v = _TO_Z[j]
        theta = float(-2.0 * reduced[j])  # exp(i t ZZ) = rzz(-2 t)
    else:
        v, theta = _I2, 0.0
    form = LocalRzz(
        before=(v.conj().T @ k2[0], v.conj().T @ k2[1]),
        theta=theta,
        after=(k1[0] @ q @ v, k1[1] @ q @ v),
    )
    if not _same_up_to_phase(form.matrix(), u, tol=1e-9):
        return None
    return form


_SWAP = gates.gate_matrix("swap", ())


def _block_unitary(ops: list[Operation], a: int) -> np.ndarray:
    u = np.eye(4, dtype=complex)
    for op in ops:
        m = gates.shared_gate_matrix(op.name, op.params)
        if len(op.qubits) == 1:
            m = np.kron(m, _I2) if op.qubits[0] == a else np.kron(_I2, m)
        elif op.qubits[0] != a:
            m = _SWAP @ m @ _SWAP
        u = m @ u
    return u


def _plain(op: Operation) -> bool:
    return op.is_gate and op.name != "pauli_channel" and op.condition is None and len(op.qubits) <= 2


_BLOCKS: dict[tuple, tuple | None] = {}
_BLOCKS_SIZE = 1 << 14
_MISS = object()


def _spell_block(members: list[Operation], a: int, c: int, one_qubit_op) -> tuple | None:  # noqa: ANN001
    """The rewritten block as ``(name, qubit positions (0: a, 1: c), params)``, or None to keep it."""
    form = controlled_phase_form(_block_unitary(members, a))
    if form is None:
        return None
    new: list[tuple] = []
    for m, k in zip(form.before, (0, 1)):
        o = one_qubit_op(m, (a, c)[k])
        if o is not None:
            new.append((o.name, (k,), o.params))
    if abs(math.remainder(form.theta, 4 * math.pi)) > _TOL:
        new.append(("rzz", (0, 1), (form.theta,)))
    for m, k in zip(form.after, (0, 1)):
        o = one_qubit_op(m, (a, c)[k])
        if o is not None:
            new.append((o.name, (k,), o.params))
    return tuple(new)


def rewrite_blocks(ops: list[Operation], num_qubits: int) -> list[Operation]:
    """Every maximal two-qubit block that is a controlled phase in disguise becomes one ``rzz``.

    A block starts at a two-qubit gate and collects every later gate on its two
    qubits (one-qubit gates and two-qubit gates on the same pair) until one of them
    meets another qubit or a measurement, reset, barrier or conditioned gate. Blocks
    with at least two two-qubit gates, one of them not diagonal on both qubits, are
    replaced by ``u`` - ``rzz`` - ``u`` when :func:`controlled_phase_form` finds the form
    (or by one-qubit gates alone when the block is local). The other gates stay, and so
    do blocks made of Clifford gates only (they stay Clifford for the stabilizer engines).

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> ops = [Operation(name="cx", qubits=(0, 1)), Operation(name="ry", qubits=(0,), params=(0.3,)),
        ...        Operation(name="cx", qubits=(0, 1))]
        >>> [op.name for op in rewrite_blocks(ops, 2)]
        ['u', 'u', 'rzz', 'u', 'u']
    """
    from welinq_core.lowering.canonical import one_qubit_op

    open_block: list[int | None] = [None] * num_qubits
    blocks: list[dict] = []

    def close(q: int) -> None:
        b = open_block[q]
        if b is not None:
            for x in blocks[b]["pair"]:
                open_block[x] = None

    for i, op in enumerate(ops):
        if not _plain(op):
            for q in op.qubits:
                close(q)
            continue
        if len(op.qubits) == 1:
            b = open_block[op.qubits[0]]
            if b is not None:
                blocks[b]["ops"].append(i)
            continue
        a, c = op.qubits
        b = open_block[a]
        if b is not None and b == open_block[c]:
            blocks[b]["ops"].append(i)
            blocks[b]["two"] += 1
            blocks[b]["plain_diag"] &= len(gates.spec(op.name).diagonal_on) == 2
            continue
        close(a)
        close(c)
        open_block[a] = open_block[c] = len(blocks)
        blocks.append({"pair": (a, c), "ops": [i], "two": 1,
                       "plain_diag": len(gates.spec(op.name).diagonal_on) == 2})
    replace: dict[int, list[Operation]] = {}
    drop: set[int] = set()
    for blk in blocks:
        if blk["two"] < 2 or blk["plain_diag"]:
            continue
        a, c = blk["pair"]
        members = [ops[i] for i in blk["ops"]]
        if all(gates.spec(op.name).is_clifford for op in members):
            continue  # Clifford blocks stay Clifford (and h/cx chains are left as written)
        # The rewrite depends on the gates and on which of them sit on ``a``, not on the
        # qubits' numbers: a circuit repeats the same blocks (Toffoli decompositions) often.
        shape = tuple((op.name, op.params, op.qubits[0] == a) for op in members)
        spelled = _BLOCKS.get(shape, _MISS)
        if spelled is _MISS:
            spelled = _spell_block(members, a, c, one_qubit_op)
            if len(_BLOCKS) >= _BLOCKS_SIZE:
                _BLOCKS.clear()
            _BLOCKS[shape] = spelled
        if spelled is None:
            continue
        drop.update(blk["ops"])
        replace[blk["ops"][-1]] = [Operation(name=name, qubits=tuple((a, c)[k] for k in where), params=params)
                                   for name, where, params in spelled]
    if not replace:
        return ops
    out: list[Operation] = []
    for i, op in enumerate(ops):
        if i in replace:
            out.extend(replace[i])
        elif i not in drop:
            out.append(op)
    return out
