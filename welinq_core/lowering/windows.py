r"""Restoring windows: stretches of a qubit's timeline that one linked copy can carry whole.

A linked copy ``x'`` of ``x`` (cat-entangler, one Bell pair per hop; Eisert, Jacobs,
Papadopoulos, Plenio, PRA 62, 052317 (2000)) usually serves only gates diagonal on
``x``. It can serve *every* gate on ``x`` from operation ``first`` to operation
``last`` (Toffoli targets, ``h``, ``t`` ... included) while ``x`` itself idles, when
the *causal slice* ``W`` of that stretch (the operations that depend on ``first`` and
that ``last`` depends on) commutes with ``Z_x``. Then
``W = sum_v |v><v|_x (x) V_v``, and on the cat state
``sum_v a_v |v>_x |v>_x' |psi_v>`` the slice run with ``x'`` in place of ``x`` gives
``sum_v a_v |v>_x |v>_x' V_v |psi_v>``: the cat-disentangler leaves exactly
``W`` applied. The operations of the stretch outside the slice touch neither ``x``
nor ``x'`` and commute past it. Compute-uncompute stretches (a ripple-carry adder's
carry qubit between its MAJ and UMA) are of this kind.

:func:`restoring` decides it exactly on the slice's dense unitary (restricted to the
qubits it touches, at most :data:`MAX_SLICE_QUBITS`; larger slices are not windows),
cached per circuit.

Examples:
    >>> from welinq_core.circuit import Circuit, Operation
    >>> ops = [Operation(name="cx", qubits=(1, 0)), Operation(name="h", qubits=(0,)),
    ...        Operation(name="h", qubits=(0,)), Operation(name="cx", qubits=(1, 0))]
    >>> c = Circuit(num_qubits=2, operations=ops)
    >>> restoring(c, 0, 0, 3), restoring(c, 0, 0, 1)
    (True, False)

    In the X basis (``cx(1, 0)`` rewritten as ``h cz h``, the first ``h`` cancelled):

    >>> ops = [Operation(name="cz", qubits=(1, 0)), Operation(name="h", qubits=(0,)),
    ...        Operation(name="cx", qubits=(0, 2)), Operation(name="h", qubits=(0,)),
    ...        Operation(name="cz", qubits=(1, 0)), Operation(name="h", qubits=(0,))]
    >>> c = Circuit(num_qubits=3, operations=ops)
    >>> restoring(c, 0, 0, 5), restoring(c, 0, 0, 5, "x")
    (False, True)
"""

from __future__ import annotations

import weakref

import numpy as np

from welinq_core import gates
from welinq_core.circuit import Circuit

__all__ = ["MAX_SLICE_QUBITS", "MAX_SLICE_OPS", "causal_slice", "restoring"]

#: Largest slice (in qubits) whose unitary is built to decide a window (a 2^9 x 2^10 array).
MAX_SLICE_QUBITS = 10
#: Longest stretch of operations (``last - first``) considered.
MAX_SLICE_OPS = 600

_CACHE: dict[int, tuple[weakref.ref, dict]] = {}
_CACHE_SIZE = 8


def causal_slice(circuit: Circuit, first: int, last: int) -> list[int] | None:
    """Indices of the operations from ``first`` to ``last`` that depend on ``first`` and
    that ``last`` depends on (both included), in order; None when the slice holds an
    operation that is not an unconditioned unitary gate.

    Examples:
        >>> from welinq_core.circuit import Circuit, Operation
        >>> c = Circuit(num_qubits=3, operations=[Operation(name="cx", qubits=(0, 1)),
        ...     Operation(name="h", qubits=(2,)), Operation(name="x", qubits=(1,)),
        ...     Operation(name="cx", qubits=(0, 1)), Operation(name="cx", qubits=(1, 2))])
        >>> causal_slice(c, 0, 3)
        [0, 2, 3]
    """
    ops = circuit.operations
    reach = set(ops[first].qubits)
    forward = [first]
    for j in range(first + 1, last + 1):
        if reach.intersection(ops[j].qubits):
            reach.update(ops[j].qubits)
            forward.append(j)
    need = set(ops[last].qubits)
    out = []
    for j in reversed(forward):
        if j == last or need.intersection(ops[j].qubits):
            need.update(ops[j].qubits)
            out.append(j)
    out.reverse()
    if out[0] != first:
        return None  # last does not depend on first (not a window of one qubit's timeline)
    for j in out:
        op = ops[j]
        if not op.is_gate or op.condition is not None or op.name in ("pauli_channel", "barrier"):
            return None
    return out


def _commutes_with_z(circuit: Circuit, indices: list[int], qubit: int, basis: str) -> bool:
    """Whether the product of the operations ``indices`` (after ``h`` on ``qubit`` when
    ``basis`` is ``"x"``) commutes with ``Z_qubit``.

    Builds the slice on the ``|0>_qubit`` half of its basis (``2^(k-1)`` columns) and
    checks that no amplitude leaks into ``|1>_qubit``: a unitary that keeps the
    ``Z = +1`` subspace keeps its complement too, so it is block diagonal.
    """
    ops = circuit.operations
    touched = sorted({q for j in indices for q in ops[j].qubits})
    k = len(touched)
    if k > MAX_SLICE_QUBITS:
        return False
    axis = {q: i for i, q in enumerate(touched)}
    # A random input of the |0>_qubit half first (cheap): any leak disproves it; no leak
    # is then confirmed on the whole half (every basis column), so the answer is exact.
    rng = np.random.default_rng(2000)
    probe = rng.normal(size=2 ** (k - 1)) + 1j * rng.normal(size=2 ** (k - 1))
    if _leak(ops, indices, axis, qubit, probe.reshape(-1, 1), basis) > 1e-9:
        return False
    return _leak(ops, indices, axis, qubit, np.eye(2 ** (k - 1), dtype=complex), basis) < 1e-9


def _leak(ops, indices: list[int], axis: dict[int, int], qubit: int, columns: np.ndarray, basis: str) -> float:
    """Largest amplitude on ``|1>_qubit`` after the slice, for inputs ``|0>_qubit (x) column``."""
    k = len(axis)
    cols = columns.shape[1]
    state = np.zeros((2,) * k + (cols,), dtype=complex)
    sel = [slice(None)] * (k + 1)
    sel[axis[qubit]] = 0
    state[tuple(sel)] = columns.reshape((2,) * (k - 1) + (cols,))
    prefix = [(gates.gate_matrix("h", ()), [axis[qubit]])] if basis == "x" else []
    for m, ax in prefix + [(gates.gate_matrix(ops[j].name, ops[j].params), [axis[q] for q in ops[j].qubits])
                           for j in indices]:
        n = len(ax)
        t = np.tensordot(m.reshape((2,) * (2 * n)), state, axes=(list(range(n, 2 * n)), ax))
        state = np.moveaxis(t, list(range(n)), ax)
    sel[axis[qubit]] = 1
    return float(np.abs(state[tuple(sel)]).max())


def restoring(circuit: Circuit, qubit: int, first: int, last: int, basis: str = "z") -> bool:
    """Whether the causal slice from operation ``first`` to ``last`` commutes with ``Z_qubit``
    (both operations act on ``qubit``), so one linked copy can carry every gate of
    ``qubit`` between them. False for slices that are not unitary, too long
    (:data:`MAX_SLICE_OPS`) or too wide (:data:`MAX_SLICE_QUBITS`). Cached per circuit.

    ``basis="x"``: the slice preceded by ``h`` on ``qubit``. Such a window is carried by
    a copy made in the X basis (``h`` on the root before the cat-entangler, ``h`` on the
    copy after it: an identity inserted in front of the window). Gate rewriting often
    cancels the ``h`` that opens a window (the ``h`` closing a Toffoli on the root against
    the one opening the ``cx`` that follows it).
    """
    hit = _CACHE.get(id(circuit))
    if hit is None or hit[0]() is not circuit:
        hit = (weakref.ref(circuit), {})
        _CACHE[id(circuit)] = hit
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
    memo = hit[1]
    key = (qubit, first, last, basis)
    found = memo.get(key)
    if found is None:
        found = False
        if 0 <= last - first <= MAX_SLICE_OPS:
            indices = causal_slice(circuit, first, last)
            found = indices is not None and _commutes_with_z(circuit, indices, qubit, basis)
        memo[key] = found
    return found
