r"""Commutation rewrites that merge packets: fuse one-qubit runs, push anti-diagonal gates out.

A packet of qubit ``q`` ends at the first gate that is not diagonal on ``q``. Two
kinds of such gates need not end it:

* a run of one-qubit gates whose *product* is diagonal or anti-diagonal (the
  ``u`` gates a transpiler leaves around a resynthesised block, an ``h``-``h`` pair):
  :func:`fuse_one_qubit_runs` replaces the run by its product;
* an anti-diagonal gate (``x``, ``y``, ``u(pi, ., .)``) on the root, the ``D = X`` case
  of AraQne's packets (Mengoni et al., arXiv 2507.01090). :func:`push_anti_diagonal`
  carries it forward through every following gate diagonal on ``q`` (and through the
  target of a ``cx``-like gate when it commutes there), rewriting each gate it passes
  by the commutation rules of AutoComm (Wu et al., MICRO 2022): ``x`` through a
  control emits the controlled gate's inverse and the gate itself on the target
  (``x`` on the target for a ``cx``), ``x`` through ``cp(t)`` gives ``cp(-t)`` and
  ``p(t)`` on the partner, ``x`` through ``rzz(t)`` gives ``rzz(-t)``, ``x`` past a phase
  flips it. The gate lands where it meets a gate that is not diagonal on ``q``, fused
  with it when that gate is a one-qubit gate.

Both keep the circuit's unitary up to a global phase: every rewrite is
``G (F_0 x F_1) = (F_0 x F_1) G'`` with ``G' = F^dag G F`` computed exactly and matched
to a named gate (property tests compare the unitaries).

Examples:
    >>> from welinq_core.circuit import Operation
    >>> ops = [Operation(name="cp", qubits=(0, 1), params=(0.5,)), Operation(name="x", qubits=(0,)),
    ...        Operation(name="cp", qubits=(0, 2), params=(0.25,))]
    >>> [(op.name, op.qubits, op.params) for op in push_anti_diagonal(ops, 3)]
    [('cp', (0, 1), (0.5,)), ('cp', (0, 2), (-0.25,)), ('p', (2,), (0.25,)), ('x', (0,), ())]
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Operation

__all__ = ["conjugate_x_runs", "fuse_one_qubit_runs", "push_anti_diagonal", "is_diag", "is_anti_diag"]

_TOL = 1e-10
_I2 = np.eye(2, dtype=complex)


def is_diag(m: np.ndarray) -> bool:
    """Whether a 2x2 matrix is diagonal."""
    return abs(m[0, 1]) < _TOL and abs(m[1, 0]) < _TOL


def is_anti_diag(m: np.ndarray) -> bool:
    """Whether a 2x2 matrix is anti-diagonal (``X`` times a diagonal)."""
    return abs(m[0, 0]) < _TOL and abs(m[1, 1]) < _TOL


def _plain_1q(op: Operation) -> bool:
    return op.is_gate and op.name != "pauli_channel" and len(op.qubits) == 1 and op.condition is None


def _one_qubit_op(m: np.ndarray, q: int) -> Operation | None:
    from welinq_core.lowering.canonical import one_qubit_op

    if is_anti_diag(m):  # x (ratio 1) or y (ratio -1) up to a phase keep their names
        ratio = m[0, 1] / m[1, 0]
        for name, want in (("x", 1.0), ("y", -1.0)):
            if abs(ratio - want) < 1e-14:
                return Operation(name=name, qubits=(q,))
    return one_qubit_op(m, q)


def fuse_one_qubit_runs(ops: list[Operation], num_qubits: int) -> list[Operation]:
    """Replace each run of one-qubit gates on a wire whose product is (anti-)diagonal by the product.

    Only runs that gain something change: at least two gates, not all of them
    diagonal already, and a diagonal or anti-diagonal product (an identity product
    removes the run). Other gates stay exactly as written.

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> ops = [Operation(name="h", qubits=(0,)), Operation(name="z", qubits=(1,)),
        ...        Operation(name="h", qubits=(0,)), Operation(name="sx", qubits=(0,)),
        ...        Operation(name="sx", qubits=(0,))]
        >>> [(op.name, op.qubits) for op in fuse_one_qubit_runs(ops, 2)]
        [('z', (1,)), ('x', (0,))]
    """
    runs: list[list[int]] = []
    current: list[list[int] | None] = [None] * num_qubits
    for i, op in enumerate(ops):
        if _plain_1q(op):
            q = op.qubits[0]
            if current[q] is None:
                current[q] = []
                runs.append(current[q])  # type: ignore[arg-type]
            current[q].append(i)  # type: ignore[union-attr]
            continue
        for q in op.qubits:
            current[q] = None
    replace: dict[int, Operation | None] = {}
    for run in runs:
        if len(run) < 2 or all(gates.spec(ops[i].name).is_diagonal for i in run):
            continue
        m = _I2
        for i in run:
            m = gates.shared_gate_matrix(ops[i].name, ops[i].params) @ m
        if not (is_diag(m) or is_anti_diag(m)):
            continue
        for i in run[:-1]:
            replace[i] = None
        replace[run[-1]] = _one_qubit_op(m, ops[run[-1]].qubits[0])
    if not replace:
        return ops
    return [replace[i] if i in replace else op for i, op in enumerate(ops) if replace.get(i, op) is not None]


def _diag_gate(d: np.ndarray, a: int, b: int) -> tuple[Operation | None, np.ndarray, np.ndarray]:
    """A diagonal 4x4 unitary as ``cp``/``cz`` (or nothing) followed by phases on ``a`` and ``b``."""
    phi = np.angle(d)
    lam_a = phi[2] - phi[0]
    lam_b = phi[1] - phi[0]
    mu = math.remainder(phi[3] - phi[2] - phi[1] + phi[0], 2 * math.pi)
    if abs(mu) < _TOL:
        op = None
    elif abs(abs(mu) - math.pi) < _TOL:
        op = Operation(name="cz", qubits=(a, b))
    else:
        op = Operation(name="cp", qubits=(a, b), params=(mu,))
    return op, np.diag([1, cmath.exp(1j * lam_a)]), np.diag([1, cmath.exp(1j * lam_b)])


def _controlled_gate(g: np.ndarray, op: Operation) -> tuple[Operation, np.ndarray, np.ndarray] | None:
    """``g = |0><0| x A + |1><1| x B`` as ``op``'s gate (same or negated angles), then locals."""
    if np.abs(g[:2, 2:]).max() > _TOL or np.abs(g[2:, :2]).max() > _TOL:
        return None
    a_blk, b_blk = g[:2, :2], g[2:, 2:]
    w = a_blk.conj().T @ b_blk
    candidates = [op.params, tuple(-p for p in op.params)] if op.params else [op.params]
    for params in candidates:
        v = gates.shared_gate_matrix(op.name, params)[2:, 2:]
        k = np.unravel_index(np.argmax(np.abs(v)), v.shape)
        phase = w[k] / v[k]
        if abs(abs(phase) - 1) < 1e-9 and np.allclose(w, phase * v, rtol=0, atol=1e-9):
            alpha = cmath.phase(phase)
            named = Operation(name=op.name, qubits=op.qubits, params=tuple(params))
            return named, np.diag([1, cmath.exp(1j * alpha)]), a_blk
    return None


# The two-qubit step of push_anti_diagonal is a pure function of the gate and the two
# deferred gates, and a circuit meets the same few combinations over and over.
_STEPS: dict[tuple, tuple] = {}
_STEPS_SIZE = 1 << 16


def _pass_two_qubit(name: str, params: tuple[float, ...], fa: np.ndarray | None,
                    fb: np.ndarray | None) -> tuple:
    """How gate ``name(params)`` on ``(a, b)`` meets the deferred gates ``fa``, ``fb`` (None: none).

    Returns ``(flush_b, flush_a, kind, named, locals)``: which deferred gates are written out
    first (b, then a); ``kind`` "keep" (the gate stays as is, nothing deferred is left on
    it), "fail" (write out both and keep the gate) or "pass"; for "pass", ``named`` is
    "same" (the gate itself), ``(name, params)`` of ``F^dag G F`` or None (nothing), and
    ``locals`` the ``(matrix, is identity)`` of the local parts on ``a`` and ``b``.
    """
    s = gates.spec(name)
    g = gates.shared_gate_matrix(name, params)
    flush_b = flush_a = False
    if 1 not in s.diagonal_on and fb is not None:
        target = g[2:, 2:]
        conj = fb.conj().T @ target @ fb
        k = np.unravel_index(np.argmax(np.abs(target)), target.shape)
        ph = conj[k] / target[k]
        if not (abs(abs(ph) - 1) < 1e-9 and np.allclose(conj, ph * target, rtol=0, atol=1e-9)):
            flush_b, fb = True, None
    if 0 not in s.diagonal_on and fa is not None:
        flush_a, fa = True, None
    if fa is None and fb is None:
        return flush_b, flush_a, "keep", None, None
    f = np.kron(fa if fa is not None else _I2, fb if fb is not None else _I2)
    g2 = f.conj().T @ g @ f
    named: object
    if len(s.diagonal_on) == 2:
        if np.allclose(g2, g, rtol=0, atol=1e-12):
            named, la, lb = "same", _I2, _I2
        else:
            op, la, lb = _diag_gate(np.diag(g2), 0, 1)
            named = None if op is None else (op.name, op.params)
    else:
        res = _controlled_gate(g2, Operation(name=name, qubits=(0, 1), params=params))
        if res is None:
            return flush_b, flush_a, "fail", None, None
        op, la, lb = res
        named = (op.name, op.params)
    locals_ = []
    for loc in (la, lb):
        loc = np.array(loc, dtype=complex)
        loc.setflags(write=False)
        locals_.append((loc, bool(np.allclose(loc, _I2, rtol=0, atol=1e-12))))
    return flush_b, flush_a, "pass", named, tuple(locals_)


def push_anti_diagonal(ops: list[Operation], num_qubits: int) -> list[Operation]:
    """Carry every anti-diagonal one-qubit gate forward through the gates diagonal on its qubit.

    A deferred gate ``F_q`` (always anti-diagonal) is kept per qubit. A one-qubit gate
    ``U`` on ``q`` multiplies it (``U F_q``): the product is deferred further while it
    stays anti-diagonal, else written out in its place. A two-qubit gate ``G`` passes
    when each deferred gate on it sits on a side where ``G`` is diagonal (or on a
    ``cx``-like target whose gate it commutes with up to a phase); it is written as
    ``F^dag G F`` matched to a named gate, and the local parts of that product join the
    deferred gates (an ``x`` on a ``cx`` target, a phase on the partner). Anything else
    (measurements, resets, barriers, conditioned gates, sides that do not commute)
    writes the deferred gates out first. See the module docstring for an example.
    """
    frame: list[np.ndarray | None] = [None] * num_qubits
    out: list[Operation] = []

    def flush(q: int) -> None:
        f = frame[q]
        if f is not None:
            frame[q] = None
            o = _one_qubit_op(f, q)
            if o is not None:
                out.append(o)

    def defer(q: int, m: np.ndarray) -> None:
        """Continue the wire of ``q`` with ``m`` applied after the deferred gate."""
        f = m if frame[q] is None else m @ frame[q]
        if is_anti_diag(f):
            frame[q] = f
            return
        frame[q] = None
        o = _one_qubit_op(f, q)
        if o is not None:
            out.append(o)

    for op in ops:
        if not (op.is_gate and op.name != "pauli_channel" and op.condition is None and len(op.qubits) <= 2):
            for q in op.qubits:
                flush(q)
            out.append(op)
            continue
        if len(op.qubits) == 1:
            q = op.qubits[0]
            m = gates.shared_gate_matrix(op.name, op.params)
            if frame[q] is None:
                if is_anti_diag(m) and not gates.spec(op.name).is_diagonal:
                    frame[q] = m
                else:
                    out.append(op)
            else:
                defer(q, m)
            continue
        a, b = op.qubits
        if frame[a] is None and frame[b] is None:
            out.append(op)
            continue
        fa0, fb0 = frame[a], frame[b]
        key = (op.name, op.params, None if fa0 is None else fa0.tobytes(), None if fb0 is None else fb0.tobytes())
        step = _STEPS.get(key)
        if step is None:
            step = _pass_two_qubit(op.name, op.params, fa0, fb0)
            if len(_STEPS) >= _STEPS_SIZE:
                _STEPS.clear()
            _STEPS[key] = step
        flush_b, flush_a, kind, named, locals_ = step
        if flush_b:
            flush(b)
        if flush_a:
            flush(a)
        if kind == "keep":
            out.append(op)
            continue
        if kind == "fail":  # no named form: write the deferred gates out and keep the gate
            flush(a)
            flush(b)
            out.append(op)
            continue
        if named == "same":
            out.append(op)
        elif named is not None:
            out.append(Operation(name=named[0], qubits=(a, b), params=named[1]))
        # G F = F G' = F (la x lb) named: the locals run after `named`, before the deferred gates.
        for q, (loc, is_identity) in zip((a, b), locals_):
            fq = frame[q]
            if fq is None and is_identity:
                continue
            frame[q] = None
            defer(q, loc if fq is None else fq @ loc)
    for q in range(num_qubits):
        flush(q)
    return out


_H = gates.gate_matrix("h", ())
_X_TO_Z = {"cx": "cz", "crx": "crz", "csx": "cs"}  # controlled-U -> controlled-(H U H)


_X_TYPE_1Q = frozenset({"x", "rx", "sx", "sxdg"})


def _x_type_on(op: Operation, q: int) -> bool:
    """Whether ``op`` commutes with ``X`` on ``q`` (an ``x``/``rx`` gate, a ``cx``/``crx`` target...)."""
    n = len(op.qubits)
    if n == 2:
        return op.name in _X_TO_Z and op.qubits[1] == q and op.condition is None
    if n != 1 or op.condition is not None or not op.is_gate:
        return False
    if op.name in _X_TYPE_1Q:
        return True
    if op.name != "u":
        return False
    m = gates.shared_gate_matrix(op.name, op.params)
    return not is_diag(m) and is_diag(_H @ m @ _H)


def conjugate_x_runs(ops: list[Operation], num_qubits: int) -> list[Operation]:
    """Turn every run of at least two ``cx``-like targets on a qubit into ``cz``-like gates.

    A run of gates on ``q`` that all commute with ``X`` there (``cx``, ``crx``, ``csx``
    targets, ``x``, ``rx``, ``sx``) is diagonal after ``h`` conjugation: ``h`` - run - ``h``
    with ``cx -> cz``, ``crx -> crz``, ``csx -> cs``, ``rx -> rz``... is the same unitary,
    and every gate of the run is now diagonal on ``q``, so ``q`` can root one packet for
    all of them (AutoComm's ``h`` conjugation; a multi-controlled ``x`` spelled with
    ``crx`` gates is one such run per target).

    Examples:
        >>> from welinq_core.circuit import Operation
        >>> ops = [Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(1, 0)),
        ...        Operation(name="cx", qubits=(2, 0)), Operation(name="h", qubits=(0,))]
        >>> [(op.name, op.qubits) for op in fuse_one_qubit_runs(conjugate_x_runs(ops, 3), 3)]
        [('cz', (1, 0)), ('cz', (2, 0))]
    """
    runs: list[list[int]] = []
    current: list[list[int] | None] = [None] * num_qubits
    for i, op in enumerate(ops):
        for q in op.qubits:
            if _x_type_on(op, q):
                if current[q] is None:
                    current[q] = []
                    runs.append(current[q])  # type: ignore[arg-type]
                current[q].append(i)  # type: ignore[union-attr]
            else:
                current[q] = None
    before: dict[int, list[int]] = {}
    after: dict[int, list[int]] = {}
    convert: dict[int, int] = {}  # op index -> qubit conjugated
    for run in runs:
        q = next(x for x in ops[run[0]].qubits if _x_type_on(ops[run[0]], x))
        if sum(1 for i in run if len(ops[i].qubits) == 2) < 2 or any(i in convert for i in run):
            continue
        before.setdefault(run[0], []).append(q)
        after.setdefault(run[-1], []).append(q)
        for i in run:
            convert[i] = q
    if not convert:
        return ops
    out: list[Operation] = []
    for i, op in enumerate(ops):
        for q in before.get(i, ()):
            out.append(Operation(name="h", qubits=(q,)))
        if i in convert:
            if len(op.qubits) == 1:
                new = _one_qubit_op(_H @ gates.shared_gate_matrix(op.name, op.params) @ _H, op.qubits[0])
                if new is not None:
                    out.append(new)
            elif op.name in _X_TO_Z:
                out.append(Operation(name=_X_TO_Z[op.name], qubits=op.qubits, params=op.params))
            else:  # controlled-U with H U H = diag(d0, d1): p(arg d0) on the control, cp(arg d1/d0)
                d = np.diag(_H @ gates.gate_matrix(op.name, op.params)[2:, 2:] @ _H)
                c, t = op.qubits
                lam = cmath.phase(d[1] / d[0])
                out.append(Operation(name="cp", qubits=(c, t), params=(lam,)))
                if abs(cmath.phase(d[0])) > _TOL:
                    out.append(Operation(name="p", qubits=(c,), params=(cmath.phase(d[0]),)))
        else:
            out.append(op)
        for q in after.get(i, ()):
            out.append(Operation(name="h", qubits=(q,)))
    return out
